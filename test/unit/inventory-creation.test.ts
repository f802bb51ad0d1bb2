/**
 * Storage Management: Inventory Creation (PS3.4 Annex KK) over memory pairs (and over TCP:
 * inventory-creation-tcp.test.ts): Initiate, status reports, the terminal report with or
 * without instances, Cancel, Pause/Resume, and each refused request.
 */
import { describe, expect, it } from 'vitest';
import { CommandField } from '../../src/dimse/types';
import type { Dataset } from '../../src/scu/types';
import {
  INVENTORY_CREATION_SOP_CLASS as IC,
  InventoryAction,
  InventoryEvent,
  STORAGE_MANAGEMENT_INSTANCE,
  controlInventory,
  initiateInventory,
  inventoryCreationScp,
  inventoryReports,
  type InventoryJob,
} from '../../src/services/inventory-creation';
import { ae, pair, problemsIn, via } from './n-helpers';

const INVENTORY_STORAGE = '1.2.840.10008.5.1.4.1.1.201.1';
const scpAe = () => ae('ARCHIVE').addSupportedContext(IC);
const scuAe = () => ae('AUDITOR').addRequestedContext(IC);

/** A producer that waits until the test lets it finish (or the job is cancelled). */
function gate() {
  let release!: (v: Dataset) => void;
  let fail!: (e: Error) => void;
  let started!: (job: InventoryJob) => void;
  const job = new Promise<InventoryJob>((r) => (started = r));
  const produce = (j: InventoryJob) => {
    started(j);
    return new Promise<Dataset>((resolve, reject) => {
      release = resolve;
      fail = reject;
      j.signal.addEventListener('abort', () => reject(j.signal.reason));
    });
  };
  return { produce, job, release: (v: Dataset) => release(v), fail: (e: Error) => fail(e) };
}

