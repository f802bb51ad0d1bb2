/**
 * Limits of the C-GET / C-MOVE SCP (src/scp/retrieve.ts) and how it goes past or around them:
 * a C-MOVE whose instances need more than 128 presentation contexts (PS3.8 §9.3.2.2) goes over
 * several sub-associations in turn; an uncompressed instance, given as bytes or as a stream (read
 * whole, up to maxDatasetLength), is converted to the uncompressed syntax the peer accepted (never
 * a compressed one); more than
 * 65,535 instances (US counts, PS3.7 Table E.1-1) are refused before any sub-operation. Over
 * memory pairs.
 */
import { describe, expect, it, vi } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import { Association as AssociationClass, type Association } from '../../src/association';
import { decodeDataset } from '../../src/dataset/codec';
import type { DatasetBytes } from '../../src/dimse/dataset-source';
import type { MoveDestination, RetrieveAnswer, ScpHandlers, StoreRequest } from '../../src/scp/types';
import type { RetrieveProgress } from '../../src/scu/retrieve';
import type { StoreInput, StoreOptions } from '../../src/scu/store';
import type { NetEvent } from '../../src/telemetry';
import { CT_IMAGE_STORAGE as CT, ctDataset, ctPart10, encapsulatedPart10, EXPLICIT_LE, IMPLICIT_LE, JPEG_BASELINE } from '../helpers/ct-instance';

