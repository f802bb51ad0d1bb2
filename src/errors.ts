/**
 * Typed errors: what goes wrong on the network, in the protocol or in negotiation is a
 * NetdicomError with a stable `code`. Invalid arguments throw the usual JavaScript errors (a
 * RangeError for an AE title over 16 characters), and a cancelled call rejects with its signal's
 * reason. A failed DIMSE status is not an error: it is returned as a value.
 */

/** Who sent an A-ABORT (PS3.8 Table 9-26): 0 service-user, 1 reserved, 2 service-provider. */
export interface AbortInfo {
  readonly source: number;
  readonly reason: number;
}

/**
 * Base class of netdicom's typed errors (ProtocolError, AssociationRejectedError,
 * AssociationAbortedError, NegotiationError, TransportError, TimeoutError, ...): `code` is a
 * stable string (e.g. 'TIMEOUT', 'ASSOCIATION_REJECTED') to test instead of the message.
 */
export class NetdicomError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = 'NetdicomError';
  }
}

/**
 * The peer broke PS3.8/PS3.7 (malformed or unexpected PDU, bad PDV sequence, limit exceeded).
 * `abort` is the A-ABORT to send back (PS3.8 §9.3.8).
 */
export class ProtocolError extends NetdicomError {
  readonly abort: AbortInfo;
  readonly pduType?: number;
  readonly offset?: number;
  constructor(
    code: string,
    message: string,
    abort: AbortInfo,
    details: { pduType?: number; offset?: number; cause?: unknown } = {},
  ) {
    super(code, message, { cause: details.cause });
    this.name = 'ProtocolError';
    this.abort = abort;
    this.pduType = details.pduType;
    this.offset = details.offset;
  }
}

/** The acceptor answered A-ASSOCIATE-RJ (PS3.8 §9.3.4). */
export class AssociationRejectedError extends NetdicomError {
  constructor(
    readonly result: number,
    readonly source: number,
    readonly reason: number,
    message: string,
  ) {
    super('ASSOCIATION_REJECTED', message);
    this.name = 'AssociationRejectedError';
  }
}

/** The association ended by A-ABORT (from the peer or the local provider) or A-P-ABORT (transport lost). */
export class AssociationAbortedError extends NetdicomError {
  constructor(
    message: string,
    /** The A-ABORT source/reason, or undefined for a provider abort caused by the transport (A-P-ABORT). */
    readonly abort?: AbortInfo,
    options?: ErrorOptions,
  ) {
    super('ASSOCIATION_ABORTED', message, options);
    this.name = 'AssociationAbortedError';
  }
}

/** Nothing usable was negotiated (no accepted context for the SOP class / transfer syntax wanted). */
export class NegotiationError extends NetdicomError {
  constructor(message: string, options?: ErrorOptions) {
    super('NEGOTIATION_FAILED', message, options);
    this.name = 'NegotiationError';
  }
}

/** The transport failed (refused, reset, closed unexpectedly). */
export class TransportError extends NetdicomError {
  constructor(message: string, options?: ErrorOptions) {
    super('TRANSPORT_ERROR', message, options);
    this.name = 'TransportError';
  }
}

/** An ACSE, DIMSE, network or connection timeout expired. */
export class TimeoutError extends NetdicomError {
  constructor(
    readonly timeout: 'acse' | 'dimse' | 'network' | 'connect' | 'artim' | 'replay',
    message: string,
  ) {
    super('TIMEOUT', message);
    this.name = 'TimeoutError';
  }
}

/** A local call made in a state where it is not allowed (e.g. P-DATA before the association is established). */
export class InvalidStateError extends NetdicomError {
  constructor(message: string) {
    super('INVALID_STATE', message);
    this.name = 'InvalidStateError';
  }
}

/** A DIMSE message or dataset could not be encoded or decoded. */
export class DimseError extends NetdicomError {
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'DimseError';
  }
}
