/**
 * Unified Procedure Step (PS3.4 Annex CC): SOP classes, action and event types, and SCU helpers.
 * Every UPS is an instance of the UPS Push SOP Class, so the requests name that class while they
 * travel on the presentation context of the class that defines the operation (CC.3.1): N-SET and
 * Change State on UPS Pull, (un)subscribe on UPS Watch, Request Cancel on UPS Push (or Watch).
 */
import type { Association } from '../association';
import type { NCallOptions, NResult } from '../scu/n-services';
import type { Dataset } from '../scu/types';

/** UPS SOP classes (PS3.4 CC.3.1). */
export const UpsClass = {
  push: '1.2.840.10008.5.1.4.34.6.1',
  watch: '1.2.840.10008.5.1.4.34.6.2',
  pull: '1.2.840.10008.5.1.4.34.6.3',
  event: '1.2.840.10008.5.1.4.34.6.4',
  query: '1.2.840.10008.5.1.4.34.6.5',
} as const;

/** The well-known instance to subscribe to every UPS (PS3.4 CC.3.1, PS3.6 Table A-1). */
export const UPS_GLOBAL_SUBSCRIPTION = '1.2.840.10008.5.1.4.34.5';
/** The well-known instance of a Filtered Global Subscription: every UPS that matches the keys (CC.2.3.3.1). */
export const UPS_FILTERED_GLOBAL_SUBSCRIPTION = '1.2.840.10008.5.1.4.34.5.1';

/** N-ACTION Action Type IDs (PS3.4 CC.2.1, CC.2.2, CC.2.3). */
export const UpsAction = { changeState: 1, requestCancel: 2, subscribe: 3, unsubscribe: 4, suspendGlobal: 5 } as const;

/** N-EVENT-REPORT Event Type IDs (PS3.4 CC.2.4). */
export const UpsEvent = { stateReport: 1, cancelRequested: 2, progressReport: 3, scpStatusChange: 4, assigned: 5 } as const;

/** SCU: create a SCHEDULED UPS (Push, N-CREATE); without `uid` the SCP assigns one (see `sopInstanceUid`). */
export function createUps(association: Association, uid: string | undefined, attributes: Dataset, options?: NCallOptions): Promise<NResult> {
  return association.nCreate(UpsClass.push, uid, { ProcedureStepState: 'SCHEDULED', ...attributes }, options);
}

/**
 * SCU: set attributes of a UPS (Pull, N-SET). An IN PROGRESS UPS needs the Transaction UID the
 * performer chose; a SCHEDULED one must not get one (CC.2.6.2).
 */
export function updateUps(association: Association, uid: string, modifications: Dataset, transactionUid?: string, options?: NCallOptions): Promise<NResult> {
  const data = transactionUid === undefined ? modifications : { ...modifications, TransactionUID: transactionUid };
  return association.nSet(UpsClass.push, uid, data, { context: UpsClass.pull, ...options });
}

/** SCU: read a UPS (N-GET on UPS Pull by default; `context` for Push or Watch). Never returns the Transaction UID. */
export function getUps(association: Association, uid: string, attributes: number[] = [], options?: NCallOptions): Promise<NResult> {
  return association.nGet(UpsClass.push, uid, attributes, { context: UpsClass.pull, ...options });
}

/** SCU: Change UPS State (Pull, action 1) to IN PROGRESS / COMPLETED / CANCELED with the Transaction UID. */
export function changeUpsState(association: Association, uid: string, state: 'IN PROGRESS' | 'COMPLETED' | 'CANCELED', transactionUid: string, options?: NCallOptions): Promise<NResult> {
  return association.nAction(UpsClass.push, uid, UpsAction.changeState, { ProcedureStepState: state, TransactionUID: transactionUid }, { context: UpsClass.pull, ...options });
}

/**
 * SCU: Request UPS Cancel (action 2) with an optional Reason For Cancellation, Procedure Step
 * Discontinuation Reason Code Sequence, Contact URI / Display Name. On UPS Push by default, or
 * on UPS Watch (`sopClass`). Success means the request was accepted, not that the UPS was canceled.
 */
export function requestUpsCancel(association: Association, uid: string, information: Dataset = {}, options: NCallOptions & { sopClass?: string } = {}): Promise<NResult> {
  const { sopClass, ...call } = options;
  return association.nAction(UpsClass.push, uid, UpsAction.requestCancel, information, { context: sopClass ?? UpsClass.push, ...call });
}

/** Options of a subscription. */
export interface UpsSubscribeOptions extends NCallOptions {
  /** Keep COMPLETED / CANCELED instances until this subscriber lets go (PS3.4 CC.2.3.2). */
  deletionLock?: boolean;
  /** With `'global'`: a Filtered Global Subscription to the UPSs matching these C-FIND keys. */
  matchingKeys?: Dataset;
}

/**
 * SCU: subscribe `aeTitle` to one UPS or to all ('global', filtered with `matchingKeys`) (Watch,
 * action 3). Events arrive as N-EVENT-REPORTs on the UPS Event SOP Class: on an open association
 * that `aeTitle` proposed that class on (with its `handlers`), otherwise on associations the SCP opens.
 */
export function subscribeUps(association: Association, uid: string | 'global', aeTitle: string, options: UpsSubscribeOptions = {}): Promise<NResult> {
  const { deletionLock, matchingKeys, ...call } = options;
  const target = uid !== 'global' ? uid : matchingKeys ? UPS_FILTERED_GLOBAL_SUBSCRIPTION : UPS_GLOBAL_SUBSCRIPTION;
  return association.nAction(UpsClass.push, target, UpsAction.subscribe, {
    ...matchingKeys,
    ReceivingAE: aeTitle,
    DeletionLock: deletionLock ? 'TRUE' : 'FALSE',
  }, { context: UpsClass.watch, ...call });
}

/** SCU: unsubscribe from one UPS, or from all ('global': every subscription and lock of `aeTitle` ends) (Watch, action 4). */
export function unsubscribeUps(association: Association, uid: string | 'global', aeTitle: string, options?: NCallOptions): Promise<NResult> {
  return association.nAction(UpsClass.push, uid === 'global' ? UPS_GLOBAL_SUBSCRIPTION : uid, UpsAction.unsubscribe, { ReceivingAE: aeTitle }, { context: UpsClass.watch, ...options });
}

/** SCU: Suspend Global Subscription (Watch, action 5): no new UPSs, existing subscriptions stay. */
export function suspendUpsGlobalSubscription(association: Association, aeTitle: string, options?: NCallOptions): Promise<NResult> {
  return association.nAction(UpsClass.push, UPS_GLOBAL_SUBSCRIPTION, UpsAction.suspendGlobal, { ReceivingAE: aeTitle }, { context: UpsClass.watch, ...options });
}
