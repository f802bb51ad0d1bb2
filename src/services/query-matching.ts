/**
 * C-FIND attribute matching (PS3.4 C.2.2.2) on naturalized data sets, for any SCP (Query/Retrieve,
 * Modality Worklist, ...) in Node or a browser: a candidate record either matches a request
 * identifier or not, and the response carries exactly the requested keys.
 */
import type { Dataset } from '../dataset/codec';
import { isRange, matchTemporal, type TemporalVr } from './date-range';
import { vrOf } from './dictionary';

/** Keys that steer the query rather than select records (PS3.4 C.4.1.1.3.1, C.2.2.1). */
const NOT_MATCHED = new Set(['QueryRetrieveLevel', 'SpecificCharacterSet', 'TimezoneOffsetFromUTC', 'QueryRetrieveView']);

/** VRs on which `*` and `?` are wild cards (PS3.4 C.2.2.2.4); on every other VR they are literal. */
const WILDCARD_VRS = new Set(['AE', 'CS', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UR', 'UT']);
const NUMERIC_VRS = new Set(['IS', 'DS', 'US', 'SS', 'UL', 'SL', 'FL', 'FD', 'UV', 'SV']);
const TEMPORAL_VRS = new Set(['DA', 'TM', 'DT']);
/** Text VRs whose leading spaces are significant (PS3.5 Table 6.2-1); all others are trimmed both ends. */
const KEEP_LEADING = new Set(['LT', 'ST', 'UT', 'UC', 'UR']);

export interface MatchOptions {
  /**
   * Match PN values case-sensitively. Default false: PS3.4 C.2.2.2.1 lets PN matching ignore
   * case, and users type names in any case. Every other VR is always case-sensitive.
   */
  readonly caseSensitiveNames?: boolean;
  /** The VR of a keyword the dictionary does not know (private or new attributes); default: none, exact text. */
  readonly vrOf?: (keyword: string) => string | undefined;
}

/**
 * Whether `candidate` matches every key of `query` (PS3.4 C.2.2.2): universal matching for empty
 * values (C.2.2.2.3), list of UID matching (C.2.2.2.2), wild cards (C.2.2.2.4), date/time ranges
 * (C.2.2.2.5), sequence matching on the query's single item (C.2.2.2.6), single value matching
 * otherwise (C.2.2.2.1). A multi-valued candidate matches when any of its values does; a
 * multi-valued query key when any of its values does. `""` (two quotes) matches empty values only.
 *
 * A decoded identifier (`request.identifier`) is a dcmjs Proxy: when matching many candidates,
 * pass a plain copy (`{ ...request.identifier }`, made once) instead; each key listing and read
 * through the Proxy is a trap call.
 */
export function matchesQuery(candidate: Dataset, query: Dataset, options: MatchOptions = {}): boolean {
  // Indexed loops here and below: an SCP runs this per candidate, and for-of or array callbacks
  // cost several times more until the JIT has optimised them.
  const keys = queryKeys(query);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (NOT_MATCHED.has(key)) continue;
    if (!matchAttribute(key, query[key], candidate[key], options)) return false;
  }
  return true;
}

/**
 * The C-FIND response identifier for a matching candidate (PS3.4 C.4.1.1.3.2, C.2.2.1.2): exactly the
 * query's keys with the candidate's values (empty where it has none), plus Query/Retrieve Level
 * and Specific Character Set when present. In a sequence key only the candidate's items that
 * match the query item are returned, each reduced to that item's keys.
 */
export function projectResponse(candidate: Dataset, query: Dataset, options: MatchOptions = {}): Dataset {
  const out: Dataset = {};
  const keys = queryKeys(query);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key === 'QueryRetrieveLevel') out[key] = query[key];
    else if (key === 'SpecificCharacterSet') out[key] = candidate[key] ?? query[key];
    else out[key] = projectValue(key, query[key], candidate[key], options);
  }
  if (candidate.SpecificCharacterSet !== undefined && out.SpecificCharacterSet === undefined) out.SpecificCharacterSet = candidate.SpecificCharacterSet;
  return out;
}

function queryKeys(ds: Dataset): string[] {
  const keys = Object.keys(ds);
  for (let i = 0; i < keys.length; i++) if (keys[i]!.charCodeAt(0) === 0x5f) return keys.filter((k) => !k.startsWith('_')); // '_vrMap'
  return keys;
}

function vr(key: string, options: MatchOptions): string | undefined {
  return vrOf(key) ?? options.vrOf?.(key);
}

