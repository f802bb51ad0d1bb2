/**
 * The SCP loop of one association: takes each incoming request, runs the matching handler and
 * answers (PS3.7 §9.1, §10.1). One operation at a time, or up to the negotiated asynchronous
 * operations window (PS3.7 D.3.3.3), answering in completion order.
 */
import { mayNameOnContext } from '../uids/context-classes';
import type { Association } from '../association';
import { isWritten } from '../dimse/provider';
import { missingElements, type IncomingMessage } from '../dimse/reassemble';
import { CommandField } from '../dimse/types';
import { failureFor, refuseIncomplete, respond, statusFields } from './respond';
import { serveFind } from './find';
import { serveGet, serveMove } from './retrieve';
import { serveN } from './n-services';
import { serveStore } from './store';
import { OperationContext } from './context';
import type { RequestContext, ScpHandlers } from './types';

/** Refused: SOP class not supported (PS3.7 C.5.x). */
const REFUSED_SOP_CLASS = 0x0122;
/** No such SOP Class (PS3.7 Annex C), the DIMSE-N services' answer to a class they do not have. */
const NO_SUCH_SOP_CLASS = 0x0118;
/** Unrecognized operation (PS3.7 C.5.x). */
const UNRECOGNIZED_OPERATION = 0x0211;
/** Duplicate invocation (PS3.7 C.5.x): the Message ID of a request still being performed (reliability.md D-04). */
const DUPLICATE_INVOCATION = 0x0210;
/**
 * How long input waits for the running operation (window 1) before reading on anyway, so that a
 * peer's A-ABORT during a slow handler is seen within this time.
 */
const HOLD_INPUT_MS = 1000;
/** Operations a C-CANCEL can stop: input stays open while they run, so the cancel can arrive. */
const CANCELLABLE = new Set<number>([CommandField['C-FIND-RQ'], CommandField['C-GET-RQ'], CommandField['C-MOVE-RQ']]);

/** Any request (bit 15 of the Command Field clear): the serve loop never takes responses. */
export const isRequestMessage = (m: IncomingMessage): boolean => (m.command.CommandField & 0x8000) === 0;

/**
 * Serves requests until the association ends. Never rejects. Takes only messages `accept`
 * allows (default: every request), so responses stay for the SCU calls awaiting them on the
 * same association, e.g. an SCP's own N-EVENT-REPORT (PS3.4 J.3.3, CC.2.4).
 */
export async function serveRequests(
  association: Association,
  handlers: ScpHandlers,
  accept: (m: IncomingMessage) => boolean = isRequestMessage,
): Promise<void> {
  // Up to the negotiated Maximum Number Operations Performed at once (PS3.7 D.3.3.3); 0 = unlimited.
  const limit = association.asyncOps.maxPerformed || Infinity;
  const running = new Set<Promise<void>>();
  // Requests taken and not yet answered, whatever the window; with those still queued they are what
  // a peer's A-RELEASE-RQ waits for (PS3.8: P-DATA may still be sent in Sta8).
  let owed = 0;
  const idleWaiters: Array<() => void> = [];
  const owing = () => owed > 0 || association.dimse.hasQueued(accept);
  // A local first, not `association.operationsDone = () => …`: see test/unit/retention-patterns.test.ts.
  const operationsDone = () => (owing() ? new Promise<void>((resolve) => idleWaiters.push(resolve)) : undefined);
  association.operationsDone = operationsDone;
  association.performing = owing;
  const answered = () => {
    owed--;
    if (!owing()) for (const wake of idleWaiters.splice(0)) wake();
  };
  // Message IDs of the peer's requests being performed: unique among outstanding ones (PS3.7 §9.1.1.1.2).
  const active = new Set<number>();
  // Window 1: input waits while an operation runs (DimseProvider.holdInput), so what the peer sent
  // behind it — more requests, an A-RELEASE-RQ — is read only after its response went out (S-11,
  // D-08, D-09, M-07). For the first operation, and for all once the peer has pipelined (a request
  // was queued when we came for the next one); a peer that waits for each response does not pay for
  // it after its first. At most HOLD_INPUT_MS, and never for operations a C-CANCEL must reach.
  const gate = {
    busy: false,
    pipelined: true, // until the first operation has run
    first: true,
    idle: null as { promise: Promise<void>; resolve(): void } | null,
    timer: undefined as ReturnType<typeof setTimeout> | undefined,
  };
  const endHold = () => {
    gate.busy = false;
    clearTimeout(gate.timer);
    gate.timer = undefined;
    const idle = gate.idle;
    gate.idle = null;
    idle?.resolve();
  };
  let take = accept;
  if (limit === 1) {
    take = (m) => {
      if (!accept(m)) return false;
      gate.busy = !CANCELLABLE.has(m.command.CommandField);
      return true;
    };
    // A local first, as above.
    const holdInput = () => {
      if (!gate.busy || !gate.pipelined) return undefined;
      if (!gate.idle) {
        gate.idle = deferred();
        gate.timer = setTimeout(endHold, HOLD_INPUT_MS);
      }
      return gate.idle.promise;
    };
    association.dimse.holdInput = holdInput;
    void association.closed.then(endHold);
  }
  // Made once, not per request: each message costs no closure or options object of its own.
  const taking = { timeoutMs: Infinity, match: (m: IncomingMessage) => take(m) && ++owed > 0 };
  /** Performs one request and answers; never rejects. One async frame per operation, not a chain of promises. */
  const perform = async (message: IncomingMessage, id: number | undefined, duplicate: boolean): Promise<void> => {
    try {
      if (duplicate) await refuseDuplicate(association, message);
      else await dispatch(association, message, handlers);
    } catch (error) {
      association.options.logger.error(`SCP handler failed: ${(error as Error).message}`);
    } finally {
      if (!duplicate && id !== undefined) active.delete(id);
      answered();
    }
  };
  for (;;) {
    if (running.size >= limit) await Promise.race(running);
    if (limit === 1 && !gate.first) gate.pipelined ||= association.dimse.peekMsg() !== null;
    let message: IncomingMessage | null;
    try {
      // Counted when taken (synchronously, as it arrives): a release read in the same chunk sees it.
      message = await association.dimse.getMsg(taking);
    } catch {
      await Promise.all(running);
      return; // released or aborted
    }
    if (!message) continue;
    const id = (message.command.CommandField & 0x8000) === 0 ? message.command.MessageID : undefined;
    const duplicate = id !== undefined && active.has(id);
    if (id !== undefined && !duplicate) active.add(id);
    const operation = perform(message, id, duplicate);
    // Window 1: one operation at a time, exactly as before; larger windows answer in completion order.
    if (limit === 1) {
      await operation;
      endHold();
      if (gate.first) {
        gate.first = false;
        gate.pipelined = association.dimse.peekMsg() !== null;
      }
      continue;
    }
    running.add(operation);
    void operation.then(() => running.delete(operation));
  }
}

