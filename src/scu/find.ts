/**
 * C-FIND SCU (PS3.7 §9.1.2, PS3.4 Annex C/K) as an async iterator. Breaking out of the loop or
 * aborting the signal sends C-CANCEL (§9.3.2.3) and reads on to the final response, so the
 * association stays usable.
 */
import type { Association } from '../association';
import { decodeDataset, encodeDataset, loadCodec } from '../dataset/lazy';
import { isResponseTo } from '../dimse/provider';
import type { IncomingMessage } from '../dimse/reassemble';
import { CommandField, NO_DATASET } from '../dimse/types';
import { queryModelUid, type QueryModel } from './query-models';
import { awaitResponse, priorityValue, sendRequest, toResponse } from './request';
import type { CallOptions, Dataset, DimseResponse } from './types';

/**
 * Options of {@link Association.cFind} (C-FIND, PS3.7 §9.1.2): the information model, which picks
 * the SOP class and so the presentation context, plus the common call options (`signal` sends C-CANCEL).
 */
export interface FindOptions extends CallOptions {
  /** Information model: 'patient', 'study', 'psonly', 'worklist' or a SOP class UID. */
  model: QueryModel;
}

/** One C-FIND response: Pending ones carry a match; the last one carries the final status. */
export interface FindResult extends DimseResponse {
  readonly identifier: Dataset | null;
}

export async function* cFind(association: Association, query: Dataset, options: FindOptions): AsyncGenerator<FindResult> {
  const sopClassUid = queryModelUid(options.model, 'find');
  const context = association.findContext(sopClassUid);
  await loadCodec();
  const messageId = await sendRequest(
    association,
    context.id,
    { CommandField: CommandField['C-FIND-RQ'], AffectedSOPClassUID: sopClassUid, Priority: priorityValue(options.priority) },
    encodeDataset(query, context.transferSyntax),
    options.signal,
    options.timeoutMs,
  );
  const operation = new PendingOperation(association, context.id, messageId, options);
  try {
    for (;;) {
      const message = await operation.next();
      const { status, category, command } = toResponse(message);
      const result: FindResult = { status, category, command, identifier: message.dataset ? decodeDataset(message.dataset, context.transferSyntax) : null };
      if (result.category !== 'Pending') {
        operation.finished = true;
        yield result;
        return;
      }
      if (!operation.cancelled) yield result;
    }
  } finally {
    await operation.close();
  }
}

/**
 * Bookkeeping for a multi-response operation: sends C-CANCEL once (on abort or early exit) and
 * drains the remaining responses. Shared by C-FIND, C-GET and C-MOVE.
 */
export class PendingOperation {
  cancelled = false;
  finished = false;
  private readonly onAbort = () => void this.cancel().catch(() => undefined);

  constructor(
    private readonly association: Association,
    private readonly contextId: number,
    readonly messageId: number,
    private readonly options: CallOptions,
  ) {
    if (options.signal?.aborted) this.onAbort();
    else options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** A response to this operation (C-FIND, C-GET and C-MOVE responses come in runs). */
  private readonly isResponse = (m: IncomingMessage): boolean => isResponseTo(m, this.messageId);

  /**
   * The next response (not the signal: after a cancel the final response is still wanted); at
   * once, without a promise, when it has arrived already.
   */
  next(match?: (m: IncomingMessage) => boolean): IncomingMessage | Promise<IncomingMessage> {
    if (!match) return this.association.dimse.takeQueued(this.isResponse) ?? awaitResponse(this.association, this.messageId, { timeoutMs: this.options.timeoutMs });
    return this.association.dimse.takeQueued(match) ?? this.association.dimse.expectMsg({ match, timeoutMs: this.options.timeoutMs });
  }

  /** Sends C-CANCEL-RQ for this operation, once. */
  async cancel(): Promise<void> {
    if (this.cancelled || this.finished) return;
    this.cancelled = true;
    await this.association.dimse.sendMsg(
      { CommandField: CommandField['C-CANCEL-RQ'], MessageIDBeingRespondedTo: this.messageId, CommandDataSetType: NO_DATASET },
      this.contextId,
    );
  }

  /**
   * On early exit: cancel and read up to the final response. Frees the window slot either way.
   * `subOperations` answers the peer's requests that belong to this operation meanwhile (a C-GET's
   * C-STOREs): the SCP waits for those in flight before it sends its final response (PS3.4 C.4.3.3).
   */
  async close(subOperations?: { match(m: IncomingMessage): boolean; serve(m: IncomingMessage): Promise<void> }): Promise<void> {
    this.options.signal?.removeEventListener('abort', this.onAbort);
    try {
      if (this.finished || !this.association.isEstablished) return;
      await this.cancel();
      const wanted = subOperations && ((m: IncomingMessage) => this.isResponse(m) || subOperations.match(m));
      for (;;) {
        const message = await this.next(wanted);
        if (!this.isResponse(message)) {
          await subOperations!.serve(message);
          continue;
        }
        if (toResponse(message).category !== 'Pending') return;
      }
    } finally {
      this.association.dimse.abandonRequest(this.messageId);
    }
  }
}
