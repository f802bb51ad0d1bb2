/**
 * Lent socket reads (adapters/node/lent-reads.ts, DirectTransport.release): TCP sockets read into
 * pooled buffers, and a buffer is read into again only once every byte of it has been handed back
 * (PDU headers by the reader, command sets once decoded, data set fragments by a consumer that
 * asked for lent chunks, copies for one that did not). Here a buffer is poisoned the moment it
 * returns to the pool, so a byte handed back too early, or lent memory reaching a consumer that
 * keeps it, corrupts what the handler sees; and the pool must really be reused.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTcp, createFsStore, listenTcp } from '../../adapters/node/index';
import { LARGE_LENT_BUFFER_BYTES, LENT_BUFFER_BYTES, LentReads, lendingServerSocket, lentReadStats, poisonReleasedReads, releaseLentBytes } from '../../adapters/node/lent-reads';
import { ApplicationEntity } from '../../src/ae';
import type { ScpHandlers } from '../../src/scp/types';
import type { Transport } from '../../src/transport';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';

function pattern(length: number, seed: number): Uint8Array {
  return new Uint8Array(length).map((_, i) => (i * 131 + (i >> 9) + seed) & 0xff);
}
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * Data sets of odd sizes: several per association, so buffers are reused across messages too.
 * Byte patterns, not DICOM (the fs-store handlers below do not check their structure).
 */
const DATASETS = [pattern(3 * 1024 * 1024 + 77, 1), pattern(1_000, 2), pattern(700_001, 3), pattern(65_536, 4), pattern(2 * 1024 * 1024 + 5, 5)];

/** The SCP's handlers, each recording the SHA-256 of the data set it got, in order. */
type Handler = { name: string; make(seen: string[], dir: string): ScpHandlers };
const HANDLERS: Handler[] = [
  {
    name: 'fs-store (lent chunks, handed back once written)',
    make: (_seen, dir) => ({ cStore: createFsStore({ directory: dir, fsync: false, checkStructure: false }).cStore }),
  },
  {
    name: 'fs-store with io async (handed back when the thread-pool write settles)',
    make: (_seen, dir) => ({ cStore: createFsStore({ directory: dir, fsync: false, io: 'async', checkStructure: false }).cStore }),
  },
  {
    name: 'a handler that keeps every chunk (copies) and hashes them at the end',
    make: (seen) => ({
      async cStore(request) {
        const kept: Uint8Array[] = [];
        for await (const chunk of request.chunks()) kept.push(chunk);
        await new Promise((r) => setTimeout(r, 5)); // later input reuses the pool meanwhile
        const hash = createHash('sha256');
        for (const chunk of kept) hash.update(chunk);
        seen.push(hash.digest('hex'));
        return 0;
      },
    }),
  },
  {
    name: 'request.bytes()',
    make: (seen) => ({
      async cStore(request) {
        const bytes = await request.bytes();
        await new Promise((r) => setTimeout(r, 5));
        seen.push(sha(bytes));
        return 0;
      },
    }),
  },
];

/** SHA-256 of each stored file's data set (after its meta group), by file name order of storing. */
function storedHashes(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.dcm'))
    .sort((a, b) => Number(a.split('.').at(-2)) - Number(b.split('.').at(-2)))
    .map((n) => {
      const file = readFileSync(path.join(dir, n));
      return sha(file.subarray(144 + file.readUInt32LE(140)));
    });
}

/** Runs the SCU's stores over `scuTransport` against an SCP served on `scpTransport`. */
async function storeAll(scpTransport: Promise<Transport>, scuTransport: Promise<Transport>, maxPdu: number, handlers: ScpHandlers): Promise<void> {
  const scp = new ApplicationEntity({ aeTitle: 'SCP', maxPduLength: maxPdu }).addSupportedContext(CT, [EXPLICIT]);
  const scu = new ApplicationEntity({ aeTitle: 'SCU', maxPduLength: maxPdu }).addRequestedContext(CT, [EXPLICIT]);
  const [a, b] = await Promise.all([scpTransport, scuTransport]);
  const served = scp.handle(a, handlers);
  const assoc = await scu.associate(b, { calledAeTitle: 'SCP' });
  for (const [i, data] of DATASETS.entries()) {
    const rsp = await assoc.cStore({ sopClassUid: CT, sopInstanceUid: `1.2.3.${i}`, transferSyntaxUid: EXPLICIT, data });
    expect(rsp.status).toBe(0);
  }
  await assoc.release();
  await served;
}

/** A plain Node server (no lent reads) that hands out its first accepted socket as a transport. */
async function acceptOne(): Promise<{ port: number; transport: Promise<Transport>; close(): Promise<void> }> {
  const listener = await listenTcp({ host: '127.0.0.1', port: 0, reuseReadBuffers: false });
  const it = listener[Symbol.asyncIterator]();
  return { port: listener.port, transport: it.next().then((r) => r.value as Transport), close: () => listener.close() };
}

