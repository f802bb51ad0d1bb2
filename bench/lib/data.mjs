/**
 * Test instances for the bench, written as Part 10 files (Explicit VR LE, CT Image Storage) with
 * a pixel data element written by hand so large instances never sit in memory.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { encodeDataset, writePart10 } from 'netdicom';

export const CT = '1.2.840.10008.5.1.4.1.1.2';
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const ROOT = '1.2.826.0.1.3680043.9.7433.8';

/** Header elements of one instance (small; encoded by dcmjs once per file). */
function header(i, study) {
  return {
    SOPClassUID: CT,
    SOPInstanceUID: `${ROOT}.1.${study}.${i}`,
    StudyInstanceUID: `${ROOT}.2.${study}`,
    SeriesInstanceUID: `${ROOT}.3.${study}`,
    Modality: 'CT',
    PatientName: `BENCH^${study}`,
    PatientID: `P${String(study).padStart(5, '0')}`,
    StudyDate: `2024${String((study % 12) + 1).padStart(2, '0')}${String((study % 28) + 1).padStart(2, '0')}`,
    StudyTime: '120000',
    AccessionNumber: `A${study}`,
    StudyID: String(study),
    StudyDescription: `Bench study ${study}`,
    SeriesNumber: 1,
    InstanceNumber: i + 1,
    Rows: 1,
    Columns: 1,
    BitsAllocated: 16,
  };
}

/** (7FE0,0010) OW with a 32-bit length: the 12-byte element header. */
function pixelHeader(bytes) {
  const tag = new Uint8Array(12);
  const dv = new DataView(tag.buffer);
  dv.setUint16(0, 0x7fe0, true);
  dv.setUint16(2, 0x0010, true);
  tag.set([0x4f, 0x57], 4);
  dv.setUint32(8, bytes, true);
  return tag;
}

let fill = null;
/** 8 MiB of non-zero filler, made on first use. */
function filler() {
  if (!fill) {
    fill = new Uint8Array(8 * 1024 * 1024);
    for (let i = 0; i < fill.length; i++) fill[i] = (i * 2654435761) >>> 24;
  }
  return fill;
}

/**
 * Writes one instance whose *data set* is about `datasetBytes` long (pixel data fills the rest).
 * Returns { file, datasetBytes } with the exact data set length (what goes over the wire).
 */
export function writeInstance(file, datasetBytes, i = 0, study = 0) {
  const ds = header(i, study);
  const head = encodeDataset(ds, EXPLICIT_LE);
  let pixels = Math.max(0, datasetBytes - head.length - 12);
  pixels -= pixels % 2;
  const [pre, meta] = writePart10({ sopClassUid: CT, sopInstanceUid: ds.SOPInstanceUID, transferSyntaxUid: EXPLICIT_LE, dataset: new Uint8Array(0) });
  const fd = openSync(file, 'w');
  try {
    for (const part of [pre, meta, head, pixelHeader(pixels)]) writeSync(fd, part);
    const f = filler();
    for (let left = pixels; left > 0; left -= f.length) writeSync(fd, f, 0, Math.min(left, f.length));
  } finally {
    closeSync(fd);
  }
  return { file, datasetBytes: head.length + 12 + pixels };
}

/** Writes `count` instances of `datasetBytes` into `dir` (distinct UIDs; 20 per study); returns files and data set sizes. */
export function writeInstances(dir, count, datasetBytes) {
  const files = [];
  const sizes = [];
  for (let i = 0; i < count; i++) {
    const r = writeInstance(path.join(dir, `i${String(i).padStart(5, '0')}.dcm`), datasetBytes, i, 10000 + Math.floor(i / 20));
    files.push(r.file);
    sizes.push(r.datasetBytes);
  }
  return { files, sizes };
}

/**
 * C-FIND rows: dcmqrscp's index holds at most 500 studies per storage area (and dcmqridx crashes
 * beyond), so the 1,000 matches are 1,000 instances of one series, queried at IMAGE level.
 */
const FIND_STUDY = 7;
export const FIND_STUDY_UID = `${ROOT}.2.${FIND_STUDY}`;
export const FIND_SERIES_UID = `${ROOT}.3.${FIND_STUDY}`;

/** Writes `count` tiny instances of the C-FIND series into `dir`; returns the files. */
export function writeFindInstances(dir, count) {
  const files = [];
  for (let i = 0; i < count; i++) files.push(writeInstance(path.join(dir, `f${String(i).padStart(5, '0')}.dcm`), 256, i, FIND_STUDY).file);
  return files;
}

/** The same instances as records for a netdicom C-FIND SCP (what dcmqrscp's index holds). */
export function findRecords(count) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const h = header(i, FIND_STUDY);
    out.push({
      StudyInstanceUID: h.StudyInstanceUID,
      SeriesInstanceUID: h.SeriesInstanceUID,
      SOPInstanceUID: h.SOPInstanceUID,
      SOPClassUID: h.SOPClassUID,
      InstanceNumber: String(h.InstanceNumber),
    });
  }
  return out;
}

/** The C-FIND query both SCUs send: Study Root, IMAGE level, every instance of the series. */
export const FIND_QUERY = {
  QueryRetrieveLevel: 'IMAGE',
  StudyInstanceUID: FIND_STUDY_UID,
  SeriesInstanceUID: FIND_SERIES_UID,
  SOPInstanceUID: '',
  SOPClassUID: '',
  InstanceNumber: '',
};