function projectValue(key: string, queryValue: unknown, value: unknown, options: MatchOptions): unknown {
  if (vr(key, options) === 'SQ' || Array.isArray(queryValue) && queryValue.some(isItem)) {
    const items = Array.isArray(value) ? value.filter(isItem) : [];
    const queryItem = sequenceQueryItem(queryValue);
    if (!queryItem) return items;
    return items.filter((item) => matchesQuery(item, queryItem, options)).map((item) => projectResponse(item, queryItem, options));
  }
  return value === undefined || value === null ? emptyOf(vr(key, options)) : value;
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

function matchAttribute(key: string, queryValue: unknown, value: unknown, options: MatchOptions): boolean {
  const vrName = vr(key, options);
  if (vrName === 'SQ' || (Array.isArray(queryValue) && queryValue.some(isItem))) {
    const queryItem = sequenceQueryItem(queryValue);
    // An item whose keys all match an empty record asks for nothing: universal.
    if (!queryItem || matchesQuery({}, queryItem, options)) return true;
    const items = Array.isArray(value) ? value.filter(isItem) : [];
    return items.some((item) => matchesQuery(item, queryItem, options));
  }
  if (isEmptyValueQuery(queryValue)) return valuesOf(value, vrName).length === 0; // empty value matching
  const wanted = valuesOf(queryValue, vrName);
  let universal = true;
  for (let i = 0; i < wanted.length && universal; i++) universal = onlyStars(vrName, wanted[i]!);
  if (universal) return true; // no values, or only `*`
  const have = valuesOf(value, vrName);
  for (let i = 0; i < wanted.length; i++) {
    for (let j = 0; j < have.length; j++) if (matchValue(vrName, wanted[i]!, have[j]!, options)) return true;
  }
  return false;
}

/** `""`: matches only candidates whose value is empty or absent (PS3.4 C.2.2.2.1, Empty Value Matching). */
function isEmptyValueQuery(queryValue: unknown): boolean {
  const v = Array.isArray(queryValue) && queryValue.length === 1 ? queryValue[0] : queryValue;
  const text = typeof v === 'string' ? v : typeof v === 'object' && v !== null ? (v as { Alphabetic?: unknown }).Alphabetic : undefined;
  return typeof text === 'string' && text.trim() === '""';
}

/** A PN value's component groups (PS3.5 §6.2.1.1), or a plain value as text. */
type Value = string | number | { Alphabetic?: string; Ideographic?: string; Phonetic?: string };

/** The non-empty values of an element, in the shape dcmjs gives them (value, array, PN objects). */
function valuesOf(raw: unknown, vrName: string | undefined): Value[] {
  const list = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  const out: Value[] = [];
  for (let i = 0; i < list.length; i++) {
    const v: unknown = list[i];
    if (typeof v === 'number') out.push(v);
    else if (typeof v === 'string') {
      // A value dcmjs left unsplit (e.g. from a hand-made data set) still holds several.
      if (vrName === 'LT' || vrName === 'ST' || vrName === 'UT' || !v.includes('\\')) pushText(out, v, vrName);
      else for (const part of v.split('\\')) pushText(out, part, vrName);
    } else if (typeof v === 'object' && v !== null && vrName === 'PN') {
      const pn = v as { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
      if (hasName(pn.Alphabetic) || hasName(pn.Ideographic) || hasName(pn.Phonetic)) out.push(pn);
    }
  }
  return out;
}

function pushText(out: Value[], part: string, vrName: string | undefined): void {
  const text = trim(part, vrName);
  if (text !== '') out.push(vrName === 'PN' ? { Alphabetic: text } : text);
}

const hasName = (group: string | undefined): boolean => !!group && trimName(group) !== '';

function trim(text: string, vrName: string | undefined): string {
  return vrName && KEEP_LEADING.has(vrName) ? text.replace(/[\s\0]+$/, '') : text.replace(/^\s+|[\s\0]+$/g, '');
}

/** Trailing empty components (`DOE^J^^`) and padding do not change a name. */
function trimName(text: string): string {
  return text.trim().replace(/\^+$/, '').trim();
}

function matchValue(vrName: string | undefined, q: Value, c: Value, options: MatchOptions): boolean {
  if (vrName === 'PN') return matchName(q, c, options);
  if (vrName && NUMERIC_VRS.has(vrName)) return Number(q) === Number(c);
  const qs = String(q);
  const cs = String(c);
  if (vrName && TEMPORAL_VRS.has(vrName)) {
    const t = vrName as TemporalVr;
    return isRange(t, qs) || /^\d/.test(qs) ? matchTemporal(t, qs, cs) : qs === cs;
  }
  if (vrName && WILDCARD_VRS.has(vrName) && /[*?]/.test(qs)) return wildcard(qs, cs, false);
  return qs === cs;
}

/** PN: each component group the query gives (usually just Alphabetic) must match the candidate's. */
function matchName(q: Value, c: Value, options: MatchOptions): boolean {
  const qn = typeof q === 'object' ? q : { Alphabetic: String(q) };
  const cn = typeof c === 'object' ? c : { Alphabetic: String(c) };
  const fold = !options.caseSensitiveNames;
  for (const group of ['Alphabetic', 'Ideographic', 'Phonetic'] as const) {
    const want = trimName(qn[group] ?? '');
    if (want === '' || /^\*+$/.test(want)) continue;
    if (!wildcard(want, trimName(cn[group] ?? ''), fold)) return false;
  }
  return true;
}

/** `*` matches any run of characters (also none), `?` any one character; the rest is literal. */
function wildcard(pattern: string, text: string, foldCase: boolean): boolean {
  return wildcardRegExp(pattern, foldCase).test(text);
}

/** Compiled patterns: a query's pattern is tried against every candidate. Bounded, as patterns come from peers. */
const patterns = new Map<string, RegExp>();
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
