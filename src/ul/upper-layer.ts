/**
 * The DICOM Upper Layer protocol machine over one {@link Transport} (PS3.8 §9.2): reads PDUs,
 * maps them and local primitives to events, runs the Table 9-10 action, and closes the transport
 * on every path that ends the association. Platform-free: web streams and an injectable clock only.
 */
import { AssociationAbortedError, InvalidStateError, ProtocolError, TimeoutError, TransportError } from '../errors';
import { withoutStack } from '../without-stack';
import { encodePDataParts, encodePDataRun, encodePdu } from '../pdu/encode';
import { PduReader } from '../pdu/reader';
import type { AbortPdu, AssociateAcPdu, AssociateRjPdu, AssociateRqPdu, PDataTfPdu, Pdu, PduLimits } from '../pdu/types';
import type { Transport } from '../transport';
import { ArtimTimer, systemClock, type Clock } from './artim';
import { ACTION_FUNCTIONS, abortPdu, type EventInput, type FsmContext, type Indications } from './fsm-actions';
import { EVENTS, STATES, transition, type EventName, type StateName } from './fsm-table';
import { wireFor, type Wire, type WireBytes } from './wire';

import type { UpperLayerOptions, UpperLayerUser } from './types';

export type { Clock } from './artim';
export type { ActionName, EventName, StateName } from './fsm-table';
export type { AbortIndication, TransitionStep, UpperLayerOptions, UpperLayerUser } from './types';

const PDU_EVENTS: Readonly<Record<Pdu['type'], EventName>> = {
  'A-ASSOCIATE-RQ': 'Evt6',
  'A-ASSOCIATE-AC': 'Evt3',
  'A-ASSOCIATE-RJ': 'Evt4',
  'P-DATA-TF': 'Evt10',
  'A-RELEASE-RQ': 'Evt12',
  'A-RELEASE-RP': 'Evt13',
  'A-ABORT': 'Evt16',
};

/**
 * One DICOM Upper Layer association endpoint (PS3.8 §9.2) owning one transport. Local primitives
 * are methods (Evt1, 7, 8, 9, 11, 14, 15); a primitive whose Table 9-10 cell is empty for the
 * current state rejects with {@link InvalidStateError} and sends nothing. Network input, transport
 * loss and ARTIM are events handled internally; every path ends in Sta1 with the transport closed
 * and {@link UpperLayer.closed} resolved. Nothing here rejects unhandled.
 */
export class UpperLayer {
  /** Resolves once Sta1 is reached and the transport is closed. Never rejects. */
  readonly closed: Promise<void>;

  private readonly fsm: FsmContext;
  private readonly artim: ArtimTimer;
  /** The per-PDU read deadline (not ARTIM, but the same kind of one-shot timer), and since when the PDU partly read has been waited for. */
  private readonly pduTimer: ArtimTimer;
  private readonly pduReadMs: number;
  private pduSince: number | undefined;
  private readonly now: () => number;
  private readonly pduReader: PduReader;
  private readonly wire: Wire;
  private readonly clock: Clock;
  private reading = false;
  private started = false;
  private closing = false;
  /** Set after a framing error: nothing more is parsed or answered (reliability 2.4). */
  private discardInput = false;
  private resolveClosed!: () => void;

  constructor(
    private readonly transport: Transport,
    private readonly user: UpperLayerUser,
    private readonly options: UpperLayerOptions,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.clock = options.clock ?? systemClock;
    this.artim = new ArtimTimer(() => this.networkEvent('Evt18', {}), this.clock);
    this.pduTimer = new ArtimTimer(() => this.pduReadExpired(), this.clock);
    this.pduReadMs = options.pduReadTimeoutMs ?? 30000;
    this.now = this.clock.now ? () => this.clock.now!() : Date.now;
    this.wire = wireFor(transport);
    this.pduReader = new PduReader(options.limits, this.wire.release);
    transport.closed.catch(() => undefined);
    this.fsm = this.makeContext();
  }

  /** The current state, `'Sta1'` .. `'Sta13'` (PS3.8 §9.2.1). */
  get state(): StateName {
    return this.fsm.state;
  }

