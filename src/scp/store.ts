/**
 * C-STORE SCP (PS3.4 Annex B): hands the data set to the handler as a stream, then answers.
 * The response goes only after the whole data set was received, whatever the handler read.
 */
import { loadCodec } from '../dataset/lazy';
import { DatasetChunks } from '../dimse/dataset-chunks';
import { concatOwned, concatReceived } from '../dimse/dataset-source';
import { missingElements, type IncomingMessage } from '../dimse/reassemble';
import type { Command } from '../dimse/types';
import type { Dataset } from '../scu/types';
import { failureFor, refuseIncomplete, respond, statusFields } from './respond';
import type { RequestContext, ScpHandlers, StatusResult, StoreChunks, StoreRequest } from './types';

/** Refused: SOP class not supported (PS3.4 B.2.3) — used when no store handler exists. */
const NO_HANDLER = 0x0122;
/** Out of resources (0xA700) — the data set was larger than the buffered limit. */
const OUT_OF_RESOURCES = 0xa700;

export async function serveStore(message: IncomingMessage, ctx: RequestContext, handlers: ScpHandlers): Promise<void> {
  const { command } = message;
  // D-03, here rather than in the dispatcher: a C-GET SCU's sub-operations come here directly. The
  // handler never sees a request without, say, an instance UID (PS3.7 Table 9.3-1).
  const missing = missingElements(command);
  if (missing.length > 0) return refuseIncomplete(ctx.association, message, ctx.contextId, missing);
  // The handler reads the reassembler's queue itself (no second hop per fragment); a web stream
  // over it is made only if the handler asks for `data`.
  const chunks = message.datasetChunks ?? DatasetChunks.of(message.dataset);
  const request = new IncomingStore(command, ctx, chunks);
  let result: StatusResult;
  if (message.datasetTooLarge) result = OUT_OF_RESOURCES;
  else if (!handlers.cStore) result = NO_HANDLER;
  else {
    try {
      result = await handlers.cStore(request, ctx);
    } catch (error) {
      result = failureFor(error, 0xa700);
    }
  }
  // The response follows the complete data set (PS3.7 §9.3.1.2): drop what the handler left unread, wait for the last fragment.
  if (message.datasetReceived) {
    message.discardDataset?.();
    try {
      await message.datasetReceived;
    } catch {
      return; // the association ended mid-data set: there is nobody to answer
    }
  }
  await respond(ctx.association, ctx.contextId, command, statusFields(result));
}

/**
 * The {@link StoreRequest} handed to a C-STORE handler. A class, not an object literal: a literal
 * with a getter and five closures per instance was a slow dictionary-mode object in V8 (see
 * OperationContext) and cost an allocation per closure for every instance received.
 */
class IncomingStore implements StoreRequest {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly priority: number;
  readonly transferSyntax: string;
  readonly moveOriginator?: { readonly aeTitle: string; readonly messageId: number };
  readonly #chunks: DatasetChunks;
  readonly #ctx: RequestContext;

  constructor(command: Command, ctx: RequestContext, chunks: DatasetChunks) {
    // serveStore made sure these are there (D-03).
    this.sopClassUid = command.AffectedSOPClassUID!;
    this.sopInstanceUid = command.AffectedSOPInstanceUID!;
    this.priority = command.Priority!;
    this.transferSyntax = ctx.transferSyntax;
    this.moveOriginator =
      command.MoveOriginatorApplicationEntityTitle !== undefined
        ? { aeTitle: command.MoveOriginatorApplicationEntityTitle, messageId: command.MoveOriginatorMessageID ?? 0 }
        : undefined;
    this.#chunks = chunks;
    this.#ctx = ctx;
  }

  get data(): ReadableStream<Uint8Array> {
    return this.#chunks.toStream();
  }

  chunks(options?: { lent?: boolean }): StoreChunks {
    if (options?.lent) this.#chunks.lend();
    return this.#chunks;
  }

  releaseChunk(chunk: Uint8Array): void {
    this.#chunks.release(chunk);
  }

  bytes(options?: { shared?: boolean }): Promise<Uint8Array> {
    return collect(this.#chunks, options?.shared === true);
  }

  /** A deflated data set inflates only up to maxDatasetLength, like every other held data set. */
  async dataset(): Promise<Dataset> {
    const ctx = this.#ctx;
    // Joined in place where it can be: decoding copies every value out, so nothing keeps the view.
    return (await loadCodec()).decodeDataset(await collect(this.#chunks, true), ctx.transferSyntax, { maxInflatedLength: ctx.association.options.maxDatasetLength });
  }
}

/**
 * The whole data set in one buffer: lent chunks are copied into it once, then go back; with
 * `shared`, fragments that arrived in one given-up buffer (a WebSocket message) are joined there
 * instead of copied (bytes/in-place.ts).
 */
async function collect(source: DatasetChunks, shared: boolean): Promise<Uint8Array> {
  source.lend();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of source) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  const release = source.lends ? (chunk: Uint8Array) => source.release(chunk) : undefined;
  return shared ? concatReceived(chunks, release, total) : concatOwned(chunks, release, total);
}
