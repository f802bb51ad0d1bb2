/**
 * The DIMSE service provider of one association (PS3.7 §6, like pynetdicom's DIMSEServiceProvider):
 * sends messages as P-DATA, rebuilds incoming ones, queues them for the services, and keeps
 * C-CANCEL requests apart, keyed by the Message ID they cancel.
 */
import { AssociationAbortedError, ProtocolError, TimeoutError } from '../errors';
import { withoutStack } from '../without-stack';
import type { PDataTfPdu, Pdv } from '../pdu/types';
import { encodeCommandForSending, hex4 } from './command-set';
import { ChunkRecycler, fragmentsOf, isRecycling, type DatasetBytes, type RecyclingChunks } from './dataset-source';
import { maxFragmentLength, PduPacker } from './fragment';
import { MessageAssembler, type IncomingMessage, type ReassemblerOptions } from './reassemble';
import { RequestWindow } from './request-window';
import { CommandField, NO_DATASET, type Command } from './types';

export type { IncomingMessage } from './reassemble';

/**
 * How a {@link DimseProvider} is wired to its association: how P-DATA-TF PDUs are sent, the peer's
 * maximum PDU length, the DIMSE timeout, the invoked-operations window, size limits and hooks.
 * {@link Association} builds these from its upper layer and AE options; other code needs them
 * only to run a provider on its own (tests).
 */
export interface DimseProviderOptions extends ReassemblerOptions {
  /** Sends one P-DATA-TF PDU; a promise means "wait before the next one" (write back-pressure). */
  sendPdu(pdu: PDataTfPdu): void | Promise<void>;
  /**
   * Optional: sends `data` as P-DATA-TF PDUs of one data set PDV each, at most `fragment` bytes per
   * PDV, the last flagged last when `endsMessage` (the same PDUs as `sendPdu` once per fragment, in
   * one call); a promise means "wait before the next one".
   */
  sendRun?(contextId: number, data: Uint8Array, fragment: number, endsMessage: boolean): void | Promise<void>;
  /**
   * Undefined when every PDU sent so far has been handed on (its data no longer referenced), else a
   * promise that resolves when it has; absent when the transport cannot tell. Lets a
   * {@link RecyclingChunks} data set source reuse its chunks; without it they are never recycled.
   */
  flushed?(): Promise<void> | undefined;
  /**
   * Sends the PDUs given to `sendPdu` so far now, where the transport would hold them to the end of
   * the task (DirectTransport.flush). Called once a message's last PDU is written: a response or
   * request then leaves before the bookkeeping that follows it (an echo round trip waited for
   * several promise hops of it on each side).
   */
  sendNow?(): void;
  /** The peer's maximum PDU length from its 51H sub-item; 0 = unlimited (then `fallbackMaxPduLength`). */
  peerMaxPduLength: number;
  /** Used when the peer has no maximum (default 65536). */
  fallbackMaxPduLength?: number;
  /** How long getMsg waits by default (ms); default 30000. Infinity: wait for ever. */
  dimseTimeoutMs?: number;
  /** Called for every message sent and received (debug dumps). */
  onMessage?(direction: 'sent' | 'received', contextId: number, command: Command, datasetBytes?: number): void;
  /** How many of our requests may be outstanding (PS3.7 D.3.3.3 Maximum Number Operations Invoked); 0 = unlimited; default 1. */
  maxInvoked?: number;
  /** Called when a response to a request nobody waits for any more is dropped. */
  onDiscard?(message: IncomingMessage): void;
  /** Called when expectMsg gives up (DIMSE timeout), before it rejects with `error`; the association aborts here. */
  onDimseTimeout?(error: TimeoutError): void;
  /**
   * Called when a message's data set source failed after part of the message had gone out: it can
   * be neither completed nor taken back (PS3.7 has no way to cancel it), so the association aborts here.
   */
  onMessageBroken?(error: unknown): void;
}

/** Options for {@link DimseProvider.getMsg}. */
export interface GetMsgOptions {
  /** Wait for a message (default true); false returns at once. */
  block?: boolean;
  /** Overrides the DIMSE timeout for this call (ms). */
  timeoutMs?: number;
  /** Take the first queued message this accepts instead of the first one. */
  match?: (message: IncomingMessage) => boolean;
  signal?: AbortSignal;
}

