/**
 * The Query/Retrieve SCP over memory pairs: index at start, persistence across restarts, C-FIND at
 * each level and model, C-GET and C-MOVE counts and bytes, unknown destination, an operation on
 * another operation's model, cancel, storage into the index, Modality Worklist, combined date-time matching by extended negotiation; the index's
 * recovery from a failed save or BEGIN.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { connectTcp, listenTcp } from '../../adapters/node/index';
import { createQrScp, INDEX_FILE, QrDatabase, type QrScp } from '../../adapters/node/qr';
import { bulkOffset } from '../../adapters/node/qr/part10-reader';
import { parseDestination } from '../../adapters/node/qr/destinations';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { CommandField } from '../../src/dimse/types';
import { encodeDataset, readPart10, writePart10 } from '../../src/dataset/codec';
import type { Transport } from '../../src/transport';
import { silentLogger } from '../../src/logger';
import { ARCHIVE, CT, EXPLICIT, part10, writeArchive } from './helpers/qr-fixtures';

const PATIENT_FIND = '1.2.840.10008.5.1.4.1.2.1.1';
const STUDY_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const PSONLY_FIND = '1.2.840.10008.5.1.4.1.2.3.1';
const STUDY_GET = '1.2.840.10008.5.1.4.1.2.2.3';
const STUDY_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const WORKLIST = '1.2.840.10008.5.1.4.31';

let dir: string;
let qr: QrScp | undefined;
let received: Array<{ uid: string; bytes: Uint8Array; originator?: string }>;

/** A storage SCP reachable as C-MOVE destination 'DEST' through memory pairs. */
function destinationConnect(): Promise<Transport> {
  const dest = new ApplicationEntity({ aeTitle: 'DEST' }).acceptAnyStorage();
  const [a, b] = createMemoryPair();
  void dest.handle(b, {
    cStore: async (rq) => {
      received.push({ uid: rq.sopInstanceUid, bytes: await rq.bytes(), originator: rq.moveOriginator?.aeTitle });
      return 0;
    },
  });
  return Promise.resolve(a);
}

async function start(extra: Partial<Parameters<typeof createQrScp>[0]> = {}): Promise<QrScp> {
  qr = await createQrScp({
    directory: dir,
    ae: { aeTitle: 'QRSCP' },
    destinations: new Map([['DEST', { host: 'unused', port: 1 }]]),
    connect: destinationConnect,
    fsync: false,
    ...extra,
  });
  return qr;
}

async function connect(scp: QrScp, configure: (ae: ApplicationEntity) => void = () => {}): Promise<Association> {
  const scu = new ApplicationEntity({ aeTitle: 'SCU' });
  for (const uid of [PATIENT_FIND, STUDY_FIND, PSONLY_FIND, STUDY_GET, STUDY_MOVE, WORKLIST]) scu.addRequestedContext(uid);
  configure(scu);
  const [a, b] = createMemoryPair();
  void scp.ae.handle(b, scp.handlers);
  return scu.associate(a, { calledAeTitle: 'QRSCP' });
}

