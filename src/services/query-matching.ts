/**
 * C-FIND attribute matching (PS3.4 C.2.2.2) on naturalized data sets, for any SCP (Query/Retrieve,
 * Modality Worklist, ...) in Node or a browser: a candidate record either matches a request
 * identifier or not, and the response carries exactly the requested keys.
 */
import type { Dataset } from '../dataset/codec';
import { SINGLE_VALUED_TEXT } from '../dataset/dict-vr';
import { combinedDateTimeMatcher, isRange, temporalMatcher, type TemporalVr } from './date-range';
import { vrOf } from './dictionary';

/** Keys that steer the query rather than select records (PS3.4 C.4.1.1.3.1, C.2.2.1). */
const NOT_MATCHED = new Set(['QueryRetrieveLevel', 'SpecificCharacterSet', 'TimezoneOffsetFromUTC', 'QueryRetrieveView']);

/** VRs on which `*` and `?` are wild cards (PS3.4 C.2.2.2.4); on every other VR they are literal. */
const WILDCARD_VRS = new Set(['AE', 'CS', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UR', 'UT']);
const NUMERIC_VRS = new Set(['IS', 'DS', 'US', 'SS', 'UL', 'SL', 'FL', 'FD', 'UV', 'SV']);
const TEMPORAL_VRS = new Set(['DA', 'TM', 'DT']);
/** Text VRs whose leading spaces are significant (PS3.5 Table 6.2-1); all others are trimmed both ends. */
const KEEP_LEADING = new Set(['LT', 'ST', 'UT', 'UC', 'UR']);

/**
 * Options of {@link compileQuery}, {@link matchesQuery} and {@link projectResponse}: whether person
 * names match case-sensitively, and the VR of keywords the dictionary does not know.
 */
export interface MatchOptions {
  /**
   * Match PN values case-sensitively. Default false: PS3.4 C.2.2.2.1 lets PN matching ignore
   * case, and users type names in any case. Every other VR is always case-sensitive.
   */
  readonly caseSensitiveNames?: boolean;
  /** The VR of a keyword the dictionary does not know (private or new attributes); default: none, exact text. */
  readonly vrOf?: (keyword: string) => string | undefined;
  /**
   * Combined date-time matching (PS3.4 C.2.2.2.5): a Date key and its Time key (`StudyDate` and
   * `StudyTime`, `ScheduledProcedureStepStartDate` and `...StartTime`) both given as ranges match
   * as one date-time range. Only when the SCU asked for it by SOP Class Extended Negotiation
   * (C-FIND byte 2, PS3.4 C.5.1.1) and the SCP agreed; default false, each key on its own.
   */
  readonly combinedDateTime?: boolean;
  /**
   * Required Keys of the level queried (PS3.4 C.2.2.1.2): a candidate whose value of one of them
   * is zero length (or absent) has an unknown value, and all matching against it succeeds.
   * Default: none, an empty value matches no key value (as Modality Worklist wants, K.2.2.1.1.1).
   * Keys of the candidate itself only, not those inside a sequence item.
   */
  readonly requiredKeys?: ReadonlySet<string>;
}

/**
 * A query read once, to be matched against many candidates: what {@link matchesQuery} and
 * {@link projectResponse} do, with each key's VR, values, wild card patterns and date ranges
 * worked out at compile time instead of per candidate. Later changes to the query object are not
 * seen.
 */
export interface CompiledQuery {
  /** Whether `candidate` matches every key of the query ({@link matchesQuery}). */
  matches(candidate: Dataset): boolean;
  /** The response identifier for a matching candidate ({@link projectResponse}). */
  project(candidate: Dataset): Dataset;
}

/**
 * Compiles `query` (a request identifier) for matching many candidates, e.g. every record of an
 * SCP's index:
 *
 * ```ts
 * const query = compileQuery(request.identifier);
 * for (const record of records) if (query.matches(record)) yield query.project(record);
 * ```
 */
export function compileQuery(query: Dataset, options: MatchOptions = {}): CompiledQuery {
  const c = compiling(query, options);
  const tests = compileTests(query, c);
  const projectors = compileProjectors(query, c);
  return {
    matches: (candidate) => matchAll(tests, c, candidate),
    project: (candidate) => project(projectors, inZone(c, candidate)),
  };
}

/**
 * Whether `candidate` matches every key of `query` (PS3.4 C.2.2.2): universal matching for empty
 * values (C.2.2.2.3), list of UID matching (C.2.2.2.2), wild cards (C.2.2.2.4), date/time ranges
 * (C.2.2.2.5), sequence matching on the query's single item (C.2.2.2.6), single value matching
 * otherwise (C.2.2.2.1). A multi-valued candidate matches when any of its values does; a
 * multi-valued query key when any of its values does. `""` (two quotes) matches empty values only.
 *
 * When matching many candidates against one query, compile it once with {@link compileQuery}:
 * this function reads the whole query again on every call, and a decoded identifier
 * (`request.identifier`) is a dcmjs Proxy, each key listing and read a trap call.
 */
export function matchesQuery(candidate: Dataset, query: Dataset, options: MatchOptions = {}): boolean {
  const c = compiling(query, options);
  return matchAll(compileTests(query, c), c, candidate);
}

/**
 * The C-FIND response identifier for a matching candidate (PS3.4 C.4.1.1.3.2, C.2.2.1.2): exactly the
 * query's keys with the candidate's values (empty where it has none; Timezone Offset From UTC left
 * out instead, as it is never sent empty), plus Query/Retrieve Level and Specific Character Set
 * when present. In a sequence key only the candidate's items that match the query item are
 * returned, each reduced to that item's keys.
 */
export function projectResponse(candidate: Dataset, query: Dataset, options: MatchOptions = {}): Dataset {
  const c = compiling(query, options);
  return project(compileProjectors(query, c), inZone(c, candidate));
}

/** One key's test of a candidate. */
type KeyTest = (candidate: Dataset) => boolean;

/**
 * What compiling needs beyond the caller's options: the query's Timezone Offset From UTC (0008,0201)
 * and, set per candidate before its tests run, the candidate's (PS3.5 6.2: the zone of DT values
 * without an offset of their own, items included: it is the data set's).
 */
interface Compiling extends MatchOptions {
  readonly queryOffset?: string;
  readonly candidateZone: { offset?: string };
}

/** `options` with the query's zone and a holder for each candidate's. */
function compiling(query: Dataset, options: MatchOptions): Compiling {
  return { ...options, queryOffset: singleText(query.TimezoneOffsetFromUTC), candidateZone: {} };
}

/** `candidate`, its Timezone Offset From UTC noted for the DT tests of `c` (those of its items too). */
function inZone(c: Compiling, candidate: Dataset): Dataset {
  c.candidateZone.offset = singleText(candidate.TimezoneOffsetFromUTC);
  return candidate;
}

/** Runs `tests` on a top-level candidate (not an item: items are in their data set's zone). */
function matchAll(tests: readonly KeyTest[], c: Compiling, candidate: Dataset): boolean {
  return every(tests, inZone(c, candidate));
}
/** One query value's test of one candidate value. */
type ValueTest = (value: Value) => boolean;
/** One response key: its name and how its value comes from the candidate. */
interface Projector {
  readonly key: string;
  value(candidate: Dataset): unknown;
  /** Left out of the response when the candidate has no value (of this VR), rather than sent empty. */
  readonly omitEmpty?: string;
}

/** The tests of the keys that select: none for keys that are not matched or match universally. */
function compileTests(query: Dataset, options: Compiling): KeyTest[] {
  // Indexed loops here and in the tests: an SCP runs them per candidate, and for-of or array
  // callbacks cost several times more until the JIT has optimised them.
  const tests: KeyTest[] = [];
  const keys = queryKeys(query);
  const combined = options.combinedDateTime ? compileDateTimePairs(query, keys, options, tests) : undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (NOT_MATCHED.has(key) || combined?.has(key)) continue;
    const test = compileKey(key, query[key], options);
    if (test) tests.push(test);
  }
  return tests;
}

/**
 * The combined date-time tests ({@link MatchOptions.combinedDateTime}) of `query`, added to
 * `tests`: one per Date key whose Time key is there too, both ranges. Returns the keys they cover.
 */
function compileDateTimePairs(query: Dataset, keys: readonly string[], options: Compiling, tests: KeyTest[]): Set<string> {
  const covered = new Set<string>();
  for (const dateKey of keys) {
    if (!dateKey.endsWith('Date') || vr(dateKey, options) !== 'DA') continue;
    const timeKey = `${dateKey.slice(0, -4)}Time`;
    if (vr(timeKey, options) !== 'TM' || !(timeKey in query)) continue;
    const dateQuery = singleText(query[dateKey]);
    const timeQuery = singleText(query[timeKey]);
    const matches = dateQuery !== undefined && timeQuery !== undefined ? combinedDateTimeMatcher(dateQuery, timeQuery, { queryOffset: options.queryOffset }) : null;
    if (!matches) continue;
    const required = options.requiredKeys?.has(dateKey) === true;
    tests.push((candidate) => {
      const date = singleText(candidate[dateKey]);
      if (date === undefined || date.trim() === '') return required && isUnknown(candidate[dateKey], 'DA');
      return matches(date, singleText(candidate[timeKey]) ?? '', options.candidateZone.offset);
    });
    covered.add(dateKey).add(timeKey);
  }
  return covered;
}

/** A key's one text value (a string or a list of one), or undefined. */
function singleText(value: unknown): string | undefined {
  const v = Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
  return typeof v === 'string' ? v : undefined;
}

/** The test for one key (PS3.4 C.2.2.2), or null when it matches every candidate. */
function compileKey(key: string, queryValue: unknown, options: Compiling): KeyTest | null {
  const vrName = vr(key, options);
  if (vrName === 'SQ' || (Array.isArray(queryValue) && queryValue.some(isItem))) {
    const queryItem = sequenceQueryItem(queryValue);
    if (!queryItem) return null;
    const item = compileTests(queryItem, inItems(options));
    // An item whose keys all match an empty record asks for nothing: universal.
    if (every(item, {})) return null;
    return (candidate) => {
      const value = candidate[key];
      if (!Array.isArray(value)) return false;
      for (let i = 0; i < value.length; i++) if (isItem(value[i]) && every(item, value[i])) return true;
      return false;
    };
  }
  if (isEmptyValueQuery(queryValue)) return (candidate) => !someValue(candidate[key], vrName, anyValue); // empty value matching
  const wanted = valuesOf(queryValue, vrName);
  let universal = true;
  for (let i = 0; i < wanted.length && universal; i++) universal = onlyStars(vrName, wanted[i]!);
  if (universal) return null; // no values, or only `*`
  const test = anyOf(wanted.map((q) => compileValue(vrName, q, options)));
  // A Required Key the candidate has no value for is unknown: it matches (PS3.4 C.2.2.1.2).
  if (options.requiredKeys?.has(key)) return (candidate) => isUnknown(candidate[key], vrName) || someValue(candidate[key], vrName, test);
  return (candidate) => someValue(candidate[key], vrName, test);
}

/** Options for the keys of a sequence item: Required Keys name the candidate's own attributes. */
function inItems(options: Compiling): Compiling {
  return options.requiredKeys ? { ...options, requiredKeys: undefined } : options;
}

/** Whether an element has no value (absent, zero length, only padding). */
function isUnknown(raw: unknown, vrName: string | undefined): boolean {
  return !someValue(raw, vrName, anyValue);
}

/**
 * One test for several query values: any of them. Values compared as plain text (a list of UIDs,
 * PS3.4 C.2.2.2.2, can be thousands long) are looked up in a set, not compared one by one.
 */
function anyOf(tests: readonly (ValueTest | string)[]): ValueTest {
  if (tests.length === 1 && typeof tests[0] === 'function') return tests[0];
  const texts = new Set<string>();
  const others: ValueTest[] = [];
  for (const t of tests) if (typeof t === 'string') texts.add(t); else others.push(t);
  if (others.length === 0 && texts.size === 1) {
    const only = tests[0] as string;
    return (c) => String(c) === only;
  }
  return (c) => {
    if (texts.size > 0 && texts.has(String(c))) return true;
    for (let i = 0; i < others.length; i++) if (others[i]!(c)) return true;
    return false;
  };
}

function every(tests: readonly KeyTest[], candidate: Dataset): boolean {
  for (let i = 0; i < tests.length; i++) if (!tests[i]!(candidate)) return false;
  return true;
}

const anyValue: ValueTest = () => true;

/**
 * How one (non-empty, trimmed) query value matches a candidate value of the VR: a test, or the
 * text the candidate's value must equal (single value matching on text, C.2.2.2.1).
 */
function compileValue(vrName: string | undefined, q: Value, options: Compiling): ValueTest | string {
  if (vrName === 'PN') return compileName(q, options);
  if (vrName && NUMERIC_VRS.has(vrName)) {
    const n = Number(q);
    return (c) => Number(c) === n;
  }
  const qs = String(q);
  if (vrName && TEMPORAL_VRS.has(vrName)) {
    const t = vrName as TemporalVr;
    if (isRange(t, qs) || /^\d/.test(qs)) {
      const matches = temporalMatcher(t, qs, { queryOffset: options.queryOffset });
      const zone = options.candidateZone;
      return (c) => matches(String(c), zone.offset);
    }
  } else if (vrName && WILDCARD_VRS.has(vrName) && /[*?]/.test(qs)) {
    const re = wildcardRegExp(qs, false);
    return (c) => re.test(String(c));
  }
  return qs;
}

const GROUPS = ['Alphabetic', 'Ideographic', 'Phonetic'] as const;
type Group = (typeof GROUPS)[number];

/** PN: each component group the query gives (usually just Alphabetic) must match the candidate's. */
function compileName(q: Value, options: MatchOptions): ValueTest {
  const qn = typeof q === 'object' ? q : { Alphabetic: String(q) };
  const fold = !options.caseSensitiveNames;
  const groups: Group[] = [];
  const patterns: RegExp[] = [];
  for (const group of GROUPS) {
    const want = trimName(qn[group] ?? '');
    if (want === '' || /^\*+$/.test(want)) continue;
    groups.push(group);
    patterns.push(wildcardRegExp(want, fold));
  }
  return (c) => {
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i]!;
      const text = typeof c === 'object' ? c[group] : group === 'Alphabetic' ? String(c) : undefined;
      if (!patterns[i]!.test(trimName(text ?? ''))) return false;
    }
    return true;
  };
}

