/**
 * dcmjs's element dictionary → the naturalized data set users see (keywords as keys, single
 * values unwrapped, PN as { Alphabetic, … } with dcmjs's accessors), exactly as dcmjs makes it.
 */
import { data as dcmjsData, type DcmjsDict } from 'dcmjs';

const { DicomMetaDictionary } = dcmjsData;

/** A naturalized data set: DICOM keywords as keys, e.g. `{ PatientName: 'DOE^J' }` (dcmjs convention). */
export type Dataset = Record<string, unknown>;

/** dcmjs's naturalizeDataset, minus the empty `_vrMap` it adds to every (sub-)dataset. */
export function naturalize(dict: DcmjsDict): Dataset {
  return dropEmptyVrMaps(DicomMetaDictionary.naturalizeDataset(dict));
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