  /** Acceptor: Evt5 → AE-5 (Sta2, ARTIM started) and start reading. Requestor: no-op (reading starts with AE-2). Idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.options.role === 'acceptor' && this.fsm.state === 'Sta1' && !this.closing) {
      this.dispatch('Evt5', {});
      this.beginReading();
    }
  }

  /** A-ASSOCIATE request (requestor, Sta1): Evt1 → AE-1 → Sta4, then Evt2 → AE-2 sends the RQ → Sta5. */
  async requestAssociation(rq: AssociateRqPdu): Promise<void> {
    if (this.options.role !== 'requestor') throw new InvalidStateError('A-ASSOCIATE request needs the requestor role');
    this.check('Evt1');
    const bytes = encodePdu(rq);
    this.dispatch('Evt1', {});
    this.dispatch('Evt2', { pdu: rq, bytes });
    this.beginReading();
  }

  /** A-ASSOCIATE response, accept (Sta3): Evt7 → AE-7 sends the AC → Sta6. */
  acceptAssociation(ac: AssociateAcPdu): Promise<void> {
    return this.local('Evt7', ac);
  }

  /** A-ASSOCIATE response, reject (Sta3): Evt8 → AE-8 sends the RJ, ARTIM → Sta13. */
  rejectAssociation(rj: AssociateRjPdu): Promise<void> {
    return this.local('Evt8', rj);
  }

