// The demo's SCP when netdicom/node has no createQrScp yet: C-ECHO, C-STORE into an on-disk store
// (createFsStore: temp file + rename) and C-FIND at STUDY level over an in-memory index of the
// folder's files. With createQrScp (the full Query/Retrieve SCP) the demo uses that instead.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationEntity, SopClass, decodeDataset, readPart10 } from 'netdicom';
import { createFsStore } from 'netdicom/node';

const STUDY_KEYS = ['PatientName', 'PatientID', 'StudyInstanceUID', 'StudyDate', 'StudyDescription', 'AccessionNumber', 'StudyID'];

/** DICOM wildcard matching (PS3.4 C.2.2.2.4): `*` and `?`, case-sensitive; empty matches all. */
function matches(pattern, value) {
  if (pattern === undefined || pattern === '' || pattern === '*') return true;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(value ?? '');
}

/** dcmjs gives person names as [{ Alphabetic }] or a string. */
const text = (v) => (Array.isArray(v) ? text(v[0]) : v && typeof v === 'object' ? (v.Alphabetic ?? '') : v === undefined ? '' : String(v));

/** Builds `{ ae, handlers, close }` over `directory`. */
export function createSimpleScp({ directory, aeTitle }) {
  const index = new Map(); // SOPInstanceUID → { study keys, Modality }
  const add = (file) => {
    try {
      const p10 = readPart10(new Uint8Array(readFileSync(file)));
      const ds = decodeDataset(p10.dataset, p10.transferSyntaxUid);
      index.set(p10.sopInstanceUid, { ...Object.fromEntries(STUDY_KEYS.map((k) => [k, text(ds[k])])), Modality: text(ds.Modality) });
    } catch {
      // not a DICOM file: ignored, as a PACS would
    }
  };
  for (const name of readdirSync(directory)) if (name.endsWith('.dcm')) add(path.join(directory, name));
  const store = createFsStore({ directory, onStored: (info) => info.path && add(info.path) });

  const ae = new ApplicationEntity({ aeTitle })
    .addSupportedContext(SopClass.Verification)
    .addSupportedContext(SopClass.StudyRootQueryRetrieveInformationModelFind)
    .addSupportedContext(SopClass.PatientRootQueryRetrieveInformationModelFind)
    .acceptAnyStorage();

  const handlers = {
    cStore: store.cStore,
    *cFind(request) {
      const q = request.identifier;
      const studies = new Map();
      for (const row of index.values()) {
        const s = studies.get(row.StudyInstanceUID) ?? { ...row, modalities: new Set(), count: 0 };
        s.modalities.add(row.Modality);
        s.count++;
        studies.set(row.StudyInstanceUID, s);
      }
      for (const s of studies.values()) {
        if (!['PatientName', 'PatientID', 'StudyInstanceUID', 'AccessionNumber'].every((k) => matches(text(q[k]), s[k]))) continue;
        yield {
          QueryRetrieveLevel: 'STUDY',
          ...Object.fromEntries(STUDY_KEYS.map((k) => [k, s[k]])),
          ModalitiesInStudy: [...s.modalities].join('\\'),
          NumberOfStudyRelatedInstances: String(s.count),
        };
      }
    },
  };
  return { ae, handlers, close: async () => {} };
}
