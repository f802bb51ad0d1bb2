/**
 * The UPS-specific status codes of PS3.4 Annex CC (Tables CC.2.1-2, CC.2.2-2, CC.2.3-3, CC.2.5-4,
 * CC.2.6-1) with their meanings as the standard words them. There are no codes C316 and up.
 */

/** UPS status codes by what they mean (PS3.4 CC.2). */
export const UpsStatus = {
  /** B300 (N-CREATE): the UPS was created with modifications. */
  createdWithModifications: 0xb300,
  /** B301 (subscribe): the subscription was made, the Deletion Lock was not granted. */
  deletionLockNotGranted: 0xb301,
  /** B304 (change state, request cancel): the UPS is already CANCELED. */
  alreadyCanceled: 0xb304,
  /** B305 (N-SET): invalid values were coerced to valid ones. */
  coercedInvalidValues: 0xb305,
  /** B306 (change state): the UPS is already COMPLETED. */
  alreadyCompleted: 0xb306,
  /** C300: the UPS may no longer be updated (it is COMPLETED or CANCELED). */
  mayNoLongerBeUpdated: 0xc300,
  /** C301: the correct Transaction UID was not provided. */
  wrongTransactionUid: 0xc301,
  /** C302: the UPS is already IN PROGRESS. */
  alreadyInProgress: 0xc302,
  /** C303: the UPS may only become SCHEDULED via N-CREATE. */
  scheduledOnlyByCreate: 0xc303,
  /** C304: the UPS has not met the final state requirements for the requested state change. */
  finalStateNotMet: 0xc304,
  /** C307: no such UPS (or not one managed by this SCP). */
  noSuchUps: 0xc307,
  /** C308 (subscribe): the Receiving AE is unknown to this SCP. */
  unknownReceivingAe: 0xc308,
  /** C309 (N-CREATE): the Procedure Step State was not SCHEDULED. */
  notScheduled: 0xc309,
  /** C310: the UPS is not yet IN PROGRESS. */
  notInProgress: 0xc310,
  /** C311 (request cancel): the UPS is already COMPLETED. */
  completedCannotCancel: 0xc311,
  /** C312 (request cancel): the performer cannot be contacted. */
  performerUnreachable: 0xc312,
  /** C313 (request cancel): the performer chooses not to cancel. */
  performerRefusesCancel: 0xc313,
  /** C314 (subscribe): the action is not appropriate for the instance. */
  actionNotAppropriate: 0xc314,
  /** C315 (subscribe): the SCP does not support event reports. */
  eventsNotSupported: 0xc315,
} as const;

/** The standard's wording of each UPS status code (PS3.4 CC.2). */
export const UPS_STATUS_MEANING: Readonly<Record<number, string>> = {
  0xb300: 'The UPS was created with modifications',
  0xb301: 'Deletion Lock not granted',
  0xb304: 'The UPS is already in the requested state of CANCELED',
  0xb305: 'Coerced invalid values to valid values',
  0xb306: 'The UPS is already in the requested state of COMPLETED',
  0xc300: 'The UPS may no longer be updated',
  0xc301: 'The correct Transaction UID was not provided',
  0xc302: 'The UPS is already IN PROGRESS',
  0xc303: 'The UPS may only become SCHEDULED via N-CREATE, not N-SET or N-ACTION',
  0xc304: 'The UPS has not met final state requirements for the requested state change',
  0xc307: 'Specified SOP Instance UID does not exist or is not a UPS Instance managed by this SCP',
  0xc308: 'Receiving AE-TITLE is Unknown to this SCP',
  0xc309: 'The provided value of UPS State was not SCHEDULED',
  0xc310: 'The UPS is not yet in the IN PROGRESS state',
  0xc311: 'The UPS is already COMPLETED',
  0xc312: 'The performer cannot be contacted',
  0xc313: 'Performer chooses not to cancel',
  0xc314: 'Specified action not appropriate for specified instance',
  0xc315: 'SCP does not support Event Reports',
};
