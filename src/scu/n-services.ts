/**
 * DIMSE-N SCU operations (PS3.7 §10.1): one request, one response, optional data sets.
 * Affected vs Requested SOP Class/Instance UIDs as PS3.7 Table 10.3-x require.
 */
import type { Association } from '../association';
import { decodeDataset, encodeDataset } from '../dataset/codec';
import { CommandField, type Command } from '../dimse/types';
import { awaitResponse, sendRequest, toResponse } from './request';
import type { CallOptions, Dataset, DimseResponse } from './types';

/** An N-service response: status plus the attribute list / reply data set when one came back. */
export interface NResult extends DimseResponse {
  readonly dataset: Dataset | null;
}

async function exchange(
  association: Association,
  sopClassUid: string,
  command: Omit<Command, 'MessageID' | 'CommandDataSetType'>,
  dataset: Dataset | null,
  options: CallOptions = {},
  as: 'scu' | 'scp' = 'scu',
): Promise<NResult> {
  // N-EVENT-REPORT is invoked by the performing side, so it goes on a context where we are SCP.
  const context = association.findContext(sopClassUid, { as });
  const data = dataset ? encodeDataset(dataset, context.transferSyntax) : null;
  const messageId = await sendRequest(association, context.id, command, data);
  const message = await awaitResponse(association, messageId, options);
  return { ...toResponse(message), dataset: message.dataset ? decodeDataset(message.dataset, context.transferSyntax) : null };
}

export function nGet(a: Association, cls: string, inst: string, attributes: number[] = [], o?: CallOptions) {
  return exchange(a, cls, {
    CommandField: CommandField['N-GET-RQ'],
    RequestedSOPClassUID: cls,
    RequestedSOPInstanceUID: inst,
    ...(attributes.length > 0 && { AttributeIdentifierList: attributes }),
  }, null, o);
}

export function nSet(a: Association, cls: string, inst: string, modifications: Dataset, o?: CallOptions) {
  return exchange(a, cls, { CommandField: CommandField['N-SET-RQ'], RequestedSOPClassUID: cls, RequestedSOPInstanceUID: inst }, modifications, o);
}

export function nAction(a: Association, cls: string, inst: string, actionTypeId: number, info: Dataset | null, o?: CallOptions) {
  return exchange(a, cls, {
    CommandField: CommandField['N-ACTION-RQ'],
    RequestedSOPClassUID: cls,
    RequestedSOPInstanceUID: inst,
    ActionTypeID: actionTypeId,
  }, info, o);
}

export function nCreate(a: Association, cls: string, inst: string | undefined, attributes: Dataset | null, o?: CallOptions) {
  return exchange(a, cls, {
    CommandField: CommandField['N-CREATE-RQ'],
    AffectedSOPClassUID: cls,
    ...(inst !== undefined && { AffectedSOPInstanceUID: inst }),
  }, attributes, o);
}

export function nDelete(a: Association, cls: string, inst: string, o?: CallOptions) {
  return exchange(a, cls, { CommandField: CommandField['N-DELETE-RQ'], RequestedSOPClassUID: cls, RequestedSOPInstanceUID: inst }, null, o);
}

export function nEventReport(a: Association, cls: string, inst: string, eventTypeId: number, info: Dataset | null, o?: CallOptions) {
  return exchange(a, cls, {
    CommandField: CommandField['N-EVENT-REPORT-RQ'],
    AffectedSOPClassUID: cls,
    AffectedSOPInstanceUID: inst,
    EventTypeID: eventTypeId,
  }, info, o, 'scp');
}

export type { DimseResponse };