/** D-04: a request whose Message ID is still being performed gets 0x0210 and is not performed. */
async function refuseDuplicate(association: Association, message: IncomingMessage): Promise<void> {
  const { command } = message;
  association.options.logger.warn(`refusing request 0x${command.CommandField.toString(16)}: Message ID ${command.MessageID} is still being performed (0x0210)`);
  await message.datasetChunks?.cancel();
  await respond(association, message.contextId, command, { Status: DUPLICATE_INVOCATION }).catch(() => undefined);
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function dispatch(association: Association, message: IncomingMessage, handlers: ScpHandlers): Promise<void> {
  const { command } = message;
  const field = command.CommandField;
  if ((field & 0x8000) !== 0) {
    // A response nobody waits for (e.g. after a DIMSE timeout): drop it.
    association.options.logger.warn(`ignoring unexpected response 0x${field.toString(16)} to message ${command.MessageIDBeingRespondedTo}`);
    await message.datasetChunks?.cancel();
    return;
  }
  const context = association.contexts.find((c) => c.id === message.contextId)!;
  // The cancel signal is made on first use; a C-CANCEL that comes first is remembered by the provider.
  const ctx = new OperationContext(association, context, command, true);
  // `await` inside try matters: finally must run after the operation, not when its promise is made.
  try {
    const sopClass = command.AffectedSOPClassUID ?? command.RequestedSOPClassUID;
    // C-services must name the context's SOP class; N-services that class or a component of it
    // (a meta SOP class, UPS Push on any UPS context): no service is reached through another's context.
    const mismatch = field < 0x0100 ? sopClass !== context.abstractSyntax : !mayNameOnContext(sopClass, context.abstractSyntax);
    // N-EVENT-REPORT is invoked by the performing SCP: its receiver acts as SCU (PS3.7 §10.1.1).
    const role = field === CommandField['N-EVENT-REPORT-RQ'] ? 'scu' : 'scp';
    if (mismatch || !association.mayActAs(context, role)) {
      await message.datasetChunks?.cancel();
      // DIMSE-N services answer an unknown class with No such SOP Class (PS3.7 C.5.x: 0x0118).
      return await respond(association, ctx.contextId, command, { Status: mismatch && field >= 0x0100 ? NO_SUCH_SOP_CLASS : REFUSED_SOP_CLASS });
    }
    // (serveStore checks a C-STORE itself: a C-GET's sub-operations reach it without this dispatcher.)
    if (field !== CommandField['C-STORE-RQ']) {
      const missing = missingElements(command);
      if (missing.length > 0) return await refuseIncomplete(association, message, ctx.contextId, missing);
    }
    switch (field) {
      case CommandField['C-ECHO-RQ']: {
        // No handler: Success without an await of its own; a response written at once is not awaited either.
        const sent = respond(association, ctx.contextId, command, statusFields(handlers.cEcho ? await echo(handlers.cEcho, ctx) : 0x0000));
        if (!isWritten(sent)) await sent;
        return;
      }
      case CommandField['C-STORE-RQ']:
        return await serveStore(message, ctx, handlers);
      case CommandField['C-FIND-RQ']:
        return await serveFind(message, ctx, handlers);
      case CommandField['C-GET-RQ']:
        return await serveGet(message, ctx, handlers);
      case CommandField['C-MOVE-RQ']:
        return await serveMove(message, ctx, handlers);
      case CommandField['N-GET-RQ']:
      case CommandField['N-SET-RQ']:
      case CommandField['N-ACTION-RQ']:
      case CommandField['N-CREATE-RQ']:
      case CommandField['N-DELETE-RQ']:
      case CommandField['N-EVENT-REPORT-RQ']:
        return await serveN(message, ctx, handlers);
      default:
        return await respond(association, ctx.contextId, command, { Status: UNRECOGNIZED_OPERATION });
    }
  } finally {
    OperationContext.ended(ctx);
    association.dimse.endOperation(ctx.messageId);
  }
}

async function echo(handler: NonNullable<ScpHandlers['cEcho']>, ctx: RequestContext) {
  try {
    return await handler(ctx);
  } catch (error) {
    return failureFor(error);
  }
}
