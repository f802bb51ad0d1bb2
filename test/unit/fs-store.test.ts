/**
 * The on-disk C-STORE sink over a memory pair: complete Part 10 files only, nothing left after an
 * abort, disk errors answered 0xA700, hostile SOP Instance UIDs never escape the directory — with
 * synchronous and with asynchronous file I/O (fs-store-io.test.ts injects write faults).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryPair, type MemoryPairOptions } from '../../adapters/memory';
import { createFsStore, safeFileName, STALE_TEMP_MS, TEMP_SUFFIX, type FsStore, type FsStoreOptions } from '../../adapters/node/fs-store';
import { ApplicationEntity } from '../../src/ae';
import { readPart10 } from '../../src/dataset/codec';
import type { RequestContext, StatusResult, StoreRequest } from '../../src/scp/types';
import { sha256 } from '../helpers/bytes';
import { CT_IMAGE_STORAGE as CT, EXPLICIT_LE, IMPLICIT_LE, ctPart10 } from '../helpers/ct-instance';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'netdicom-fs-store-'));
  dirs.push(d);
  return d;
}

/** An SCP with an FsStore on one end of a memory pair; `pending` holds every handler run. */
async function setup(store: FsStore, pair: MemoryPairOptions = {}) {
  const [a, b] = createMemoryPair(pair);
  const pending: Promise<StatusResult>[] = [];
  const scp = new ApplicationEntity({ aeTitle: 'STORESCP' }).addSupportedContext(CT, [EXPLICIT_LE, IMPLICIT_LE]);
  const served = scp.handle(b, {
    cStore: (rq, ctx) => {
      const p = store.cStore(rq, ctx);
      pending.push(p);
      return p;
    },
  });
  const scu = new ApplicationEntity({ aeTitle: 'STORESCU' }).addRequestedContext(CT, [EXPLICIT_LE]);
  const assoc = await scu.associate(a, { calledAeTitle: 'STORESCP' });
  return { assoc, served, pending };
}

function storeIn(dir: string, options: Partial<FsStoreOptions> = {}): FsStore {
  return createFsStore({ directory: dir, fsync: false, ...options });
}

const IO_MODES = ['sync', 'async'] as const;

describe.each(IO_MODES)('createFsStore (io %s)', (io) => {
  it('writes a valid Part 10 file whose data set is byte-identical', async () => {
    const dir = tempDir();
    const stored: string[] = [];
    const store = storeIn(dir, { io, fsync: true, onStored: (i) => stored.push(i.path!) });
    const uid = '1.2.826.0.1.3680043.9.7433.3.1';
    const { file, dataset } = ctPart10({ sopInstanceUid: uid, rows: 1024, columns: 1024 }); // 2 MiB pixel data
    const { assoc } = await setup(store);
    const rsp = await assoc.cStore({ part10: file });
    expect(rsp.status).toBe(0);
    await assoc.release();
    expect(readdirSync(store.directory)).toEqual([`${uid}.dcm`]);
    expect(stored).toEqual([path.join(store.directory, `${uid}.dcm`)]);
    const back = readPart10(new Uint8Array(readFileSync(stored[0]!)));
    expect(back.sopClassUid).toBe(CT);
    expect(back.sopInstanceUid).toBe(uid);
    expect(back.transferSyntaxUid).toBe(EXPLICIT_LE);
    expect(back.meta.SourceApplicationEntityTitle).toBe('STORESCU');
    expect(typeof back.meta.ImplementationClassUID).toBe('string');
    expect(back.dataset.byteLength).toBe(dataset.byteLength);
    expect(sha256(back.dataset)).toBe(sha256(dataset));
  });

  it('stores the same instance twice by replacing it atomically', async () => {
    const store = storeIn(tempDir(), { io });
    const { file } = ctPart10({ sopInstanceUid: '1.2.3.4' });
    const { assoc } = await setup(store);
    expect((await assoc.cStore({ part10: file })).status).toBe(0);
    expect((await assoc.cStore({ part10: file })).status).toBe(0);
    await assoc.release();
    expect(readdirSync(store.directory)).toEqual(['1.2.3.4.dcm']);
  });

  it('leaves no file and no temp file when the association is aborted mid data set', async () => {
    const store = storeIn(tempDir(), { io });
    const { dataset } = ctPart10({ sopInstanceUid: '1.2.3.5', rows: 1024, columns: 1024 });
    const { assoc, served, pending } = await setup(store);
    // Send half the data set, then stall and abort.
    let release!: () => void;
    const stalled = new Promise<void>((r) => (release = r));
    async function* halfThenStall() {
      yield dataset.subarray(0, dataset.byteLength >> 1);
      await stalled;
    }
    const sending = assoc
      .cStore({ sopClassUid: CT, sopInstanceUid: '1.2.3.5', transferSyntaxUid: EXPLICIT_LE, data: halfThenStall() })
      .catch((e) => e);
    await new Promise((r) => setTimeout(r, 50));
    await assoc.abort();
    release();
    await sending;
    expect((await served).reason).toBe('aborted');
    const results = await Promise.all(pending);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: expect.any(Number) });
    expect((results[0] as { status: number }).status).not.toBe(0);
    expect(readdirSync(store.directory)).toEqual([]);
  });

  it('leaves nothing when the connection is reset mid data set', async () => {
    const store = storeIn(tempDir(), { io });
    const { file } = ctPart10({ sopInstanceUid: '1.2.3.6', rows: 1024, columns: 1024 });
    const { assoc, served, pending } = await setup(store, { cutAfterBytes: { bytes: 1024 * 1024, from: 0 } });
    await expect(assoc.cStore({ part10: file })).rejects.toThrow();
    await served;
    await Promise.all(pending);
    expect(pending).toHaveLength(1);
    expect(readdirSync(store.directory)).toEqual([]);
  });

  it('answers 0xA700 on a disk error and the association goes on', async () => {
    const dir = tempDir();
    const store = storeIn(path.join(dir, 'out'), { io });
    rmSync(store.directory, { recursive: true }); // every open now fails with ENOENT
    const { assoc } = await setup(store);
    const rsp = await assoc.cStore({ part10: ctPart10({ sopInstanceUid: '1.2.3.7' }).file });
    expect(rsp.status).toBe(0xa700);
    mkdirSync(store.directory);
    expect((await assoc.cStore({ part10: ctPart10({ sopInstanceUid: '1.2.3.8' }).file })).status).toBe(0);
    await assoc.release();
    expect(readdirSync(store.directory)).toEqual(['1.2.3.8.dcm']);
  });

  it('answers 0xC000 and keeps nothing when the data set ends mid-element (D-10); the association goes on', async () => {
    const failed: number[] = [];
    const store = storeIn(tempDir(), { io, onFailed: (f) => failed.push(f.status) });
    const { assoc } = await setup(store);
    const { dataset } = ctPart10({ sopInstanceUid: '1.2.3.9', rows: 64, columns: 64 });
    const ids = { sopClassUid: CT, sopInstanceUid: '1.2.3.9', transferSyntaxUid: EXPLICIT_LE };
    for (const cut of [dataset.length - 1, dataset.length - 4096, 5]) {
      const rsp = await assoc.cStore({ ...ids, data: dataset.slice(0, cut) });
      expect(rsp.status, `cut at ${cut}`).toBe(0xc000);
      expect(rsp.command.ErrorComment).toMatch(/truncated/);
      expect(readdirSync(store.directory)).toEqual([]);
    }
    expect(failed).toEqual([0xc000, 0xc000, 0xc000]);
    expect((await assoc.cStore({ ...ids, data: dataset })).status).toBe(0);
    await assoc.release();
    expect(readdirSync(store.directory)).toEqual(['1.2.3.9.dcm']);
  });
});