/** The response keys in query order, each with where its value comes from. */
function compileProjectors(query: Dataset, options: Compiling): Projector[] {
  const keys = queryKeys(query);
  const projectors: Projector[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const queryValue = query[key];
    if (key === 'QueryRetrieveLevel') projectors.push({ key, value: () => queryValue });
    else if (key === 'SpecificCharacterSet') projectors.push({ key, value: (c) => c[key] ?? queryValue });
    // Sent with the candidate's offset or not at all: never zero length (PS3.4 C.4.1.1.3.2).
    else if (key === 'TimezoneOffsetFromUTC') projectors.push({ key, value: (c) => c[key], omitEmpty: 'SH' });
    else projectors.push(compileProjector(key, queryValue, options));
  }
  return projectors;
}

function compileProjector(key: string, queryValue: unknown, options: Compiling): Projector {
  const vrName = vr(key, options);
  if (vrName === 'SQ' || Array.isArray(queryValue) && queryValue.some(isItem)) {
    const queryItem = sequenceQueryItem(queryValue);
    if (!queryItem) return { key, value: (c) => itemsOf(c[key]) };
    // The items are in the zone of their data set: compiled with the parent's zone, not their own.
    const itemOptions = inItems(options);
    const tests = compileTests(queryItem, itemOptions);
    const projectors = compileProjectors(queryItem, itemOptions);
    return { key, value: (c) => itemsOf(c[key]).filter((i) => every(tests, i)).map((i) => project(projectors, i)) };
  }
  return { key, value: (c) => c[key] ?? emptyOf(vrName) }; // a new [] each time: responses share no value
}

