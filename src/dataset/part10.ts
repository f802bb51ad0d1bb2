/**
 * Writing Part 10 files (PS3.10 §7.1): 128-byte preamble, "DICM", the File Meta Information group
 * written by hand (meta.ts), then the data set bytes unchanged. No dcmjs: the storage SCPs and
 * fs-store use it without loading the data set codec.
 */
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../options';
import { encodeMetaGroup, PART10_PREFIX } from './meta';

export { PART10_PREFIX };

/**
 * The 128-byte preamble (zeros) and "DICM" that start every Part 10 file: one shared array, for
 * writers that send it as is (fs-store writes it per file). Never modify it.
 */
export const PART10_HEAD: Uint8Array = new Uint8Array(132);
PART10_HEAD.set(PART10_PREFIX, 128);

/** What `writePart10` needs: the UIDs for the meta group and the already-encoded data set. */
export interface Part10Input {
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
  /** The data set encoded in `transferSyntaxUid` (written as-is). */
  dataset: Uint8Array;
  implementationClassUid?: string;
  implementationVersionName?: string;
  sourceAeTitle?: string;
}

/**
 * Build a Part 10 file as chunks (PS3.10 §7.1): 128-byte preamble + "DICM", the File Meta
 * Information group (PS3.10 Table 7.1-1, Explicit VR LE), then the data set bytes unchanged.
 */
export function writePart10(input: Part10Input): Uint8Array[] {
  const head = PART10_HEAD.slice(); // the caller's own, as every chunk returned here
  const meta = encodeMetaGroup({
    MediaStorageSOPClassUID: input.sopClassUid,
    MediaStorageSOPInstanceUID: input.sopInstanceUid,
    TransferSyntaxUID: input.transferSyntaxUid,
    ImplementationClassUID: input.implementationClassUid ?? IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: input.implementationVersionName ?? IMPLEMENTATION_VERSION_NAME,
    SourceApplicationEntityTitle: input.sourceAeTitle,
  });
  return [head, meta, input.dataset];
}
