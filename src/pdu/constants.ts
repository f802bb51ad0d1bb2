/**
 * Codes of the DICOM upper layer protocol (PS3.8 §9.3): PDU and item types, A-ASSOCIATE-RJ and
 * A-ABORT result/source/reason values (Tables 9-21, 9-26), default limits and error codes.
 */
import type { PduLimits, PduTypeName } from './types';

/** PDU type byte (PS3.8 §9.3.1, Table 9-11 and following). */
export const PDU_TYPE = {
  A_ASSOCIATE_RQ: 0x01,
  A_ASSOCIATE_AC: 0x02,
  A_ASSOCIATE_RJ: 0x03,
  P_DATA_TF: 0x04,
  A_RELEASE_RQ: 0x05,
  A_RELEASE_RP: 0x06,
  A_ABORT: 0x07,
} as const;

/** PDU type byte → the standard's name, which is also the `type` discriminant in types.ts. */
export const PDU_TYPE_NAME: Readonly<Record<number, PduTypeName>> = Object.freeze({
  0x01: 'A-ASSOCIATE-RQ',
  0x02: 'A-ASSOCIATE-AC',
  0x03: 'A-ASSOCIATE-RJ',
  0x04: 'P-DATA-TF',
  0x05: 'A-RELEASE-RQ',
  0x06: 'A-RELEASE-RP',
  0x07: 'A-ABORT',
});

/** Name → PDU type byte. */
export const PDU_TYPE_CODE: Readonly<Record<PduTypeName, number>> = Object.freeze({
  'A-ASSOCIATE-RQ': 0x01,
  'A-ASSOCIATE-AC': 0x02,
  'A-ASSOCIATE-RJ': 0x03,
  'P-DATA-TF': 0x04,
  'A-RELEASE-RQ': 0x05,
  'A-RELEASE-RP': 0x06,
  'A-ABORT': 0x07,
});

/** Item and sub-item types (PS3.8 §9.3.2–9.3.3, Annex D; PS3.7 Annex D.3.3). */
export const ITEM_TYPE = {
  APPLICATION_CONTEXT: 0x10,
  PRESENTATION_CONTEXT_RQ: 0x20,
  PRESENTATION_CONTEXT_AC: 0x21,
  ABSTRACT_SYNTAX: 0x30,
  TRANSFER_SYNTAX: 0x40,
  USER_INFORMATION: 0x50,
  MAXIMUM_LENGTH: 0x51,
  IMPLEMENTATION_CLASS_UID: 0x52,
  ASYNC_OPERATIONS_WINDOW: 0x53,
  ROLE_SELECTION: 0x54,
  IMPLEMENTATION_VERSION_NAME: 0x55,
  SOP_CLASS_EXTENDED_NEGOTIATION: 0x56,
  SOP_CLASS_COMMON_EXTENDED_NEGOTIATION: 0x57,
  USER_IDENTITY_RQ: 0x58,
  USER_IDENTITY_AC: 0x59,
} as const;

/** A-ASSOCIATE-RJ result (PS3.8 Table 9-21). */
export const REJECT_RESULT = { REJECTED_PERMANENT: 1, REJECTED_TRANSIENT: 2 } as const;

/** A-ASSOCIATE-RJ source (PS3.8 Table 9-21). */
export const REJECT_SOURCE = {
  SERVICE_USER: 1,
  SERVICE_PROVIDER_ACSE: 2,
  SERVICE_PROVIDER_PRESENTATION: 3,
} as const;

/** A-ASSOCIATE-RJ reasons for source 1, service-user (PS3.8 Table 9-21). */
export const REJECT_REASON_USER = {
  NO_REASON_GIVEN: 1,
  APPLICATION_CONTEXT_NAME_NOT_SUPPORTED: 2,
  CALLING_AE_TITLE_NOT_RECOGNIZED: 3,
  CALLED_AE_TITLE_NOT_RECOGNIZED: 7,
} as const;

/** A-ASSOCIATE-RJ reasons for source 2, service-provider ACSE (PS3.8 Table 9-21). */
export const REJECT_REASON_ACSE = { NO_REASON_GIVEN: 1, PROTOCOL_VERSION_NOT_SUPPORTED: 2 } as const;

