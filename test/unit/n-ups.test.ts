/**
 * Unified Procedure Step (PS3.4 Annex CC): push, pull (state rules, Transaction UID), watch
 * (subscriptions receiving events on the same association, over a memory pair and over TCP, and
 * on an association the SCP opens) and C-FIND.
 */
import { describe, expect, it } from 'vitest';
import { connectTcp, listenTcp } from '../../adapters/node';
import type { ApplicationEntity } from '../../src/ae';
import { describeStatus } from '../../src/dimse/status';
import type { NRequest } from '../../src/scp/types';
import { ServiceContexts } from '../../src/services/service-contexts';
import { upsScp } from '../../src/services/ups';
import { changeUpsState, requestUpsCancel, subscribeUps, unsubscribeUps, UpsClass, UpsEvent } from '../../src/services/ups-scu';
import { ae, link, pair, problemsIn, via } from './n-helpers';

const withUps = (x: ApplicationEntity, as: 'requested' | 'supported') => {
  for (const uid of ServiceContexts.unifiedProcedureStep) {
    if (as === 'requested') x.addRequestedContext(uid);
    else x.addSupportedContext(uid);
  }
  return x;
};
const scheduled = { ProcedureStepState: 'SCHEDULED', PatientName: 'DOE^J', ScheduledProcedureStepPriority: 'MEDIUM', ProcedureStepLabel: 'AI' };
const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe(`UPS push / pull / watch over ${via()}`, () => {
  it('a watcher on the same association sees the initial state report, IN PROGRESS, progress and COMPLETED', async () => {
    const ups = upsScp();
    const events: NRequest[] = [];
    const p = await pair(withUps(ae('UPS-SCP'), 'supported'), ups.handlers, withUps(ae('PERFORMER'), 'requested'), {
      handlers: { nEventReport: (r) => (events.push(r), { status: 0 }) },
    });
    expect((await p.scu.nCreate(UpsClass.push, '1.2.7', scheduled)).status).toBe(0);
    expect((await subscribeUps(p.scu, '1.2.7', 'PERFORMER')).status).toBe(0);
    await until(() => events.length === 1);
    expect(events[0]).toMatchObject({ sopClassUid: UpsClass.event, sopInstanceUid: '1.2.7', typeId: UpsEvent.stateReport });
    expect(events[0]!.dataset).toMatchObject({ ProcedureStepState: 'SCHEDULED' });

    expect((await changeUpsState(p.scu, '1.2.7', 'COMPLETED', '9.9')).status).toBe(0xc310);
    expect((await changeUpsState(p.scu, '1.2.7', 'IN PROGRESS', '9.9')).status).toBe(0);
    expect((await changeUpsState(p.scu, '1.2.7', 'IN PROGRESS', '9.9')).status).toBe(0xc302);
    expect((await p.scu.nSet(UpsClass.pull, '1.2.7', { ProcedureStepLabel: 'x', TransactionUID: '1.1' })).status).toBe(0xc301);
    const progress = { ProcedureStepProgressInformationSequence: [{ ProcedureStepProgress: 50 }], TransactionUID: '9.9' };
    expect((await p.scu.nSet(UpsClass.pull, '1.2.7', progress)).status).toBe(0);
    expect((await changeUpsState(p.scu, '1.2.7', 'COMPLETED', '1.1')).status).toBe(0xc301);
    expect((await changeUpsState(p.scu, '1.2.7', 'COMPLETED', '9.9')).status).toBe(0);
    expect((await changeUpsState(p.scu, '1.2.7', 'COMPLETED', '9.9')).status).toBe(0xb306);
    expect((await p.scu.nSet(UpsClass.pull, '1.2.7', { ProcedureStepLabel: 'late', TransactionUID: '9.9' })).status).toBe(0xc300);
    expect((await requestUpsCancel(p.scu, '1.2.7')).status).toBe(0xc311);
    await until(() => events.length === 4);
    expect(events.map((e) => [e.typeId, e.dataset?.ProcedureStepState])).toEqual([
      [1, 'SCHEDULED'],
      [1, 'IN PROGRESS'],
      [3, undefined],
      [1, 'COMPLETED'],
    ]);
    // N-GET never returns the Transaction UID.
    const got = await p.scu.nGet(UpsClass.pull, '1.2.7', []);
    expect(got.dataset).toMatchObject({ ProcedureStepState: 'COMPLETED', PatientName: [{ Alphabetic: 'DOE^J' }] });
    expect(got.dataset!.TransactionUID).toBeUndefined();
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
    expect(describeStatus(0xc310, 'ups')).toMatch(/IN PROGRESS/);
  });

  it('create rules (0xC309, 0x0111), C-FIND on the Query class, cancel of SCHEDULED and IN PROGRESS, global subscription', async () => {
    const ups = upsScp();
    const events: NRequest[] = [];
    const p = await pair(withUps(ae('UPS-SCP'), 'supported'), ups.handlers, withUps(ae('WATCHER'), 'requested'), {
      handlers: { nEventReport: (r) => (events.push(r), { status: 0 }) },
    });
    expect((await p.scu.nCreate(UpsClass.push, '1.3.1', { ...scheduled, ProcedureStepState: 'IN PROGRESS' })).status).toBe(0xc309);
    expect((await p.scu.nCreate(UpsClass.push, '1.3.1', scheduled)).status).toBe(0);
    expect((await p.scu.nCreate(UpsClass.push, '1.3.1', scheduled)).status).toBe(0x0111);
    expect((await p.scu.nCreate(UpsClass.push, '1.3.2', { ...scheduled, PatientName: 'ROE^R' })).status).toBe(0);
    const found = [];
    for await (const r of p.scu.cFind({ PatientName: 'ROE*', ProcedureStepState: '' }, { model: UpsClass.query })) found.push(r);
    expect(found.map((r) => r.category)).toEqual(['Pending', 'Success']);
    expect(found[0]!.identifier).toMatchObject({ PatientName: [{ Alphabetic: 'ROE^R' }], ProcedureStepState: 'SCHEDULED' });

    expect((await subscribeUps(p.scu, 'global', 'WATCHER')).status).toBe(0);
    await until(() => events.length === 2); // an initial report per existing instance
    // A new instance reaches the global subscriber.
    expect((await p.scu.nCreate(UpsClass.push, '1.3.3', scheduled)).status).toBe(0);
    await until(() => events.length === 3);
    // Cancel of a SCHEDULED UPS: the SCP cancels it itself.
    expect((await requestUpsCancel(p.scu, '1.3.1')).status).toBe(0);
    await until(() => events.length === 4);
    expect(events[3]!.dataset).toMatchObject({ ProcedureStepState: 'CANCELED' });
    expect((await requestUpsCancel(p.scu, '1.3.1')).status).toBe(0xb304);
    // Cancel of an IN PROGRESS UPS: subscribers are told a cancel was requested.
    await changeUpsState(p.scu, '1.3.2', 'IN PROGRESS', '7.7');
    await until(() => events.length === 5);
    expect((await requestUpsCancel(p.scu, '1.3.2', { ReasonForCancellation: 'patient left' })).status).toBe(0);
    await until(() => events.length === 6);
    expect(events[5]).toMatchObject({ typeId: UpsEvent.cancelRequested, sopInstanceUid: '1.3.2' });
    expect(events[5]!.dataset).toMatchObject({ RequestingAE: 'WATCHER', ReasonForCancellation: 'patient left' });
    // Unsubscribed: no more events; unknown instance 0xC307; unknown action 0x0123.
    expect((await unsubscribeUps(p.scu, 'global', 'WATCHER')).status).toBe(0);
    await changeUpsState(p.scu, '1.3.2', 'CANCELED', '7.7');
    expect((await p.scu.nGet(UpsClass.push, '1.3.404')).status).toBe(0xc307);
    expect((await p.scu.nAction(UpsClass.pull, '1.3.2', 9)).status).toBe(0x0123);
    await p.scu.release();
    expect(events).toHaveLength(6);
  });

  it('events go to a subscriber on an association the SCP opens when the watcher has none', async () => {
    const watcherAe = ae('WATCHER').addSupportedContext(UpsClass.event, undefined, { scpRole: true });
    const outbound = ae('UPS-SCP').addRequestedContext(UpsClass.event, undefined, { scuRole: false, scpRole: true });
    const events: NRequest[] = [];
    const ups = upsScp({
      openEventAssociation: async (title) => {
        expect(title).toBe('WATCHER');
        const [a, b] = await link();
        void watcherAe.handle(b, { nEventReport: (r) => (events.push(r), { status: 0 }) });
        return outbound.associate(a, { calledAeTitle: title });
      },
    });
    // The watcher's own association proposes no Event class.
    const p = await pair(withUps(ae('UPS-SCP'), 'supported'), ups.handlers, ae('WATCHER').addRequestedContext(UpsClass.push).addRequestedContext(UpsClass.watch));
    await p.scu.nCreate(UpsClass.push, '1.4.1', scheduled);
    await subscribeUps(p.scu, '1.4.1', 'WATCHER');
    await until(() => events.length === 1);
    expect(events[0]).toMatchObject({ typeId: UpsEvent.stateReport, sopInstanceUid: '1.4.1' });
    await p.scu.release();
  });
});

describe('UPS over TCP', () => {
  it('a watch subscription receives events over a real socket', async () => {
    const ups = upsScp();
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
    const server = withUps(ae('UPS-SCP'), 'supported').serve(listener, ups.handlers);
    try {
      const events: NRequest[] = [];
      const scu = await withUps(ae('WATCHER'), 'requested').associate(await connectTcp({ host: '127.0.0.1', port: listener.port }), {
        calledAeTitle: 'UPS-SCP',
        handlers: { nEventReport: (r) => (events.push(r), { status: 0 }) },
      });
      await scu.nCreate(UpsClass.push, '1.5.1', scheduled);
      expect((await subscribeUps(scu, '1.5.1', 'WATCHER')).status).toBe(0);
      expect((await changeUpsState(scu, '1.5.1', 'IN PROGRESS', '5.5')).status).toBe(0);
      await until(() => events.length === 2);
      expect(events.map((e) => e.dataset?.ProcedureStepState)).toEqual(['SCHEDULED', 'IN PROGRESS']);
      await scu.release();
    } finally {
      await server.close({ force: true });
    }
  });
});
