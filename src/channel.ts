/**
 * The link between one UpperLayer and the ACSE/DIMSE code above it: turns the state machine's
 * indications into promises (association response, release, end) and feeds P-DATA to DIMSE.
 * Internal; the public face is {@link Association}.
 */
import { emit, newAssociationId, pduLength } from './telemetry';
import { AssociationAbortedError, AssociationRejectedError, NetdicomError, ProtocolError, TimeoutError } from './errors';
import { withoutStack } from './without-stack';
import type { AeOptions } from './options';
import { describeReject, MAX_PDU_LENGTH } from './pdu/constants';
import type { AssociateAcPdu, AssociateRjPdu, AssociateRqPdu, PDataTfPdu, Pdu, PduLimits } from './pdu/types';
import type { Transport } from './transport';
import { UpperLayer } from './ul/upper-layer';
import { describePdu } from './debug/describe-pdu';

/** How an association ended. */
export interface CloseInfo {
  readonly reason: 'released' | 'aborted' | 'rejected' | 'closed';
  /** For aborts: the error describing who aborted and why. */
  readonly error?: NetdicomError;
}

type Deferred<T> = { resolve(value: T): void; reject(error: unknown): void };

/**
 * What our PDU reader accepts: the AE's maxPduLength, and for 0 ("no limit") the AE's range cap
 * (reliability.md §5: 16 MiB, dcm4che's). The acceptor advertises exactly this in its 51H.
 */
export function receiveLimits(options: Pick<AeOptions, 'maxPduLength' | 'associatePduMax'>): PduLimits {
  return { maxPduLength: options.maxPduLength, associatePduMax: options.associatePduMax, hardMaxPduLength: MAX_PDU_LENGTH };
}

export class Channel {
  readonly ul: UpperLayer;
  /** Settles (never rejects) when the transport is closed and the state machine is back in Sta1. */
  readonly ended: Promise<CloseInfo>;
  /** Receives P-DATA once the association is established; errors are turned into A-ABORT. */
  onPData: ((pdu: PDataTfPdu) => void | Promise<void>) | null = null;
  /** Told when the association ends (before `ended` settles). */
  onEnd: ((info: CloseInfo) => void) | null = null;
  /**
   * Told when the peer asks to release; the channel answers it, after the returned promise (work
   * still owed to the peer, e.g. responses) settles, waiting at most the ACSE timeout.
   */
  onPeerRelease: (() => void | Promise<void>) | null = null;
  /**
   * Asked when the network timeout finds no PDU received for that long: true while operations are
   * under way on either side (a C-MOVE being performed, our request awaiting its response), whose
   * silence is not idleness; the DIMSE timeout covers those. False while the peer owes the rest of
   * a message we are reading (a C-STORE data set): that silence is the peer's (reliability.md T-03/T-04).
   */
  isBusy: (() => boolean) | null = null;
  /** Identifies the association in telemetry events. */
  readonly id = newAssociationId();
  readonly side: 'requestor' | 'acceptor';

  private associateResponse: Deferred<AssociateAcPdu> | null = null;
  private associateRequest: Deferred<AssociateRqPdu> | null = null;
  private releaseWaiter: Deferred<void> | null = null;
  private releasing: Promise<void> | null = null;
  private endInfo: CloseInfo | null = null;
  private resolveEnded!: (info: CloseInfo) => void;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private lastTraffic = 0;
  private established = false;
  /** Holds the read loop in Sta3 until the acceptor has answered (see {@link Channel.decided}). */
  private readonly decision: Promise<void>;
  private resolveDecision!: () => void;

  constructor(
    transport: Transport,
    role: 'requestor' | 'acceptor',
    private readonly options: AeOptions,
  ) {
    this.side = role;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.decision = new Promise((resolve) => (this.resolveDecision = resolve));
    this.ul = new UpperLayer(
      transport,
      {
        associateRequest: (rq) => {
          this.associateRequest?.resolve(rq);
          return this.decision;
        },
        associateAccept: (ac) => this.associateResponse?.resolve(ac),
        associateReject: (rj) => this.rejected(rj),
        pData: (pdu) => this.receive(pdu),
        releaseRequest: () => this.peerReleaseRequest(),
        releaseConfirm: () => this.releaseConfirmed(),
        abort: (info) => this.aborted(info),
        closed: () => this.finish({ reason: 'closed' }),
      },
      {
        role,
        limits: receiveLimits(options),
        artimTimeoutMs: options.artimTimeoutMs,
        abortLingerMs: options.abortLingerMs,
        pduReadTimeoutMs: options.pduReadTimeoutMs,
        onPdu: (direction, pdu) => this.observe(direction, pdu),
        // Sent PDUs matter only to the debug log and the telemetry observer (received ones also to the idle timer).
        onPduSent: Boolean(options.debug || options.observe),
        // Received P-DATA touches the idle timer in receive() below; the hook then adds nothing.
        onPDataReceived: Boolean(options.debug || options.observe),
      },
    );
  }

