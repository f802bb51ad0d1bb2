/**
 * Building and sending responses (PS3.7 §9.3, §10.3): the response mirrors the request's
 * SOP class/instance and Message ID and carries the status fields the handler gave.
 */
import type { Association } from '../association';
import type { IncomingMessage } from '../dimse/reassemble';
import { responseFieldFor } from '../dimse/messages';
import { CommandField, type Command } from '../dimse/types';
import type { StatusResult } from './types';

/** Normalises a handler's StatusResult into response command fields. */
export function statusFields(result: StatusResult): Partial<Command> & { Status: number } {
  if (typeof result === 'number') return { Status: result };
  return {
    Status: result.status,
    ...(result.errorComment !== undefined && { ErrorComment: result.errorComment.slice(0, 64) }),
    ...(result.errorId !== undefined && { ErrorID: result.errorId }),
    ...(result.offendingElement !== undefined && { OffendingElement: result.offendingElement }),
  };
}

/** Sends the response to `request` with extra fields and an optional encoded data set. */
export function respond(
  association: Association,
  contextId: number,
  request: Command,
  fields: Partial<Command> & { Status: number },
  dataset: Uint8Array | null = null,
): Promise<void> {
  const command: Command = {
    CommandField: responseFieldFor(request.CommandField),
    MessageIDBeingRespondedTo: request.MessageID ?? 0,
    CommandDataSetType: 0x0101,
  };
  // Assignments, not object spreads: this runs once per operation, mostly before V8 optimises it.
  // N-service responses use Affected UIDs even when the request named Requested ones (PS3.7 §10.3).
  const sopClass = request.AffectedSOPClassUID ?? request.RequestedSOPClassUID;
  if (sopClass !== undefined) command.AffectedSOPClassUID = sopClass;
  const instance = request.AffectedSOPInstanceUID ?? request.RequestedSOPInstanceUID;
  if (instance !== undefined && (request.CommandField >= 0x0100 || request.CommandField === CommandField['C-STORE-RQ'])) {
    command.AffectedSOPInstanceUID = instance;
  }
  return association.dimse.sendMsg(Object.assign(command, fields), contextId, dataset);
}

/** A failure status for a handler that threw: processing failure / unable to process. */
export function failureFor(error: unknown, status = 0x0110): StatusResult {
  return { status, errorComment: String((error as Error)?.message ?? error).slice(0, 64) };
}

/** Cannot understand / unable to process (PS3.4 B.2.3, C.4.x): a DIMSE-C request lacking a mandatory element. */
const CANNOT_UNDERSTAND = 0xc000;
/** Mistyped argument (PS3.7 C.5): a C-ECHO or DIMSE-N request lacking a mandatory element. */
const MISTYPED_ARGUMENT = 0x0212;

/**
 * D-03: a request without a mandatory element gets a failure status, never reaches its handler,
 * and the association goes on. C-STORE/FIND/GET/MOVE: 0xC000, "cannot understand" / "unable to
 * process", the failure PS3.4 defines for each (B.2.3, C.4.1.1.4, C.4.2.1.5, C.4.3.1.4). C-ECHO
 * and DIMSE-N: 0x0212 mistyped argument, in the status lists of each (PS3.7 §9.1.5, §10.1; 0x0120
 * missing attribute is for the N-SET/N-CREATE data set, not a command element). Offending
 * Element names what is missing (PS3.7 C.5).
 */
export async function refuseIncomplete(association: Association, message: IncomingMessage, contextId: number, missing: readonly number[]): Promise<void> {
  const { command } = message;
  const field = command.CommandField;
  const Status = field === CommandField['C-ECHO-RQ'] || field >= 0x0100 ? MISTYPED_ARGUMENT : CANNOT_UNDERSTAND;
  const names = missing.map((tag) => `(0000,${tag.toString(16).padStart(4, '0').toUpperCase()})`).join(' ');
  association.options.logger.warn(`refusing request 0x${field.toString(16)} (Message ID ${command.MessageID}): no ${names}`);
  await message.datasetChunks?.cancel();
  await respond(association, contextId, command, { Status, OffendingElement: [...missing], ErrorComment: `missing ${names}`.slice(0, 64) });
}
