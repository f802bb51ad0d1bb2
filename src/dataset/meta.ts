/**
 * File Meta Information (group 0002) helpers for Part 10 files (PS3.10 §7.1, Table 7.1-1).
 * The meta group is always Explicit VR Little Endian; it is small, so it is written by hand.
 */
import { decodeAscii } from '../bytes/text';
import { DimseError } from '../errors';

/**
 * VRs with a 2-byte reserved field and a 32-bit length in Explicit VR (PS3.5 §7.1.2), as numbers
 * (first char << 8 | second).
 */
const LONG_VR_CODES = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV'].map((vr) => (vr.charCodeAt(0) << 8) | vr.charCodeAt(1)));

/**
 * Calls `visit` with each group 0002 element's number and value offset/length, from `start`, and
 * returns the offset just past the group (PS3.10 §7.1). Walks the element headers rather than
 * trusting (0002,0000); throws DimseError('DATASET_DECODE_FAILED') when an element overruns the buffer.
 * Runs once per file sent: no string per element (the VR is compared as a number).
 */
function walkMetaGroup(bytes: Uint8Array, start: number, visit: (element: number, valueStart: number, length: number) => void): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = start;
  while (off + 8 <= bytes.length && dv.getUint16(off, true) === 0x0002) {
    let length: number;
    let header: number;
    if (LONG_VR_CODES.has((bytes[off + 4]! << 8) | bytes[off + 5]!)) {
      if (off + 12 > bytes.length) break;
      length = dv.getUint32(off + 8, true);
      header = 12;
    } else {
      length = dv.getUint16(off + 6, true);
      header = 8;
    }
    if (length > bytes.length - off - header) {
      throw new DimseError('DATASET_DECODE_FAILED', `File Meta Information element at offset ${off} overruns the file`);
    }
    visit(dv.getUint16(off + 2, true), off + header, length);
    off += header + length;
  }
  if (off === start) throw new DimseError('DATASET_DECODE_FAILED', 'Part 10 file has no File Meta Information');
  return off;
}

/** What a sender needs from a Part 10 file's meta group: its identity and where the data set starts. */
export interface Part10Identity {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  /** Offset of the data set in `bytes` (just past the meta group). */
  readonly datasetOffset: number;
}

/** "DICM" at offset 128 of a Part 10 file (PS3.10 §7.1). */
export const PART10_PREFIX = [0x44, 0x49, 0x43, 0x4d];

/**
 * The SOP class, instance and transfer syntax of a Part 10 file from the start of its bytes
 * (preamble, "DICM", meta group), read by hand: senders that pass data sets through need nothing
 * else, and so never load the data set codec. Throws DimseError('DATASET_DECODE_FAILED') as
 * `readPart10` does (no prefix, no meta group, an element that overruns `bytes`, a missing UID).
 */
export function readPart10Identity(bytes: Uint8Array): Part10Identity {
  if (!hasPart10Prefix(bytes)) {
    throw new DimseError('DATASET_DECODE_FAILED', 'not a DICOM Part 10 file: no "DICM" prefix at offset 128');
  }
  let sopClassUid = '';
  let sopInstanceUid = '';
  let transferSyntaxUid = '';
  const datasetOffset = walkMetaGroup(bytes, 132, (element, start, length) => {
    if (element === 0x0002) sopClassUid = uidText(bytes, start, start + length);
    else if (element === 0x0003) sopInstanceUid = uidText(bytes, start, start + length);
    else if (element === 0x0010) transferSyntaxUid = uidText(bytes, start, start + length);
  });
  return {
    sopClassUid: sopClassUid || missing('MediaStorageSOPClassUID'),
    sopInstanceUid: sopInstanceUid || missing('MediaStorageSOPInstanceUID'),
    transferSyntaxUid: transferSyntaxUid || missing('TransferSyntaxUID'),
    datasetOffset,
  };
}

/** "DICM" at offset 128 (an indexed loop: this runs once per file sent, mostly unoptimised). */
function hasPart10Prefix(bytes: Uint8Array): boolean {
  if (bytes.length < 132) return false;
  for (let i = 0; i < PART10_PREFIX.length; i++) if (bytes[128 + i] !== PART10_PREFIX[i]) return false;
  return true;
}

function missing(keyword: string): never {
  throw new DimseError('DATASET_DECODE_FAILED', `Part 10 File Meta Information has no ${keyword}`);
}

/** The UI value in `bytes[start, end)` without its padding (NUL, or a space from non-conformant writers). */
function uidText(bytes: Uint8Array, start: number, end: number): string {
  while (end > start && (bytes[end - 1] === 0 || bytes[end - 1] === 0x20)) end--;
  while (start < end && bytes[start] === 0x20) start++;
  return decodeAscii(bytes.subarray(start, end));
}

