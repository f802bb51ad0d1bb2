/**
 * Aborts, cancels and failing destinations during retrieves over TCP (reliability.md §3.8 P-09…P-13):
 * the SCP stops at once when the requestor goes away, releases what the handler gave it (data
 * streams cancelled, so files close), never writes after the abort, answers a C-CANCEL with its
 * counts, closes a C-MOVE sub-association when the primary one ends, reports every instance a
 * failing destination did not take, and produces C-FIND matches only as fast as the client reads.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connectTcp, listenTcp } from '../../adapters/node';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import type { ScpHandlers } from '../../src/scp/types';
import type { Server, ServeOptions } from '../../src/server';
import type { StoreInput } from '../../src/scu/store';
import type { NetEvent } from '../../src/telemetry';
import type { AeOptions } from '../../src/options';
import { note, printFigures, record } from './helpers/figures';
import { MiB, sleep, until } from './helpers/flow';
import { CT, EXPLICIT, FAST, IMPLICIT, STUDY_FIND, VERIFICATION } from './helpers/scp';

const STUDY_GET = '1.2.840.10008.5.1.4.1.2.2.3';
const STUDY_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const P = 'retrieve faults (P-09…P-13)';
afterAll(() => printFigures());

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close({ force: true })));
});

/** A server on 127.0.0.1 with Q/R (find, get, move), Verification and CT storage in both roles. */
async function serve(aeTitle: string, handlers: ScpHandlers, options: Partial<AeOptions> = {}, serveOptions: ServeOptions = {}) {
  const ae = new ApplicationEntity({ aeTitle, ...FAST, ...options })
    .addSupportedContext(VERIFICATION)
    .addSupportedContext(STUDY_FIND)
    .addSupportedContext(STUDY_GET)
    .addSupportedContext(STUDY_MOVE)
    .addSupportedContext(CT, [IMPLICIT, EXPLICIT], { scuRole: true, scpRole: true });
  const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
  const server = ae.serve(listener, handlers, serveOptions);
  servers.push(server);
  return { ae, server, port: listener.port };
}

/** A requestor proposing Verification, Q/R and CT storage as SCP too (C-GET sub-operations). */
async function requestor(port: number, options: Partial<AeOptions> = {}): Promise<Association> {
  const ae = new ApplicationEntity({ aeTitle: 'SCU', ...FAST, ...options })
    .addRequestedContext(VERIFICATION)
    .addRequestedContext(STUDY_FIND)
    .addRequestedContext(STUDY_GET)
    .addRequestedContext(STUDY_MOVE)
    .addRequestedContext(CT, [IMPLICIT], { scuRole: true, scpRole: true });
  return ae.associate(await connectTcp({ host: '127.0.0.1', port }), { calledAeTitle: 'QR' });
}

/** An instance whose data set is a stream that records whether it was opened, read to the end, or cancelled. */
interface Tracked {
  readonly input: StoreInput;
  readonly uid: string;
  opened: boolean;
  finished: boolean;
  cancelled: boolean;
}

function tracked(n: number, size = 256 * 1024): Tracked {
  const uid = `1.2.826.0.1.3680043.9.${n}`;
  const t: Tracked = { uid, opened: false, finished: false, cancelled: false, input: undefined as unknown as StoreInput };
  let sent = 0;
  const chunk = new Uint8Array(64 * 1024);
  const data = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        t.opened = true;
        if (sent >= size) {
          t.finished = true;
          controller.close();
          return;
        }
        sent += chunk.length;
        controller.enqueue(chunk.slice());
      },
      cancel() {
        t.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  (t as { input: StoreInput }).input = { sopClassUid: CT, sopInstanceUid: uid, transferSyntaxUid: IMPLICIT, data };
  return t;
}

/** Telemetry of one AE: when each PDU went out or came in (ms, performance clock). */
function pduLog() {
  const log: { at: number; direction: string; type: string }[] = [];
  return {
    log,
    observe: (e: NetEvent) => {
      if (e.type === 'pdu') log.push({ at: performance.now(), direction: e.direction, type: e.pduType });
    },
  };
}

