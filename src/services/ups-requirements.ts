/**
 * What PS3.4 Table CC.2.5-3 requires of a UPS instance: the Type 1 attributes of an N-CREATE and
 * the Final State requirements (CC.2.5.1.1) checked before the state becomes COMPLETED or
 * CANCELED. Codes: R both final states, P only COMPLETED, X only CANCELED.
 */
import type { Dataset } from '../scu/types';
import { type AttributeRequirement, hasValue, unmetRequirements } from './procedure-step-requirements';

/** A Final State requirement of Table CC.2.5-3 (RC conditions are not evaluated). */
export interface UpsFinalStateRequirement extends AttributeRequirement {
  readonly code: 'R' | 'P' | 'X';
}

/** Attributes the N-CREATE SCU must send with a value (Type 1/1 in Table CC.2.5-3). */
export const UPS_CREATE_REQUIRED: readonly string[] = [
  'ScheduledProcedureStepPriority',
  'ProcedureStepLabel',
  'ScheduledProcedureStepStartDateTime',
  'InputReadinessState',
];

/** Enumerated values the SCP checks (PS3.3 C.30.2). */
export const UPS_ENUMERATED: Readonly<Record<string, readonly string[]>> = {
  ScheduledProcedureStepPriority: ['HIGH', 'MEDIUM', 'LOW'],
  InputReadinessState: ['READY', 'UNAVAILABLE', 'INCOMPLETE'],
};

const R = (...path: string[]): UpsFinalStateRequirement => ({ path, need: 'value', code: 'R' });
const PERFORMED = 'UnifiedProcedureStepPerformedProcedureSequence';
const PROGRESS = 'ProcedureStepProgressInformationSequence';

/**
 * The Final State requirements checked by default: R, P and X rows of Table CC.2.5-3. The Output
 * Information Sequence must be present but may be empty (a step may produce nothing).
 */
export const UPS_FINAL_STATE: readonly UpsFinalStateRequirement[] = [
  R('SOPClassUID'),
  R('SOPInstanceUID'),
  R('ScheduledProcedureStepPriority'),
  R('ScheduledProcedureStepModificationDateTime'),
  R('ScheduledProcedureStepStartDateTime'),
  R('InputReadinessState'),
  R('ProcedureStepState'),
  { path: [PERFORMED], need: 'value', code: 'P' },
  { path: [PERFORMED, 'PerformedStationNameCodeSequence'], need: 'value', code: 'P' },
  { path: [PERFORMED, 'PerformedProcedureStepStartDateTime'], need: 'value', code: 'P' },
  { path: [PERFORMED, 'PerformedWorkitemCodeSequence'], need: 'value', code: 'P' },
  { path: [PERFORMED, 'PerformedProcedureStepEndDateTime'], need: 'value', code: 'P' },
  { path: [PERFORMED, 'OutputInformationSequence'], need: 'present', code: 'P' },
  { path: [PROGRESS], need: 'value', code: 'X' },
  { path: [PROGRESS, 'ProcedureStepCancellationDateTime'], need: 'value', code: 'X' },
  { path: [PROGRESS, 'ProcedureStepDiscontinuationReasonCodeSequence'], need: 'value', code: 'X' },
];

/** The requirements of `requirements` that `instance` does not meet for the final state `to`. */
export function unmetFinalState(
  instance: Dataset,
  to: 'COMPLETED' | 'CANCELED',
  requirements: readonly UpsFinalStateRequirement[] = UPS_FINAL_STATE,
): UpsFinalStateRequirement[] {
  const applies = requirements.filter((r) => r.code === 'R' || (r.code === 'P' ? to === 'COMPLETED' : to === 'CANCELED'));
  return unmetRequirements(instance, applies) as UpsFinalStateRequirement[];
}

/** N-CREATE attribute problems: Type 1 attributes missing (0x0120) or empty (0x0121), bad enumerated values (0x0106). */
export function createProblems(attributes: Dataset): { status: number; keywords: string[] } | undefined {
  const missing = UPS_CREATE_REQUIRED.filter((k) => !(k in attributes));
  if (missing.length > 0) return { status: 0x0120, keywords: missing };
  const empty = UPS_CREATE_REQUIRED.filter((k) => !hasValue(attributes[k]));
  if (empty.length > 0) return { status: 0x0121, keywords: empty };
  const invalid = invalidEnumerated(attributes);
  return invalid.length > 0 ? { status: 0x0106, keywords: invalid } : undefined;
}

/** Keywords of `attributes` whose value is not one of its enumerated values. */
export function invalidEnumerated(attributes: Dataset): string[] {
  return Object.entries(UPS_ENUMERATED)
    .filter(([k, allowed]) => hasValue(attributes[k]) && !allowed.includes(String(first(attributes[k])).trim()))
    .map(([k]) => k);
}

const first = (v: unknown) => (Array.isArray(v) ? v[0] : v);