describe('createFsStore', () => {
  it("fileExtension names the files (DCMTK's -fe); one that could leave the directory is refused", async () => {
    const store = storeIn(tempDir(), { fileExtension: '.DCM' });
    const { assoc } = await setup(store);
    expect((await assoc.cStore({ part10: ctPart10({ sopInstanceUid: '1.2.3.10' }).file })).status).toBe(0);
    await assoc.release();
    expect(readdirSync(store.directory)).toEqual(['1.2.3.10.DCM']);
    expect(store.fileName('1.2.3.10')).toBe('1.2.3.10.DCM');
    expect(storeIn(tempDir(), { fileExtension: '' }).fileName('1.2.3')).toBe('1.2.3');
    for (const bad of ['/x', '.\\x', '../..', 'a'.repeat(17)]) expect(() => storeIn(tempDir(), { fileExtension: bad }), bad).toThrow(RangeError);
  });

  it('ignore mode receives, answers success and writes nothing', async () => {
    const seen: number[] = [];
    const store = storeIn(tempDir(), { ignore: true, onStored: (i) => seen.push(i.bytes) });
    const { file, dataset } = ctPart10({ sopInstanceUid: '1.2.3.9', rows: 256, columns: 256 });
    const { assoc } = await setup(store);
    expect((await assoc.cStore({ part10: file })).status).toBe(0);
    await assoc.release();
    expect(seen).toEqual([dataset.byteLength]);
    expect(readdirSync(store.directory)).toEqual([]);
  });

});

