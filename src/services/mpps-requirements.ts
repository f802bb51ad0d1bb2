/**
 * The Final State column of PS3.4 Table F.7.2-1: what an MPPS must hold when its Performed
 * Procedure Step Status is set to COMPLETED or DISCONTINUED (F.7.2.2.2).
 */
import type { AttributeRequirement } from './procedure-step-requirements';

const SERIES = 'PerformedSeriesSequence';

/**
 * Type 1 at the final state: End Date and Time, at least one Performed Series Sequence item
 * (note 2: a series exists for every step, even one without instances), each with Protocol Name
 * and Series Instance UID. The default of mppsScp.
 */
export const MPPS_FINAL_STATE: readonly AttributeRequirement[] = [
  { path: ['PerformedProcedureStepEndDate'], need: 'value' },
  { path: ['PerformedProcedureStepEndTime'], need: 'value' },
  { path: [SERIES], need: 'value' },
  { path: [SERIES, 'ProtocolName'], need: 'value' },
  { path: [SERIES, 'SeriesInstanceUID'], need: 'value' },
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
