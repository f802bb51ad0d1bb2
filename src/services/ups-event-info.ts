/**
 * Event Information of the UPS N-EVENT-REPORTs (PS3.4 Table CC.2.4-1), built from a UPS instance.
 */
import type { Dataset } from '../scu/types';
import { hasValue } from './procedure-step-requirements';

/** Event type 1: Procedure Step State and Input Readiness State; the cancellation reason when CANCELED. */
export function stateReportInfo(instance: Dataset): Dataset {
  const info: Dataset = {
    ProcedureStepState: instance.ProcedureStepState,
    InputReadinessState: instance.InputReadinessState ?? 'READY',
  };
  if (instance.ProcedureStepState === 'CANCELED') {
    const progress = progressItem(instance);
    copyValued(progress, info, ['ReasonForCancellation', 'ProcedureStepDiscontinuationReasonCodeSequence']);
  }
  return info;
}

/** Event type 2: who asked (the requesting SCU's AE title) and why, as given in the N-ACTION. */
export function cancelRequestedInfo(request: Dataset, requestingAe: string): Dataset {
  const info: Dataset = { RequestingAE: requestingAe };
  copyValued(request, info, ['ReasonForCancellation', 'ProcedureStepDiscontinuationReasonCodeSequence', 'ContactURI', 'ContactDisplayName']);
  return info;
}

/** Event type 3: the current Procedure Step Progress Information Sequence. */
export function progressReportInfo(instance: Dataset): Dataset {
  return { ProcedureStepProgressInformationSequence: instance.ProcedureStepProgressInformationSequence ?? [] };
}

/** Event type 4: SCP Status Change (PS3.4 CC.2.4.3). */
export function scpStatusInfo(status: 'RESTARTED' | 'GOING DOWN', subscriptionList = 'WARM START', upsList = 'WARM START'): Dataset {
  return status === 'GOING DOWN'
    ? { SCPStatus: status }
    : { SCPStatus: status, SubscriptionListStatus: subscriptionList, UnifiedProcedureStepListStatus: upsList };
}

/**
 * Event type 5 (UPS Assigned): one report per scheduled human performer (Human Performer Code
 * Sequence and Organization), each with the Scheduled Station Name Code Sequence when populated;
 * a single station-only report when no performer is scheduled; none when neither is populated.
 */
export function assignedInfos(instance: Dataset): Dataset[] {
  const station: Dataset = {};
  copyValued(instance, station, ['ScheduledStationNameCodeSequence']);
  const performers = Array.isArray(instance.ScheduledHumanPerformersSequence) ? (instance.ScheduledHumanPerformersSequence as Dataset[]) : [];
  const withPerformer = performers.filter(hasValue).map((p) => {
    const info: Dataset = { ...station };
    copyValued(p, info, ['HumanPerformerCodeSequence', 'HumanPerformerOrganization']);
    return info;
  });
  if (withPerformer.length > 0) return withPerformer;
  return hasValue(station.ScheduledStationNameCodeSequence) ? [station] : [];
}

/** The first (only) item of the Procedure Step Progress Information Sequence, or an empty one. */
export function progressItem(instance: Dataset): Dataset {
  const seq = instance.ProcedureStepProgressInformationSequence;
  return Array.isArray(seq) && seq[0] && typeof seq[0] === 'object' ? (seq[0] as Dataset) : {};
}

function copyValued(from: Dataset, to: Dataset, keys: readonly string[]): void {
  for (const k of keys) if (hasValue(from[k])) to[k] = from[k];
}
