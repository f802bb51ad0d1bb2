/**
 * A data set held in memory goes out as runs of full P-DATA-TF PDUs (DimseProviderOptions.sendRun,
 * UpperLayer.writePDataRun, encodePDataRun): the same PDUs, byte for byte, as one PDU at a time,
 * with the data never copied; a file read whole by storeInputFromFile (takeWhole) is sent that way
 * too and its buffer still comes back once flushed; a store handler takes the fragments that have
 * arrived without an await each (StoreChunks.takeArrived). A data set from a stream goes out the
 * same way, a run per large chunk (fragmentsOf with runs).
 */
import { describe, expect, it, vi } from 'vitest';
import { DatasetChunks } from '../../src/dimse/dataset-chunks';
import { concatChunks, type RecyclingChunks } from '../../src/dimse/dataset-source';
import { DimseProvider } from '../../src/dimse/provider';
import { CommandField, type Command } from '../../src/dimse/types';
import { encodePDataRun, encodePdu } from '../../src/pdu/encode';
import type { PDataTfPdu } from '../../src/pdu/types';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const storeRq: Command = { CommandField: CommandField['C-STORE-RQ'], MessageID: 1, AffectedSOPClassUID: CT, AffectedSOPInstanceUID: '1.2.3', Priority: 0, CommandDataSetType: 0 };

/** Bytes with a pattern, so a misplaced fragment shows. */
function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
}

const join = (parts: readonly Uint8Array[]): Uint8Array => concatChunks(parts);

/** The same data sent one PDU per fragment, each encoded on its own. */
function onePerPdu(contextId: number, data: Uint8Array, fragment: number, endsMessage: boolean): Uint8Array {
  const pdus: Uint8Array[] = [];
  let offset = 0;
  do {
    const end = Math.min(offset + fragment, data.byteLength);
    pdus.push(encodePdu({ type: 'P-DATA-TF', pdvs: [{ contextId, isCommand: false, isLast: endsMessage && end === data.byteLength, data: data.subarray(offset, end) }] }));
    offset = end;
  } while (offset < data.byteLength);
  return join(pdus);
}

describe('encodePDataRun', () => {
  const fragment = 1000;
  for (const size of [3 * fragment, 3 * fragment + 10, 10, 0]) {
    for (const endsMessage of [true, false]) {
      it(`${size} bytes, ${endsMessage ? 'ending' : 'not ending'} the message: the bytes of one PDU per fragment`, () => {
        const data = pattern(size);
        expect(Buffer.from(join(encodePDataRun(5, data, fragment, endsMessage))).equals(Buffer.from(onePerPdu(5, data, fragment, endsMessage)))).toBe(true);
      });
    }
  }

  it('sends the data as views of the caller\'s buffer, not copies', () => {
    const data = pattern(2500);
    const parts = encodePDataRun(1, data, 1000, true);
    const dataParts = parts.filter((p) => p.byteLength > 12);
    expect(dataParts).toHaveLength(3);
    for (const p of dataParts) expect(p.buffer).toBe(data.buffer);
  });
});

/** A provider that records the bytes of every PDU it sends, through sendPdu alone or sendRun too. */
function recorder(withRun: boolean, flushed?: () => Promise<void> | undefined) {
  const wire: Uint8Array[] = [];
  let runs = 0;
  const provider = new DimseProvider({
    sendPdu: (pdu: PDataTfPdu) => void wire.push(encodePdu(pdu)),
    ...(withRun && {
      sendRun: (contextId: number, data: Uint8Array, fragment: number, endsMessage: boolean) => {
        runs++;
        wire.push(join(encodePDataRun(contextId, data, fragment, endsMessage)));
      },
    }),
    flushed,
    peerMaxPduLength: 16384,
    isAcceptedContext: () => true,
  });
  return { provider, bytes: () => join(wire), runs: () => runs };
}

