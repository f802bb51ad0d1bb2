/**
 * The request/response exchange every SCU operation uses (PS3.7 §9.2, §10.2).
 */
import type { Association } from '../association';
import type { DatasetBytes } from '../dimse/dataset-source';
import type { IncomingMessage } from '../dimse/reassemble';
import { statusCategory } from '../dimse/status';
import { Priority, type Command } from '../dimse/types';
import type { CallOptions, DimseResponse } from './types';

/** Priority option to the (0000,0700) value. */
export function priorityValue(priority: CallOptions['priority']): number {
  return Priority[priority ?? 'medium'];
}

/** Sends a request on a context; returns its Message ID. */
export async function sendRequest(
  association: Association,
  contextId: number,
  command: Omit<Command, 'MessageID' | 'CommandDataSetType'>,
  dataset: DatasetBytes | null = null,
): Promise<number> {
  const messageId = association.nextMessageId();
  await association.dimse.sendMsg({ ...command, MessageID: messageId, CommandDataSetType: 0x0101 }, contextId, dataset);
  return messageId;
}

/** Waits for the response to `messageId` (DIMSE timeout → TimeoutError; association end → its error). */
export function awaitResponse(association: Association, messageId: number, options: CallOptions = {}): Promise<IncomingMessage> {
  return association.dimse.expectMsg({
    match: (m) => m.command.MessageIDBeingRespondedTo === messageId && (m.command.CommandField & 0x8000) !== 0,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  });
}

/** The response as a value. */
export function toResponse(message: IncomingMessage): DimseResponse {
  const status = message.command.Status ?? 0xc000;
  return { status, category: statusCategory(status), command: message.command };
}
