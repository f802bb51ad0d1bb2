/**
 * C-GET and C-MOVE SCP (PS3.4 C.4.2, C.4.3): the handler names the instances; the framework
 * performs the C-STORE sub-operations (on this association for C-GET, on a new association to
 * the destination for C-MOVE) and reports Pending counts and the final status. A status the
 * handler yields among the instances ends the list: Success after what it named, any other at once.
 */
import { readAhead } from './prefetch';
import { DEFAULT_TRANSFER_SYNTAXES, type RequestedContext } from '../acse/contexts';
import { MAX_CONTEXTS } from '../acse/negotiate';
import type { Association } from '../association';
import { decodeDataset, encodeDataset, loadCodec } from '../dataset/lazy';
import { readPart10Identity } from '../dataset/meta';
import { iterate } from '../dimse/dataset-source';
import type { IncomingMessage } from '../dimse/reassemble';
import { Priority, type Command } from '../dimse/types';
import { NegotiationError } from '../errors';
import { requestAssociation } from '../requestor';
import { isConvertibleSyntax, type StoreInput, type StoreOptions } from '../scu/store';
import type { DimseResponse } from '../scu/types';
import { failureFor, respond, statusFields } from './respond';
import type { MoveAnswer, QueryRequest, RequestContext, RetrieveAnswer, ScpHandlers, StatusResult } from './types';

const PENDING = 0xff00;
/** Pending with a warning: a C-FIND status, never a final one. */
const PENDING_WARNING = 0xff01;
const CANCEL = 0xfe00;
/** Sub-operations complete, one or more failures or warnings (PS3.4 C.4.2.1.5). */
const SOME_FAILED = 0xb000;
/** Unable to perform sub-operations. */
const ALL_FAILED = 0xa702;
const UNABLE_TO_PROCESS = 0xc000;

/**
 * Most instances one C-GET or C-MOVE sends. The sub-operation counts (0000,1020)-(0000,1023) are
 * US (PS3.7 Table E.1-1), and the final response shall give the Completed, Failed and Warning
 * counts (PS3.4 C.4.2.3.1, C.4.3.3.1): past 65,535 no response could carry them (the command
 * encoder refuses such a US, and the operation went unanswered after its sub-operations), so a
 * longer list is refused before any sub-operation (see {@link refuseTooMany}).
 */
const MAX_SUBOPERATIONS = 0xffff;

interface Counts {
  /** Every sub-operation of the C-GET / C-MOVE (over all its sub-associations). */
  readonly total: number;
  remaining: number;
  completed: number;
  failed: number;
  warning: number;
  failedUids: string[];
}

export async function serveGet(message: IncomingMessage, ctx: RequestContext, handlers: ScpHandlers): Promise<void> {
  await loadCodec();
  const request = parseQuery(message, ctx);
  if (!handlers.cGet || !request) return answer(ctx, { Status: handlers.cGet ? UNABLE_TO_PROCESS : 0x0122 });
  let named: Named;
  try {
    named = await collectNamed(handlers.cGet(request, ctx));
  } catch (error) {
    return answer(ctx, statusFields(failureFor(error, UNABLE_TO_PROCESS)));
  }
  const early = withoutSubOperations(ctx, named);
  if (early) return early;
  const counts = newCounts(named.instances.length);
  if (!(await runSubOperations(ctx, named.instances, counts, ctx.association))) return;
  if (!ctx.association.isEstablished) return;
  return finalAnswer(ctx, counts);
}