const encoder = new TextEncoder();

/** A value's bytes: the string's own char codes when it is ASCII (UIDs, usually every value), else UTF-8. */
function valueBytes(value: string): string | Uint8Array {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return encoder.encode(value);
  return value;
}

/** The value's length padded to even (PS3.5 §7.1.1). */
const paddedLength = (value: string | Uint8Array) => value.length + (value.length & 1);

/** Writes an Explicit VR LE group 0002 element with a 16-bit length at `at`; value padded to even length (UI with NUL, others space). Returns the end. */
function putShortElement(out: Uint8Array, at: number, element: number, vr: string, value: string | Uint8Array): number {
  const padded = paddedLength(value);
  out[at] = 0x02;
  out[at + 2] = element & 0xff;
  out[at + 3] = element >> 8;
  out[at + 4] = vr.charCodeAt(0);
  out[at + 5] = vr.charCodeAt(1);
  out[at + 6] = padded & 0xff;
  out[at + 7] = padded >> 8;
  if (typeof value === 'string') for (let i = 0; i < value.length; i++) out[at + 8 + i] = value.charCodeAt(i);
  else out.set(value, at + 8);
  if (padded > value.length) out[at + 8 + value.length] = vr === 'UI' ? 0x00 : 0x20;
  return at + 8 + padded;
}

/** The values `encodeMetaGroup` writes (PS3.10 Table 7.1-1). */
export interface MetaValues {
  MediaStorageSOPClassUID: string;
  MediaStorageSOPInstanceUID: string;
  TransferSyntaxUID: string;
  ImplementationClassUID: string;
  ImplementationVersionName?: string;
  SourceApplicationEntityTitle?: string;
}

/** (0002,0000) UL, length 4; the value follows. */
const GROUP_LENGTH_HEADER = new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x55, 0x4c, 0x04, 0x00]);
/** (0002,0001) OB, 2 reserved bytes, length 2, value 00 01. */
const VERSION_ELEMENT = new Uint8Array([0x02, 0x00, 0x01, 0x00, 0x4f, 0x42, 0, 0, 2, 0, 0, 0, 0x00, 0x01]);

/**
 * Encode the File Meta Information group, (0002,0000) group length first (PS3.10 Table 7.1-1),
 * measured first and written into one array (a fresh ArrayBuffer costs more than the encoding).
 * Straight-line code, no tuples or iteration: it runs once per stored file, mostly before V8
 * optimises it, and a smaller function costs less to optimise (its compile took ~30-50 ms of an
 * SCP's 500-file run in the older form).
 */
export function encodeMetaGroup(v: MetaValues): Uint8Array {
  const sopClass = valueBytes(v.MediaStorageSOPClassUID);
  const sopInstance = valueBytes(v.MediaStorageSOPInstanceUID);
  const syntax = valueBytes(v.TransferSyntaxUID);
  const implementation = valueBytes(v.ImplementationClassUID);
  const version = v.ImplementationVersionName ? valueBytes(v.ImplementationVersionName) : undefined;
  const source = v.SourceApplicationEntityTitle ? valueBytes(v.SourceApplicationEntityTitle) : undefined;
  // (0002,0001) File Meta Information Version, then each element: an 8-byte header and its padded value.
  const groupLength =
    VERSION_ELEMENT.length +
    4 * 8 + // the headers of the four UI elements always written
    paddedLength(sopClass) +
    paddedLength(sopInstance) +
    paddedLength(syntax) +
    paddedLength(implementation) +
    (version === undefined ? 0 : 8 + paddedLength(version)) +
    (source === undefined ? 0 : 8 + paddedLength(source));
  const out = new Uint8Array(12 + groupLength);
  out.set(GROUP_LENGTH_HEADER);
  out[8] = groupLength & 0xff;
  out[9] = (groupLength >>> 8) & 0xff;
  out[10] = (groupLength >>> 16) & 0xff;
  out[11] = groupLength >>> 24;
  out.set(VERSION_ELEMENT, 12);
  let at = 12 + VERSION_ELEMENT.length;
  at = putShortElement(out, at, 0x0002, 'UI', sopClass);
  at = putShortElement(out, at, 0x0003, 'UI', sopInstance);
  at = putShortElement(out, at, 0x0010, 'UI', syntax);
  at = putShortElement(out, at, 0x0012, 'UI', implementation);
  if (version !== undefined) at = putShortElement(out, at, 0x0013, 'SH', version);
  if (source !== undefined) putShortElement(out, at, 0x0016, 'AE', source);
  return out;
}