  /** P-DATA request: Evt9 → DT-1 (Sta6) or AR-7 (Sta8). Resolves when the transport can take more (write back-pressure). */
  sendPData(pdu: PDataTfPdu): Promise<void> {
    try {
      return this.writePData(pdu) ?? READY;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * {@link sendPData} for the DIMSE hot path: throws instead of rejecting, and returns a promise
   * only when the transport is full, so a message's PDUs go out without a promise each.
   */
  writePData(pdu: PDataTfPdu): Promise<void> | undefined {
    this.check('Evt9');
    // Parts: headers plus the caller's data views, sent back to back without a copy on the fast path.
    this.dispatch('Evt9', { pdu, bytes: encodePDataParts(pdu) });
    return this.wire.ready();
  }

  /**
   * {@link writePData} for a run of data set fragments: `data` as P-DATA-TF PDUs of one PDV each
   * (at most `fragment` bytes; the last flagged last when `endsMessage`), written with one state
   * check and one transport write instead of one of each per PDU. Evt9 in Sta6 (DT-1) and Sta8
   * (AR-7) sends the PDU and keeps the state, so the run is that event once per PDU; the debug
   * hooks still see each one (UpperLayerOptions.onPduSent).
   */
  writePDataRun(contextId: number, data: Uint8Array, fragment: number, endsMessage: boolean): Promise<void> | undefined {
    this.check('Evt9');
    const trace = this.options.onTransition;
    if (trace || (this.options.onPdu && this.options.onPduSent !== false)) {
      const state = this.fsm.state;
      const action = transition('Evt9', state)!;
      let offset = 0;
      do {
        const end = Math.min(offset + fragment, data.byteLength);
        const pdv = { contextId, isCommand: false, isLast: endsMessage && end === data.byteLength, data: data.subarray(offset, end) };
        if (trace) quietly(() => trace({ state, event: 'Evt9', action }));
        this.pduHook('sent', { type: 'P-DATA-TF', pdvs: [pdv] });
        offset = end;
      } while (offset < data.byteLength);
    }
    this.wire.write(encodePDataRun(contextId, data, fragment, endsMessage));
    return this.wire.ready();
  }

  /**
   * Present when the transport lends its input chunks (DirectTransport.release): hands back bytes
   * of a received PDV's data that nothing reads any more, so their memory can take new input.
   */
  get releaseInput(): ((view: Uint8Array, count?: number) => void) | undefined {
    return this.wire.release;
  }

  /** Sends the P-DATA-TF PDUs written so far now rather than at the end of the current task (see DirectTransport.flush). */
  sendPDataNow(): void {
    this.wire.flush();
  }

  /** Whether {@link pDataFlushed} can tell (the transport's fast path reports flushes). */
  get tellsFlushed(): boolean {
    return this.wire.flushed !== undefined;
  }

  /**
   * Undefined when every P-DATA-TF written so far has left netdicom (handed to the operating
   * system), else resolves when it has. Only meaningful when {@link tellsFlushed}: a sender must
   * not reuse the memory of data it sent otherwise.
   */
  pDataFlushed(): Promise<void> | undefined {
    return this.wire.flushed?.();
  }

  /** A-RELEASE request (Sta6): Evt11 → AR-1 sends A-RELEASE-RQ → Sta7. */
  requestRelease(): Promise<void> {
    return this.local('Evt11', { type: 'A-RELEASE-RQ' });
  }

  /** A-RELEASE response: Evt14 → AR-4 (Sta8, Sta12: RP, ARTIM → Sta13) or AR-9 (Sta9: RP → Sta11). */
  respondRelease(): Promise<void> {
    return this.local('Evt14', { type: 'A-RELEASE-RP' });
  }

  /** A-ABORT request (Sta3..Sta12): Evt15 → AA-1 sends A-ABORT(source, reason), ARTIM → Sta13. Default (0, 0). */
  abort(source = 0, reason = 0): Promise<void> {
    const pdu: AbortPdu = abortPdu(source, reason);
    return this.local('Evt15', pdu, { userAbort: { source, reason } });
  }

  /**
   * Outside PS3.8: tear the connection down now, in any state (e.g. server shutdown). No PDU is
   * sent and no indication is issued except `closed`.
   */
  destroy(): void {
    if (this.closing) return;
    this.artim.stop();
    this.fsm.state = 'Sta1';
    this.closeTransport(false);
  }

  /** Changes the decoder limits, e.g. maxPduLength once the association is negotiated (PS3.8 Annex D.1). */
  setReceiveLimits(limits: Partial<PduLimits>): void {
    this.pduReader.setLimits(limits);
  }

  private check(event: EventName): void {
    if (this.closing || !transition(event, this.fsm.state)) {
      throw new InvalidStateError(`${EVENTS[event]} is not allowed in ${this.fsm.state} (${STATES[this.fsm.state]})`);
    }
  }

  /**
   * A local primitive: encode first (a bad PDU rejects without a transition), then run the action.
   * Resolves once the PDU is queued; only P-DATA waits for write back-pressure, so control PDUs
   * (RQ, AC, RJ, release, A-ABORT) never wait on a peer that stopped reading.
   */
  private async local(event: EventName, pdu: Pdu, extra: EventInput = {}): Promise<void> {
    this.check(event);
    const bytes = encodePdu(pdu);
    this.dispatch(event, { ...extra, pdu, bytes });
  }

  private dispatch(event: EventName, input: EventInput): void | Promise<void> {
    const state = this.fsm.state;
    const action = transition(event, state)!;
    const trace = this.options.onTransition;
    if (trace) quietly(() => trace({ state, event, action }));
    return ACTION_FUNCTIONS[action](this.fsm, input);
  }

  /** Network events (Evt3/4/6/10/12/13/16/17/18/19): cells left empty by Table 9-10 cannot occur and are ignored. */
  private networkEvent(event: EventName, input: EventInput): void | Promise<void> {
    if (this.closing || !transition(event, this.fsm.state)) return;
    return this.dispatch(event, input);
  }

  private beginReading(): void {
    if (this.reading) return;
    this.reading = true;
    this.wire.startReading({
      // In Sta1 (closing) and after a framing error, input is read and discarded until the end.
      chunk: (bytes) => (this.discardInput || this.closing ? this.wire.release?.(bytes) : this.receiveChunk(bytes)),
      lost: (cause) => this.transportLost(cause),
      failed: (error) => this.internalFailure(error),
    });
  }

  /** A bug surfaced while handling input: report it as a provider abort and tear down; never rethrown. */
  private internalFailure(cause: unknown): void {
    if (this.closing) return;
    const error = cause instanceof Error ? cause : new Error(String(cause));
    this.notify(() => this.user.abort?.({ provider: true, error }));
    this.destroy();
  }

  /** Decodes a chunk and runs the events of the PDUs it completes; a promise means "wait before reading on". */
  private receiveChunk(chunk: Uint8Array): void | Promise<void> {
    let pdus: Pdu[];
    try {
      pdus = this.pduReader.push(chunk);
    } catch (error) {
      return this.framingError(error);
    }
    return this.receivePdus(pdus, 0);
  }

  private receivePdus(pdus: Pdu[], from: number): void | Promise<void> {
    for (let i = from; i < pdus.length; i++) {
      if (this.discardInput || this.closing) return;
      const pdu = pdus[i]!;
      let pending: void | Promise<void>;
      if (pdu.type === 'P-DATA-TF' && this.fsm.state === 'Sta6' && !this.options.onTransition) {
        // Evt10 in Sta6 is DT-2 (P-DATA indication, stay in Sta6), the same event for every data
        // PDU: taken directly instead of through the table, the action and the callback wrapper,
        // which a fresh process runs unoptimised for its first hundreds of PDUs.
        if (this.options.onPDataReceived !== false) this.pduHook('received', pdu);
        pending = this.pDataIndication(pdu);
      } else {
        this.pduHook('received', pdu);
        pending = this.networkEvent(PDU_EVENTS[pdu.type], { pdu });
      }
      // Read back-pressure: wait for the user's P-DATA handling (or A-ASSOCIATE decision), but not past the end of the association.
      if (pending) {
        // Not reading is our doing, not the peer's: the read deadline waits too.
        this.pduSince = undefined;
        return this.untilSettledOrClosing(pending).then(() => this.receivePdus(pdus, i + 1));
      }
    }
    if (this.discardInput || this.closing) return;
    // The PDUs before a malformed one come first, however the input was split (reliability.md Z-02, M-07).
    const failure = this.pduReader.failure;
    if (failure) return this.framingError(failure);
    this.watchPduRead(pdus.length > 0);
  }

  /** A malformed PDU: framing is lost, so nothing more is parsed or answered (reliability.md 2.4). */
  private framingError(error: unknown): void {
    this.discardInput = true;
    // An A-ABORT with a bad length is still the peer leaving (reliability.md M-15): Evt16, not an answer,
    // with the source and reason it sent, or told as the malformed PDU it is when it has none.
    if (error instanceof ProtocolError && error.pduType === 0x07 && error.code === 'FIXED_PDU_LENGTH_INVALID') {
      const raw = this.pduReader.malformedAbort;
      if (raw) this.networkEvent('Evt16', { pdu: abortPdu(raw.source, raw.reason) });
      else this.networkEvent('Evt16', { error: new AssociationAbortedError(`association aborted by the peer with a malformed A-ABORT: ${error.message}`, undefined, { cause: error }) });
      return;
    }
    const abort = error instanceof ProtocolError ? error.abort : { source: 2, reason: 0 };
    this.networkEvent('Evt19', { error: error as Error, abort });
  }

  /**
   * The per-PDU read deadline (reliability.md T-04): runs while a PDU is partly received and we
   * are reading, from its first chunk; a completed PDU restarts it, trickled bytes do not. A time
   * noted per chunk, not a timer reset: the one timer re-arms itself when it fires early.
   */
  private watchPduRead(completed: boolean): void {
    if (this.pduReader.bufferedBytes === 0) this.pduSince = undefined;
    else if (completed || this.pduSince === undefined) {
      this.pduSince = this.now();
      if (!this.pduTimer.running && this.pduReadMs > 0 && this.pduReadMs < Infinity) this.pduTimer.start(this.pduReadMs);
    }
  }

  /** The read deadline's timer fired: A-ABORT (0, 0) as for the network timeout, if a PDU is still partly read; not in Sta2 and Sta13, which ARTIM watches. */
  private pduReadExpired(): void {
    if (this.pduSince === undefined || this.closing) return;
    const left = this.pduSince + this.pduReadMs - this.now();
    if (left > 0) return this.pduTimer.start(left);
    if (!transition('Evt15', this.fsm.state)) return;
    this.dispatch('Evt15', { userAbort: { source: 0, reason: 0 } });
    const error = new TimeoutError('network', `a PDU was not received whole within ${this.pduReadMs} ms`);
    this.notify(() => this.user.abort?.({ provider: true, error }));
  }

  /**
   * Resolves when `pending` settles or the association starts closing, whichever is first. Not a
   * Promise.race with one long-lived closing promise: each race would leave a reaction on it until
   * the association ends (a leak proportional to the number of held PDUs).
   */
  private untilSettledOrClosing(pending: Promise<void>): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.closeWaiters.add(resolve);
      const done = () => {
        this.closeWaiters.delete(resolve);
        resolve();
      };
      pending.then(done, done);
    });
  }

  private readonly closeWaiters = new Set<() => void>();

  /** The debug hook, if any; a throwing hook must not disturb the protocol machine. */
  private pduHook(direction: 'sent' | 'received', pdu: Pdu): void {
    const hook = this.options.onPdu;
    if (!hook) return;
    try {
      hook(direction, pdu);
    } catch {
      // ignored on purpose
    }
  }

  /** Evt17: the readable ended (the peer closed) or errored / a write failed (reset). */
  private transportLost(cause?: unknown): void {
    const reset = cause !== undefined;
    const error = reset
      ? new TransportError('transport connection lost', { cause })
      : withoutStack(() => new TransportError('the peer closed the transport connection'));
    this.networkEvent('Evt17', { error, reset });
  }

  private send(pdu: Pdu, bytes?: WireBytes): void {
    const data = bytes ?? encodePdu(pdu);
    this.pduHook('sent', pdu);
    this.wire.write(data);
  }

  /** Ends the connection once (Sta1); `graceful` flushes our last PDU and FINs before closing. */
  private closeTransport(graceful: boolean): void {
    if (this.closing) return;
    this.closing = true;
    for (const wake of this.closeWaiters) wake();
    this.closeWaiters.clear();
    this.artim.stop();
    this.pduTimer.stop();
    void this.wire.close(graceful, { stepTimeoutMs: this.options.abortLingerMs ?? 1000, clock: this.clock }).then(() => {
      this.wire.stopReading();
      this.resolveClosed();
      quietly(() => this.user.closed?.());
    });
  }

  /** A throwing service-user callback: treated as a local A-ABORT request (0, 0) where one is allowed. */
  private userFailed(cause: unknown): void {
    queueMicrotask(() => {
      if (this.closing || !transition('Evt15', this.fsm.state)) return;
      this.dispatch('Evt15', { userAbort: { source: 0, reason: 0 } });
      const error = new InvalidStateError(`service-user callback failed: ${(cause as Error)?.message ?? String(cause)}`);
      this.notify(() => this.user.abort?.({ provider: true, error }));
    });
  }

  /** DT-2's P-DATA indication as {@link notify} gives it, without a closure per PDU. */
  private pDataIndication(pdu: PDataTfPdu): void | Promise<void> {
    try {
      return this.failuresToUser(this.user.pData?.(pdu));
    } catch (error) {
      this.userFailed(error);
    }
  }

  /** Calls a user callback; exceptions and rejections go to userFailed(). Returns a promise to await, if any. */
  private notify(call: () => void | Promise<void>): void | Promise<void> {
    try {
      return this.failuresToUser(call());
    } catch (error) {
      this.userFailed(error);
    }
  }

  /** A user callback's result: a promise whose rejection goes to userFailed(), or nothing to wait for. */
  private failuresToUser(result: void | Promise<void>): void | Promise<void> {
    if (result && typeof result.then === 'function') return result.then(undefined, (error: unknown) => this.userFailed(error));
  }

  private makeContext(): FsmContext {
    const indicate: Indications = {
      associateRequest: (rq) => this.notify(() => this.user.associateRequest?.(rq)),
      associateAccept: (ac) => void this.notify(() => this.user.associateAccept?.(ac)),
      associateReject: (rj) => void this.notify(() => this.user.associateReject?.(rj)),
      pData: (pdu) => this.notify(() => this.user.pData?.(pdu)),
      releaseRequest: () => void this.notify(() => this.user.releaseRequest?.()),
      releaseConfirm: () => void this.notify(() => this.user.releaseConfirm?.()),
      abort: (info) => void this.notify(() => this.user.abort?.(info)),
    };
    return {
      role: this.options.role,
      state: 'Sta1',
      abortSentInSta13: false,
      indicate,
      send: (pdu, bytes) => this.send(pdu, bytes),
      startArtim: (kind) =>
        this.artim.start(kind === 'request' ? (this.options.artimTimeoutMs ?? 30000) : (this.options.abortLingerMs ?? 1000)),
      stopArtim: () => this.artim.stop(),
      closeTransport: (graceful) => this.closeTransport(graceful),
    };
  }
}

const READY: Promise<void> = Promise.resolve();

/** Runs a hook; a throwing debug hook must not disturb the protocol machine. */
function quietly(hook: () => void): void {
  try {
    hook();
  } catch {
    // ignored on purpose
  }
}