describe('a data set in memory is sent in runs', () => {
  // Below one fragment (command and data may share a PDU), a few fragments, and over one 1 MiB run.
  for (const size of [100, 16378, 16378 * 3 + 2, 1024 * 1024 + 5000]) {
    it(`${size} bytes: the same PDUs as one at a time`, async () => {
      const data = pattern(size);
      const plain = recorder(false);
      const run = recorder(true);
      await plain.provider.sendMsg(storeRq, 3, data);
      await run.provider.sendMsg(storeRq, 3, data);
      expect(Buffer.from(run.bytes()).equals(Buffer.from(plain.bytes()))).toBe(true);
      // Runs only where the data set fills a fragment; about a MiB each.
      expect(run.runs()).toBe(size < 16378 ? 0 : Math.ceil(size / (64 * 16378)));
    });
  }

  it('a recycling source with its whole data set in memory is sent like a buffer, then recycled once flushed', async () => {
    const data = pattern(100_000);
    const recycled: Uint8Array[] = [];
    let iterated = false;
    const source: RecyclingChunks = {
      async *[Symbol.asyncIterator]() {
        iterated = true;
        yield data;
      },
      recycle: (chunk) => recycled.push(chunk),
      takeWhole: () => data,
    };
    let flush!: () => void;
    const flushedOnce = new Promise<void>((resolve) => (flush = resolve));
    const run = recorder(true, () => flushedOnce);
    const plain = recorder(false);
    await run.provider.sendMsg(storeRq, 3, source);
    await plain.provider.sendMsg(storeRq, 3, data);
    expect(iterated).toBe(false);
    expect(Buffer.from(run.bytes()).equals(Buffer.from(plain.bytes()))).toBe(true);
    expect(recycled).toEqual([]); // not before the transport has flushed it
    flush();
    await flushedOnce;
    await Promise.resolve();
    expect(recycled).toEqual([data]);
  });

  it('a recycling source without its data set in memory is iterated as before', async () => {
    const data = pattern(40_000);
    let iterated = 0;
    const source = (takeWhole?: () => undefined): RecyclingChunks => ({
      async *[Symbol.asyncIterator]() {
        iterated++;
        yield data.subarray(0, 20_000);
        yield data.subarray(20_000);
      },
      recycle: () => {},
      ...(takeWhole && { takeWhole }),
    });
    const run = recorder(true, () => undefined);
    const plain = recorder(false, () => undefined);
    await run.provider.sendMsg(storeRq, 3, source(() => undefined));
    await plain.provider.sendMsg(storeRq, 3, source());
    expect(iterated).toBe(2);
    expect(Buffer.from(run.bytes()).equals(Buffer.from(plain.bytes()))).toBe(true);
  });
});

describe('a data set from a stream is sent in runs', () => {
  const F = 16378; // the fragment of a 16 KiB PDU
  /** Chunk sizes: large ones end in a tail, on a fragment boundary, mixed with small ones, or a lone large one. */
  const patterns: number[][] = [
    [64 * F + 100, 64 * F + 100, 5000],
    [3 * F, 3 * F],
    [100, 200, 2 * F + 7, 300, 4 * F],
    [5 * F + 1],
    [F + 1, F, 10],
    [200 * F + 7], // more than one run's worth (about 1 MiB a run)
  ];
  const STEP = Math.floor((1024 * 1024) / F) * F; // bytes per run
  for (const sizes of patterns) {
    it(`chunks of ${sizes.join(', ')} bytes: the same PDUs as one at a time, in runs of about 1 MiB`, async () => {
      const data = pattern(sizes.reduce((a, b) => a + b, 0));
      const stream = async function* () {
        for (let at = 0, i = 0; i < sizes.length; at += sizes[i]!, i++) yield data.subarray(at, at + sizes[i]!);
      };
      const plain = recorder(false);
      const run = recorder(true);
      await plain.provider.sendMsg(storeRq, 3, stream());
      await run.provider.sendMsg(storeRq, 3, stream());
      expect(Buffer.from(run.bytes()).equals(Buffer.from(plain.bytes()))).toBe(true);
      // A chunk's fragments but its last go out in runs of about 1 MiB when more than one fragment.
      const runBytes = sizes.map((n) => Math.floor((n - 1) / F) * F).filter((b) => b > F);
      expect(run.runs()).toBe(runBytes.reduce((count, b) => count + Math.ceil(b / STEP), 0));
    });
  }

  it('a recycling stream gets every chunk back, none before the transport has flushed it', async () => {
    const data = pattern(3 * (3 * F + 3));
    const chunks = [0, 1, 2].map((i) => data.subarray(i * (3 * F + 3), (i + 1) * (3 * F + 3)));
    const recycled: Uint8Array[] = [];
    const source: RecyclingChunks = {
      async *[Symbol.asyncIterator]() {
        yield* chunks;
      },
      recycle: (chunk) => recycled.push(chunk),
    };
    let flush!: () => void;
    let flushedOnce = new Promise<void>((resolve) => (flush = resolve));
    const run = recorder(true, () => flushedOnce);
    const sending = run.provider.sendMsg(storeRq, 3, source);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(recycled).toEqual([]);
    flush();
    flushedOnce = Promise.resolve();
    await sending;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(recycled).toEqual(chunks);
    expect(run.runs()).toBe(3);
  });
});

