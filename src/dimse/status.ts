/**
 * DIMSE Status (0000,0900) values: categories (PS3.7 Annex C) and meanings, general (PS3.7 C.1-C.5)
 * and service-specific (PS3.4 B.2.3, C.4.1.1.4, C.4.2.1.5, C.4.3.1.4).
 */

/** Status category, PS3.7 §C.1-C.5. */
export type StatusCategory = 'Success' | 'Warning' | 'Failure' | 'Cancel' | 'Pending';

/** DIMSE services whose service-specific status tables `describeStatus` knows. */
export type DimseService =
  | 'C-ECHO'
  | 'C-STORE'
  | 'C-FIND'
  | 'C-GET'
  | 'C-MOVE'
  | 'N-EVENT-REPORT'
  | 'N-GET'
  | 'N-SET'
  | 'N-ACTION'
  | 'N-CREATE'
  | 'N-DELETE';

/** Named status codes (PS3.7 Annex C; PS3.4 B.2.3 and C.4). */
export const Status = {
  Success: 0x0000,
  /** PS3.4 C.4.1.1.4: matches are continuing, optional keys supported. */
  Pending: 0xff00,
  /** PS3.4 C.4.1.1.4: matches are continuing, one or more optional keys not supported. */
  PendingWarning: 0xff01,
  Cancel: 0xfe00,
  /** Warning: requested optional attributes are not supported (PS3.7 Annex C; used by N-GET/N-CREATE). */
  WarningOptionalAttributesNotSupported: 0x0001,
  AttributeListError: 0x0107,
  AttributeValueOutOfRange: 0x0116,
  NoSuchAttribute: 0x0105,
  InvalidAttributeValue: 0x0106,
  ProcessingFailure: 0x0110,
  DuplicateSOPInstance: 0x0111,
  NoSuchSOPInstance: 0x0112,
  NoSuchEventType: 0x0113,
  NoSuchArgument: 0x0114,
  InvalidArgumentValue: 0x0115,
  InvalidObjectInstance: 0x0117,
  NoSuchSOPClass: 0x0118,
  ClassInstanceConflict: 0x0119,
  MissingAttribute: 0x0120,
  MissingAttributeValue: 0x0121,
  RefusedSOPClassNotSupported: 0x0122,
  NoSuchActionType: 0x0123,
  RefusedNotAuthorized: 0x0124,
  DuplicateInvocation: 0x0210,
  UnrecognizedOperation: 0x0211,
  MistypedArgument: 0x0212,
  ResourceLimitation: 0x0213,
  /** PS3.4 B.2.3 / C.4: refused, out of resources (A7xx for storage). */
  OutOfResources: 0xa700,
  OutOfResourcesNumberOfMatches: 0xa701,
  OutOfResourcesSubOperations: 0xa702,
  MoveDestinationUnknown: 0xa801,
  /** PS3.4 B.2.3: data set does not match SOP class (A9xx); C.4: identifier does not match SOP class. */
  DataSetDoesNotMatchSOPClass: 0xa900,
  /** PS3.4 B.2.3: error, cannot understand (Cxxx); C.4: unable to process. */
  CannotUnderstand: 0xc000,
  /** PS3.4 B.2.3: coercion of data elements; C.4.2/C.4.3: sub-operations complete, one or more failures. */
  CoercionOfDataElements: 0xb000,
  SubOperationsCompleteWithFailures: 0xb000,
  ElementsDiscarded: 0xb006,
  DataSetDoesNotMatchSOPClassWarning: 0xb007,
} as const;

/**
 * The category of a status value (PS3.7 Annex C): 0x0000 Success; 0xFF00/0xFF01 Pending;
 * 0xFE00 Cancel; 0x0001, 0x0107, 0x0116 and 0xBxxx Warning; everything else Failure
 * (0xAxxx, 0xCxxx, the 01xx/02xx general failures, and unknown values).
 */
export function statusCategory(status: number): StatusCategory {
  if (status === 0x0000) return 'Success';
  if (status === 0xff00 || status === 0xff01) return 'Pending';
  if (status === 0xfe00) return 'Cancel';
  if (status === 0x0001 || status === 0x0107 || status === 0x0116) return 'Warning';
  if (status >= 0xb000 && status <= 0xbfff) return 'Warning';
  return 'Failure';
}

