/**
 * Types of the Upper Layer runtime's surface (PS3.8 §7 service primitives, §9.2 state machine):
 * options, the service-user callbacks, and the trace step.
 */
import type { AssociateAcPdu, AssociateRjPdu, AssociateRqPdu, PDataTfPdu, Pdu, PduLimits } from '../pdu/types';
import type { Clock } from './artim';
import type { ActionName, EventName, StateName } from './fsm-table';

/** What the service user is told when the association is aborted (PS3.8 §7.3 A-ABORT, §7.4 A-P-ABORT). */
export type AbortIndication =
  /** A-ABORT PDU received (AA-3): the peer's source (0 user, 2 provider) and reason, as sent. */
  | { readonly source: number; readonly reason: number }
  /** A-P-ABORT raised locally: transport lost (AA-4, a TransportError), bad or unexpected PDU (AA-8, a ProtocolError), or a user callback threw. */
  | { readonly provider: true; readonly error: Error };

/** One step of the state machine, as reported to {@link UpperLayerOptions.onTransition}. */
export interface TransitionStep {
  readonly state: StateName;
  readonly event: EventName;
  readonly action: ActionName;
}

/** Options of one {@link UpperLayer}. */
export interface UpperLayerOptions {
  /** `requestor`: the transport is connected, call requestAssociation(). `acceptor`: start() runs Evt5/AE-5 (Sta2, ARTIM). */
  readonly role: 'requestor' | 'acceptor';
  /** Decoder limits (PS3.8 §9.3 lengths); setReceiveLimits() changes them after negotiation. */
  readonly limits?: Partial<PduLimits>;
  /** ARTIM in Sta2: time from connection to a complete A-ASSOCIATE-RQ (PS3.8 §9.1.5). Default 30000 ms. */
  readonly artimTimeoutMs?: number;
  /** ARTIM in Sta13: wait for the peer to close after our RJ/RP/A-ABORT; also bounds each closing step. Default 1000 ms. */
  readonly abortLingerMs?: number;
  /**
   * Per-PDU read deadline (reliability.md T-04): a PDU not received whole this long after its first
   * byte (while we read) is answered A-ABORT (0, 0), as the network timeout does; Sta2 and Sta13
   * are left to ARTIM. Default 30000 ms; 0 or Infinity disables.
   */
  readonly pduReadTimeoutMs?: number;
  /** Timer functions (fake timers in tests). Default: the global setTimeout/clearTimeout. */
  readonly clock?: Clock;
  /** Debug hook: every PDU sent or received (decoded). Exceptions are ignored. */
  readonly onPdu?: (direction: 'sent' | 'received', pdu: Pdu) => void;
  /**
   * False when `onPdu` ignores sent PDUs (the association watches received ones for its idle timer
   * whether or not anyone logs them): a run of data set PDUs then goes out without a PDU object made
   * per fragment for the hook. Default true.
   */
  readonly onPduSent?: boolean;
  /**
   * False when `onPdu` need not see received P-DATA-TF PDUs (the association notes their traffic
   * for its idle timer in its P-DATA indication already, so only the debug log and the telemetry
   * observer want them): each data PDU then goes straight to the indication. Default true.
   */
  readonly onPDataReceived?: boolean;
  /** Trace hook: every (state, event, action) before the action runs (PS3.8 Table 9-10). Exceptions are ignored. */
  readonly onTransition?: (step: TransitionStep) => void;
}

/**
 * Indications and confirmations to the service user (the ACSE/DIMSE layer above, PS3.8 §7). Each is
 * called after the state has moved to the action's next state, so the user may call the next
 * primitive (e.g. respondRelease()) from inside the callback. A throwing callback is treated as a
 * local A-ABORT request (0, 0) and reported through `abort` with `provider: true`.
 */
export interface UpperLayerUser {
  /**
   * A-ASSOCIATE indication (AE-6, Sta2 → Sta3): answer with acceptAssociation() or rejectAssociation().
   * A returned promise holds further input until it settles, so PDUs pipelined behind the RQ are
   * handled after the local response whatever the chunking (reliability.md M-07).
   */
  associateRequest?(rq: AssociateRqPdu): void | Promise<void>;
  /** A-ASSOCIATE confirmation, accepted (AE-3, Sta5 → Sta6). */
  associateAccept?(ac: AssociateAcPdu): void;
  /** A-ASSOCIATE confirmation, rejected (AE-4, Sta5 → Sta1; the transport is being closed). */
  associateReject?(rj: AssociateRjPdu): void;
  /** P-DATA indication (DT-2 in Sta6, AR-6 in Sta7). A returned promise is awaited before the next PDU is read. */
  pData?(pdu: PDataTfPdu): void | Promise<void>;
  /** A-RELEASE indication: AR-2 (→ Sta8, answer with respondRelease()) or a collision AR-8 (→ Sta9 requestor / Sta10 acceptor). */
  releaseRequest?(): void;
  /** A-RELEASE confirmation: AR-3 (→ Sta1) or, in a collision on the acceptor side, AR-10 (→ Sta12, then respondRelease()). */
  releaseConfirm?(): void;
  /** A-ABORT / A-P-ABORT indication: AA-3 (peer's A-ABORT), AA-4 (transport lost), AA-8 (we aborted a bad/unexpected PDU). */
  abort?(info: AbortIndication): void;
  /** Sta1 reached and the transport closed (always called once, last). */
  closed?(): void;
}
