/**
 * The actions of the DICOM Upper Layer state machine (PS3.8 §9.2.2, Tables 9-6 .. 9-9), one small
 * function each, named after the standard (AE-1 → `ae1`). Each runs over an {@link FsmContext}
 * that the {@link UpperLayer} provides; the next state is set before any indication is delivered,
 * so a service user may call the next primitive from inside its callback.
 */
import { ProtocolError } from '../errors';
import type { AbortPdu, AssociateAcPdu, AssociateRjPdu, AssociateRqPdu, PDataTfPdu, Pdu } from '../pdu/types';
import type { ActionName, StateName } from './fsm-table';
import type { WireBytes } from './wire';

/** What came with an event: the received PDU, the encoded local PDU, or the failure. */
export interface EventInput {
  /** The PDU received (Evt3/4/6/10/12/13/16) or the one to send (Evt1/7/8/9). */
  readonly pdu?: Pdu;
  /** The encoded PDU to send, for local primitives (encoded before the transition). */
  readonly bytes?: WireBytes;
  /** The A-ABORT source/reason the local user asked for (Evt15). */
  readonly userAbort?: { readonly source: number; readonly reason: number };
  /** The A-ABORT the decoder says to answer with (Evt19, from `ProtocolError.abort`). */
  readonly abort?: { readonly source: number; readonly reason: number };
  /** Why: the decoder error (Evt19) or the transport error (Evt17). */
  readonly error?: Error;
  /** Evt17 only: true when the connection was reset (destroy, nothing to flush), false on a clean end. */
  readonly reset?: boolean;
}

/** How an action reaches the outside world; implemented by the UpperLayer. */
export interface FsmContext {
  readonly role: 'requestor' | 'acceptor';
  state: StateName;
  /** Queues bytes (or a PDU, encoded here) on the transport writer, in call order. */
  send(pdu: Pdu, bytes?: WireBytes): void;
  /** Starts or restarts ARTIM: `'request'` in Sta2 (artimTimeoutMs), `'linger'` in Sta13 (abortLingerMs). */
  startArtim(kind: 'request' | 'linger'): void;
  stopArtim(): void;
  /** Closes the transport connection (Sta1): after flushing our writes unless `graceful` is false. */
  closeTransport(graceful: boolean): void;
  /** True once an A-ABORT was sent in AA-7 during this Sta13 stay (answer at most once). */
  abortSentInSta13: boolean;
  /** Indications and confirmations to the service user (exceptions are contained by the UpperLayer). */
  readonly indicate: Indications;
}

/** The service-user indications an action can issue (PS3.8 §9.2.2). */
export interface Indications {
  associateRequest(rq: AssociateRqPdu): void | Promise<void>;
  associateAccept(ac: AssociateAcPdu): void;
  associateReject(rj: AssociateRjPdu): void;
  pData(pdu: PDataTfPdu): void | Promise<void>;
  releaseRequest(): void;
  releaseConfirm(): void;
  abort(info: { source: number; reason: number } | { provider: true; error: Error }): void;
}

/** An action: may return a promise (P-DATA indications) that the read loop awaits for back-pressure. */
export type Action = (ctx: FsmContext, input: EventInput) => void | Promise<void>;

/** The A-ABORT PDU for a source and reason (PS3.8 §9.3.8). */
export function abortPdu(source: number, reason: number): AbortPdu {
  return { type: 'A-ABORT', source, reason };
}

/** A-ASSOCIATE-RJ (1, 2, 2): rejected-permanent, service-provider (ACSE), protocol-version-not-supported. */
const RJ_PROTOCOL_VERSION: AssociateRjPdu = { type: 'A-ASSOCIATE-RJ', result: 1, source: 2, reason: 2 };

/** AE-1 (Sta1, Evt1): issue TRANSPORT CONNECT; our transport is already connected, so Evt2 follows at once. → Sta4 */
export function ae1(ctx: FsmContext): void {
  ctx.state = 'Sta4';
}

/** AE-2 (Sta4, Evt2): send A-ASSOCIATE-RQ. → Sta5 */
export function ae2(ctx: FsmContext, input: EventInput): void {
  ctx.send(input.pdu!, input.bytes);
  ctx.state = 'Sta5';
}

/** AE-3 (Sta5, Evt3): A-ASSOCIATE confirmation (accept). → Sta6 */
export function ae3(ctx: FsmContext, input: EventInput): void {
  ctx.state = 'Sta6';
  ctx.indicate.associateAccept(input.pdu as AssociateAcPdu);
}

/** AE-4 (Sta5, Evt4): A-ASSOCIATE confirmation (reject), close the transport. → Sta1 */
export function ae4(ctx: FsmContext, input: EventInput): void {
  ctx.state = 'Sta1';
  ctx.indicate.associateReject(input.pdu as AssociateRjPdu);
  ctx.closeTransport(true);
}

/** AE-5 (Sta1, Evt5): accept the transport connection, start ARTIM. → Sta2 */
export function ae5(ctx: FsmContext): void {
  ctx.state = 'Sta2';
  ctx.startArtim('request');
}