export async function serveMove(message: IncomingMessage, ctx: RequestContext, handlers: ScpHandlers): Promise<void> {
  await loadCodec();
  const request = parseQuery(message, ctx);
  if (!handlers.cMove || !request) return answer(ctx, { Status: handlers.cMove ? UNABLE_TO_PROCESS : 0x0122 });
  let decision: MoveAnswer;
  try {
    decision = await handlers.cMove({ ...request, destination: ctx.command.MoveDestination ?? '' }, ctx);
  } catch (error) {
    return answer(ctx, statusFields(failureFor(error, UNABLE_TO_PROCESS)));
  }
  if (typeof decision === 'number' || !('destination' in decision)) return answer(ctx, statusFields(decision as StatusResult));
  let named: Named;
  try {
    named = await collectNamed(decision.instances);
  } catch (error) {
    return answer(ctx, statusFields(failureFor(error, UNABLE_TO_PROCESS)));
  }
  // The handler's final status, or too many instances: answered before any association to the destination is opened.
  const early = withoutSubOperations(ctx, named);
  if (early) return early;
  const { instances } = named;
  // Nothing matched: no sub-operations, so no association to the destination either.
  if (instances.length === 0) return finalAnswer(ctx, newCounts(0));
  const counts = newCounts(instances.length);
  const moveOriginator = { aeTitle: ctx.association.peerAeTitle, messageId: ctx.messageId };
  const groups = subAssociations(instances);
  // Why a sub-association could not be opened (the first reason), for the final Error Comment.
  let unopened: unknown;
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    const last = g === groups.length - 1;
    // P-09: the requestor is gone: nobody to answer. A C-CANCEL between sub-associations: Cancel.
    if (!ctx.association.isEstablished) return releaseGroups(groups, g);
    if (ctx.signal.aborted) {
      releaseGroups(groups, g);
      return cancelled(ctx, counts);
    }
    let target: Association;
    try {
      const transport = await decision.destination.connect(ctx.signal);
      target = await requestAssociation(transport, group.contexts, ctx.association.options, {
        calledAeTitle: decision.destination.aeTitle,
      });
    } catch (error) {
      // The operation ends here: nothing more is sent, so every instance left is released.
      if (!ctx.association.isEstablished) return releaseGroups(groups, g);
      // A C-CANCEL while connecting (connect(ctx.signal) rejects on it): the instances not sent
      // are remaining, none of them failed (PS3.4 C.4.2.1.5, C.4.2.1.6).
      if (ctx.signal.aborted) {
        releaseGroups(groups, g);
        return cancelled(ctx, counts);
      }
      // P-12: no sub-operation of this sub-association could be performed: its instances failed
      // (listed); the next sub-association, if any, is still tried, so only these are released
      // (the later ones' streams are still to be sent).
      group.instances.forEach(release);
      for (const instance of group.instances) failed(counts, instance);
      counts.remaining = notCompleted(counts);
      unopened ??= error;
      if (counts.remaining > 0) await answer(ctx, { Status: PENDING, ...countFields(counts) });
      continue;
    }
    // P-11: when the requestor goes away, so does the sub-association, even with a C-STORE in flight.
    const onEnd = () => void (ctx.association.isEstablished || target.abort());
    ctx.signal.addEventListener('abort', onEnd, { once: true });
    try {
      const going = ctx.association.isEstablished && (await runSubOperations(ctx, group.instances, counts, target, moveOriginator));
      if (!going || !ctx.association.isEstablished) return releaseGroups(groups, g + 1);
      // The last sub-association is released after the final response, as it always was.
      if (last) return await finalAnswer(ctx, counts, unopened);
    } finally {
      ctx.signal.removeEventListener('abort', onEnd);
      if (!ctx.association.isEstablished) await target.abort();
      else await target.release().catch(() => target.abort());
    }
  }
  if (!ctx.association.isEstablished) return;
  return finalAnswer(ctx, counts, unopened);
}

/** (0000,0700) values to the StoreOptions names (PS3.7 Table E.1-1: 0 medium, 1 high, 2 low). */
const PRIORITY_NAMES: Readonly<Record<number, StoreOptions['priority']>> = Object.fromEntries(
  Object.entries(Priority).map(([name, value]) => [value, name as StoreOptions['priority']]),
);

/**
 * Sub-operations in flight at most when the requestor (C-GET) or the destination (C-MOVE) agreed
 * to an unlimited window (0): each holds an instance read ahead.
 */
const MAX_SUBOPERATIONS_IN_FLIGHT = 16;

/**
 * The C-STORE sub-operations of `instances` on `target`, counted in `counts` (shared by the
 * sub-associations of one C-MOVE). False when the operation has ended already (answered Cancel,
 * or the requestor is gone).
 */
function runSubOperations(
  ctx: RequestContext,
  instances: StoreInput[],
  counts: Counts,
  target: Association,
  moveOriginator?: { aeTitle: string; messageId: number },
): Promise<boolean> {
  const negotiated = target.asyncOps.maxInvoked;
  const window = negotiated === 0 ? MAX_SUBOPERATIONS_IN_FLIGHT : Math.min(negotiated, MAX_SUBOPERATIONS_IN_FLIGHT);
  // One options object for every sub-operation of the run. "The same priority shall be used for all
  // C-STORE sub-operations" as the C-GET/C-MOVE asked for (PS3.4 C.4.2.1.2, C.4.3.1.2).
  // (A value outside 0..2 gets the default, medium.)
  const options: StoreOptions = { moveOriginator, priority: PRIORITY_NAMES[ctx.command.Priority!] };
  return window > 1 ? pipelined(ctx, instances, counts, target, window, options) : oneByOne(ctx, instances, counts, target, options);
}

