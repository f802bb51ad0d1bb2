/**
 * Query/Retrieve interoperability with DCMTK, on 127.0.0.1 only, random free ports, every process
 * killed in teardown:
 * - DCMTK findscu/getscu/movescu (and findscu -W) → netdicom qrscp;
 * - netdicom findscu/getscu/movescu → DCMTK dcmqrscp (configured here, loaded with DCMTK storescu);
 * - the same query answers the same matches on both sides; retrieved data sets equal the originals;
 *   a C-MOVE to a third AE (DCMTK storescp) delivers every instance; a cancelled C-FIND stops.
 * The netdicom side runs in-process through the same app functions the CLI calls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findscu } from '../../adapters/cli/findscu';
import { getscu } from '../../adapters/cli/getscu';
import { movescu } from '../../adapters/cli/movescu';
import { decodeDataset, encodeDataset, readPart10, writePart10 } from '../../src/dataset/codec';
import { ARCHIVE, EXPLICIT, part10, startQrscp, writeArchive } from '../unit/helpers/qr-fixtures';
import { CT_IMAGE_STORAGE, ctPart10, encapsulatedPart10, JPEG_BASELINE } from '../helpers/ct-instance';

const running = new Set<ChildProcess>();

/** Runs a DCMTK tool to completion (TCP_NODELAY=1: DCMTK otherwise waits on Nagle for small PDUs). */
function run(command: string, args: string[], cwd?: string, timeoutMs = 30000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = daemon(command, args, cwd);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output: (child as ChildProcess & { output: string }).output });
    });
  });
}

