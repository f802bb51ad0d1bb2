/**
 * Unified Procedure Step (PS3.4 Annex CC): SOP classes, action and event types, and SCU helpers
 * for the N-ACTIONs (change state, request cancel, subscribe / unsubscribe).
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

/** The well-known instances to subscribe to every UPS (PS3.4 CC.3.1, PS3.6 Table A-1). */
export const UPS_GLOBAL_SUBSCRIPTION = '1.2.840.10008.5.1.4.34.5';
export const UPS_FILTERED_GLOBAL_SUBSCRIPTION = '1.2.840.10008.5.1.4.34.5.1';

/** N-ACTION Action Type IDs (PS3.4 CC.2.2, CC.2.3, CC.2.6). */
export const UpsAction = { changeState: 1, requestCancel: 2, subscribe: 3, unsubscribe: 4, suspendGlobal: 5 } as const;

/** N-EVENT-REPORT Event Type IDs (PS3.4 CC.2.4). */
export const UpsEvent = { stateReport: 1, cancelRequested: 2, progressReport: 3, scpStatusChange: 4, assigned: 5 } as const;

/** SCU: Change UPS State (Pull, action 1) to IN PROGRESS / COMPLETED / CANCELED with the Transaction UID. */
export function changeUpsState(association: Association, uid: string, state: 'IN PROGRESS' | 'COMPLETED' | 'CANCELED', transactionUid: string, options?: NCallOptions): Promise<NResult> {
  return association.nAction(UpsClass.pull, uid, UpsAction.changeState, { ProcedureStepState: state, TransactionUID: transactionUid }, options);
}

/** SCU: Request UPS Cancel (Push by default, or Watch; action 2). */
export function requestUpsCancel(association: Association, uid: string, information: Dataset = {}, options: NCallOptions & { sopClass?: string } = {}): Promise<NResult> {
  return association.nAction(options.sopClass ?? UpsClass.push, uid, UpsAction.requestCancel, information, options);
}

/**
 * SCU: subscribe `aeTitle` to one UPS or to all ('global') (Watch, action 3). Events arrive as
 * N-EVENT-REPORTs on UpsClass.event: on this association when it proposed that class and runs
 * `handlers`, otherwise on associations the SCP opens to `aeTitle`.
 */
export function subscribeUps(association: Association, uid: string | 'global', aeTitle: string, options: NCallOptions & { deletionLock?: boolean } = {}): Promise<NResult> {
  return association.nAction(UpsClass.watch, uid === 'global' ? UPS_GLOBAL_SUBSCRIPTION : uid, UpsAction.subscribe, {
    ReceivingAE: aeTitle,
    DeletionLock: options.deletionLock ? 'TRUE' : 'FALSE',
  }, options);
}

/** SCU: unsubscribe from one UPS or from all ('global') (Watch, action 4). */
export function unsubscribeUps(association: Association, uid: string | 'global', aeTitle: string, options?: NCallOptions): Promise<NResult> {
  return association.nAction(UpsClass.watch, uid === 'global' ? UPS_GLOBAL_SUBSCRIPTION : uid, UpsAction.unsubscribe, { ReceivingAE: aeTitle }, options);
}
