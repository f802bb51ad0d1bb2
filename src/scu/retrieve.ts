/**
 * C-GET and C-MOVE SCU (PS3.7 §9.1.3-9.1.4, PS3.4 Annex C.4.2-C.4.3) as async iterators of
 * progress. During C-GET the peer sends C-STORE sub-operations on this association; they go to
 * `onStore` (or are refused) and the iteration continues.
 */
import type { Association } from '../association';
import { decodeDataset, encodeDataset, loadCodec } from '../dataset/lazy';
import { isResponseTo } from '../dimse/provider';
import { CommandField } from '../dimse/types';
import type { IncomingMessage } from '../dimse/reassemble';
import { serveStore } from '../scp/store';
import { OperationContext } from '../scp/context';
import { respond } from '../scp/respond';
import type { RequestContext, StoreRequest, StatusResult } from '../scp/types';
import { PendingOperation } from './find';
import { queryModelUid, type QueryModel } from './query-models';
import { priorityValue, sendRequest, toResponse } from './request';
import type { CallOptions, Dataset, DimseResponse } from './types';

/**
 * Options of {@link Association.cGet} and {@link Association.cMove} (PS3.7 §9.1.3, §9.1.4): the
 * information model, the common call options (`signal` sends C-CANCEL) and, for C-GET, the handler
 * of the C-STORE sub-operations that come back on the same association (propose their storage
 * classes with `scpRole: true`, PS3.7 D.3.3.4).
 */
export interface RetrieveOptions extends CallOptions {
  /** Information model: 'patient', 'study', 'psonly', 'composite' or a SOP class UID. */
  model: QueryModel;
  /**
   * C-GET: receives each C-STORE sub-operation; returns its status. Without it each is refused with
   * 0x0122 (SOP class not supported), as is one on a context where we did not take the SCP role.
   * After a `break` or an aborted `signal` it still receives the sub-operations already under way,
   * until the final response (PS3.4 C.4.3.3): the SCP waits for their statuses and counts them.
   */
  onStore?(request: StoreRequest, ctx: RequestContext): StatusResult | Promise<StatusResult>;
}

/** Refused: SOP class not supported (PS3.4 B.2.3), as dispatch.ts answers a request it may not serve. */
const REFUSED_SOP_CLASS = 0x0122;

/** Progress of a retrieve: the sub-operation counts of each response (PS3.4 C.4.2.1.6). */
export interface RetrieveProgress extends DimseResponse {
  readonly remaining?: number;
  readonly completed?: number;
  readonly failed?: number;
  readonly warning?: number;
  /** Final response of a partial failure: Failed SOP Instance UID List (0008,0058) and the like. */
  readonly identifier: Dataset | null;
}

export function cGet(association: Association, query: Dataset, options: RetrieveOptions): AsyncGenerator<RetrieveProgress> {
  return retrieve(association, query, options, 'get');
}

export function cMove(association: Association, query: Dataset, destination: string, options: RetrieveOptions): AsyncGenerator<RetrieveProgress> {
  return retrieve(association, query, options, 'move', destination);
}

/** Associations with one of our C-GETs running (one at a time: see getTurns): C-STORE-RQs that arrive meanwhile are its sub-operations. */
const getsInProgress = new WeakSet<Association>();
/**
 * The last C-GET to have started or be waiting per association. C-GETs on one association take
 * turns: a C-GET's C-STORE-RQs name nothing that ties them to it (the Move Originator fields of a
 * C-STORE-RQ, PS3.7 §9.1.1, serve C-MOVE only), so two at once could each take the other's
 * sub-operations and hand them to the wrong `onStore`.
 */
const getTurns = new WeakMap<Association, Promise<void>>();