/** One sub-operation at a time (the default window of 1). False when the operation has ended already. */
async function oneByOne(ctx: RequestContext, instances: StoreInput[], counts: Counts, target: Association, options: StoreOptions): Promise<boolean> {
  let next = 0;
  try {
    while (next < instances.length) {
      // P-09: the requestor is gone: stop at once, there is nobody to answer.
      if (!ctx.association.isEstablished) return false;
      if (ctx.signal.aborted) {
        await cancelled(ctx, counts);
        return false;
      }
      const instance = instances[next++]!;
      // Read the next instance ahead while this one's response is awaited (storage latency overlaps the round trip).
      if (next < instances.length) instances[next] = readAhead(instances[next]!);
      try {
        let rsp: DimseResponse;
        try {
          rsp = await target.cStore(instance, options);
        } catch (error) {
          // Not sent: the peer accepted another uncompressed syntax only. Once more, converted.
          // One at a time here already: no turns to take.
          rsp = await (convertible(error, instance) ? storeConverted(instance, target, options, ctx.signal) : Promise.reject(error));
        }
        count(counts, instance, rsp);
      } catch (error) {
        // A C-CANCEL stopped a conversion's reading before anything was sent: the instance
        // remains, it did not fail (PS3.4 C.4.2.1.5: Cancel with the remaining count).
        if (stoppedByCancel(ctx, error)) {
          release(instance);
          counts.remaining = notCompleted(counts);
          await cancelled(ctx, counts);
          return false;
        }
        failed(counts, instance);
        // A sub-operation that failed before reading its data (no context for it) leaves a stream open.
        release(instance);
        if (!ctx.association.isEstablished) return false;
        if (!target.isEstablished) {
          // P-12: the destination went away: the instances not sent failed too.
          for (; next < instances.length; next++) failed(counts, instances[next]!);
          counts.remaining = notCompleted(counts);
          break;
        }
        ctx.association.options.logger.warn(`sub-operation failed: ${(error as Error).message}`);
      }
      counts.remaining = notCompleted(counts);
      if (counts.remaining > 0) await answer(ctx, { Status: PENDING, ...countFields(counts) });
    }
  } finally {
    // P-09, P-10: release what was not sent — data streams are cancelled, so the files behind them close.
    for (let i = Math.max(0, next - 1); i < instances.length; i++) release(instances[i]!);
  }
  return true;
}

/**
 * Up to `window` sub-operations in flight (the negotiated asynchronous operations window, PS3.7
 * D.3.3.3): on a path with latency (a browser through a WebSocket proxy, a WAN) the next C-STORE
 * goes out while earlier responses are on their way. Remaining counts what has not completed; a
 * Pending response follows each completion, in order. False when the operation has ended already.
 */
