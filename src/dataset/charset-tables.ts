/**
 * Encoding tables for the character sets a data set may name, built from the web platform's
 * TextDecoders (there are no TextEncoders for anything but UTF-8): each table maps a Unicode code
 * point to the bytes the decoder reads as it, so text written with it reads back through the very
 * decoders the readers use. Built on first use (well under a millisecond each; GBK a few) and kept.
 */

/** Code point → byte (single-byte sets) or two bytes as `lead << 8 | trail`. */
export type CharsetTable = ReadonlyMap<number, number>;

/** Inclusive byte ranges. */
export type Ranges = readonly (readonly [number, number])[];

const tables = new Map<string, CharsetTable>();

function cached(key: string, build: () => Map<number, number>): CharsetTable {
  let table = tables.get(key);
  if (!table) tables.set(key, (table = build()));
  return table;
}

const REPLACEMENT = 0xfffd;

/**
 * `codes` (each `step` bytes of `bytes`) decoded with `label`, in one call: code point → code for
 * each that reads as one character beyond ASCII (the first code wins). Codes the decoder does not
 * know read as U+FFFD and are left out. Should the decoder split a code (an ASCII byte after an
 * unknown lead), the counts differ and each code is decoded on its own instead.
 */
function decodedTable(label: string, codes: readonly number[], bytes: Uint8Array, step: number): Map<number, number> {
  const decoder = new TextDecoder(label);
  const table = new Map<number, number>();
  const keep = (c: number, code: number): void => {
    if (c !== REPLACEMENT && c >= 0x80 && !table.has(c)) table.set(c, code);
  };
  const text = decoder.decode(bytes);
  if (text.length === codes.length) {
    for (let i = 0; i < codes.length; i++) keep(text.charCodeAt(i), codes[i]!);
  } else {
    for (let i = 0; i < codes.length; i++) {
      const one = decoder.decode(bytes.subarray(i * step, (i + 1) * step));
      if (one.length === 1) keep(one.charCodeAt(0), codes[i]!);
    }
  }
  return table;
}

/**
 * The graphic characters of an 8-bit set at bytes `from`..`to` (A0H–FFH for ISO 8859, fewer for
 * others), read with the TextDecoder `label`. C1 controls (80H–9FH) are left out on purpose: the
 * decoders for 'latin1' and 'iso-8859-9' are windows-125x, which read them as other characters.
 */
export function singleByteTable(label: string, from = 0xa0, to = 0xff): CharsetTable {
  return cached(`${label}:${from}-${to}`, () => {
    const codes = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    return decodedTable(label, codes, Uint8Array.from(codes), 1);
  });
}

/**
 * A two-byte set: every `lead`, `trail` pair (optionally after a `prefix` byte, as JIS X 0212
 * follows 8FH in EUC-JP), as `lead << 8 | trail`.
 */
export function doubleByteTable(label: string, leads: Ranges, trails: Ranges, prefix?: number): CharsetTable {
  return cached(`${label}:${prefix ?? ''}:${leads.join(';')}:${trails.join(';')}`, () => {
    const pairs: number[] = [];
    for (const [firstLead, lastLead] of leads) {
      for (let lead = firstLead; lead <= lastLead; lead++) {
        for (const [firstTrail, lastTrail] of trails) for (let trail = firstTrail; trail <= lastTrail; trail++) pairs.push((lead << 8) | trail);
      }
    }
    const step = prefix === undefined ? 2 : 3;
    const bytes = new Uint8Array(pairs.length * step);
    for (let i = 0, o = 0; i < pairs.length; i++, o += step) {
      if (prefix !== undefined) bytes[o] = prefix;
      bytes[o + step - 2] = pairs[i]! >> 8;
      bytes[o + step - 1] = pairs[i]! & 0xff;
    }
    return decodedTable(label, pairs, bytes, step);
  });
}

/**
 * GB18030's four-byte codes for the Basic Multilingual Plane (first byte 81H–84H, then 30H–39H,
 * 81H–FEH, 30H–39H): code point → the four bytes as one unsigned 32-bit number. Together with
 * the two-byte codes they cover every BMP character; the other planes follow a formula.
 */
export function gb18030FourByteTable(): CharsetTable {
  return cached('gb18030:4', () => {
    const codes: number[] = [];
    for (let b1 = 0x81; b1 <= 0x84; b1++) {
      for (let b2 = 0x30; b2 <= 0x39; b2++) {
        for (let b3 = 0x81; b3 <= 0xfe; b3++) for (let b4 = 0x30; b4 <= 0x39; b4++) codes.push(((b1 << 24) | (b2 << 16) | (b3 << 8) | b4) >>> 0);
      }
    }
    const bytes = new Uint8Array(codes.length * 4);
    const view = new DataView(bytes.buffer);
    codes.forEach((code, i) => view.setUint32(i * 4, code));
    return decodedTable('gb18030', codes, bytes, 4);
  });
}