/**
 * AE-6 (Sta2, Evt6): stop ARTIM; if the RQ is acceptable to the service provider (protocol-version
 * bit 0 set, Table 9-11) → A-ASSOCIATE indication, Sta3; otherwise send A-ASSOCIATE-RJ (1,2,2),
 * start ARTIM → Sta13.
 */
export function ae6(ctx: FsmContext, input: EventInput): void | Promise<void> {
  ctx.stopArtim();
  const rq = input.pdu as AssociateRqPdu;
  if ((rq.protocolVersion & 1) === 0) {
    ctx.send(RJ_PROTOCOL_VERSION);
    enterSta13(ctx);
    return;
  }
  ctx.state = 'Sta3';
  return ctx.indicate.associateRequest(rq);
}

/** AE-7 (Sta3, Evt7): send A-ASSOCIATE-AC. → Sta6 */
export function ae7(ctx: FsmContext, input: EventInput): void {
  ctx.send(input.pdu!, input.bytes);
  ctx.state = 'Sta6';
}

/** AE-8 (Sta3, Evt8): send A-ASSOCIATE-RJ, start ARTIM. → Sta13 */
export function ae8(ctx: FsmContext, input: EventInput): void {
  ctx.send(input.pdu!, input.bytes);
  enterSta13(ctx);
}

/** DT-1 (Sta6, Evt9): send P-DATA-TF. → Sta6 */
export function dt1(ctx: FsmContext, input: EventInput): void {
  ctx.send(input.pdu!, input.bytes);
}

/** DT-2 (Sta6, Evt10): P-DATA indication. → Sta6 */
export function dt2(ctx: FsmContext, input: EventInput): void | Promise<void> {
  return ctx.indicate.pData(input.pdu as PDataTfPdu);
}

/** AR-1 (Sta6, Evt11): send A-RELEASE-RQ. → Sta7 */
export function ar1(ctx: FsmContext, input: EventInput): void {
  ctx.send(input.pdu!, input.bytes);
  ctx.state = 'Sta7';
}

/** AR-2 (Sta6, Evt12): A-RELEASE indication. → Sta8 */
export function ar2(ctx: FsmContext): void {
  ctx.state = 'Sta8';
  ctx.indicate.releaseRequest();
}

/** AR-3 (Sta7/Sta11, Evt13): A-RELEASE confirmation, close the transport. → Sta1 */
export function ar3(ctx: FsmContext): void {
  ctx.state = 'Sta1';
  ctx.indicate.releaseConfirm();
  ctx.closeTransport(true);
}

/** AR-4 (Sta8/Sta12, Evt14): send A-RELEASE-RP, start ARTIM. → Sta13 */
export function ar4(ctx: FsmContext, input: EventInput): void {
  ctx.send(input.pdu!, input.bytes);
  enterSta13(ctx);
}

/** AR-5 (Sta13, Evt17): stop ARTIM; the peer closed, so close our side. → Sta1 */
export function ar5(ctx: FsmContext, input: EventInput): void {
  ctx.stopArtim();
  ctx.state = 'Sta1';
  ctx.closeTransport(!input.reset);
}

/** AR-6 (Sta7, Evt10): P-DATA indication (responses may still arrive after our A-RELEASE-RQ). → Sta7 */
export function ar6(ctx: FsmContext, input: EventInput): void | Promise<void> {
  return ctx.indicate.pData(input.pdu as PDataTfPdu);
}

/** AR-7 (Sta8, Evt9): send P-DATA-TF. → Sta8 */
export function ar7(ctx: FsmContext, input: EventInput): void {
  ctx.send(input.pdu!, input.bytes);
}

/** AR-8 (Sta7, Evt12): A-RELEASE indication (release collision). → Sta9 (requestor) or Sta10 (acceptor) */
export function ar8(ctx: FsmContext): void {
  ctx.state = ctx.role === 'requestor' ? 'Sta9' : 'Sta10';
  ctx.indicate.releaseRequest();
}

/** AR-9 (Sta9, Evt14): send A-RELEASE-RP. → Sta11 */
export function ar9(ctx: FsmContext, input: EventInput): void {
  ctx.send(input.pdu!, input.bytes);
  ctx.state = 'Sta11';
}

/** AR-10 (Sta10, Evt13): A-RELEASE confirmation; the user must still answer the peer's RQ. → Sta12 */
export function ar10(ctx: FsmContext): void {
  ctx.state = 'Sta12';
  ctx.indicate.releaseConfirm();
}

/**
 * AA-1 (Evt15 in Sta3, Sta5..Sta12; Evt3/4/10/12/13/19 in Sta2): send A-ABORT — the user's
 * source/reason for Evt15, (0, 0) service-user otherwise — and (re)start ARTIM. → Sta13
 */
