/**
 * Single value and range matching of dates, times and date-times (PS3.4 C.2.2.2.1, C.2.2.2.5).
 * DA and TM values are compared as fixed-width digit strings: a bound or candidate given with less
 * precision than the full form stands for the start of its period, except an upper bound, which
 * stands for the end of it (`-2020` includes every day of 2020). DT values are compared as moments
 * in time, their offsets from UTC taken into account ({@link temporalMatcher}).
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
 * Where the UTC offset of a DT value without one comes from (PS3.5 6.2 DT: such a value "is
 * interpreted to be in the local time zone of the application creating the Data Element, unless
 * explicitly specified by the Timezone Offset From UTC (0008,0201)"). The candidate's own
 * Timezone Offset From UTC is given per candidate, to the function {@link temporalMatcher} returns.
 */
export interface TemporalZones {
  /**
   * Timezone Offset From UTC (0008,0201) of the request identifier (`+0100`, `-0500`): the offset
   * of key values without one. PS3.4 C.2.2.2.5.4 lets an SCP use it for range matching whatever
   * else was negotiated; C.2.2.2.1.3 has it adjust DT values that specify no offset. Absent or
   * malformed: the key values are in local time.
   */
  readonly queryOffset?: string;
  /**
   * Local time as minutes east of UTC (60 for +0100), for values that have no offset of their own
   * nor a Timezone Offset From UTC. Default: the time zone of this process at that date and time.
   * Only used when such a value is compared with one in a known zone: two local times compare as
   * written.
   */
  readonly localOffset?: number;
}

/**
 * Digits of a temporal value, padded to full width: with '0' (start of the period) or, for an
 * upper bound, with '9' (end of it; lexical order still holds because every real value is
 * smaller). Returns null when the value is not of the VR's form. For DT these are the digits as
 * written, without the offset: DT matching compares moments ({@link temporalMatcher}), not these.
 */
export function temporalKey(vr: TemporalVr, value: string, upper = false): string | null {
  const text = value.trim();
  if (!ONE[vr].test(text)) return null;
  if (vr === 'DA') return text.replace(/\./g, '');
  const body = (vr === 'DT' ? text.replace(/[+-]\d{4}$/, '') : text).replace(/:/g, '');
  const [whole = '', fraction = ''] = body.split('.');
  const fill = upper ? '9' : '0';
  return whole.padEnd(WIDTH[vr] - 6, fill) + fraction.padEnd(6, fill);
}

/** Whether `query` is a range (`a-b`, `a-`, `-b`) rather than a single value, for the VR. */
export function isRange(vr: TemporalVr, query: string): boolean {
  const q = query.trim();
  if (!RANGE[vr].test(q) || q === '-') return false;
  // `20200615143015-0500` is one DT west of UTC, not a range to the year 0500; `2020-2021` stays a
  // range (-20:21 is no offset, PS3.5 6.2).
  return !(vr === 'DT' && ONE.DT.test(q) && moment(q, undefined) !== null);
}

/**
 * Whether `candidate` matches `query` (PS3.4 C.2.2.2.5 range matching, inclusive on both ends;
 * C.2.2.2.1 single value matching otherwise, at the query's precision). `candidateOffset`: the
 * Timezone Offset From UTC (0008,0201) of the candidate's data set, for a DT value without an offset.
 */
export function matchTemporal(vr: TemporalVr, query: string, candidate: string, zones: TemporalZones = {}, candidateOffset?: string): boolean {
  return temporalMatcher(vr, query, zones)(candidate, candidateOffset);
}

/**
 * {@link matchTemporal} with the query read once: the bounds are worked out here, and each
 * candidate then costs one key and two comparisons.
 *
 * DT values are matched as moments in time (PS3.4 C.2.2.2.5.3 a-c): the offset from UTC of a
 * value that has one is taken into account (C.2.2.2.5.3 d); a value without one is in the zone of
 * its data set's Timezone Offset From UTC (0008,0201) (`zones.queryOffset` for the key, the
 * returned function's `candidateOffset` for the candidate), or else in local time (PS3.5 6.2).
 * DA and TM values have no offset (C.2.2.2.5.2) and are compared as written: the adjustment of TM
 * by the query's Timezone Offset From UTC is optional (C.2.2.2.5.4 "may") and not made, as it
 * could carry a time range across midnight, which TM range matching does not support.
 */