async function pipelined(
  ctx: RequestContext,
  instances: StoreInput[],
  counts: Counts,
  target: Association,
  window: number,
  options: StoreOptions,
): Promise<boolean> {
  let next = 0;
  let targetGone = false;
  const inFlight = new Set<Promise<void>>();
  // Pending responses leave one after another, each with the counts of its moment.
  let answers: Promise<void> = Promise.resolve();
  // Made at the first conversion retry: the common path makes none.
  let turns: ConversionTurns | undefined;
  const finish = (instance: StoreInput, outcome: Promise<Pick<DimseResponse, 'category'>>, again: boolean): Promise<void> =>
    outcome.then(
      (rsp) => count(counts, instance, rsp),
      (error: unknown) => {
        // Not sent: the peer accepted another uncompressed syntax only. Once more, converted, in turn.
        const retry = again || !convertible(error, instance) ? null : (turns ??= new ConversionTurns(target, options, ctx.signal)).store(instance);
        if (retry) return finish(instance, retry, true);
        // A retry that a C-CANCEL stopped while reading sent nothing: the instance remains (Cancel below).
        if (stoppedByCancel(ctx, error)) return release(instance);
        failed(counts, instance);
        // A sub-operation that failed before reading its data (no context for it) leaves a stream open.
        release(instance);
        if (ctx.association.isEstablished && target.isEstablished) ctx.association.options.logger.warn(`sub-operation failed: ${(error as Error).message}`);
        else targetGone ||= !target.isEstablished;
      },
    );
  try {
    for (;;) {
      while (inFlight.size < window && next < instances.length && !targetGone && !ctx.signal.aborted && ctx.association.isEstablished) {
        const instance = instances[next++]!;
        if (next < instances.length) instances[next] = readAhead(instances[next]!);
        const done: Promise<void> = finish(instance, target.cStore(instance, options), false).then(() => {
          inFlight.delete(done);
          counts.remaining = notCompleted(counts);
          if (counts.remaining > 0 && ctx.association.isEstablished && !ctx.signal.aborted) {
            const fields = { Status: PENDING, ...countFields(counts) };
            answers = answers.then(() => answer(ctx, fields)).catch(() => undefined);
          }
        });
        inFlight.add(done);
      }
      if (inFlight.size === 0) break;
      await Promise.race(inFlight);
    }
    await answers;
  } finally {
    // P-09, P-10: release what was not sent, and what a failed sub-operation may have left half
    // read (only the last `window` started can be) — data streams are cancelled, so the files behind them close.
    for (let i = Math.max(0, next - window); i < instances.length; i++) release(instances[i]!);
  }
  // P-09: the requestor is gone: there is nobody to answer.
  if (!ctx.association.isEstablished) return false;
  if (targetGone) {
    // P-12: the destination went away: the instances not sent failed too.
    for (let i = next; i < instances.length; i++) failed(counts, instances[i]!);
    counts.remaining = notCompleted(counts);
    return true;
  }
  // Not started, or stopped before anything was sent: the instances remain, and the answer is Cancel.
  if (ctx.signal.aborted && notCompleted(counts) > 0) {
    counts.remaining = notCompleted(counts);
    await cancelled(ctx, counts);
    return false;
  }
  return true;
}

/** Whether `error` is the operation's own C-CANCEL, as a conversion retry's reading gives it up ({@link readWhileGoing}). */
function stoppedByCancel(ctx: RequestContext, error: unknown): boolean {
  return ctx.signal.aborted && error === ctx.signal.reason;
}

/**
 * Whether a C-STORE sub-operation that failed with `error` is tried once more with
 * `allowConversion` ({@link storeConverted}): it was not sent because no context the peer accepted
 * for the class is in the instance's own transfer syntax (the one error `cStore` throws before
 * sending anything is a NegotiationError), and the instance, a Part 10 file or `data` (a buffer,
 * or a stream such as `netdicom qrscp` gives, which `cStore` then reads whole, up to
 * maxDatasetLength), is in a syntax `cStore` converts ({@link isConvertibleSyntax}: Implicit VR
 * LE, Explicit VR LE or Explicit VR BE). It is then re-encoded, losslessly, in the uncompressed
 * syntax the peer accepted (the C-MOVE destination, or the C-GET requestor's contexts), as DCMTK's
 * dcmqrscp does (it writes the file in the context's syntax when it can) and pynetdicom's
 * send_c_store (it takes any uncompressed context for an uncompressed data set, an exact one
 * first). A compressed syntax (Deflated Explicit VR LE included) is never converted, so such an
 * instance fails its sub-operation at once, without a second attempt. Only after a failure: the
 * common case pays nothing, a stream is not buffered.
 */
function convertible(error: unknown, instance: StoreInput): boolean {
  if (!(error instanceof NegotiationError)) return false;
  if ('part10' in instance) return isConvertibleSyntax(readPart10Identity(instance.part10).transferSyntaxUid);
  return 'data' in instance && isConvertibleSyntax(instance.transferSyntaxUid);
}

/**
 * The sub-operation of a {@link convertible} instance once more, with `allowConversion`. A data
 * stream is read through {@link readWhileGoing}: a C-CANCEL, or the requestor going away, stops
 * the reading; `read` is told when the reading ends.
 */
function storeConverted(instance: StoreInput, target: Association, options: StoreOptions, signal: AbortSignal, read?: () => void): Promise<DimseResponse> {
  // A C-MOVE destination gone: nothing can be sent, so no stream is read whole for it.
  if (!target.isEstablished) {
    read?.();
    return Promise.reject(new Error('the destination association has ended'));
  }
  const input = isStreamed(instance) ? { ...instance, data: readWhileGoing(instance.data, signal, read) } : instance;
  return target.cStore(input, { ...options, allowConversion: true });
}

