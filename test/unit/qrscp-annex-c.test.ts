/**
 * The Query/Retrieve SCP against PS3.4 Annex C, over memory pairs: index rows that follow replaced
 * and removed instances and hold only their level's attributes (C.6.1.1), zero-length Required Keys
 * (C.2.2.1.2), the C-FIND response identifier (C.4.1.1.3.2: Retrieve AE Title, Timezone Offset From
 * UTC), and hierarchical queries and retrieves unless relational ones were negotiated (C.4.1.2.1,
 * C.4.2.2.1, C.5).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { createQrScp, QrDatabase, type QrScp } from '../../adapters/node/qr';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { encodeDataset, writePart10 } from '../../src/dataset/codec';
import type { SopClassExtendedNegotiation } from '../../src/pdu/types';
import { compileQuery } from '../../src/services/query-matching';
import type { Transport } from '../../src/transport';
import { ARCHIVE, CT, EXPLICIT, dataset, part10, writeArchive, type Spec } from './helpers/qr-fixtures';

const PATIENT_FIND = '1.2.840.10008.5.1.4.1.2.1.1';
const STUDY_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const STUDY_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const STUDY_GET = '1.2.840.10008.5.1.4.1.2.2.3';
const PATIENT_GET = '1.2.840.10008.5.1.4.1.2.1.3';

let dir: string;
let qr: QrScp | undefined;
let received: string[];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'qrscp-annex-c-'));
  writeArchive(dir);
  received = [];
});
afterEach(async () => {
  await qr?.close();
  qr = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** A storage SCP reachable as C-MOVE destination 'DEST'. */
function destination(): Promise<Transport> {
  const [a, b] = createMemoryPair();
  void new ApplicationEntity({ aeTitle: 'DEST' }).acceptAnyStorage().handle(b, { cStore: (rq) => (received.push(rq.sopInstanceUid), 0) });
  return Promise.resolve(a);
}

async function start(): Promise<QrScp> {
  qr = await createQrScp({ directory: dir, ae: { aeTitle: 'QRSCP' }, destinations: new Map([['DEST', { host: 'unused', port: 1 }]]), connect: destination, fsync: false });
  return qr;
}

async function connect(scp: QrScp, extendedNegotiations: SopClassExtendedNegotiation[] = []): Promise<Association> {
  const scu = new ApplicationEntity({ aeTitle: 'SCU' });
  for (const uid of [PATIENT_FIND, STUDY_FIND, STUDY_MOVE, STUDY_GET, PATIENT_GET]) scu.addRequestedContext(uid);
  scu.addRequestedContext(CT, [EXPLICIT], { scuRole: false, scpRole: true });
  const [a, b] = createMemoryPair();
  void scp.ae.handle(b, scp.handlers);
  return scu.associate(a, { calledAeTitle: 'QRSCP', extendedNegotiations });
}

/** The matches' identifiers and the final status (with its Error Comment). */
async function find(assoc: Association, query: Record<string, unknown>, model = 'study') {
  const matches: Array<Record<string, unknown>> = [];
  let final: { status: number; comment?: string } | undefined;
  for await (const r of assoc.cFind(query, { model })) {
    if (r.category === 'Pending') matches.push(r.identifier!);
    else final = { status: r.status, comment: r.command.ErrorComment };
  }
  return { matches, final: final! };
}

const text = (v: unknown): string => (Array.isArray(v) ? v.map(text).join('\\') : v && typeof v === 'object' ? String((v as { Alphabetic?: string }).Alphabetic ?? '') : String(v ?? ''));

/** What QrDatabase.add needs of a file, for the index alone. */
const fileInfo = (sop: string) => ({ path: path.join(dir, sop), size: 1, mtimeMs: 1, sopClassUid: CT, sopInstanceUid: sop, transferSyntaxUid: EXPLICIT, datasetOffset: 0 });

/** Writes one instance: the fixture's attributes with `changes` (an empty string: zero length). */
function writeInstance(spec: Spec, changes: Record<string, unknown> = {}): void {
  const ds = { ...dataset(spec), ...changes };
  writeFileSync(path.join(dir, `${spec.sop}.dcm`), Buffer.concat(writePart10({ transferSyntaxUid: EXPLICIT, sopClassUid: CT, sopInstanceUid: spec.sop, dataset: encodeDataset(ds, EXPLICIT) })));
}

