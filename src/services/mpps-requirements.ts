/**
 * The columns of PS3.4 Table F.7.2-1 an MPPS SCP checks: what an N-CREATE must hold (Type 1),
 * what an N-SET may not touch ("Not allowed"), and what an MPPS must hold when its Performed
 * Procedure Step Status is set to COMPLETED or DISCONTINUED (the Final State column, F.7.2.2.2).
 */
import { type AttributeRequirement, type CodeMacro, codeItems, value } from './procedure-step-requirements';

const SERIES = 'PerformedSeriesSequence';
const SCHEDULED = 'ScheduledStepAttributesSequence';

/**
 * The Code Value Macros of Table F.7.2-1 (Tables F.7.2-1a to -1f) include the Enhanced macros of
 * PS3.4 chapter 8, whose Equivalent Code Sequence items carry the Simple one: checked too.
 */
const MANDATORY_MEANING: CodeMacro = { meaning: 'mandatory', equivalent: true };
const OPTIONAL_MEANING: CodeMacro = { meaning: 'optional', equivalent: true };

/**
 * Type 1 (1/1) in the N-CREATE column: the top-level attributes, at least one Scheduled Step
 * Attributes item with its Study Instance UID, and the Type 1 attributes of the items of the
 * sequences an N-CREATE may send (F.7.2.1.2: "Sequence Item Attributes shall not be created at
 * zero length"), code sequence items included (a sequence sent empty or left out has no item to
 * check). The default of mppsScp's `create`.
 */
export const MPPS_CREATE_REQUIRED: readonly AttributeRequirement[] = [
  value(SCHEDULED),
  value(SCHEDULED, 'StudyInstanceUID'),
  value(SCHEDULED, 'ReferencedStudySequence', 'ReferencedSOPClassUID'),
  value(SCHEDULED, 'ReferencedStudySequence', 'ReferencedSOPInstanceUID'),
  value('ReferencedPatientSequence', 'ReferencedSOPClassUID'),
  value('ReferencedPatientSequence', 'ReferencedSOPInstanceUID'),
  value('PerformedProcedureStepID'),
  value('PerformedStationAETitle'),
  value('PerformedProcedureStepStartDate'),
  value('PerformedProcedureStepStartTime'),
  value('PerformedProcedureStepStatus'),
  value('Modality'),
  value(SERIES, 'ProtocolName'),
  value(SERIES, 'SeriesInstanceUID'),
  value(SERIES, 'ReferencedImageSequence', 'ReferencedSOPClassUID'),
  value(SERIES, 'ReferencedImageSequence', 'ReferencedSOPInstanceUID'),
  value(SERIES, 'ReferencedNonImageCompositeSOPInstanceSequence', 'ReferencedSOPClassUID'),
  value(SERIES, 'ReferencedNonImageCompositeSOPInstanceSequence', 'ReferencedSOPInstanceUID'),
  // The code sequences of the table with the macro each includes (-1a no N-SET, -1c / -1e with N-SET).
  ...codeItems([SCHEDULED, 'RequestedProcedureCodeSequence'], MANDATORY_MEANING),
  ...codeItems([SCHEDULED, 'ScheduledProtocolCodeSequence'], MANDATORY_MEANING),
  ...codeItems(['ProcedureCodeSequence'], OPTIONAL_MEANING),
  ...codeItems(['ReasonForPerformedProcedureCodeSequence'], MANDATORY_MEANING),
  ...codeItems(['PerformedProcedureStepDiscontinuationReasonCodeSequence'], MANDATORY_MEANING),
  ...codeItems(['PerformedProtocolCodeSequence'], OPTIONAL_MEANING),
];

/**
 * Top-level attributes "Not allowed" in the N-SET column: the scheduling relationship, patient
 * and visit identification, where and when the step started, Modality and Study ID. Only the SCP
 * may correct them, after the step is final (F.7.2.2.3 note 1).
 */
export const MPPS_SET_NOT_ALLOWED: readonly string[] = [
  SCHEDULED,
  'PatientName',
  'PatientID',
  'IssuerOfPatientID',
  'IssuerOfPatientIDQualifiersSequence',
  'OtherPatientIDsSequence',
  'PatientBirthDate',
  'PatientSex',
  'ReferencedPatientSequence',
  'AdmissionID',
  'IssuerOfAdmissionIDSequence',
  'ServiceEpisodeID',
  'IssuerOfServiceEpisodeIDSequence',
  'ServiceEpisodeDescription',
  'PerformedProcedureStepID',
  'PerformedStationAETitle',
  'PerformedStationName',
  'PerformedLocation',
  'PerformedProcedureStepStartDate',
  'PerformedProcedureStepStartTime',
  'Modality',
  'StudyID',
];

/**
 * Type 1 at the final state: End Date and Time, at least one Performed Series Sequence item
 * (note 2: a series exists for every step, even one without instances), each with Protocol Name
 * and Series Instance UID. The default of mppsScp.
 */
export const MPPS_FINAL_STATE: readonly AttributeRequirement[] = [
  value('PerformedProcedureStepEndDate'),
  value('PerformedProcedureStepEndTime'),
  value(SERIES),
  value(SERIES, 'ProtocolName'),
  value(SERIES, 'SeriesInstanceUID'),
];

/**
 * Type 2 at the final state (present, may be empty) in each Performed Series Sequence item. Not
 * checked by default; pass `[...MPPS_FINAL_STATE, ...MPPS_FINAL_STATE_TYPE2]` for the strict table.
 */
export const MPPS_FINAL_STATE_TYPE2: readonly AttributeRequirement[] = [
  'PerformingPhysicianName',
  'OperatorsName',
  'SeriesDescription',
  'RetrieveAETitle',
  'ReferencedImageSequence',
  'ReferencedNonImageCompositeSOPInstanceSequence',
].map((k) => ({ path: [SERIES, k], need: 'present' as const }));
