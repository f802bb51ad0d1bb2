// Generated sample studies for the demo's store (no downloaded data): three patients, one study
// each, two small uncompressed 16-bit grayscale images per study, written as Part 10 files.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeDataset, writePart10, SopClass, TransferSyntax } from 'netdicom';

const ROOT = '1.2.826.0.1.3680043.9.7433.77';
const PATIENTS = [
  { name: 'DOE^JANE', id: 'DEMO-001', sex: 'F', modality: 'CT', description: 'CT HEAD WITHOUT CONTRAST', date: '20240112' },
  { name: 'SMITH^JOHN', id: 'DEMO-002', sex: 'M', modality: 'MR', description: 'MR KNEE LEFT', date: '20240305' },
  { name: 'MUSTERMANN^ERIKA', id: 'DEMO-003', sex: 'F', modality: 'CT', description: 'CT CHEST LOW DOSE', date: '20240621' },
];

/** A 64×64 16-bit image: a soft gradient with a bright disc, different per instance. */
function pixels(seed) {
  const size = 64;
  const out = new Uint16Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - 20 - seed * 12, y - 32);
      out[y * size + x] = (x + y) * 8 + (d < 10 ? 1500 : 0);
    }
  }
  return new Uint8Array(out.buffer);
}

/** Writes the sample files into `directory`; returns their paths. */
export function writeSamples(directory) {
  const files = [];
  const ts = TransferSyntax.ExplicitVRLittleEndian;
  PATIENTS.forEach((p, i) => {
    const study = `${ROOT}.${i + 1}`;
    for (let n = 1; n <= 2; n++) {
      const sopClassUid = p.modality === 'MR' ? SopClass.MRImageStorage : SopClass.CTImageStorage;
      const sopInstanceUid = `${study}.1.${n}`;
      const dataset = encodeDataset(
        {
          SOPClassUID: sopClassUid,
          SOPInstanceUID: sopInstanceUid,
          StudyInstanceUID: study,
          SeriesInstanceUID: `${study}.1`,
          StudyID: String(i + 1),
          SeriesNumber: '1',
          InstanceNumber: String(n),
          AccessionNumber: `ACC${i + 1}`,
          StudyDate: p.date,
          StudyTime: '101500',
          StudyDescription: p.description,
          SeriesDescription: `${p.modality} demo series`,
          PatientName: p.name,
          PatientID: p.id,
          PatientSex: p.sex,
          PatientBirthDate: '19700101',
          Modality: p.modality,
          SamplesPerPixel: 1,
          PhotometricInterpretation: 'MONOCHROME2',
          Rows: 64,
          Columns: 64,
          BitsAllocated: 16,
          BitsStored: 12,
          HighBit: 11,
          PixelRepresentation: 0,
          PixelData: [pixels(n).buffer],
          _vrMap: { PixelData: 'OW' },
        },
        ts,
      );
      const file = path.join(directory, `${sopInstanceUid}.dcm`);
      const chunks = writePart10({ transferSyntaxUid: ts, sopClassUid, sopInstanceUid, dataset });
      writeFileSync(file, Buffer.concat(chunks));
      files.push(file);
    }
  });
  return files;
}
