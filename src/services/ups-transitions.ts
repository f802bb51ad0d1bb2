/**
 * The UPS state transition table for Change UPS State (PS3.4 Table CC.1.1-2) as a pure function:
 * given the current state, the recorded Transaction UID and the request, the status to answer.
 */
import { UpsStatus } from './ups-status';

/** Procedure Step State (0074,1000) values. */
export type UpsState = 'SCHEDULED' | 'IN PROGRESS' | 'COMPLETED' | 'CANCELED';

/**
 * What a Change UPS State request leads to: `to` when allowed (for COMPLETED / CANCELED only once
 * the Final State requirements are met, else C304); otherwise a refusal, or a warning that
 * changes nothing (B304, B306).
 */
export interface ChangeDecision {
  readonly status: number;
  readonly to?: UpsState;
  readonly errorComment?: string;
}

/**
 * Table CC.1.1-2: SCHEDULED is never a target (C303); without the correct Transaction UID
 * (any UID for a SCHEDULED UPS, the recorded one otherwise) C301; then by current state:
 * IN PROGRESS from SCHEDULED, else C302 / C300; COMPLETED and CANCELED only from IN PROGRESS
 * (SCHEDULED C310), a repeat is a warning (B306 / B304), the other final state C300. `bySCP`:
 * the SCP itself is the performer (CC.2.1.3) and has no Transaction UID to get wrong.
 */
export function decideChange(from: UpsState, recordedUid: string | undefined, to: string, transactionUid: string | undefined, bySCP = false): ChangeDecision {
  if (to === 'SCHEDULED') return { status: UpsStatus.scheduledOnlyByCreate };
  if (to !== 'IN PROGRESS' && to !== 'COMPLETED' && to !== 'CANCELED') {
    // Invalid argument value (PS3.7 C.5.11): not a state one may ask for.
    return { status: 0x0115, errorComment: `Procedure Step State "${to}" is not IN PROGRESS, COMPLETED or CANCELED` };
  }
  const correct = from === 'SCHEDULED' ? Boolean(transactionUid) : transactionUid !== undefined && transactionUid === recordedUid;
  if (!correct && !bySCP) return { status: UpsStatus.wrongTransactionUid };
  if (to === 'IN PROGRESS') {
    if (from === 'SCHEDULED') return { status: 0, to };
    return { status: from === 'IN PROGRESS' ? UpsStatus.alreadyInProgress : UpsStatus.mayNoLongerBeUpdated };
  }
  if (from === 'IN PROGRESS') return { status: 0, to };
  if (from === 'SCHEDULED') return { status: UpsStatus.notInProgress };
  if (from === to) return { status: to === 'COMPLETED' ? UpsStatus.alreadyCompleted : UpsStatus.alreadyCanceled };
  return { status: UpsStatus.mayNoLongerBeUpdated };
}
