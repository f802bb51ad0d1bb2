/**
 * C-FIND SCP (PS3.4 C.4.1, K.4): each match the handler yields goes out as a Pending response
 * as soon as it is produced; C-CANCEL is honoured between matches; a final status the handler
 * yields ends the operation.
 */
import { decodeDataset, encodeDatasetForSending, loadCodec } from '../dataset/lazy';
import type { IncomingMessage } from '../dimse/reassemble';
import { failureFor, respond, statusFields } from './respond';
import type { FindAnswer, RequestContext, ScpHandlers } from './types';

const PENDING = 0xff00;
/** Pending, optional keys not supported (PS3.4 C.4.1.1.4). */
const PENDING_WARNING = 0xff01;
const CANCEL = 0xfe00;
/** Unable to process (PS3.4 C.4.1.1.4). */
const UNABLE_TO_PROCESS = 0xc000;

export async function serveFind(message: IncomingMessage, ctx: RequestContext, handlers: ScpHandlers): Promise<void> {
  const { association, contextId, command, transferSyntax } = ctx;
  if (!handlers.cFind) return respond(association, contextId, command, { Status: 0x0122 });
  if (message.datasetTooLarge || !message.dataset) return respond(association, contextId, command, { Status: UNABLE_TO_PROCESS });
  try {
    await loadCodec();
    // Inflate no further than a buffered data set may be (reliability.md D-13: deflate bombs).
    const identifier = decodeDataset(message.dataset, transferSyntax, { maxInflatedLength: association.options.maxDatasetLength });
    const matches = handlers.cFind({ sopClassUid: ctx.abstractSyntax, identifier, priority: command.Priority ?? 0 }, ctx);
    for await (const answer of matches as AsyncIterable<FindAnswer>) {
      if (ctx.signal.aborted) return await respond(association, contextId, command, { Status: CANCEL });
      if (isFinalAnswer(answer)) {
        // One final response per request (PS3.7 9.1.2.1): leaving the loop ends the handler's generator.
        return await respond(association, contextId, command, statusFields({ status: answer.status, errorComment: answer.errorComment || undefined }));
      }
      const { status, identifier: match } = isStatusAnswer(answer) ? answer : { status: PENDING, identifier: answer };
      await respond(association, contextId, command, { Status: status }, encodeDatasetForSending(match, transferSyntax));
    }
    const final = ctx.signal.aborted ? CANCEL : 0x0000;
    return await respond(association, contextId, command, { Status: final });
  } catch (error) {
    if (!association.isEstablished) return;
    return respond(association, contextId, command, statusFields(failureFor(error, UNABLE_TO_PROCESS)));
  }
}

/** A yielded status that is not Pending (0xFF00, 0xFF01): the handler's final answer. */
function isFinalAnswer(answer: FindAnswer): answer is { status: number; errorComment?: string } {
  const status = (answer as { status?: unknown }).status;
  return typeof status === 'number' && status !== PENDING && status !== PENDING_WARNING;
}

function isStatusAnswer(answer: FindAnswer): answer is { status: number; identifier: Record<string, unknown> } {
  return typeof (answer as { status?: unknown }).status === 'number' && typeof (answer as { identifier?: unknown }).identifier === 'object';
}