const EXPLICIT_BE = '1.2.840.10008.1.2.2';
const STUDY_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const STUDY_GET = '1.2.840.10008.5.1.4.1.2.2.3';
const QUERY = { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2' };
/** (0008,0060) CS "CT" in Explicit VR Little Endian: a data set small enough for thousands of instances. */
const TINY = new Uint8Array([0x08, 0x00, 0x60, 0x00, 0x43, 0x53, 0x02, 0x00, 0x43, 0x54]);

/** The requestors wait this long for a response: an operation left unanswered fails its test quickly. */
const RESPONSE_WAIT_MS = 5000;

/** The counts of a response as sent: [Remaining, Completed, Failed, Warning] command fields. */
const countsOf = (p: RetrieveProgress) => [
  p.command.NumberOfRemainingSuboperations,
  p.command.NumberOfCompletedSuboperations,
  p.command.NumberOfFailedSuboperations,
  p.command.NumberOfWarningSuboperations,
];

/**
 * A QR SCP whose C-MOVE handler names `instances()` for `destination`, and an SCU associated with
 * it; `subAssociations` lists the QR SCP's own association events (its sub-associations).
 */
async function moveScp(destination: MoveDestination, instances: () => AsyncIterable<RetrieveAnswer> | Iterable<RetrieveAnswer>) {
  const subAssociations: string[] = [];
  const observe = (e: NetEvent) => {
    if (e.type.startsWith('association-') && 'side' in e && e.side === 'requestor') subAssociations.push(e.type.slice('association-'.length));
  };
  const qr = new ApplicationEntity({ aeTitle: 'QR', observe }).addSupportedContext(STUDY_MOVE);
  const [a, b] = createMemoryPair();
  void qr.handle(b, { cMove: () => ({ destination, instances: instances() }) });
  const assoc: Association = await new ApplicationEntity({ aeTitle: 'SCU', dimseTimeoutMs: RESPONSE_WAIT_MS }).addRequestedContext(STUDY_MOVE).associate(a, { calledAeTitle: 'QR' });
  const move = async (signal?: AbortSignal) => {
    const progress: RetrieveProgress[] = [];
    for await (const p of assoc.cMove(QUERY, 'DEST', { model: 'study', signal })) progress.push(p);
    return progress;
  };
  return { assoc, move, subAssociations };
}

/**
 * A destination AE over fresh memory pairs: what each association proposed (context count) and
 * each C-STORE as received. `decide` may refuse an association.
 */
function destinationAe(dest: ApplicationEntity, options: { decide?: (n: number) => boolean; onStore?: (rq: StoreRequest) => Promise<number> } = {}) {
  const proposed: number[] = [];
  const received: { uid: string; ts: string; bytes: Uint8Array; originator?: string }[] = [];
  const handlers: ScpHandlers = {
    associate: (rq) => {
      proposed.push(rq.presentationContexts.length);
      if (options.decide && !options.decide(proposed.length)) return { reject: { result: 1, source: 1, reason: 1 } };
      return { accept: true };
    },
    cStore: async (rq) => {
      received.push({ uid: rq.sopInstanceUid, ts: rq.transferSyntax, bytes: await rq.bytes(), originator: rq.moveOriginator?.aeTitle });
      return options.onStore ? options.onStore(rq) : 0;
    },
  };
  const destination: MoveDestination = {
    aeTitle: 'DEST',
    connect: async () => {
      const [a, b] = createMemoryPair();
      void dest.handle(b, handlers);
      return a;
    },
  };
  return { destination, proposed, received };
}

/** Private SOP class UIDs, each for a destination that accepts it uncompressed. */
function classes(n: number, dest: ApplicationEntity, syntaxes = [EXPLICIT_LE]): string[] {
  const uids = Array.from({ length: n }, (_, i) => `1.2.826.0.1.3680043.9.7433.98.${i + 1}`);
  for (const uid of uids) dest.addSupportedContext(uid, syntaxes);
  return uids;
}

describe('a C-MOVE whose instances need more than 128 presentation contexts', () => {
  it('goes over several sub-associations in turn, each with at most 128 contexts: every instance is sent, one Pending each', async () => {
    const dest = new ApplicationEntity({ aeTitle: 'DEST' });
    const uids = classes(130, dest);
    const { destination, proposed, received } = destinationAe(dest);
    const instances: StoreInput[] = uids.map((sopClassUid, i) => ({ sopClassUid, sopInstanceUid: `1.2.6.${i}`, transferSyntaxUid: EXPLICIT_LE, data: TINY }));
    const { assoc, move, subAssociations } = await moveScp(destination, () => instances);
    const progress = await move();
    expect(progress.at(-1)).toMatchObject({ status: 0, completed: 130, failed: 0, warning: 0 });
    expect(proposed).toEqual([128, 2]);
    // In turn: the second is requested once the first is released (the last is released after the final response).
    for (let waited = 0; subAssociations.length < 6 && waited < 2000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    expect(subAssociations).toEqual(['requested', 'accepted', 'released', 'requested', 'accepted', 'released']);
    expect(received.map((r) => r.uid)).toEqual(instances.map((_, i) => `1.2.6.${i}`));
    expect(new Set(received.map((r) => r.originator))).toEqual(new Set(['SCU']));
    // One Pending per sub-operation but the last, Remaining counting down over both sub-associations.
    expect(progress.slice(0, -1).map((p) => p.remaining)).toEqual(Array.from({ length: 129 }, (_, i) => 129 - i));
    await assoc.release();
  });

  it('the instances of a class all go on its sub-association, in the order named; the classes fill them in the order first named', async () => {
    const dest = new ApplicationEntity({ aeTitle: 'DEST' });
    const uids = classes(129, dest);
    const { destination, proposed, received } = destinationAe(dest);
    // Class 129 first, then every class, then class 129 again.
    const named = [uids[128]!, ...uids, uids[128]!];
    const instances: StoreInput[] = named.map((sopClassUid, i) => ({ sopClassUid, sopInstanceUid: `1.2.7.${i}`, transferSyntaxUid: EXPLICIT_LE, data: TINY }));
    const { assoc, move } = await moveScp(destination, () => instances);
    expect((await move()).at(-1)).toMatchObject({ status: 0, completed: 131 });
    expect(proposed).toEqual([128, 1]);
    // The first sub-association: classes 129 and 1-127, so every instance but #128 (class 128), as named; then #128.
    const order = [...Array.from({ length: 131 }, (_, i) => i).filter((i) => i !== 128), 128];
    expect(received.map((r) => r.uid)).toEqual(order.map((i) => `1.2.7.${i}`));
    await assoc.release();
  });

  it('a sub-association the destination refuses: its instances fail and are listed, the others are sent (0xB000)', async () => {
    for (const refused of [2, 1]) {
      const dest = new ApplicationEntity({ aeTitle: 'DEST' });
      const uids = classes(130, dest);
      const { destination, proposed, received } = destinationAe(dest, { decide: (n) => n !== refused });
      const instances: StoreInput[] = uids.map((sopClassUid, i) => ({ sopClassUid, sopInstanceUid: `1.2.8.${i}`, transferSyntaxUid: EXPLICIT_LE, data: TINY }));
      const { assoc, move } = await moveScp(destination, () => instances);
      const progress = await move();
      const final = progress.at(-1)!;
      const failedUids = instances.map((_, i) => `1.2.8.${i}`).filter((_, i) => (refused === 1 ? i < 128 : i >= 128));
      expect(final, `refused #${refused}`).toMatchObject({ status: 0xb000, completed: 130 - failedUids.length, failed: failedUids.length, warning: 0 });
      expect(final.command.ErrorComment).toBeUndefined();
      expect(final.identifier?.FailedSOPInstanceUIDList).toEqual(failedUids);
      expect(proposed).toEqual([128, 2]);
      expect(received).toHaveLength(130 - failedUids.length);
      // The first refused: one Pending says so (128 failed, 2 remaining) before the second is opened.
      if (refused === 1) expect(countsOf(progress[0]!)).toEqual([2, 0, 128, 0]);
      await assoc.release();
    }
  });

  it('the first sub-association refused: only its instances are released, the streamed instances of the next arrive whole and count Completed', async () => {
    const dest = new ApplicationEntity({ aeTitle: 'DEST' });
    const uids = classes(130, dest);
    const { destination, proposed, received } = destinationAe(dest, { decide: (n) => n !== 1 });
    const bytes = (i: number) => ctDataset({ sopInstanceUid: `1.2.14.${i}` });
    // The second sub-association's instances as `netdicom qrscp` gives them (an async generator), and as a web stream.
    async function* generated(data: Uint8Array): AsyncGenerator<Uint8Array> {
      for (let o = 0; o < data.byteLength; o += 300) yield data.slice(o, o + 300);
    }
    const streamed = (data: Uint8Array) =>
      new ReadableStream<Uint8Array>({
        start: (c) => {
          c.enqueue(data);
          c.close();
        },
      });
    const instances: StoreInput[] = uids.map((sopClassUid, i) => ({
      sopClassUid,
      sopInstanceUid: `1.2.14.${i}`,
      transferSyntaxUid: EXPLICIT_LE,
      data: i < 128 ? TINY : i === 128 ? streamed(bytes(i)) : generated(bytes(i)),
    }));
    const { assoc, move } = await moveScp(destination, () => instances);
    const final = (await move()).at(-1)!;
    expect(proposed).toEqual([128, 2]);
    expect(final).toMatchObject({ status: 0xb000, completed: 2, failed: 128, warning: 0 });
    expect(received.map((r) => r.uid)).toEqual(['1.2.14.128', '1.2.14.129']);
    expect(received[0]!.bytes).toEqual(bytes(128));
    expect(received[1]!.bytes).toEqual(bytes(129));
    await assoc.release();
  });

  it('a C-CANCEL during the first sub-association: Cancel before the next one is opened, its instances remaining and released', async () => {
    const controller = new AbortController();
    const dest = new ApplicationEntity({ aeTitle: 'DEST' });
    const uids = classes(130, dest);
    const { destination, proposed } = destinationAe(dest, {
      onStore: async (rq) => {
        if (rq.sopInstanceUid === '1.2.9.127') {
          controller.abort();
          await new Promise((r) => setTimeout(r, 20));
        }
        return 0;
      },
    });
    let cancelled = 0;
    const instances: StoreInput[] = uids.map((sopClassUid, i) => ({
      sopClassUid,
      sopInstanceUid: `1.2.9.${i}`,
      transferSyntaxUid: EXPLICIT_LE,
      data: i < 128 ? TINY : new ReadableStream<Uint8Array>({ cancel: () => void cancelled++ }),
    }));
    const { assoc, move } = await moveScp(destination, () => instances);
    const final = (await move(controller.signal)).at(-1)!;
    expect(final).toMatchObject({ status: 0xfe00, category: 'Cancel' });
    expect(countsOf(final)).toEqual([2, 128, 0, 0]);
    expect(proposed).toEqual([128]);
    expect(cancelled).toBe(2);
    await assoc.release();
  });
});

describe('an uncompressed instance given as bytes or as a stream, the peer accepting another uncompressed syntax only', () => {
  /** The same CT instance as raw data set bytes in `ts`. */
  const raw = (n: number, ts: string): StoreInput => ({ sopClassUid: CT, sopInstanceUid: `1.2.10.${n}`, transferSyntaxUid: ts, data: ctDataset({ sopInstanceUid: `1.2.10.${n}`, transferSyntaxUid: ts }) });

  it('C-MOVE: Explicit VR LE, Explicit VR BE and a Part 10 file reach an Implicit-VR-only destination converted, losslessly', async () => {
    const dest = new ApplicationEntity({ aeTitle: 'DEST' }).addSupportedContext(CT, [IMPLICIT_LE]);
    const { destination, received } = destinationAe(dest);
    const file = ctPart10({ sopInstanceUid: '1.2.10.4', transferSyntaxUid: EXPLICIT_LE });
    const instances = [raw(1, IMPLICIT_LE), raw(2, EXPLICIT_LE), raw(3, EXPLICIT_BE), { part10: file.file }];
    const { assoc, move } = await moveScp(destination, () => instances);
    expect((await move()).at(-1)).toMatchObject({ status: 0, completed: 4, failed: 0 });
    expect(received.map((r) => [r.uid, r.ts])).toEqual([1, 2, 3, 4].map((n) => [`1.2.10.${n}`, IMPLICIT_LE]));
    const original = decodeDataset(ctDataset({ sopInstanceUid: '1.2.10.2' }), EXPLICIT_LE);
    expect(decodeDataset(received[1]!.bytes, IMPLICIT_LE)).toEqual(original);
    expect(decodeDataset(received[2]!.bytes, IMPLICIT_LE)).toEqual({ ...original, SOPInstanceUID: '1.2.10.3' });
    expect(decodeDataset(received[3]!.bytes, IMPLICIT_LE)).toEqual({ ...original, SOPInstanceUID: '1.2.10.4' });
    await assoc.release();
  });

  it('C-GET, one at a time and with sub-operations in flight: the requestor accepted Implicit VR LE only', async () => {
    for (const window of [1, 4]) {
      const { assoc, get, stored } = await getFromImplicitOnly(window, () => [raw(1, EXPLICIT_LE), raw(2, EXPLICIT_BE), raw(3, IMPLICIT_LE), raw(4, EXPLICIT_LE)]);
      const progress = await get();
      expect(progress.at(-1), `window ${window}`).toMatchObject({ status: 0, completed: 4, failed: 0 });
      expect([...stored.keys()].sort()).toEqual([1, 2, 3, 4].map((n) => `1.2.10.${n}`));
      await assoc.release();
    }
  });

  it('never a compressed instance: it fails its sub-operation and is listed; a data stream is converted', async () => {
    const dest = new ApplicationEntity({ aeTitle: 'DEST' }).addSupportedContext(CT, [IMPLICIT_LE]);
    const { destination, received } = destinationAe(dest);
    const jpeg = encapsulatedPart10({ sopInstanceUid: '1.2.11.1' });
    let cancelled = 0;
    const bytes = ctDataset({ sopInstanceUid: '1.2.11.2' });
    // Read ahead (its one chunk) while the JPEG sub-operation fails, then read whole to be converted.
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => {
        c.enqueue(bytes);
        c.close();
      },
      cancel: () => void cancelled++,
    });
    const instances: StoreInput[] = [
      { sopClassUid: CT, sopInstanceUid: '1.2.11.1', transferSyntaxUid: JPEG_BASELINE, data: jpeg.dataset },
      { sopClassUid: CT, sopInstanceUid: '1.2.11.2', transferSyntaxUid: EXPLICIT_LE, data: stream },
      raw(3, EXPLICIT_LE),
    ];
    const { assoc, move } = await moveScp(destination, () => instances);
    const final = (await move()).at(-1)!;
    expect(final).toMatchObject({ status: 0xb000, completed: 2, failed: 1 });
    // One UID: decoded as a string.
    expect(final.identifier?.FailedSOPInstanceUIDList).toBe('1.2.11.1');
    expect(received.map((r) => [r.uid, r.ts])).toEqual([
      ['1.2.11.2', IMPLICIT_LE],
      ['1.2.10.3', IMPLICIT_LE],
    ]);
    expect(decodeDataset(received[0]!.bytes, IMPLICIT_LE)).toEqual(decodeDataset(bytes, EXPLICIT_LE));
    expect(cancelled).toBe(0); // read to its end
    await assoc.release();
  });

  it('C-GET of streamed Explicit VR LE instances to a requestor that accepted Implicit VR LE only: converted; one over maxDatasetLength fails, is listed and cancelled', async () => {
    const limit = 4096;
    for (const window of [1, 4]) {
      const scp = new ApplicationEntity({ aeTitle: 'QR', maxDatasetLength: limit, asyncOps: { maxInvoked: window, maxPerformed: 1 } })
        .addSupportedContext(STUDY_GET)
        .addSupportedContext(CT, [EXPLICIT_LE, IMPLICIT_LE], { scuRole: true, scpRole: true });
      const scu = new ApplicationEntity({ aeTitle: 'SCU', dimseTimeoutMs: RESPONSE_WAIT_MS, asyncOps: { maxInvoked: 1, maxPerformed: window } })
        .addRequestedContext(STUDY_GET)
        .addRequestedContext(CT, [IMPLICIT_LE], { scuRole: false, scpRole: true });
      const small = (n: number) => ctDataset({ sopInstanceUid: `1.2.13.${n}` });
      const large = ctDataset({ sopInstanceUid: '1.2.13.3', rows: 64, columns: 64 });
      expect(large.byteLength).toBeGreaterThan(limit);
      // A web stream in 1000-byte chunks, pulled as read; and an async generator, as `netdicom qrscp` gives its files.
      const state = { cancelled: 0, pulled: 0, closed: false };
      const chunked = (bytes: Uint8Array) => {
        let at = 0;
        const pull = (c: ReadableStreamDefaultController<Uint8Array>) => {
          if (at >= bytes.byteLength) return c.close();
          c.enqueue(bytes.slice(at, at + 1000));
          at += 1000;
          state.pulled += 1000;
        };
        return new ReadableStream<Uint8Array>({ pull, cancel: () => void state.cancelled++ }, { highWaterMark: 0 });
      };
      async function* generated(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
        try {
          for (let o = 0; o < bytes.byteLength; o += 300) yield bytes.slice(o, o + 300);
        } finally {
          state.closed = true;
        }
      }
      const named = (n: number, data: DatasetBytes): StoreInput => ({ sopClassUid: CT, sopInstanceUid: `1.2.13.${n}`, transferSyntaxUid: EXPLICIT_LE, data });
      const [a, b] = createMemoryPair();
      void scp.handle(b, { cGet: () => [named(1, chunked(small(1))), named(2, generated(small(2))), named(3, chunked(large)), raw(4, EXPLICIT_LE)] });
      const assoc = await scu.associate(a, { calledAeTitle: 'QR' });
      const stored = new Map<string, Uint8Array>();
      const progress: RetrieveProgress[] = [];
      const onStore = async (rq: StoreRequest) => {
        expect(rq.transferSyntax).toBe(IMPLICIT_LE);
        stored.set(rq.sopInstanceUid, await rq.bytes());
        return 0;
      };
      for await (const p of assoc.cGet(QUERY, { model: 'study', onStore })) progress.push(p);
      const final = progress.at(-1)!;
      expect(final, `window ${window}`).toMatchObject({ status: 0xb000, completed: 3, failed: 1 });
      expect(final.identifier?.FailedSOPInstanceUIDList).toBe('1.2.13.3');
      expect([...stored.keys()].sort()).toEqual(['1.2.10.4', '1.2.13.1', '1.2.13.2']);
      for (const n of [1, 2]) expect(decodeDataset(stored.get(`1.2.13.${n}`)!, IMPLICIT_LE)).toEqual(decodeDataset(small(n), EXPLICIT_LE));
      // The large one was read only past the limit, then cancelled; the generator was read to its end.
      expect(state.cancelled, `window ${window}`).toBe(1);
      expect(state.pulled).toBe(Math.ceil(small(1).byteLength / 1000) * 1000 + 5000);
      expect(state.closed).toBe(true);
      await assoc.release();
    }
  });
});

