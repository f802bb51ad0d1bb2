/**
 * File reading on the send side, synchronous (the default) and through fs/promises: the same
 * bytes from the same offsets, descriptors closed at the end, on cancel and on errors, and the
 * same errors for missing or unreadable files (fileChunks, readPart10Header, readForIndex).
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPart10Header } from '../../adapters/cli/part10-file';
import { fileChunks } from '../../adapters/node/file-stream';
import { readForIndex } from '../../adapters/node/qr/part10-reader';
import type { FileIo } from '../../adapters/node/sync-read';
import { sha256, pattern } from '../helpers/bytes';
import { ctPart10, EXPLICIT_LE } from '../helpers/ct-instance';

const dir = mkdtempSync(path.join(tmpdir(), 'netdicom-fsio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fds = () => readdirSync('/proc/self/fd').length;
const MiB = 1024 * 1024;

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

async function readAll(source: AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; sizes: number[] }> {
  const chunks: Uint8Array[] = [];
  for await (const c of source) chunks.push(c);
  return { bytes: Buffer.concat(chunks), sizes: chunks.map((c) => c.byteLength) };
}

const big = pattern(2 * MiB + 4321, 11);
const bigFile = write('big.bin', big);
const tinyFile = write('tiny.bin', pattern(200, 5));

describe.each<FileIo>(['sync', 'async'])('fileChunks, io %s', (io) => {
  it('streams the exact bytes from an offset of a file larger than 1 MiB, in chunks of at most 1 MiB', async () => {
    let reported = 0;
    const before = fds();
    const { bytes, sizes } = await readAll(fileChunks(bigFile, 1001, { io, onBytes: (n) => (reported += n) }));
    expect(sha256(bytes)).toBe(sha256(big.subarray(1001)));
    expect(sizes).toEqual([MiB, MiB, big.length - 1001 - 2 * MiB]);
    expect(reported).toBe(big.length - 1001);
    expect(fds()).toBe(before);
  });

  it('streams a tiny file from an offset as one chunk, and nothing from its end', async () => {
    const before = fds();
    const { bytes, sizes } = await readAll(fileChunks(tinyFile, 132, { io }));
    expect(Buffer.compare(bytes, Buffer.from(pattern(200, 5).subarray(132)))).toBe(0);
    expect(sizes).toEqual([68]);
    expect((await readAll(fileChunks(tinyFile, 200, { io }))).sizes).toEqual([]);
    expect((await readAll(fileChunks(write('empty.bin', new Uint8Array(0)), 0, { io }))).sizes).toEqual([]);
    expect(fds()).toBe(before);
  });

  it('holds one descriptor while read and closes it on return()', async () => {
    const before = fds();
    const chunks = fileChunks(bigFile, 0, { io });
    const first = await chunks.next();
    expect(first.value?.byteLength).toBe(MiB);
    expect(fds()).toBe(before + 1);
    await chunks.return();
    expect(fds()).toBe(before);
  });

  it('a missing file rejects the first next(), with no descriptor left', async () => {
    const before = fds();
    await expect(fileChunks(path.join(dir, 'missing.bin'), 0, { io }).next()).rejects.toMatchObject({ code: 'ENOENT' });
    expect(fds()).toBe(before);
  });

  it('a read error (a directory) rejects and closes the descriptor', async () => {
    const before = fds();
    await expect(fileChunks(dir, 0, { io }).next()).rejects.toMatchObject({ code: 'EISDIR' });
    expect(fds()).toBe(before);
  });
});

describe.each<FileIo>(['sync', 'async'])('Part 10 headers, io %s', (io) => {
  const uid = '1.2.826.0.1.3680043.9.7433.8.1';
  const { file: part10, dataset } = ctPart10({ sopInstanceUid: uid, transferSyntaxUid: EXPLICIT_LE, rows: 256, columns: 256 });
  const file = write(`ct-${io}.dcm`, part10);

  it('readPart10Header and readForIndex find the identity and the data set offset', async () => {
    const before = fds();
    const header = await readPart10Header(file, { io });
    expect(header).toMatchObject({ path: file, size: part10.length, sopInstanceUid: uid, transferSyntaxUid: EXPLICIT_LE });
    expect(header.datasetOffset).toBe(part10.length - dataset.length);
    const { info, attributes } = await readForIndex(file, { io });
    expect(info).toMatchObject({ size: part10.length, sopInstanceUid: uid, datasetOffset: header.datasetOffset });
    expect(attributes.PatientID).toBe('NETDICOM-1');
    expect(attributes.PixelData).toBeUndefined();
    expect(fds()).toBe(before);
  });

  it('a File Meta Information group longer than the first 16 KiB read is read again, larger', async () => {
    // (0002,0102) Private Information, OB, 20,000 bytes, at the end of the meta group.
    const privateInfo = new Uint8Array(12 + 20000);
    privateInfo.set([0x02, 0x00, 0x02, 0x01, 0x4f, 0x42, 0, 0]);
    new DataView(privateInfo.buffer).setUint32(8, 20000, true);
    const metaEnd = part10.length - dataset.length;
    const long = Buffer.concat([part10.subarray(0, metaEnd), privateInfo, dataset]);
    const longFile = write(`long-meta-${io}.dcm`, long);
    const header = await readPart10Header(longFile, { io });
    expect(header.datasetOffset).toBe(metaEnd + privateInfo.length);
    expect(header.sopInstanceUid).toBe(uid);
  });

  it('missing, short and non-Part-10 files reject as before, with no descriptor left', async () => {
    const before = fds();
    await expect(readPart10Header(path.join(dir, 'missing.dcm'), { io })).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readForIndex(path.join(dir, 'missing.dcm'), { io })).rejects.toMatchObject({ code: 'ENOENT' });
    const short = write(`short-${io}.dcm`, part10.subarray(0, 100));
    await expect(readPart10Header(short, { io })).rejects.toThrow(/no "DICM" prefix/);
    await expect(readForIndex(short, { io })).rejects.toThrow(/no "DICM" prefix/);
    const text = write(`text-${io}.txt`, new TextEncoder().encode('not dicom'.repeat(100)));
    await expect(readPart10Header(text, { io })).rejects.toThrow(/no "DICM" prefix/);
    const cut = write(`cut-${io}.dcm`, part10.subarray(0, 140));
    await expect(readPart10Header(cut, { io })).rejects.toThrow(/File Meta Information/);
    expect(fds()).toBe(before);
  });
});
