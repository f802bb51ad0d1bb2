/**
 * What PS3.4 Table CC.2.5-3 requires of a UPS instance: the Type 1 attributes of an N-CREATE, the
 * attributes an N-SET may not touch ("Not allowed"), and the Final State requirements (CC.2.5.1.1)
 * checked before the state becomes COMPLETED or CANCELED. Codes: R both final states, P only
 * COMPLETED, X only CANCELED.
 */
import type { Dataset } from '../scu/types';
import { type AttributeRequirement, type CodeMacro, codeItems, hasValue, missingAttributes, unmetRequirements, value } from './procedure-step-requirements';

/** A Final State requirement of Table CC.2.5-3 (RC conditions are not evaluated). */
export interface UpsFinalStateRequirement extends AttributeRequirement {
  readonly code: 'R' | 'P' | 'X';
}

/** The UPS Code Sequence Macro (Table CC.2.5-2a): Code Meaning 1/1, no Equivalent Code Sequence. */
const UPS_CODE: CodeMacro = { meaning: 'mandatory', equivalent: false };
const QUALIFIERS = 'IssuerOfPatientIDQualifiersSequence';
const PARAMETERS = 'ScheduledProcessingParametersSequence';

/**
 * What the N-CREATE SCU must send with a value (Type 1 in the N-CREATE column of Table CC.2.5-3):
 * the top-level attributes, and the rows of the UPS Code Sequence Macro (Table CC.2.5-2a) in the
 * items of each code sequence an N-CREATE may send that includes it, directly or through the Issuer
 * of Patient ID Macro (CC.2.5-2e) or the Content Item Macro (CC.2.5-2b). A code sequence sent empty
 * or left out has no item to check. Procedure Step State (1/1) is checked apart (C309 for a value
 * other than SCHEDULED). Other Type 1 rows inside sequence items are not checked.
 */
export const UPS_CREATE_REQUIRED: readonly AttributeRequirement[] = [
  value('ScheduledProcedureStepPriority'),
  value('ProcedureStepLabel'),
  value('ScheduledProcedureStepStartDateTime'),
  value('InputReadinessState'),
  // Unified Procedure Step Scheduled Procedure Information Module.
  ...codeItems([PARAMETERS, 'ConceptNameCodeSequence'], UPS_CODE),
  ...codeItems([PARAMETERS, 'ConceptCodeSequence'], UPS_CODE),
  ...codeItems([PARAMETERS, 'MeasurementUnitsCodeSequence'], UPS_CODE),
  ...codeItems(['ScheduledStationNameCodeSequence'], UPS_CODE),
  ...codeItems(['ScheduledStationClassCodeSequence'], UPS_CODE),
  ...codeItems(['ScheduledStationGeographicLocationCodeSequence'], UPS_CODE),
  ...codeItems(['ScheduledHumanPerformersSequence', 'HumanPerformerCodeSequence'], UPS_CODE),
  ...codeItems(['ScheduledWorkitemCodeSequence'], UPS_CODE),
  // Unified Procedure Step Relationship Module (the Issuer of Patient ID Macro at the top level and in Other Patient IDs items).
  ...codeItems([QUALIFIERS, 'AssigningJurisdictionCodeSequence'], UPS_CODE),
  ...codeItems([QUALIFIERS, 'AssigningAgencyOrDepartmentCodeSequence'], UPS_CODE),
  ...codeItems(['OtherPatientIDsSequence', QUALIFIERS, 'AssigningJurisdictionCodeSequence'], UPS_CODE),
  ...codeItems(['OtherPatientIDsSequence', QUALIFIERS, 'AssigningAgencyOrDepartmentCodeSequence'], UPS_CODE),
  ...codeItems(['AdmittingDiagnosesCodeSequence'], UPS_CODE),
  ...codeItems(['ReferencedRequestSequence', 'RequestedProcedureCodeSequence'], UPS_CODE),
  ...codeItems(['ReferencedRequestSequence', 'ReasonForRequestedProcedureCodeSequence'], UPS_CODE),
  ...codeItems(['ReferencedRequestSequence', 'RequestingServiceCodeSequence'], UPS_CODE),
];

/**
 * Top-level attributes "Not allowed" in the N-SET column: who and what the step is for (the
 * Unified Procedure Step Relationship Module: patient, Issuer of Patient ID macro, admission,
 * admitting diagnoses, the requests it serves, the step it replaces). Only the SCP may correct them
 * (CC.2.6.3); an SCU re-creates the UPS instead (the table's remark on Referenced Request Sequence).
 *
 * The other "Not allowed" rows are checked elsewhere or are not top-level rows:
 * - SOP Class / Instance UID: refused only when they name another instance (identityRefusal);
 *   the UPS's own UIDs repeated are harmless, as for MPPS.
 * - Procedure Step State: C303 for SCHEDULED, else 0x0106; the state changes by N-ACTION (CC.2.6.2).
 * - Transaction UID: its N-SET row refers to CC.2.6.3 and depends on the state: absent on a
 *   SCHEDULED UPS (else C310), the recorded one on an IN PROGRESS UPS (else C301); it is the lock
 *   and never stored as an attribute.
 * - Scheduled Procedure Step Modification DateTime is -/1 ("SCP shall use time of SET"), not
 *   "Not allowed": a value the SCU sends is kept, else the SCP sets it.
 * - Rows inside sequences: those of the sequences above go with them. Nested rows under a
 *   sequence an N-SET may replace are not checked: the Issuer of Patient ID macro inside Other
 *   Patient IDs Sequence (itself 3/3). (The items of the Performed Procedure and Progress
 *   Information sequences are "Not Allowed" in the N-CREATE column only.)
 * dcm4chee-arc's UPS N-SET definition also refuses Other Patient IDs Sequence; the table does not.
 */
export const UPS_SET_NOT_ALLOWED: readonly string[] = [
  'PatientName',
  'PatientID',
  'IssuerOfPatientID',
  'IssuerOfPatientIDQualifiersSequence',
  'PatientBirthDate',
  'PatientSex',
  'AdmissionID',
  'IssuerOfAdmissionIDSequence',
  'AdmittingDiagnosesDescription',
  'AdmittingDiagnosesCodeSequence',
  'ReferencedRequestSequence',
  'ReplacedProcedureStepSequence',
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

/**
 * N-CREATE attribute problems: Type 1 attributes of {@link UPS_CREATE_REQUIRED} absent (0x0120),
 * else present without a value (0x0121), else bad enumerated values (0x0106). `keywords` names
 * them: a keyword, or the keywords from the top level down joined by `>` for an attribute inside
 * sequence items (`ScheduledWorkitemCodeSequence>CodeMeaning`).
 */
export function createProblems(attributes: Dataset): { status: number; keywords: string[] } | undefined {
  const missing = missingAttributes(attributes, UPS_CREATE_REQUIRED);
  if (missing) return { status: missing.status, keywords: missing.unmet.map((r) => r.path.join('>')) };
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