/** General statuses, PS3.7 C.1-C.5 (the "Status Type / Meaning" columns). */
const GENERAL: Record<number, string> = {
  0x0000: 'Success',
  0x0001: 'Requested optional attributes are not supported',
  0x0107: 'Attribute list error',
  0x0116: 'Attribute value out of range',
  0xfe00: 'Cancel',
  0xff00: 'Pending',
  0xff01: 'Pending (optional keys not supported)',
  0x0105: 'No such attribute',
  0x0106: 'Invalid attribute value',
  0x0110: 'Processing failure',
  0x0111: 'Duplicate SOP instance',
  0x0112: 'No such SOP instance',
  0x0113: 'No such event type',
  0x0114: 'No such argument',
  0x0115: 'Invalid argument value',
  0x0117: 'Invalid object instance',
  0x0118: 'No such SOP class',
  0x0119: 'Class-instance conflict',
  0x0120: 'Missing attribute',
  0x0121: 'Missing attribute value',
  0x0122: 'Refused: SOP class not supported',
  0x0123: 'No such action',
  0x0124: 'Refused: not authorized',
  0x0210: 'Duplicate invocation',
  0x0211: 'Unrecognized operation',
  0x0212: 'Mistyped argument',
  0x0213: 'Resource limitation',
};

/** One service-specific entry: exact code, or a masked range such as 0xA7xx (mask 0xFF00). */
type Entry = readonly [code: number, mask: number, meaning: string];

/** Storage Service Class C-STORE statuses, PS3.4 Table B.2-1. */
const STORE: readonly Entry[] = [
  [0xa700, 0xff00, 'Refused: Out of resources'],
  [0xa900, 0xff00, 'Error: Data set does not match SOP class'],
  [0xc000, 0xf000, 'Error: Cannot understand'],
  [0xb000, 0xffff, 'Warning: Coercion of data elements'],
  [0xb007, 0xffff, 'Warning: Data set does not match SOP class'],
  [0xb006, 0xffff, 'Warning: Elements discarded'],
];

/** Query/Retrieve C-FIND statuses, PS3.4 Table C.4-1. */
const FIND: readonly Entry[] = [
  [0xa700, 0xffff, 'Refused: Out of resources'],
  [0xa900, 0xffff, 'Failed: Identifier does not match SOP class'],
  [0xc000, 0xf000, 'Failed: Unable to process'],
  [0xfe00, 0xffff, 'Cancel: Matching terminated due to cancel request'],
  [0x0000, 0xffff, 'Success: Matching is complete'],
  [0xff00, 0xffff, 'Pending: Matches are continuing, current match supplied'],
  [0xff01, 0xffff, 'Pending: Matches are continuing, one or more optional keys not supported'],
];

/** C-GET (PS3.4 Table C.4-3) and, with 0xA801, C-MOVE (PS3.4 Table C.4-2) statuses. */
const RETRIEVE: readonly Entry[] = [
  [0xa701, 0xffff, 'Refused: Out of resources, unable to calculate number of matches'],
  [0xa702, 0xffff, 'Refused: Out of resources, unable to perform sub-operations'],
  [0xa900, 0xffff, 'Failed: Identifier does not match SOP class'],
  [0xc000, 0xf000, 'Failed: Unable to process'],
  [0xfe00, 0xffff, 'Cancel: Sub-operations terminated due to cancel indication'],
  [0xb000, 0xffff, 'Warning: Sub-operations complete, one or more failures or warnings'],
  [0x0000, 0xffff, 'Success: Sub-operations complete, no failures'],
  [0xff00, 0xffff, 'Pending: Sub-operations are continuing'],
];
const MOVE: readonly Entry[] = [[0xa801, 0xffff, 'Refused: Move destination unknown'], ...RETRIEVE];

/**
 * Service classes whose N-service statuses go beyond PS3.7 Annex C. MPPS has none of its own:
 * an MPPS that may no longer be updated answers 0x0110 with Error ID 0xA710 (PS3.4 F.7.2.2.4).
 */
export type NServiceClass = 'print' | 'ups' | 'media-creation';

/** Print Management statuses, PS3.4 H.4 (film session, film box, image box N-CREATE/N-SET/N-ACTION). */
const PRINT: readonly Entry[] = [
  [0xb600, 0xffff, 'Warning: Memory allocation not supported'],
  [0xb601, 0xffff, 'Warning: Film session printing (collation) is not supported'],
  [0xb602, 0xffff, 'Warning: Film session contains no image box instances (empty page)'],
  [0xb603, 0xffff, 'Warning: Film box contains no image box instances (empty page)'],
  [0xb604, 0xffff, 'Warning: Image size larger than image box size, the image has been demagnified'],
  [0xb605, 0xffff, "Warning: Requested min or max density outside of the printer's operating range"],
  [0xb609, 0xffff, 'Warning: Image size larger than image box size, the image has been cropped to fit'],
  [0xb60a, 0xffff, 'Warning: Image size larger than image box size, the image has been decimated to fit'],
  [0xc600, 0xffff, 'Failure: Film session contains no film box instances'],
  [0xc601, 0xffff, 'Failure: Unable to create Print Job instance; print queue is full'],
  [0xc602, 0xffff, 'Failure: Unable to create Print Job instance; print queue is full'],
  [0xc603, 0xffff, 'Failure: Image size is larger than image box size'],
  [0xc604, 0xffff, 'Failure: Image position collision: several images assigned to one position'],
  [0xc605, 0xffff, 'Failure: Insufficient memory in printer to store the image'],
  [0xc613, 0xffff, 'Failure: Combined print image size is larger than the image box size'],
  [0xc616, 0xffff, 'Failure: An unprinted film box exists and film-session-level N-ACTION is not supported'],
];