describe('StoreChunks.takeArrived', () => {
  it('takes queued chunks in order without a promise, then undefined; next() then waits for the next one', async () => {
    const chunks = new DatasetChunks(16);
    const a = pattern(10), b = pattern(20), c = pattern(30);
    chunks.push(a);
    chunks.push(b);
    expect(chunks.takeArrived()).toBe(a);
    expect(chunks.takeArrived()).toBe(b);
    expect(chunks.takeArrived()).toBeUndefined();
    const next = chunks.next();
    chunks.push(c);
    expect((await next).value).toBe(c);
    chunks.close();
    expect(chunks.takeArrived()).toBeUndefined();
    expect((await chunks.next()).done).toBe(true);
  });

  it('wakes a producer held by a full queue once it drops below the mark', async () => {
    const chunks = new DatasetChunks(2);
    expect(chunks.push(pattern(1))).toBeUndefined();
    const held = chunks.push(pattern(2));
    expect(held).toBeInstanceOf(Promise);
    let woken = false;
    void held!.then(() => (woken = true));
    chunks.takeArrived();
    await Promise.resolve();
    expect(woken).toBe(true);
  });

  it('copies lent chunks for a consumer that did not ask for them, and hands the lent ones back', () => {
    const released: Uint8Array[] = [];
    const chunks = new DatasetChunks(16, (view) => void released.push(view));
    const lent = pattern(8);
    chunks.push(lent);
    const got = chunks.takeArrived()!;
    expect(got).not.toBe(lent);
    expect(Array.from(got)).toEqual(Array.from(lent));
    expect(released).toEqual([lent]);
  });
});

