/**
 * The fs-store's synchronous file I/O (`io: 'sync'`, the default) under injected faults: `node:fs`
 * is wrapped so that one call fails on demand. Whatever fails — the data stream (0xC000) or a disk
 * call (0xA700) — the temp file is removed and nothing appears under the final name.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFsStore, type FsStoreOptions } from '../../adapters/node/fs-store';
import { readPart10 } from '../../src/dataset/codec';
import type { RequestContext, StatusResult, StoreRequest } from '../../src/scp/types';
import { pattern, sha256 } from '../helpers/bytes';
import { CT_IMAGE_STORAGE as CT, EXPLICIT_LE } from '../helpers/ct-instance';

type Faulty = 'openSync' | 'writevSync' | 'fsync' | 'closeSync' | 'renameSync';

/** Calls seen per wrapped function, and which call of which function fails next. */
const io = vi.hoisted(() => ({
  calls: {} as Record<string, number>,
  writes: [] as { buffers: number; bytes: number }[],
  fault: undefined as { fn: string; call: number; code?: string } | undefined,
  stall: false, // writevSync returns 0 without an error
  /** In order: `open <path>`, `fsync <path>`, `rename <to>` (sync and `fs/promises` calls alike). */
  log: [] as string[],
  /** The path each open descriptor was opened with. */
  fds: new Map<number, string>(),
}));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const failing = (fn: Faulty): Error | undefined => {
    const call = (io.calls[fn] = (io.calls[fn] ?? 0) + 1);
    if (io.fault?.fn !== fn || io.fault.call !== call) return undefined;
    const code = io.fault.code ?? 'EIO';
    return Object.assign(new Error(`${code}: injected ${fn} failure`), { code });
  };
  const wrapSync = <F extends (...args: never[]) => unknown>(fn: Faulty, f: F) =>
    ((...args: Parameters<F>) => {
      const error = failing(fn);
      if (error) throw error;
      return f(...args);
    }) as F;
  return {
    ...real,
    openSync: wrapSync('openSync', ((file: string, flags: string, mode?: number) => {
      const fd = real.openSync(file, flags, mode);
      io.fds.set(fd, String(file));
      io.log.push(`open ${String(file)}`);
      return fd;
    }) as typeof real.openSync),
    closeSync: wrapSync('closeSync', real.closeSync),
    renameSync: wrapSync('renameSync', ((from: string, to: string) => {
      real.renameSync(from, to);
      io.log.push(`rename ${to}`);
    }) as typeof real.renameSync),
    writevSync: wrapSync('writevSync', ((fd: number, buffers: readonly NodeJS.ArrayBufferView[]) => {
      io.writes.push({ buffers: buffers.length, bytes: buffers.reduce((n, b) => n + b.byteLength, 0) });
      return io.stall ? 0 : real.writevSync(fd, buffers);
    }) as typeof real.writevSync),
    fsync: (fd: number, callback: (error: Error | null) => void) => {
      const error = failing('fsync');
      if (error) setImmediate(callback, error);
      else {
        io.log.push(`fsync ${io.fds.get(fd)}`);
        real.fsync(fd, callback);
      }
    },
  };
});

// The async path's calls, logged the same way (no faults injected there).
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof real.open = async (file, ...rest) => {
    const handle = await real.open(file, ...rest);
    io.log.push(`open ${String(file)}`);
    const sync = handle.sync.bind(handle);
    handle.sync = async () => (io.log.push(`fsync ${String(file)}`), sync());
    return handle;
  };
  const rename: typeof real.rename = async (from, to) => {
    await real.rename(from, to);
    io.log.push(`rename ${String(to)}`);
  };
  return { ...real, open, rename, default: { ...real, open, rename } };
});

let root = '';
beforeAll(() => void (root = mkdtempSync(path.join(tmpdir(), 'netdicom-fs-store-io-'))));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  io.calls = {};
  io.writes = [];
  io.fault = undefined;
  io.stall = false;
  io.log = [];
  io.fds.clear();
});

/** A fresh output directory (all removed at the end). */
const tempDir = (): string => mkdtempSync(path.join(root, 'out-'));

const CTX = { peerAeTitle: 'STORESCU        ' } as RequestContext;
const KiB = 1024;