/**
 * A data stream as `cStore` reads it whole for a conversion, given up as soon as `signal` (the
 * operation's: a C-CANCEL, or the requestor gone) aborts, even while a read is pending. Not
 * `cStore`'s `signal` option: an abort after the request went out would end the association the
 * C-STORE is on (for a C-GET the requestor's own) and every sub-operation in flight, where a
 * C-CANCEL lets them finish. `read` is called when the reading ends, at the end of the stream or
 * not. Given up, a web stream is cancelled and a generator asked to return (it closes once its
 * pending step settles); ended otherwise early (a size limit), a web stream is unlocked for the
 * caller's release to cancel.
 */
async function* readWhileGoing(
  data: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  signal: AbortSignal,
  read: (() => void) | undefined,
): AsyncGenerator<Uint8Array> {
  // A source that stalls must not hold the turn past a C-CANCEL: each read races the abort, and
  // a web stream is cancelled at once (which also settles its pending read).
  const reader = typeof (data as ReadableStream<Uint8Array>).getReader === 'function' ? (data as ReadableStream<Uint8Array>).getReader() : undefined;
  const chunks = reader ? undefined : iterate(data);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    for (;;) {
      signal.throwIfAborted();
      const pending = reader ? reader.read() : chunks!.next();
      pending.catch(() => undefined); // settles later if the abort won the race
      const step = await Promise.race([pending, aborted]);
      if (step.done) return;
      if (step.value.byteLength > 0) yield step.value;
    }
  } finally {
    signal.removeEventListener('abort', onAbort!);
    if (reader) {
      if (signal.aborted) void reader.cancel(signal.reason).catch(() => undefined);
      else reader.releaseLock(); // the caller's release cancels it if it was not read to the end
    } else {
      void chunks!.return(undefined).catch(() => undefined);
    }
    read?.();
  }
}

/**
 * The conversion retries of one {@link pipelined} run, taken in turn: each reads its data stream
 * whole (up to maxDatasetLength), and the sub-operations of a window failing together would
 * otherwise read as many at once (16 × maxDatasetLength, and their decoded copies). A turn ends
 * once its stream is read, or given up, or its retry failed without reading it: the next stream
 * is read while the C-STORE before it is on its way. A failed retry ends its turn like any other.
 * An instance in memory already (a buffer, a Part 10 file) takes no turn.
 */
class ConversionTurns {
  /** Settles (never rejects) when the last retry in line has ended its turn. */
  private last: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: Association,
    private readonly options: StoreOptions,
    private readonly signal: AbortSignal,
  ) {}

  /** {@link storeConverted}, once the streams of the retries before it are read. */
  store(instance: StoreInput): Promise<DimseResponse> {
    if (!isStreamed(instance)) return storeConverted(instance, this.target, this.options, this.signal);
    let ended!: () => void;
    const turn = new Promise<void>((resolve) => {
      ended = resolve;
    });
    const previous = this.last;
    this.last = turn;
    const retry = previous.then(() => storeConverted(instance, this.target, this.options, this.signal, ended));
    // At the latest when the retry settles: it may fail before reading its stream.
    retry.then(ended, ended);
    return retry;
  }
}

/** Answers Cancel (0xFE00) with the counts so far and the instances that failed (PS3.4 C.4.2.1.5, C.4.3.1.4). */
function cancelled(ctx: RequestContext, counts: Counts): Promise<void> {
  return answer(ctx, { Status: CANCEL, ...countFields(counts) }, failedList(ctx, counts));
}

/** Sub-operations without a response yet (in flight or not started), over every sub-association. */
function notCompleted(counts: Counts): number {
  return counts.total - counts.completed - counts.failed - counts.warning;
}

/** Counts a sub-operation's response. */
function count(counts: Counts, instance: StoreInput, rsp: Pick<DimseResponse, 'category'>): void {
  if (rsp.category === 'Success') counts.completed++;
  else if (rsp.category === 'Warning') counts.warning++;
  else failed(counts, instance);
}

function failed(counts: Counts, instance: StoreInput): void {
  counts.failed++;
  counts.failedUids.push(uidOf(instance));
}