function project(projectors: readonly Projector[], candidate: Dataset): Dataset {
  const out: Dataset = {};
  for (let i = 0; i < projectors.length; i++) {
    const p = projectors[i]!;
    const value = p.value(candidate);
    if (p.omitEmpty === undefined || !isUnknown(value, p.omitEmpty)) out[p.key] = value;
  }
  if (candidate.SpecificCharacterSet !== undefined && out.SpecificCharacterSet === undefined) out.SpecificCharacterSet = candidate.SpecificCharacterSet;
  return out;
}

const itemsOf = (value: unknown): Dataset[] => (Array.isArray(value) ? value.filter(isItem) : []);

function queryKeys(ds: Dataset): string[] {
  const keys = Object.keys(ds);
  for (let i = 0; i < keys.length; i++) if (keys[i]!.charCodeAt(0) === 0x5f) return keys.filter((k) => !k.startsWith('_')); // '_vrMap'
  return keys;
}

function vr(key: string, options: MatchOptions): string | undefined {
  return vrOf(key) ?? options.vrOf?.(key);
}

function emptyOf(vrName: string | undefined): unknown {
  return vrName === 'PN' ? [] : vrName && NUMERIC_VRS.has(vrName) ? null : '';
}

const isItem = (v: unknown): v is Dataset =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && !('Alphabetic' in v || 'Ideographic' in v || 'Phonetic' in v);

