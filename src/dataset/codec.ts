/**
 * Data set codec: naturalized JS objects (keyword keys, as dcmjs produces) <-> encoded bytes in a
 * transfer syntax (PS3.5 §7, §10, Annex A). dcmjs defines the naturalized form (its dictionary,
 * value representations and naturalizeDataset/denaturalizeDataset); the bytes of the native
 * encodings are read and written by hand (dict-reader.ts, dict-writer.ts) with the same result,
 * and by dcmjs's streams for everything those leave. Also reading Part 10 files (PS3.10 §7.1);
 * writing them (part10.ts) needs no dcmjs.
 */
import { Slab } from '../bytes/slab';
import { DimseError } from '../errors';
import { transferSyntax, TransferSyntax } from '../uids/transfer-syntax';
import { withExactBulk, withSwappedWords } from './bulk-values';
import { dcmjsRead, dcmjsWrite, quietly } from './dcmjs-io';
import { dcmjs } from './dcmjs-module';
import { denaturalize, readyForDcmjs } from './denaturalize';
import { deflateRaw, inflateRaw, DEFAULT_MAX_INFLATED_LENGTH } from './deflate';
import { readDict } from './dict-reader';
import { writeDict } from './dict-writer';
import { hasNonAsciiText, withUtf8Declared } from './utf8-declaration';
import { provideCodec } from './lazy';
import { readPart10Identity } from './meta';
import { naturalize, type Dataset } from './naturalize';
import { checkStructure } from './structure';

export type { Dataset } from './naturalize';
export { writePart10, type Part10Input } from './part10';

/** Options for decoding. */
export interface DecodeOptions {
  /** Cap on the inflated size of a Deflated Explicit VR Little Endian data set (default 512 MiB). */
  maxInflatedLength?: number;
}

/**
 * How dcmjs should parse/write a transfer syntax: its three native encodings by UID; every other
 * (encapsulated) syntax encodes the data set as Explicit VR Little Endian (PS3.5 A.4).
 */
function plan(transferSyntaxUid: string, code: string): { syntax: string; deflated: boolean; littleEndian: boolean; encapsulated: boolean } {
  const info = transferSyntax(transferSyntaxUid);
  if (!info) throw new DimseError(code, `unknown transfer syntax ${transferSyntaxUid}`);
  const encapsulated = info.encapsulated;
  if (info.deflated) return { syntax: TransferSyntax.ExplicitVRLittleEndian, deflated: true, littleEndian: true, encapsulated };
  if (!info.explicitVr) return { syntax: TransferSyntax.ImplicitVRLittleEndian, deflated: false, littleEndian: true, encapsulated };
  if (!info.littleEndian) return { syntax: TransferSyntax.ExplicitVRBigEndian, deflated: false, littleEndian: false, encapsulated };
  return { syntax: TransferSyntax.ExplicitVRLittleEndian, deflated: false, littleEndian: true, encapsulated };
}

/**
 * Decode an encoded data set (no preamble, no meta group) in the given transfer syntax into a
 * naturalized object. Supports Implicit VR LE, Explicit VR LE, Explicit VR BE and Deflated
 * Explicit VR LE (PS3.5 A.1-A.5), and the encapsulated syntaxes (data set in Explicit VR LE).
 * Text is decoded by (0008,0005) Specific Character Set, ISO 2022 code extensions included
 * (`\ISO 2022 IR 87`, `\ISO 2022 IR 149`, …); sequence items without a set
 * of their own use the enclosing data set's. Like dcmjs, the result says
 * `SpecificCharacterSet: 'ISO_IR 192'` once a set was named: its strings are Unicode. Bulk
 * values are ArrayBuffers, OW/OF/OD in little-endian byte order (swapped from Big Endian);
 * encapsulated Pixel Data is a list of ArrayBuffers as dcmjs reads it (one per frame as
 * encodeDataset writes it).
 * Throws DimseError('DATASET_DECODE_FAILED') with the dcmjs error as `cause`.
 */
export function decodeDataset(bytes: Uint8Array, transferSyntaxUid: string, options: DecodeOptions = {}): Dataset {
  const p = plan(transferSyntaxUid, 'DATASET_DECODE_FAILED');
  const plain = p.deflated ? inflateRaw(bytes, options.maxInflatedLength ?? DEFAULT_MAX_INFLATED_LENGTH) : bytes;
  if (plain.length === 0) return {};
  const implicit = p.syntax === TransferSyntax.ImplicitVRLittleEndian;
  checkStructure(plain, !implicit, p.littleEndian);
  try {
    const dict = readDict(plain, implicit, p.littleEndian) || dcmjsRead(plain, p.syntax, p.littleEndian);
    return naturalize(p.littleEndian ? dict : withSwappedWords(dict));
  } catch (err) {
    throw new DimseError(
      'DATASET_DECODE_FAILED',
      `cannot decode ${plain.length}-byte data set as ${transferSyntaxUid}: ${(err as Error)?.message ?? String(err)}`,
      { cause: err },
    );
  }
}

