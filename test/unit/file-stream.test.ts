import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lendFileBuffer } from '../../adapters/node/file-buffers';
import { fileChunks, readAhead, readAheadOnRequest } from '../../adapters/node/file-stream';

const dir = mkdtempSync(path.join(tmpdir(), 'netdicom-fs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('streams a file from an offset, reporting the bytes read', async () => {
  const file = path.join(dir, 'a.bin');
  const bytes = new Uint8Array(3 * 1024 * 1024 + 5).map((_, i) => i & 0xff);
  writeFileSync(file, bytes);
  let reported = 0;
  const chunks: Uint8Array[] = [];
  for await (const c of fileChunks(file, 7, { onBytes: (n) => (reported += n) })) chunks.push(c);
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
  const sources = Array.from({ length: 50 }, () => fileChunks(file, 0));
  await new Promise((r) => setTimeout(r, 20));
  expect(fds()).toBe(before);
  for (const s of sources) await s.return();
});

it('allocates only what is left to read (a 64 KiB instance is one 64 KiB buffer, not 1 MiB ones)', async () => {
  const file = path.join(dir, 'c.bin');
  writeFileSync(file, new Uint8Array(64 * 1024 + 132).fill(3));
  // Take every spare buffer an earlier case handed back (the pool keeps at most 4), so this read needs new memory.
  for (let i = 0; i < 8; i++) lendFileBuffer(1);
  const chunks: Uint8Array[] = [];
  for await (const c of fileChunks(file, 132)) chunks.push(c);
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

  it('reads into a recycled chunk\'s memory, and only into memory recycled once and its own', async () => {
    const file = path.join(dir, 'f.bin');
    const bytes = new Uint8Array(4 * 1024 * 1024 + 100).map((_, i) => (i * 7) & 0xff);
    writeFileSync(file, bytes);
    let reported = 0;
    const chunks = fileChunks(file, 0, { onBytes: (n) => (reported += n) });
    const first = (await chunks.next()).value!;
    const copy = Buffer.from(first);
    chunks.recycle(first);
    chunks.recycle(first); // twice: kept once
    chunks.recycle(new Uint8Array(1024 * 1024)); // not one of ours: ignored
    const second = (await chunks.next()).value!;
    expect(second.buffer).toBe(first.buffer);
    expect(Buffer.compare(copy, Buffer.from(bytes.subarray(0, 1024 * 1024)))).toBe(0);
    expect(Buffer.compare(Buffer.from(second), Buffer.from(bytes.subarray(1024 * 1024, 2 * 1024 * 1024)))).toBe(0);
    const third = (await chunks.next()).value!;
    expect(third.buffer).not.toBe(first.buffer); // recycled once, lent once
    chunks.recycle(second);
    chunks.recycle(third);
    const rest: Uint8Array[] = [];
    for await (const c of chunks) rest.push(c);
    expect(rest.map((c) => c.byteLength)).toEqual([1024 * 1024, 100]);
    expect([first.buffer, third.buffer]).toContain(rest[0]!.buffer);
    expect(Buffer.compare(Buffer.from(rest[1]!), Buffer.from(bytes.subarray(4 * 1024 * 1024)))).toBe(0);
    expect(reported).toBe(bytes.length);
  });

  it('without recycling, every chunk is new memory (a consumer may keep them)', async () => {
    const file = path.join(dir, 'g.bin');
    writeFileSync(file, new Uint8Array(3 * 1024 * 1024));
    const buffers = new Set<ArrayBufferLike>();
    for await (const c of fileChunks(file, 0)) buffers.add(c.buffer);
    expect(buffers.size).toBe(3);
  });

  it('readAhead reads the first chunk in the next check phase, yields the same bytes, and closes on return()', async () => {
    const file = path.join(dir, 'h.bin');
    const bytes = new Uint8Array(2 * 1024 * 1024 + 3).map((_, i) => (i * 13) & 0xff);
    writeFileSync(file, bytes);
    const before = fds();
    let read = 0;
    const ahead = readAhead(fileChunks(file, 1, { onBytes: (n) => (read += n) }));
    expect(read).toBe(0);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(read, 'first chunk read before anyone iterates').toBe(1024 * 1024);
    expect(fds()).toBe(before + 1);
    const chunks: Uint8Array[] = [];
    for await (const c of ahead) chunks.push(Buffer.from(c));
    expect(Buffer.compare(Buffer.concat(chunks), Buffer.from(bytes.subarray(1)))).toBe(0);
    expect(fds()).toBe(before);

    const unused = readAhead(fileChunks(file, 0));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(fds()).toBe(before + 1);
    await unused.return();
    expect(fds(), 'never iterated, still closed').toBe(before);
  });

  it('readAheadOnRequest reads nothing until prefetch(), then the first chunk in the next check phase', async () => {
    const file = path.join(dir, 'i.bin');
    writeFileSync(file, new Uint8Array(3000).fill(7));
    const before = fds();
    let read = 0;
    const ahead = readAheadOnRequest(fileChunks(file, 0, { onBytes: (n) => (read += n) }));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect([read, fds()], 'not asked: nothing opened').toEqual([0, before]);
    ahead.prefetch();
    ahead.prefetch(); // once is enough
    expect(read, 'not in this tick').toBe(0);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(read).toBe(3000);
    const chunks: Uint8Array[] = [];
    for await (const c of ahead) chunks.push(c);
    expect(chunks.map((c) => c.byteLength)).toEqual([3000]);
    expect(fds()).toBe(before);

    const unused = readAheadOnRequest(fileChunks(file, 0));
    unused.prefetch();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    await unused[Symbol.asyncIterator]().return(); // what the C-GET code does with an instance it will not send
    expect(fds()).toBe(before);
  });

  it('readAhead of a missing file rejects at the first next(), never as an unhandled rejection', async () => {
    const ahead = readAhead(fileChunks(path.join(dir, 'missing-ahead.bin'), 0));
    await new Promise((r) => setTimeout(r, 20));
    await expect(ahead.next()).rejects.toThrow(/ENOENT/);
  });

  it('rejects a missing file at the first next()', async () => {
    const it = fileChunks(path.join(dir, 'missing.bin'), 0);
    await expect(it.next()).rejects.toThrow(/ENOENT/);
  });
});