function daemon(command: string, args: string[], cwd?: string): ChildProcess & { output: string } {
  const child = spawn(command, args, { cwd, env: { ...process.env, TCP_NODELAY: '1' }, stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & { output: string };
  child.output = '';
  child.stdout!.on('data', (d) => (child.output += d));
  child.stderr!.on('data', (d) => (child.output += d));
  running.add(child);
  child.on('exit', () => running.delete(child));
  return child;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

function collector() {
  const lines: string[] = [];
  return { lines, io: { out: (l: string) => void lines.push(l), err: (l: string) => void lines.push(l) } };
}

/** The Part 10 files of a folder, decoded (rsp files of findscu -X, retrieved instances). */
function readDir(dir: string): Array<{ file: string; dataset: Record<string, unknown>; raw: Uint8Array; transferSyntaxUid: string }> {
  return readdirSync(dir).filter((f) => !f.startsWith('.')).sort().map((file) => {
    const p = readPart10(readFileSync(path.join(dir, file)));
    return { file, dataset: decodeDataset(p.dataset, p.transferSyntaxUid), raw: p.dataset, transferSyntaxUid: p.transferSyntaxUid };
  });
}

/**
 * Starts DCMTK dcmqrscp for one AE title whose database is a new folder under the test root, with
 * `hosts` (name = (AET, host, port) lines) as its C-MOVE destinations; resolves once it listens.
 * It forks a child per association (its -s mode serves one association only).
 */
async function startDcmqrscp(aeTitle: string, port: number, hosts: string[] = [], args: string[] = []): Promise<void> {
  const db = path.join(root, `dcmqrscp-${aeTitle}`);
  mkdirSync(db);
  const cfg = path.join(root, `dcmqrscp-${aeTitle}.cfg`);
  writeFileSync(cfg, [
    `NetworkTCPPort = ${port}`, 'MaxPDUSize = 16384', 'MaxAssociations = 16',
    'HostTable BEGIN', ...hosts, 'HostTable END', 'VendorTable BEGIN', 'VendorTable END',
    'AETable BEGIN', `${aeTitle} ${db} RW (200, 1024mb) ANY`, 'AETable END', '',
  ].join('\n'));
  daemon('dcmqrscp', [...args, '-c', cfg]);
  await waitForPort(port);
}

const studyUids = (rows: Array<{ dataset: Record<string, unknown> }>) => rows.map((r) => String(r.dataset.StudyInstanceUID)).sort();
const originals = new Map(ARCHIVE.map((s) => [s.sop, readPart10(part10(s)).dataset]));

let root: string;
let stopQr: () => Promise<number>;
let qrPort: number;
let storescpPort: number;
let implicitScpPort: number;
let moveBackPort: number;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'dcmtk-qr-'));
  writeArchive(path.join(root, 'archive'));
  // Worklist items (Part 10 files, like dump2dcm writes them for wlmscpfs).
  mkdirSync(path.join(root, 'wl'));
  const wl = (name: string, modality: string, aet: string) => ({
    SpecificCharacterSet: 'ISO_IR 100', PatientName: name, PatientID: name.slice(0, 3), AccessionNumber: `A-${aet}`, StudyInstanceUID: `1.2.77.${aet.length}${modality.length}`,
    RequestedProcedureID: 'RP1', ScheduledProcedureStepSequence: [{ Modality: modality, ScheduledStationAETitle: aet, ScheduledProcedureStepStartDate: '20240301', ScheduledProcedureStepStartTime: '0900', ScheduledProcedureStepID: `S-${aet}` }],
  });
  for (const [file, ds] of [['a.wl', wl('DOE^A', 'CT', 'CT1')], ['b.wl', wl('ROE^B', 'MR', 'MR1')]] as const) {
    writeFileSync(path.join(root, 'wl', file), Buffer.concat(writePart10({ transferSyntaxUid: EXPLICIT, sopClassUid: '1.2.840.10008.5.1.4.31', sopInstanceUid: `1.2.78.${file.length}`, dataset: encodeDataset(ds, EXPLICIT) })));
  }
  storescpPort = await freePort();
  implicitScpPort = await freePort();
  moveBackPort = await freePort();
  mkdirSync(path.join(root, 'storescp'));
  mkdirSync(path.join(root, 'storescp-implicit'));
  daemon('storescp', ['-aet', 'STORESCP', '-od', path.join(root, 'storescp'), String(storescpPort)]);
  // A destination that accepts Implicit VR Little Endian only (+xi): the archive's Explicit VR LE files are converted.
  daemon('storescp', ['+xi', '-aet', 'IMPLICITSCP', '-od', path.join(root, 'storescp-implicit'), String(implicitScpPort)]);
  ({ port: qrPort, stop: stopQr } = await startQrscp(['--dir', path.join(root, 'archive'), '-aet', 'NETQR', '--worklist', path.join(root, 'wl'),
    '--move-destination', `STORESCP=127.0.0.1:${storescpPort}`, '--move-destination', `MOVEBACK=127.0.0.1:${moveBackPort}`,
    '--move-destination', `IMPLICITSCP=127.0.0.1:${implicitScpPort}`]));
  await waitForPort(storescpPort);
  await waitForPort(implicitScpPort);
});

afterAll(async () => {
  await stopQr?.();
  await Promise.all([...running].map((c) => new Promise<void>((r) => (c.exitCode !== null ? r() : (c.once('exit', () => r()), c.kill('SIGKILL'))))));
  rmSync(root, { recursive: true, force: true });
});