/**
 * A getMsg call waiting for a message: settles once, then leaves the provider's list. A class with
 * methods rather than an object with closures: an echo round trip makes one on each side.
 */
class Waiter {
  constructor(
    private readonly list: Waiter[],
    readonly match: ((message: IncomingMessage) => boolean) | undefined,
    /** When getMsg gives up (Date.now() ms); Infinity waits for ever. */
    readonly deadline: number,
    private readonly onMessage: (message: IncomingMessage | null) => void,
    protected readonly onError: (error: unknown) => void,
    protected readonly signal: AbortSignal | undefined,
  ) {
    list.push(this);
    signal?.addEventListener('abort', this, { once: true });
  }

  /** Whether this waiter takes `message`. */
  accepts(message: IncomingMessage): boolean {
    return !this.match || this.match(message);
  }

  resolve(message: IncomingMessage | null): void {
    this.leave();
    this.onMessage(message);
  }

  reject(error: unknown): void {
    this.leave();
    this.onError(error);
  }

  /** The signal's abort listener (an EventListener object: no closure per call). */
  handleEvent(): void {
    this.reject(this.signal!.reason);
  }

  protected leave(): void {
    const list = this.list;
    // pop() when last (nearly always: one waiter at a time): splice() drops the list's storage
    // when it empties, and the next push makes it again.
    if (list[list.length - 1] === this) list.pop();
    else {
      const at = list.indexOf(this);
      if (at >= 0) list.splice(at, 1);
    }
    this.signal?.removeEventListener('abort', this);
  }
}

/**
 * A wait for the response to one of our requests ({@link DimseProvider.responseTo}): matched by
 * Message ID (no closure per request), and the request is given up when the wait fails.
 */
class ResponseWaiter extends Waiter {
  /**
   * The caller's signal aborted: its promise has rejected, but the peer goes on performing the
   * request, so the wait goes on silently: the request keeps its window slot (PS3.7 D.3.3.3)
   * until its response, then dropped, or the DIMSE timeout or the association's end.
   */
  private givenUp = false;

  constructor(
    private readonly provider: DimseProvider,
    private readonly messageId: number,
    private readonly timeoutMs: number,
    list: Waiter[],
    deadline: number,
    onMessage: (message: IncomingMessage | null) => void,
    onError: (error: unknown) => void,
    signal: AbortSignal | undefined,
  ) {
    super(list, undefined, deadline, onMessage, onError, signal);
  }

  override accepts(message: IncomingMessage): boolean {
    return isResponseTo(message, this.messageId);
  }

  override resolve(message: IncomingMessage | null): void {
    if (message && !this.givenUp) return super.resolve(message);
    // Out of the list first: the timeout's report may end the association, which fails every waiter.
    this.leave();
    if (message) return this.provider.discard(message);
    const error = this.provider.dimseTimedOut(this.timeoutMs);
    this.provider.abandonRequest(this.messageId);
    if (!this.givenUp) this.onError(error);
  }

  override reject(error: unknown): void {
    this.provider.abandonRequest(this.messageId);
    if (this.givenUp) this.leave();
    else super.reject(error);
  }

  override handleEvent(): void {
    this.signal!.removeEventListener('abort', this);
    if (this.deadline === Infinity) {
      // No DIMSE timeout would ever free the slot of a response that never comes: freed now, as a
      // request given up (a late response is still dropped), or the next call would wait for ever.
      this.leave();
      this.provider.abandonRequest(this.messageId);
    } else {
      this.givenUp = true;
      this.provider.requests.giveUp(this.messageId);
    }
    this.onError(this.signal!.reason);
  }
}

/**
 * Cancel requests remembered at most: a C-CANCEL for a request received but not yet started, or
 * for one already ended (then forgotten when a new request reuses its Message ID).
 */
const MAX_PENDING_CANCELS = 64;
/** Received messages queued while nobody waits for one, before input waits (read back-pressure; fo-dicom uses 16 PDUs). */
const MAX_QUEUED = 16;
/**
 * Input held for a full queue resumes once the queue is down to this many: in a run of C-FIND
 * matches, a pause and a wake-up per eight messages taken, not per message.
 */
const RESUME_QUEUED = MAX_QUEUED / 2;
/** Requests sent whose final response has not come, remembered at most (their Command Field, for H-05). */
const MAX_INVOKED = 4096;