export function temporalMatcher(vr: TemporalVr, query: string, zones: TemporalZones = {}): (candidate: string, candidateOffset?: string) => boolean {
  const q = query.trim();
  if (vr === 'DT') return dateTimeMatcher(q, zones);
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

/** The DT matcher of {@link temporalMatcher}: bounds and candidates as {@link Moment}s. */
function dateTimeMatcher(q: string, zones: TemporalZones): (candidate: string, candidateOffset?: string) => boolean {
  const zone = utcOffset(zones.queryOffset);
  let lo: Moment | null;
  let hi: Moment | null;
  if (!isRange('DT', q)) {
    // Single value matching (C.2.2.2.1.3): by meaning, not as literal strings, at the key's
    // precision: any moment of the period the key names (`2024` is the whole year).
    lo = hi = moment(q, zone);
    if (lo === null) return () => false;
  } else {
    const parts = RANGE.DT.exec(q)!;
    lo = parts[1] ? moment(parts[1], zone) : null;
    hi = parts[2] ? moment(parts[2], zone) : null;
    if ((parts[1] && !lo) || (parts[2] && !hi)) return () => false; // a bound that is no DT value
  }
  return (candidate, candidateOffset) => {
    const c = moment(candidate, utcOffset(candidateOffset));
    // A candidate is the moment it starts at: `2024` is 1 January 2024, 00:00.
    return c !== null && within(c.first, c.first, c.zone, lo, hi, zones.localOffset);
  };
}

/**
 * Whether the candidate period `first`..`last` (wall-clock microseconds in `zone`) and the range
 * `lo`-`hi` (from the start of `lo`'s period to the end of `hi`'s) have a moment in common.
 */
function within(first: number, last: number, zone: number | undefined, lo: Moment | null, hi: Moment | null, local: number | undefined): boolean {
  return (lo === null || compare(lo.first, lo.zone, last, zone, local) <= 0) && (hi === null || compare(first, zone, hi.last, hi.zone, local) <= 0);
}

/**
 * A DT value as the period it names, in wall-clock microseconds since 1970 (as if the wall clock
 * were UTC): `first` and `last` moment, with a value of less precision than the full form a
 * longer period (`2024` is all of 2024). `zone`: the offset from UTC in minutes, undefined for
 * local time.
 */
interface Moment {
  readonly first: number;
  readonly last: number;
  readonly zone: number | undefined;
}

/** YYYY MM DD HH MM SS .FFFFFF &ZZXX: trailing components may be left out (PS3.5 6.2 DT); a fraction only after the seconds. */
const DT_PARTS = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?([+-]\d{4})?$/;

/**
 * The period a DT value names (null when it is not a valid DT value), in the zone of its offset
 * suffix if it has one (PS3.4 C.2.2.2.5.3 d), else in `zone`: its data set's Timezone Offset
 * From UTC, undefined for local time (PS3.5 6.2).
 */
function moment(text: string, zone: number | undefined): Moment | null {
  const m = DT_PARTS.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, fraction, suffix] = m;
  if (fraction !== undefined && s === undefined) return null;
  const year = Number(y);
  const month = mo === undefined ? 1 : Number(mo);
  const day = d === undefined ? 1 : Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  // Seconds up to 60: a leap second (PS3.5 6.2).
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 60) return null;
  const offset = suffix === undefined ? zone : utcOffset(suffix);
  if (suffix !== undefined && offset === undefined) return null;
  const micros = fraction === undefined ? 0 : Number(fraction.padEnd(6, '0'));
  const first = wallClock(year, month, day, hour, minute, second) * 1000 + micros;
  // The end of the period: the start of the next one, less a microsecond.
  const next =
    fraction !== undefined ? first + 10 ** (6 - fraction.length)
    : s !== undefined ? first + 1e6
    : mi !== undefined ? first + 60e6
    : h !== undefined ? first + 3600e6
    : 1000 * (d !== undefined ? wallClock(year, month, day + 1) : mo !== undefined ? wallClock(year, month + 1, 1) : wallClock(year + 1, 1, 1));
  return { first, last: next - 1, zone: offset };
}

/** Milliseconds since 1970 of a wall-clock time taken as UTC (years 0-99 too, which `Date.UTC` would read as 19xx). */
function wallClock(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const t = new Date(0);
  t.setUTCFullYear(year, month - 1, day);
  t.setUTCHours(hour, minute, second, 0);
  return t.getTime();
}

function daysIn(year: number, month: number): number {
  return new Date(wallClock(year, month + 1, 0)).getUTCDate();
}

/**
 * An offset from UTC `&ZZXX` (a DT suffix, or Timezone Offset From UTC (0008,0201)) in minutes
 * east of UTC; undefined when absent or not of that form, or outside -1200 to +1400 (PS3.5 6.2).
 */
