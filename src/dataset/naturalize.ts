/**
 * dcmjs's element dictionary → the naturalized data set users see (keywords as keys, single
 * values unwrapped, PN as { Alphabetic, … } with dcmjs's accessors), exactly as dcmjs's
 * naturalizeDataset makes it, minus the empty `_vrMap`s. Built directly instead of through
 * dcmjs's Proxy set trap per key and a second pass to drop `_vrMap`, which dominated decoding
 * small data sets; dcmjs's own helpers (addTagAccessors, addAccessors, PN accessors) shape the
 * result, and anything unusual (a VR that differs from the dictionary's) goes to dcmjs.
 */
import type { DcmjsDict, DcmjsDictEntry, DcmjsVr } from 'dcmjs';
import { dcmjs } from './dcmjs-module';

/** A naturalized data set: DICOM keywords as keys, e.g. `{ PatientName: 'DOE^J' }` (dcmjs convention). */
export type Dataset = Record<string, unknown>;

const DECLINE = Symbol('decline');
const MAX_DEPTH = 64;

/** dcmjs's naturalizeDataset, without the empty `_vrMap` it adds to every (sub-)dataset. */
export function naturalize(dict: DcmjsDict): Dataset {
  try {
    return build(dict, 0);
  } catch (e) {
    if (e !== DECLINE) throw e;
    return naturalizeWithDcmjs(dict);
  }
}

/** The same through dcmjs's naturalizeDataset (the fallback, and the reference in tests). */
export function naturalizeWithDcmjs(dict: DcmjsDict): Dataset {
  return dropEmptyVrMaps(dcmjs().data.DicomMetaDictionary.naturalizeDataset(dict));
}

const byKey = new Map<string, DcmjsDictEntry | null>();
/** DicomMetaDictionary.dictionary[punctuateTag(key)], cached. */
function entryOf(key: string): DcmjsDictEntry | null {
  let e = byKey.get(key);
  if (e === undefined) {
    e = /^[0-9A-Fa-f]{8}$/.test(key) ? (dcmjs().data.DicomMetaDictionary.dictionary[`(${key.slice(0, 4).toUpperCase()},${key.slice(4).toUpperCase()})`] ?? null) : null;
    byKey.set(key, e);
  }
  return e;
}

let pn: DcmjsVr | undefined;
const personNames = new Map<string, boolean>();
/** What dcmjs's data set Proxy does on assignment: PN keywords get PN value accessors. */
function assigned(name: string, value: unknown): unknown {
  let isPn = personNames.get(name);
  if (isPn === undefined) {
    const { nameMap } = dcmjs().data.DicomMetaDictionary;
    personNames.set(name, (isPn = name in nameMap && nameMap[name]!.vr === 'PN'));
  }
  if (!isPn) return value;
  if (value !== null && value !== undefined && typeof value !== 'object' && typeof value !== 'string') throw DECLINE; // dcmjs throws
  return (pn ??= dcmjs().data.ValueRepresentation.createByTypeString('PN')).addValueAccessors(value);
}

function build(dict: DcmjsDict, depth: number): Dataset {
  if (depth > MAX_DEPTH) throw DECLINE;
  const { data: dcmjsData, utilities } = dcmjs();
  const target: Dataset = {};
  const dataset = dcmjsData.ValueRepresentation.addTagAccessors(target); // defines __hasTagAccessors first, as dcmjs does
  const keys = Object.keys(dict);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const data = dict[key]!;
    const entry = entryOf(key);
    let name = key;
    if (entry) {
      name = entry.name;
      if (entry.vr === 'ox' || data.vr !== entry.vr) throw DECLINE; // dcmjs records the VR in _vrMap
    }
    if (data.Value === undefined || data.Value === null || name === '_vrMap' || name === '__hasTagAccessors') throw DECLINE;
    let value: unknown = data.vr === 'SQ' ? (data.Value as DcmjsDict[]).map((item) => build(item, depth + 1)) : data.Value;
    value = assigned(name, value);
    if ((value as unknown[]).length === 1) {
      const first = (value as unknown[])[0] as { length?: unknown } | null | undefined;
      value = assigned(name, first && typeof first === 'object' && !first.length ? utilities.addAccessors(value as object, first) : first);
    }
    target[name] = value;
  }
  return dataset;
}

/** Keep `_vrMap` only where it says something. */
function dropEmptyVrMaps(ds: Dataset): Dataset {
  const vrMap = ds._vrMap;
  if (vrMap && typeof vrMap === 'object' && Object.keys(vrMap).length === 0) delete ds._vrMap;
  for (const v of Object.values(ds)) {
    if (Array.isArray(v)) for (const item of v) if (isItem(item)) dropEmptyVrMaps(item);
  }
  return ds;
}

const isItem = (v: unknown): v is Dataset =>
  typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer) && '_vrMap' in v;