/**
 * Unified Procedure Step statuses as PS3.4 words them: Tables CC.2.1-2 (Change UPS State),
 * CC.2.2-2 (Request UPS Cancel: C311, C312, C313), CC.2.3-3 (Subscribe), CC.2.5-4 (N-CREATE),
 * CC.2.6-1 (N-SET); none of these tables has B302/B303 or C305/C306.
 */
const UPS: readonly Entry[] = [
  [0xb300, 0xffff, 'Warning: The UPS was created with modifications'],
  [0xb301, 0xffff, 'Warning: Deletion lock not granted'],
  [0xb304, 0xffff, 'Warning: The UPS is already in the requested state of CANCELED'],
  [0xb305, 0xffff, 'Warning: Coerced invalid values to valid values'],
  [0xb306, 0xffff, 'Warning: The UPS is already in the requested state of COMPLETED'],
  [0xc300, 0xffff, 'Failure: The UPS may no longer be updated'],
  [0xc301, 0xffff, 'Failure: The correct Transaction UID was not provided'],
  [0xc302, 0xffff, 'Failure: The UPS is already IN PROGRESS'],
  [0xc303, 0xffff, 'Failure: The UPS may only become SCHEDULED via N-CREATE, not N-SET or N-ACTION'],
  [0xc304, 0xffff, 'Failure: The UPS has not met final state requirements for the requested state change'],
  [0xc307, 0xffff, 'Failure: Specified SOP Instance UID does not exist or is not a UPS Instance managed by this SCP'],
  [0xc308, 0xffff, 'Failure: Receiving AE-TITLE is unknown to this SCP'],
  [0xc309, 0xffff, 'Failure: The provided value of UPS State was not SCHEDULED'],
  [0xc310, 0xffff, "Failure: The UPS is not in the 'IN PROGRESS' state"],
  [0xc311, 0xffff, 'Failure: The UPS is already COMPLETED'],
  // C312 and C313 per PS3.4 CC.2.2.4 (Table CC.2.2-2).
  [0xc312, 0xffff, 'Failure: The performer cannot be contacted'],
  [0xc313, 0xffff, 'Failure: Performer chooses not to cancel'],
  [0xc314, 0xffff, 'Failure: Specified action not appropriate for specified instance'],
  [0xc315, 0xffff, 'Failure: SCP does not support Event Reports'],
];

/** Media Creation Management statuses, PS3.4 S.3.2.2 (N-ACTION initiate / cancel). */
const MEDIA_CREATION: readonly Entry[] = [
  [0xa510, 0xffff, 'Failure: An Initiate Media Creation action has already been received for this instance'],
  [0xc201, 0xffff, 'Failure: Media creation request already completed'],
  [0xc202, 0xffff, 'Failure: Media creation request already in progress and cannot be interrupted'],
  [0xc203, 0xffff, 'Failure: Cancellation denied for unspecified reason'],
];

const SERVICE: Partial<Record<DimseService | NServiceClass, readonly Entry[]>> = {
  'C-STORE': STORE,
  'C-FIND': FIND,
  'C-GET': RETRIEVE,
  'C-MOVE': MOVE,
  print: PRINT,
  ups: UPS,
  'media-creation': MEDIA_CREATION,
};

/**
 * A readable meaning for a status: the service-specific table first (PS3.4 B.2.3, C.4.1.1.4,
 * C.4.2.1.5, C.4.3.1.4; for N-services the service class: print H.4, UPS CC.2, media creation
 * S.3.2), then the general ones (PS3.7 C.1-C.5), then the category.
 * e.g. `describeStatus(0xA801, 'C-MOVE')` -> "Refused: Move destination unknown",
 * `describeStatus(0xC310, 'ups')` -> "Failure: The UPS is not in the 'IN PROGRESS' state".
 */
export function describeStatus(status: number, service?: DimseService | NServiceClass): string {
  const table = service ? SERVICE[service] : undefined;
  const hit = table?.find(([code, mask]) => (status & mask) === code);
  if (hit) return hit[2];
  const general = GENERAL[status];
  if (general !== undefined) return general;
  const category = statusCategory(status);
  // Without a service, the usual PS3.4 ranges still say something useful.
  if (status >= 0xa700 && status <= 0xa7ff) return 'Refused: Out of resources';
  if (status >= 0xa900 && status <= 0xa9ff) return 'Error: Data set or identifier does not match SOP class';
  if (status >= 0xc000 && status <= 0xcfff) return 'Error: Cannot understand / unable to process';
  return `${category === 'Failure' ? 'Unknown failure' : category} status 0x${status.toString(16).padStart(4, '0').toUpperCase()}`;
}