/**
 * The DIMSE service provider of one association (PS3.7), the lower-level API under the SCU calls:
 * `sendMsg` sends a command set and optional data set on a presentation context, fragmented to the
 * peer's maximum PDU length; `getMsg`, `peekMsg` and `expectMsg` take the reassembled incoming
 * messages, and `responseTo` waits for the response to one of our requests. Every
 * {@link Association} has one as `association.dimse`.
 */
export class DimseProvider {
  private readonly assembler: MessageAssembler;
  private readonly queue: IncomingMessage[] = [];
  /** getMsg calls waiting, oldest first (rarely more than one). */
  private readonly waiters: Waiter[] = [];
  private readonly cancels = new Set<number>();
  private readonly cancelWatchers = new Map<number, AbortController>();
  /** Messages being written or waiting their turn; the last of them settles `tail`. */
  private writing = 0;
  private tail: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private peerMaxPdu: number;
  /** Our requests awaiting their final response: Message ID → Command Field (a response must match both). */
  private readonly invoked = new Map<number, number>();
  /** The message delivered last (tells whether a P-DATA ended on a message boundary). */
  private lastDelivered: IncomingMessage | null = null;
  /** Resolved when someone wants input again: a waiter came, a queued message was taken, or the association ended. */
  private wanted: { promise: Promise<void>; resolve(): void } | null = null;
  /**
   * Set by a consumer that takes requests one at a time (the SCP loop with a window of 1): returns
   * a promise while input should wait — the operation in progress has not been answered — so that
   * what the peer pipelined behind it (more requests, an A-RELEASE-RQ) is read after its response.
   * Consulted only on a message boundary and when nobody waits for a message.
   */
  holdInput: (() => Promise<void> | undefined) | null = null;
  /** DIMSE timeout in ms (default 30000). */
  dimseTimeoutMs: number;
  /** Our outstanding requests and the invoked window (used by the SCU calls). */
  readonly requests: RequestWindow;
  /**
   * When a PDU (or a run of them) was last handed to the transport (Date.now() ms). Each is handed
   * on only once the transport has taken the one before, so while a message is being written, a
   * time that stays put means a peer that stopped reading (the SCU calls' send timeout watches it).
   */
  lastWriteAt = 0;
  /**
   * The message whose last PDU was handed to the transport last: it is whole, even while its
   * sendMsg promise still waits for the transport to drain (web streams make every write wait).
   */
  lastWhole: Command | null = null;
  private ended: AbortController | undefined;

  constructor(private readonly options: DimseProviderOptions) {
    this.assembler = new MessageAssembler(options);
    this.peerMaxPdu = options.peerMaxPduLength || (options.fallbackMaxPduLength ?? 65536);
    this.dimseTimeoutMs = options.dimseTimeoutMs ?? 30000;
    this.requests = new RequestWindow(options.maxInvoked ?? 1);
  }

  /** Aborts with the association's error when it ends (made on first use). */
  get endSignal(): AbortSignal {
    if (!this.ended) {
      this.ended = new AbortController();
      if (this.failure) this.ended.abort(this.failure);
    }
    return this.ended.signal;
  }

  /** The largest PDU we send (the peer's maximum, or our fallback when it has none). */
  get maximumPduSize(): number {
    return this.peerMaxPdu;
  }

  /**
   * Sends one message on a presentation context. Messages never interleave: a second call waits
   * for the first to be fully written. A data set given as a stream is read as it is sent.
   */
  sendMsg(command: Command, contextId: number, dataset: DatasetBytes | null = null): Promise<void> {
    this.noteInvoked(command);
    const dataSetType = dataset === null ? NO_DATASET : command.CommandDataSetType === NO_DATASET ? 0x0001 : command.CommandDataSetType;
    // A copy only when the Command Data Set Type must change (responses and requests come right already).
    let full = command;
    if (command.CommandDataSetType !== dataSetType) {
      full = Object.assign({}, command); // not a spread: see sendRequest
      full.CommandDataSetType = dataSetType;
    }
    if (this.writing > 0) return this.queueMessage(this.tail.then(() => this.writeMessage(full, contextId, dataset)), full);
    // Nothing in flight: write now, in this tick; a promise chain only if the transport must drain.
    let started: void | Promise<void>;
    try {
      started = this.writeMessage(full, contextId, dataset);
    } catch (error) {
      return Promise.reject(error);
    }
    if (started) return this.queueMessage(started, full);
    this.sendNowUnlessPending(full);
    return WRITTEN;
  }

