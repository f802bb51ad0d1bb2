/**
 * Building and sending responses (PS3.7 §9.3, §10.3): the response mirrors the request's
 * SOP class/instance and Message ID and carries the status fields the handler gave.
 */
import type { Association } from '../association';
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