/** A-ASSOCIATE-RJ reasons for source 3, service-provider presentation (PS3.8 Table 9-21). */
export const REJECT_REASON_PRESENTATION = { TEMPORARY_CONGESTION: 1, LOCAL_LIMIT_EXCEEDED: 2 } as const;

/** A-ABORT source (PS3.8 Table 9-26). */
export const ABORT_SOURCE = { SERVICE_USER: 0, RESERVED: 1, SERVICE_PROVIDER: 2 } as const;

/** A-ABORT reason, meaningful for source 2 only (PS3.8 Table 9-26). */
export const ABORT_REASON = {
  REASON_NOT_SPECIFIED: 0,
  UNRECOGNIZED_PDU: 1,
  UNEXPECTED_PDU: 2,
  UNRECOGNIZED_PDU_PARAMETER: 4,
  UNEXPECTED_PDU_PARAMETER: 5,
  INVALID_PDU_PARAMETER_VALUE: 6,
} as const;

/** Presentation context result in an A-ASSOCIATE-AC (PS3.8 Table 9-18). */
export const PRESENTATION_RESULT = {
  ACCEPTANCE: 0,
  USER_REJECTION: 1,
  NO_REASON: 2,
  ABSTRACT_SYNTAX_NOT_SUPPORTED: 3,
  TRANSFER_SYNTAXES_NOT_SUPPORTED: 4,
} as const;

/** Bytes in every PDU header: type, reserved, 4-byte PDU-length (PS3.8 §9.3.1). */
export const PDU_HEADER_LENGTH = 6;
/** Fixed part of an A-ASSOCIATE-RQ/AC after the header: version .. reserved (PS3.8 Table 9-11). */
export const ASSOCIATE_FIXED_LENGTH = 68;
/** PDU-length of A-ASSOCIATE-RJ, A-RELEASE-RQ/RP and A-ABORT (PS3.8 §9.3.4, §9.3.6–9.3.8). */
export const FIXED_PDU_LENGTH = 4;
/** Absolute ceiling on a P-DATA-TF PDU-length even when maxPduLength is 0 (no limit): 64 MiB. */
export const HARD_MAX_PDU_LENGTH = 64 * 1024 * 1024;
/** An application entity's maxPduLength range (reliability.md §5; dcm4che's cap), which is also its cap for 0 (no limit). */
export const MIN_PDU_LENGTH = 4096;
export const MAX_PDU_LENGTH = 16 * 1024 * 1024;

/** Decoder limits (reliability.md §5): P-DATA-TF 16384 (our 51H), A-ASSOCIATE 1 MiB (DCMTK's cap). */
export const DEFAULT_PDU_LIMITS: Readonly<Required<PduLimits>> = Object.freeze({
  maxPduLength: 16384,
  associatePduMax: 1024 * 1024,
  hardMaxPduLength: HARD_MAX_PDU_LENGTH,
});

/**
 * Stable `code` of every ProtocolError the codec raises. All carry A-ABORT (2, 6) except
 * UNKNOWN_PDU_TYPE, which carries (2, 1) unrecognized-PDU (PS3.8 Table 9-26).
 */
export const PDU_ERROR_CODE = {
  UNKNOWN_PDU_TYPE: 'UNKNOWN_PDU_TYPE',
  PDU_HEADER_TRUNCATED: 'PDU_HEADER_TRUNCATED',
  PDU_TRUNCATED: 'PDU_TRUNCATED',
  PDU_TRAILING_BYTES: 'PDU_TRAILING_BYTES',
  PDU_LENGTH_EXCEEDS_MAX: 'PDU_LENGTH_EXCEEDS_MAX',
  ASSOCIATE_LENGTH_EXCEEDS_MAX: 'ASSOCIATE_LENGTH_EXCEEDS_MAX',
  ASSOCIATE_LENGTH_TOO_SHORT: 'ASSOCIATE_LENGTH_TOO_SHORT',
  FIXED_PDU_LENGTH_INVALID: 'FIXED_PDU_LENGTH_INVALID',
  FIELD_TRUNCATED: 'FIELD_TRUNCATED',
  ITEM_OVERRUN: 'ITEM_OVERRUN',
  ITEM_LENGTH_MISMATCH: 'ITEM_LENGTH_MISMATCH',
  SUB_ITEM_LENGTH_INVALID: 'SUB_ITEM_LENGTH_INVALID',
  DUPLICATE_ITEM: 'DUPLICATE_ITEM',
  DUPLICATE_SUB_ITEM: 'DUPLICATE_SUB_ITEM',
  INVALID_CONTEXT_ID: 'INVALID_CONTEXT_ID',
  NO_PDVS: 'NO_PDVS',
  PDV_LENGTH_TOO_SHORT: 'PDV_LENGTH_TOO_SHORT',
  PDV_OVERRUN: 'PDV_OVERRUN',
  PDV_LENGTH_MISMATCH: 'PDV_LENGTH_MISMATCH',
  /** A non-protocol exception inside the reader (a bug); still carries A-ABORT (2, 6). */
  READER_FAILED: 'READER_FAILED',
} as const;