/** A lone `*` matches everything, empty values included: it is universal matching (PS3.4 C.2.2.2.4). */
function onlyStars(vrName: string | undefined, q: Value): boolean {
  if (!vrName || !WILDCARD_VRS.has(vrName)) return false;
  if (typeof q === 'object') return [q.Alphabetic, q.Ideographic, q.Phonetic].every((g) => !g || /^\*+$/.test(trimName(g)));
  return /^\*+$/.test(String(q));
}

/** The query item of a sequence key, or null for universal matching (no item, or an item with no keys). */
function sequenceQueryItem(queryValue: unknown): Dataset | null {
  const item = Array.isArray(queryValue) ? queryValue.find(isItem) : isItem(queryValue) ? queryValue : undefined;
  return item && queryKeys(item).length > 0 ? item : null;
}

/** `""`: matches only candidates whose value is empty or absent (PS3.4 C.2.2.2.1, Empty Value Matching). */
function isEmptyValueQuery(queryValue: unknown): boolean {
  const v = Array.isArray(queryValue) && queryValue.length === 1 ? queryValue[0] : queryValue;
  const text = typeof v === 'string' ? v : typeof v === 'object' && v !== null ? (v as { Alphabetic?: unknown }).Alphabetic : undefined;
  return typeof text === 'string' && text.trim() === '""';
}

