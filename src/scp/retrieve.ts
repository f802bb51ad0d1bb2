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
import { decodeDataset, encodeDataset, loadCodec, readPart10 } from '../dataset/lazy';
import type { IncomingMessage } from '../dimse/reassemble';
import type { Command } from '../dimse/types';
import { requestAssociation } from '../requestor';
import type { StoreInput } from '../scu/store';
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

interface Counts {
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
  await runSubOperations(ctx, () => handlers.cGet!(request, ctx), ctx.association);
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
  const { instances, final: ended } = named;
  // The handler's final status: answered before any association to the destination is opened.
  if (ended !== undefined) return handlerFinal(ctx, instances, ended);
  // Nothing matched: no sub-operations, so no association to the destination either.
  if (instances.length === 0) return finalAnswer(ctx, newCounts(0));
  let target: Association;
  try {
    const transport = await decision.destination.connect(ctx.signal);
    target = await requestAssociation(transport, contextsFor(instances), ctx.association.options, {
      calledAeTitle: decision.destination.aeTitle,
    });
  } catch (error) {
    instances.forEach(release);
    if (!ctx.association.isEstablished) return;
    // A C-CANCEL while connecting (connect(ctx.signal) rejects on it): nothing was sent, nothing
    // failed — the answer is Cancel with every instance remaining (PS3.4 C.4.2.1.5, C.4.2.1.6).
    if (ctx.signal.aborted) return answer(ctx, { Status: CANCEL, ...countFields(newCounts(instances.length)) });
    // P-12: no sub-operation could be performed; every instance failed, and the answer lists them.
    const counts = newCounts(0);
    for (const instance of instances) failed(counts, instance);
    const { NumberOfRemainingSuboperations: _, ...final } = countFields(counts);
    return answer(ctx, { ...statusFields(failureFor(error, ALL_FAILED)), ...final }, failedList(ctx, counts));
  }
  // P-11: when the requestor goes away, so does the sub-association, even with a C-STORE in flight.
  const onEnd = () => void (ctx.association.isEstablished || target.abort());
  ctx.signal.addEventListener('abort', onEnd, { once: true });
  try {
    if (ctx.association.isEstablished) await runSubOperations(ctx, () => instances, target, { aeTitle: ctx.association.peerAeTitle, messageId: ctx.messageId });
  } finally {
    ctx.signal.removeEventListener('abort', onEnd);
    if (!ctx.association.isEstablished) await target.abort();
    else await target.release().catch(() => target.abort());
  }
}

/**
 * Sub-operations in flight at most when the requestor (C-GET) or the destination (C-MOVE) agreed
 * to an unlimited window (0): each holds an instance read ahead.
 */
const MAX_SUBOPERATIONS_IN_FLIGHT = 16;

async function runSubOperations(
  ctx: RequestContext,
  list: () => AsyncIterable<RetrieveAnswer> | Iterable<RetrieveAnswer>,
  target: Association,
  moveOriginator?: { aeTitle: string; messageId: number },
): Promise<void> {
  let named: Named;
  try {
    named = await collectNamed(list());
  } catch (error) {
    return answer(ctx, statusFields(failureFor(error, UNABLE_TO_PROCESS)));
  }
  const { instances, final: ended } = named;
  if (ended !== undefined) return handlerFinal(ctx, instances, ended);
  const counts = newCounts(instances.length);
  const negotiated = target.asyncOps.maxInvoked;
  const window = negotiated === 0 ? MAX_SUBOPERATIONS_IN_FLIGHT : Math.min(negotiated, MAX_SUBOPERATIONS_IN_FLIGHT);
  const run = window > 1 ? pipelined(ctx, instances, counts, target, window, moveOriginator) : oneByOne(ctx, instances, counts, target, moveOriginator);
  if (!(await run)) return;
  if (!ctx.association.isEstablished) return;
  return finalAnswer(ctx, counts);
}