export function aa1(ctx: FsmContext, input: EventInput): void {
  const { source, reason } = input.userAbort ?? { source: 0, reason: 0 };
  ctx.send(abortPdu(source, reason), input.bytes);
  enterSta13(ctx);
  ctx.abortSentInSta13 = true; // AA-7 adds no second one (an invalid PDU read after it)
}

/** AA-2 (Sta2/Sta13 Evt16 and Evt18, Sta4 Evt15): stop ARTIM, close the transport. → Sta1 */
export function aa2(ctx: FsmContext): void {
  ctx.stopArtim();
  ctx.state = 'Sta1';
  ctx.closeTransport(true);
}

/** AA-3 (Evt16 in Sta3, Sta5..Sta12): A-ABORT (source 0) or A-P-ABORT (source 2) indication, close. → Sta1 */
export function aa3(ctx: FsmContext, input: EventInput): void {
  const pdu = input.pdu as AbortPdu | undefined;
  ctx.state = 'Sta1';
  // No PDU: an A-ABORT too short to hold a source and reason (reliability.md M-15), told by its error.
  ctx.indicate.abort(pdu ? { source: pdu.source, reason: pdu.reason } : { provider: true, error: input.error! });
  ctx.closeTransport(true);
}

/** AA-4 (Evt17 in Sta3..Sta12): A-P-ABORT indication (transport lost). → Sta1 */
export function aa4(ctx: FsmContext, input: EventInput): void {
  ctx.state = 'Sta1';
  ctx.indicate.abort({ provider: true, error: input.error ?? new Error('transport connection closed') });
  ctx.closeTransport(!input.reset);
}

/** AA-5 (Sta2, Evt17): stop ARTIM; the peer left before sending an A-ASSOCIATE-RQ. → Sta1 */
export function aa5(ctx: FsmContext, input: EventInput): void {
  ctx.stopArtim();
  ctx.state = 'Sta1';
  ctx.closeTransport(!input.reset);
}

/** AA-6 (Sta13, Evt3/4/10/12/13): ignore the PDU. → Sta13 */
export function aa6(): void {}

/**
 * AA-7 (Sta13, Evt6/Evt19): send A-ABORT — (2, 2) for an A-ASSOCIATE-RQ, the decoder's reason for
 * an invalid PDU — at most once per Sta13 stay, so a flood of RQs cannot make us write, and not
 * when the stay began with our A-ABORT (AA-1, AA-8): the peer has one already. → Sta13
 */
export function aa7(ctx: FsmContext, input: EventInput): void {
  if (ctx.abortSentInSta13) return;
  ctx.abortSentInSta13 = true;
  ctx.send(abortPdu(2, input.abort?.reason ?? 2));
}

/**
 * AA-8 (unexpected or invalid PDU in Sta3, Sta5..Sta12): send A-ABORT (service-provider source,
 * reason 2 unexpected-PDU or the decoder's reason), A-P-ABORT indication, start ARTIM. → Sta13
 */
export function aa8(ctx: FsmContext, input: EventInput): void {
  const reason = input.abort?.reason ?? 2;
  const error = input.error ?? unexpectedPdu(ctx.state, input.pdu);
  ctx.send(abortPdu(2, reason));
  enterSta13(ctx);
  ctx.abortSentInSta13 = true;
  ctx.indicate.abort({ provider: true, error });
}

/** The error for a valid PDU that is not allowed in the state (A-ABORT reason 2, unexpected-PDU). */
function unexpectedPdu(state: StateName, pdu: Pdu | undefined): ProtocolError {
  const type = pdu?.type ?? 'PDU';
  return new ProtocolError('UNEXPECTED_PDU', `unexpected ${type} in ${state}`, { source: 2, reason: 2 });
}

/** Sta13 entry shared by AE-6 (reject), AE-8, AR-4, AA-1 and AA-8: ARTIM runs until the peer closes. */
function enterSta13(ctx: FsmContext): void {
  if (ctx.state !== 'Sta13') ctx.abortSentInSta13 = false;
  ctx.state = 'Sta13';
  ctx.startArtim('linger');
}

/** Action name → implementation (PS3.8 §9.2.2). */
export const ACTION_FUNCTIONS: Readonly<Record<ActionName, Action>> = {
  'AE-1': ae1,
  'AE-2': ae2,
  'AE-3': ae3,
  'AE-4': ae4,
  'AE-5': ae5,
  'AE-6': ae6,
  'AE-7': ae7,
  'AE-8': ae8,
  'DT-1': dt1,
  'DT-2': dt2,
  'AR-1': ar1,
  'AR-2': ar2,
  'AR-3': ar3,
  'AR-4': ar4,
  'AR-5': ar5,
  'AR-6': ar6,
  'AR-7': ar7,
  'AR-8': ar8,
  'AR-9': ar9,
  'AR-10': ar10,
  'AA-1': aa1,
  'AA-2': aa2,
  'AA-3': aa3,
  'AA-4': aa4,
  'AA-5': aa5,
  'AA-6': aa6,
  'AA-7': aa7,
  'AA-8': aa8,
};
