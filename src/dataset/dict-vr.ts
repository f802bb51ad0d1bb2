/**
 * The value representations the hand-written dict reader and writer handle (PS3.5 §6.2), by how
 * their bytes are laid out. Every other VR (UV, OL, OV, SV, dictionary placeholders like "ox" or
 * "xs") is left to dcmjs, and so is AT, except what each side handles itself: the reader a single
 * value, the writer values given as numbers.
 */

/** AE AS CS DA DS DT IS TM UR: one byte per character, backslash between values. */
export const ASCII = 1;
/** UI: like ASCII but padded with NUL, which the reader strips. */
export const UID = 2;
/** LO LT SH ST UC UT: text in the data set's character set (written as UTF-8, as dcmjs does). */
export const TEXT = 3;
/** PN: text, trailing pad space stripped, parsed into { Alphabetic, Ideographic, Phonetic }. */
export const PERSON_NAME = 4;
/** US SS UL SL FL FD: fixed-size numbers in the syntax's byte order. */
export const NUMBER = 5;
/** OB OW OF OD (and UN, read only) with a defined length: the value bytes as one ArrayBuffer. */
export const BYTES = 6;
/** SQ: items, each a nested data set. */
export const SEQUENCE = 7;

export type Kind = typeof ASCII | typeof UID | typeof TEXT | typeof PERSON_NAME | typeof NUMBER | typeof BYTES | typeof SEQUENCE;

export const KINDS: ReadonlyMap<string, Kind> = new Map<string, Kind>([
  ...['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'TM', 'UR'].map((vr) => [vr, ASCII] as const),
  ['UI', UID],
  ...['LO', 'LT', 'SH', 'ST', 'UC', 'UT'].map((vr) => [vr, TEXT] as const),
  ['PN', PERSON_NAME],
  ...['US', 'SS', 'UL', 'SL', 'FL', 'FD'].map((vr) => [vr, NUMBER] as const),
  ...['OB', 'OW', 'OF', 'OD', 'UN'].map((vr) => [vr, BYTES] as const),
  ['SQ', SEQUENCE],
]);

/**
 * VRs with a 2-byte reserved field and a 32-bit length in Explicit VR, as dcmjs 0.52 lists them
 * (its `length32VRs`; PS3.5 Table 7.1-1 also has OL, OV, SV, which dcmjs reads as UN).
 */
export const LENGTH32 = new Set(['OB', 'OW', 'OF', 'SQ', 'UC', 'UR', 'UT', 'UN', 'OD', 'UV']);

/** Byte size and DataView accessors of the NUMBER VRs, in either byte order. */
export const NUMBERS: ReadonlyMap<string, { size: number; get: (dv: DataView, off: number, le: boolean) => number; set: (dv: DataView, off: number, v: number, le: boolean) => void }> = new Map([
  ['US', { size: 2, get: (dv, o, le) => dv.getUint16(o, le), set: (dv, o, v, le) => dv.setUint16(o, v, le) }],
  ['SS', { size: 2, get: (dv, o, le) => dv.getInt16(o, le), set: (dv, o, v, le) => dv.setInt16(o, v, le) }],
  ['UL', { size: 4, get: (dv, o, le) => dv.getUint32(o, le), set: (dv, o, v, le) => dv.setUint32(o, v, le) }],
  ['SL', { size: 4, get: (dv, o, le) => dv.getInt32(o, le), set: (dv, o, v, le) => dv.setInt32(o, v, le) }],
  ['FL', { size: 4, get: (dv, o, le) => dv.getFloat32(o, le), set: (dv, o, v, le) => dv.setFloat32(o, v, le) }],
  ['FD', { size: 8, get: (dv, o, le) => dv.getFloat64(o, le), set: (dv, o, v, le) => dv.setFloat64(o, v, le) }],
]);

/** dcmjs's "8-hex-digit, upper case" tag key (Tag.toCleanString). */
export function tagKey(tag: number): string {
  return (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** Text VRs that hold one value (PS3.5 §6.4): a backslash in them is text, not a delimiter. */
export const SINGLE_VALUED_TEXT: ReadonlySet<string> = new Set(['LT', 'ST', 'UT', 'UR']);

/** Text VRs whose values' leading and trailing spaces are padding (PS3.5 Table 6.2-1). */
export const PADDED_TEXT: ReadonlySet<string> = new Set(['AE', 'CS', 'LO', 'SH']);

/**
 * `values` with each string that holds backslashes split into the values they delimit, for a
 * multi-valued string VR: `'ORIGINAL\\PRIMARY\\AXIAL'` is three CS values, each checked against
 * the VR's length limit on its own (dcmjs checks the whole text and cuts it to the limit).
 * The same array when no string has a backslash.
 */
export function splitValues(values: readonly unknown[]): readonly unknown[] {
  // A loop, not some(): this runs for every string element of every data set encoded.
  let i = 0;
  while (i < values.length && !(typeof values[i] === 'string' && (values[i] as string).includes('\\'))) i++;
  if (i === values.length) return values;
  return values.flatMap((v) => (typeof v === 'string' ? v.split('\\') : [v]));
}