describe(`Inventory Creation (${via()})`, () => {
  it('Action Type IDs 11-15 (PS3.4 Table KK.2-1) and Event Type IDs 11-13 (PS3.4 Table KK.2-2)', () => {
    expect(InventoryAction).toEqual({ Initiate: 11, RequestStatus: 12, Cancel: 13, Pause: 14, Resume: 15 });
    expect(InventoryEvent).toEqual({ TerminatedWithInstances: 11, Status: 12, TerminatedWithoutInstances: 13 });
  });

  it('Initiate, a progress report, Request Status, then Terminated with Instances naming the Inventory', async () => {
    const g = gate();
    const reports = inventoryReports();
    const sent: number[] = [];
    const p = await pair(scpAe(), inventoryCreationScp({ produce: g.produce, onReport: (_, r) => sent.push(r.status!) }), scuAe(), { handlers: reports.handlers });
    const started = await initiateInventory(p.scu, { InventoryLevel: 'SERIES', InventoryPurpose: 'audit' });
    expect(started.status).toBe(0);
    expect(started.command).toMatchObject({ AffectedSOPInstanceUID: STORAGE_MANAGEMENT_INSTANCE, ActionTypeID: InventoryAction.Initiate });
    const uid = started.transactionUid;
    const job = await g.job;
    expect(job.request).toMatchObject({ InventoryLevel: 'SERIES', TransactionUID: uid, ScopeOfInventorySequence: [] });

    // PROCESSING: the running Transaction Status (PS3.3 C.38.3, Table C.38.3-1).
    await job.status('PROCESSING', '10 of 200 studies');
    const progress = await reports.next(uid, { timeoutMs: 5000 });
    expect(progress).toMatchObject({ eventTypeId: InventoryEvent.Status, transactionStatus: 'PROCESSING', information: { TransactionStatusComment: '10 of 200 studies' } });
    expect((await controlInventory(p.scu, 'status', uid)).status).toBe(0);
    expect(await reports.next(uid, { timeoutMs: 5000 })).toMatchObject({ eventTypeId: InventoryEvent.Status, transactionStatus: 'PROCESSING' });

    g.release({ RetrieveAETitle: 'ARCHIVE', ReferencedSOPClassUID: INVENTORY_STORAGE, ReferencedSOPInstanceUID: '1.2.3.9' });
    const done = await reports.done(uid, { timeoutMs: 5000 });
    expect(done).toMatchObject({
      eventTypeId: InventoryEvent.TerminatedWithInstances,
      transactionStatus: 'COMPLETE',
      information: { RetrieveAETitle: 'ARCHIVE', ReferencedSOPInstanceUID: '1.2.3.9', TransactionUID: uid },
    });
    // An ended transaction may not be cancelled.
    expect((await controlInventory(p.scu, 'cancel', uid)).status).toBe(0x0115);
    await p.scu.release();
    expect(sent).toEqual([0, 0, 0]);
    const events = p.sentByScp.filter((c) => c.CommandField === CommandField['N-EVENT-REPORT-RQ']);
    expect(events.map((c) => [c.AffectedSOPClassUID, c.AffectedSOPInstanceUID, c.EventTypeID])).toEqual([
      [IC, STORAGE_MANAGEMENT_INSTANCE, 12],
      [IC, STORAGE_MANAGEMENT_INSTANCE, 12],
      [IC, STORAGE_MANAGEMENT_INSTANCE, 11],
    ]);
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
  });

  it('Pause and Resume report PAUSED and PROCESSING again; Cancel ends without instances (CANCELED); a failing producer ends FAILURE', async () => {
    const g = gate();
    const reports = inventoryReports();
    const p = await pair(scpAe(), inventoryCreationScp({ produce: g.produce }), scuAe(), { handlers: reports.handlers });
    const { transactionUid: uid } = await initiateInventory(p.scu, { InventoryLevel: 'STUDY' }, { transactionUid: '1.2.77' });
    await g.job;
    expect((await controlInventory(p.scu, 'pause', uid)).status).toBe(0);
    expect((await reports.next(uid, { timeoutMs: 5000 })).transactionStatus).toBe('PAUSED');
    expect((await controlInventory(p.scu, 'resume', uid)).status).toBe(0);
    // The default running status is PROCESSING (PS3.3 C.38.3, Table C.38.3-1).
    expect((await reports.next(uid, { timeoutMs: 5000 })).transactionStatus).toBe('PROCESSING');
    expect((await controlInventory(p.scu, 'cancel', uid, { retainInstances: false })).status).toBe(0);
    expect(await reports.done(uid, { timeoutMs: 5000 })).toMatchObject({ eventTypeId: InventoryEvent.TerminatedWithoutInstances, transactionStatus: 'CANCELED' });
    const cancel = p.sentByScu.find((c) => c.CommandField === CommandField['N-ACTION-RQ'] && c.ActionTypeID === InventoryAction.Cancel);
    expect(cancel).toBeDefined();

    const broken = gate();
    const q = await pair(scpAe(), inventoryCreationScp({ produce: broken.produce }), scuAe(), { handlers: reports.handlers });
    const second = await initiateInventory(q.scu, { InventoryLevel: 'INSTANCE' });
    await broken.job;
    broken.fail(new Error('index unavailable'));
    expect(await reports.done(second.transactionUid, { timeoutMs: 5000 })).toMatchObject({
      eventTypeId: InventoryEvent.TerminatedWithoutInstances,
      transactionStatus: 'FAILURE',
      information: { TransactionStatusComment: 'index unavailable' },
    });
    await Promise.all([p.scu.release(), q.scu.release()]);
  });

  it('Pause stops a producer that awaits job.resumed() until Resume; a Cancel while paused ends CANCELED', async () => {
    /** A producer of `n` steps that awaits resumed() before each and, after each, waits until the test lets it go on. */
    const stepper = (n: number) => {
      const steps: number[] = [];
      let stepped!: () => void;
      let go!: () => void;
      const first = new Promise<void>((r) => (stepped = r));
      const goOn = new Promise<void>((r) => (go = r));
      const produce = async (job: InventoryJob) => {
        for (let i = 0; i < n; i++) {
          await job.resumed();
          expect(job.paused).toBe(false);
          steps.push(i);
          stepped();
          await goOn;
        }
        return { RetrieveAETitle: 'ARCHIVE', ReferencedSOPClassUID: INVENTORY_STORAGE, ReferencedSOPInstanceUID: '1.2.3.9' };
      };
      return { steps, produce, first, go };
    };
    const reports = inventoryReports();
    const a = stepper(3);
    const p = await pair(scpAe(), inventoryCreationScp({ produce: a.produce }), scuAe(), { handlers: reports.handlers });
    const { transactionUid: uid } = await initiateInventory(p.scu, { InventoryLevel: 'STUDY' });
    await a.first;
    expect((await controlInventory(p.scu, 'pause', uid)).status).toBe(0);
    expect((await reports.next(uid, { timeoutMs: 5000 })).transactionStatus).toBe('PAUSED');
    a.go();
    await new Promise((r) => setTimeout(r, 50));
    // Step 0 ran before the Pause; the next one waits in resumed().
    expect(a.steps).toEqual([0]);
    expect((await controlInventory(p.scu, 'resume', uid)).status).toBe(0);
    expect((await reports.next(uid, { timeoutMs: 5000 })).transactionStatus).toBe('PROCESSING');
    expect(await reports.done(uid, { timeoutMs: 5000 })).toMatchObject({ eventTypeId: InventoryEvent.TerminatedWithInstances, transactionStatus: 'COMPLETE' });
    expect(a.steps).toEqual([0, 1, 2]);

    // Canceled while paused: resumed() rejects with the cancel reason and the production ends CANCELED.
    const b = stepper(2);
    const q = await pair(scpAe(), inventoryCreationScp({ produce: b.produce }), scuAe(), { handlers: reports.handlers });
    const second = await initiateInventory(q.scu, { InventoryLevel: 'STUDY' });
    await b.first;
    expect((await controlInventory(q.scu, 'pause', second.transactionUid)).status).toBe(0);
    expect((await reports.next(second.transactionUid, { timeoutMs: 5000 })).transactionStatus).toBe('PAUSED');
    b.go();
    expect((await controlInventory(q.scu, 'cancel', second.transactionUid)).status).toBe(0);
    expect(await reports.done(second.transactionUid, { timeoutMs: 5000 })).toMatchObject({ eventTypeId: InventoryEvent.TerminatedWithoutInstances, transactionStatus: 'CANCELED' });
    expect(b.steps).toEqual([0]);
    await Promise.all([p.scu.release(), q.scu.release()]);
  });

  it('refused: Transaction UID in use 0x0111, no Inventory Level or Transaction UID 0x0120, unknown transaction 0x0115, wrong instance 0x0112, unknown action 0x0123', async () => {
    const g = gate();
    const p = await pair(scpAe(), inventoryCreationScp({ produce: g.produce }), scuAe(), { handlers: inventoryReports().handlers });
    expect((await initiateInventory(p.scu, { InventoryLevel: 'STUDY' }, { transactionUid: '1.2.5' })).status).toBe(0);
    expect((await initiateInventory(p.scu, { InventoryLevel: 'STUDY' }, { transactionUid: '1.2.5' })).status).toBe(0x0111);
    const noLevel = await p.scu.nAction(IC, STORAGE_MANAGEMENT_INSTANCE, InventoryAction.Initiate, { TransactionUID: '1.2.6', ScopeOfInventorySequence: [] });
    expect([noLevel.status, noLevel.command.OffendingElement]).toEqual([0x0120, [0x00080403]]);
    const noUid = await p.scu.nAction(IC, STORAGE_MANAGEMENT_INSTANCE, InventoryAction.RequestStatus, { RequestedStatusInterval: 60 });
    expect([noUid.status, noUid.command.OffendingElement]).toEqual([0x0120, [0x00081195]]);
    expect((await controlInventory(p.scu, 'status', '1.2.404')).status).toBe(0x0115);
    expect((await controlInventory(p.scu, 'pause', '1.2.404')).status).toBe(0x0115);
    expect((await p.scu.nAction(IC, '1.2.3', InventoryAction.Initiate, { TransactionUID: '1.2.7', InventoryLevel: 'STUDY' })).status).toBe(0x0112);
    expect((await p.scu.nAction(IC, STORAGE_MANAGEMENT_INSTANCE, 16, { TransactionUID: '1.2.5' })).status).toBe(0x0123);
    g.release({ RetrieveAETitle: 'ARCHIVE' });
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
  });
});