function utcOffset(text: string | undefined): number | undefined {
  const m = text === undefined ? null : /^([+-])(\d{2})(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  const offset = m[1] === '-' ? -minutes : minutes;
  return Number(m[3]) > 59 || offset < -720 || offset > 840 ? undefined : offset;
}

/**
 * The order of two wall-clock times (microseconds), each in its zone (minutes east of UTC, or
 * undefined: local time): negative, zero or positive. Two local times compare as written (they
 * are in the same zone); otherwise both are taken to UTC, a local time with `local` (default: the
 * zone of this process at that date and time).
 */
function compare(a: number, aZone: number | undefined, b: number, bZone: number | undefined, local: number | undefined): number {
  if (aZone === undefined && bZone === undefined) return a - b;
  return toUtc(a, aZone, local) - toUtc(b, bZone, local);
}

function toUtc(wall: number, zone: number | undefined, local: number | undefined): number {
  return wall - (zone ?? local ?? hostOffset(wall)) * 60e6;
}

/** This process's offset from UTC in minutes at a wall-clock time (microseconds), summer time included. */
function hostOffset(wall: number): number {
  const ms = Math.floor(wall / 1000);
  const w = new Date(ms);
  const local = new Date(w.getUTCFullYear(), w.getUTCMonth(), w.getUTCDate(), w.getUTCHours(), w.getUTCMinutes(), w.getUTCSeconds(), w.getUTCMilliseconds());
  if (w.getUTCFullYear() < 100) local.setFullYear(w.getUTCFullYear());
  return Math.round((ms - local.getTime()) / 60000);
}

/**
 * Combined date-time range matching (PS3.4 C.2.2.2.5.4, with Extended Negotiation): a date range
 * and a time range given together for one date-time (Study Date and Study Time, a Scheduled
 * Procedure Step's start date and time), "both of which specify the same form of Range Matching"
 * (both `a-b`, both `a-` or both `-b`), are matched "as if they were a single Attribute of VR DT":
 * `20060705-20060707` with `1000-1800` is 5 July 10:00 to 7 July 18:00, not 10:00-18:00 on each
 * day. Returns null when the two are not ranges ({@link isRange}) of the same form: each key is
 * then matched on its own, as without the negotiation (`20240101-` with `-0900` is on or after 1
 * January, and at or before 09:00, not "from 1 January on up to any day at 09:00").
 *
 * As a DT, the pair follows the DT rules of {@link temporalMatcher}: the key in the zone of
 * `zones.queryOffset` (the query's Timezone Offset From UTC (0008,0201)), the candidate's date and
 * time in that of `candidateOffset` (its data set's), local time without one (PS3.5 6.2); so the
 * date may change with the zone (C.2.2.2.5.4, note). A candidate without a time is its whole day:
 * it matches when any moment of that day is in the range.
 */
export function combinedDateTimeMatcher(
  dateQuery: string,
  timeQuery: string,
  zones: TemporalZones = {},
): ((date: string, time: string, candidateOffset?: string) => boolean) | null {
  if (!isRange('DA', dateQuery) || !isRange('TM', timeQuery)) return null;
  const [, dLo, dHi] = RANGE.DA.exec(dateQuery.trim())!;
  const [, tLo, tHi] = RANGE.TM.exec(timeQuery.trim())!;
  // C.2.2.2.5.4: not the same form of range matching, not combined.
  if (!dLo !== !tLo || !dHi !== !tHi) return null;
  const zone = utcOffset(zones.queryOffset);
  // Each bound given matched its VR's form (RANGE); the concatenation is null only for a value out
  // of range (month 13, hour 24), which matches nothing.
  const bound = (date: string | undefined, time: string | undefined): Moment | null | false =>
    date && time ? (moment(temporalKey('DA', date)! + time.trim().replace(/:/g, ''), zone) ?? false) : null;
  const lo = bound(dLo, tLo);
  const hi = bound(dHi, tHi);
  if (lo === false || hi === false) return () => false;
  return (date, time, candidateOffset) => {
    const d = temporalKey('DA', date);
    if (d === null) return false;
    const t = time.trim();
    if (t !== '' && !ONE.TM.test(t)) return false;
    // Without a time, the DT is of the day's precision: the whole day.
    const c = moment(d + t.replace(/:/g, ''), utcOffset(candidateOffset));
    return c !== null && within(c.first, t === '' ? c.last : c.first, c.zone, lo, hi, zones.localOffset);
  };
}