/** A C-STORE request whose data set arrives as `chunks`, then ends (or fails with `error`). */
function request(sopInstanceUid: string, chunks: Uint8Array[], error?: Error): StoreRequest {
  let next = 0;
  const data = new ReadableStream<Uint8Array>({
    // One chunk per pull: an error must come after the chunks, not discard them from the queue.
    pull(controller) {
      if (next < chunks.length) controller.enqueue(chunks[next++]!);
      else if (error) controller.error(error);
      else controller.close();
    },
  });
  return { sopClassUid: CT, sopInstanceUid, transferSyntax: EXPLICIT_LE, priority: 0, data, chunks: () => data } as unknown as StoreRequest;
}

/** `bytes` of data in chunks of `size` (the PDV fragments of a C-STORE). */
function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.byteLength; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

/** Stores one data set; returns the status and what the callbacks were told. */
async function store(options: Partial<FsStoreOptions> & { directory: string }, rq: StoreRequest) {
  const failed: number[] = [];
  const stored: string[] = [];
  const fsStore = createFsStore({
    fsync: true,
    checkStructure: false, // the data sets here are byte patterns: these tests are about the file I/O
    onStored: (i) => stored.push(i.path!),
    onFailed: (i) => failed.push(i.status),
    ...options,
  });
  const result: StatusResult = await fsStore.cStore(rq, CTX);
  const status = typeof result === 'number' ? result : result.status;
  return { status, failed, stored };
}

const DATA = pattern(512 * KiB + 123, 3);