  /** Requestor: sends the RQ and waits (ACSE timeout) for AC; rejects on RJ, abort or timeout. */
  async requestAssociation(rq: AssociateRqPdu, signal?: AbortSignal): Promise<AssociateAcPdu> {
    if (signal?.aborted) {
      // Given up before it began: nothing is sent, the transport is closed.
      this.ul.destroy();
      await this.ul.closed;
      throw signal.reason;
    }
    const response = new Promise<AssociateAcPdu>((resolve, reject) => (this.associateResponse = { resolve, reject }));
    this.ul.start();
    await this.ul.requestAssociation(rq);
    return this.withTimeout(response, this.options.acseTimeoutMs, 'no A-ASSOCIATE response', signal);
  }

  /** Acceptor: starts reading and waits for the peer's RQ (ARTIM applies in the state machine). */
  waitForRequest(): Promise<AssociateRqPdu> {
    const request = new Promise<AssociateRqPdu>((resolve, reject) => (this.associateRequest = { resolve, reject }));
    this.ul.start();
    return request;
  }

  /** How the association ended, or null while it has not (the end may come before anyone set {@link onEnd}). */
  get endedWith(): CloseInfo | null {
    return this.endInfo;
  }

  /** Marks the association established: P-DATA flows and the network idle timer runs. */
  establish(): void {
    this.established = true;
    this.decided();
    this.touch();
  }

  /**
   * Acceptor: the A-ASSOCIATE response was given (or the RQ rejected); input queued behind the RQ
   * may now be read. Until then it waits, so pipelined PDUs meet the answered state, not Sta3.
   */
  decided(): void {
    this.resolveDecision();
  }

  /**
   * Requests release and waits for the peer's A-RELEASE-RP (ACSE timeout, then abort). A call
   * while one is under way gets its promise (and its signal): there is one A-RELEASE-RQ.
   */
  release(signal?: AbortSignal): Promise<void> {
    this.releasing ??= this.requestRelease(signal);
    return this.releasing;
  }

  private async requestRelease(signal?: AbortSignal): Promise<void> {
    if (this.endInfo) return;
    const confirmed = new Promise<void>((resolve, reject) => (this.releaseWaiter = { resolve, reject }));
    await this.ul.requestRelease();
    try {
      await this.withTimeout(confirmed, this.options.acseTimeoutMs, 'no A-RELEASE-RP', signal);
    } catch (error) {
      await this.abort();
      throw error;
    }
    await this.ended;
  }

  /** Sends A-ABORT (service-user) and waits until the transport is closed. */
  async abort(source = 0, reason = 0): Promise<void> {
    if (!this.endInfo) {
      this.finish({ reason: 'aborted', error: new AssociationAbortedError('aborted by the local service user', { source, reason }) });
      await this.ul.abort(source, reason).catch(() => undefined);
    }
    await this.ul.closed;
  }

  /** Hands P-DATA to DIMSE; a promise only when DIMSE must be waited for (read back-pressure). */
  private receive(pdu: PDataTfPdu): void | Promise<void> {
    this.touch();
    let pending: void | Promise<void>;
    try {
      pending = this.onPData?.(pdu);
    } catch (error) {
      return this.failedInput(error);
    }
    // Held input (a consumer catching up) is our doing: the peer's silence counts from when we read on.
    if (pending) return pending.then(() => this.touch(), (error: unknown) => this.failedInput(error));
  }

  private async failedInput(error: unknown): Promise<void> {
    const abort = error instanceof ProtocolError ? error.abort : { source: 2, reason: 0 };
    this.options.logger.warn(`aborting: ${(error as Error).message}`);
    this.finish({ reason: 'aborted', error: asNetdicomError(error) });
    await this.ul.abort(abort.source, abort.reason).catch(() => undefined);
  }

  private peerReleaseRequest(): void {
    let owed: void | Promise<void>;
    try {
      owed = this.onPeerRelease?.();
    } catch {
      owed = undefined;
    }
    // Sta8 answers once the responses still owed are out (P-DATA may still be sent in Sta8, AR-7);
    // Sta9 (collision, requestor side) answers now; Sta10 answers after our RP arrives (AR-10).
    if (this.ul.state === 'Sta8' && owed) {
      void this.settledWithin(owed, this.options.acseTimeoutMs).then(() => {
        if (!this.endInfo && this.ul.state === 'Sta8') this.answerRelease();
      });
    } else if (this.ul.state === 'Sta8' || this.ul.state === 'Sta9') {
      this.answerRelease();
    }
  }

  private answerRelease(): void {
    this.finish({ reason: 'released' });
    void this.ul.respondRelease().catch(() => undefined);
  }

