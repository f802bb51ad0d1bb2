/**
 * A structural pre-check of an encoded data set (PS3.5 §7.1, §7.5): every element, item and
 * delimiter must fit in the buffer. dcmjs silently truncates values that overrun the input,
 * which would turn a truncated network message into wrong data instead of an error.
 * Walks element headers only (values are skipped by length), never bytes of bulk data.
 */
import { DimseError } from '../errors';

// VRs with a 2-byte reserved field and a 32-bit length in Explicit VR (PS3.5 §7.1.2).
export const LONG_VRS: ReadonlySet<string> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED = 0xffffffff;
const MAX_DEPTH = 64;

function fail(message: string): never {
  throw new DimseError('DATASET_DECODE_FAILED', message);
}

/** Throws DimseError('DATASET_DECODE_FAILED') when an element, item or delimiter overruns `bytes`. */
export function checkStructure(bytes: Uint8Array, explicitVr: boolean, littleEndian: boolean): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number): number => dv.getUint16(o, littleEndian);
  const u32 = (o: number): number => dv.getUint32(o, littleEndian);
  const need = (off: number, n: number, what: string): void => {
    if (off + n > bytes.length) fail(`data set truncated: ${what} at offset ${off} needs ${n} bytes, ${bytes.length - off} left`);
  };

  // Elements from `off` to `end`; with `untilItemEnd`, stop after an Item Delimitation Item.
  // `explicit` is false inside a UN value of undefined length (Implicit VR LE, PS3.5 §6.2.2).
  const elements = (off: number, end: number, untilItemEnd: boolean, depth: number, explicit: boolean): number => {
    if (depth > MAX_DEPTH) fail(`data set nests sequences deeper than ${MAX_DEPTH}`);
    while (off < end) {
      need(off, 8, 'element header');
      const group = u16(off);
      const element = u16(off + 2);
      if (group === 0xfffe) {
        if (untilItemEnd && element === 0xe00d) return off + 8;
        fail(`unexpected item tag (FFFE,${element.toString(16).toUpperCase()}) at offset ${off}`);
      }
      let length: number;
      let header = 8;
      let vr = '';
      if (explicit) {
        vr = String.fromCharCode(bytes[off + 4]!, bytes[off + 5]!);
        if (LONG_VRS.has(vr)) {
          need(off, 12, 'element header');
          length = u32(off + 8);
          header = 12;
        } else {
          length = u16(off + 6);
        }
      } else {
        length = u32(off + 4);
      }
      const start = off + header;
      if (length === UNDEFINED) {
        off = items(start, end, depth + 1, true, explicit && vr !== 'UN');
      } else {
        if (length > end - start) fail(`element at offset ${off}: length ${length} overruns the data set`);
        if (vr === 'SQ') items(start, start + length, depth + 1, false, explicit);
        off = start + length;
      }
    }
    if (untilItemEnd) fail('data set ends inside an item of undefined length');
    return off;
  };

  // Items (of a sequence or of encapsulated pixel data) until a Sequence Delimitation Item or `end`.
  const items = (off: number, end: number, depth: number, undefinedLength: boolean, explicit: boolean): number => {
    while (off < end) {
      need(off, 8, 'item header');
      const tag = (u16(off) << 16) | u16(off + 2);
      const length = u32(off + 4);
      if (tag === (0xfffee0dd | 0)) return off + 8;
      if (tag !== (0xfffee000 | 0)) fail(`expected an item at offset ${off}`);
      if (length === UNDEFINED) {
        off = elements(off + 8, end, true, depth, explicit);
      } else {
        if (length > end - off - 8) fail(`item at offset ${off}: length ${length} overruns the data set`);
        off += 8 + length;
      }
    }
    if (undefinedLength) fail('data set ends inside a sequence of undefined length');
    return off;
  };

  elements(0, bytes.length, false, 0, explicitVr);
}