describe("createFsStore io 'sync'", () => {
  it('stores a file byte-identical to the async path, in bounded writes', async () => {
    const uid = '1.2.826.0.1.3680043.9.7433.3.77';
    // 16 KiB fragments, then odd sizes and one fragment larger than a write batch.
    const chunks = [...chunked(DATA, 16 * KiB), pattern(1), pattern(7), pattern(300 * KiB, 9)];
    const data = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    chunks.reduce((at, c) => (data.set(c, at), at + c.byteLength), 0);
    const [syncDir, asyncDir] = [tempDir(), tempDir()];

    const sync = await store({ directory: syncDir }, request(uid, chunks));
    expect(sync).toEqual({ status: 0, failed: [], stored: [path.join(syncDir, `${uid}.dcm`)] });
    // The temp file, then its directory (fsynced after the rename).
    expect(io.calls).toMatchObject({ openSync: 2, fsync: 2, closeSync: 2, renameSync: 1 });
    const batches = io.writes;
    expect(await store({ directory: asyncDir, io: 'async' }, request(uid, chunks))).toMatchObject({ status: 0 });
    expect(io.calls.openSync).toBe(2); // the async path does not open synchronously

    const file = new Uint8Array(readFileSync(sync.stored[0]!));
    expect(sha256(file)).toBe(sha256(new Uint8Array(readFileSync(path.join(asyncDir, `${uid}.dcm`)))));
    expect(sha256(file.subarray(file.byteLength - data.byteLength))).toBe(sha256(data));
    const back = readPart10(file);
    expect([back.sopInstanceUid, back.transferSyntaxUid, back.meta.SourceApplicationEntityTitle]).toEqual([uid, EXPLICIT_LE, 'STORESCU']);
    expect(sha256(back.dataset)).toBe(sha256(data));
    // Each call is one batch of ≤ 256 KiB plus the fragment that crossed the limit.
    expect(batches.length).toBeGreaterThan(2);
    for (const w of batches) expect([w.bytes < 256 * KiB + 300 * KiB, w.buffers <= 512]).toEqual([true, true]);
    expect(batches.filter((w) => w.bytes > 256 * KiB + 16 * KiB)).toHaveLength(1);
    expect(batches.reduce((n, w) => n + w.bytes, 0)).toBe(file.byteLength);
  });

  it('answers 0xA700 instead of retrying forever when writev moves no bytes without an error', async () => {
    const dir = tempDir();
    io.stall = true;
    const result = await store({ directory: dir }, request('1.2.3.12', chunked(DATA, 16 * KiB)));
    expect(result).toEqual({ status: 0xa700, failed: [0xa700], stored: [] });
    expect(io.calls.writevSync).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('answers 0xC000 and removes the temp file when the data stream fails mid-way', async () => {
    const dir = tempDir();
    const rq = request('1.2.3.10', chunked(DATA, 16 * KiB).slice(0, 20), new Error('association aborted'));
    expect(await store({ directory: dir }, rq)).toEqual({ status: 0xc000, failed: [0xc000], stored: [] });
    expect(io.calls.writevSync).toBe(1); // 320 KiB arrived: one batch was on disk before the failure
    expect(io.calls.closeSync).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['openSync', 1],
    ['writevSync', 2],
    ['fsync', 1],
    ['closeSync', 1],
    ['renameSync', 1],
  ] as const)('answers 0xA700 when %s fails, removes the temp file and keeps the previous file', async (fn, call) => {
    const dir = tempDir();
    const uid = '1.2.3.11';
    const previous = pattern(1000, 5);
    writeFileSync(path.join(dir, `${uid}.dcm`), previous);
    io.fault = { fn, call };
    const result = await store({ directory: dir }, request(uid, chunked(DATA, 16 * KiB)));
    expect(result).toEqual({ status: 0xa700, failed: [0xa700], stored: [] });
    expect(io.calls[fn]).toBe(call);
    expect(io.calls.closeSync ?? 0).toBe(fn === 'openSync' ? 0 : 1); // closed once, even when the close failed
    expect(readdirSync(dir)).toEqual([`${uid}.dcm`]);
    expect(sha256(new Uint8Array(readFileSync(path.join(dir, `${uid}.dcm`))))).toBe(sha256(previous));
  });

  it.each(['sync', 'async'] as const)('io %s with fsync: the file is fsynced before the rename, its directory after it', async (mode) => {
    const dir = tempDir();
    const uid = '1.2.3.14';
    expect((await store({ directory: dir, io: mode }, request(uid, [DATA]))).status).toBe(0);
    const final = path.join(dir, `${uid}.dcm`);
    const temp = io.log[0]!.slice('open '.length);
    expect(temp).toMatch(/\.netdicom-part$/);
    expect(io.log).toEqual([`open ${temp}`, `fsync ${temp}`, `rename ${final}`, `open ${dir}`, `fsync ${dir}`]);
  });

  it.each(['sync', 'async'] as const)('io %s without fsync: neither the file nor the directory is fsynced', async (mode) => {
    const dir = tempDir();
    expect((await store({ directory: dir, io: mode, fsync: false }, request('1.2.3.15', [DATA]))).status).toBe(0);
    expect(io.log.map((l) => l.split(' ')[0])).toEqual(['open', 'rename']);
    expect(io.calls.fsync ?? 0).toBe(0);
  });

  it('a directory that cannot be opened (EISDIR, as on Windows) is no failure', async () => {
    const dir = tempDir();
    io.fault = { fn: 'openSync', call: 2, code: 'EISDIR' };
    expect((await store({ directory: dir }, request('1.2.3.16', [DATA]))).status).toBe(0);
    expect(io.calls.openSync).toBe(2);
    expect(readdirSync(dir)).toEqual(['1.2.3.16.dcm']);
  });

  it('a failed directory fsync (EIO) fails the store: success must mean durable', async () => {
    const dir = tempDir();
    io.fault = { fn: 'fsync', call: 2 };
    expect(await store({ directory: dir }, request('1.2.3.17', [DATA]))).toMatchObject({ status: 0xa700, failed: [0xa700] });
    expect(io.calls.closeSync).toBe(2); // the directory too is closed
  });

  it('never leaves a file under the final name when a write fails', async () => {
    const dir = tempDir();
    io.fault = { fn: 'writevSync', call: 1 };
    expect((await store({ directory: dir }, request('1.2.3.12', [DATA]))).status).toBe(0xa700);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('uses openTemp (the async path) when it is given, whatever io says', async () => {
    const dir = tempDir();
    const opened: string[] = [];
    const openTemp = (file: string) => (opened.push(file), open(file, 'wx', 0o644));
    expect((await store({ directory: dir, io: 'sync', openTemp }, request('1.2.3.13', [DATA]))).status).toBe(0);
    expect(opened).toHaveLength(1);
    expect(io.calls.openSync ?? 0).toBe(0);
    expect(io.writes).toEqual([]);
    expect(readdirSync(dir)).toEqual(['1.2.3.13.dcm']);
  });
});