  /** Keeps messages whole and in order: the next one starts only when `run` has settled. */
  private queueMessage(run: Promise<void>, command: Command): Promise<void> {
    this.writing++;
    const settled = () => {
      this.writing--;
    };
    this.tail = run.then(() => {
      settled();
      this.sendNowUnlessPending(command);
    }, settled);
    return run;
  }

  /**
   * A request or a final response goes out now (the peer waits for it); Pending responses, which
   * come in runs (C-FIND matches), leave together at the end of the task.
   */
  private sendNowUnlessPending(command: Command): void {
    if (!isPending(command)) this.options.sendNow?.();
  }

  /**
   * Feeds one received P-DATA-TF; throws ProtocolError on a PDV sequencing error. Returns a promise
   * only when a streamed data set's consumer must catch up first (read back-pressure).
   */
  receivePrimitive(pdu: PDataTfPdu, from = 0): void | Promise<void> {
    const pdvs = pdu.pdvs;
    for (let i = from; i < pdvs.length; i++) {
      const result = this.assembler.push(pdvs[i]!);
      if (result === null) continue;
      if (result instanceof Promise) return result.then(() => this.receivePrimitive(pdu, i + 1));
      this.deliver(result);
    }
    return this.inputHold(pdu);
  }

  /**
   * The next incoming message (or the first one `match` accepts). Resolves null when the DIMSE
   * timeout passes (or at once when block is false and none is queued); rejects when the
   * association ends.
   */
  getMsg(options: GetMsgOptions = {}): Promise<IncomingMessage | null> {
    const queued = this.takeQueued(options.match);
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    if (options.block === false) return Promise.resolve(null);
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    const deadline = this.deadlineOf(options.timeoutMs ?? this.dimseTimeoutMs);
    return new Promise((resolve, reject) => {
      new Waiter(this.waiters, options.match, deadline, resolve, reject, options.signal);
      this.waiterAdded(deadline);
    });
  }

  /** When a wait of `timeoutMs` gives up (Date.now() ms; Infinity: never). */
  private deadlineOf(timeoutMs: number): number {
    return Number.isFinite(timeoutMs) ? Date.now() + timeoutMs : Infinity;
  }

  /** A waiter has joined the list: its deadline is watched, and input held for want of a reader flows again. */
  private waiterAdded(deadline: number): void {
    if (deadline !== Infinity) this.watchDeadline(deadline);
    this.signalWanted();
  }

  /**
   * The first queued message (or the first one `match` accepts), taken off the queue; undefined
   * when there is none. Synchronous: a response that has arrived already costs no promise.
   */
  takeQueued(match?: (message: IncomingMessage) => boolean): IncomingMessage | undefined {
    const queue = this.queue;
    for (let i = 0; i < queue.length; i++) {
      if (!match || match(queue[i]!)) return this.takeAt(i);
    }
    return undefined;
  }

  /** Takes the queued message at `i` off the queue. */
  private takeAt(i: number): IncomingMessage {
    const queue = this.queue;
    const message = queue[i]!;
    if (i === 0) queue.shift();
    else queue.splice(i, 1);
    if (queue.length <= RESUME_QUEUED) this.signalWanted();
    return message;
  }

  /**
   * One timer for every waiter's DIMSE timeout instead of a setTimeout per getMsg: it stays armed
   * across calls (a request/response exchange then costs no timer work) and, when it fires, ends
   * the waiters whose time is up and re-arms for the earliest remaining deadline.
   */
  private watchDeadline(at: number): void {
    if (this.deadlineTimer !== undefined && this.deadlineAt <= at) return;
    clearTimeout(this.deadlineTimer);
    this.deadlineAt = at;
    this.deadlineTimer = setTimeout(() => this.expireWaiters(), Math.max(0, at - Date.now()));
  }