/** An instance whose data set comes as a stream (a web stream or an async iterable), not in memory. */
function isStreamed(instance: StoreInput): instance is StoreInput & { data: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> } {
  return 'data' in instance && !(instance.data instanceof Uint8Array);
}

/** Cancels an instance's data stream (or ends its iterator) unless it was read to the end; never throws. */
function release(instance: StoreInput): void {
  if (!isStreamed(instance)) return;
  const data = instance.data;
  try {
    if (typeof (data as ReadableStream).cancel === 'function') {
      if (!(data as ReadableStream).locked) void (data as ReadableStream).cancel().catch(() => undefined);
    } else {
      void (data as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]().return?.()?.catch(() => undefined);
    }
  } catch {
    // Already released.
  }
}

function newCounts(total: number): Counts {
  return { total, remaining: total, completed: 0, failed: 0, warning: 0, failedUids: [] };
}

/**
 * The final response, its status from the counts. `unopened`: why a C-MOVE sub-association could
 * not be opened, given as the Error Comment when every sub-operation failed (0xA702).
 */
function finalAnswer(ctx: RequestContext, counts: Counts, unopened?: unknown): Promise<void> {
  const status =
    counts.failed + counts.warning === 0 ? 0x0000 : counts.completed + counts.warning === 0 && counts.failed > 0 ? ALL_FAILED : SOME_FAILED;
  // Final responses carry no Remaining count (PS3.4 C.4.2.1.6 / C.4.3.1.5).
  const { NumberOfRemainingSuboperations: _, ...final } = countFields(counts);
  const fields = status === ALL_FAILED && unopened !== undefined ? statusFields(failureFor(unopened, ALL_FAILED)) : { Status: status };
  return answer(ctx, { ...fields, ...final }, failedList(ctx, counts));
}

function parseQuery(message: IncomingMessage, ctx: RequestContext): QueryRequest | null {
  if (!message.dataset) return null;
  try {
    return { sopClassUid: ctx.abstractSyntax, identifier: decodeDataset(message.dataset, ctx.transferSyntax, { maxInflatedLength: ctx.association.options.maxDatasetLength }), priority: ctx.command.Priority ?? 0 };
  } catch {
    return null;
  }
}

function answer(ctx: RequestContext, fields: Partial<Command> & { Status: number }, dataset: Uint8Array | null = null): Promise<void> {
  return respond(ctx.association, ctx.contextId, ctx.command, fields, dataset);
}

function countFields(c: Counts) {
  return {
    NumberOfRemainingSuboperations: c.remaining,
    NumberOfCompletedSuboperations: c.completed,
    NumberOfFailedSuboperations: c.failed,
    NumberOfWarningSuboperations: c.warning,
  };
}

/** Failed SOP Instance UID List (0008,0058) for a final or cancel response with failures. */
function failedList(ctx: RequestContext, counts: Counts): Uint8Array | null {
  if (counts.failedUids.length === 0) return null;
  return encodeDataset({ FailedSOPInstanceUIDList: counts.failedUids }, ctx.transferSyntax);
}

/**
 * What a handler named: the instances, up to the final status it yielded (if any); `tooMany`
 * when it named more than 65,535 (the instances are then released, and none is kept).
 */
interface Named {
  instances: StoreInput[];
  final?: StatusResult;
  tooMany?: true;
}

/**
 * Reads a handler's list up to its end or the first status in it. Success ends the list; any
 * other status is the handler's final answer; Pending is no final status, so it throws (answered
 * 0xC000). The 65,536th instance ends the reading too ({@link MAX_SUBOPERATIONS}): the rest is
 * never asked for. Leaving the loop early closes the handler's generator (its `finally` runs). On
 * a throw the instances read so far are released (their data streams cancelled) before it propagates.
 */
async function collectNamed(items: AsyncIterable<RetrieveAnswer> | Iterable<RetrieveAnswer>): Promise<Named> {
  const instances: StoreInput[] = [];
  try {
    for await (const item of items) {
      if (!isStatusAnswer(item)) {
        const instance = checkedInstance(item);
        if (instances.length === MAX_SUBOPERATIONS) {
          release(instance);
          instances.forEach(release);
          return { instances: [], tooMany: true };
        }
        instances.push(instance);
        continue;
      }
      const status = typeof item === 'number' ? item : item.status;
      if (status === PENDING || status === PENDING_WARNING) throw new Error(`handler yielded Pending 0x${status.toString(16)}, not a final status`);
      return status === 0x0000 ? { instances } : { instances, final: item };
    }
  } catch (error) {
    instances.forEach(release);
    throw error;
  }
  return { instances };
}

