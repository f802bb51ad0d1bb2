/**
 * Unified Procedure Step (PS3.4 Annex CC) SCU ↔ SCP over the current link (memory pipes here,
 * TCP on 127.0.0.1 when rerun by n-services-tcp): the state machine and its statuses, Transaction
 * UID handling, Final State requirements, Request Cancel, subscriptions (specific, global, filtered,
 * deletion locks, suspend, unsubscribe) and the events each causes, delivered on the subscriber's
 * own association, or on one the SCP opens; plus SCP-initiated changes.
 */
import { describe, expect, it } from 'vitest';
import { connectTcp, listenTcp } from '../../adapters/node';
import type { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import type { NRequest } from '../../src/scp/types';
import type { Dataset } from '../../src/scu/types';
import { tagForKeyword } from '../../src/services/n-attributes';
import { ServiceContexts } from '../../src/services/service-contexts';
import { upsScp, type UpsScpOptions } from '../../src/services/ups';
import {
  changeUpsState, createUps, getUps, requestUpsCancel, subscribeUps, suspendUpsGlobalSubscription, unsubscribeUps, updateUps,
  UPS_GLOBAL_SUBSCRIPTION, UpsClass, UpsEvent,
} from '../../src/services/ups-scu';
import { UPS_SET_NOT_ALLOWED } from '../../src/services/ups-requirements';
import { UpsStatus } from '../../src/services/ups-status';
import { ae, link, pair, problemsIn, via } from './n-helpers';

const withUps = (x: ApplicationEntity, as: 'requested' | 'supported') => {
  for (const uid of ServiceContexts.unifiedProcedureStep) {
    if (as === 'requested') x.addRequestedContext(uid);
    else x.addSupportedContext(uid);
  }
  return x;
};
const code = (value: string, meaning: string) => [{ CodeValue: value, CodingSchemeDesignator: '99LOCAL', CodeMeaning: meaning }];
const scheduled: Dataset = {
  PatientName: 'DOE^J',
  ScheduledProcedureStepPriority: 'MEDIUM',
  ProcedureStepLabel: 'AI',
  ScheduledProcedureStepStartDateTime: '20250101080000',
  InputReadinessState: 'READY',
};
/** What a performer N-SETs before COMPLETED (the P rows of Table CC.2.5-3). */
const performed: Dataset = {
  UnifiedProcedureStepPerformedProcedureSequence: [{
    PerformedStationNameCodeSequence: code('WS1', 'Workstation 1'),
    PerformedProcedureStepStartDateTime: '20250101080500',
    PerformedWorkitemCodeSequence: code('AI1', 'AI analysis'),
    PerformedProcedureStepEndDateTime: '20250101081000',
    OutputInformationSequence: [],
  }],
};
/** What a performer N-SETs before CANCELED (the X rows). */
const cancellation: Dataset = {
  ProcedureStepProgressInformationSequence: [{
    ProcedureStepCancellationDateTime: '20250101080600',
    ProcedureStepDiscontinuationReasonCodeSequence: [{ CodeValue: '110501', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Equipment failure' }],
    ReasonForCancellation: 'scanner down',
  }],
};

const until = async (cond: () => boolean, what = 'condition', ms = 10000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} not met in time`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** An SCU of the UPS SCP `ups` that records the N-EVENT-REPORTs it receives. */
async function scuOf(ups: ReturnType<typeof upsScp>, title: string) {
  const events: NRequest[] = [];
  const p = await pair(withUps(ae('UPS-SCP'), 'supported'), ups.handlers, withUps(ae(title), 'requested'), {
    handlers: { nEventReport: (r) => (events.push(r), { status: 0 }) },
  });
  /** Events of one type about one UPS, as [type, state] pairs for readable assertions. */
  const about = (uid: string) => events.filter((e) => e.sopInstanceUid === uid).map((e) => [e.typeId, e.dataset?.ProcedureStepState ?? null]);
  return { ...p, events, about };
}

/**
 * Waits until `scu` has every event sent to `title` before now: subscribes it to a fresh UPS and
 * waits for that initial State Report (events to one AE are delivered in order).
 */
let sentinels = 0;
async function settle(ups: ReturnType<typeof upsScp>, scu: Association, events: NRequest[], title: string) {
  const uid = `9.9.9.${++sentinels}`;
  await ups.create(uid, scheduled);
  expect((await subscribeUps(scu, uid, title)).status).toBe(0);
  await until(() => events.some((e) => e.sopInstanceUid === uid), `sentinel ${uid}`);
}

describe(`UPS push / pull / watch over ${via()}`, () => {
  it('the performer\'s lifecycle with every Change State status, Transaction UID and Final State check; a watcher on its own association hears each change', async () => {
    const ups = upsScp();
    const performer = await scuOf(ups, 'PERFORMER');
    const watcher = await scuOf(ups, 'WATCHER');
    const p = performer.scu;
    expect((await createUps(p, '1.2.7', scheduled)).status).toBe(0);
    expect((await subscribeUps(watcher.scu, '1.2.7', 'WATCHER')).status).toBe(0);
    await until(() => watcher.events.length === 1, 'initial report');
    // Events name UPS Push as Affected SOP Class (CC.2.4.3) and come on the UPS Event context.
    expect(watcher.events[0]).toMatchObject({ sopClassUid: UpsClass.push, sopInstanceUid: '1.2.7', typeId: UpsEvent.stateReport });
    expect(watcher.events[0]!.dataset).toMatchObject({ ProcedureStepState: 'SCHEDULED', InputReadinessState: 'READY' });

    expect((await changeUpsState(p, '1.2.7', 'COMPLETED', '9.9')).status).toBe(UpsStatus.notInProgress);
    expect((await changeUpsState(p, '1.2.7', 'IN PROGRESS', '')).status).toBe(UpsStatus.wrongTransactionUid);
    expect((await changeUpsState(p, '1.2.7', 'IN PROGRESS', '9.9')).status).toBe(0);
    expect((await changeUpsState(p, '1.2.7', 'IN PROGRESS', '9.9')).status).toBe(UpsStatus.alreadyInProgress);
    expect((await changeUpsState(p, '1.2.7', 'IN PROGRESS', '1.1')).status).toBe(UpsStatus.wrongTransactionUid);
    expect((await updateUps(p, '1.2.7', { ProcedureStepLabel: 'x' }, '1.1')).status).toBe(UpsStatus.wrongTransactionUid);
    expect((await updateUps(p, '1.2.7', { ProcedureStepLabel: 'x' })).status).toBe(UpsStatus.wrongTransactionUid);
    const progress = { ProcedureStepProgressInformationSequence: [{ ProcedureStepProgress: 50, ProcedureStepProgressDescription: 'half' }] };
    expect((await updateUps(p, '1.2.7', progress, '9.9')).status).toBe(0);
    // COMPLETED needs the performed procedure: C304 names the first attribute missing.
    const early = await changeUpsState(p, '1.2.7', 'COMPLETED', '9.9');
    expect(early.status).toBe(UpsStatus.finalStateNotMet);
    expect(early.command.ErrorComment).toBe('final state: (0074,1216) missing');
    const noEnd = structuredClone(performed);
    delete (noEnd.UnifiedProcedureStepPerformedProcedureSequence as Dataset[])[0]!.PerformedProcedureStepEndDateTime;
    expect((await updateUps(p, '1.2.7', noEnd, '9.9')).status).toBe(0);
    expect((await changeUpsState(p, '1.2.7', 'COMPLETED', '9.9')).command.ErrorComment).toBe('final state: (0074,1216)>(0040,4051) missing');
    expect((await updateUps(p, '1.2.7', performed, '9.9')).status).toBe(0);
    expect((await changeUpsState(p, '1.2.7', 'COMPLETED', '1.1')).status).toBe(UpsStatus.wrongTransactionUid);
    expect((await changeUpsState(p, '1.2.7', 'COMPLETED', '9.9')).status).toBe(0);
    // After the final state: warnings for a repeat, C300 for the other changes, C301 without the lock.
    expect((await changeUpsState(p, '1.2.7', 'COMPLETED', '9.9')).status).toBe(UpsStatus.alreadyCompleted);
    expect((await changeUpsState(p, '1.2.7', 'CANCELED', '9.9')).status).toBe(UpsStatus.mayNoLongerBeUpdated);
    expect((await changeUpsState(p, '1.2.7', 'IN PROGRESS', '9.9')).status).toBe(UpsStatus.mayNoLongerBeUpdated);
    expect((await changeUpsState(p, '1.2.7', 'COMPLETED', '1.1')).status).toBe(UpsStatus.wrongTransactionUid);
    expect((await updateUps(p, '1.2.7', { ProcedureStepLabel: 'late' }, '9.9')).status).toBe(UpsStatus.mayNoLongerBeUpdated);
    expect((await requestUpsCancel(p, '1.2.7')).status).toBe(UpsStatus.completedCannotCancel);
    expect((await changeUpsState(p, '1.2.404', 'IN PROGRESS', '9.9')).status).toBe(UpsStatus.noSuchUps);

    await settle(ups, watcher.scu, watcher.events, 'WATCHER');
    expect(watcher.about('1.2.7')).toEqual([
      [UpsEvent.stateReport, 'SCHEDULED'],
      [UpsEvent.stateReport, 'IN PROGRESS'],
      [UpsEvent.progressReport, null],
      [UpsEvent.stateReport, 'COMPLETED'],
    ]);
    const report = watcher.events.find((e) => e.typeId === UpsEvent.progressReport)!;
    expect(report.dataset?.ProcedureStepProgressInformationSequence).toMatchObject([{ ProcedureStepProgress: 50, ProcedureStepProgressDescription: 'half' }]);
    // The performer never subscribed: it heard nothing.
    expect(performer.events).toEqual([]);
    // N-GET never returns the Transaction UID; the SCP filled Worklist Label and Modification DateTime.
    const got = await getUps(watcher.scu, '1.2.7', [], { context: UpsClass.watch });
    expect(got.dataset).toMatchObject({ ProcedureStepState: 'COMPLETED', PatientName: [{ Alphabetic: 'DOE^J' }], WorklistLabel: 'UPS-SCP', SOPClassUID: UpsClass.push });
    expect(got.dataset!.ScheduledProcedureStepModificationDateTime).toMatch(/^\d{14}$/);
    expect(got.dataset!.TransactionUID).toBeUndefined();
    await Promise.all([p.release(), watcher.scu.release()]);
    expect(problemsIn([...performer.sentByScu, ...performer.sentByScp, ...watcher.sentByScu, ...watcher.sentByScp])).toEqual([]);
  });

  it('N-CREATE and N-SET rules: C309, 0x0111, 0x0120 / 0x0121 with the Attribute Identifier List, 0x0106 with Offending Element, C310, C303, C307; C-FIND on UPS Query', async () => {
    const ups = upsScp();
    const { scu } = await scuOf(ups, 'PUSHER');
    expect((await scu.nCreate(UpsClass.push, '1.3.1', { ...scheduled, ProcedureStepState: 'IN PROGRESS' })).status).toBe(UpsStatus.notScheduled);
    const { InputReadinessState: _, ...noReadiness } = scheduled;
    const missing = await createUps(scu, '1.3.1', noReadiness);
    expect([missing.status, missing.command.AttributeIdentifierList, missing.command.OffendingElement]).toEqual([0x0120, [0x00404041], [0x00404041]]);
    const empty = await createUps(scu, '1.3.1', { ...scheduled, ProcedureStepLabel: '' });
    expect([empty.status, empty.command.AttributeIdentifierList, empty.command.OffendingElement]).toEqual([0x0121, [0x00741204], [0x00741204]]);
    const urgent = await createUps(scu, '1.3.1', { ...scheduled, ScheduledProcedureStepPriority: 'URGENT' });
    expect([urgent.status, urgent.command.OffendingElement, urgent.command.AttributeIdentifierList]).toEqual([0x0106, [0x00741200], undefined]);
    expect((await createUps(scu, '1.3.1', { ...scheduled, TransactionUID: '' })).status).toBe(0);
    expect((await createUps(scu, '1.3.1', scheduled)).status).toBe(0x0111);
    // Without a UID the SCP assigns one.
    const assigned = await createUps(scu, undefined, { ...scheduled, PatientName: 'ROE^R' });
    expect(assigned.status).toBe(0);
    expect(ups.store.get(assigned.sopInstanceUid!)).toMatchObject({ ProcedureStepState: 'SCHEDULED' });
    // N-SET of a SCHEDULED UPS: allowed without Transaction UID, refused with one (C310).
    expect((await updateUps(scu, '1.3.1', { ProcedureStepLabel: 'renamed' })).status).toBe(0);
    expect((await updateUps(scu, '1.3.1', { ProcedureStepLabel: 'x' }, '5.5')).status).toBe(UpsStatus.notInProgress);
    expect((await updateUps(scu, '1.3.1', { ProcedureStepState: 'SCHEDULED' })).status).toBe(UpsStatus.scheduledOnlyByCreate);
    const viaSet = await updateUps(scu, '1.3.1', { ProcedureStepState: 'IN PROGRESS' });
    expect([viaSet.status, viaSet.command.OffendingElement]).toEqual([0x0106, [0x00741000]]);
    expect((await updateUps(scu, '1.3.1', { InputReadinessState: 'MAYBE' })).status).toBe(0x0106);
    expect((await updateUps(scu, '1.3.404', { ProcedureStepLabel: 'x' })).status).toBe(UpsStatus.noSuchUps);
    expect(ups.store.get('1.3.1')).toMatchObject({ ProcedureStepLabel: 'renamed', ProcedureStepState: 'SCHEDULED', InputReadinessState: 'READY' });
    expect((await getUps(scu, '1.3.404')).status).toBe(UpsStatus.noSuchUps);
    // C-FIND on the Query class: matches by patient; the Transaction UID is never among the answers.
    const found = [];
    for await (const r of scu.cFind({ PatientName: 'ROE*', ProcedureStepState: '' }, { model: UpsClass.query })) found.push(r);
    expect(found.map((r) => r.category)).toEqual(['Pending', 'Success']);
    expect(found[0]!.identifier).toMatchObject({ PatientName: [{ Alphabetic: 'ROE^R' }], ProcedureStepState: 'SCHEDULED' });
    await scu.release();
  });

  it('each operation only on its SOP class: 0x0123 for an action, 0x0211 for an N-service, 0x0118 for another class in the command', async () => {
    const ups = upsScp();
    const { scu } = await scuOf(ups, 'SCU');
    await createUps(scu, '1.8.1', scheduled);
    // Change State belongs to UPS Pull, subscriptions to UPS Watch.
    expect((await scu.nAction(UpsClass.push, '1.8.1', 1, { ProcedureStepState: 'IN PROGRESS', TransactionUID: '1.1' }, { context: UpsClass.watch })).status).toBe(0x0123);
    expect((await scu.nAction(UpsClass.push, '1.8.1', 3, { ReceivingAE: 'SCU', DeletionLock: 'FALSE' }, { context: UpsClass.pull })).status).toBe(0x0123);
    expect((await scu.nAction(UpsClass.pull, '1.8.1', 9)).status).toBe(0x0123);
    expect((await scu.nSet(UpsClass.push, '1.8.1', { ProcedureStepLabel: 'x' })).status).toBe(0x0211);
    expect((await scu.nCreate(UpsClass.pull, '1.8.2', scheduled)).status).toBe(0x0211);
    expect((await scu.nGet(UpsClass.watch, '1.8.1', [], { context: UpsClass.pull })).status).toBe(0x0118);
    // The class of the context itself is accepted too (older SCUs name it instead of UPS Push).
    expect((await scu.nAction(UpsClass.pull, '1.8.1', 1, { ProcedureStepState: 'IN PROGRESS', TransactionUID: '1.1' })).status).toBe(0);
    await scu.release();
  });

  it('Request UPS Cancel: a SCHEDULED UPS is canceled by the SCP (two State Reports); an IN PROGRESS one tells subscribers (Cancel Requested), C312, C313, B304', async () => {
    const refuse = new Set<string>();
    const ups = upsScp({ onCancelRequest: (uid) => (refuse.has(uid) ? UpsStatus.performerRefusesCancel : undefined) });
    const performer = await scuOf(ups, 'PERFORMER');
    const requester = await scuOf(ups, 'REQUESTER');
    for (const uid of ['1.4.1', '1.4.2', '1.4.3', '1.4.4']) expect((await createUps(requester.scu, uid, scheduled)).status).toBe(0);
    expect((await subscribeUps(requester.scu, '1.4.1', 'REQUESTER')).status).toBe(0);
    // SCHEDULED: the SCP goes IN PROGRESS then CANCELED, filling the Final State from the request.
    const reason = { ReasonForCancellation: 'duplicate order', ContactURI: 'tel:1234', ContactDisplayName: 'Dr Who' };
    expect((await requestUpsCancel(requester.scu, '1.4.1', reason)).status).toBe(0);
    expect((await requestUpsCancel(requester.scu, '1.4.1', {}, { sopClass: UpsClass.watch })).status).toBe(UpsStatus.alreadyCanceled);
    const canceled = ups.store.get('1.4.1')!;
    expect(canceled.ProcedureStepState).toBe('CANCELED');
    expect(canceled.ProcedureStepProgressInformationSequence).toMatchObject([{
      ReasonForCancellation: 'duplicate order',
      ProcedureStepDiscontinuationReasonCodeSequence: [{ CodeValue: '110513', CodingSchemeDesignator: 'DCM' }],
      ProcedureStepCommunicationsURISequence: [{ ContactURI: 'tel:1234', ContactDisplayName: 'Dr Who' }],
    }]);
    expect(String((canceled.ProcedureStepProgressInformationSequence as Dataset[])[0]!.ProcedureStepCancellationDateTime)).toMatch(/^\d{14}$/);

    // IN PROGRESS, performer subscribed: subscribers hear who asked and why; nothing changes.
    await changeUpsState(performer.scu, '1.4.2', 'IN PROGRESS', '7.7');
    expect((await subscribeUps(performer.scu, '1.4.2', 'PERFORMER')).status).toBe(0);
    expect((await requestUpsCancel(requester.scu, '1.4.2', reason)).status).toBe(0);
    expect(ups.store.get('1.4.2')!.ProcedureStepState).toBe('IN PROGRESS');
    // IN PROGRESS, performer not subscribed: it cannot be told (C312); the application refuses (C313).
    await changeUpsState(performer.scu, '1.4.3', 'IN PROGRESS', '7.8');
    await subscribeUps(requester.scu, '1.4.3', 'REQUESTER');
    const unreachable = await requestUpsCancel(requester.scu, '1.4.3');
    expect([unreachable.status, unreachable.command.ErrorComment]).toEqual([UpsStatus.performerUnreachable, 'PERFORMER is not subscribed']);
    refuse.add('1.4.2');
    expect((await requestUpsCancel(requester.scu, '1.4.2')).status).toBe(UpsStatus.performerRefusesCancel);
    // The performer cancels itself with Change State: X attributes first (C304), then B304 on a repeat.
    expect((await changeUpsState(performer.scu, '1.4.2', 'CANCELED', '7.7')).command.ErrorComment).toBe('final state: (0074,1002) missing');
    expect((await updateUps(performer.scu, '1.4.2', cancellation, '7.7')).status).toBe(0);
    expect((await changeUpsState(performer.scu, '1.4.2', 'CANCELED', '7.7')).status).toBe(0);
    expect((await changeUpsState(performer.scu, '1.4.2', 'CANCELED', '7.7')).status).toBe(UpsStatus.alreadyCanceled);
    expect((await requestUpsCancel(requester.scu, '1.4.404')).status).toBe(UpsStatus.noSuchUps);

    await settle(ups, requester.scu, requester.events, 'REQUESTER');
    await settle(ups, performer.scu, performer.events, 'PERFORMER');
    expect(requester.about('1.4.1')).toEqual([[1, 'SCHEDULED'], [1, 'IN PROGRESS'], [1, 'CANCELED']]);
    expect(requester.events.find((e) => e.sopInstanceUid === '1.4.1' && e.dataset?.ProcedureStepState === 'CANCELED')!.dataset).toMatchObject({
      ReasonForCancellation: 'duplicate order',
      ProcedureStepDiscontinuationReasonCodeSequence: [{ CodeValue: '110513' }],
    });
    expect(performer.about('1.4.2')).toEqual([[1, 'IN PROGRESS'], [UpsEvent.cancelRequested, null], [1, 'CANCELED']]);
    const asked = performer.events.find((e) => e.typeId === UpsEvent.cancelRequested)!;
    expect(asked.dataset).toEqual({ RequestingAE: 'REQUESTER', ReasonForCancellation: 'duplicate order', ContactURI: 'tel:1234', ContactDisplayName: 'Dr Who' });
    expect(performer.events.at(-2)!.dataset).toMatchObject({ ProcedureStepState: 'CANCELED', ReasonForCancellation: 'scanner down' });
    expect(requester.about('1.4.3')).toEqual([[1, 'IN PROGRESS']]);
    await Promise.all([performer.scu.release(), requester.scu.release()]);
  });

  it('global subscriptions: without lock no initial reports, new UPSs reported (State Report + Assigned); with lock every UPS; filtered; suspend; unsubscribe', async () => {
    const ups = upsScp();
    const w = await scuOf(ups, 'WATCHER');
    const f = await scuOf(ups, 'FILTERED');
    await createUps(w.scu, '1.5.1', scheduled);
    expect((await subscribeUps(w.scu, 'global', 'WATCHER')).status).toBe(0);
    const performers = { ScheduledHumanPerformersSequence: [{ HumanPerformerCodeSequence: code('P1', 'Dr A'), HumanPerformerOrganization: 'Radiology' }], ScheduledStationNameCodeSequence: code('WS1', 'Workstation 1') };
    await createUps(w.scu, '1.5.2', { ...scheduled, ...performers });
    // Filtered: only UPSs labelled CAD*, existing and new, with lock (initial report for existing matches).
    expect((await subscribeUps(f.scu, 'global', 'FILTERED', { deletionLock: true, matchingKeys: { ProcedureStepLabel: 'CAD*' } })).status).toBe(0);
    await createUps(w.scu, '1.5.3', { ...scheduled, ProcedureStepLabel: 'CAD lung' });
    await settle(ups, w.scu, w.events, 'WATCHER');
    expect(w.about('1.5.1')).toEqual([]);
    expect(w.about('1.5.2')).toEqual([[UpsEvent.stateReport, 'SCHEDULED'], [UpsEvent.assigned, null]]);
    expect(w.events.find((e) => e.typeId === UpsEvent.assigned)!.dataset).toMatchObject({
      HumanPerformerCodeSequence: [{ CodeValue: 'P1' }], HumanPerformerOrganization: 'Radiology', ScheduledStationNameCodeSequence: [{ CodeValue: 'WS1' }],
    });
    expect(w.about('1.5.3')).toEqual([[1, 'SCHEDULED']]);
    // The global subscription covers UPSs that existed before it: they report their changes.
    await changeUpsState(w.scu, '1.5.1', 'IN PROGRESS', '1.1');
    await settle(ups, f.scu, f.events, 'FILTERED');
    expect(f.events.filter((e) => !e.sopInstanceUid.startsWith('9.9.9')).map((e) => e.sopInstanceUid)).toEqual(['1.5.3']);
    expect(ups.subscriptions.subscriptionsOf('1.5.3')).toEqual([{ aeTitle: 'WATCHER', deletionLock: false }, { aeTitle: 'FILTERED', deletionLock: true }]);

    // Global with lock: a report for each UPS not yet subscribed to.
    const l = await scuOf(ups, 'LOCKER');
    expect((await subscribeUps(l.scu, 'global', 'LOCKER', { deletionLock: true })).status).toBe(0);
    await until(() => ['1.5.1', '1.5.2', '1.5.3'].every((u) => l.about(u).length === 1), 'initial reports');
    // Suspend: no new UPSs, the old ones still report.
    expect((await suspendUpsGlobalSubscription(w.scu, 'WATCHER')).status).toBe(0);
    await createUps(w.scu, '1.5.4', scheduled);
    await changeUpsState(w.scu, '1.5.2', 'IN PROGRESS', '2.2');
    // Unsubscribe globally: nothing more at all.
    expect((await unsubscribeUps(l.scu, 'global', 'LOCKER')).status).toBe(0);
    await changeUpsState(w.scu, '1.5.3', 'IN PROGRESS', '3.3');
    await settle(ups, w.scu, w.events, 'WATCHER');
    await settle(ups, l.scu, l.events, 'LOCKER');
    expect(w.about('1.5.4')).toEqual([]);
    expect(w.about('1.5.2')).toEqual([[1, 'SCHEDULED'], [5, null], [1, 'IN PROGRESS']]);
    expect(w.about('1.5.1')).toEqual([[1, 'IN PROGRESS']]);
    expect(l.about('1.5.3')).toEqual([[1, 'SCHEDULED']]);
    expect(ups.subscriptions.subscribers('1.5.3')).toEqual(['WATCHER', 'FILTERED']);
    await Promise.all([w.scu.release(), f.scu.release(), l.scu.release()]);
  });

  it('deletion locks keep finished UPSs until released; B301, C315, C308, C314, C307 on subscribe', async () => {
    const ups = upsScp();
    const { scu, events } = await scuOf(ups, 'KEEPER');
    for (const uid of ['1.6.1', '1.6.2']) await createUps(scu, uid, scheduled);
    expect((await subscribeUps(scu, '1.6.1', 'KEEPER', { deletionLock: true })).status).toBe(0);
    for (const uid of ['1.6.1', '1.6.2']) {
      await changeUpsState(scu, uid, 'IN PROGRESS', '4.4');
      await updateUps(scu, uid, performed, '4.4');
      expect((await changeUpsState(scu, uid, 'COMPLETED', '4.4')).status).toBe(0);
    }
    expect(ups.purge()).toEqual(['1.6.2']);
    expect(ups.store.has('1.6.1')).toBe(true);
    expect((await getUps(scu, '1.6.2')).status).toBe(UpsStatus.noSuchUps);
    // Subscribing again without lock releases it.
    expect((await subscribeUps(scu, '1.6.1', 'KEEPER')).status).toBe(0);
    expect(ups.purge()).toEqual(['1.6.1']);
    expect((await subscribeUps(scu, '1.6.404', 'KEEPER')).status).toBe(UpsStatus.noSuchUps);
    expect((await scu.nAction(UpsClass.push, '1.6.404', 5, { ReceivingAE: 'KEEPER' }, { context: UpsClass.watch })).status).toBe(UpsStatus.actionNotAppropriate);
    expect((await scu.nAction(UpsClass.push, UPS_GLOBAL_SUBSCRIPTION, 2, {}, { context: UpsClass.watch })).status).toBe(UpsStatus.noSuchUps);
    await scu.release();
    expect(events.length).toBeGreaterThanOrEqual(4);

    const strict = upsScp({ deletionLocks: false, knownAe: (t) => t !== 'STRANGER' });
    const s = await scuOf(strict, 'KEEPER');
    await createUps(s.scu, '1.6.3', scheduled);
    expect((await subscribeUps(s.scu, '1.6.3', 'KEEPER', { deletionLock: true })).status).toBe(UpsStatus.deletionLockNotGranted);
    expect(strict.subscriptions.subscriptionsOf('1.6.3')).toEqual([{ aeTitle: 'KEEPER', deletionLock: false }]);
    expect((await subscribeUps(s.scu, '1.6.3', 'STRANGER')).status).toBe(UpsStatus.unknownReceivingAe);
    await s.scu.release();
    const deaf = upsScp({ eventReports: false });
    const d = await scuOf(deaf, 'KEEPER');
    expect((await subscribeUps(d.scu, 'global', 'KEEPER')).status).toBe(UpsStatus.eventsNotSupported);
    await d.scu.release();
  });

  it('SCP-initiated: the SCP creates, updates and performs a UPS itself, and announces a restart; subscribers hear all of it', async () => {
    const ups = upsScp({ fallbackAeTitles: ['WATCHER'] });
    const w = await scuOf(ups, 'WATCHER');
    expect((await subscribeUps(w.scu, 'global', 'WATCHER')).status).toBe(0);
    expect(await ups.create('1.7.1', scheduled)).toEqual({ status: 0 });
    expect(await ups.update('1.7.1', { InputReadinessState: 'INCOMPLETE' })).toEqual({ status: 0 });
    expect(await ups.setState('1.7.1', 'IN PROGRESS')).toEqual({ status: 0 });
    expect((await ups.setState('1.7.1', 'COMPLETED')).status).toBe(UpsStatus.finalStateNotMet);
    await ups.update('1.7.1', performed);
    expect(await ups.setState('1.7.1', 'COMPLETED')).toEqual({ status: 0 });
    await ups.announce('RESTARTED', { subscriptionList: 'COLD START' });
    await until(() => w.events.some((e) => e.typeId === UpsEvent.scpStatusChange), 'status change');
    expect(w.about('1.7.1')).toEqual([[1, 'SCHEDULED'], [1, 'SCHEDULED'], [1, 'IN PROGRESS'], [1, 'COMPLETED']]);
    expect(w.about('1.7.1')[1]).toEqual([1, 'SCHEDULED']);
    expect(w.events.filter((e) => e.sopInstanceUid === '1.7.1')[1]!.dataset).toMatchObject({ InputReadinessState: 'INCOMPLETE' });
    expect(w.events.at(-1)).toMatchObject({ typeId: UpsEvent.scpStatusChange, sopInstanceUid: UPS_GLOBAL_SUBSCRIPTION });
    expect(w.events.at(-1)!.dataset).toEqual({ SCPStatus: 'RESTARTED', SubscriptionListStatus: 'COLD START', UnifiedProcedureStepListStatus: 'WARM START' });
    await w.scu.release();
  });

  it('the SCP may correct a COMPLETED or CANCELED UPS itself (PS3.4 CC.2.6.3) as long as it still meets its Final State requirements; an SCU N-SET still gets C300', async () => {
    const ups = upsScp();
    const { scu } = await scuOf(ups, 'PERFORMER');
    expect((await createUps(scu, '1.7.2', { ...scheduled, PatientID: 'P1' })).status).toBe(0);
    expect((await changeUpsState(scu, '1.7.2', 'IN PROGRESS', '4.4')).status).toBe(0);
    expect((await updateUps(scu, '1.7.2', performed, '4.4')).status).toBe(0);
    expect((await changeUpsState(scu, '1.7.2', 'COMPLETED', '4.4')).status).toBe(0);
    expect((await updateUps(scu, '1.7.2', { ProcedureStepLabel: 'late' }, '4.4')).status).toBe(UpsStatus.mayNoLongerBeUpdated);
    // Reconciliation after completion, "Not allowed" N-SET attributes included.
    expect(await ups.update('1.7.2', { PatientName: 'ROE^R', PatientID: 'P7' })).toEqual({ status: 0 });
    expect(ups.store.get('1.7.2')).toMatchObject({ ProcedureStepState: 'COMPLETED', PatientName: 'ROE^R', PatientID: 'P7' });
    // Not by undoing what COMPLETED needed: C304 naming it, and nothing changes.
    const undone = await ups.update('1.7.2', { UnifiedProcedureStepPerformedProcedureSequence: [], PatientName: 'X' });
    expect(undone).toEqual({ status: UpsStatus.finalStateNotMet, errorComment: 'final state: (0074,1216) missing' });
    expect(ups.store.get('1.7.2')).toMatchObject({ PatientName: 'ROE^R', UnifiedProcedureStepPerformedProcedureSequence: [{ PerformedProcedureStepEndDateTime: '20250101081000' }] });
    // CANCELED alike (a Request Cancel cancels a SCHEDULED UPS at once); the state itself is not set this way.
    expect((await createUps(scu, '1.7.3', scheduled)).status).toBe(0);
    expect((await requestUpsCancel(scu, '1.7.3', { ReasonForCancellation: 'duplicate' })).status).toBe(0);
    expect(await ups.update('1.7.3', { ProcedureStepLabel: 'duplicate order' })).toEqual({ status: 0 });
    expect(ups.store.get('1.7.3')).toMatchObject({ ProcedureStepState: 'CANCELED', ProcedureStepLabel: 'duplicate order' });
    expect((await updateUps(scu, '1.7.3', { ProcedureStepLabel: 'x' })).status).toBe(UpsStatus.mayNoLongerBeUpdated);
    expect((await ups.update('1.7.3', { ProcedureStepState: 'SCHEDULED' })).status).toBe(UpsStatus.scheduledOnlyByCreate);
    await scu.release();
  });

  it('the SCP\'s own state changes are judged by state (it has no Transaction UID to get wrong): C310 on SCHEDULED, C302, B304 after a Request Cancel', async () => {
    const ups = upsScp();
    const { scu } = await scuOf(ups, 'REQUESTER');
    expect(await ups.create('1.8.1', scheduled)).toEqual({ status: 0 });
    expect((await ups.setState('1.8.1', 'COMPLETED')).status).toBe(UpsStatus.notInProgress);
    expect((await ups.setState('1.8.1', 'CANCELED')).status).toBe(UpsStatus.notInProgress);
    expect(await ups.setState('1.8.1', 'IN PROGRESS')).toEqual({ status: 0 });
    expect((await ups.setState('1.8.1', 'IN PROGRESS')).status).toBe(UpsStatus.alreadyInProgress);
    // Canceled by the SCP on a Request Cancel: no Transaction UID was ever recorded.
    expect(await ups.create('1.8.2', scheduled)).toEqual({ status: 0 });
    expect((await requestUpsCancel(scu, '1.8.2', { ReasonForCancellation: 'duplicate' })).status).toBe(0);
    expect((await ups.setState('1.8.2', 'CANCELED')).status).toBe(UpsStatus.alreadyCanceled);
    expect((await ups.setState('1.8.2', 'COMPLETED')).status).toBe(UpsStatus.mayNoLongerBeUpdated);
    expect((await ups.setState('1.8.404', 'COMPLETED')).status).toBe(UpsStatus.noSuchUps);
    await scu.release();
  });

  it('N-CREATE: Procedure Step State missing 0x0120, empty 0x0121 (Type 1), another value C309; each naming (0074,1000) (Attribute Identifier List for 0x0120 / 0x0121, PS3.7 C.5.13 / C.5.14)', async () => {
    const ups = upsScp();
    const { scu } = await scuOf(ups, 'PUSHER');
    const missing = await scu.nCreate(UpsClass.push, '1.8.3', scheduled);
    expect([missing.status, missing.command.AttributeIdentifierList, missing.command.OffendingElement]).toEqual([0x0120, [0x00741000], [0x00741000]]);
    const empty = await createUps(scu, '1.8.3', { ...scheduled, ProcedureStepState: '' });
    expect([empty.status, empty.command.AttributeIdentifierList, empty.command.OffendingElement]).toEqual([0x0121, [0x00741000], [0x00741000]]);
    const other = await createUps(scu, '1.8.3', { ...scheduled, ProcedureStepState: 'COMPLETED' });
    expect([other.status, other.command.OffendingElement]).toEqual([UpsStatus.notScheduled, [0x00741000]]);
    expect(ups.store.has('1.8.3')).toBe(false);
    await scu.release();
  });

  it('N-CREATE checks the UPS Code Sequence Macro rows (Table CC.2.5-2a) in the code sequence items: 0x0120 / 0x0121 naming the attribute', async () => {
    const ups = upsScp();
    const { scu } = await scuOf(ups, 'PUSHER');
    const create = (uid: string, extra: Dataset) => createUps(scu, uid, { ...scheduled, ...extra });
    const named = (r: { status: number; command: { AttributeIdentifierList?: number[]; OffendingElement?: number[] } }) =>
      [r.status, r.command.AttributeIdentifierList, r.command.OffendingElement];
    // Code Meaning is 1/1: absent 0x0120, empty 0x0121.
    const noMeaning = await create('1.8.6', { ScheduledWorkitemCodeSequence: [{ CodeValue: '110005', CodingSchemeDesignator: 'DCM' }] });
    expect(named(noMeaning)).toEqual([0x0120, [0x00080104], [0x00080104]]);
    expect(noMeaning.command.ErrorComment).toBe('ScheduledWorkitemCodeSequence>CodeMeaning');
    const emptyMeaning = await create('1.8.6', { ScheduledStationNameCodeSequence: [{ CodeValue: 'WS1', CodingSchemeDesignator: '99LOCAL', CodeMeaning: '' }] });
    expect(named(emptyMeaning)).toEqual([0x0121, [0x00080104], [0x00080104]]);
    // Code Value, Long Code Value or URN Code Value (1C, one of them); the designator beside the first two.
    const noValue = await create('1.8.6', { ScheduledHumanPerformersSequence: [{ HumanPerformerCodeSequence: [{ CodingSchemeDesignator: 'X', CodeMeaning: 'Dr A' }] }] });
    expect(named(noValue)).toEqual([0x0120, [0x00080100], [0x00080100]]);
    const noScheme = await create('1.8.6', { ReferencedRequestSequence: [{ StudyInstanceUID: '1.2', RequestedProcedureCodeSequence: [{ LongCodeValue: 'L'.repeat(20), CodeMeaning: 'long' }] }] });
    expect(named(noScheme)).toEqual([0x0120, [0x00080102], [0x00080102]]);
    // Code Meaning missing in two code sequences: (0008,0104) named once.
    const twice = await create('1.8.6', {
      ScheduledWorkitemCodeSequence: [{ CodeValue: '110005', CodingSchemeDesignator: 'DCM' }],
      ScheduledStationNameCodeSequence: [{ CodeValue: 'WS1', CodingSchemeDesignator: '99LOCAL' }],
    });
    expect(named(twice)).toEqual([0x0120, [0x00080104], [0x00080104]]);
    expect(ups.store.has('1.8.6')).toBe(false);
    // A URN code needs no designator; an empty or absent code sequence has no item to check.
    const urn = { AdmittingDiagnosesCodeSequence: [{ URNCodeValue: 'urn:example:1', CodeMeaning: 'dx' }], ScheduledStationClassCodeSequence: [] };
    expect((await create('1.8.6', urn)).status).toBe(0);
    await scu.release();
  });

  it('an N-SET may not rename the UPS: another SOP Class/Instance UID is 0x0106 naming it, nothing changes; the same UIDs pass', async () => {
    const ups = upsScp();
    const { scu } = await scuOf(ups, 'SETTER');
    expect((await createUps(scu, '1.8.4', scheduled)).status).toBe(0);
    const renamed = await updateUps(scu, '1.8.4', { SOPClassUID: UpsClass.pull, SOPInstanceUID: '9.9.9', ProcedureStepLabel: 'x' });
    expect([renamed.status, renamed.command.OffendingElement]).toEqual([0x0106, [0x00080016, 0x00080018]]);
    expect(ups.store.get('1.8.4')).toMatchObject({ SOPClassUID: UpsClass.push, SOPInstanceUID: '1.8.4', ProcedureStepLabel: 'AI' });
    expect((await updateUps(scu, '1.8.4', { SOPInstanceUID: '9.9.9' })).status).toBe(0x0106);
    // The SCP's own update is held to the same rule.
    expect((await ups.update('1.8.4', { SOPInstanceUID: '9.9.9', ProcedureStepLabel: 'y' })).status).toBe(0x0106);
    expect((await updateUps(scu, '1.8.4', { SOPClassUID: UpsClass.push, SOPInstanceUID: '1.8.4', ProcedureStepLabel: 'z' })).status).toBe(0);
    expect(ups.store.get('1.8.4')).toMatchObject({ SOPClassUID: UpsClass.push, SOPInstanceUID: '1.8.4', ProcedureStepLabel: 'z' });
    await scu.release();
  });

  it('an N-SET of what Table CC.2.5-3 marks "Not allowed" (Patient\'s Name, Referenced Request Sequence, ...) is 0x0106 naming it, nothing changes; the SCP itself may correct them', async () => {
    const ups = upsScp();
    const { scu } = await scuOf(ups, 'SETTER');
    expect((await createUps(scu, '1.8.5', { ...scheduled, PatientID: 'P1', ReferencedRequestSequence: [] })).status).toBe(0);
    const repatient = await updateUps(scu, '1.8.5', { PatientName: 'ROE^R', ReferencedRequestSequence: [], ProcedureStepLabel: 'x' });
    expect([repatient.status, repatient.command.OffendingElement]).toEqual([0x0106, [0x00100010, 0x0040a370]]);
    expect(repatient.command.ErrorComment).toMatch(/not allowed/);
    expect(ups.store.get('1.8.5')).toMatchObject({ PatientName: [{ Alphabetic: 'DOE^J' }], ProcedureStepLabel: 'AI' });
    // The same while IN PROGRESS, with the right Transaction UID: the lock does not make them settable.
    expect((await changeUpsState(scu, '1.8.5', 'IN PROGRESS', '6.6')).status).toBe(0);
    const reissued = await updateUps(scu, '1.8.5', { PatientID: 'P2', IssuerOfPatientID: 'OTHER', AdmissionID: 'A9' }, '6.6');
    expect([reissued.status, reissued.command.OffendingElement]).toEqual([0x0106, [0x00100020, 0x00100021, 0x00380010]]);
    expect(ups.store.get('1.8.5')).toMatchObject({ PatientID: 'P1' });
    expect((await updateUps(scu, '1.8.5', { ProcedureStepLabel: 'y' }, '6.6')).status).toBe(0);
    // The SCP may modify any attribute itself (PS3.4 CC.2.6.3), e.g. to reconcile the patient.
    expect(await ups.update('1.8.5', { PatientName: 'ROE^R' })).toEqual({ status: 0 });
    expect(ups.store.get('1.8.5')).toMatchObject({ PatientName: 'ROE^R', ProcedureStepLabel: 'y', PatientID: 'P1' });
    await scu.release();
    expect(UPS_SET_NOT_ALLOWED.every((k) => tagForKeyword(k) !== undefined)).toBe(true);
  });

  it('events go to a subscriber on an association the SCP opens when the watcher has none with UPS Event', async () => {
    const watcherAe = ae('WATCHER').addSupportedContext(UpsClass.event, undefined, { scpRole: true });
    const outbound = ae('UPS-SCP').addRequestedContext(UpsClass.event, undefined, { scuRole: false, scpRole: true });
    const events: NRequest[] = [];
    const failures: string[] = [];
    const options: UpsScpOptions = {
      openEventAssociation: async (title) => {
        if (title !== 'WATCHER') throw new Error(`unknown AE ${title}`);
        const [a, b] = await link();
        void watcherAe.handle(b, { nEventReport: (r) => (events.push(r), { status: 0 }) });
        return outbound.associate(a, { calledAeTitle: title });
      },
      onEventError: (title, error) => void failures.push(`${title}: ${error.message}`),
    };
    const ups = upsScp(options);
    // The watcher's own association proposes no Event class.
    const p = await pair(withUps(ae('UPS-SCP'), 'supported'), ups.handlers, ae('WATCHER').addRequestedContext(UpsClass.push).addRequestedContext(UpsClass.watch));
    await createUps(p.scu, '1.9.1', scheduled);
    await subscribeUps(p.scu, '1.9.1', 'WATCHER');
    await subscribeUps(p.scu, '1.9.1', 'NOBODY');
    await until(() => events.length === 1 && failures.length === 1, 'report and failure');
    expect(events[0]).toMatchObject({ typeId: UpsEvent.stateReport, sopInstanceUid: '1.9.1', sopClassUid: UpsClass.push });
    expect(failures).toEqual(['NOBODY: unknown AE NOBODY']);
    await p.scu.release();
  });
});

describe('UPS over TCP (a served SCP)', () => {
  it('a watcher receives State Reports on its own association when another SCU changes the state', async () => {
    const ups = upsScp();
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
    const server = withUps(ae('UPS-SCP'), 'supported').serve(listener, ups.handlers);
    const connect = async (title: string, handlers = {}) =>
      withUps(ae(title), 'requested').associate(await connectTcp({ host: '127.0.0.1', port: listener.port }), { calledAeTitle: 'UPS-SCP', handlers });
    try {
      const events: NRequest[] = [];
      const watcher = await connect('WATCHER', { nEventReport: (r: NRequest) => (events.push(r), { status: 0 }) });
      const performer = await connect('PERFORMER');
      await createUps(performer, '1.10.1', scheduled);
      expect((await subscribeUps(watcher, '1.10.1', 'WATCHER')).status).toBe(0);
      expect((await changeUpsState(performer, '1.10.1', 'IN PROGRESS', '5.5')).status).toBe(0);
      await updateUps(performer, '1.10.1', performed, '5.5');
      expect((await changeUpsState(performer, '1.10.1', 'COMPLETED', '5.5')).status).toBe(0);
      await until(() => events.length === 3, 'three reports');
      expect(events.map((e) => e.dataset?.ProcedureStepState)).toEqual(['SCHEDULED', 'IN PROGRESS', 'COMPLETED']);
      await Promise.all([watcher.release(), performer.release()]);
    } finally {
      await server.close({ force: true });
    }
  });
});
