/**
 * C-STORE SCU (PS3.7 §9.1.1, PS3.4 Annex B). Picks an accepted context for the instance's SOP
 * class whose transfer syntax the data is already in; never transcodes silently.
 */
import type { Association } from '../association';
import { decodeDataset, encodeDataset, loadCodec, readPart10 } from '../dataset/lazy';
import { evenDeflated } from '../dataset/even-length';
import { concatChunks, isRecycling, type DatasetBytes } from '../dimse/dataset-source';
import { CommandField } from '../dimse/types';
import { DimseError, NegotiationError } from '../errors';
import { isUncompressedTransferSyntax, TransferSyntax } from '../uids/transfer-syntax';
import { awaitResponse, priorityValue, sendRequest, toResponse } from './request';
import type { CallOptions, Dataset, DimseResponse } from './types';

const UNCOMPRESSED = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2']);

/**
 * Whether {@link StoreOptions.allowConversion} converts a data set in `uid`, and may convert one to
 * it: Implicit VR LE, Explicit VR LE and Explicit VR BE. Deflated Explicit VR LE and the
 * compressed syntaxes are not.
 */
export function isConvertibleSyntax(uid: string): boolean {
  return UNCOMPRESSED.has(uid);
}

/**
 * What to store: a dcmjs dataset (encoded in the negotiated transfer syntax), the bytes of a
 * DICOM Part 10 file, or an already-encoded data set (buffer or stream) with its identity.
 * A dataset's Pixel Data is taken as native (uncompressed): it goes on an uncompressed context
 * only. To send compressed frames, give them encoded (`encodeDataset(dataset, syntax)`) as `data`
 * with that `transferSyntaxUid`.
 */
export type StoreInput =
  | { readonly dataset: Dataset }
  | { readonly part10: Uint8Array }
  | {
      readonly sopClassUid: string;
      readonly sopInstanceUid: string;
      readonly transferSyntaxUid: string;
      readonly data: DatasetBytes;
    };

/**
 * Options of {@link Association.cStore} (C-STORE, PS3.7 §9.1.1): the common call options, whether
 * an uncompressed data set may be converted to another uncompressed transfer syntax, and the Move
 * Originator fields for a C-MOVE's sub-operations.
 */
export interface StoreOptions extends CallOptions {
  /**
   * Allow a lossless conversion between the uncompressed transfer syntaxes (Implicit VR LE,
   * Explicit VR LE, Explicit VR BE) when no accepted context for the SOP class is in the data
   * set's own syntax but one is in another of them. Compressed data, and Deflated Explicit VR LE,
   * are never converted (a NegotiationError, as without this option). A context in the data set's
   * own syntax is always taken first, a stream then sent as it is read. Only a conversion reads
   * a `data` stream into memory first, at most the association's `maxDatasetLength` bytes: a
   * larger one is cancelled and the call rejects with DimseError('DATASET_TOO_LARGE').
   */
  allowConversion?: boolean;
  /** For C-STORE sub-operations of a C-MOVE: (0000,1030) and (0000,1031). */
  moveOriginator?: { aeTitle: string; messageId: number };
}

/**
 * Sends one C-STORE-RQ on a context accepted for the instance's SOP class (see
 * {@link StoreOptions.allowConversion} for when it may be in another syntax) and resolves with the
 * response. Rejects with a NegotiationError, before sending anything, when no context fits.
 * C-STORE has no cancel (PS3.7 §9.3.1): an abort of `signal` while the data set is still being
 * sent aborts the association (a data set cannot be taken back part-way); once it is sent, the
 * call rejects and the association goes on, as for the other calls ({@link CallOptions.signal}).
 */
export async function cStore(association: Association, input: StoreInput, options: StoreOptions = {}): Promise<DimseResponse> {
  if (!('data' in input) || options.allowConversion) await loadCodec(); // already-encoded data needs no codec
  const prepared = prepare(association, input, options);
  // A promise only when a data stream must be read whole to be converted: the common case does not wait.
  const { contextId, sopClassUid, sopInstanceUid, data } = prepared instanceof Promise ? await prepared : prepared;
  const messageId = await sendRequest(
    association,
    contextId,
    {
      CommandField: CommandField['C-STORE-RQ'],
      AffectedSOPClassUID: sopClassUid,
      AffectedSOPInstanceUID: sopInstanceUid,
      Priority: priorityValue(options.priority),
      ...(options.moveOriginator && {
        MoveOriginatorApplicationEntityTitle: options.moveOriginator.aeTitle,
        MoveOriginatorMessageID: options.moveOriginator.messageId,
      }),
    },
    data,
    options.signal,
    options.timeoutMs,
  );
  return toResponse(await awaitResponse(association, messageId, options));
}

/** What {@link cStore} sends: the context, the identity and the data set bytes. */
interface Prepared {
  readonly contextId: number;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly data: DatasetBytes;
}

function prepare(association: Association, input: StoreInput, options: StoreOptions): Prepared | Promise<Prepared> {
  if ('dataset' in input) {
    const sopClassUid = String(input.dataset.SOPClassUID ?? '');
    const sopInstanceUid = String(input.dataset.SOPInstanceUID ?? '');
    const context = datasetContext(association, sopClassUid, sopInstanceUid, input.dataset.PixelData !== undefined);
    return { contextId: context.id, sopClassUid, sopInstanceUid, data: encodeDataset(input.dataset, context.transferSyntax) };
  }
  if ('part10' in input) {
    const file = readPart10(input.part10);
    return resolve(association, file.sopClassUid, file.sopInstanceUid, file.transferSyntaxUid, file.dataset, options);
  }
  return resolve(association, input.sopClassUid, input.sopInstanceUid, input.transferSyntaxUid, input.data, options);
}

