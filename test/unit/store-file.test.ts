/**
 * storeInputFromFile (adapters/node/store-file.ts): a Part 10 file becomes a C-STORE input whose
 * data set reaches the SCP byte for byte, whole in memory when it fits one read, streamed (and
 * opened again) when it does not; the file is closed on every path, and bad files are refused.
 * Its buffers go back to a pool once sent (file-buffers.ts), so an input is sent once, and files
 * sent one after another over TCP share buffers without one file's bytes reaching another's store.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { connectTcp, listenTcp, storeInputFromFile } from '../../adapters/node/index';
import { ApplicationEntity } from '../../src/ae';
import { sha256 } from '../helpers/bytes';
import { CT_IMAGE_STORAGE, EXPLICIT_LE, ctPart10 } from '../helpers/ct-instance';
import { writeLargePart10 } from '../helpers/large-instance';

const dir = mkdtempSync(path.join(tmpdir(), 'netdicom-store-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fds = () => readdirSync('/proc/self/fd').length;

/** A CT instance of about `rows`² × 2 bytes written as a Part 10 file. */
function writeInstance(name: string, rows: number): { file: string; dataset: Uint8Array } {
  const p = ctPart10({ sopInstanceUid: `1.2.3.${rows}`, transferSyntaxUid: EXPLICIT_LE, rows, columns: rows });
  const file = path.join(dir, name);
  writeFileSync(file, p.file);
  return { file, dataset: p.dataset };
}

/** Stores `input` into an in-memory SCP; returns the SHA-256 of the data set bytes it received. */
async function storeThrough(input: Awaited<ReturnType<typeof storeInputFromFile>>): Promise<{ status: number; received: string }> {
  const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(CT_IMAGE_STORAGE, [EXPLICIT_LE]);
  const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(CT_IMAGE_STORAGE, [EXPLICIT_LE]);
  const [client, server] = createMemoryPair();
  let received = '';
  scp.handle(server, { async cStore(request) { received = sha256(await request.bytes()); return 0; } });
  const assoc = await scu.associate(client, { calledAeTitle: 'SCP' });
  const rsp = await assoc.cStore(input);
  await assoc.release();
  return { status: rsp.status, received };
}