describe('DCMTK SCUs → netdicom qrscp', () => {
  it('findscu (Study Root, wildcard) gets the matching studies', async () => {
    const out = path.join(root, 'find1');
    mkdirSync(out);
    const r = await run('findscu', ['-S', '-aec', 'NETQR', '-X', '-od', out, '-k', 'QueryRetrieveLevel=STUDY', '-k', 'PatientName=DOE*', '-k', 'StudyInstanceUID', '-k', 'NumberOfStudyRelatedInstances', '127.0.0.1', String(qrPort)]);
    expect(r.code, r.output).toBe(0);
    const rows = readDir(out);
    expect(studyUids(rows)).toEqual(['1.2.9.1', '1.2.9.2']);
    expect(rows.find((x) => x.dataset.StudyInstanceUID === '1.2.9.1')!.dataset.NumberOfStudyRelatedInstances).toBe(3);
  });

  it('findscu (Patient Root, IMAGE level, date range at study level)', async () => {
    const out = path.join(root, 'find2');
    mkdirSync(out);
    const r = await run('findscu', ['-P', '-aec', 'NETQR', '-X', '-od', out, '-k', 'QueryRetrieveLevel=IMAGE', '-k', 'PatientID=P2', '-k', 'StudyInstanceUID=1.2.9.3', '-k', 'SeriesInstanceUID=1.2.9.3.1', '-k', 'SOPInstanceUID', '127.0.0.1', String(qrPort)]);
    expect(r.code, r.output).toBe(0);
    expect(readDir(out).map((x) => x.dataset.SOPInstanceUID).sort()).toEqual(['1.2.9.3.1.1', '1.2.9.3.1.2', '1.2.9.3.1.3']);
  });

  it('getscu retrieves a study; data sets equal the originals', async () => {
    const out = path.join(root, 'get1');
    mkdirSync(out);
    const r = await run('getscu', ['-S', '-aec', 'NETQR', '-od', out, '-k', 'QueryRetrieveLevel=STUDY', '-k', 'StudyInstanceUID=1.2.9.1', '127.0.0.1', String(qrPort)]);
    expect(r.code, r.output).toBe(0);
    const rows = readDir(out);
    expect(rows.map((x) => x.dataset.SOPInstanceUID).sort()).toEqual(['1.2.9.1.1.1', '1.2.9.1.1.2', '1.2.9.1.2.3']);
    for (const row of rows) expect(Buffer.from(row.raw).equals(Buffer.from(originals.get(String(row.dataset.SOPInstanceUID))!))).toBe(true);
  });

  it('movescu to a third AE (DCMTK storescp) delivers every instance; unknown destination is refused', async () => {
    const r = await run('movescu', ['-S', '-aec', 'NETQR', '-aem', 'STORESCP', '-k', 'QueryRetrieveLevel=STUDY', '-k', 'StudyInstanceUID=1.2.9.3', '127.0.0.1', String(qrPort)]);
    expect(r.code, r.output).toBe(0);
    const got = readDir(path.join(root, 'storescp'));
    expect(got.map((x) => x.dataset.SOPInstanceUID).sort()).toEqual(['1.2.9.3.1.1', '1.2.9.3.1.2', '1.2.9.3.1.3']);
    const bad = await run('movescu', ['-v', '-S', '-aec', 'NETQR', '-aem', 'NOWHERE', '-k', 'QueryRetrieveLevel=STUDY', '-k', 'StudyInstanceUID=1.2.9.3', '127.0.0.1', String(qrPort)]);
    expect(bad.output).toMatch(/MoveDestinationUnknown|0xa801/i);
  });

  it('movescu to DCMTK storescp +xi (Implicit VR LE only): the Explicit VR LE files arrive converted, data sets equal', async () => {
    const r = await run('movescu', ['-S', '-aec', 'NETQR', '-aem', 'IMPLICITSCP', '-k', 'QueryRetrieveLevel=STUDY', '-k', 'StudyInstanceUID=1.2.9.1', '127.0.0.1', String(qrPort)]);
    expect(r.code, r.output).toBe(0);
    const rows = readDir(path.join(root, 'storescp-implicit'));
    expect(rows.map((x) => x.dataset.SOPInstanceUID).sort()).toEqual(['1.2.9.1.1.1', '1.2.9.1.1.2', '1.2.9.1.2.3']);
    for (const row of rows) {
      expect(row.transferSyntaxUid).toBe('1.2.840.10008.1.2');
      expect(row.dataset).toEqual(decodeDataset(originals.get(String(row.dataset.SOPInstanceUID))!, EXPLICIT));
    }
  });

  it('findscu -W (Modality Worklist) with sequence matching', async () => {
    const out = path.join(root, 'wl-out');
    mkdirSync(out);
    const r = await run('findscu', ['-W', '-aec', 'NETQR', '-X', '-od', out, '-k', 'PatientName', '-k', 'AccessionNumber',
      '-k', 'ScheduledProcedureStepSequence[0].Modality=CT', '-k', 'ScheduledProcedureStepSequence[0].ScheduledStationAETitle', '-k', 'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=20240301-20240331', '127.0.0.1', String(qrPort)]);
    expect(r.code, r.output).toBe(0);
    const rows = readDir(out);
    expect(rows.map((x) => x.dataset.AccessionNumber)).toEqual(['A-CT1']);
    expect(rows[0]!.dataset.ScheduledProcedureStepSequence).toMatchObject([{ Modality: 'CT', ScheduledStationAETitle: 'CT1' }]);
  });
});

