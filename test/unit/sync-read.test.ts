/**
 * Which file API the send-side readers use: synchronous calls by default, fs/promises only with
 * `io: 'async'` (adapters/node/sync-read.ts), also through the CLI's `--io async` (qrscp, getscu).
 * Both node:fs and node:fs/promises are wrapped to count their calls; the bytes are checked too, so
 * a reader that read nothing cannot pass.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { getscu } from '../../adapters/cli/getscu';
import { readPart10Header } from '../../adapters/cli/part10-file';
import { fileChunks } from '../../adapters/node/file-stream';
import type { FileIo } from '../../adapters/node/sync-read';
import { pattern, sha256 } from '../helpers/bytes';
import { ctPart10 } from '../helpers/ct-instance';
import { startQrscp, writeArchive } from './helpers/qr-fixtures';

const calls = vi.hoisted(() => ({ readSync: 0, writevSync: 0, promisesOpen: 0 }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    readSync: ((...args: Parameters<typeof real.readSync>) => (calls.readSync++, real.readSync(...args))) as typeof real.readSync,
    writevSync: ((...args: Parameters<typeof real.writevSync>) => (calls.writevSync++, real.writevSync(...args))) as typeof real.writevSync,
  };
});
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return { ...real, open: ((...args: Parameters<typeof real.open>) => (calls.promisesOpen++, real.open(...args))) as typeof real.open };
});

const dir = mkdtempSync(path.join(tmpdir(), 'netdicom-sync-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => Object.assign(calls, { readSync: 0, writevSync: 0, promisesOpen: 0 }));

const data = pattern(300 * 1024, 3);
const dataFile = path.join(dir, 'data.bin');
writeFileSync(dataFile, data);
const part10File = path.join(dir, 'ct.dcm');
writeFileSync(part10File, ctPart10({ sopInstanceUid: '1.2.3.4' }).file);

async function streamed(io?: FileIo): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of fileChunks(dataFile, 0, io && { io })) chunks.push(c);
  return sha256(Buffer.concat(chunks));
}

describe('send-side file reads', () => {
  it('fileChunks reads with readSync by default, and only through fs/promises with io async', async () => {
    expect(await streamed()).toBe(sha256(data));
    expect([calls.readSync > 0, calls.promisesOpen]).toEqual([true, 0]);
    Object.assign(calls, { readSync: 0, promisesOpen: 0 });
    expect(await streamed('async')).toBe(sha256(data));
    expect([calls.readSync, calls.promisesOpen]).toEqual([0, 1]);
  });

  it('readPart10Header reads with readSync by default, and only through fs/promises with io async', async () => {
    expect((await readPart10Header(part10File)).sopInstanceUid).toBe('1.2.3.4');
    expect([calls.readSync > 0, calls.promisesOpen]).toEqual([true, 0]);
    Object.assign(calls, { readSync: 0, promisesOpen: 0 });
    expect((await readPart10Header(part10File, { io: 'async' })).sopInstanceUid).toBe('1.2.3.4');
    expect([calls.readSync, calls.promisesOpen]).toEqual([0, 1]);
  });

  it('--io async makes qrscp (index, sub-operations, stored files) and getscu (stored files) use fs/promises only', async () => {
    const run = async (ioArgs: string[]) => {
      const archive = mkdtempSync(path.join(dir, 'archive-'));
      writeArchive(archive);
      const qr = await startQrscp(['--dir', archive, '-aet', 'QRIO', ...ioArgs]);
      const od = mkdtempSync(path.join(dir, 'got-'));
      const lines: string[] = [];
      const sink = { out: (l: string) => void lines.push(l), err: (l: string) => void lines.push(l) };
      const code = await getscu(['127.0.0.1', String(qr.port), '-aec', 'QRIO', '-S', '-k', 'QueryRetrieveLevel=STUDY', '-k', 'StudyInstanceUID=1.2.9.1', '-od', od, ...ioArgs], sink);
      expect(await qr.stop()).toBe(0);
      expect(code, lines.join('\n')).toBe(0);
      expect(readdirSync(od)).toHaveLength(3);
    };
    await run([]);
    expect(calls.readSync).toBeGreaterThan(0);
    expect(calls.writevSync).toBeGreaterThan(0); // getscu's files
    Object.assign(calls, { readSync: 0, writevSync: 0, promisesOpen: 0 });
    await run(['--io', 'async']);
    expect([calls.readSync, calls.writevSync]).toEqual([0, 0]);
    // Index scan (4 files) + 3 sub-operation reads + 3 temp files written by getscu.
    expect(calls.promisesOpen).toBeGreaterThanOrEqual(10);
  });
});

