/**
 * Application Event Logging Service Class (PS3.4 Annex P): the SCU asks the SCP, with N-ACTION
 * on a well-known instance, to log an event. Two SOP classes: Procedural Event Logging (P.2,
 * events for a study's Procedure Log) and Substance Administration Logging (P.3, entries for the
 * patient's Medication Administration Record). SCP handler and SCU helpers.
 */
import type { Association } from '../association';
import type { NAnswer, NRequest, RequestContext, ScpHandlers, StatusResult } from '../scp/types';
import type { NCallOptions, NResult } from '../scu/n-services';
import type { Dataset } from '../scu/types';
import { stringValue } from './n-attributes';
import type { StatusMeanings } from './service-statuses';

/** Procedural Event Logging SOP Class (PS3.4 P.2). */
export const PROCEDURAL_EVENT_LOGGING_SOP_CLASS = '1.2.840.10008.1.40';
/** Its well-known SOP Instance, the Requested SOP Instance of every request (PS3.6 Table A-1). */
export const PROCEDURAL_EVENT_LOGGING_INSTANCE = '1.2.840.10008.1.40.1';
/** Substance Administration Logging SOP Class (PS3.4 P.3). */
export const SUBSTANCE_ADMINISTRATION_LOGGING_SOP_CLASS = '1.2.840.10008.1.42';
/** Its well-known SOP Instance (PS3.6 Table A-1). */
export const SUBSTANCE_ADMINISTRATION_LOGGING_INSTANCE = '1.2.840.10008.1.42.1';
/**
 * Action Type ID of both SOP classes' only action: Record Procedural Event (PS3.4 P.2.2.1,
 * Table P.2-2) and Record Substance Administration Event (PS3.4 P.3.2.1, Table P.3-2) are both 1.
 */
export const APPLICATION_EVENT_ACTION = 1;

/** The statuses PS3.4 P.2.2.4 (Table P.2-3) and P.3.2.4 (Table P.3-3) add to the N-ACTION ones of PS3.7. */
export const ApplicationEventLoggingStatus = {
  SynchronizationFrameMismatch: 0xb101,
  StudyInstanceUidCoerced: 0xb102,
  IdsInconsistentEventLogged: 0xb104,
  LoggingNotAvailableForStudy: 0xc101,
  EventDoesNotMatchTemplate: 0xc102,
  CannotMatchEventToStudy: 0xc103,
  IdsInconsistentNotLogged: 0xc104,
  OperatorNotAuthorized: 0xc10e,
  PatientNotIdentified: 0xc110,
  MarUpdateFailed: 0xc111,
} as const;

/** Meanings of {@link ApplicationEventLoggingStatus} (for `describeServiceStatus`). */
export const APPLICATION_EVENT_LOGGING_STATUS_MEANINGS: StatusMeanings = {
  0xb101: 'Warning: Synchronization Frame of Reference UID does not match the SCP’s',
  0xb102: 'Warning: Study Instance UID coerced; event logged under a different study',
  0xb104: 'Warning: IDs inconsistent in matching a current study; event logged',
  0xc101: 'Failure: Procedural logging not available for the specified Study Instance UID',
  0xc102: 'Failure: Event Information does not match the template',
  0xc103: 'Failure: Cannot match the event to a current study',
  0xc104: 'Failure: IDs inconsistent in matching a current study; event not logged',
  0xc10e: 'Failure: Operator not authorized to add an entry to the Medication Administration Record',
  0xc110: 'Failure: Patient cannot be identified from Patient ID or Admission ID',
  0xc111: 'Failure: Update of the Medication Administration Record failed',
};

/**
 * Type 2 attributes of the Record Procedural Event action (PS3.4 Table P.2-2): present, maybe
 * empty; the SCP uses them to match the event to a study.
 */
const PROCEDURAL_REQUIRED: ReadonlyArray<readonly [keyword: string, tag: number]> = [
  ['PatientID', 0x00100020],
  ['StudyInstanceUID', 0x0020000d],
  ['StudyID', 0x00200010],
  ['SynchronizationFrameOfReferenceUID', 0x00200200],
  ['PerformedLocation', 0x00400243],
];

/** What a logging callback answers: nothing (success), or a status (e.g. 0xC103, 0xB102). */
export type LoggingOutcome = void | StatusResult;

/**
 * Options of {@link applicationEventLoggingScp}: one callback per SOP class (PS3.4 P.2, P.3); a
 * request for a class without its callback is refused with 0x0118.
 */