  private expireWaiters(): void {
    this.deadlineTimer = undefined;
    this.deadlineAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const waiter of [...this.waiters]) {
      if (waiter.deadline <= now) waiter.resolve(null);
      else next = Math.min(next, waiter.deadline);
    }
    if (next !== Infinity) this.watchDeadline(next);
  }

  private deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  private deadlineAt = Infinity;

  /** Whether a message not yet taken satisfies `match`. */
  hasQueued(match: (message: IncomingMessage) => boolean): boolean {
    return this.queue.some(match);
  }

  /** The message getMsg would return next, without taking it. */
  peekMsg(): IncomingMessage | null {
    return this.queue[0] ?? null;
  }

  /** Like getMsg but rejects with a TimeoutError instead of resolving null. */
  async expectMsg(options: GetMsgOptions = {}): Promise<IncomingMessage> {
    const message = await this.getMsg(options);
    if (message) return message;
    throw this.dimseTimedOut(options.timeoutMs ?? this.dimseTimeoutMs);
  }

  /**
   * The next response to our request `messageId` (a final one, or each Pending one in turn).
   * Rejects with a TimeoutError when the DIMSE timeout passes, or with the association's error
   * when it ends; the request is then given up ({@link abandonRequest}). Rejects with the signal's
   * reason at once when it aborts, but the request keeps its window slot until its response
   * (dropped), or the DIMSE timeout (which aborts the association, as for any call) or the end.
   * One promise and nothing else per wait: every SCU operation waits so.
   */
  responseTo(messageId: number, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<IncomingMessage> {
    const queue = this.queue;
    for (let i = 0; i < queue.length; i++) {
      if (isResponseTo(queue[i]!, messageId)) return Promise.resolve(this.takeAt(i));
    }
    if (this.failure) {
      this.abandonRequest(messageId);
      return Promise.reject(this.failure);
    }
    const timeoutMs = options.timeoutMs ?? this.dimseTimeoutMs;
    const deadline = this.deadlineOf(timeoutMs);
    return new Promise((resolve, reject) => {
      const waiter = new ResponseWaiter(this, messageId, timeoutMs, this.waiters, deadline, resolve as (message: IncomingMessage | null) => void, reject, options.signal);
      this.waiterAdded(deadline);
      // Aborted already: given up like a later abort (the request went out: its slot stays taken).
      if (options.signal?.aborted) waiter.handleEvent();
    });
  }

  /** The DIMSE timeout's error, reported (DimseProviderOptions.onDimseTimeout). */
  dimseTimedOut(timeoutMs: number, message = `no DIMSE response within ${timeoutMs} ms`): TimeoutError {
    const error = new TimeoutError('dimse', message);
    this.options.onDimseTimeout?.(error);
    return error;
  }

  /**
   * A signal that aborts when a C-CANCEL-RQ for `messageId` arrives (at once if one already did).
   * Call {@link endOperation} when the operation ends.
   */
  cancelSignal(messageId: number): AbortSignal {
    let controller = this.cancelWatchers.get(messageId);
    if (!controller) {
      controller = new AbortController();
      this.cancelWatchers.set(messageId, controller);
    }
    if (this.cancels.delete(messageId)) controller.abort(new Error(`C-CANCEL for message ${messageId}`));
    else if (this.failure) controller.abort(this.failure);
    return controller.signal;
  }

  /**
   * Gives up on our request `messageId` (timeout, abort, send failure): frees its window slot,
   * drops responses to it already queued, and makes later ones be dropped on arrival.
   */
  abandonRequest(messageId: number): void {
    if (!this.requests.isOutstanding(messageId)) return;
    this.requests.close(messageId, false);
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (isResponseTo(this.queue[i]!, messageId)) this.discard(this.queue.splice(i, 1)[0]!);
    }
    this.signalWanted();
  }

  /** Forgets cancel state for an operation that has ended. */
  endOperation(messageId: number): void {
    this.cancelWatchers.delete(messageId);
    this.cancels.delete(messageId);
  }

  /** Ends the provider: waiters and streams fail with `error` (the association ended). */
  fail(error: Error = withoutStack(() => new AssociationAbortedError('association ended'))): void {
    if (this.failure) return;
    this.failure = error;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.assembler.fail(error);
    this.requests.fail(error);
    for (const waiter of [...this.waiters]) waiter.reject(error);
    // Running SCP operations learn it through their signal (RequestContext.signal, reliability.md P-09…P-11).
    for (const watcher of this.cancelWatchers.values()) watcher.abort(error);
    this.ended?.abort(error);
    this.signalWanted();
  }

  private deliver(message: IncomingMessage): void {
    this.lastDelivered = message;
    this.options.onMessage?.('received', message.contextId, message.command, message.dataset?.length);
    if (message.command.CommandField === CommandField['C-CANCEL-RQ']) {
      this.recordCancel(message.command.MessageIDBeingRespondedTo ?? -1);
      return;
    }
    const { command } = message;
    const responseTo = (command.CommandField & 0x8000) !== 0 ? command.MessageIDBeingRespondedTo : undefined;
    if (responseTo !== undefined) this.checkResponse(command, responseTo);
    // A C-CANCEL remembered for this Message ID was for an earlier operation that had ended (the
    // SCU cancelled while the final response was on its way): it must not cancel this one.
    else if (this.cancels.size > 0) this.cancels.delete(command.MessageID ?? -1);
    const abandoned = responseTo !== undefined && this.requests.isAbandoned(responseTo);
    // A final response ends the request and frees its window slot, whoever reads it.
    if (responseTo !== undefined && !isPending(command)) this.requests.close(responseTo, true);
    for (const waiter of this.waiters) {
      if (waiter.accepts(message)) {
        waiter.resolve(message);
        return;
      }
    }
    if (abandoned) this.discard(message);
    else this.queue.push(message);
  }

  /**
   * A response must answer a request we sent and that is not finished, with the matching Command
   * Field (reliability.md H-05): otherwise the peer is confused about the exchange, and waiting for
   * the DIMSE timeout would only hide it. A-ABORT (0,0), like an undecodable command.
   */
  private checkResponse(command: Command, messageId: number): void {
    const field = this.invoked.get(messageId);
    if (field === undefined && !this.requests.isOutstanding(messageId) && !this.requests.isAbandoned(messageId)) {
      throw new ProtocolError('UNEXPECTED_RESPONSE', `response 0x${hex4(command.CommandField)} to message ${messageId}, which is not outstanding`, { source: 0, reason: 0 });
    }
    if (field !== undefined && (field | 0x8000) !== command.CommandField) {
      throw new ProtocolError('UNEXPECTED_RESPONSE', `response 0x${hex4(command.CommandField)} to message ${messageId}, a request 0x${hex4(field)}`, { source: 0, reason: 0 });
    }
    if (!isPending(command)) this.invoked.delete(messageId);
  }

  /** Remembers a request we send (any but C-CANCEL) until its final response. */
  private noteInvoked(command: Command): void {
    const field = command.CommandField;
    if ((field & 0x8000) !== 0 || field === CommandField['C-CANCEL-RQ'] || command.MessageID === undefined) return;
    this.invoked.delete(command.MessageID);
    if (this.invoked.size >= MAX_INVOKED) this.invoked.delete(this.invoked.keys().next().value!);
    this.invoked.set(command.MessageID, field);
  }

  /**
   * Read back-pressure after a P-DATA (reliability.md S-11, D-08, D-09): while nobody waits for a
   * message, input waits once MAX_QUEUED messages are queued, or while `holdInput` says so; never
   * in the middle of a message (its data set may be streaming to a consumer). Undefined: read on.
   */
  private inputHold(pdu: PDataTfPdu): void | Promise<void> {
    if (this.failure || this.waiters.length > 0) return;
    const last = pdu.pdvs[pdu.pdvs.length - 1];
    if (!last?.isLast || (last.isCommand && this.lastDelivered?.command.CommandDataSetType !== NO_DATASET)) return;
    const hold = this.queue.length >= MAX_QUEUED ? this.whenWanted() : this.holdInput?.();
    if (hold) return Promise.race([hold, this.whenWanted()]).then(() => this.inputHold(pdu));
  }

  private whenWanted(): Promise<void> {
    if (!this.wanted) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.wanted = { promise, resolve };
    }
    return this.wanted.promise;
  }

  private signalWanted(): void {
    const wanted = this.wanted;
    if (!wanted) return;
    this.wanted = null;
    wanted.resolve();
  }

  /** Drops a response nobody wants any more (its data set stream, if any, is cancelled). */
  discard(message: IncomingMessage): void {
    this.options.onDiscard?.(message);
    void message.datasetChunks?.cancel();
  }

  private recordCancel(messageId: number): void {
    const watcher = this.cancelWatchers.get(messageId);
    if (watcher) {
      watcher.abort(new Error(`C-CANCEL for message ${messageId}`));
      return;
    }
    if (this.cancels.size >= MAX_PENDING_CANCELS) this.cancels.delete(this.cancels.values().next().value!);
    this.cancels.add(messageId);
  }

  /** Writes one message; returns a promise only once the transport must drain (or a data set stream is read). */
  private writeMessage(command: Command, contextId: number, dataset: DatasetBytes | null): void | Promise<void> {
    if (this.failure) throw this.failure;
    this.options.onMessage?.('sent', contextId, command, dataset instanceof Uint8Array ? dataset.length : undefined);
    const fragment = maxFragmentLength(this.peerMaxPdu);
    const encoded = encodeCommandForSending(command);
    // Every response, C-ECHO and most requests: one PDV in one PDU, without packer or generators.
    if (dataset === null && encoded.byteLength <= fragment) {
      this.lastWriteAt = Date.now();
      const wait = this.options.sendPdu({ type: 'P-DATA-TF', pdvs: [{ contextId, isCommand: true, isLast: true, data: encoded }] });
      this.lastWhole = command;
      return wait;
    }
    const packer = new PduPacker(this.peerMaxPdu);
    const flushed = this.options.flushed;
    const whole = dataset !== null && !(dataset instanceof Uint8Array) && isRecycling(dataset) ? takeWhole(dataset, flushed) : undefined;
    if (whole) dataset = whole.bytes;
    const recycleWhole = whole?.recycle;
    const recycler = dataset !== null && flushed && isRecycling(dataset) ? new ChunkRecycler(dataset, flushed) : undefined;
    let begun = false; // a PDU of this message has gone out
    const sendPdu = (pdu: PDataTfPdu): void | Promise<void> => {
      begun = true;
      this.lastWriteAt = Date.now();
      recycler?.noteSent(pdu);
      const wait = this.options.sendPdu(pdu);
      const last = pdu.pdvs[pdu.pdvs.length - 1]!;
      if (last.isLast && (dataset === null || !last.isCommand)) this.lastWhole = command;
      return wait;
    };
    const send = (pdv: Pdv): void | Promise<void> => {
      const pdu = packer.add(pdv);
      if (pdu) return sendPdu(pdu);
    };
    const flushPacker = (): void | Promise<void> => {
      const last = packer.flush();
      if (last) return sendPdu(last);
    };
    const flush = (): void | Promise<void> => {
      const wait = flushPacker();
      if (!recycleWhole) return wait;
      if (!wait) return recycleWhole();
      return wait.then(recycleWhole);
    };
    const sendRun = this.options.sendRun && ((id: number, data: Uint8Array, fragment: number, endsMessage: boolean): void | Promise<void> => {
      this.lastWriteAt = Date.now();
      const wait = this.options.sendRun!(id, data, fragment, endsMessage);
      if (endsMessage) this.lastWhole = command;
      return wait;
    });
    const afterCommand = (): void | Promise<void> => {
      if (dataset === null) return flush();
      if (dataset instanceof Uint8Array) {
        // Full fragments never share a PDU: the command's PDU goes first, then the data set in runs.
        if (sendRun && dataset.byteLength >= fragment) return andThen(flushPacker(), () => sendRuns(dataset, contextId, fragment, sendRun, true, flush));
        return sendFragments(dataset, contextId, false, fragment, send, flush);
      }
      // Large chunks go out as runs of PDUs (about RUN_BYTES per write), as a buffer does.
      const run = sendRun && ((data: Uint8Array, endsMessage: boolean) =>
        andThen(flushPacker(), () => {
          begun = true;
          recycler?.noteSentRun(data.byteLength);
          return sendRuns(data, contextId, fragment, sendRun, endsMessage, nothing);
        }));
      return this.sendStream(dataset, contextId, fragment, send, flush, recycler, run).catch((error: unknown) => {
        if (begun) this.options.onMessageBroken?.(error);
        throw error;
      });
    };
    return sendFragments(encoded, contextId, true, fragment, send, afterCommand);
  }

  /** A data set given as a stream, read as it is sent. */
  private async sendStream(
    dataset: Exclude<DatasetBytes, Uint8Array>,
    contextId: number,
    fragment: number,
    send: (pdv: Pdv) => void | Promise<void>,
    flush: () => void | Promise<void>,
    recycler?: ChunkRecycler,
    run?: (data: Uint8Array, endsMessage: boolean) => void | Promise<void>,
  ): Promise<void> {
    const source = recycler ? { [Symbol.asyncIterator]: () => recycler.chunks() } : dataset;
    for await (const { data, isLast } of fragmentsOf(source, fragment, run !== undefined)) {
      const wait = run && data.byteLength > fragment ? run(data, isLast) : send({ contextId, isCommand: false, isLast, data });
      if (wait) await wait;
      recycler?.release();
    }
    await flush();
    // The last chunk's tail left with the packer's last PDU: hand it back too (the next file may use it).
    recycler?.release();
  }
}