/** Explicit VR LE, then Implicit VR LE (every SCP takes these), then the other uncompressed syntaxes; 3: encapsulated. */
const nativeRank = (ts: string) =>
  ts === TransferSyntax.ExplicitVRLittleEndian ? 0 : ts === TransferSyntax.ImplicitVRLittleEndian ? 1 : isUncompressedTransferSyntax(ts) ? 2 : 3;

/**
 * The context for a dataset input. Its Pixel Data holds native pixels (nothing says which
 * compressed syntax they could be in), so it needs an uncompressed context: the first accepted
 * one for the class may well be JPEG, and encoding there would label raw pixels as JPEG
 * fragments. Without Pixel Data an encapsulated syntax encodes it as Explicit VR LE, so any will do.
 */
function datasetContext(association: Association, sopClassUid: string, sopInstanceUid: string, hasPixelData: boolean) {
  const candidates = association.acceptedContexts
    .filter((c) => c.abstractSyntax === sopClassUid && association.mayActAs(c, 'scu'))
    .sort((a, b) => nativeRank(a.transferSyntax) - nativeRank(b.transferSyntax));
  const best = candidates[0];
  if (best && (nativeRank(best.transferSyntax) < 3 || !hasPixelData)) return best;
  if (!best) return association.findContext(sopClassUid); // throws its usual NegotiationError
  throw new NegotiationError(
    `cannot send ${sopInstanceUid}: its Pixel Data is native (uncompressed) and no uncompressed transfer syntax was accepted for ${sopClassUid}` +
      ` (accepted: ${candidates.map((c) => c.transferSyntax).join(', ')}); give compressed frames as encoded data with their transferSyntaxUid`,
  );
}

/**
 * The context for already-encoded bytes: one in their own syntax (sent as they are), else, with
 * `allowConversion` and both syntaxes uncompressed (Deflated Explicit VR LE is not: it stays
 * as it is), one in another uncompressed syntax, the data set re-encoded for it. A promise only
 * then, when `data` is a stream that must first be read whole.
 */
function resolve(
  association: Association,
  sopClassUid: string,
  sopInstanceUid: string,
  transferSyntaxUid: string,
  data: DatasetBytes,
  options: StoreOptions,
): Prepared | Promise<Prepared> {
  const candidates = association.acceptedContexts.filter(
    (c) => c.abstractSyntax === sopClassUid && association.mayActAs(c, 'scu'),
  );
  const exact = candidates.find((c) => c.transferSyntax === transferSyntaxUid);
  if (exact) return { contextId: exact.id, sopClassUid, sopInstanceUid, data: transferSyntaxUid === TransferSyntax.DeflatedExplicitVRLittleEndian ? evenDeflated(data) : data };
  const convertible = candidates.find((c) => UNCOMPRESSED.has(c.transferSyntax));
  if (options.allowConversion && convertible && UNCOMPRESSED.has(transferSyntaxUid)) {
    const convert = (bytes: Uint8Array): Prepared => ({
      contextId: convertible.id,
      sopClassUid,
      sopInstanceUid,
      data: encodeDataset(decodeDataset(bytes, transferSyntaxUid), convertible.transferSyntax),
    });
    if (data instanceof Uint8Array) return convert(data);
    return readWhole(data, association.options.maxDatasetLength, options.signal).then(convert);
  }
  const offered = candidates.map((c) => c.transferSyntax).join(', ') || 'none';
  throw new NegotiationError(
    `cannot send ${sopInstanceUid}: it is in ${transferSyntaxUid}, accepted transfer syntaxes for ${sopClassUid}: ${offered}`,
  );
}

/**
 * A data set stream read into one buffer to be converted, bounded like every data set held in
 * memory: past `limit` bytes (maxDatasetLength) the stream is cancelled (a file behind it closes)
 * and DimseError('DATASET_TOO_LARGE') thrown; an abort of `signal` cancels it too.
 */
async function readWhole(data: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>, limit: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
  const tooLarge = (n: number) => new DimseError('DATASET_TOO_LARGE', `cannot convert a data set of more than ${limit} bytes (maxDatasetLength): ${n} read`);
  // A source holding its whole data set in memory gives it at once (that counts as its one iteration).
  const whole = isRecycling(data) ? data.takeWhole?.() : undefined;
  if (whole) {
    if (whole.byteLength > limit) throw tooLarge(whole.byteLength);
    return whole;
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (typeof (data as ReadableStream<Uint8Array>).getReader === 'function') {
    // A reader of our own, so that the stream is cancelled, not merely unlocked, when we stop.
    const reader = (data as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      const stop = total > limit ? tooLarge(total) : signal?.aborted ? signal.reason : undefined;
      if (stop !== undefined) {
        await reader.cancel(stop).catch(() => undefined);
        throw stop;
      }
      chunks.push(value);
    }
    reader.releaseLock();
  } else {
    // Leaving the loop early calls the iterator's return(): a generator's finally closes its file.
    for await (const chunk of data as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > limit) throw tooLarge(total);
      signal?.throwIfAborted();
      chunks.push(chunk);
    }
  }
  return chunks.length === 0 ? new Uint8Array(0) : concatChunks(chunks, total);
}
