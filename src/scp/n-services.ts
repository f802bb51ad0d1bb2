/**
 * DIMSE-N SCP (PS3.7 §10.1): decode the request's data set, ask the handler, answer with
 * status and data set. Responses carry Affected SOP Class/Instance UIDs (PS3.7 §10.3).
 */
import { decodeDataset, encodeDataset, loadCodec } from '../dataset/lazy';
import { commandName, MESSAGES } from '../dimse/messages';
import type { IncomingMessage } from '../dimse/reassemble';
import { CommandField, type Command } from '../dimse/types';
import { generateUid } from '../uids/generate';
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

/**
 * The requests whose response may carry the Attribute Identifier List (0000,1005): N-GET, N-SET
 * and N-CREATE, the services PS3.7 §10.1 gives its statuses to (C.4.2, C.5.13, C.5.17; netdicom's
 * SCPs also send it with 0x0121, C.5.14).
 */
const ATTRIBUTE_LIST_ANSWERS: ReadonlySet<number> = new Set(
  Object.keys(HANDLER)
    .map(Number)
    .filter((rq) => 'AttributeIdentifierList' in MESSAGES[commandName(rq | 0x8000)!].fields),
);

/** Processing failure (PS3.7 C.4.x). */
const PROCESSING_FAILURE = 0x0110;
/** Mistyped argument: the request's data set could not be decoded. */
const MISTYPED_ARGUMENT = 0x0212;

/** Serves one N-service request with the matching handler (0x0211 when there is none). */
export async function serveN(message: IncomingMessage, ctx: RequestContext, handlers: ScpHandlers): Promise<void> {
  const { command } = message;
  const handler = handlers[HANDLER[command.CommandField]!] as
    | ((r: NRequest, c: RequestContext) => NAnswer | Promise<NAnswer>)
    | undefined;
  if (!handler) return respond(ctx.association, ctx.contextId, command, { Status: 0x0211 });
  await loadCodec();
  let dataset = null;
  if (message.dataset) {
    try {
      // Same inflate cap as the buffered data set itself: a deflate bomb must not outgrow it (D-13).
      dataset = decodeDataset(message.dataset, ctx.transferSyntax, { maxInflatedLength: ctx.association.options.maxDatasetLength });
    } catch {
      return respond(ctx.association, ctx.contextId, command, { Status: MISTYPED_ARGUMENT });
    }
  }
  // N-CREATE without an instance UID: the SCP assigns one (PS3.7 §10.1.5.1.4); the handler sees it.
  const assigned =
    command.CommandField === CommandField['N-CREATE-RQ'] && !command.AffectedSOPInstanceUID ? generateUid() : undefined;
  const request: NRequest = {
    sopClassUid: command.AffectedSOPClassUID ?? command.RequestedSOPClassUID ?? '',
    sopInstanceUid: assigned ?? command.AffectedSOPInstanceUID ?? command.RequestedSOPInstanceUID ?? '',
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
  const attributeList = attributeIdentifierList(result, command.CommandField, ctx);
  const fields: Partial<Command> & { Status: number } = {
    Status: result.status,
    ...(result.errorComment !== undefined && { ErrorComment: result.errorComment.slice(0, 64) }),
    ...(result.errorId !== undefined && { ErrorID: result.errorId }),
    ...(result.offendingElement !== undefined && { OffendingElement: result.offendingElement }),
    ...(attributeList !== undefined && { AttributeIdentifierList: attributeList }),
    ...((result.sopInstanceUid ?? assigned) !== undefined && { AffectedSOPInstanceUID: result.sopInstanceUid ?? assigned }),
    ...(command.ActionTypeID !== undefined && { ActionTypeID: command.ActionTypeID }),
    ...(command.EventTypeID !== undefined && { EventTypeID: command.EventTypeID }),
  };
  // N-DELETE responses carry no data set (PS3.7 Table 10.3-12).
  const data = result.dataset && command.CommandField !== CommandField['N-DELETE-RQ'] ? encodeDataset(result.dataset, ctx.transferSyntax) : null;
  await respond(ctx.association, ctx.contextId, command, fields, data);
  if (result.afterResponse) {
    const logger = ctx.association.options.logger;
    void Promise.resolve()
      .then(result.afterResponse)
      .catch((error: unknown) => logger.error(`N-service follow-up failed: ${(error as Error)?.message ?? error}`));
  }
}

/** The answer's Attribute Identifier List when its response may carry one and it is not empty (AT is 1-n). */
function attributeIdentifierList(result: NAnswer, requestField: number, ctx: RequestContext): number[] | undefined {
  const tags = result.attributeIdentifierList;
  if (tags === undefined || tags.length === 0) return undefined;
  if (ATTRIBUTE_LIST_ANSWERS.has(requestField)) return tags;
  ctx.association.options.logger.warn(
    `${commandName(requestField | 0x8000)} carries no Attribute Identifier List (PS3.7 §10.3): the answer's is not sent`,
  );
  return undefined;
}