/** Settled promise returned for a message written at once. */
const WRITTEN: Promise<void> = Promise.resolve();

/** Whether `sent` (from {@link DimseProvider.sendMsg}) is a message written at once: awaiting it would only cost a tick. */
export const isWritten = (sent: Promise<void>): boolean => sent === WRITTEN;

/**
 * Sends `bytes` as PDVs of at most `fragment` bytes (views, no copies; the last one marked last,
 * an empty one as one empty PDV) synchronously while the transport takes them (one vectored write
 * on the fast path), then runs `then`; becomes a promise only when the transport asks to wait.
 * An index, not a generator: this runs per PDU, often before the JIT has optimised it.
 */
function sendFragments(
  bytes: Uint8Array,
  contextId: number,
  isCommand: boolean,
  fragment: number,
  send: (pdv: Pdv) => void | Promise<void>,
  then: () => void | Promise<void>,
): void | Promise<void> {
  const total = bytes.byteLength;
  let offset = 0;
  const resume = (): void | Promise<void> => {
    do {
      const end = Math.min(offset + fragment, total);
      const wait = send({ contextId, isCommand, isLast: end === total, data: bytes.subarray(offset, end) });
      offset = end;
      if (wait) return wait.then(offset < total ? resume : then);
    } while (offset < total);
    return then();
  };
  return resume();
}

