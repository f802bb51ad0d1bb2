/**
 * DIMSE command sets as plain data (PS3.7 §9.3, §10.3, Annex E).
 * Property names are the DICOM keywords of the group 0000 elements, so code can be
 * grepped against PS3.7 Table E.1-1.
 */

/** Command Field (0000,0100) values (PS3.7 Table E.1-1 / §9.3, §10.3). */
export const CommandField = {
  'C-STORE-RQ': 0x0001,
  'C-STORE-RSP': 0x8001,
  'C-GET-RQ': 0x0010,
  'C-GET-RSP': 0x8010,
  'C-FIND-RQ': 0x0020,
  'C-FIND-RSP': 0x8020,
  'C-MOVE-RQ': 0x0021,
  'C-MOVE-RSP': 0x8021,
  'C-ECHO-RQ': 0x0030,
  'C-ECHO-RSP': 0x8030,
  'N-EVENT-REPORT-RQ': 0x0100,
  'N-EVENT-REPORT-RSP': 0x8100,
  'N-GET-RQ': 0x0110,
  'N-GET-RSP': 0x8110,
  'N-SET-RQ': 0x0120,
  'N-SET-RSP': 0x8120,
  'N-ACTION-RQ': 0x0130,
  'N-ACTION-RSP': 0x8130,
  'N-CREATE-RQ': 0x0140,
  'N-CREATE-RSP': 0x8140,
  'N-DELETE-RQ': 0x0150,
  'N-DELETE-RSP': 0x8150,
  'C-CANCEL-RQ': 0x0fff,
} as const;

/** A DIMSE message name, e.g. 'C-ECHO-RQ' or 'N-ACTION-RSP': a key of {@link CommandField}. */
export type CommandName = keyof typeof CommandField;

/** Command Data Set Type (0000,0800) value meaning "no data set follows". */
export const NO_DATASET = 0x0101;

/** Priority (0000,0700): 0 medium, 1 high, 2 low. */
export const Priority = { medium: 0, high: 1, low: 2 } as const;

/**
 * A decoded command set. Only CommandField and CommandDataSetType are always present;
 * the rest depend on the message (PS3.7 §9.3 and §10.3 tables).
 */
export interface Command {
  /** (0000,0100) */
  CommandField: number;
  /** (0000,0800): 0x0101 = no data set; any other value = a data set follows. */
  CommandDataSetType: number;
  /** (0000,0002) */
  AffectedSOPClassUID?: string;
  /** (0000,0003) */
  RequestedSOPClassUID?: string;
  /** (0000,0110) */
  MessageID?: number;
  /** (0000,0120) */
  MessageIDBeingRespondedTo?: number;
  /** (0000,0600) */
  MoveDestination?: string;
  /** (0000,0700) */
  Priority?: number;
  /** (0000,0900) */
  Status?: number;
  /** (0000,0901) AT values as 32-bit tags (group << 16 | element). */
  OffendingElement?: number[];
  /** (0000,0902) */
  ErrorComment?: string;
  /** (0000,0903) */
  ErrorID?: number;
  /** (0000,1000) */
  AffectedSOPInstanceUID?: string;
  /** (0000,1001) */
  RequestedSOPInstanceUID?: string;
  /** (0000,1002) */
  EventTypeID?: number;
  /** (0000,1005) AT values as 32-bit tags. */
  AttributeIdentifierList?: number[];
  /** (0000,1008) */
  ActionTypeID?: number;
  /** (0000,1020) */
  NumberOfRemainingSuboperations?: number;
  /** (0000,1021) */
  NumberOfCompletedSuboperations?: number;
  /** (0000,1022) */
  NumberOfFailedSuboperations?: number;
  /** (0000,1023) */
  NumberOfWarningSuboperations?: number;
  /** (0000,1030) */
  MoveOriginatorApplicationEntityTitle?: string;
  /** (0000,1031) */
  MoveOriginatorMessageID?: number;
}

/** A complete DIMSE message: a command and, when CommandDataSetType != 0x0101, its encoded data set. */
export interface DimseMessage {
  readonly command: Command;
  /**
   * The data set as encoded in the presentation context's transfer syntax, or null when none. May
   * be a view into a larger buffer: use `byteOffset`/`byteLength`, not its `.buffer` alone.
   */
  readonly dataset: Uint8Array | null;
}
