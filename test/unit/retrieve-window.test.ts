/**
 * C-GET and C-MOVE sub-operations within a negotiated asynchronous operations window (PS3.7
 * D.3.3.3, src/scp/retrieve.ts): the SCP keeps up to the window's C-STORE sub-operations in flight
 * instead of one, with counts, Pending responses, failures and C-CANCEL as in the one-at-a-time
 * case. Over memory pairs with 5 ms of latency each way, so that what is in flight shows in the
 * order of the SCP's own telemetry events.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryListener, createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import type { ScpHandlers } from '../../src/scp/types';
import type { StoreInput } from '../../src/scu/store';
import type { NetEvent } from '../../src/telemetry';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const STUDY_GET = '1.2.840.10008.5.1.4.1.2.2.3';
const STUDY_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const instance = (n: number): StoreInput => ({ dataset: { SOPClassUID: CT, SOPInstanceUID: `1.2.3.${n}`, PatientName: `P^${n}`, Modality: 'CT' } });
const instances = (n: number) => Array.from({ length: n }, (_, i) => instance(i + 1));
const QUERY = { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2' };

/** Largest number of the SCP's C-STORE sub-operations outstanding at once, from its telemetry. */
function maxInFlight(events: NetEvent[]): number {
  let out = 0;
  let max = 0;
  for (const e of events) {
    if (e.type === 'dimse-request' && e.direction === 'sent' && e.service === 'C-STORE') max = Math.max(max, ++out);
    if (e.type === 'dimse-response' && e.direction === 'received' && e.service === 'C-STORE') out--;
  }
  return max;
}

/** A C-GET SCP that invokes up to `scpWindow` sub-operations, and an SCU that performs up to `scuWindow`. */
async function getPair(handlers: ScpHandlers, { scpWindow, scuWindow }: { scpWindow: number; scuWindow: number }) {
  const events: NetEvent[] = [];
  const scp = new ApplicationEntity({ aeTitle: 'QR', asyncOps: { maxInvoked: scpWindow, maxPerformed: 1 }, observe: (e) => events.push(e) })
    .addSupportedContext(STUDY_GET)
    .addSupportedContext(CT, [EXPLICIT], { scuRole: true, scpRole: true });
  const scu = new ApplicationEntity({ aeTitle: 'SCU', asyncOps: { maxInvoked: 1, maxPerformed: scuWindow } })
    .addRequestedContext(STUDY_GET)
    .addRequestedContext(CT, [EXPLICIT], { scuRole: false, scpRole: true });
  const [a, b] = createMemoryPair({ latencyMs: 5 });
  void scp.handle(b, handlers);
  const assoc: Association = await scu.associate(a, { calledAeTitle: 'QR' });
  return { assoc, events };
}

