/**
 * Test instances for Query/Retrieve: small CT images written as Part 10 files with the codec.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { qrscp } from '../../../adapters/cli/qrscp';
import { encodeDataset, writePart10 } from '../../../src/dataset/codec';

export const CT = '1.2.840.10008.5.1.4.1.1.2';
export const EXPLICIT = '1.2.840.10008.1.2.1';

export interface Spec {
  patientId: string;
  patientName: string;
  study: string;
  series: string;
  sop: string;
  studyDate?: string;
  modality?: string;
  accession?: string;
}

export function dataset(s: Spec): Record<string, unknown> {
  return {
    SOPClassUID: CT,
    SOPInstanceUID: s.sop,
    PatientName: s.patientName,
    PatientID: s.patientId,
    PatientBirthDate: '19700101',
    PatientSex: 'O',
    StudyInstanceUID: s.study,
    StudyDate: s.studyDate ?? '20240102',
    StudyTime: '101500',
    StudyID: '1',
    AccessionNumber: s.accession ?? `A${s.study.split('.').at(-1)}`,
    StudyDescription: `Study ${s.study}`,
    SeriesInstanceUID: s.series,
    SeriesNumber: Number(s.series.split('.').at(-1)),
    Modality: s.modality ?? 'CT',
    InstanceNumber: Number(s.sop.split('.').at(-1)),
    Rows: 2,
    Columns: 2,
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    PixelData: [new Uint16Array([1, 2, 3, 4]).buffer],
  };
}

/** Part 10 bytes of one instance. */
export function part10(s: Spec, transferSyntax = EXPLICIT): Uint8Array {
  const chunks = writePart10({ transferSyntaxUid: transferSyntax, sopClassUid: CT, sopInstanceUid: s.sop, dataset: encodeDataset(dataset(s), transferSyntax) });
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) (out.set(c, off), (off += c.length));
  return out;
}

/** Two patients, three studies, four series, seven instances. */
export const ARCHIVE: Spec[] = [
  { patientId: 'P1', patientName: 'DOE^JOHN', study: '1.2.9.1', series: '1.2.9.1.1', sop: '1.2.9.1.1.1', studyDate: '20240102' },
  { patientId: 'P1', patientName: 'DOE^JOHN', study: '1.2.9.1', series: '1.2.9.1.1', sop: '1.2.9.1.1.2', studyDate: '20240102' },
  { patientId: 'P1', patientName: 'DOE^JOHN', study: '1.2.9.1', series: '1.2.9.1.2', sop: '1.2.9.1.2.3', studyDate: '20240102', modality: 'SR' },
  { patientId: 'P1', patientName: 'DOE^JOHN', study: '1.2.9.2', series: '1.2.9.2.1', sop: '1.2.9.2.1.1', studyDate: '20230615', modality: 'MR' },
  { patientId: 'P2', patientName: 'ROE^JANE', study: '1.2.9.3', series: '1.2.9.3.1', sop: '1.2.9.3.1.1', studyDate: '20220101' },
  { patientId: 'P2', patientName: 'ROE^JANE', study: '1.2.9.3', series: '1.2.9.3.1', sop: '1.2.9.3.1.2', studyDate: '20220101' },
  { patientId: 'P2', patientName: 'ROE^JANE', study: '1.2.9.3', series: '1.2.9.3.1', sop: '1.2.9.3.1.3', studyDate: '20220101' },
];

/** Writes the instances into `dir` (in a nested folder too, to check the recursive scan). */
export function writeArchive(dir: string, specs: Spec[] = ARCHIVE): void {
  mkdirSync(path.join(dir, 'nested'), { recursive: true });
  specs.forEach((s, i) => writeFileSync(path.join(dir, i % 2 ? 'nested' : '', `IMG${i}`), part10(s)));
  writeFileSync(path.join(dir, 'README.txt'), 'not DICOM');
}

/**
 * Runs `netdicom qrscp` in process on 127.0.0.1 and any free port (quiet, no fsync) with `args`
 * (e.g. --dir, -aet); `stop()` shuts it down and resolves with its exit code.
 */
export async function startQrscp(args: readonly string[]): Promise<{ port: number; stop(): Promise<number> }> {
  let resolveStop!: () => void;
  const stopped = new Promise<void>((r) => (resolveStop = r));
  const lines: string[] = [];
  const io = { out: (l: string) => void lines.push(l), err: (l: string) => void lines.push(l) };
  let done!: Promise<number>;
  const address = await new Promise<string>((resolve, reject) => {
    done = qrscp(['0', '--bind', '127.0.0.1', '--no-fsync', '-q', ...args], io, { stop: stopped, onListening: resolve });
    void done.then((code) => reject(new Error(`qrscp ended (${code}) before listening: ${lines.join('\n')}`)));
  });
  return { port: Number(address.split(':').at(-1)), stop: () => (resolveStop(), done) };
}