const QUERY = { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2.3' };

describe('P-09: the SCU aborts during C-GET sub-operations', () => {
  it('the SCP stops at once, cancels the data stream in flight, never opens the rest, and writes nothing after the A-ABORT', async () => {
    // The first instance is larger than every socket buffer on the way: it is mid-stream when the A-ABORT comes.
    const instances = Array.from({ length: 20 }, (_, i) => tracked(i + 1, i === 0 ? 16 * MiB : 64 * 1024));
    let iteratorDone = false;
    const telemetry = pduLog();
    const scp = await serve('QR', {
      async *cGet() {
        try {
          for (const t of instances) yield t.input;
        } finally {
          iteratorDone = true;
        }
      },
    }, { observe: telemetry.observe });
    const assoc = await requestor(scp.port);
    let stores = 0;
    let abortedAt = 0;
    const run = (async () => {
      for await (const _ of assoc.cGet(QUERY, {
        model: 'study',
        async onStore(request) {
          stores++;
          const reader = request.data.getReader();
          await reader.read();
          if (stores === 1) {
            // Mid-instance: part of it is read, the rest is still coming.
            abortedAt = performance.now();
            void assoc.abort();
            await sleep(50);
          }
          for (;;) if ((await reader.read()).done) break;
          return 0;
        },
      })) {
        // progress
      }
    })().catch((e: unknown) => e);
    expect(await run).toBeInstanceOf(Error);
    expect(await until(() => scp.server.associations.size === 0, 1000), 'SCP association gone within 1 s').toBe(true);
    const goneMs = performance.now() - abortedAt;
    expect(iteratorDone, "the handler's iterator finished (return() or completion)").toBe(true);
    const inFlight = instances[0]!;
    expect(inFlight.opened).toBe(true);
    expect(inFlight.finished).toBe(false);
    expect(await until(() => inFlight.cancelled, 500), 'the stream in flight was cancelled (its file would close)').toBe(true);
    // Instances never started: not opened, or cancelled unread.
    expect(instances.slice(1).every((t) => !t.opened || t.cancelled)).toBe(true);
    const abortIn = telemetry.log.find((e) => e.direction === 'received' && e.type === 'A-ABORT');
    expect(abortIn, 'the SCP saw the A-ABORT').toBeDefined();
    const after = telemetry.log.filter((e) => e.direction === 'sent' && e.at > abortIn!.at);
    expect(after, 'nothing written after the A-ABORT').toEqual([]);
    const neverOpened = instances.filter((t) => !t.opened).length;
    note(`P-09: C-GET aborted by the SCU mid sub-operation 1/20 (16 MiB): SCP association gone in ${goneMs.toFixed(0)} ms, stream in flight cancelled, ${19 - neverOpened} read ahead and cancelled, ${neverOpened} never opened, 0 PDUs after the A-ABORT`);
    record(P, 'P-09', true, goneMs);
  });
});

describe('P-10: C-CANCEL during C-GET', () => {
  it('the final response is 0xFE00 with remaining/completed/failed counts; the rest are never opened; the association goes on', async () => {
    const instances = Array.from({ length: 20 }, (_, i) => tracked(i + 1, 64 * 1024));
    const scp = await serve('QR', { cGet: () => instances.map((t) => t.input) });
    const assoc = await requestor(scp.port);
    const controller = new AbortController();
    let stores = 0;
    const progress = [];
    for await (const p of assoc.cGet(QUERY, {
      model: 'study',
      signal: controller.signal,
      async onStore(request) {
        if (++stores === 3) controller.abort();
        await request.bytes();
        return 0;
      },
    })) progress.push(p);
    const final = progress.at(-1)!;
    expect(final.status).toBe(0xfe00);
    expect(final.completed).toBe(stores);
    expect(final.failed).toBe(0);
    expect(final.remaining).toBe(20 - stores);
    expect(stores).toBeLessThanOrEqual(4);
    expect(instances.slice(stores).every((t) => !t.opened || t.cancelled), 'not sent: never opened or cancelled').toBe(true);
    expect((await assoc.cEcho()).status).toBe(0);
    await assoc.release();
    note(`P-10: C-CANCEL during C-GET after ${stores} of 20: final 0xFE00 completed ${final.completed} remaining ${final.remaining} failed ${final.failed}`);
    record(P, 'P-10', true);
  });
});

/** A C-MOVE SCP whose handler sends `instances` to the server on `destPort`. */
async function moveScp(destPort: number, instances: () => StoreInput[], destinationAe = 'DEST', options: Partial<AeOptions> = {}) {
  return serve('QR', {
    cMove: () => ({
      destination: { aeTitle: destinationAe, connect: (signal) => connectTcp({ host: '127.0.0.1', port: destPort, signal }) },
      instances: instances(),
    }),
  }, options);
}

const ctInstance = (n: number): StoreInput => ({ dataset: { SOPClassUID: CT, SOPInstanceUID: `1.2.826.0.1.3680043.8.${n}`, PatientName: `P^${n}`, Modality: 'CT' } });

describe('P-11: the primary association of a C-MOVE is aborted', () => {
  it('the C-MOVE SCP aborts its sub-association within 1 s, even with a C-STORE in flight; the destination is not left hanging', async () => {
    let storing!: () => void;
    const firstStore = new Promise<void>((r) => (storing = r));
    let destEndedAt = 0;
    const dest = await serve('DEST', {
      async cStore(request) {
        await request.bytes();
        storing();
        await sleep(1500); // a slow archive: holds the response
        return 0;
      },
      aborted: () => void (destEndedAt = performance.now()),
      released: () => void (destEndedAt = performance.now()),
    });
    // The C-MOVE SCP's own view of its sub-association (it is the requestor there).
    let subEndedAt = 0;
    let subEnd = '';
    const qr = await moveScp(dest.port, () => Array.from({ length: 5 }, (_, i) => ctInstance(i + 1)), 'DEST', {
      observe: (e: NetEvent) => {
        if ((e.type === 'association-aborted' || e.type === 'association-released') && e.side === 'requestor') {
          subEndedAt = performance.now();
          subEnd = e.type;
        }
      },
    });
    const assoc = await requestor(qr.port);
    const run = (async () => {
      for await (const _ of assoc.cMove(QUERY, 'DEST', { model: 'study' })) {
        // progress
      }
    })().catch((e: unknown) => e);
    await firstStore;
    const abortedAt = performance.now();
    await assoc.abort();
    expect(await run).toBeInstanceOf(Error);
    expect(await until(() => subEndedAt > 0, 2000), 'sub-association ended').toBe(true);
    const ms = subEndedAt - abortedAt;
    expect(ms, 'sub-association ended after the primary abort (ms)').toBeLessThanOrEqual(1000);
    expect(subEnd).toBe('association-aborted');
    expect(await until(() => qr.server.associations.size === 0, 1000)).toBe(true);
    // The destination sees the A-ABORT once its handler returns, and closes (no orphan).
    expect(await until(() => destEndedAt > 0 && dest.server.associations.size === 0, 4000), 'destination closed').toBe(true);
    note(`P-11: C-MOVE primary aborted with a C-STORE in flight: the sub-association was aborted ${ms.toFixed(0)} ms later; the destination closed ${(destEndedAt - abortedAt).toFixed(0)} ms after (its handler held the response 1.5 s)`);
    record(P, 'P-11', true, ms);
  });
});

describe('P-12: the C-MOVE destination fails', () => {
  it('refuses the association → 0xA702, every instance failed, Failed SOP Instance UID List complete', async () => {
    const dest = await serve('DEST', {}, {}, { allowedCallingAeTitles: ['SOMEONE-ELSE'] });
    const qr = await moveScp(dest.port, () => Array.from({ length: 4 }, (_, i) => ctInstance(i + 1)));
    const assoc = await requestor(qr.port);
    const progress = [];
    for await (const p of assoc.cMove(QUERY, 'DEST', { model: 'study' })) progress.push(p);
    const final = progress.at(-1)!;
    expect(final.status).toBe(0xa702);
    expect(final).toMatchObject({ completed: 0, failed: 4, warning: 0 });
    expect(final.identifier?.FailedSOPInstanceUIDList).toEqual([1, 2, 3, 4].map((n) => `1.2.826.0.1.3680043.8.${n}`));
    await assoc.release();
    record(P, 'P-12 refused', true);
  });

  it('aborts mid sub-operations → 0xB000 with the completed count, the rest failed and listed', async () => {
    let stores = 0;
    const dest = await serve('DEST', {
      async cStore(request, ctx) {
        await request.bytes();
        if (++stores === 3) {
          void ctx.association.abort();
          await sleep(20);
        }
        return 0;
      },
    });
    const qr = await moveScp(dest.port, () => Array.from({ length: 6 }, (_, i) => ctInstance(i + 1)));
    const assoc = await requestor(qr.port);
    const progress = [];
    for await (const p of assoc.cMove(QUERY, 'DEST', { model: 'study' })) progress.push(p);
    const final = progress.at(-1)!;
    expect(final.status).toBe(0xb000);
    expect(final).toMatchObject({ completed: 2, failed: 4, warning: 0 });
    expect(final.identifier?.FailedSOPInstanceUIDList).toEqual([3, 4, 5, 6].map((n) => `1.2.826.0.1.3680043.8.${n}`));
    expect((await assoc.cEcho()).status).toBe(0);
    await assoc.release();
    note('P-12: C-MOVE destination refusing → 0xA702 4/4 failed, listed; aborting at 3/6 → 0xB000 completed 2, failed 4, listed');
    record(P, 'P-12 aborted', true);
  });
});

describe('P-13: C-FIND cancelled by a slow client', () => {
  it('matches are produced only as the client reads; after C-CANCEL at most one more is produced; final 0xFE00', async () => {
    const AVAILABLE = 1_000_000;
    let produced = 0;
    let producedAtCancel = -1;
    const big = 'x'.repeat(8000);
    const scp = await serve('QR', {
      async *cFind(_rq, ctx) {
        ctx.signal.addEventListener('abort', () => (producedAtCancel = produced));
        for (let i = 0; i < AVAILABLE; i++) {
          produced++;
          yield { PatientName: `DOE^${i}`, PatientComments: big };
        }
      },
    });
    const assoc = await requestor(scp.port);
    let consumed = 0;
    let maxAhead = 0;
    const statuses: number[] = [];
    const results = assoc.cFind({ QueryRetrieveLevel: 'STUDY', PatientName: '' }, { model: 'study' });
    for await (const r of results) {
      statuses.push(r.status);
      if (r.category !== 'Pending') break;
      consumed++;
      maxAhead = Math.max(maxAhead, produced - consumed);
      if (consumed % 10 === 0) await sleep(10);
      if (consumed === 300) break; // → C-CANCEL, then the iterator reads on to the final response
    }
    expect(await until(() => producedAtCancel >= 0, 2000), 'C-CANCEL reached the handler').toBe(true);
    await sleep(100);
    expect(produced - producedAtCancel, 'matches produced after the C-CANCEL').toBeLessThanOrEqual(1);
    // Bounded by what the sockets hold (8 KB matches), nowhere near the million available.
    expect(maxAhead).toBeLessThan(2000);
    expect(produced).toBeLessThan(5000);
    // The association goes on: the final response (0xFE00) was read by the iterator's cleanup.
    expect((await assoc.cEcho()).status).toBe(0);
    await assoc.release();
    note(`P-13: C-FIND of ${AVAILABLE} matches read slowly, cancelled at 300: produced ${produced} (at most ${maxAhead} ahead of the reader), ${produced - producedAtCancel} after the C-CANCEL; memory bounded by socket buffers (${((maxAhead * 8000) / MiB).toFixed(1)} MiB of matches at most)`);
    record(P, 'P-13', true);
  });
});