async function find(assoc: Association, query: Record<string, unknown>, model = 'study') {
  const out = [];
  for await (const r of assoc.cFind(query, { model })) out.push(r);
  return out;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'qrscp-'));
  writeArchive(dir);
  received = [];
});
afterEach(async () => {
  await qr?.close();
  qr = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('index', () => {
  it('indexes the Part 10 files of the folder (recursively), skipping others', async () => {
    const scp = await start();
    expect(scp.db.count()).toBe(ARCHIVE.length);
  });

  it('survives a restart: the index file is reloaded and unchanged files are not read again', async () => {
    await (await start()).close();
    qr = undefined;
    expect(readFileSync(path.join(dir, INDEX_FILE)).subarray(0, 15).toString()).toBe('SQLite format 3');
    const again = await createQrScp({ directory: dir, connect: destinationConnect, databaseFile: path.join(dir, INDEX_FILE) });
    qr = again;
    expect(again.db.count()).toBe(ARCHIVE.length);
    expect(await again.scan()).toBe(0);
    rmSync(path.join(dir, 'IMG0'));
    expect(await again.scan()).toBe(0);
    expect(again.db.count()).toBe(ARCHIVE.length - 1);
  });

  it('follows symbolic links to files, skips broken ones, and walks a linked folder once (no loop)', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'qrscp-outside-'));
    try {
      const linked = { ...ARCHIVE[0]!, sop: '1.2.9.1.1.90' };
      writeFileSync(path.join(outside, 'linked.dcm'), part10(linked));
      mkdirSync(path.join(outside, 'folder'));
      writeFileSync(path.join(outside, 'folder', 'in-folder.dcm'), part10({ ...linked, sop: '1.2.9.1.1.91' }));
      symlinkSync(path.join(outside, 'linked.dcm'), path.join(dir, 'link.dcm'));
      symlinkSync(path.join(outside, 'missing.dcm'), path.join(dir, 'broken.dcm'));
      symlinkSync(path.join(outside, 'folder'), path.join(dir, 'folder-link'));
      symlinkSync(dir, path.join(dir, 'nested', 'loop')); // a link to an ancestor
      const debug: string[] = [];
      const scp = await start({ ae: { aeTitle: 'QRSCP', logger: { ...silentLogger, debug: (m: string) => debug.push(m) } } });
      expect(scp.db.count()).toBe(ARCHIVE.length + 2);
      expect(scp.db.instances({ sopInstanceUid: ['1.2.9.1.1.90', '1.2.9.1.1.91'] }).map((r) => r.path).sort()).toEqual([
        path.join(scp.store.directory, 'folder-link', 'in-folder.dcm'),
        path.join(scp.store.directory, 'link.dcm'),
      ]);
      expect(debug.filter((m) => m.includes('broken.dcm'))).toEqual([expect.stringMatching(/^not indexed: .*broken\.dcm: ENOENT/)]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('finds where bulk data starts without reading it', () => {
    const p = readPart10(part10(ARCHIVE[0]!));
    const end = bulkOffset(p.dataset, true, true, true)!;
    expect(end).toBeLessThan(p.dataset.length);
    expect(bulkOffset(p.dataset.subarray(0, 20), true, true, false)).toBeNull();
  });
});

describe('index: two files with one SOP Instance UID', () => {
  const spec = ARCHIVE[0]!; // in the archive as IMG0
  const corrected = { ...spec, patientName: 'DOE^JOHNNY' };
  const indexedPath = (scp: QrScp) => scp.db.instances({ sopInstanceUid: [spec.sop] }).map((r) => r.path);
  /** Closes the SCP and starts it again on the same folder and index file; returns the path indexed for the instance. */
  const restart = async () => {
    await qr!.close();
    qr = undefined;
    return indexedPath(await start({ databaseFile: path.join(dir, INDEX_FILE) }));
  };

  it('a corrected copy C-STOREd over an archive original stays the one indexed across restarts', async () => {
    const old = (Date.now() - 3_600_000) / 1000;
    utimesSync(path.join(dir, 'IMG0'), old, old);
    const scp = await start({ databaseFile: path.join(dir, INDEX_FILE) });
    const assoc = await connect(scp, (ae) => ae.addRequestedContext(CT, [EXPLICIT]));
    expect((await assoc.cStore({ part10: part10(corrected) })).status).toBe(0);
    await assoc.release();
    const copy = path.join(scp.store.directory, scp.store.fileName(spec.sop));
    expect(indexedPath(scp)).toEqual([copy]);
    expect(await restart()).toEqual([copy]);
    expect(await restart()).toEqual([copy]);
    const [record] = qr!.db.records('IMAGE', { sopInstanceUid: [spec.sop] });
    expect(record!.PatientName).toEqual([{ Alphabetic: 'DOE^JOHNNY' }]);
  });

  it('the newer file wins whatever its name; on a tie the store\u2019s own name for the UID; the same after restarts', async () => {
    const own = path.join(dir, `${spec.sop}.dcm`);
    writeFileSync(own, part10(corrected));
    const [older, newer] = [(Date.now() - 7_200_000) / 1000, (Date.now() - 3_600_000) / 1000];
    utimesSync(own, older, older);
    utimesSync(path.join(dir, 'IMG0'), newer, newer);
    const scp = await start({ databaseFile: path.join(dir, INDEX_FILE) });
    const real = (name: string) => path.join(scp.store.directory, name);
    expect(indexedPath(scp)).toEqual([real('IMG0')]);
    expect(await restart()).toEqual([real('IMG0')]);
    utimesSync(own, newer, newer); // now equal
    expect(await restart()).toEqual([real(`${spec.sop}.dcm`)]);
    expect(await restart()).toEqual([real(`${spec.sop}.dcm`)]);
  });
});

describe('index database (QrDatabase)', () => {
  const info = (sop: string) => ({ path: path.join(dir, sop), size: 1, mtimeMs: 1, sopClassUid: CT, sopInstanceUid: sop, transferSyntaxUid: EXPLICIT, datasetOffset: 0 });
  const attrs = (sop: string) => ({ PatientID: 'P', StudyInstanceUID: '1.2.3', SeriesInstanceUID: '1.2.3.4', SOPInstanceUID: sop });

  it('a failed save fails its own flush only: the next flush writes again', async () => {
    const folder = path.join(dir, 'db');
    const file = path.join(folder, 'index.sqlite');
    const db = await QrDatabase.open({ file, saveDelayMs: 60_000 });
    db.add(info('1.9.1'), attrs('1.9.1'));
    rmSync(folder, { recursive: true });
    await expect(db.flush()).rejects.toThrow(/ENOENT/);
    mkdirSync(folder);
    await db.flush();
    expect(readFileSync(file).subarray(0, 15).toString()).toBe('SQLite format 3');
    db.add(info('1.9.2'), attrs('1.9.2'));
    await db.close();
    const again = await QrDatabase.open({ file });
    expect(again.count()).toBe(2);
    await again.close();
  });

  it('a save started by the delay that fails is reported (onSaveError), and the next change saves again', async () => {
    const folder = path.join(dir, 'db');
    const file = path.join(folder, 'index.sqlite');
    const errors: unknown[] = [];
    const db = await QrDatabase.open({ file, saveDelayMs: 10, onSaveError: (e) => errors.push(e) });
    rmSync(folder, { recursive: true, force: true });
    db.add(info('1.9.1'), attrs('1.9.1'));
    await new Promise((r) => setTimeout(r, 100));
    expect(errors.map((e) => String(e))).toEqual([expect.stringMatching(/ENOENT/)]);
    mkdirSync(folder);
    db.add(info('1.9.2'), attrs('1.9.2'));
    await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(file).subarray(0, 15).toString()).toBe('SQLite format 3');
    await db.close();
    expect(errors).toHaveLength(1);
  });

  it('close frees the database even when its last save fails, and reports the failure', async () => {
    const folder = path.join(dir, 'db');
    const db = await QrDatabase.open({ file: path.join(folder, 'index.sqlite'), saveDelayMs: 60_000 });
    db.add(info('1.9.1'), attrs('1.9.1'));
    rmSync(folder, { recursive: true });
    await expect(db.close()).rejects.toThrow(/ENOENT/);
    // sql.js throws on a closed database.
    expect(() => db.count()).toThrow(/closed/i);
  });

  it('a failed BEGIN does not leave later transactions nested (without BEGIN or ROLLBACK)', async () => {
    const db = await QrDatabase.open({ file: null });
    const sql = (db as unknown as { db: { exec(s: string): unknown } }).db;
    sql.exec('BEGIN'); // so that the next BEGIN fails
    expect(() => db.add(info('1.9.1'), attrs('1.9.1'))).toThrow(/transaction/);
    sql.exec('ROLLBACK');
    const failing = () =>
      db.transaction(() => {
        db.add(info('1.9.2'), attrs('1.9.2'));
        throw new Error('undo');
      });
    expect(failing).toThrow('undo');
    // Rolled back as a whole.
    expect(db.count()).toBe(0);
    await db.close();
  });
});

describe('C-FIND', () => {
  it('STUDY level (Study Root): matches with computed attributes, only the requested keys', async () => {
    const assoc = await connect(await start());
    const rs = await find(assoc, {
      QueryRetrieveLevel: 'STUDY', PatientName: 'DOE*', StudyInstanceUID: '', StudyDate: '', ModalitiesInStudy: '',
      NumberOfStudyRelatedInstances: '', NumberOfStudyRelatedSeries: '', RetrieveAETitle: '',
    });
    const matches = rs.filter((r) => r.category === 'Pending').map((r) => r.identifier!);
    expect(rs.at(-1)!.status).toBe(0);
    expect(matches).toHaveLength(2);
    const first = matches.find((m) => m.StudyInstanceUID === '1.2.9.1')!;
    expect(first).toMatchObject({ QueryRetrieveLevel: 'STUDY', NumberOfStudyRelatedInstances: 3, NumberOfStudyRelatedSeries: 2, ModalitiesInStudy: ['CT', 'SR'], RetrieveAETitle: 'QRSCP' });
    expect(first).not.toHaveProperty('PatientID');
    await assoc.release();
  });

  it('date ranges, UID lists and exact keys', async () => {
    const assoc = await connect(await start());
    const uids = async (q: Record<string, unknown>) =>
      (await find(assoc, { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', ...q })).filter((r) => r.identifier).map((r) => r.identifier!.StudyInstanceUID).sort();
    expect(await uids({ StudyDate: '20230101-' })).toEqual(['1.2.9.1', '1.2.9.2']);
    expect(await uids({ StudyDate: '-20221231' })).toEqual(['1.2.9.3']);
    expect(await uids({ StudyInstanceUID: ['1.2.9.3', '1.2.9.2', '9.9'] })).toEqual(['1.2.9.2', '1.2.9.3']);
    expect(await uids({ PatientID: 'P2' })).toEqual(['1.2.9.3']);
    expect(await uids({ AccessionNumber: 'nope' })).toEqual([]);
    await assoc.release();
  });

  it('PATIENT level (Patient Root and Patient/Study Only), SERIES and IMAGE levels', async () => {
    const assoc = await connect(await start());
    const patients = (await find(assoc, { QueryRetrieveLevel: 'PATIENT', PatientID: '', PatientName: '', NumberOfPatientRelatedStudies: '' }, 'patient')).filter((r) => r.identifier);
    expect(patients.map((r) => [r.identifier!.PatientID, r.identifier!.NumberOfPatientRelatedStudies]).sort()).toEqual([['P1', 2], ['P2', 1]]);
    const psonly = (await find(assoc, { QueryRetrieveLevel: 'PATIENT', PatientID: 'P2' }, 'psonly')).filter((r) => r.identifier);
    expect(psonly).toHaveLength(1);
    const series = (await find(assoc, { QueryRetrieveLevel: 'SERIES', StudyInstanceUID: '1.2.9.1', SeriesInstanceUID: '', Modality: '', NumberOfSeriesRelatedInstances: '' })).filter((r) => r.identifier);
    expect(series.map((r) => [r.identifier!.Modality, r.identifier!.NumberOfSeriesRelatedInstances]).sort()).toEqual([['CT', 2], ['SR', 1]]);
    const images = (await find(assoc, { QueryRetrieveLevel: 'IMAGE', StudyInstanceUID: '1.2.9.3', SeriesInstanceUID: '1.2.9.3.1', SOPInstanceUID: '', InstanceNumber: '' })).filter((r) => r.identifier);
    expect(images.map((r) => r.identifier!.InstanceNumber).sort()).toEqual([1, 2, 3]);
    await assoc.release();
  });

  it('a level the model lacks fails (0xC000) and the association stays usable', async () => {
    const assoc = await connect(await start());
    const rs = await find(assoc, { QueryRetrieveLevel: 'SERIES', SeriesInstanceUID: '' }, 'psonly');
    expect(rs.map((r) => r.status)).toEqual([0xc000]);
    expect((await find(assoc, { QueryRetrieveLevel: 'STUDY' })).at(-1)!.status).toBe(0);
    await assoc.release();
  });

  it('over TCP, a C-CANCEL is read within a few matches (the handler yields to I/O every 8)', async () => {
    // Over TCP a socket with room completes writes without a turn of the event loop: without its
    // own yields the handler would produce all 200 matches before the C-CANCEL is read.
    const many = Array.from({ length: 200 }, (_, i) => ({ ...ARCHIVE[0]!, study: `1.4.${i}`, series: `1.4.${i}.1`, sop: `1.4.${i}.1.1` }));
    writeArchive(dir, many);
    const scp = await start();
    let produced = 0;
    const inner = scp.handlers.cFind!;
    const handlers = {
      ...scp.handlers,
      async *cFind(...args: Parameters<typeof inner>) {
        for await (const answer of inner(...args) as AsyncIterable<unknown>) {
          produced++;
          yield answer;
        }
      },
    } as typeof scp.handlers;
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
    const server = scp.ae.serve(listener, handlers);
    try {
      const scu = new ApplicationEntity({ aeTitle: 'SCU' });
      scu.addRequestedContext(STUDY_FIND);
      const assoc = await scu.associate(await connectTcp({ host: '127.0.0.1', port: listener.port }), { calledAeTitle: 'QRSCP' });
      const controller = new AbortController();
      let last = '';
      for await (const r of assoc.cFind({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '' }, { model: 'study', signal: controller.signal })) {
        last = r.category;
        controller.abort();
      }
      expect(last).toBe('Cancel');
      expect(produced).toBeGreaterThan(0);
      expect(produced).toBeLessThanOrEqual(64);
      await assoc.release();
    } finally {
      await server.close({ force: true });
    }
  });

  it('C-CANCEL stops the matches', async () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ ...ARCHIVE[0]!, study: `1.3.${i}`, series: `1.3.${i}.1`, sop: `1.3.${i}.1.1` }));
    writeArchive(dir, many);
    const assoc = await connect(await start());
    const controller = new AbortController();
    const seen = [];
    for await (const r of assoc.cFind({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '' }, { model: 'study', signal: controller.signal })) {
      seen.push(r.category);
      if (seen.length === 2) controller.abort();
    }
    expect(seen.at(-1)).toBe('Cancel');
    expect(seen.length).toBeLessThan(20);
    await assoc.release();
  });
});

describe('C-GET and C-MOVE', () => {
  it('C-GET of a study sends every instance, bytes as on disk', async () => {
    const assoc = await connect(await start(), (ae) => ae.addRequestedContext(CT, [EXPLICIT], { scuRole: false, scpRole: true }));
    const got = new Map<string, Uint8Array>();
    const progress = [];
    for await (const p of assoc.cGet({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2.9.1' }, {
      model: 'study',
      onStore: async (rq) => (got.set(rq.sopInstanceUid, await rq.bytes()), 0),
    })) progress.push(p);
    expect(progress.at(-1)).toMatchObject({ status: 0, completed: 3, failed: 0, warning: 0 });
    expect(progress.slice(0, -1).map((p) => p.remaining)).toEqual([2, 1]);
    expect([...got.keys()].sort()).toEqual(['1.2.9.1.1.1', '1.2.9.1.1.2', '1.2.9.1.2.3']);
    expect(got.get('1.2.9.1.1.1')).toEqual(readPart10(part10(ARCHIVE[0]!)).dataset);
    await assoc.release();
  });

  it('C-MOVE to a known destination delivers the series; an unknown one is 0xA801', async () => {
    const assoc = await connect(await start());
    const progress = [];
    for await (const p of assoc.cMove({ QueryRetrieveLevel: 'SERIES', StudyInstanceUID: '1.2.9.3', SeriesInstanceUID: '1.2.9.3.1' }, 'DEST', { model: 'study' })) progress.push(p);
    expect(progress.at(-1)).toMatchObject({ status: 0, completed: 3, failed: 0 });
    expect(received.map((r) => r.uid).sort()).toEqual(['1.2.9.3.1.1', '1.2.9.3.1.2', '1.2.9.3.1.3']);
    expect(received[0]!.originator).toBe('SCU');
    const unknown = [];
    for await (const p of assoc.cMove({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2.9.3' }, 'dest.example.com', { model: 'study' })) unknown.push(p);
    expect(unknown.map((p) => p.status)).toEqual([0xa801]);
    await assoc.release();
  });

  it('an operation on another operation\'s model fails: C-GET/C-MOVE on a FIND model, C-FIND on a GET model', async () => {
    // The SCU API picks the right model itself: send the requests by hand, each on the context of
    // the SOP class it names (which the dispatcher checks), with a real match in its identifier.
    const assoc = await connect(await start());
    let messageId = 100;
    const send = async (field: number, sopClass: string, extra: Record<string, unknown> = {}) => {
      const context = assoc.findContext(sopClass);
      const id = ++messageId;
      const identifier = encodeDataset({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2.9.3' }, context.transferSyntax);
      await assoc.dimse.sendMsg({ CommandField: field, MessageID: id, AffectedSOPClassUID: sopClass, Priority: 0, CommandDataSetType: 0x0001, ...extra }, context.id, identifier);
      const statuses: number[] = [];
      for (;;) {
        const rsp = await assoc.dimse.responseTo(id, { timeoutMs: 5000 });
        statuses.push(rsp.command.Status!);
        if (rsp.command.Status !== 0xff00) return { statuses, comment: rsp.command.ErrorComment };
      }
    };
    // Each operation answers 0x0122 (SOP Class not Supported) with the reason.
    expect(await send(CommandField['C-GET-RQ'], STUDY_FIND)).toEqual({ statuses: [0x0122], comment: `SOP class ${STUDY_FIND} is not a C-GET model` });
    expect(await send(CommandField['C-MOVE-RQ'], STUDY_FIND, { MoveDestination: 'DEST' })).toMatchObject({ statuses: [0x0122] });
    expect(await send(CommandField['C-FIND-RQ'], STUDY_GET)).toEqual({ statuses: [0x0122], comment: `SOP class ${STUDY_GET} is not a C-FIND model` });
    expect(await send(CommandField['C-FIND-RQ'], STUDY_MOVE)).toMatchObject({ statuses: [0x0122] });
    expect(received).toEqual([]);
    // Each on its own model is served, and the association is still usable.
    expect((await find(assoc, { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2.9.3' })).map((r) => r.status)).toEqual([0xff00, 0]);
    await assoc.release();
  });

  it('a C-GET whose file vanished counts a failure with its UID', async () => {
    const scp = await start();
    rmSync(path.join(dir, 'IMG0'));
    const assoc = await connect(scp, (ae) => ae.addRequestedContext(CT, [EXPLICIT], { scuRole: false, scpRole: true }));
    const progress = [];
    for await (const p of assoc.cGet({ QueryRetrieveLevel: 'IMAGE', StudyInstanceUID: '1.2.9.1', SeriesInstanceUID: '1.2.9.1.1', SOPInstanceUID: ['1.2.9.1.1.1', '1.2.9.1.1.2'] }, {
      model: 'study',
      onStore: async (rq) => (await rq.bytes(), 0),
    })) progress.push(p);
    expect(progress.at(-1)).toMatchObject({ status: 0xb000, completed: 1, failed: 1 });
    expect(progress.at(-1)!.identifier).toMatchObject({ FailedSOPInstanceUIDList: '1.2.9.1.1.1' });
    await assoc.release();
  });
});

describe('storage', () => {
  it('an instance received by C-STORE is indexed before the response and findable at once', async () => {
    const scp = await start();
    const spec = { patientId: 'P3', patientName: 'NEW^ONE', study: '1.2.9.7', series: '1.2.9.7.1', sop: '1.2.9.7.1.1' };
    const assoc = await connect(scp, (ae) => ae.addRequestedContext(CT, [EXPLICIT]));
    expect((await assoc.cStore({ part10: part10(spec) })).status).toBe(0);
    const rs = (await find(assoc, { QueryRetrieveLevel: 'STUDY', PatientID: 'P3', StudyInstanceUID: '' })).filter((r) => r.identifier);
    expect(rs.map((r) => r.identifier!.StudyInstanceUID)).toEqual(['1.2.9.7']);
    await assoc.release();
  });
});

describe('Modality Worklist', () => {
  it('answers from the worklist folder with sequence matching', async () => {
    const wl = path.join(dir, 'wl');
    mkdirSync(wl);
    const item = (name: string, modality: string, aet: string, date: string) => ({
      PatientName: name, PatientID: name.slice(0, 3), AccessionNumber: `ACC${aet}`,
      ScheduledProcedureStepSequence: [{ Modality: modality, ScheduledStationAETitle: aet, ScheduledProcedureStepStartDate: date, ScheduledProcedureStepID: `SPS${aet}` }],
    });
    const write = (file: string, ds: Record<string, unknown>) => {
      const chunks = writePart10({ transferSyntaxUid: EXPLICIT, sopClassUid: '1.2.3', sopInstanceUid: '1.2.3.4', dataset: encodeDataset(ds, EXPLICIT) });
      writeFileSync(path.join(wl, file), Buffer.concat(chunks));
    };
    write('a.wl', item('DOE^A', 'CT', 'CT1', '20240301'));
    write('b.wl', item('ROE^B', 'MR', 'MR1', '20240302'));
    writeFileSync(path.join(wl, 'c.wl'), encodeDataset(item('POE^C', 'CT', 'CT2', '20240401'), EXPLICIT)); // bare data set
    writeFileSync(path.join(wl, 'junk.wl'), 'not dicom');
    const assoc = await connect(await start({ worklistDir: wl }));
    const rs = (await find(assoc, {
      PatientName: '', AccessionNumber: '',
      ScheduledProcedureStepSequence: [{ Modality: 'CT', ScheduledProcedureStepStartDate: '20240301-20240331', ScheduledStationAETitle: '' }],
    }, 'worklist'));
    expect(rs.at(-1)!.status).toBe(0);
    const ids = rs.filter((r) => r.identifier).map((r) => r.identifier!);
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatchObject({ PatientName: [{ Alphabetic: 'DOE^A' }], ScheduledProcedureStepSequence: [{ Modality: 'CT', ScheduledStationAETitle: 'CT1' }] });
    expect(ids[0]!.ScheduledProcedureStepSequence).toEqual([expect.not.objectContaining({ ScheduledProcedureStepID: expect.anything() })]);
    await assoc.release();
  });
});

describe('destinations', () => {
  it('parses AET=HOST:PORT and refuses anything else', () => {
    expect(parseDestination('STORE=127.0.0.1:11113')).toEqual(['STORE', { host: '127.0.0.1', port: 11113 }]);
    expect(parseDestination('V6=[::1]:104')).toEqual(['V6', { host: '::1', port: 104 }]);
    expect(() => parseDestination('STORE')).toThrow(/AET=HOST:PORT/);
    expect(() => parseDestination('S=h:70000')).toThrow();
  });
});

describe('C-FIND extended negotiation (PS3.4 C.5.1.1)', () => {
  const query = { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', StudyDate: '20220101-20240102', StudyTime: '1100-1000' };
  const uids = (rs: Awaited<ReturnType<typeof find>>) => rs.filter((r) => r.category === 'Pending').map((r) => String(r.identifier!.StudyInstanceUID)).sort();

  it('agrees to combined date-time matching when asked, and matches a date range with a time range as one', async () => {
    const scp = await start();
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_FIND).addRequestedContext(PATIENT_FIND);
    const [a, b] = createMemoryPair();
    void scp.ae.handle(b, scp.handlers);
    // Relational queries (byte 1) are agreed too; fuzzy name matching (byte 3) is not supported: answered 0.
    const assoc = await scu.associate(a, { calledAeTitle: 'QRSCP', extendedNegotiations: [{ sopClassUid: STUDY_FIND, info: Uint8Array.of(1, 1, 1) }] });
    expect(assoc.extendedNegotiation(STUDY_FIND)).toEqual(Uint8Array.of(1, 1, 0));
    expect(assoc.extendedNegotiation(PATIENT_FIND)).toBeUndefined(); // not asked for
    // 2022-01-01 11:00 to 2024-01-02 10:00: only the study of 2023-06-15 at 10:15 (the others are at 10:15 on the edge days).
    expect(uids(await find(assoc, query))).toEqual(['1.2.9.2']);
    await assoc.release();
  });

  it('without it, each key on its own: a time range of 11:00-10:00 matches nothing', async () => {
    const assoc = await connect(await start());
    expect(assoc.extendedNegotiation(STUDY_FIND)).toBeUndefined();
    expect(uids(await find(assoc, query))).toEqual([]);
    expect(uids(await find(assoc, { ...query, StudyTime: '1000-1100' }))).toEqual(['1.2.9.1', '1.2.9.2', '1.2.9.3']);
    await assoc.release();
  });
});