describe('C-GET sub-operations within the asynchronous operations window', () => {
  it('keeps up to the window in flight; every instance arrives, in order, and the counts add up', async () => {
    const { assoc, events } = await getPair({ cGet: () => instances(12) }, { scpWindow: 4, scuWindow: 4 });
    expect(assoc.asyncOps).toEqual({ maxInvoked: 1, maxPerformed: 4 });
    const stored: string[] = [];
    const progress = [];
    for await (const p of assoc.cGet(QUERY, {
      model: 'study',
      onStore: async (rq) => {
        stored.push(String((await rq.dataset()).SOPInstanceUID));
        return 0;
      },
    })) progress.push(p);
    expect(stored).toEqual(instances(12).map((i) => ('dataset' in i ? i.dataset.SOPInstanceUID : '')));
    expect(maxInFlight(events)).toBe(4);
    const pending = progress.filter((p) => p.category === 'Pending');
    expect(pending.length).toBe(11);
    // Remaining counts what has not completed: it only goes down, one completion at a time.
    expect(pending.map((p) => p.remaining)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    for (const p of pending) expect(p.completed! + p.remaining!).toBe(12);
    expect(progress.at(-1)).toMatchObject({ category: 'Success', completed: 12, failed: 0, warning: 0 });
    await assoc.release();
  });

  it('the smaller side of the window rules (SCP 8, SCU 3 → 3), and without a window it is one at a time', async () => {
    const three = await getPair({ cGet: () => instances(10) }, { scpWindow: 8, scuWindow: 3 });
    for await (const p of three.assoc.cGet(QUERY, { model: 'study', onStore: () => 0 })) void p;
    expect(maxInFlight(three.events)).toBe(3);
    await three.assoc.release();
    const one = await getPair({ cGet: () => instances(6) }, { scpWindow: 8, scuWindow: 1 });
    expect(one.assoc.asyncOps).toEqual({ maxInvoked: 1, maxPerformed: 1 });
    for await (const p of one.assoc.cGet(QUERY, { model: 'study', onStore: () => 0 })) void p;
    expect(maxInFlight(one.events)).toBe(1);
    await one.assoc.release();
  });

  it('failed and warning sub-operations are counted and listed, as one at a time', async () => {
    const { assoc } = await getPair({ cGet: () => instances(9) }, { scpWindow: 4, scuWindow: 4 });
    const progress = [];
    for await (const p of assoc.cGet(QUERY, {
      model: 'study',
      onStore: async (rq) => {
        const uid = String((await rq.dataset()).SOPInstanceUID);
        return uid === '1.2.3.3' || uid === '1.2.3.7' ? 0xa700 : uid === '1.2.3.5' ? 0xb000 : 0;
      },
    })) progress.push(p);
    expect(progress.at(-1)).toMatchObject({ status: 0xb000, completed: 6, failed: 2, warning: 1 });
    expect(progress.at(-1)!.identifier).toMatchObject({ FailedSOPInstanceUIDList: ['1.2.3.3', '1.2.3.7'] });
    await assoc.release();
  });

  it('C-CANCEL: no new sub-operation starts, the ones in flight finish, and the answer is Cancel with the counts', async () => {
    const { assoc, events } = await getPair({ cGet: () => instances(40) }, { scpWindow: 4, scuWindow: 4 });
    const controller = new AbortController();
    let stored = 0;
    const progress = [];
    for await (const p of assoc.cGet(QUERY, {
      model: 'study',
      signal: controller.signal,
      onStore: () => {
        if (++stored === 6) controller.abort();
        return 0;
      },
    })) progress.push(p);
    const last = progress.at(-1)!;
    expect(last.category).toBe('Cancel');
    const sent = events.filter((e) => e.type === 'dimse-request' && e.direction === 'sent' && e.service === 'C-STORE').length;
    // Stopped well short of 40: what was started before the C-CANCEL arrived, at most a window later.
    expect(sent).toBeLessThan(6 + 4 + 4 + 1);
    expect(last.completed).toBe(sent);
    expect(last.remaining).toBe(40 - sent);
    // The association is still usable.
    for await (const p of assoc.cGet(QUERY, { model: 'study', onStore: () => 0 })) void p;
    await assoc.release();
  });

  it('the requestor aborting mid-way ends the sub-operations without an answer, and the instances not sent are released', async () => {
    let cancelled = 0;
    const streamed = (n: number): StoreInput => ({
      sopClassUid: CT,
      sopInstanceUid: `1.2.9.${n}`,
      transferSyntaxUid: EXPLICIT,
      data: new ReadableStream<Uint8Array>({
        pull: (c) => {
          c.enqueue(new Uint8Array([0x08, 0x00, 0x60, 0x00, 0x02, 0x00, 0x00, 0x00, 0x43, 0x54])); // (0008,0060) "CT"
          c.close();
        },
        cancel: () => void cancelled++,
      }),
    });
    let handlerDone!: () => void;
    const finished = new Promise<void>((r) => (handlerDone = r));
    const { assoc } = await getPair(
      {
        async *cGet() {
          try {
            for (let i = 1; i <= 30; i++) yield streamed(i);
          } finally {
            handlerDone();
          }
        },
      },
      { scpWindow: 4, scuWindow: 4 },
    );
    let stored = 0;
    await expect(
      (async () => {
        for await (const p of assoc.cGet(QUERY, {
          model: 'study',
          onStore: () => {
            if (++stored === 3) void assoc.abort();
            return 0;
          },
        })) void p;
      })(),
    ).rejects.toThrow();
    await finished;
    // Give the SCP a moment to notice and release; nothing was sent after the abort.
    await new Promise((r) => setTimeout(r, 50));
    expect(cancelled).toBeGreaterThanOrEqual(30 - 3 - 4 - 4);
  });
});

describe('C-MOVE sub-operations within the window the destination agreed', () => {
  it('the sub-association proposes the SCP AE window; the destination gets every instance with up to that many in flight', async () => {
    const destEvents: NetEvent[] = [];
    const received: string[] = [];
    const dest = new ApplicationEntity({ aeTitle: 'DEST', asyncOps: { maxInvoked: 1, maxPerformed: 4 }, observe: (e) => destEvents.push(e) }).acceptAnyStorage();
    const destListener = createMemoryListener();
    const destServer = dest.serve(destListener.listener, {
      cStore: async (rq) => {
        received.push(String((await rq.dataset()).SOPInstanceUID));
        return 0;
      },
    });
    const qrEvents: NetEvent[] = [];
    const qr = new ApplicationEntity({ aeTitle: 'QR', asyncOps: { maxInvoked: 4, maxPerformed: 1 }, observe: (e) => qrEvents.push(e) }).addSupportedContext(STUDY_MOVE);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_MOVE);
    const [a, b] = createMemoryPair();
    void qr.handle(b, { cMove: () => ({ destination: { aeTitle: 'DEST', connect: async () => destListener.connect({ latencyMs: 5 }) }, instances: instances(10) }) });
    const assoc = await scu.associate(a, { calledAeTitle: 'QR' });
    const progress = [];
    for await (const p of assoc.cMove(QUERY, 'DEST', { model: 'study' })) progress.push(p);
    expect(progress.at(-1)).toMatchObject({ category: 'Success', completed: 10 });
    expect(received.sort()).toEqual(instances(10).map((i) => ('dataset' in i ? String(i.dataset.SOPInstanceUID) : '')).sort());
    expect(maxInFlight(qrEvents)).toBe(4);
    await assoc.release();
    await destServer.close();
  });
});
