/**
 * A naturalized data set → dcmjs's element dictionary (`{ "GGGGEEEE": { vr, Value } }`), as
 * dcmjs's denaturalizeDataset makes it for the dict writer: keyword lookup, numbers as strings,
 * values over a VR's maximum length truncated, sequences recursively; unlike dcmjs, a string of a
 * multi-valued VR is split at its backslashes first (see readyForDcmjs), and the caller's person
 * name values are left as they are (dcmjs gives them toJSON and toString in place). Without
 * dcmjs's Proxy per element and its logger; for anything unusual (unknown keywords, `_vrMap`
 * overrides, VRs the writer leaves to dcmjs, values dcmjs would reject) `denaturalize` returns
 * undefined and the caller uses dcmjs's own.
 */
import type { DcmjsDict, DcmjsDictEntry, DcmjsVr } from 'dcmjs';
import { dcmjs } from './dcmjs-module';
import { ASCII, BYTES, KINDS, PERSON_NAME, SEQUENCE, SINGLE_VALUED_TEXT, splitValues, TEXT, UID, type Kind } from './dict-vr';
import type { Dataset } from './naturalize';
import { personNameText } from './person-name';

const DECLINE = Symbol('decline');
const MAX_DEPTH = 64;

/** dcmjs's denaturalizeDataset for what the dict writer handles, or undefined. */
export function denaturalize(dataset: Dataset): DcmjsDict | undefined {
  try {
    return build(dataset, 0);
  } catch (e) {
    if (e === DECLINE) return undefined;
    throw e;
  }
}

/** Whether a VR's string values are delimited by backslashes (all string VRs but LT, ST, UT, UR). */
function splitsOnBackslash(kind: Kind | undefined, vr: string): boolean {
  return (kind === ASCII || kind === UID || kind === TEXT || kind === PERSON_NAME) && !SINGLE_VALUED_TEXT.has(vr);
}

/**
 * `dataset` made ready for dcmjs's denaturalizeDataset (a copy where anything changes), at every
 * depth: each backslash-delimited string of a multi-valued string VR split into its values
 * (`ImageType: 'ORIGINAL\\PRIMARY'` becomes two values: dcmjs checks the whole text against one
 * value's maximum length and cuts it there, a UID list to 64 characters, a CS list to 16), and
 * each person name value given as its text (dcmjs would drop empty values from a list, and
 * define toJSON and toString on the arrays and objects it is given, which would change how the
 * caller's data set serialises; values it cannot say as text are copied). `denaturalize` does the
 * same as it goes.
 */
export function readyForDcmjs(dataset: Dataset, depth = 0): Dataset {
  if (depth > MAX_DEPTH || typeof dataset !== 'object' || dataset === null) return dataset;
  const { nameMap } = dcmjs().data.DicomMetaDictionary;
  let out = dataset;
  for (const name of Object.keys(dataset)) {
    const entry = Object.hasOwn(nameMap, name) ? nameMap[name] : undefined;
    const value = dataset[name];
    if (!entry || value === null || value === undefined) continue;
    const kind = KINDS.get(entry.vr);
    let next: unknown = value;
    if (kind === SEQUENCE) {
      const items = Array.isArray(value) ? value : [value];
      const split = items.map((item) => (item && typeof item === 'object' ? readyForDcmjs(item as Dataset, depth + 1) : item));
      if (split.some((item, i) => item !== items[i])) next = Array.isArray(value) ? split : split[0];
    } else if (splitsOnBackslash(kind, entry.vr)) {
      const list = Array.isArray(value) ? value : [value];
      const split = splitValues(list);
      if (kind === PERSON_NAME) next = personNameText(split) ?? (Array.isArray(value) || split !== list ? split.map(copyOfName) : copyOfName(value));
      else if (split !== list) next = split;
    }
    if (next === value) continue;
    if (out === dataset) out = { ...dataset };
    out[name] = next;
  }
  return out;
}

/** A person name value (a string, a boxed string, an `{ Alphabetic, … }` object) that dcmjs may change freely. */
function copyOfName(value: unknown): unknown {
  if (value instanceof String) return new String(value.valueOf());
  if (value && typeof value === 'object' && !Array.isArray(value)) return { ...value };
  return value;
}

const vrs = new Map<string, DcmjsVr>();
function vrOf(type: string): DcmjsVr {
  let vr = vrs.get(type);
  if (!vr) vrs.set(type, (vr = dcmjs().data.ValueRepresentation.createByTypeString(type)));
  return vr;
}

const tags = new Map<DcmjsDictEntry, string>();
/** DicomMetaDictionary.unpunctuateTag(entry.tag), cached. */
function tagOf(entry: DcmjsDictEntry): string {
  let t = tags.get(entry);
  if (t === undefined) tags.set(entry, (t = entry.tag.indexOf(',') === -1 ? entry.tag : entry.tag.substring(1, 10).replace(',', '')));
  return t;
}

function build(dataset: Dataset, depth: number): DcmjsDict {
  if (depth > MAX_DEPTH || typeof dataset !== 'object' || dataset === null) throw DECLINE;
  const { nameMap } = dcmjs().data.DicomMetaDictionary;
  const dict: DcmjsDict = {};
  const names = Object.keys(dataset);
  for (let n = 0; n < names.length; n++) {
    const name = names[n]!;
    const entry = Object.hasOwn(nameMap, name) ? nameMap[name] : undefined;
    if (!entry) {
      if (name === '_vrMap') {
        const vrMap = dataset._vrMap;
        if (vrMap && typeof vrMap === 'object' && Object.keys(vrMap).length > 0) throw DECLINE; // per-key VR overrides
        continue;
      }
      throw DECLINE; // dcmjs warns and skips it (or _meta): let it
    }
    const value = dataset[name];
    if (value === undefined) continue;
    const kind = KINDS.get(entry.vr);
    if (kind === undefined || kind === BYTES) throw DECLINE;
    let values: unknown[] | null = null;
    if (value !== null) {
      let list: readonly unknown[] = Array.isArray(value) ? value : [value];
      if (splitsOnBackslash(kind, entry.vr)) list = splitValues(list);
      // A person name as its text, as readyForDcmjs gives it to dcmjs: empty values keep their place.
      const names = kind === PERSON_NAME ? personNameText(list) : undefined;
      if (names !== undefined) list = [names];
      values = new Array<unknown>(list.length);
      for (let i = 0; i < list.length; i++) {
        const v = list[i];
        // denaturalizeValue: numbers become strings; undefined or null entries make dcmjs throw.
        // (denaturalizeValue reads each value's constructor.name: a null-prototype object makes it throw.)
        const isObject = typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof String) && (v as object).constructor != null;
        if (kind === SEQUENCE) {
          if (!isObject) throw DECLINE;
          values[i] = build(v as Dataset, depth + 1);
        } else if (typeof v === 'number') values[i] = String(v);
        else if (typeof v === 'string' || (kind === PERSON_NAME && isObject)) values[i] = v;
        else throw DECLINE;
      }
      const vr = vrOf(entry.vr);
      if (!vr.isBinary() && vr.maxLength) {
        const max = vr.rangeMatchingMaxLength ?? vr.maxLength;
        for (let i = 0; i < values.length; i++) {
          const s = values[i] as string;
          if (typeof s === 'string' && s.length > max) values[i] = s.slice(0, max); // dcmjs truncates (and warns)
        }
      }
    }
    dict[tagOf(entry)] = { vr: entry.vr, Value: values };
  }
  return dict;
}