  /** Resolves when `promise` settles or after `ms` (never rejects). */
  private settledWithin(promise: Promise<void>, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(resolve, ms) : undefined;
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      promise.then(done, done);
      void this.ended.then(done);
    });
  }

  private releaseConfirmed(): void {
    this.releaseWaiter?.resolve();
    this.finish({ reason: 'released' });
    if (this.ul.state === 'Sta12') void this.ul.respondRelease().catch(() => undefined);
  }

  private rejected(rj: AssociateRjPdu): void {
    const error = new AssociationRejectedError(rj.result, rj.source, rj.reason, `association rejected: ${describeReject(rj.result, rj.source, rj.reason)}`);
    this.associateResponse?.reject(error);
    this.finish({ reason: 'rejected', error });
  }

  private aborted(info: { source: number; reason: number } | { provider: true; error: Error }): void {
    if ('provider' in info && info.error instanceof TimeoutError) {
      // The per-PDU read deadline (UpperLayer): told as the network timeout is.
      this.options.logger.warn(`${info.error.message}, aborting`);
      return this.finish({ reason: 'aborted', error: info.error });
    }
    const error =
      'provider' in info
        ? info.error instanceof AssociationAbortedError
          ? info.error
          : new AssociationAbortedError(`association aborted: ${info.error.message}`, info.error instanceof ProtocolError ? info.error.abort : undefined, { cause: info.error })
        : new AssociationAbortedError(`association aborted by the peer (source ${info.source}, reason ${info.reason})`, info);
    this.finish({ reason: 'aborted', error });
  }

  private finish(info: CloseInfo): void {
    if (!this.endInfo) {
      this.endInfo = info;
      clearTimeout(this.idleTimer);
      this.decided();
      const error = info.error ?? withoutStack(() => new AssociationAbortedError(`association ${info.reason}`));
      this.associateResponse?.reject(error);
      this.associateRequest?.reject(error);
      if (info.reason !== 'released') this.releaseWaiter?.reject(error);
      this.onEnd?.(info);
    }
    if (info.reason === 'closed' || this.ul.state === 'Sta1') this.resolveEnded(this.endInfo);
    else void this.ul.closed.then(() => this.resolveEnded(this.endInfo!));
  }

  private observe(direction: 'sent' | 'received', pdu: Pdu): void {
    if (direction === 'received') this.touch();
    if (this.options.debug) this.options.logger.debug(`${direction === 'sent' ? 'Sending' : 'Received'} ${describePdu(pdu)}`);
    const observe = this.options.observe;
    if (observe) emit(observe, { time: Date.now(), associationId: this.id, side: this.side, type: 'pdu', direction, pduType: pdu.type, bytes: pduLength(pdu) });
  }

  /**
   * Notes traffic for the network idle timer (only while established). A timestamp per PDU; the
   * one timer re-arms itself for the remainder when it fires early, instead of a reset per PDU.
   */
  private touch(): void {
    if (!this.established || this.endInfo || !Number.isFinite(this.options.networkTimeoutMs)) return;
    this.lastTraffic = Date.now();
    if (this.idleTimer === undefined) this.armIdleTimer(this.options.networkTimeoutMs);
  }

  private armIdleTimer(ms: number): void {
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.endInfo) return;
      const quiet = Date.now() - this.lastTraffic;
      if (quiet < this.options.networkTimeoutMs) return this.armIdleTimer(this.options.networkTimeoutMs - quiet);
      // A C-MOVE's requestor sends nothing while the SCP performs it, for as long as that takes;
      // but a peer stalled inside a message is not waiting for us (isBusy is false then).
      if (this.isBusy?.()) return this.armIdleTimer(this.options.networkTimeoutMs);
      this.options.logger.warn(`network timeout: no PDU for ${this.options.networkTimeoutMs} ms, aborting`);
      this.finish({ reason: 'aborted', error: new TimeoutError('network', `no traffic for ${this.options.networkTimeoutMs} ms`) as unknown as NetdicomError });
      void this.ul.abort(0, 0).catch(() => undefined);
    }, ms);
  }

  private async withTimeout<T>(promise: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    // Our own giving up (timeout, the caller's signal) aborts the association; a rejection or an
    // abort that came from the peer has ended it already. A signal's reason may be any error.
    let ours = false;
    const limits = new Promise<never>((_, reject) => {
      if (Number.isFinite(ms)) timer = setTimeout(() => ((ours = true), reject(new TimeoutError('acse', `${what} within ${ms} ms`))), ms);
      if (signal) {
        onAbort = () => ((ours = true), reject(signal.reason));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    try {
      return await Promise.race([promise, limits]);
    } catch (error) {
      if (ours || (!(error instanceof AssociationRejectedError) && !(error instanceof AssociationAbortedError))) await this.abort();
      throw error;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }
}

function asNetdicomError(error: unknown): NetdicomError {
  return error instanceof NetdicomError ? error : new NetdicomError('INTERNAL', String((error as Error)?.message ?? error), { cause: error });
}