/** A QR SCP whose C-GET handler names `instances()`, with `window` sub-operations in flight, and a requestor that accepted CT in Implicit VR LE only. */
async function getFromImplicitOnly(window: number, instances: () => RetrieveAnswer[]) {
  const scp = new ApplicationEntity({ aeTitle: 'QR', asyncOps: { maxInvoked: window, maxPerformed: 1 } })
    .addSupportedContext(STUDY_GET)
    .addSupportedContext(CT, [EXPLICIT_LE, IMPLICIT_LE], { scuRole: true, scpRole: true });
  const scu = new ApplicationEntity({ aeTitle: 'SCU', dimseTimeoutMs: RESPONSE_WAIT_MS, asyncOps: { maxInvoked: 1, maxPerformed: window } })
    .addRequestedContext(STUDY_GET)
    .addRequestedContext(CT, [IMPLICIT_LE], { scuRole: false, scpRole: true });
  const [a, b] = createMemoryPair();
  void scp.handle(b, { cGet: instances });
  const assoc = await scu.associate(a, { calledAeTitle: 'QR' });
  const stored = new Map<string, Uint8Array>();
  const get = async (signal?: AbortSignal) => {
    const progress: RetrieveProgress[] = [];
    const onStore = async (rq: StoreRequest) => {
      expect(rq.transferSyntax).toBe(IMPLICIT_LE);
      stored.set(rq.sopInstanceUid, await rq.bytes());
      return 0;
    };
    for await (const p of assoc.cGet(QUERY, { model: 'study', onStore, signal })) progress.push(p);
    return progress;
  };
  return { assoc, get, stored };
}

