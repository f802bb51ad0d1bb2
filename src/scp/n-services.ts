/**
 * DIMSE-N SCP (PS3.7 §10.1): decode the request's data set, ask the handler, answer with
 * status and data set. Responses carry Affected SOP Class/Instance UIDs (PS3.7 §10.3).
 */
import { decodeDataset, encodeDataset } from '../dataset/codec';
import type { IncomingMessage } from '../dimse/reassemble';
import { CommandField, type Command } from '../dimse/types';
import { respond } from './respond';
import type { NAnswer, NRequest, RequestContext, ScpHandlers } from './types';

const HANDLER: Record<number, keyof ScpHandlers> = {
  [CommandField['N-GET-RQ']]: 'nGet',
  [CommandField['N-SET-RQ']]: 'nSet',
  [CommandField['N-ACTION-RQ']]: 'nAction',
  [CommandField['N-CREATE-RQ']]: 'nCreate',
  [CommandField['N-DELETE-RQ']]: 'nDelete',
  [CommandField['N-EVENT-REPORT-RQ']]: 'nEventReport',
};

/** Processing failure (PS3.7 C.4.x). */
const PROCESSING_FAILURE = 0x0110;
/** Mistyped argument: the request's data set could not be decoded. */
const MISTYPED_ARGUMENT = 0x0212;

export async function serveN(message: IncomingMessage, ctx: RequestContext, handlers: ScpHandlers): Promise<void> {
  const { command } = message;
  const handler = handlers[HANDLER[command.CommandField]!] as
    | ((r: NRequest, c: RequestContext) => NAnswer | Promise<NAnswer>)
    | undefined;
  if (!handler) return respond(ctx.association, ctx.contextId, command, { Status: 0x0211 });
  let dataset = null;
  if (message.dataset) {
    try {
      dataset = decodeDataset(message.dataset, ctx.transferSyntax);
    } catch {
      return respond(ctx.association, ctx.contextId, command, { Status: MISTYPED_ARGUMENT });
    }
  }
  const request: NRequest = {
    sopClassUid: command.AffectedSOPClassUID ?? command.RequestedSOPClassUID ?? '',
    sopInstanceUid: command.AffectedSOPInstanceUID ?? command.RequestedSOPInstanceUID ?? '',
    attributes: command.AttributeIdentifierList ?? [],
    dataset,
    typeId: command.ActionTypeID ?? command.EventTypeID,
  };
  let result: NAnswer;
  try {
    result = await handler(request, ctx);
  } catch (error) {
    result = { status: PROCESSING_FAILURE, errorComment: String((error as Error).message).slice(0, 64) };
  }
  const fields: Partial<Command> & { Status: number } = {
    Status: result.status,
    ...(result.errorComment !== undefined && { ErrorComment: result.errorComment.slice(0, 64) }),
    ...(result.sopInstanceUid !== undefined && { AffectedSOPInstanceUID: result.sopInstanceUid }),
    ...(command.ActionTypeID !== undefined && { ActionTypeID: command.ActionTypeID }),
    ...(command.EventTypeID !== undefined && { EventTypeID: command.EventTypeID }),
  };
  const data = result.dataset ? encodeDataset(result.dataset, ctx.transferSyntax) : null;
  return respond(ctx.association, ctx.contextId, command, fields, data);
}
