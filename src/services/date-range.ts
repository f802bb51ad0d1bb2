/**
 * Single value and range matching of dates, times and date-times (PS3.4 C.2.2.2.1, C.2.2.2.5).
 * Values are compared as fixed-width digit strings: a bound or candidate given with less
 * precision than the full form stands for the start of its period, except an upper bound, which
 * stands for the end of it (`-2020` includes every day of 2020).
 */

export type TemporalVr = 'DA' | 'TM' | 'DT';

/** Digits in the full form (fraction included, separators dropped): YYYYMMDD, HHMMSSFFFFFF, YYYYMMDDHHMMSSFFFFFF. */
const WIDTH: Record<TemporalVr, number> = { DA: 8, TM: 12, DT: 20 };

/** One value: DA digits (old 'YYYY.MM.DD' accepted), TM with optional fraction (old 'HH:MM:SS' accepted), DT with optional offset. */
const VALUE: Record<TemporalVr, string> = {
  DA: String.raw`\d{4}\.?\d{2}\.?\d{2}`,
  TM: String.raw`\d{2}(?::?\d{2}(?::?\d{2}(?:\.\d{1,6})?)?)?`,
  DT: String.raw`\d{4}(?:\d{2}){0,5}(?:\.\d{1,6})?(?:[+-]\d{4})?`,
};

/**
 * Digits of a temporal value, padded to full width: with '0' (start of the period) or, for an
 * upper bound, with '9' (end of it; lexical order still holds because every real value is
 * smaller). Returns null when the value is not of the VR's form.
 */
export function temporalKey(vr: TemporalVr, value: string, upper = false): string | null {
  const text = value.trim();
  if (!new RegExp(`^${VALUE[vr]}$`).test(text)) return null;
  if (vr === 'DA') return text.replace(/\./g, '');
  // A DT UTC offset does not take part: candidates and bounds are compared as written.
  const body = (vr === 'DT' ? text.replace(/[+-]\d{4}$/, '') : text).replace(/:/g, '');
  const [whole = '', fraction = ''] = body.split('.');
  const fill = upper ? '9' : '0';
  return whole.padEnd(WIDTH[vr] - 6, fill) + fraction.padEnd(6, fill);
}

/** Whether `query` is a range (`a-b`, `a-`, `-b`) rather than a single value, for the VR. */
export function isRange(vr: TemporalVr, query: string): boolean {
  return new RegExp(`^(?:${VALUE[vr]})?-(?:${VALUE[vr]})?$`).test(query.trim()) && query.trim() !== '-';
}

/**
 * Whether `candidate` matches `query` (PS3.4 C.2.2.2.5 range matching, inclusive on both ends;
 * C.2.2.2.1 single value matching otherwise, at the query's precision).
 */
export function matchTemporal(vr: TemporalVr, query: string, candidate: string): boolean {
  const c = temporalKey(vr, candidate);
  if (c === null) return false;
  const q = query.trim();
  if (!isRange(vr, q)) {
    const lo = temporalKey(vr, q);
    const hi = temporalKey(vr, q, true);
    return lo !== null && hi !== null && lo <= c && c <= hi;
  }
  const parts = new RegExp(`^(${VALUE[vr]})?-(${VALUE[vr]})?$`).exec(q)!;
  const lo = parts[1] ? temporalKey(vr, parts[1]) : null;
  const hi = parts[2] ? temporalKey(vr, parts[2], true) : null;
  return (lo === null || lo <= c) && (hi === null || c <= hi);
}
