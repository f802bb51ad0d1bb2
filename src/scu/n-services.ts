/**
 * DIMSE-N SCU operations (PS3.7 §10.1): one request, one response, optional data sets.
 * Affected vs Requested SOP Class/Instance UIDs as PS3.7 Table 10.3-x require.
 */
import type { Association } from '../association';
import { decodeDataset, encodeDataset, loadCodec } from '../dataset/lazy';
import { CommandField, type Command } from '../dimse/types';
import { awaitResponse, sendRequest, toResponse } from './request';
import type { CallOptions, Dataset, DimseResponse } from './types';

/** An N-service response: status plus the attribute list / reply data set when one came back. */
export interface NResult extends DimseResponse {
  readonly dataset: Dataset | null;
  /** Affected SOP Instance UID of the response: for N-CREATE, the UID the SCP assigned (PS3.7 §10.1.5.1.4). */
  readonly sopInstanceUid?: string;
}

/** Options of the N-service calls. */
export interface NCallOptions extends CallOptions {
  /**
   * The abstract syntax of the presentation context to send on when it is not the SOP class
   * itself: a meta SOP class, e.g. Basic Grayscale Print Management Meta for Film Session
   * requests (PS3.4 H.3, PS3.7 §10.3: the command names the component SOP class).
   */
  context?: string;
}

async function exchange(
  association: Association,
  sopClassUid: string,
  command: Omit<Command, 'MessageID' | 'CommandDataSetType'>,
  dataset: Dataset | null,
  options: NCallOptions = {},
  as: 'scu' | 'scp' = 'scu',
): Promise<NResult> {
  // N-EVENT-REPORT is invoked by the performing side, so it goes on a context where we are SCP.
  const context = association.findContext(options.context ?? sopClassUid, { as });
  await loadCodec();
  const data = dataset ? encodeDataset(dataset, context.transferSyntax) : null;
  const messageId = await sendRequest(association, context.id, command, data, options.signal, options.timeoutMs);
  const message = await awaitResponse(association, messageId, options);
  return {
    ...toResponse(message),
    dataset: message.dataset ? decodeDataset(message.dataset, context.transferSyntax) : null,
    ...(message.command.AffectedSOPInstanceUID !== undefined && { sopInstanceUid: message.command.AffectedSOPInstanceUID }),
  };
}

/** N-GET (PS3.7 §10.1.2, Table 10.3-2): Requested SOP Class/Instance UIDs and an optional Attribute Identifier List (empty: all attributes). */
export function nGet(a: Association, cls: string, inst: string, attributes: number[] = [], o?: NCallOptions) {
  return exchange(a, cls, {
    CommandField: CommandField['N-GET-RQ'],
    RequestedSOPClassUID: cls,
    RequestedSOPInstanceUID: inst,
    ...(attributes.length > 0 && { AttributeIdentifierList: attributes }),
  }, null, o);
}

/** N-SET (PS3.7 §10.1.3, Table 10.3-3): the Modification List is mandatory. */
export function nSet(a: Association, cls: string, inst: string, modifications: Dataset, o?: NCallOptions) {
  return exchange(a, cls, { CommandField: CommandField['N-SET-RQ'], RequestedSOPClassUID: cls, RequestedSOPInstanceUID: inst }, modifications, o);
}

/** N-ACTION (PS3.7 §10.1.4, Table 10.3-4): Action Type ID plus optional Action Information. */
export function nAction(a: Association, cls: string, inst: string, actionTypeId: number, info: Dataset | null, o?: NCallOptions) {
  return exchange(a, cls, {
    CommandField: CommandField['N-ACTION-RQ'],
    RequestedSOPClassUID: cls,
    RequestedSOPInstanceUID: inst,
    ActionTypeID: actionTypeId,
  }, info, o);
}

/** N-CREATE (PS3.7 §10.1.5, Table 10.3-5): Affected UIDs; without an instance UID the SCP assigns one (see `sopInstanceUid`). */
export function nCreate(a: Association, cls: string, inst: string | undefined, attributes: Dataset | null, o?: NCallOptions) {
  return exchange(a, cls, {
    CommandField: CommandField['N-CREATE-RQ'],
    AffectedSOPClassUID: cls,
    ...(inst !== undefined && { AffectedSOPInstanceUID: inst }),
  }, attributes, o);
}

/** N-DELETE (PS3.7 §10.1.6, Table 10.3-6). */
export function nDelete(a: Association, cls: string, inst: string, o?: NCallOptions) {
  return exchange(a, cls, { CommandField: CommandField['N-DELETE-RQ'], RequestedSOPClassUID: cls, RequestedSOPInstanceUID: inst }, null, o);
}

/** N-EVENT-REPORT (PS3.7 §10.1.1, Table 10.3-1): sent by the performing side on a context where it acts as SCP. */
export function nEventReport(a: Association, cls: string, inst: string, eventTypeId: number, info: Dataset | null, o?: NCallOptions) {
  return exchange(a, cls, {
    CommandField: CommandField['N-EVENT-REPORT-RQ'],
    AffectedSOPClassUID: cls,
    AffectedSOPInstanceUID: inst,
    EventTypeID: eventTypeId,
  }, info, o, 'scp');
}

export type { DimseResponse };
