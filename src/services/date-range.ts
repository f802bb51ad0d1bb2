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

/** One value, and a range (`a-b`, `a-`, `-b`), per VR: compiled once, used per candidate. */
const ONE: Record<TemporalVr, RegExp> = { DA: whole(VALUE.DA), TM: whole(VALUE.TM), DT: whole(VALUE.DT) };
const RANGE: Record<TemporalVr, RegExp> = { DA: rangeOf(VALUE.DA), TM: rangeOf(VALUE.TM), DT: rangeOf(VALUE.DT) };
function whole(value: string): RegExp {
  return new RegExp(`^${value}$`);
}
function rangeOf(value: string): RegExp {
  return new RegExp(`^(${value})?-(${value})?$`);
}

/**
 * Digits of a temporal value, padded to full width: with '0' (start of the period) or, for an
 * upper bound, with '9' (end of it; lexical order still holds because every real value is
 * smaller). Returns null when the value is not of the VR's form.
 */
export function temporalKey(vr: TemporalVr, value: string, upper = false): string | null {
  const text = value.trim();
  if (!ONE[vr].test(text)) return null;
  if (vr === 'DA') return text.replace(/\./g, '');
  // A DT UTC offset does not take part: candidates and bounds are compared as written.
  const body = (vr === 'DT' ? text.replace(/[+-]\d{4}$/, '') : text).replace(/:/g, '');
  const [whole = '', fraction = ''] = body.split('.');
  const fill = upper ? '9' : '0';
  return whole.padEnd(WIDTH[vr] - 6, fill) + fraction.padEnd(6, fill);
}

/** Whether `query` is a range (`a-b`, `a-`, `-b`) rather than a single value, for the VR. */
export function isRange(vr: TemporalVr, query: string): boolean {
  const q = query.trim();
  return RANGE[vr].test(q) && q !== '-';
}

/**
 * Whether `candidate` matches `query` (PS3.4 C.2.2.2.5 range matching, inclusive on both ends;
 * C.2.2.2.1 single value matching otherwise, at the query's precision).
 */
export function matchTemporal(vr: TemporalVr, query: string, candidate: string): boolean {
  return temporalMatcher(vr, query)(candidate);
}

/**
 * {@link matchTemporal} with the query read once: the bounds are worked out here, and each
 * candidate then costs one key and two string comparisons.
 */
export function temporalMatcher(vr: TemporalVr, query: string): (candidate: string) => boolean {
  const q = query.trim();
  let lo: string | null;
  let hi: string | null;
  if (!isRange(vr, q)) {
    lo = temporalKey(vr, q);
    hi = temporalKey(vr, q, true);
    if (lo === null || hi === null) return () => false;
  } else {
    const parts = RANGE[vr].exec(q)!;
    lo = parts[1] ? temporalKey(vr, parts[1]) : null;
    hi = parts[2] ? temporalKey(vr, parts[2], true) : null;
  }
  return (candidate) => {
    const c = temporalKey(vr, candidate);
    return c !== null && (lo === null || lo <= c) && (hi === null || c <= hi);
  };
}

/** The first and last moment of a day as TM keys (HHMMSSFFFFFF): a date-time bound or candidate without a time. */
const DAY_START = '000000000000';
const DAY_END = '235959999999';

/**
 * Combined date-time range matching (PS3.4 C.2.2.2.5, with Extended Negotiation): a date range
 * and a time range given together for one date-time (Study Date and Study Time, a Scheduled
 * Procedure Step's start date and time) are one range, from the lower date at the lower time to
 * the upper date at the upper time; `20060705-20060707` with `1000-1800` is 5 July 10:00 to 7 July
 * 18:00, not 10:00-18:00 on each day. A missing time bound is the start (lower) or end (upper) of
 * its day, a missing date bound leaves that side open. A candidate without a time matches when any
 * moment of its day does. Both queries must be ranges ({@link isRange}); null otherwise.
 */
export function combinedDateTimeMatcher(dateQuery: string, timeQuery: string): ((date: string, time: string) => boolean) | null {
  if (!isRange('DA', dateQuery) || !isRange('TM', timeQuery)) return null;
  const [, dLo, dHi] = RANGE.DA.exec(dateQuery.trim())!;
  const [, tLo, tHi] = RANGE.TM.exec(timeQuery.trim())!;
  // Each bound given matched its VR's form (RANGE), so it has a key.
  const bound = (date: string | undefined, time: string | undefined, upper: boolean): string | null =>
    date ? temporalKey('DA', date, upper)! + (time ? temporalKey('TM', time, upper)! : upper ? DAY_END : DAY_START) : null;
  const lo = bound(dLo, tLo, false);
  const hi = bound(dHi, tHi, true);
  return (date, time) => {
    const d = temporalKey('DA', date);
    if (d === null) return false;
    const blank = time.trim() === '';
    const t = blank ? null : temporalKey('TM', time);
    if (!blank && t === null) return false;
    // Without a time, the candidate is its whole day: it matches when that day overlaps the range.
    const first = d + (t ?? DAY_START);
    const last = d + (t ?? DAY_END);
    return (lo === null || lo <= last) && (hi === null || first <= hi);
  };
}

