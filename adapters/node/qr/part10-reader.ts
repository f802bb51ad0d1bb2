/**
 * Reading Part 10 files (PS3.10 §7.1) for the Query/Retrieve SCP: the identity from the File Meta
 * Information and the attributes before Pixel Data for the index (bulk data is never read).
 */
import { decodeDataset, readPart10, type Dataset } from '../../../src/dataset/codec';
import { transferSyntax } from '../../../src/uids/transfer-syntax';
import { withFile, type FileIoOptions } from '../sync-read';

/** A file's identity and where its data set starts. */
export interface Part10Info {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  readonly datasetOffset: number;
}

const FIRST_READ = 64 * 1024;
/** Top-level tags from here on are bulk data (Pixel Data and trailing padding), not indexed. */
const BULK_FROM = 0x7fe00010;
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/**
 * Reads the identity of a Part 10 file and its attributes up to Pixel Data, reading the file
 * in growing pieces until the attributes before the bulk data are complete.
 * Throws when the file is not Part 10 or the data set cannot be decoded.
 * Reads synchronously unless `options.io` is `'async'` ({@link FileIoOptions.io}).
 */
export async function readForIndex(file: string, options: FileIoOptions = {}): Promise<{ info: Part10Info; attributes: Dataset }> {
  return withFile(file, options.io, async (f) => {
    const { size, mtimeMs } = f;
    for (let want = Math.min(size, FIRST_READ); ; want = Math.min(size, want * 4)) {
      const bytes = new Uint8Array(want);
      const bytesRead = await f.read(bytes, 0);
      const head = bytes.subarray(0, bytesRead);
      let p;
      try {
        p = readPart10(head);
      } catch (error) {
        if (want < size && /overruns/.test(String(error))) continue;
        throw error;
      }
      const info: Part10Info = {
        path: file,
        size,
        mtimeMs,
        sopClassUid: p.sopClassUid,
        sopInstanceUid: p.sopInstanceUid,
        transferSyntaxUid: p.transferSyntaxUid,
        datasetOffset: bytesRead - p.dataset.byteLength,
      };
      const ts = transferSyntax(p.transferSyntaxUid);
      // A deflated data set has no element structure on disk: decode it whole.
      if (ts?.deflated) {
        if (want < size) continue;
        return { info, attributes: decodeDataset(p.dataset, p.transferSyntaxUid) };
      }
      const end = bulkOffset(p.dataset, ts?.explicitVr ?? true, ts?.littleEndian ?? true, want >= size);
      if (end === null) continue;
      return { info, attributes: decodeDataset(p.dataset.subarray(0, end), p.transferSyntaxUid) };
    }
  });
}

/**
 * The offset of the first top-level element at or past Pixel Data, or the end of `bytes` when
 * it is complete; null when `bytes` ends before that point (read more). Walks headers only.
 */
export function bulkOffset(bytes: Uint8Array, explicitVr: boolean, littleEndian: boolean, complete: boolean): number | null {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => dv.getUint16(o, littleEndian);
  const u32 = (o: number) => dv.getUint32(o, littleEndian);
  // Skips items of an undefined-length sequence: returns the offset past its delimiter, or null.
  const skipUndefined = (off: number): number | null => {
    let depth = 1;
    while (depth > 0) {
      if (off + 8 > bytes.length) return null;
      const group = u16(off);
      const element = u16(off + 2);
      if (group === 0xfffe) {
        const length = u32(off + 4);
        if (element === 0xe0dd || element === 0xe00d) depth--;
        else if (length === 0xffffffff) depth++;
        else off += length; // an item of known length: skip its content
        off += 8;
        continue;
      }
      const h = header(off);
      if (h === null) return null;
      off = h.start;
      if (h.length === 0xffffffff) depth++;
      else off += h.length;
    }
    return off;
  };
  const header = (off: number): { start: number; length: number } | null => {
    if (off + 8 > bytes.length) return null;
    if (!explicitVr) return { start: off + 8, length: u32(off + 4) };
    const vr = String.fromCharCode(bytes[off + 4]!, bytes[off + 5]!);
    if (!LONG_VRS.has(vr)) return { start: off + 8, length: u16(off + 6) };
    if (off + 12 > bytes.length) return null;
    return { start: off + 12, length: u32(off + 8) };
  };
  let off = 0;
  while (off < bytes.length) {
    if (off + 4 > bytes.length) return complete ? off : null;
    const tag = ((u16(off) << 16) | u16(off + 2)) >>> 0;
    if (tag >= BULK_FROM) return off;
    const h = header(off);
    if (h === null) return complete ? off : null;
    if (h.length === 0xffffffff) {
      const next = skipUndefined(h.start);
      if (next === null) return complete ? off : null;
      off = next;
    } else {
      if (h.start + h.length > bytes.length) return complete ? off : null;
      off = h.start + h.length;
    }
  }
  return off;
}