describe('sweep: temp files of killed runs go, those of live writers stay', () => {
  /** A C-STORE into `store` whose data set arrives when the test says: its temp file exists meanwhile. */
  async function storeInProgress(store: FsStore, sopInstanceUid: string) {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const data = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    const request = { sopClassUid: CT, sopInstanceUid, transferSyntax: EXPLICIT_LE, priority: 0, data, chunks: () => data } as unknown as StoreRequest;
    const result = store.cStore(request, { peerAeTitle: 'SCU' } as RequestContext);
    controller.enqueue(new Uint8Array(1000));
    let temp: string | undefined;
    for (let i = 0; i < 100 && !temp; i++) {
      await new Promise((r) => setTimeout(r, 5));
      temp = readdirSync(store.directory).find((n) => n.endsWith(TEMP_SUFFIX));
    }
    expect(temp).toBeDefined();
    const finish = async () => {
      controller.close();
      const r = await result;
      return typeof r === 'number' ? r : r.status;
    };
    return { temp: temp!, finish };
  }

  /** A temp name like `name` but with another pid, process tag or host tag (`.<pid>.<host>.<process>.<store>-<n>`). */
  function renamed(name: string, change: { pid?: number; host?: string; process?: string }): string {
    const [pid, host, proc, rest] = name.slice(1).split('.');
    return `.${[change.pid?.toString(36) ?? pid, change.host ?? host, change.process ?? proc, rest].join('.')}.netdicom-part`;
  }

  /** A process that is alive until `kill()`. */
  async function otherProcess() {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    const exited = new Promise((r) => child.once('exit', r));
    return { pid: child.pid!, kill: () => (child.kill('SIGKILL'), exited) };
  }

  it('keeps the in-progress file of another live store in the same directory (two storescp on one -od)', async () => {
    const dir = tempDir();
    const a = storeIn(dir);
    const { temp, finish } = await storeInProgress(a, '1.2.3.50');
    const b = storeIn(dir); // a second store starts and sweeps, as storescp and qrscp do
    expect(b.sweep()).toBe(0);
    expect(readdirSync(dir)).toContain(temp);
    expect(await finish()).toBe(0); // A's rename still finds its file
    expect(readdirSync(dir)).toEqual(['1.2.3.50.dcm']);
  });

  it('removes the files of a process of this host that is gone, not while it lives', async () => {
    const dir = tempDir();
    const store = storeIn(dir);
    const { temp, finish } = await storeInProgress(store, '1.2.3.51');
    const other = await otherProcess();
    const theirs = renamed(temp, { pid: other.pid });
    writeFileSync(path.join(dir, theirs), 'partial');
    mkdirSync(path.join(dir, 'keep'));
    expect(store.sweep()).toBe(0);
    await other.kill();
    expect(store.sweep()).toBe(1);
    expect(readdirSync(dir).sort()).toEqual([temp, 'keep'].sort());
    expect(await finish()).toBe(0);
  });

  it('removes the files of an earlier process that had our pid (a restarted container)', async () => {
    const dir = tempDir();
    const store = storeIn(dir);
    const { temp, finish } = await storeInProgress(store, '1.2.3.52');
    const earlier = renamed(temp, { process: 'zzzzzz' });
    writeFileSync(path.join(dir, earlier), 'partial');
    expect(store.sweep()).toBe(1);
    expect(readdirSync(dir)).toEqual([temp]);
    expect(await finish()).toBe(0);
  });

  it('keeps files whose writer it cannot check (another host, an older naming) until they are stale', async () => {
    const dir = tempDir();
    const store = storeIn(dir);
    const { temp, finish } = await storeInProgress(store, '1.2.3.53');
    const other = await otherProcess();
    await other.kill(); // a pid that is gone here says nothing about the other host's process
    const names = [renamed(temp, { pid: other.pid, host: 'otherhost' }), '.0123456789abcdef.netdicom-part'];
    for (const n of names) writeFileSync(path.join(dir, n), 'partial');
    expect(store.sweep()).toBe(0);
    const old = (Date.now() - STALE_TEMP_MS - 60_000) / 1000;
    for (const n of names) utimesSync(path.join(dir, n), old, old);
    expect(store.sweep()).toBe(2);
    expect(readdirSync(dir)).toEqual([temp]);
    expect(await finish()).toBe(0);
  });
});

describe('file names from hostile SOP Instance UIDs (X-01, X-02)', () => {
  const hostile = [
    '../../x',
    '..',
    '.',
    '/etc/passwd',
    '..\\..\\x',
    'C:\\x',
    '1.2.3/../../x',
    '1.2.3\u0000.dcm',
    '-rf',
    'CON',
    'NUL',
    '1.2.3.',
    '1..2',
    '1'.repeat(65),
    '1.2.'.repeat(2560),
  ];

  it('safeFileName keeps well-formed UIDs and hashes everything else', () => {
    expect(safeFileName('1.2.840.10008.5.1.4.1.1.2')).toBe('1.2.840.10008.5.1.4.1.1.2.dcm');
    const names = hostile.map(safeFileName);
    for (const n of names) expect(n).toMatch(/^x[0-9a-f]{40}\.dcm$/);
    expect(new Set(names).size).toBe(hostile.length);
  });

  it.each(IO_MODES)('never writes outside the output directory (io %s)', async (io) => {
    const parent = tempDir();
    const store = storeIn(path.join(parent, 'out'), { io });
    const { assoc } = await setup(store);
    const { dataset } = ctPart10({ sopInstanceUid: '1.2.3' });
    for (const uid of hostile) {
      const rsp = await assoc.cStore({ sopClassUid: CT, sopInstanceUid: uid, transferSyntaxUid: EXPLICIT_LE, data: dataset });
      expect(rsp.status, uid).toBe(0);
    }
    await assoc.release();
    expect(readdirSync(parent)).toEqual(['out']);
    const files = readdirSync(store.directory);
    expect(files).toHaveLength(hostile.length);
    for (const f of files) expect(f).toMatch(/^x[0-9a-f]{40}\.dcm$/);
  });
});