/**
 * Encode a naturalized data set in the given transfer syntax (PS3.5 §7, A.1-A.5); deflates for
 * Deflated Explicit VR LE. Text goes out in the character set the data set names where all of
 * it fits, else as UTF-8: when UTF-8 text goes beyond ASCII, the bytes say
 * `(0008,0005) ISO_IR 192`, in place of any other set named.
 * A string with backslashes in a multi-valued string VR is written as that many values. Bulk
 * values are ArrayBuffers or views of one (exactly the view's bytes; several joined into one,
 * OW/OF/OD given in little-endian byte order); in an encapsulated syntax each value of Pixel
 * Data is one frame, written as one fragment after a Basic Offset Table. The caller's object is
 * not changed. Throws DimseError('DATASET_ENCODE_FAILED') with the dcmjs error
 * as `cause`.
 */
export function encodeDataset(dataset: Dataset, transferSyntaxUid: string): Uint8Array {
  return encodeWith(dataset, transferSyntaxUid);
}

/** Data sets a service sends and drops (C-FIND matches): small ones are views of a shared block (bytes/slab.ts). */
const sentBytes = new Slab(64 * 1024);
const takeSentBytes = (n: number) => sentBytes.take(n);

/** {@link encodeDataset} for a data set that is sent and dropped: no memory of its own when small. */
export function encodeDatasetForSending(dataset: Dataset, transferSyntaxUid: string): Uint8Array {
  return encodeWith(dataset, transferSyntaxUid, takeSentBytes);
}

function encodeWith(dataset: Dataset, transferSyntaxUid: string, allocate?: (n: number) => Uint8Array): Uint8Array {
  const p = plan(transferSyntaxUid, 'DATASET_ENCODE_FAILED');
  const implicit = p.syntax === TransferSyntax.ImplicitVRLittleEndian;
  let bytes: Uint8Array;
  try {
    const fast = denaturalize(dataset);
    // dcmjs encapsulates Pixel Data only when it is given the syntax itself.
    const dcmjsSyntax = p.encapsulated ? transferSyntaxUid : p.syntax;
    bytes = (fast && writeDict(fast, implicit, allocate, p.encapsulated, p.littleEndian)) || encodeWithDcmjs(dataset, dcmjsSyntax, p.littleEndian, implicit, p.encapsulated);
  } catch (err) {
    throw new DimseError(
      'DATASET_ENCODE_FAILED',
      `cannot encode data set as ${transferSyntaxUid}: ${(err as Error)?.message ?? String(err)}`,
      { cause: err },
    );
  }
  return p.deflated ? deflateRaw(bytes) : bytes;
}

/** A parsed Part 10 file (PS3.10 §7.1). */
export interface Part10 {
  /** The File Meta Information (group 0002), naturalized. */
  meta: Dataset;
  /** (0002,0010) */
  transferSyntaxUid: string;
  /** (0002,0002) Media Storage SOP Class UID */
  sopClassUid: string;
  /** (0002,0003) Media Storage SOP Instance UID */
  sopInstanceUid: string;
  /** The encoded data set after the meta group, exactly as in the file (a view, not a copy). */
  dataset: Uint8Array;
}

/** dcmjs's denaturalizeDataset (quietly: it warns about unknown keywords and truncated values), then the dict writer or dcmjs's. */
function encodeWithDcmjs(dataset: Dataset, syntax: string, littleEndian: boolean, implicit: boolean, encapsulated: boolean): Uint8Array {
  const dict = quietly(() => dcmjs().data.DicomMetaDictionary.denaturalizeDataset(readyForDcmjs(dataset)));
  const bytes = writeDict(dict, implicit, undefined, encapsulated, littleEndian);
  if (bytes) return bytes;
  // dcmjs writes text as UTF-8 too, and says so no more than the dict writer would by itself.
  const exact = littleEndian ? withExactBulk(dict, !encapsulated) : withSwappedWords(withExactBulk(dict, true));
  return dcmjsWrite(hasNonAsciiText(exact) ? withUtf8Declared(exact) : exact, syntax, littleEndian);
}

/**
 * Split a Part 10 file into its File Meta Information and the encoded data set (PS3.10 §7.1),
 * without decoding the data set. Throws DimseError('DATASET_DECODE_FAILED') when it is not a
 * Part 10 file or the meta group lacks the transfer syntax / SOP class / SOP instance UIDs.
 */
export function readPart10(bytes: Uint8Array): Part10 {
  const { datasetOffset, ...identity } = readPart10Identity(bytes);
  const meta = decodeDataset(bytes.subarray(132, datasetOffset), TransferSyntax.ExplicitVRLittleEndian);
  return { meta, ...identity, dataset: bytes.subarray(datasetOffset) };
}

// The services load this module on first need (lazy.ts); importing it directly also counts.
provideCodec({ encodeDataset, encodeDatasetForSending, decodeDataset, readPart10 });