describe('runs over an association', () => {
  it('the debug hooks still see every PDU of a run: one telemetry event per PDU on each side', async () => {
    const { createMemoryPair } = await import('../../adapters/memory');
    const { ApplicationEntity } = await import('../../src/ae');
    const EXPLICIT = '1.2.840.10008.1.2.1';
    const scuPdus: { direction: string; bytes: number }[] = [];
    const scpPdus: { direction: string; bytes: number }[] = [];
    const [a, b] = createMemoryPair();
    const scp = new ApplicationEntity({ aeTitle: 'SCP', maxPduLength: 4096, observe: (e) => void (e.type === 'pdu' && scpPdus.push(e)) }).addSupportedContext(CT, [EXPLICIT]);
    let received = 0;
    const served = scp.handle(b, { cStore: async (request) => ((received = (await request.bytes()).byteLength), 0) });
    const scu = new ApplicationEntity({ aeTitle: 'SCU', maxPduLength: 4096, observe: (e) => void (e.type === 'pdu' && scuPdus.push(e)) }).addRequestedContext(CT, [EXPLICIT]);
    const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
    const data = pattern(4090 * 10 + 7); // 10 full fragments and a tail
    expect((await assoc.cStore({ sopClassUid: CT, sopInstanceUid: '1.2.3', transferSyntaxUid: EXPLICIT, data })).status).toBe(0);
    await assoc.release();
    await served;
    expect(received).toBe(data.byteLength);
    const sent = scuPdus.filter((e) => e.direction === 'sent');
    const arrived = scpPdus.filter((e) => e.direction === 'received');
    // RQ, command, 11 data PDUs, release RQ: each reported once, the same on both sides.
    expect(sent).toHaveLength(1 + 1 + 11 + 1);
    expect(arrived.map((e) => e.bytes)).toEqual(sent.map((e) => e.bytes));
  });

  it('with nobody watching PDUs (no debug log, no observer), no data PDU goes through the hook either way', async () => {
    const { createMemoryPair } = await import('../../adapters/memory');
    const { ApplicationEntity } = await import('../../src/ae');
    const { Channel } = await import('../../src/channel');
    const EXPLICIT = '1.2.840.10008.1.2.1';
    const observed = vi.spyOn(Channel.prototype as unknown as { observe(direction: string): void }, 'observe');
    try {
      const [a, b] = createMemoryPair();
      const scp = new ApplicationEntity({ aeTitle: 'SCP', maxPduLength: 4096 }).addSupportedContext(CT, [EXPLICIT]);
      const served = scp.handle(b, { cStore: async (request) => (await request.bytes(), 0) });
      const scu = new ApplicationEntity({ aeTitle: 'SCU', maxPduLength: 4096 }).addRequestedContext(CT, [EXPLICIT]);
      const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
      expect((await assoc.cStore({ sopClassUid: CT, sopInstanceUid: '1.2.3', transferSyntaxUid: EXPLICIT, data: pattern(4090 * 10 + 7) })).status).toBe(0);
      await assoc.release();
      await served;
      const sent = observed.mock.calls.filter(([direction]) => direction === 'sent').length;
      // RQ, command, release RQ on the SCU; AC, response, release RP on the SCP: none of the 11 data PDUs.
      expect(sent).toBe(6);
      // Received: RQ and release RQ on the SCP, AC and release RP on the SCU; no P-DATA-TF (the
      // association notes their traffic for its idle timer in its P-DATA indication instead).
      const received = observed.mock.calls.filter(([direction]) => direction === 'received').length;
      expect(received).toBe(4);
    } finally {
      observed.mockRestore();
    }
  });

  it('the fs-store takes the fragments that have arrived without an await each', async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { createFsStore } = await import('../../adapters/node/fs-store');
    const dir = mkdtempSync(path.join(tmpdir(), 'netdicom-run-'));
    try {
      const chunks = new DatasetChunks(64);
      const parts = [pattern(1000), pattern(2000), pattern(3000), pattern(4000)];
      for (const part of parts) chunks.push(part);
      chunks.close();
      let nexts = 0;
      const next = chunks.next.bind(chunks);
      chunks.next = () => (nexts++, next());
      const store = createFsStore({ directory: dir, fsync: false, checkStructure: false }); // a byte pattern, not a data set
      const request = {
        sopClassUid: CT,
        sopInstanceUid: '1.2.3.4',
        priority: 0,
        transferSyntax: '1.2.840.10008.1.2.1',
        chunks: () => chunks,
        releaseChunk: () => {},
      } as unknown as Parameters<typeof store.cStore>[0];
      expect(await store.cStore(request, { peerAeTitle: 'SCU' } as Parameters<typeof store.cStore>[1])).toBe(0);
      expect(nexts).toBe(2); // the first chunk, the rest taken as arrived, then the end
      const file = readFileSync(path.join(dir, '1.2.3.4.dcm'));
      expect(Buffer.from(file.subarray(file.byteLength - 10_000)).equals(Buffer.concat(parts))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
