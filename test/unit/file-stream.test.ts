import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileChunks, fileStream } from '../../adapters/node/file-stream';
import { iterate } from '../../src/dimse/dataset-source';

const dir = mkdtempSync(path.join(tmpdir(), 'netdicom-fs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('streams a file from an offset, reporting the bytes read', async () => {
  const file = path.join(dir, 'a.bin');
  const bytes = new Uint8Array(3 * 1024 * 1024 + 5).map((_, i) => i & 0xff);
  writeFileSync(file, bytes);
  let reported = 0;
  const chunks: Uint8Array[] = [];
  for await (const c of iterate(fileStream(file, 7, (n) => (reported += n)))) chunks.push(c);
  const got = Buffer.concat(chunks);
  expect(got.length).toBe(bytes.length - 7);
  expect(Buffer.compare(got, Buffer.from(bytes.subarray(7)))).toBe(0);
  expect(reported).toBe(bytes.length - 7);
});

it('opens the file only when first read (a C-GET can queue many without holding descriptors)', async () => {
  const file = path.join(dir, 'b.bin');
  writeFileSync(file, new Uint8Array(16));
  const fds = () => readdirSync('/proc/self/fd').length;
  const before = fds();
  const streams = Array.from({ length: 50 }, () => fileStream(file, 0));
  await new Promise((r) => setTimeout(r, 20));
  expect(fds()).toBe(before);
  for (const s of streams) await s.cancel();
});

it('allocates only what is left to read (a 64 KiB instance is one 64 KiB buffer, not 1 MiB ones)', async () => {
  const file = path.join(dir, 'c.bin');
  writeFileSync(file, new Uint8Array(64 * 1024 + 132).fill(3));
  const chunks: Uint8Array[] = [];
  for await (const c of iterate(fileStream(file, 132))) chunks.push(c);
  expect(chunks.map((c) => c.byteLength)).toEqual([64 * 1024]);
  expect(chunks[0]!.buffer.byteLength).toBe(64 * 1024);
});

describe('fileChunks (the async-iterable form)', () => {
  const fds = () => readdirSync('/proc/self/fd').length;

  it.each(['sync', 'async'] as const)('yields the bytes from an offset in chunks of at most 1 MiB (io %s)', async (io) => {
    const file = path.join(dir, `d-${io}.bin`);
    const bytes = new Uint8Array(2 * 1024 * 1024 + 9).map((_, i) => (i * 31) & 0xff);
    writeFileSync(file, bytes);
    const chunks: Uint8Array[] = [];
    for await (const c of fileChunks(file, 5, { io })) chunks.push(c);
    expect(chunks.map((c) => c.byteLength)).toEqual([1024 * 1024, 1024 * 1024, 4]);
    expect(Buffer.compare(Buffer.concat(chunks), Buffer.from(bytes.subarray(5)))).toBe(0);
  });

  it('opens the file at the first next(), and never when nobody iterates', async () => {
    const file = path.join(dir, 'e.bin');
    writeFileSync(file, new Uint8Array(3 * 1024 * 1024));
    const before = fds();
    const iterators = Array.from({ length: 50 }, () => fileChunks(file, 0));
    await new Promise((r) => setTimeout(r, 20));
    expect(fds()).toBe(before);
    for (const it of iterators) await it.return();
    expect(fds()).toBe(before);
    const it = fileChunks(file, 0);
    await it.next();
    expect(fds()).toBe(before + 1);
    await it.return(); // abandoned midway: closes
    expect(fds()).toBe(before);
  });

  it('rejects a missing file at the first next()', async () => {
    const it = fileChunks(path.join(dir, 'missing.bin'), 0);
    await expect(it.next()).rejects.toThrow(/ENOENT/);
  });
});