export interface ApplicationEventLoggingScpOptions {
  /** Logs a procedural event (the N-ACTION's Action Information: study keys plus an SR content tree, TID 3001). */
  onProceduralEvent?(event: Dataset, ctx: RequestContext): LoggingOutcome | Promise<LoggingOutcome>;
  /** Logs a substance administration entry (Substance Administration Log Module, PS3.3 C.26.4). */
  onSubstanceAdministration?(entry: Dataset, ctx: RequestContext): LoggingOutcome | Promise<LoggingOutcome>;
}

const toAnswer = (outcome: LoggingOutcome): NAnswer =>
  outcome === undefined ? { status: 0x0000 } : typeof outcome === 'number' ? { status: outcome } : outcome;

/** Present in the data set, even empty (Type 2). */
const present = (ds: Dataset, keyword: string) => keyword in ds;
const nonEmpty = (ds: Dataset, keyword: string) => (stringValue(ds, keyword) ?? '').trim() !== '';

/**
 * SCP: the N-ACTION handler for both SOP classes (PS3.4 P.2.2.3, P.3.2.3). A class without its
 * callback is 0x0118; another instance than the well-known one 0x0112; another action 0x0123.
 * Procedural events: a missing Type 2 study key is 0x0120 naming it; Action Information that is
 * not one CONTAINER content item with content is 0xC102. Substance administration: neither
 * Patient ID nor Admission ID is 0xC110. Then the callback decides.
 */
export function applicationEventLoggingScp(options: ApplicationEventLoggingScpOptions): Pick<ScpHandlers, 'nAction'> {
  return {
    async nAction(request: NRequest, ctx: RequestContext) {
      const info = request.dataset ?? {};
      if (request.sopClassUid === PROCEDURAL_EVENT_LOGGING_SOP_CLASS && options.onProceduralEvent) {
        if (request.sopInstanceUid !== PROCEDURAL_EVENT_LOGGING_INSTANCE) return { status: 0x0112 };
        if (request.typeId !== APPLICATION_EVENT_ACTION) return { status: 0x0123 };
        const missing = PROCEDURAL_REQUIRED.filter(([k]) => !present(info, k)).map(([, tag]) => tag);
        if (missing.length > 0) return { status: 0x0120, offendingElement: missing };
        // The event record is one top-level CONTAINER with subsidiary items (PS3.4 P.2.2.1.3).
        const content = info.ContentSequence;
        if (stringValue(info, 'ValueType') !== 'CONTAINER' || !Array.isArray(content) || content.length === 0) {
          return { status: ApplicationEventLoggingStatus.EventDoesNotMatchTemplate };
        }
        return toAnswer(await options.onProceduralEvent(info, ctx));
      }
      if (request.sopClassUid === SUBSTANCE_ADMINISTRATION_LOGGING_SOP_CLASS && options.onSubstanceAdministration) {
        if (request.sopInstanceUid !== SUBSTANCE_ADMINISTRATION_LOGGING_INSTANCE) return { status: 0x0112 };
        if (request.typeId !== APPLICATION_EVENT_ACTION) return { status: 0x0123 };
        // The entry is related to the MAR by Patient ID or Admission ID (PS3.4 P.3).
        if (!nonEmpty(info, 'PatientID') && !nonEmpty(info, 'AdmissionID')) {
          return { status: ApplicationEventLoggingStatus.PatientNotIdentified };
        }
        return toAnswer(await options.onSubstanceAdministration(info, ctx));
      }
      return { status: 0x0118 };
    },
  };
}

/**
 * SCU: asks the SCP to record a procedural event (N-ACTION Record Procedural Event, PS3.4
 * P.2.2). `event` holds Patient ID, Study Instance UID, Study ID, Synchronization Frame of
 * Reference UID and Performed Location (empty when unknown) and the SR content (TID 3001).
 */
export function logProceduralEvent(association: Association, event: Dataset, options?: NCallOptions): Promise<NResult> {
  return association.nAction(PROCEDURAL_EVENT_LOGGING_SOP_CLASS, PROCEDURAL_EVENT_LOGGING_INSTANCE, APPLICATION_EVENT_ACTION, event, options);
}

/**
 * SCU: asks the SCP to record a substance administration in the Medication Administration
 * Record (N-ACTION, PS3.4 P.3.2). `entry` holds the Substance Administration Log Module
 * (Patient ID or Admission ID, product, route, Operator Identification Sequence...).
 */
export function logSubstanceAdministration(association: Association, entry: Dataset, options?: NCallOptions): Promise<NResult> {
  return association.nAction(SUBSTANCE_ADMINISTRATION_LOGGING_SOP_CLASS, SUBSTANCE_ADMINISTRATION_LOGGING_INSTANCE, APPLICATION_EVENT_ACTION, entry, options);
}
