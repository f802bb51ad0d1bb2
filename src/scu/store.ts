/**
 * C-STORE SCU (PS3.7 §9.1.1, PS3.4 Annex B). Picks an accepted context for the instance's SOP
 * class whose transfer syntax the data is already in; never transcodes silently.
 */
import type { Association } from '../association';
import { decodeDataset, encodeDataset, loadCodec, readPart10 } from '../dataset/lazy';
import { evenDeflated } from '../dataset/even-length';
import type { DatasetBytes } from '../dimse/dataset-source';
import { CommandField } from '../dimse/types';
import { NegotiationError } from '../errors';
import { TransferSyntax } from '../uids/transfer-syntax';
import { awaitResponse, priorityValue, sendRequest, toResponse } from './request';
import type { CallOptions, Dataset, DimseResponse } from './types';

const UNCOMPRESSED = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2']);

/**
 * What to store: a dcmjs dataset (encoded in the negotiated transfer syntax), the bytes of a
 * DICOM Part 10 file, or an already-encoded data set (buffer or stream) with its identity.
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
  /** Allow a lossless conversion between uncompressed transfer syntaxes when no context matches. */
  allowConversion?: boolean;
  /** For C-STORE sub-operations of a C-MOVE: (0000,1030) and (0000,1031). */
  moveOriginator?: { aeTitle: string; messageId: number };
}

export async function cStore(association: Association, input: StoreInput, options: StoreOptions = {}): Promise<DimseResponse> {
  if (!('data' in input) || options.allowConversion) await loadCodec(); // already-encoded data needs no codec
  const { contextId, sopClassUid, sopInstanceUid, data } = prepare(association, input, options);
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
  );
  try {
    return toResponse(await awaitResponse(association, messageId, options));
  } catch (error) {
    // C-STORE has no cancel: a caller who gives up must abort the association (PS3.7 §9.3.1).
    if (options.signal?.aborted) await association.abort();
    throw error;
  }
}

function prepare(association: Association, input: StoreInput, options: StoreOptions) {
  if ('dataset' in input) {
    const sopClassUid = String(input.dataset.SOPClassUID ?? '');
    const sopInstanceUid = String(input.dataset.SOPInstanceUID ?? '');
    const context = association.findContext(sopClassUid);
    return { contextId: context.id, sopClassUid, sopInstanceUid, data: encodeDataset(input.dataset, context.transferSyntax) };
  }
  if ('part10' in input) {
    const file = readPart10(input.part10);
    return resolve(association, file.sopClassUid, file.sopInstanceUid, file.transferSyntaxUid, file.dataset, options);
  }
  return resolve(association, input.sopClassUid, input.sopInstanceUid, input.transferSyntaxUid, input.data, options);
}

function resolve(
  association: Association,
  sopClassUid: string,
  sopInstanceUid: string,
  transferSyntaxUid: string,
  data: DatasetBytes,
  options: StoreOptions,
) {
  const candidates = association.acceptedContexts.filter(
    (c) => c.abstractSyntax === sopClassUid && association.mayActAs(c, 'scu'),
  );
  const exact = candidates.find((c) => c.transferSyntax === transferSyntaxUid);
  if (exact) return { contextId: exact.id, sopClassUid, sopInstanceUid, data: transferSyntaxUid === TransferSyntax.DeflatedExplicitVRLittleEndian ? evenDeflated(data) : data };
  const convertible = candidates.find((c) => UNCOMPRESSED.has(c.transferSyntax));
  if (options.allowConversion && convertible && UNCOMPRESSED.has(transferSyntaxUid) && data instanceof Uint8Array) {
    const converted = encodeDataset(decodeDataset(data, transferSyntaxUid), convertible.transferSyntax);
    return { contextId: convertible.id, sopClassUid, sopInstanceUid, data: converted };
  }
  const offered = candidates.map((c) => c.transferSyntax).join(', ') || 'none';
  throw new NegotiationError(
    `cannot send ${sopInstanceUid}: it is in ${transferSyntaxUid}, accepted transfer syntaxes for ${sopClassUid}: ${offered}`,
  );
}