export type PduErrorCode = (typeof PDU_ERROR_CODE)[keyof typeof PDU_ERROR_CODE];

const REJECT_RESULT_TEXT: Record<number, string> = { 1: 'rejected-permanent', 2: 'rejected-transient' };
const REJECT_SOURCE_TEXT: Record<number, string> = {
  1: 'service-user',
  2: 'service-provider (ACSE)',
  3: 'service-provider (presentation)',
};
const REJECT_REASON_TEXT: Record<number, Record<number, string>> = {
  1: {
    1: 'no-reason-given',
    2: 'application-context-name-not-supported',
    3: 'calling-AE-title-not-recognized',
    7: 'called-AE-title-not-recognized',
  },
  2: { 1: 'no-reason-given', 2: 'protocol-version-not-supported' },
  3: { 1: 'temporary-congestion', 2: 'local-limit-exceeded' },
};
const ABORT_SOURCE_TEXT: Record<number, string> = { 0: 'service-user', 1: 'reserved', 2: 'service-provider' };
const ABORT_REASON_TEXT: Record<number, string> = {
  0: 'reason-not-specified',
  1: 'unrecognized-PDU',
  2: 'unexpected-PDU',
  4: 'unrecognized-PDU-parameter',
  5: 'unexpected-PDU-parameter',
  6: 'invalid-PDU-parameter-value',
};
const PRESENTATION_RESULT_TEXT: Record<number, string> = {
  0: 'acceptance',
  1: 'user-rejection',
  2: 'no-reason (provider rejection)',
  3: 'abstract-syntax-not-supported (provider rejection)',
  4: 'transfer-syntaxes-not-supported (provider rejection)',
};

/**
 * A-ASSOCIATE-RJ in words (PS3.8 Table 9-21), e.g.
 * `describeReject(1, 1, 7)` → "rejected-permanent, service-user: called-AE-title-not-recognized".
 * Unknown values are shown as numbers ("reason 5").
 */
export function describeReject(result: number, source: number, reason: number): string {
  const resultText = REJECT_RESULT_TEXT[result] ?? `result ${result}`;
  const sourceText = REJECT_SOURCE_TEXT[source] ?? `source ${source}`;
  const reasonText = REJECT_REASON_TEXT[source]?.[reason] ?? `reason ${reason}`;
  return `${resultText}, ${sourceText}: ${reasonText}`;
}

/**
 * A-ABORT in words (PS3.8 Table 9-26), e.g. `describeAbort(2, 6)` →
 * "service-provider: invalid-PDU-parameter-value". The reason is only shown for source 2.
 */
export function describeAbort(source: number, reason: number): string {
  const sourceText = ABORT_SOURCE_TEXT[source] ?? `source ${source}`;
  if (source !== ABORT_SOURCE.SERVICE_PROVIDER) return sourceText;
  return `${sourceText}: ${ABORT_REASON_TEXT[reason] ?? `reason ${reason}`}`;
}

/** Presentation context result/reason of an A-ASSOCIATE-AC in words (PS3.8 Table 9-18). */
export function describePresentationResult(result: number): string {
  return PRESENTATION_RESULT_TEXT[result] ?? `result ${result}`;
}