describe('storeInputFromFile', () => {
  it('reads a file that fits one read whole: identity from the meta group, data set in memory, file closed', async () => {
    const { file, dataset } = writeInstance('small.dcm', 64);
    const before = fds();
    const input = await storeInputFromFile(file);
    expect(fds()).toBe(before);
    expect(input).toMatchObject({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3.64', transferSyntaxUid: EXPLICIT_LE });
    const chunks: Uint8Array[] = [];
    for await (const c of input.data) chunks.push(c);
    expect(chunks).toHaveLength(1); // one read
    expect(sha256(chunks[0]!)).toBe(sha256(dataset));
  });

  it('sends an input once: a second C-STORE of it is refused, not sent with bytes that may be another file\'s', async () => {
    const { file, dataset } = writeInstance('twice.dcm', 64);
    const input = await storeInputFromFile(file);
    expect(await storeThrough(input)).toEqual({ status: 0, received: sha256(dataset) });
    await expect(storeThrough(input)).rejects.toThrow(/sent already/);
    const large = await storeInputFromFile(writeInstance('twice-large.dcm', 256).file, { wholeUpTo: 4096 });
    await storeThrough(large);
    await expect(storeThrough(large)).rejects.toThrow(/sent already/);
  });

  it('files sent one after another over TCP, each read while the last is sent, share buffers and arrive byte for byte', async () => {
    const files = Array.from({ length: 24 }, (_, i) => writeInstance(`seq-${i}.dcm`, 200 + 8 * (i % 5))); // 80-100 KiB, 5 sizes
    const received: string[] = [];
    const scp = new ApplicationEntity({ aeTitle: 'SCP', maxPduLength: 16_384 }).addSupportedContext(CT_IMAGE_STORAGE, [EXPLICIT_LE]);
    const scu = new ApplicationEntity({ aeTitle: 'SCU', maxPduLength: 16_384 }).addRequestedContext(CT_IMAGE_STORAGE, [EXPLICIT_LE]);
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
    const server = scp.serve(listener, { async cStore(request) { received.push(sha256(await request.bytes())); return 0; } });
    const assoc = await scu.associate(await connectTcp({ host: '127.0.0.1', port: Number(listener.address.split(':').pop()) }), { calledAeTitle: 'SCP' });
    const memories = new Set<ArrayBufferLike>();
    // The same input, noting the memory each chunk is in.
    const remember = (input: Awaited<ReturnType<typeof storeInputFromFile>>) => ({
      ...input,
      data: {
        recycle: input.data.recycle,
        async *[Symbol.asyncIterator]() {
          for await (const chunk of input.data) {
            memories.add(chunk.buffer);
            yield chunk;
          }
        },
      },
    });
    let next = storeInputFromFile(files[0]!.file);
    for (let i = 0; i < files.length; i++) {
      const sending = assoc.cStore(remember(await next));
      if (i + 1 < files.length) next = storeInputFromFile(files[i + 1]!.file); // read while this one is sent
      expect((await sending).status).toBe(0);
    }
    await assoc.release();
    await server.close();
    expect(received).toEqual(files.map((f) => sha256(f.dataset)));
    expect(memories.size).toBeLessThan(files.length / 2); // buffers were reused, so the check above could fail
  });

  it('a large file streamed over TCP is read into a few buffers again and again: the sender waits for the socket', async () => {
    // A sender that outran its socket read the file ahead into new memory (e71bbd6: an SCU of one
    // 256 MiB instance peaked at 200-300 MiB): its chunks then come from ever new buffers.
    const file = path.join(dir, 'large.dcm');
    writeLargePart10(file, '1.2.3.99', 64 * 1024 * 1024);
    const scp = new ApplicationEntity({ aeTitle: 'SCP', maxPduLength: 131_072 }).addSupportedContext(CT_IMAGE_STORAGE, [EXPLICIT_LE]);
    const scu = new ApplicationEntity({ aeTitle: 'SCU', maxPduLength: 131_072 }).addRequestedContext(CT_IMAGE_STORAGE, [EXPLICIT_LE]);
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
    let bytes = 0;
    const server = scp.serve(listener, {
      async cStore(request) {
        for await (const chunk of request.chunks({ lent: true })) {
          bytes += chunk.byteLength;
          request.releaseChunk?.(chunk);
        }
        return 0;
      },
    });
    const assoc = await scu.associate(await connectTcp({ host: '127.0.0.1', port: Number(listener.address.split(':').pop()) }), { calledAeTitle: 'SCP' });
    const input = await storeInputFromFile(file);
    const memories = new Set<ArrayBufferLike>();
    let chunks = 0;
    // The same stream (recycling kept), noting the memory each chunk is in.
    const data = {
      recycle: input.data.recycle,
      async *[Symbol.asyncIterator]() {
        for await (const chunk of input.data) {
          memories.add(chunk.buffer);
          chunks++;
          yield chunk;
        }
      },
    };
    const rsp = await assoc.cStore({ ...input, data });
    await assoc.release();
    await server.close();
    expect(rsp.status).toBe(0);
    expect(bytes).toBeGreaterThan(64 * 1024 * 1024);
    expect(chunks).toBeGreaterThan(16); // so the bound below says something
    // A sender holds about four buffers (file-buffers.ts): here 2; a sender that did not wait, 6-14.
    expect(memories.size).toBeLessThanOrEqual(4);
  });

  it('streams the rest of a larger file from where the first read stopped, byte for byte', async () => {
    const { file, dataset } = writeInstance('large.dcm', 256); // ~128 KiB
    let reported = 0;
    const input = await storeInputFromFile(file, { wholeUpTo: 4096, onBytes: (n) => (reported += n) });
    expect(await storeThrough(input)).toEqual({ status: 0, received: sha256(dataset) });
    expect(reported).toBe(dataset.byteLength);
  });

  it('reads the same bytes through fs/promises with io async', async () => {
    const { file, dataset } = writeInstance('async.dcm', 256);
    const input = await storeInputFromFile(file, { io: 'async', wholeUpTo: 8192 });
    const chunks: Uint8Array[] = [];
    for await (const c of input.data) chunks.push(c);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(dataset));
  });

  it('closes the reopened file when the reader stops early', async () => {
    const { file } = writeInstance('cancel.dcm', 256);
    const before = fds();
    const input = await storeInputFromFile(file, { wholeUpTo: 4096 });
    const it = input.data[Symbol.asyncIterator]();
    await it.next(); // what the first read held
    await it.next(); // opens the file again
    expect(fds()).toBe(before + 1);
    await it.return?.();
    expect(fds()).toBe(before);
  });

  it('refuses a file that is not Part 10, and a missing file, without leaking a descriptor', async () => {
    const file = path.join(dir, 'not-dicom.bin');
    writeFileSync(file, new Uint8Array(4096).fill(0x41));
    const before = fds();
    await expect(storeInputFromFile(file)).rejects.toThrow(/not a DICOM Part 10 file/);
    await expect(storeInputFromFile(path.join(dir, 'missing.dcm'))).rejects.toThrow(/ENOENT/);
    expect(fds()).toBe(before);
  });
});