describe('lent socket reads', () => {
  beforeAll(() => poisonReleasedReads(0xee));
  afterAll(() => poisonReleasedReads(null));

  it('an accepted socket can be re-created to read into lent buffers on this Node', async () => {
    const server = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    const client = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
    const lending = lendingServerSocket(await accepted);
    // Null would mean Node's internals changed and servers silently read into new memory again.
    expect(lending).not.toBeNull();
    const got: number[] = [];
    lending!.reads.attach((chunk) => got.push(...chunk));
    client.end(Buffer.from([1, 2, 3]));
    await new Promise((r) => lending!.socket.once('end', r));
    expect(got).toEqual([1, 2, 3]);
    lending!.socket.destroy();
    server.close();
  });

  it('a socket reads into 64 KiB buffers, 512 KiB after a read that filled one, and back after one that fits; small reads are copied out', () => {
    const reads = new LentReads();
    const got: Uint8Array[] = [];
    reads.attach((chunk) => got.push(chunk));
    const read = (bytes: number) => {
      const buffer = reads.onread.buffer as () => Uint8Array;
      const into = buffer();
      const callback = reads.onread.callback as (n: number, b: Uint8Array) => boolean;
      into.set(pattern(bytes, bytes & 0xff));
      callback(bytes, into);
      return { size: into.byteLength, lent: got.at(-1)!.buffer === into.buffer, chunk: got.at(-1)! };
    };
    const copied = lentReadStats.copied;
    // Small mode: 20,000 bytes are more than an eighth of 64 KiB: lent. 5,000: copied (shared blocks).
    expect(read(20_000)).toMatchObject({ size: LENT_BUFFER_BYTES, lent: true });
    expect(read(5_000)).toMatchObject({ size: LENT_BUFFER_BYTES, lent: false });
    // A full buffer: the next read gets a large one, and so does the one after a full large read.
    expect(read(LENT_BUFFER_BYTES)).toMatchObject({ size: LENT_BUFFER_BYTES, lent: true });
    expect(read(LARGE_LENT_BUFFER_BYTES)).toMatchObject({ size: LARGE_LENT_BUFFER_BYTES, lent: true });
    expect(read(100_000)).toMatchObject({ size: LARGE_LENT_BUFFER_BYTES, lent: true }); // 100,000 > 64 KiB: stays large
    // Just over the small size: stays large and is lent, not copied (a read copied out of a large
    // buffer must also end the large mode, or every such read would be copied in turn).
    expect(read(LENT_BUFFER_BYTES + 1)).toMatchObject({ size: LARGE_LENT_BUFFER_BYTES, lent: true });
    // 20,000 bytes in a large buffer are at most an eighth of it: copied into memory of their own; back to small.
    const medium = read(20_000);
    expect(medium).toMatchObject({ size: LARGE_LENT_BUFFER_BYTES, lent: false });
    expect(medium.chunk.byteLength).toBe(20_000);
    expect(medium.chunk).toEqual(pattern(20_000, 20_000 & 0xff));
    expect(read(20_000)).toMatchObject({ size: LENT_BUFFER_BYTES, lent: true });
    expect(lentReadStats.copied - copied).toBe(5_000 + 20_000);
  });

  it('a receiver that falls behind by 16 large reads finds them all in the pool the next time', () => {
    // Without room for them, each burst dropped half its buffers to the garbage collector and made
    // new ones: a long-running SCP of large instances grew by ~20 MiB (see MAX_POOLED_LARGE).
    const reads = new LentReads();
    const held: Uint8Array[] = [];
    reads.attach((chunk) => held.push(chunk));
    const buffer = reads.onread.buffer as () => Uint8Array;
    const callback = reads.onread.callback as (n: number, b: Uint8Array) => boolean;
    const large = () => held.filter((c) => c.byteLength === LARGE_LENT_BUFFER_BYTES).length;
    const burst = () => {
      // Every read fills its buffer (a small one first switches to large reads) until 16 large ones are out at once.
      while (large() < 16) {
        const into = buffer();
        callback(into.byteLength, into);
      }
      for (const chunk of held.splice(0)) releaseLentBytes(chunk);
    };
    burst(); // fills the pool
    const made = lentReadStats.made;
    burst();
    expect(lentReadStats.made - made).toBe(0);
  });

  it('a closed socket gives its spare read buffer back; a buffer read into stays with its lease', () => {
    const reads = new LentReads();
    reads.attach(() => {});
    const buffer = reads.onread.buffer as () => Uint8Array;
    const callback = reads.onread.callback as (n: number, b: Uint8Array) => boolean;
    const spare = buffer(); // what Node holds for the next read
    reads.closed();
    const again = new LentReads();
    expect((again.onread.buffer as () => Uint8Array)()).toBe(spare); // reused, not made anew
    // Read into (lent: 20,000 bytes of 64 KiB), then closed before Node asked for the next one.
    const read = buffer();
    callback(20_000, read);
    reads.closed();
    expect((new LentReads().onread.buffer as () => Uint8Array)()).not.toBe(read);
  });

  it('connections opened and closed one after another do not each make new read buffers', async () => {
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
    const it = listener[Symbol.asyncIterator]();
    const cycle = async () => {
      const accepted = it.next();
      const client = await connectTcp({ host: '127.0.0.1', port: listener.port });
      const server = (await accepted).value as Transport;
      server.direct!.receive({ data: () => {}, end: () => {}, error: () => {} });
      client.direct!.receive({ data: () => {}, end: () => {}, error: () => {} });
      await client.close();
      await Promise.allSettled([server.closed, client.closed]);
      await server.close();
    };
    for (let i = 0; i < 5; i++) await cycle(); // the pool fills
    const made = lentReadStats.made;
    for (let i = 0; i < 40; i++) await cycle();
    // Each connection has two lending sockets; without the hand-back that is 80 new buffers.
    expect(lentReadStats.made - made).toBeLessThan(10);
    await listener.close();
  });

  it('a bulk transfer over TCP reads into large buffers', async () => {
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
    const accepted = listener[Symbol.asyncIterator]().next();
    const client = await connectTcp({ host: '127.0.0.1', port: listener.port });
    const server = (await accepted).value as Transport;
    const got: Uint8Array[] = [];
    let total = 0;
    const sent = pattern(8 * 1024 * 1024, 8);
    const done = new Promise<void>((resolve) =>
      server.direct!.receive({ data: (c) => (got.push(c), (total += c.byteLength) >= sent.length && resolve()), end: () => {}, error: () => {} }),
    );
    client.direct!.write([sent]);
    await done;
    expect(sha(Buffer.concat(got))).toBe(sha(sent));
    expect(got.some((c) => c.buffer.byteLength === LARGE_LENT_BUFFER_BYTES && c.byteLength > LENT_BUFFER_BYTES)).toBe(true);
    server.abort();
    client.abort();
    await listener.close();
  });

  it("read through its web stream, a lending socket gives chunks of their own memory (the lent ones go back)", async () => {
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
    const accepted = listener[Symbol.asyncIterator]().next();
    const client = await connectTcp({ host: '127.0.0.1', port: listener.port, reuseReadBuffers: false });
    const server = (await accepted).value as Transport;
    const before = lentReadStats.reused;
    const sent = pattern(4 * 1024 * 1024, 9);
    const writer = client.writable.getWriter();
    void writer.write(sent).then(() => writer.close());
    const reader = server.readable.getReader();
    const got: Uint8Array[] = [];
    for (let n = 0; n < sent.length; ) {
      const { value } = await reader.read();
      got.push(value!);
      n += value!.length;
    }
    expect(got.every((c) => c.byteOffset === 0 && c.byteLength === c.buffer.byteLength)).toBe(true);
    expect(sha(Buffer.concat(got))).toBe(sha(sent));
    expect(lentReadStats.reused - before).toBeGreaterThan(10);
    server.abort();
    client.abort();
    await listener.close();
  });

  for (const side of ['server', 'client'] as const) {
    for (const maxPdu of [4_096, 16_384, 131_072, 1 << 20]) {
      for (const handler of HANDLERS) {
        it(`on the ${side} socket, max PDU ${maxPdu}: ${handler.name}`, async () => {
          const dir = mkdtempSync(path.join(tmpdir(), 'netdicom-lent-'));
          const seen: string[] = [];
          const before = { ...lentReadStats };
          try {
            if (side === 'server') {
              // The SCP sits on an accepted socket (lent through Node internals), the SCU dials without lending.
              const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
              const it = listener[Symbol.asyncIterator]();
              const scpTransport = it.next().then((r) => r.value as Transport);
              await storeAll(scpTransport, connectTcp({ host: '127.0.0.1', port: listener.port, reuseReadBuffers: false }), maxPdu, handler.make(seen, dir));
              await listener.close();
            } else {
              // The SCP sits on a dialled socket (onread, public API); the SCU on a plain accepted one.
              const server = await acceptOne();
              await storeAll(connectTcp({ host: '127.0.0.1', port: server.port }), server.transport, maxPdu, handler.make(seen, dir));
              await server.close();
            }
            const hashes = seen.length > 0 ? seen : storedHashes(dir);
            expect(hashes).toEqual(DATASETS.map(sha));
            expect(lentReadStats.overReleased).toBe(before.overReleased);
            // Lent buffers really came back whole (the data sets fill dozens), and were read into again.
            expect(lentReadStats.returned - before.returned).toBeGreaterThan(10);
            expect(lentReadStats.reused - before.reused).toBeGreaterThan(10);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        });
      }
    }
  }
});
