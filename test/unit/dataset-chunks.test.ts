/**
 * DatasetChunks (src/dimse/dataset-chunks.ts), the queue between the reassembler and a C-STORE
 * handler: order, back-pressure at the high-water mark, cancel and error wake a waiting producer,
 * a failure after the end changes nothing, and the web stream over it reads the same bytes; and
 * StoreRequest.chunks() / .data give a handler the same bytes either way.
 */
import { describe, expect, it, vi } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import { DatasetChunks } from '../../src/dimse/dataset-chunks';
import { pattern, sha256 } from '../helpers/bytes';
import { CT_IMAGE_STORAGE, EXPLICIT_LE } from '../helpers/ct-instance';

const bytes = (n: number) => new Uint8Array([n]);
const settled = async (p: Promise<unknown>) => Promise.race([p.then(() => true), new Promise((r) => setTimeout(() => r(false), 20))]);

describe('DatasetChunks', () => {
  it('discardRest fails a data set still arriving, and does nothing (no Error made) for one read to its end', async () => {
    const arriving = new DatasetChunks(4);
    arriving.discardRest();
    await expect(arriving.next()).rejects.toThrow('discarded');
    const done = new DatasetChunks(4);
    done.push(bytes(1));
    done.close();
    const made = vi.spyOn(globalThis, 'Error');
    try {
      done.discardRest();
      expect(made).not.toHaveBeenCalled();
    } finally {
      made.mockRestore();
    }
    expect((await done.next()).value).toEqual(bytes(1));
  });

  it('hands chunks over in order, to a waiting reader directly, then ends', async () => {
    const q = new DatasetChunks(4);
    const first = q.next();
    q.push(bytes(1));
    q.push(bytes(2));
    q.close();
    expect(await first).toEqual({ done: false, value: bytes(1) });
    const rest: number[] = [];
    for await (const c of q) rest.push(c[0]!);
    expect(rest).toEqual([2]);
  });

  it('asks the producer to wait at the high-water mark and wakes it when the reader catches up', async () => {
    const q = new DatasetChunks(2);
    expect(q.push(bytes(1))).toBeUndefined();
    const wait = q.push(bytes(2));
    expect(wait).toBeInstanceOf(Promise);
    expect(await settled(wait!)).toBe(false);
    await q.next();
    expect(await settled(wait!)).toBe(true);
  });

  it('cancel drops what is queued and what comes, wakes the producer and ends the reader', async () => {
    const q = new DatasetChunks(1);
    const wait = q.push(bytes(1))!;
    await q.cancel();
    expect(await settled(wait)).toBe(true);
    expect(q.push(bytes(2))).toBeUndefined();
    expect(q.closedForInput).toBe(true);
    expect(await q.next()).toEqual({ done: true, value: undefined });
  });

  it('an error rejects the waiting reader and later reads, and wakes the producer', async () => {
    const q = new DatasetChunks(1);
    const reading = q.next();
    q.error(new Error('association aborted'));
    await expect(reading).rejects.toThrow('association aborted');
    const q2 = new DatasetChunks(1);
    const wait = q2.push(bytes(1))!;
    q2.error(new Error('discarded'));
    expect(await settled(wait)).toBe(true);
    await expect(q2.next()).rejects.toThrow('discarded');
  });

  it('a failure after the last chunk changes nothing (the data set is whole)', async () => {
    const q = new DatasetChunks(4);
    q.push(bytes(7));
    q.close();
    q.error(new Error('late'));
    expect(await q.next()).toEqual({ done: false, value: bytes(7) });
    expect(await q.next()).toEqual({ done: true, value: undefined });
  });

  it('of(): a data set that came whole is one chunk (none when empty), already ended', async () => {
    const whole = DatasetChunks.of(bytes(9));
    expect(await whole.next()).toEqual({ done: false, value: bytes(9) });
    expect(await whole.next()).toEqual({ done: true, value: undefined });
    expect(await DatasetChunks.of(null).next()).toEqual({ done: true, value: undefined });
    expect(await DatasetChunks.of(new Uint8Array(0)).next()).toEqual({ done: true, value: undefined });
  });

  it('reads the same chunks through a web ReadableStream made on demand, once', async () => {
    const q = new DatasetChunks(4);
    const stream = q.toStream();
    expect(q.toStream()).toBe(stream);
    q.push(bytes(1));
    q.push(bytes(2));
    q.close();
    const got: number[] = [];
    for await (const c of stream) got.push(c[0]!);
    expect(got).toEqual([1, 2]);
  });
});

describe('StoreRequest.chunks() and .data', () => {
  async function storeWith(read: 'chunks' | 'data'): Promise<string> {
    const scp = new ApplicationEntity({ aeTitle: 'SCP', maxPduLength: 4096 }).addSupportedContext(CT_IMAGE_STORAGE, [EXPLICIT_LE]);
    const scu = new ApplicationEntity({ aeTitle: 'SCU', maxPduLength: 4096 }).addRequestedContext(CT_IMAGE_STORAGE, [EXPLICIT_LE]);
    const [client, server] = createMemoryPair();
    let received = '';
    scp.handle(server, {
      async cStore(request) {
        const parts: Uint8Array[] = [];
        if (read === 'chunks') for await (const c of request.chunks()) parts.push(c);
        else for await (const c of request.data) parts.push(c);
        received = sha256(Buffer.concat(parts));
        return 0;
      },
    });
    const assoc = await scu.associate(client, { calledAeTitle: 'SCP' });
    const data = pattern(100_000);
    await assoc.cStore({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3', transferSyntaxUid: EXPLICIT_LE, data });
    await assoc.release();
    expect(received).toBe(sha256(data));
    return received;
  }

  it('gives a streamed data set byte for byte through chunks() and through data', async () => {
    expect(await storeWith('chunks')).toBe(await storeWith('data'));
  });
});