/** Resolves when every C-GET started earlier on `association` has ended (or `signal` aborts: rejects). */
async function takeGetTurn(association: Association, signal: AbortSignal | undefined): Promise<() => void> {
  const before = getTurns.get(association);
  let end!: () => void;
  const mine = new Promise<void>((resolve) => (end = resolve));
  const turn = (before ?? Promise.resolve()).then(() => mine);
  getTurns.set(association, turn);
  const done = () => {
    end();
    if (getTurns.get(association) === turn) getTurns.delete(association);
  };
  if (!before) return done;
  try {
    await new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      void before.then(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  } catch (error) {
    // Given up while waiting: the turn passes on once the earlier C-GETs end.
    void before.then(done);
    throw error;
  }
  return done;
}

/**
 * Whether one of our C-GETs is in progress on `association`. A requestor's background loop leaves
 * C-STORE-RQs to the C-GET (its `onStore`) while this is true, and serves them otherwise.
 */
export function hasGetInProgress(association: Association): boolean {
  return getsInProgress.has(association);
}

async function* retrieve(
  association: Association,
  query: Dataset,
  options: RetrieveOptions,
  kind: 'get' | 'move',
  destination?: string,
): AsyncGenerator<RetrieveProgress> {
  if (kind === 'move') return yield* retrieveOnce(association, query, options, kind, destination);
  const endTurn = await takeGetTurn(association, options.signal);
  getsInProgress.add(association);
  try {
    yield* retrieveOnce(association, query, options, kind);
  } finally {
    getsInProgress.delete(association);
    endTurn();
  }
}

async function* retrieveOnce(
  association: Association,
  query: Dataset,
  options: RetrieveOptions,
  kind: 'get' | 'move',
  destination?: string,
): AsyncGenerator<RetrieveProgress> {
  const sopClassUid = queryModelUid(options.model, kind);
  const context = association.findContext(sopClassUid);
  await loadCodec();
  const messageId = await sendRequest(
    association,
    context.id,
    {
      CommandField: kind === 'get' ? CommandField['C-GET-RQ'] : CommandField['C-MOVE-RQ'],
      AffectedSOPClassUID: sopClassUid,
      Priority: priorityValue(options.priority),
      ...(destination !== undefined && { MoveDestination: destination }),
    },
    encodeDataset(query, context.transferSyntax),
    options.signal,
    options.timeoutMs,
  );
  const operation = new PendingOperation(association, context.id, messageId, options);
  const isOurs = (m: IncomingMessage) => isResponseTo(m, messageId);
  const isStore = (m: IncomingMessage) => m.command.CommandField === CommandField['C-STORE-RQ'];
  const wanted = kind === 'get' ? (m: IncomingMessage) => isOurs(m) || isStore(m) : isOurs;
  const serve = (m: IncomingMessage) => serveSubOperation(association, m, options);
  try {
    for (;;) {
      const message = await operation.next(wanted);
      if (!isOurs(message)) {
        await serve(message);
        continue;
      }
      const progress = toProgress(message, context.transferSyntax);
      if (progress.category !== 'Pending') {
        operation.finished = true;
        yield progress;
        return;
      }
      if (!operation.cancelled) yield progress;
    }
  } finally {
    // After a break the C-GET's sub-operations in flight still go to onStore until the final response.
    await operation.close(kind === 'get' ? { match: isStore, serve } : undefined);
  }
}

function toProgress(message: IncomingMessage, transferSyntax: string): RetrieveProgress {
  const c = message.command;
  const { status, category, command } = toResponse(message);
  return {
    status,
    category,
    command,
    remaining: c.NumberOfRemainingSuboperations,
    completed: c.NumberOfCompletedSuboperations,
    failed: c.NumberOfFailedSuboperations,
    warning: c.NumberOfWarningSuboperations,
    identifier: message.dataset ? decodeDataset(message.dataset, transferSyntax) : null,
  };
}

async function serveSubOperation(association: Association, message: IncomingMessage, options: RetrieveOptions): Promise<void> {
  const context = association.contexts.find((c) => c.id === message.contextId)!;
  // As dispatch.ts refuses any request: a C-STORE on a context where we did not take the SCP role
  // (PS3.7 D.3.3.4), or naming another SOP class than its context's, is not ours to accept.
  if (message.command.AffectedSOPClassUID !== context.abstractSyntax || !association.mayActAs(context, 'scp')) {
    await message.datasetChunks?.cancel();
    return respond(association, context.id, message.command, { Status: REFUSED_SOP_CLASS });
  }
  const ctx = new SubOperationContext(association, context, message.command, false);
  await serveStore(message, ctx, { cStore: options.onStore });
}

/**
 * The context of a C-GET's C-STORE sub-operation: its signal aborts when the association ends, as
 * RequestContext.signal does, but follows no C-CANCEL: a C-STORE has none (PS3.7 §9.3.1), and
 * cancelling the C-GET stops only the sub-operations not yet begun (PS3.4 C.4.3.3).
 */
class SubOperationContext extends OperationContext {
  #own: AbortSignal | undefined;

  override get signal(): AbortSignal {
    // One per sub-operation, so that what a handler adds to it goes with it (a listener added to the
    // association's own signal per instance would pile up); engines without AbortSignal.any share that one.
    const end = this.association.dimse.endSignal;
    this.#own ??= typeof AbortSignal.any === 'function' ? AbortSignal.any([end]) : end;
    return this.#own;
  }
}