describe('netdicom SCUs → DCMTK dcmqrscp', () => {
  let qrscpPort: number;
  let movePort: number;

  beforeAll(async () => {
    qrscpPort = await freePort();
    movePort = await freePort();
    await startDcmqrscp('DCMQRSCP', qrscpPort, [`movescu = (MOVESCU, 127.0.0.1, ${movePort})`, `storescp = (STORESCP, 127.0.0.1, ${storescpPort})`]);
    const files = readdirSync(path.join(root, 'archive'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.startsWith('IMG')).map((e) => path.join(e.parentPath, e.name));
    const load = await run('storescu', ['-aec', 'DCMQRSCP', '127.0.0.1', String(qrscpPort), ...files]);
    expect(load.code, load.output).toBe(0);
  });

  it('findscu: the same query gives the same matches as netdicom qrscp', async () => {
    const query = ['-S', '--json', '-k', 'QueryRetrieveLevel=STUDY', '-k', 'PatientName=DOE*', '-k', 'StudyInstanceUID'];
    const theirs = collector();
    expect(await findscu(['127.0.0.1', String(qrscpPort), '-aec', 'DCMQRSCP', ...query], theirs.io), theirs.lines.join('\n')).toBe(0);
    const ours = collector();
    expect(await findscu(['127.0.0.1', String(qrPort), '-aec', 'NETQR', ...query], ours.io)).toBe(0);
    const uids = (lines: string[]) => lines.filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { StudyInstanceUID: string }).StudyInstanceUID).sort();
    expect(uids(theirs.lines)).toEqual(['1.2.9.1', '1.2.9.2']);
    expect(uids(ours.lines)).toEqual(uids(theirs.lines));
  });

  it('getscu retrieves a series; data sets equal the originals', async () => {
    const od = path.join(root, 'net-get');
    const c = collector();
    const code = await getscu(['127.0.0.1', String(qrscpPort), '-S', '-aec', 'DCMQRSCP', '-od', od, '-k', 'QueryRetrieveLevel=SERIES', '-k', 'StudyInstanceUID=1.2.9.1', '-k', 'SeriesInstanceUID=1.2.9.1.1'], c.io);
    expect(code, c.lines.join('\n')).toBe(0);
    const rows = readDir(od);
    expect(rows.map((x) => x.dataset.SOPInstanceUID).sort()).toEqual(['1.2.9.1.1.1', '1.2.9.1.1.2']);
    for (const row of rows) expect(row.dataset).toMatchObject(decodeDataset(originals.get(String(row.dataset.SOPInstanceUID))!, EXPLICIT));
  });

  it('movescu --store receives a moved study; a move to DCMTK storescp delivers too', async () => {
    const od = path.join(root, 'net-move');
    const c = collector();
    const code = await movescu(['127.0.0.1', String(qrscpPort), '-S', '-aec', 'DCMQRSCP', '-aet', 'MOVESCU', '--store', '--store-port', String(movePort), '-od', od,
      '-k', 'QueryRetrieveLevel=STUDY', '-k', 'StudyInstanceUID=1.2.9.1'], c.io);
    expect(code, c.lines.join('\n')).toBe(0);
    expect(readdirSync(od).sort()).toEqual(['1.2.9.1.1.1.dcm', '1.2.9.1.1.2.dcm', '1.2.9.1.2.3.dcm']);
    const c2 = collector();
    expect(await movescu(['127.0.0.1', String(qrscpPort), '-S', '-aec', 'DCMQRSCP', '-aem', 'STORESCP', '-k', 'QueryRetrieveLevel=STUDY', '-k', 'StudyInstanceUID=1.2.9.2'], c2.io), c2.lines.join('\n')).toBe(0);
    expect(readDir(path.join(root, 'storescp')).some((x) => x.dataset.SOPInstanceUID === '1.2.9.2.1.1')).toBe(true);
  });
});