/**
 * A recycling source's whole data set when it is in memory already (RecyclingChunks.takeWhole), to
 * send like a buffer, with what hands it back once the transport has flushed it (nothing when the
 * transport cannot tell: never recycling is always safe); undefined when the source must be iterated.
 */
function takeWhole(
  source: RecyclingChunks,
  flushed: DimseProviderOptions['flushed'],
): { bytes: Uint8Array; recycle?: () => void } | undefined {
  const bytes = source.takeWhole?.();
  if (!bytes) return undefined;
  if (!flushed) return { bytes };
  const recycle = () => {
    const wait = flushed();
    if (wait) void wait.then(() => source.recycle(bytes));
    else source.recycle(bytes);
  };
  return { bytes, recycle };
}

/** Bytes a run of data set PDUs covers per call: the transport's back-pressure is checked between runs. */
const RUN_BYTES = 1024 * 1024;

/** `next` now, or once `wait` settles: stays synchronous while nothing waits. */
function andThen(wait: void | Promise<void>, next: () => void | Promise<void>): void | Promise<void> {
  return wait ? wait.then(next) : next();
}

/** An `after` with nothing to do. */
const nothing = (): void => {};

/**
 * Sends `bytes` as runs of full PDUs (DimseProviderOptions.sendRun), about RUN_BYTES each, the
 * last PDU flagged last when `endsMessage`, then runs `after`; becomes a promise only when the
 * transport asks to wait (so a large chunk never fills the transport's queue in one write).
 */
function sendRuns(
  bytes: Uint8Array,
  contextId: number,
  fragment: number,
  sendRun: NonNullable<DimseProviderOptions['sendRun']>,
  endsMessage: boolean,
  after: () => void | Promise<void>,
): void | Promise<void> {
  const step = Math.max(1, Math.floor(RUN_BYTES / fragment)) * fragment;
  const total = bytes.byteLength;
  let offset = 0;
  const resume = (): void | Promise<void> => {
    while (offset < total) {
      const end = Math.min(offset + step, total);
      const wait = sendRun(contextId, bytes.subarray(offset, end), fragment, endsMessage && end === total);
      offset = end;
      if (wait) return wait.then(resume);
    }
    return after();
  };
  return resume();
}

/** Pending statuses FF00/FF01 (PS3.7 C.4.1.1.2): more responses follow. */
function isPending(command: Command): boolean {
  return ((command.Status ?? 0) & 0xff00) === 0xff00;
}

/** Whether `message` is a response (any Command Field with bit 15 set) to our request `messageId`. */
export function isResponseTo(message: IncomingMessage, messageId: number): boolean {
  return (message.command.CommandField & 0x8000) !== 0 && message.command.MessageIDBeingRespondedTo === messageId;
}