/** One sub-operation at a time (the default window of 1). False when the operation has ended already. */
async function oneByOne(
  ctx: RequestContext,
  instances: StoreInput[],
  counts: Counts,
  target: Association,
  moveOriginator?: { aeTitle: string; messageId: number },
): Promise<boolean> {
  let next = 0;
  try {
    while (next < instances.length) {
      // P-09: the requestor is gone: stop at once, there is nobody to answer.
      if (!ctx.association.isEstablished) return false;
      if (ctx.signal.aborted) {
        await answer(ctx, { Status: CANCEL, ...countFields(counts) }, failedList(ctx, counts));
        return false;
      }
      const instance = instances[next++]!;
      counts.remaining--;
      // Read the next instance ahead while this one's response is awaited (storage latency overlaps the round trip).
      if (next < instances.length) instances[next] = readAhead(instances[next]!);
      try {
        count(counts, instance, await target.cStore(instance, { moveOriginator }));
      } catch (error) {
        failed(counts, instance);
        if (!ctx.association.isEstablished) return false;
        if (!target.isEstablished) {
          // P-12: the destination went away: the instances not sent failed too.
          for (; next < instances.length; next++) failed(counts, instances[next]!);
          counts.remaining = 0;
          break;
        }
        ctx.association.options.logger.warn(`sub-operation failed: ${(error as Error).message}`);
      }
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
  moveOriginator?: { aeTitle: string; messageId: number },
): Promise<boolean> {
  let next = 0;
  let targetGone = false;
  const inFlight = new Set<Promise<void>>();
  // Pending responses leave one after another, each with the counts of its moment.
  let answers: Promise<void> = Promise.resolve();
  const finish = (instance: StoreInput, outcome: Promise<Pick<DimseResponse, 'category'>>) =>
    outcome.then(
      (rsp) => count(counts, instance, rsp),
      (error: unknown) => {
        failed(counts, instance);
        if (ctx.association.isEstablished && target.isEstablished) ctx.association.options.logger.warn(`sub-operation failed: ${(error as Error).message}`);
        else targetGone ||= !target.isEstablished;
      },
    );
  try {
    for (;;) {
      while (inFlight.size < window && next < instances.length && !targetGone && !ctx.signal.aborted && ctx.association.isEstablished) {
        const instance = instances[next++]!;
        if (next < instances.length) instances[next] = readAhead(instances[next]!);
        const done: Promise<void> = finish(instance, target.cStore(instance, { moveOriginator })).then(() => {
          inFlight.delete(done);
          counts.remaining = notCompleted(counts, instances.length);
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
    counts.remaining = 0;
    return true;
  }
  if (ctx.signal.aborted && next < instances.length) {
    counts.remaining = notCompleted(counts, instances.length);
    await answer(ctx, { Status: CANCEL, ...countFields(counts) }, failedList(ctx, counts));
    return false;
  }
  return true;
}

/** Sub-operations of `total` without a response yet (in flight or not started). */
function notCompleted(counts: Counts, total: number): number {
  return total - counts.completed - counts.failed - counts.warning;
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

/** Cancels an instance's data stream (or ends its iterator) unless it was read to the end; never throws. */
function release(instance: StoreInput): void {
  if (!('data' in instance) || instance.data instanceof Uint8Array) return;
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

function newCounts(remaining: number): Counts {
  return { remaining, completed: 0, failed: 0, warning: 0, failedUids: [] };
}

function finalAnswer(ctx: RequestContext, counts: Counts): Promise<void> {
  const status =
    counts.failed + counts.warning === 0 ? 0x0000 : counts.completed + counts.warning === 0 && counts.failed > 0 ? ALL_FAILED : SOME_FAILED;
  // Final responses carry no Remaining count (PS3.4 C.4.2.1.6 / C.4.3.1.5).
  const { NumberOfRemainingSuboperations: _, ...final } = countFields(counts);
  return answer(ctx, { Status: status, ...final }, failedList(ctx, counts));
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

/** What a handler named: the instances, up to the final status it yielded (if any). */
interface Named {
  instances: StoreInput[];
  final?: StatusResult;
}

/**
 * Reads a handler's list up to its end or the first status in it. Success ends the list; any
 * other status is the handler's final answer; Pending is no final status, so it throws (answered
 * 0xC000). Leaving the loop early closes the handler's generator (its `finally` runs). On a throw
 * the instances read so far are released (their data streams cancelled) before it propagates.
 */
async function collectNamed(items: AsyncIterable<RetrieveAnswer> | Iterable<RetrieveAnswer>): Promise<Named> {
  const instances: StoreInput[] = [];
  try {
    for await (const item of items) {
      if (!isStatusAnswer(item)) {
        instances.push(checkedInstance(item));
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

/** Whether a Part 10 file's meta information (its SOP class and instance) can be read. */
function readable(part10: Uint8Array): boolean {
  try {
    readPart10(part10);
    return true;
  } catch {
    return false;
  }
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

function identityOf(instance: StoreInput): { sopClassUid: string; sopInstanceUid: string; transferSyntaxUid: string } {
  if ('dataset' in instance) {
    return { sopClassUid: String(instance.dataset.SOPClassUID), sopInstanceUid: String(instance.dataset.SOPInstanceUID), transferSyntaxUid: '' };
  }
  if ('part10' in instance) return readPart10(instance.part10);
  return instance;
}

function uidOf(instance: StoreInput): string {
  return identityOf(instance).sopInstanceUid;
}

/**
 * The sub-association's contexts. The destination picks one transfer syntax per context, and an
 * instance goes only on a context in its own syntax (compressed data is never converted), so per
 * SOP class each syntax the instances are in that is not a plain uncompressed one gets a context
 * of its own, ahead of one context with the uncompressed syntaxes. At most 128 contexts (PS3.8
 * §9.3.2.2): every class keeps its uncompressed context, the compressed ones take the room left,
 * in the order the instances name them; an instance without a context fails its sub-operation.
 */
function contextsFor(instances: StoreInput[]): RequestedContext[] {
  const plain = new Set(DEFAULT_TRANSFER_SYNTAXES);
  const compressed = new Map<string, Set<string>>();
  for (const instance of instances) {
    const { sopClassUid, transferSyntaxUid } = identityOf(instance);
    const set = compressed.get(sopClassUid) ?? new Set<string>();
    if (transferSyntaxUid && !plain.has(transferSyntaxUid)) set.add(transferSyntaxUid);
    compressed.set(sopClassUid, set);
  }
  let room = MAX_CONTEXTS - compressed.size;
  const contexts: RequestedContext[] = [];
  for (const [abstractSyntax, syntaxes] of compressed) {
    for (const ts of syntaxes) {
      if (room <= 0) break;
      contexts.push({ abstractSyntax, transferSyntaxes: [ts] });
      room--;
    }
    contexts.push({ abstractSyntax, transferSyntaxes: DEFAULT_TRANSFER_SYNTAXES });
  }
  return contexts;
}