describe('conversion retries of streamed instances', () => {

  it('with sub-operations in flight, the streams are read whole one at a time; each arrives converted', async () => {
    const bytes = (n: number) => ctDataset({ sopInstanceUid: `1.2.15.${n}` });
    const state = { reading: 0, most: 0, read: 0 };
    // As `netdicom qrscp` gives its files: an async generator, each chunk after a timer (a file read).
    async function* slow(data: Uint8Array): AsyncGenerator<Uint8Array> {
      state.most = Math.max(state.most, ++state.reading);
      try {
        for (let o = 0; o < data.byteLength; o += 200) {
          await new Promise((r) => setTimeout(r, 1));
          yield data.slice(o, o + 200);
        }
        state.read++;
      } finally {
        state.reading--;
      }
    }
    const n = [1, 2, 3, 4, 5, 6];
    const { assoc, get, stored } = await getFromImplicitOnly(4, () => n.map((i) => ({ sopClassUid: CT, sopInstanceUid: `1.2.15.${i}`, transferSyntaxUid: EXPLICIT_LE, data: slow(bytes(i)) })));
    const final = (await get()).at(-1)!;
    expect(final).toMatchObject({ status: 0, completed: 6, failed: 0 });
    expect([state.read, state.most]).toEqual([6, 1]);
    for (const i of n) expect(decodeDataset(stored.get(`1.2.15.${i}`)!, IMPLICIT_LE)).toEqual(decodeDataset(bytes(i), EXPLICIT_LE));
    await assoc.release();
  });

  it('a C-CANCEL while a stream stalls mid-read: no hang, and the retries waiting their turn remain, none failed', async () => {
    const controller = new AbortController();
    const data = ctDataset({ sopInstanceUid: '1.2.17.1' });
    // Two chunks, then a read that never settles (a source that hangs); the C-CANCEL comes at the second.
    async function* stalls(): AsyncGenerator<Uint8Array> {
      yield data.slice(0, 100);
      controller.abort();
      yield data.slice(100, 200);
      await new Promise(() => undefined);
    }
    const streamed = (n: number) => {
      const bytes = ctDataset({ sopInstanceUid: `1.2.17.${n}` });
      return new ReadableStream<Uint8Array>({ pull: (c) => (c.enqueue(bytes), c.close()) });
    };
    const { assoc, get, stored } = await getFromImplicitOnly(4, () => [
      { sopClassUid: CT, sopInstanceUid: '1.2.17.1', transferSyntaxUid: EXPLICIT_LE, data: stalls() },
      ...[2, 3, 4].map((n) => ({ sopClassUid: CT, sopInstanceUid: `1.2.17.${n}`, transferSyntaxUid: EXPLICIT_LE, data: streamed(n) })),
    ]);
    const final = (await get(controller.signal)).at(-1)!;
    expect(final).toMatchObject({ status: 0xfe00, category: 'Cancel' });
    expect(countsOf(final)).toEqual([4, 0, 0, 0]);
    expect(final.identifier ?? null).toBeNull();
    expect(stored.size).toBe(0);
    expect(assoc.isEstablished).toBe(true);
    await assoc.release();
  });

  it('a C-CANCEL stops a stream being read whole, which is released; the association goes on', async () => {
    for (const window of [1, 4]) {
      const controller = new AbortController();
      const data = ctDataset({ sopInstanceUid: '1.2.16.1', rows: 64, columns: 64 });
      const chunks = Math.ceil(data.byteLength / 100);
      const state = { pulled: 0, closed: false, cancelled: 0 };
      // Cancelled at the third chunk; a chunk every 5 ms: read through, it would take chunks × 5 ms.
      async function* slow(): AsyncGenerator<Uint8Array> {
        try {
          for (let o = 0; o < data.byteLength; o += 100) {
            if (++state.pulled === 3) controller.abort();
            await new Promise((r) => setTimeout(r, 5));
            yield data.slice(o, o + 100);
          }
        } finally {
          state.closed = true;
        }
      }
      const web = () => {
        let o = 0;
        const pull = async (c: ReadableStreamDefaultController<Uint8Array>) => {
          if (o >= data.byteLength) return c.close();
          if (++state.pulled === 3) controller.abort();
          await new Promise((r) => setTimeout(r, 5));
          c.enqueue(data.slice(o, (o += 100)));
        };
        return new ReadableStream<Uint8Array>({ pull, cancel: () => void state.cancelled++ }, { highWaterMark: 0 });
      };
      const { assoc, get, stored } = await getFromImplicitOnly(window, () => [
        { sopClassUid: CT, sopInstanceUid: '1.2.16.1', transferSyntaxUid: EXPLICIT_LE, data: window === 1 ? slow() : web() },
        { sopClassUid: CT, sopInstanceUid: '1.2.16.2', transferSyntaxUid: IMPLICIT_LE, data: ctDataset({ sopInstanceUid: '1.2.16.2', transferSyntaxUid: IMPLICIT_LE }) },
      ]);
      const final = (await get(controller.signal)).at(-1)!;
      expect(stored.has('1.2.16.1'), `window ${window}`).toBe(false);
      expect(state.pulled, `window ${window}`).toBeLessThan(chunks / 2);
      // Stopped before its C-STORE went out: it remains, it did not fail (PS3.4 C.4.2.1.5: Cancel,
      // with the remaining count); nothing failed, so no Failed SOP Instance UID List.
      expect(final, `window ${window}`).toMatchObject({ status: 0xfe00, category: 'Cancel' });
      expect(final.identifier ?? null, `window ${window}`).toBeNull();
      if (window === 1) {
        // The next one never started.
        expect(countsOf(final)).toEqual([2, 0, 0, 0]);
        // Closed once its pending chunk settles (the reading gave up without waiting for it).
        for (let i = 0; i < 40 && !state.closed; i++) await new Promise((r) => setTimeout(r, 5));
        expect(state.closed).toBe(true);
      } else {
        // Both under way when the C-CANCEL came: the other one completes.
        expect(countsOf(final)).toEqual([1, 1, 0, 0]);
        expect(state.cancelled).toBe(1);
      }
      expect(assoc.isEstablished).toBe(true);
      await assoc.release();
    }
  });

  it('a compressed Part 10 file the peer did not accept in its syntax is not tried a second time', async () => {
    const dest = new ApplicationEntity({ aeTitle: 'DEST' }).addSupportedContext(CT, [IMPLICIT_LE]);
    const { destination, received } = destinationAe(dest);
    const jpeg = encapsulatedPart10({ sopInstanceUid: '1.2.17.1' });
    const plain = ctPart10({ sopInstanceUid: '1.2.17.2', transferSyntaxUid: EXPLICIT_LE });
    const attempts: string[] = [];
    const original = AssociationClass.prototype.cStore;
    const cStore = vi.spyOn(AssociationClass.prototype, 'cStore').mockImplementation(function (this: Association, input: StoreInput, options?: StoreOptions) {
      attempts.push(`${'part10' in input && input.part10 === jpeg.file ? 'jpeg' : 'plain'}${options?.allowConversion ? ' converted' : ''}`);
      return original.call(this, input, options);
    });
    try {
      const { assoc, move } = await moveScp(destination, () => [{ part10: jpeg.file }, { part10: plain.file }]);
      const final = (await move()).at(-1)!;
      expect(final).toMatchObject({ status: 0xb000, completed: 1, failed: 1 });
      expect(final.identifier?.FailedSOPInstanceUIDList).toBe('1.2.17.1');
      expect(received.map((r) => [r.uid, r.ts])).toEqual([['1.2.17.2', IMPLICIT_LE]]);
      expect(attempts).toEqual(['jpeg', 'plain', 'plain converted']);
      await assoc.release();
    } finally {
      cStore.mockRestore();
    }
  });
});