function isStatusAnswer(item: RetrieveAnswer): item is StatusResult {
  return typeof item === 'number' || (typeof item === 'object' && item !== null && typeof (item as { status?: unknown }).status === 'number');
}

/**
 * `item` if it is an instance whose identity can be read, else a TypeError (answered 0xC000 with
 * its message): an instance without one could be neither sent nor listed as failed, and the
 * operation would never be answered.
 */
function checkedInstance(item: StoreInput): StoreInput {
  const given = item as Partial<Record<'dataset' | 'part10' | 'data' | 'sopClassUid' | 'sopInstanceUid', unknown>> | null;
  let ok = false;
  if (given && typeof given === 'object') {
    if ('dataset' in given) ok = hasIdentity(given.dataset);
    else if ('part10' in given) ok = given.part10 instanceof Uint8Array && readable(given.part10);
    else ok = 'data' in given && typeof given.sopClassUid === 'string' && typeof given.sopInstanceUid === 'string';
  }
  // Error Comment is an LO: 64 characters at most.
  if (!ok) throw new TypeError('handler yielded neither a readable instance nor a status');
  return item;
}

function hasIdentity(dataset: unknown): boolean {
  const d = dataset as { SOPClassUID?: unknown; SOPInstanceUID?: unknown } | null;
  return typeof d === 'object' && d !== null && typeof d.SOPClassUID === 'string' && typeof d.SOPInstanceUID === 'string';
}

/** Whether a Part 10 file's SOP class, instance and transfer syntax can be read from its meta group (read by hand: no decoding, it runs per instance). */
function readable(part10: Uint8Array): boolean {
  try {
    readPart10Identity(part10);
    return true;
  } catch {
    return false;
  }
}

/**
 * The final answer when no sub-operation is to be performed: the handler yielded a final status
 * (see {@link handlerFinal}) or named too many instances (see {@link refuseTooMany}). Null when
 * the sub-operations go ahead.
 */
function withoutSubOperations(ctx: RequestContext, named: Named): Promise<void> | null {
  if (named.tooMany) return refuseTooMany(ctx);
  if (named.final !== undefined) return handlerFinal(ctx, named.instances, named.final);
  return null;
}

/**
 * The answer to a C-GET or C-MOVE whose handler named more than 65,535 instances: Refused: Out of
 * Resources – Unable to perform sub-operations (0xA702, PS3.4 C.4.2.1.5, C.4.3.1.4), with zero
 * counts and no data set, before any sub-operation (and, for C-MOVE, before any association to
 * the destination). The counts are US (PS3.7 Table E.1-1) and every final response shall give
 * them (PS3.4 C.4.2.3.1, C.4.3.3.1), which past 65,535 no response can; clamping them would make
 * the final counts false. pynetdicom refuses a handler's count above 65,535 the same way, before
 * any sub-operation (0xC416 C-GET, 0xC516 C-MOVE: its own Unable to process codes); DCMTK's
 * dcmqrscp stores its int count of matches in the US Remaining, which wraps. Refused says what
 * the SCU can do about it: retrieve a smaller part (series by series).
 */
function refuseTooMany(ctx: RequestContext): Promise<void> {
  const { NumberOfRemainingSuboperations: _, ...final } = countFields(newCounts(0));
  // Error Comment is an LO: 64 characters at most.
  return answer(ctx, { Status: ALL_FAILED, ErrorComment: `more than ${MAX_SUBOPERATIONS} instances; retrieve fewer at a time`, ...final });
}

/**
 * The final response for a status the handler yielded other than Success (PS3.4 C.4.2.1.5,
 * C.4.3.1.4): no sub-operation is performed. Cancel (0xFE00) reports the instances named before
 * it as remaining; any other status (Refused 0xA701, Failure 0xA900 / 0xCxxx, ...) has no
 * Remaining count (C.4.2.1.6, C.4.3.1.5) and reports them as failed, in the Failed SOP Instance
 * UID List (C.4.2.1.4.2, C.4.3.1.3.2): none named, zero counts and no data set.
 */