describe('index rows follow their current instances (PS3.4 C.6.1.1)', () => {
  it('an instance stored again with another Patient Name: the study answers the new name, and is found by it', async () => {
    const scp = await start();
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_FIND).addRequestedContext(CT, [EXPLICIT]);
    const [a, b] = createMemoryPair();
    void scp.ae.handle(b, scp.handlers);
    const store = await scu.associate(a, { calledAeTitle: 'QRSCP' });
    // 1.2.9.2 is a study of one instance (ARCHIVE[3]).
    expect((await store.cStore({ part10: part10({ ...ARCHIVE[3]!, patientName: 'DOE^JANE' }) })).status).toBe(0);
    const byName = await find(store, { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', PatientName: 'DOE^JANE' });
    expect(byName.matches.map((m) => [m.StudyInstanceUID, text(m.PatientName)])).toEqual([['1.2.9.2', 'DOE^JANE']]);
    await store.release();
  });

  it('remove() rebuilds the parents from the instances left, and drops a parent left without any', async () => {
    const db = await QrDatabase.open({ file: null });
    const attrs = (sop: string, description: string) => ({ PatientID: 'P', StudyInstanceUID: '1.2.3', SeriesInstanceUID: '1.2.3.4', SOPInstanceUID: sop, SeriesDescription: description });
    db.add(fileInfo('1.9.1'), attrs('1.9.1', 'AXIAL'));
    db.add(fileInfo('1.9.2'), attrs('1.9.2', 'CORONAL'));
    expect(db.records('SERIES', {})[0]).toMatchObject({ SeriesDescription: 'CORONAL' }); // the newest instance's
    db.remove('1.9.2');
    expect(db.records('SERIES', {})[0]).toMatchObject({ SeriesDescription: 'AXIAL' });
    db.remove('1.9.1');
    db.add(fileInfo('1.9.3'), attrs('1.9.3', 'SAGITTAL')); // the series again: nothing left of the old row
    expect(db.records('SERIES', {})[0]).toMatchObject({ SeriesDescription: 'SAGITTAL', NumberOfSeriesRelatedInstances: 1 });
    await db.close();
  });

  it('instances that disagree leave the parent a value (the newest), not an unknown one a Required Key would match to anything', async () => {
    const db = await QrDatabase.open({ file: null });
    const attrs = (sop: string, name: string, extra: object = {}) => ({ PatientID: 'ANON', PatientName: name, StudyInstanceUID: '1.2.3', SeriesInstanceUID: '1.2.3.4', SOPInstanceUID: sop, ...extra });
    db.add(fileInfo('1.9.1'), attrs('1.9.1', 'SMITH^A', { StudyDescription: 'HEAD' }));
    db.add(fileInfo('1.9.2'), attrs('1.9.2', 'DOE^B'));
    const patient = db.records('PATIENT', {})[0]!;
    expect(patient.PatientName).toBe('DOE^B');
    const required = { requiredKeys: new Set(['PatientName', 'PatientID']) };
    expect(compileQuery({ PatientName: 'JONES*' }, required).matches(patient)).toBe(false);
    expect(compileQuery({ PatientName: 'DOE*' }, required).matches(patient)).toBe(true);
    // An attribute one instance has and another lacks is kept, not dropped.
    expect(db.records('STUDY', {})[0]).toMatchObject({ StudyDescription: 'HEAD' });
    await db.close();
  });

  it('a series corrected instance by instance is rebuilt once, at the next query; one sent again unchanged not at all', async () => {
    const db = await QrDatabase.open({ file: null });
    const rebuild = vi.spyOn(db as unknown as { rebuild(): void }, 'rebuild');
    const attrs = (sop: string, name: string) => ({ PatientID: 'P', PatientName: name, StudyInstanceUID: '1.2.3', SeriesInstanceUID: '1.2.3.4', SOPInstanceUID: sop });
    const sops = Array.from({ length: 50 }, (_, i) => `1.9.${i}`);
    for (const sop of sops) db.add(fileInfo(sop), attrs(sop, 'DOE^J'));
    for (const sop of sops) db.add(fileInfo(sop), attrs(sop, 'DOE^J'));
    expect(rebuild).not.toHaveBeenCalled();
    for (const sop of sops) db.add(fileInfo(sop), attrs(sop, 'ROE^J'));
    expect(rebuild).not.toHaveBeenCalled();
    expect(db.records('SERIES', {})[0]).toMatchObject({ PatientName: 'ROE^J', NumberOfSeriesRelatedInstances: 50 });
    expect(rebuild).toHaveBeenCalledTimes(3); // series, study, patient
    await db.close();
  });

  it('an index file written before (lower-level attributes in its rows) is rebuilt on open', async () => {
    const file = path.join(dir, 'old.sqlite');
    const db = await QrDatabase.open({ file });
    db.add(fileInfo('1.9.1'), { PatientID: 'P', PatientName: 'DOE^J', StudyInstanceUID: '1.2.3', SeriesInstanceUID: '1.2.3.4', Modality: 'CT' });
    const sql = (db as unknown as { db: { exec(s: string): unknown } }).db;
    sql.exec(`UPDATE studies SET attrs = '{"StudyInstanceUID":"1.2.3","Modality":"CT"}'; PRAGMA user_version = 0`);
    await db.close();
    const again = await QrDatabase.open({ file });
    const [study] = again.records('STUDY', {});
    expect(study).toMatchObject({ StudyInstanceUID: '1.2.3', PatientName: 'DOE^J' });
    expect(study).not.toHaveProperty('Modality');
    await again.close();
  });
});

describe('rows hold their level\u2019s attributes and those above only (PS3.4 C.6.1.1)', () => {
  it('a study of one series answers no Modality nor Series Number; a patient of one study no Study Date', async () => {
    const assoc = await connect(await start());
    const study = await find(assoc, { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2.9.2', Modality: '', SeriesNumber: '', PatientID: '' });
    expect(study.matches).toEqual([expect.objectContaining({ StudyInstanceUID: '1.2.9.2', Modality: '', PatientID: 'P1' })]);
    expect(study.matches[0]!.SeriesNumber ?? null).toBeNull();
    const patient = await find(assoc, { QueryRetrieveLevel: 'PATIENT', PatientID: 'P2', StudyDate: '', PatientName: '' }, 'patient');
    expect(patient.matches.map((m) => [m.StudyDate, text(m.PatientName)])).toEqual([['', 'ROE^JANE']]);
    await assoc.release();
  });

  it('a key of a lower level selects nothing at a higher one (a study has no one Modality), as in dcmqrscp', async () => {
    const assoc = await connect(await start());
    const studies = await find(assoc, { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', Modality: 'CT' });
    expect(studies.matches.map((m) => m.StudyInstanceUID).sort()).toEqual(['1.2.9.1', '1.2.9.2', '1.2.9.3']);
    // At its own level it does select.
    const series = await find(assoc, { QueryRetrieveLevel: 'SERIES', StudyInstanceUID: '1.2.9.1', SeriesInstanceUID: '', Modality: 'CT' });
    expect(series.matches.map((m) => m.SeriesInstanceUID)).toEqual(['1.2.9.1.1']);
    await assoc.release();
  });
});

describe('Required Keys of zero length match (PS3.4 C.2.2.1.2)', () => {
  const spec: Spec = { patientId: 'P9', patientName: 'X', study: '1.2.9.9', series: '1.2.9.9.1', sop: '1.2.9.9.1.1' };
  const empty = { PatientName: '', StudyDate: '', StudyTime: '', AccessionNumber: '', StudyID: '', SeriesNumber: '', InstanceNumber: '', StudyDescription: '' };

  it('at every level, and only for Required Keys', async () => {
    writeInstance(spec, empty);
    const assoc = await connect(await start());
    const uids = async (query: Record<string, unknown>, key: string, model = 'study') => (await find(assoc, query, model)).matches.map((m) => m[key]).sort();
    const study = { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '' };
    expect(await uids({ ...study, PatientName: 'DOE^JOHN', StudyDate: '20240102', StudyTime: '1015', AccessionNumber: 'A1', StudyID: '1' }, 'StudyInstanceUID')).toEqual(['1.2.9.1', '1.2.9.9']);
    expect(await uids({ ...study, StudyDescription: 'Study*' }, 'StudyInstanceUID')).toEqual(['1.2.9.1', '1.2.9.2', '1.2.9.3']); // optional: no match
    expect(await uids({ QueryRetrieveLevel: 'PATIENT', PatientID: '', PatientName: 'ROE*' }, 'PatientID', 'patient')).toEqual(['P2', 'P9']);
    expect(await uids({ QueryRetrieveLevel: 'SERIES', StudyInstanceUID: '1.2.9.9', SeriesInstanceUID: '', SeriesNumber: '7' }, 'SeriesInstanceUID')).toEqual(['1.2.9.9.1']);
    expect(await uids({ QueryRetrieveLevel: 'IMAGE', StudyInstanceUID: '1.2.9.9', SeriesInstanceUID: '1.2.9.9.1', SOPInstanceUID: '', InstanceNumber: '7' }, 'SOPInstanceUID')).toEqual(['1.2.9.9.1.1']);
    await assoc.release();
  });

  it('Patient ID is a Required Key in Study Root, the unique key of Patient Root', async () => {
    writeInstance(spec, { PatientID: '' });
    const assoc = await connect(await start());
    const studyRoot = await find(assoc, { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', PatientID: 'P2' });
    expect(studyRoot.matches.map((m) => m.StudyInstanceUID).sort()).toEqual(['1.2.9.3', '1.2.9.9']);
    const patientRoot = await find(assoc, { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', PatientID: 'P2' }, 'patient');
    expect(patientRoot.matches.map((m) => m.StudyInstanceUID)).toEqual(['1.2.9.3']);
    await assoc.release();
  });
});

describe('C-FIND response identifier (PS3.4 C.4.1.1.3.2)', () => {
  it('holds Retrieve AE Title even when not asked for', async () => {
    const assoc = await connect(await start());
    const { matches } = await find(assoc, { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2.9.3' });
    expect(matches).toEqual([{ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2.9.3', RetrieveAETitle: 'QRSCP' }]);
    await assoc.release();
  });

  it('Timezone Offset From UTC asked for: the offset of the entity, or left out, never zero length', async () => {
    writeInstance({ patientId: 'P9', patientName: 'Z', study: '1.2.9.9', series: '1.2.9.9.1', sop: '1.2.9.9.1.1' }, { TimezoneOffsetFromUTC: '+0100' });
    const assoc = await connect(await start());
    const { matches } = await find(assoc, { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', StudyTime: '', TimezoneOffsetFromUTC: '' });
    const offsets = Object.fromEntries(matches.map((m) => [m.StudyInstanceUID, 'TimezoneOffsetFromUTC' in m ? m.TimezoneOffsetFromUTC : 'absent']));
    expect(offsets).toEqual({ '1.2.9.1': 'absent', '1.2.9.2': 'absent', '1.2.9.3': 'absent', '1.2.9.9': '+0100' });
    await assoc.release();
  });
});

describe('hierarchical unless relational queries or retrieval are negotiated (PS3.4 C.4.1.2.1, C.4.2.2.1, C.5)', () => {
  const series = { QueryRetrieveLevel: 'SERIES', SeriesInstanceUID: '1.2.9.3.1' };

  it('without it, a unique key above the level left out fails with 0xC000 and an Error Comment; empty or a wild card is matched (as dcmqrscp)', async () => {
    const assoc = await connect(await start());
    expect(assoc.extendedNegotiation(STUDY_FIND)).toBeUndefined();
    const { matches, final } = await find(assoc, series);
    expect([matches, final]).toEqual([[], { status: 0xc000, comment: 'no StudyInstanceUID: relational queries not negotiated' }]);
    expect((await find(assoc, { ...series, StudyInstanceUID: '' })).matches).toHaveLength(1);
    // Patient Root: the Patient ID above the study.
    expect((await find(assoc, { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2.9.3' }, 'patient')).final).toEqual({ status: 0xc000, comment: 'no PatientID: relational queries not negotiated' });
    expect((await find(assoc, { QueryRetrieveLevel: 'STUDY', PatientID: '*', StudyInstanceUID: '1.2.9.3' }, 'patient')).matches).toHaveLength(1);
    const moves = [];
    for await (const p of assoc.cMove(series, 'DEST', { model: 'study' })) moves.push(p.status);
    const gets = [];
    for await (const p of assoc.cGet({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2.9.3' }, { model: 'patient', onStore: () => 0 })) gets.push(p.status);
    expect([moves, gets, received]).toEqual([[0xc000], [0xc000], []]);
    // With the keys above, each is served.
    expect((await find(assoc, { ...series, StudyInstanceUID: '1.2.9.3' })).matches).toHaveLength(1);
    await assoc.release();
  });

  it('agreed when proposed (byte 1), then served without the keys above, matching keys of any level', async () => {
    const relational = [STUDY_FIND, STUDY_MOVE, STUDY_GET].map((sopClassUid) => ({ sopClassUid, info: Uint8Array.of(1) }));
    const assoc = await connect(await start(), relational);
    expect([STUDY_FIND, STUDY_MOVE, STUDY_GET].map((uid) => assoc.extendedNegotiation(uid))).toEqual([Uint8Array.of(1), Uint8Array.of(1), Uint8Array.of(1)]);
    const byName = await find(assoc, { QueryRetrieveLevel: 'SERIES', SeriesInstanceUID: '', PatientName: 'ROE*', Modality: '' });
    expect(byName.matches.map((m) => [m.SeriesInstanceUID, text(m.PatientName), m.Modality])).toEqual([['1.2.9.3.1', 'ROE^JANE', 'CT']]);
    const moves = [];
    for await (const p of assoc.cMove(series, 'DEST', { model: 'study' })) moves.push(p);
    expect(moves.at(-1)).toMatchObject({ status: 0, completed: 3 });
    expect(received.sort()).toEqual(['1.2.9.3.1.1', '1.2.9.3.1.2', '1.2.9.3.1.3']);
    await assoc.release();
  });
});
