/**
 * Bulk values (OB, OW, OF, OD, OL, OV, UN) as netdicom's API has them: ArrayBuffers or any view of
 * one (a Uint8Array, a Node Buffer, a subarray), several values of a native element meaning one
 * joined value, and OW/OF/OD in little-endian byte order whatever the syntax. dcmjs's writer takes
 * a view's whole ArrayBuffer from its start and only the first of several values, and it reads and
 * writes a Big Endian data set's bytes as they stand: the element dictionaries it gets and gives
 * pass through here. The dict writer reads views itself (bytesOf).
 */
import type { DcmjsDict } from 'dcmjs';
import { concatChunks } from '../dimse/dataset-source';

/** Bulk VRs, and 'ox' (the dictionary's "OB or OW", which dcmjs writes as OW). */
const BULK_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'UN', 'ox']);

/** Bytes per word of the bulk VRs whose byte order follows the transfer syntax (PS3.5 §7.3). */
const WORD_SIZES: Readonly<Record<string, number>> = { OW: 2, ox: 2, OF: 4, OL: 4, OD: 8, OV: 8 };

/** A value part's bytes, exactly those of the view; undefined when it is no ArrayBuffer or view. */
export function bytesOf(part: unknown): Uint8Array | undefined {
  if (part instanceof ArrayBuffer) return new Uint8Array(part);
  if (ArrayBuffer.isView(part)) return new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
  return undefined;
}

/** An ArrayBuffer holding exactly `bytes` (dcmjs reads `view.buffer` whole, ignoring the view's offset). */
export function exactBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer;
  }
  // Uint8Array.prototype.slice copies; a Node Buffer's own slice() would share its (pooled) memory.
  return Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer;
}

/**
 * `dict` with every bulk value an ArrayBuffer of exactly its bytes, and in a native encoding
 * (`native`) several values joined into one, for dcmjs's writer.
 */
export function withExactBulk(dict: DcmjsDict, native: boolean): DcmjsDict {
  return mapValues(dict, (vr, value) => {
    if (!BULK_VRS.has(vr) || !((native && value.length > 1) || value.some((part) => ArrayBuffer.isView(part)))) return undefined;
    const parts = value.map((part) => bytesOf(part) ?? part);
    if (native && parts.length > 1 && parts.every((p) => p instanceof Uint8Array)) return [exactBuffer(concatChunks(parts as Uint8Array[]))];
    return parts.map((p) => (p instanceof Uint8Array ? exactBuffer(p) : p));
  });
}

/**
 * `dict` with every OW, OF, OL, OD and OV value in the other byte order, as new ArrayBuffers:
 * dcmjs's results for a Big Endian data set, and what it is given to write one.
 */
export function withSwappedWords(dict: DcmjsDict): DcmjsDict {
  return mapValues(dict, (vr, value) => {
    const size = WORD_SIZES[vr];
    if (!size || value.length === 0) return undefined;
    return value.map((part) => {
      const bytes = bytesOf(part);
      return bytes ? swapped(bytes, size) : part;
    });
  });
}

/**
 * `dict` with each non-sequence element's Value replaced by what `change` gives for it (undefined:
 * unchanged), in items too. Copies only what changes: `dict` may share arrays with a caller's data set.
 */
function mapValues(dict: DcmjsDict, change: (vr: string, value: unknown[]) => unknown[] | undefined): DcmjsDict {
  let out = dict;
  for (const key of Object.keys(dict)) {
    const element = dict[key]!;
    const value = element.Value;
    if (!Array.isArray(value)) continue;
    let next: unknown[] | undefined;
    if (element.vr === 'SQ') {
      const items = value.map((item: unknown) => (item && typeof item === 'object' ? mapValues(item as DcmjsDict, change) : item));
      if (items.some((item, i) => item !== value[i])) next = items;
    } else {
      next = change(element.vr, value);
    }
    if (!next) continue;
    if (out === dict) out = { ...dict };
    out[key] = { ...element, Value: next };
  }
  return out;
}

/**
 * The bytes of a Big Endian OW/OF/OL/OD/OV value given as `parts` in little-endian order: joined,
 * then each word swapped (an odd length padded first). Undefined for VRs without words.
 */
export function swappedWords(parts: readonly Uint8Array[], vr: string): Uint8Array[] | undefined {
  const size = WORD_SIZES[vr];
  if (!size || parts.length === 0) return undefined;
  return [new Uint8Array(swapped(concatChunks(parts), size))];
}

/**
 * A copy of `bytes` with each `size`-byte word reversed. An odd length gets its pad byte first, as
 * the writer would add it (so the pad stays last in little-endian order); a trailing partial word
 * stays as it is.
 */
function swapped(bytes: Uint8Array, size: number): ArrayBuffer {
  const to = new Uint8Array(bytes.length + (bytes.length & 1));
  to.set(bytes);
  const end = to.length - (to.length % size);
  for (let i = 0; i < end; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = to[a]!;
      to[a] = to[b]!;
      to[b] = t;
    }
  }
  return to.buffer;
}