describe('C-CANCEL across implementations', () => {
  // Enough matches that the cancel, sent after the first response, arrives while they are still
  // being produced even when findscu is scheduled late on a busy machine (400 were sent whole once
  // in CI after matching got faster).
  const MANY = 2000;
  it('DCMTK findscu --cancel 1 against netdicom qrscp stops the matches', async () => {
    const many = path.join(root, 'many');
    writeArchive(many, Array.from({ length: MANY }, (_, i) => ({ ...ARCHIVE[0]!, study: `1.5.${i}`, series: `1.5.${i}.1`, sop: `1.5.${i}.1.1` })));
    const qr = await startQrscp(['--dir', many, '-aet', 'MANY']);
    const port = String(qr.port);
    const out = path.join(root, 'cancel-out');
    mkdirSync(out);
    const r = await run('findscu', ['-v', '-S', '-aec', 'MANY', '--cancel', '1', '-X', '-od', out, '-k', 'QueryRetrieveLevel=STUDY', '-k', 'StudyInstanceUID', '127.0.0.1', port]);
    await qr.stop();
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/Cancel/);
    expect(readdirSync(out).length).toBeLessThan(MANY);
  });
});

describe('netdicom getscu → DCMTK dcmqrscp holding a JPEG Baseline instance', () => {
  const PLAIN_UID = '1.2.826.0.1.3680043.9.7433.21.1';
  const JPEG_UID = '1.2.826.0.1.3680043.9.7433.21.2';
  const jpeg = encapsulatedPart10({ sopInstanceUid: JPEG_UID, sopClassUid: CT_IMAGE_STORAGE });
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    // +xy: dcmqrscp accepts (and prefers) JPEG Baseline, so the file is stored as it is.
    await startDcmqrscp('JPEGQR', port, [], ['+xy']);
    const files = path.join(root, 'dcmqrscp-jpeg-files');
    mkdirSync(files);
    writeFileSync(path.join(files, 'plain.dcm'), ctPart10({ sopInstanceUid: PLAIN_UID, transferSyntaxUid: EXPLICIT }).file);
    writeFileSync(path.join(files, 'jpeg.dcm'), jpeg.file);
    // -R: one context per file in its own transfer syntax; -xy adds JPEG Baseline.
    for (const [extra, file] of [[[], 'plain.dcm'], [['-xy'], 'jpeg.dcm']] as const) {
      const load = await run('storescu', ['-R', ...extra, '-aec', 'JPEGQR', '127.0.0.1', String(port), path.join(files, file)]);
      expect(load.code, load.output).toBe(0);
    }
  });

  // dcmqrscp 3.6.7 sends every instance of a class on the first context accepted for it and cannot
  // convert JPEG, so each retrieve here asks for one instance (IMAGE level).
  const get = async (od: string, sop: string, ...flags: string[]) => {
    const c = collector();
    const code = await getscu(['127.0.0.1', String(port), '-S', '-aec', 'JPEGQR', '-od', path.join(root, od), '-k', 'QueryRetrieveLevel=IMAGE',
      '-k', 'StudyInstanceUID=1.2.826.0.1.3680043.9.7433.1.1', '-k', 'SeriesInstanceUID=1.2.826.0.1.3680043.9.7433.1.3', '-k', `SOPInstanceUID=${sop}`, ...flags], c.io);
    return { code, output: c.lines.join('\n') };
  };

  it('uncompressed contexts only: the JPEG sub-operation fails (exit 1)', async () => {
    const r = await get('jpeg-default', JPEG_UID);
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/0 completed, 1 failed/);
  });

  it('+xy: the JPEG instance arrives in its own transfer syntax, byte for byte', async () => {
    const r = await get('jpeg-xy', JPEG_UID, '+xy');
    expect(r.code, r.output).toBe(0);
    expect(readdirSync(path.join(root, 'jpeg-xy'))).toEqual([`${JPEG_UID}.dcm`]);
    const back = readPart10(readFileSync(path.join(root, 'jpeg-xy', `${JPEG_UID}.dcm`)));
    expect(back.transferSyntaxUid).toBe(JPEG_BASELINE);
    expect(Buffer.from(back.dataset).equals(Buffer.from(jpeg.dataset))).toBe(true);
  });
});