describe('more than 65,535 instances (the sub-operation counts are US)', () => {
  /** A handler's list of `n` cheap instances, read lazily; how many were read, and whether it was closed. */
  function many(n: number) {
    const state = { read: 0, closed: false };
    async function* list(): AsyncGenerator<RetrieveAnswer> {
      try {
        for (let i = 0; i < n; i++) {
          state.read++;
          yield { sopClassUid: CT, sopInstanceUid: `1.2.12.${i}`, transferSyntaxUid: EXPLICIT_LE, data: TINY };
        }
      } finally {
        state.closed = true;
      }
    }
    return { state, list };
  }

  /** A destination that refuses at once, counting the attempts. */
  function refusing() {
    let connects = 0;
    const destination: MoveDestination = {
      aeTitle: 'DEST',
      connect: () => {
        connects++;
        return Promise.reject(new Error('connection refused'));
      },
    };
    return { destination, connects: () => connects };
  }

  it('C-MOVE: refused 0xA702 before any association to the destination, zero counts, no data set; the handler is read no further', async () => {
    const { state, list } = many(70_000);
    const { destination, connects } = refusing();
    const { assoc, move } = await moveScp(destination, list);
    const progress = await move();
    expect(progress).toHaveLength(1);
    expect(progress[0]).toMatchObject({ status: 0xa702, category: 'Failure' });
    expect(countsOf(progress[0]!)).toEqual([undefined, 0, 0, 0]);
    expect(progress[0]!.command.ErrorComment).toMatch(/more than 65535 instances/);
    expect(progress[0]!.identifier ?? null).toBeNull();
    expect([connects(), state.read, state.closed]).toEqual([0, 65_536, true]);
    await assoc.release();
  });

  it('C-GET: refused 0xA702 before any sub-operation', async () => {
    const { state, list } = many(70_000);
    const scp = new ApplicationEntity({ aeTitle: 'QR' }).addSupportedContext(STUDY_GET);
    const scu = new ApplicationEntity({ aeTitle: 'SCU', dimseTimeoutMs: RESPONSE_WAIT_MS }).addRequestedContext(STUDY_GET);
    const [a, b] = createMemoryPair();
    void scp.handle(b, { cGet: list });
    const assoc = await scu.associate(a, { calledAeTitle: 'QR' });
    const progress: RetrieveProgress[] = [];
    for await (const p of assoc.cGet(QUERY, { model: 'study', onStore: () => 0 })) progress.push(p);
    expect(progress.map((p) => p.status)).toEqual([0xa702]);
    expect(countsOf(progress[0]!)).toEqual([undefined, 0, 0, 0]);
    expect([state.read, state.closed]).toEqual([65_536, true]);
    await assoc.release();
  });

  it('exactly 65,535 go ahead: a refusing destination fails them all, counted and listed without wrapping', async () => {
    const { list } = many(65_535);
    const { destination, connects } = refusing();
    const { assoc, move } = await moveScp(destination, list);
    const final = (await move()).at(-1)!;
    expect(final).toMatchObject({ status: 0xa702, completed: 0, failed: 65_535, warning: 0 });
    expect(final.command.ErrorComment).toBe('connection refused');
    expect(final.identifier?.FailedSOPInstanceUIDList).toHaveLength(65_535);
    expect(connects()).toBe(1);
    await assoc.release();
  });
});