/** A PN value's component groups (PS3.5 §6.2.1.1), or a plain value as text (a PN's Alphabetic group). */
type Value = string | number | { Alphabetic?: string; Ideographic?: string; Phonetic?: string };

/** The non-empty values of an element, in the shape dcmjs gives them (value, array, PN objects). */
function valuesOf(raw: unknown, vrName: string | undefined): Value[] {
  const out: Value[] = [];
  someValue(raw, vrName, (v) => {
    out.push(typeof v === 'string' && vrName === 'PN' ? { Alphabetic: v } : v);
    return false;
  });
  return out;
}

/**
 * Whether `test` holds for any non-empty value of an element: numbers as they are, text split at
 * backslashes (but LT, ST, UT, UR: one value each) and trimmed, PN objects with a name in some group. Without an
 * array per candidate: this runs for every key of every record an SCP looks at.
 */
function someValue(raw: unknown, vrName: string | undefined, test: ValueTest): boolean {
  if (!Array.isArray(raw)) return raw !== undefined && raw !== null && someOf(raw, vrName, test);
  for (let i = 0; i < raw.length; i++) if (someOf(raw[i], vrName, test)) return true;
  return false;
}

function someOf(v: unknown, vrName: string | undefined, test: ValueTest): boolean {
  if (typeof v === 'number') return test(v);
  if (typeof v === 'string') {
    // A value dcmjs left unsplit (e.g. from a hand-made data set) still holds several.
    if (!v.includes('\\') || (vrName !== undefined && SINGLE_VALUED_TEXT.has(vrName))) return someText(v, vrName, test);
    const parts = v.split('\\');
    for (let i = 0; i < parts.length; i++) if (someText(parts[i]!, vrName, test)) return true;
    return false;
  }
  if (typeof v === 'object' && v !== null && vrName === 'PN') {
    const pn = v as { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
    return (hasName(pn.Alphabetic) || hasName(pn.Ideographic) || hasName(pn.Phonetic)) && test(pn);
  }
  return false;
}

function someText(part: string, vrName: string | undefined, test: ValueTest): boolean {
  const text = trim(part, vrName);
  return text !== '' && test(text);
}

const hasName = (group: string | undefined): boolean => !!group && trimName(group) !== '';

function trim(text: string, vrName: string | undefined): string {
  return vrName && KEEP_LEADING.has(vrName) ? text.replace(/[\s\0]+$/, '') : text.replace(/^\s+|[\s\0]+$/g, '');
}

/** Trailing empty components (`DOE^J^^`) and padding do not change a name. */
function trimName(text: string): string {
  return text.trim().replace(/\^+$/, '').trim();
}

/** Compiled patterns: a query's pattern is tried against every candidate. Bounded, as patterns come from peers. */
const patterns = new Map<string, RegExp>();
/** `*` matches any run of characters (also none), `?` any one character; the rest is literal. */
function wildcardRegExp(pattern: string, foldCase: boolean): RegExp {
  const key = (foldCase ? 'i' : 's') + pattern;
  let re = patterns.get(key);
  if (!re) {
    const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${source}$`, foldCase ? 'isu' : 'su');
    if (patterns.size >= 256) patterns.clear();
    patterns.set(key, re);
  }
  return re;
}
