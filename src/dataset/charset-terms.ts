/**
 * The defined terms of a single-valued Specific Character Set (0008,0005) (PS3.3 Table C.12-2,
 * C.12-4 for value 1 of code extensions, C.12-5 for GB18030/GBK): the TextDecoder each is read
 * with, and the bytes beyond ASCII text may be written in. Keyed as dcmjs keys them (value
 * lower-cased, `_` and space → `-`), with dcmjs's decoders (the WHATWG ones: 'latin1' and
 * 'iso-8859-9' are windows-1252 and -1254, the same as ISO 8859 from A0H up), so a data set reads
 * the same through either reader.
 */

export interface CharsetTerm {
  /** The TextDecoder label. */
  readonly decoder: string;
  /** Bytes A0H–FFH (or `range`) of an 8-bit set; 'double' for GBK's two-byte codes; none for UTF-8. */
  readonly range?: readonly [number, number] | 'double';
}

const ISO_8859 = [0xa0, 0xff] as const;

const SETS: Readonly<Record<string, CharsetTerm>> = {
  '': { decoder: 'iso-8859-1' },
  'iso-ir-6': { decoder: 'iso-8859-1' },
  'iso-ir-192': { decoder: 'utf-8' },
  'iso-ir-100': { decoder: 'latin1', range: ISO_8859 },
  'iso-ir-101': { decoder: 'iso-8859-2', range: ISO_8859 },
  'iso-ir-109': { decoder: 'iso-8859-3', range: ISO_8859 },
  'iso-ir-110': { decoder: 'iso-8859-4', range: ISO_8859 },
  'iso-ir-144': { decoder: 'iso-8859-5', range: ISO_8859 },
  'iso-ir-127': { decoder: 'iso-8859-6', range: ISO_8859 },
  'iso-ir-126': { decoder: 'iso-8859-7', range: ISO_8859 },
  'iso-ir-138': { decoder: 'iso-8859-8', range: ISO_8859 },
  'iso-ir-148': { decoder: 'iso-8859-9', range: ISO_8859 },
  'iso-ir-203': { decoder: 'iso-8859-15', range: ISO_8859 },
  'iso-ir-166': { decoder: 'tis-620', range: [0xa1, 0xfb] }, // TIS 620-2533 (Thai)
  'iso-ir-13': { decoder: 'shift_jis', range: [0xa1, 0xdf] }, // JIS X 0201 half-width katakana
  gb18030: { decoder: 'gb18030', range: 'double' },
  gbk: { decoder: 'gbk', range: 'double' },
};

/** `ISO 2022 IR 100` as value 1 alone means what `ISO_IR 100` means (no escapes are used). */
for (const key of Object.keys(SETS)) if (key.startsWith('iso-ir-') && key !== 'iso-ir-192') (SETS as Record<string, CharsetTerm>)[key.replace('iso-ir-', 'iso-2022-ir-')] = SETS[key]!;

/** dcmjs's key for a (0008,0005) value. */
export function charsetKey(term: string): string {
  return term.replace(/[_ ]/g, '-').toLowerCase();
}

/** What a single-valued (0008,0005) term names, or undefined if it is no defined term. */
export function charsetTerm(term: string): CharsetTerm | undefined {
  return SETS[charsetKey(term.trim())];
}