function handlerFinal(ctx: RequestContext, instances: StoreInput[], result: StatusResult): Promise<void> {
  instances.forEach(release);
  const fields = statusFields(result);
  if (fields.Status === CANCEL) return answer(ctx, { ...fields, ...countFields(newCounts(instances.length)) });
  const counts = newCounts(0);
  for (const instance of instances) failed(counts, instance);
  const { NumberOfRemainingSuboperations: _, ...final } = countFields(counts);
  return answer(ctx, { ...fields, ...final }, failedList(ctx, counts));
}

/** An instance's SOP class, instance and transfer syntax (none for a dataset: it is encoded for the context). */
function identityOf(instance: StoreInput): { sopClassUid: string; sopInstanceUid: string; transferSyntaxUid: string } {
  if ('dataset' in instance) {
    return { sopClassUid: String(instance.dataset.SOPClassUID), sopInstanceUid: String(instance.dataset.SOPInstanceUID), transferSyntaxUid: '' };
  }
  if ('part10' in instance) return readPart10Identity(instance.part10);
  return instance;
}

function uidOf(instance: StoreInput): string {
  return identityOf(instance).sopInstanceUid;
}

/** One C-MOVE sub-association: its presentation contexts (at most 128) and the instances it sends, in the handler's order. */
interface SubAssociation {
  readonly contexts: RequestedContext[];
  instances: StoreInput[];
}

/**
 * The sub-associations of a C-MOVE, opened one after another. The destination picks one transfer
 * syntax per context, and an instance goes only on a context in its own syntax or, converted, in
 * another uncompressed one (compressed data is never converted), so each SOP class gets a context
 * per syntax its instances are in that is not a plain uncompressed one, then one context with the
 * uncompressed syntaxes. An association carries at most 128 contexts (odd IDs 1-255, PS3.8
 * §9.3.2.2): the classes fill one association after another, in the order the instances name
 * them, and each instance is sent on its class's. One association in the common case; the
 * instances keep the handler's order within each.
 *
 * Neither DCMTK nor pynetdicom goes past one association: dcmqrscp proposes its fixed list of
 * storage SOP classes (at most 128 contexts) on one sub-association, and pynetdicom its AE's
 * requested contexts (at most 128, or those the handler passes); an instance whose class has no
 * accepted context fails its sub-operation and is listed, which PS3.4 C.4.2.3.1 allows ("a
 * sub-operation is considered Failed if the SCP is unable to negotiate an appropriate presentation
 * context"). Several associations in turn ("establish a new Association for the C-STORE
 * sub-operations", ibid.) send them all instead.
 */
function subAssociations(instances: StoreInput[]): SubAssociation[] {
  // Per SOP class, in the order the instances name them: the syntaxes that need a context of their own.
  const compressed = new Map<string, Set<string>>();
  const classes: string[] = [];
  for (const instance of instances) {
    const { sopClassUid, transferSyntaxUid } = identityOf(instance);
    classes.push(sopClassUid);
    let syntaxes = compressed.get(sopClassUid);
    if (!syntaxes) compressed.set(sopClassUid, (syntaxes = new Set()));
    if (transferSyntaxUid && !isConvertibleSyntax(transferSyntaxUid)) syntaxes.add(transferSyntaxUid);
  }
  const groups: SubAssociation[] = [];
  const groupOf = new Map<string, SubAssociation>();
  let current: SubAssociation | undefined;
  for (const [abstractSyntax, syntaxes] of compressed) {
    // More compressed syntaxes for one class than fit beside its uncompressed context: the first
    // ones get a context, and the instances in the others fail their sub-operation.
    const own = [...syntaxes].slice(0, MAX_CONTEXTS - 1);
    if (!current || current.contexts.length + own.length + 1 > MAX_CONTEXTS) groups.push((current = { contexts: [], instances: [] }));
    for (const ts of own) current.contexts.push({ abstractSyntax, transferSyntaxes: [ts] });
    current.contexts.push({ abstractSyntax, transferSyntaxes: DEFAULT_TRANSFER_SYNTAXES });
    groupOf.set(abstractSyntax, current);
  }
  if (groups.length === 1) groups[0]!.instances = instances;
  else for (let i = 0; i < instances.length; i++) groupOf.get(classes[i]!)!.instances.push(instances[i]!);
  return groups;
}

/** Releases the instances of `groups[from]` and those after it (none of them was sent). */
function releaseGroups(groups: SubAssociation[], from: number): void {
  for (let g = from; g < groups.length; g++) groups[g]!.instances.forEach(release);
}
