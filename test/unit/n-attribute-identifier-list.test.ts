/**
 * Attribute Identifier List (0000,1005) in DIMSE-N responses: the tags of a 0x0105 (PS3.7 C.5.17),
 * 0x0107 (C.4.2), 0x0120 (C.5.13) or 0x0121 (C.5.14) status, statuses PS3.7 §10.1 gives to
 * N-GET, N-SET and N-CREATE only. Which messages may carry it, what an SCP handler's answer puts
 * in the response, and the bytes of the element on the wire (Implicit VR Little Endian, AT 1-n).
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import { decodeCommand } from '../../src/dimse/command-set';
import { MESSAGES, validateCommand } from '../../src/dimse/messages';
import { CommandField, NO_DATASET, type CommandName } from '../../src/dimse/types';
import type { Logger } from '../../src/logger';
import { recordTransport, type Trace } from '../../src/record';
import type { ScpHandlers } from '../../src/scp/types';

const MPPS = '1.2.840.10008.3.1.2.3.3';
const PATIENT_NAME = 0x00100010;
const PATIENT_ID = 0x00100020;

/** The command sets of the P-DATA-TF PDUs a recorded side received (PS3.8 §9.3.5, E.2), fragments joined. */
function receivedCommandSets(trace: Trace): Uint8Array[] {
  const commands: Uint8Array[] = [];
  let pending: number[] = [];
  for (const entry of trace.entries) {
    if (entry.dir !== 'received' || entry.type !== 0x04) continue;
    const pdu = Uint8Array.from(entry.hex.match(/../g)!.map((h) => parseInt(h, 16)));
    const view = new DataView(pdu.buffer);
    for (let at = 6; at < pdu.length; ) {
      const itemLength = view.getUint32(at);
      const control = pdu[at + 5]!;
      const fragment = pdu.subarray(at + 6, at + 4 + itemLength);
      if (control & 0x01) {
        pending.push(...fragment);
        if (control & 0x02) {
          commands.push(Uint8Array.from(pending));
          pending = [];
        }
      }
      at += 4 + itemLength;
    }
  }
  return commands;
}

/** The raw (0000,eeee) element of an encoded command set: tag, 32-bit length and value, as bytes. */
function rawElement(command: Uint8Array, element: number): Uint8Array | undefined {
  const view = new DataView(command.buffer, command.byteOffset, command.byteLength);
  for (let at = 0; at + 8 <= command.length; ) {
    const length = view.getUint32(at + 4, true);
    if (view.getUint16(at, true) === 0x0000 && view.getUint16(at + 2, true) === element) return command.subarray(at, at + 8 + length);
    at += 8 + length;
  }
  return undefined;
}

describe('Attribute Identifier List in DIMSE-N responses (PS3.7 C.4.2, C.5.13, C.5.14, C.5.17)', () => {
  it('validateCommand accepts it in N-GET-RSP, N-SET-RSP and N-CREATE-RSP, and in no other response', () => {
    const carrying = (Object.keys(MESSAGES) as CommandName[]).filter((name) => 'AttributeIdentifierList' in MESSAGES[name].fields);
    expect(carrying.sort()).toEqual(['N-CREATE-RSP', 'N-GET-RQ', 'N-GET-RSP', 'N-SET-RSP']);
    const response = (name: CommandName, status: number) => ({
      CommandField: CommandField[name],
      MessageIDBeingRespondedTo: 1,
      CommandDataSetType: NO_DATASET,
      Status: status,
      AttributeIdentifierList: [PATIENT_NAME, PATIENT_ID],
    });
    expect(validateCommand(response('N-CREATE-RSP', 0x0120))).toEqual([]);
    expect(validateCommand(response('N-CREATE-RSP', 0x0121))).toEqual([]);
    expect(validateCommand(response('N-SET-RSP', 0x0105))).toEqual([]);
    expect(validateCommand(response('N-GET-RSP', 0x0107))).toEqual([]);
    for (const name of ['N-ACTION-RSP', 'N-DELETE-RSP', 'N-EVENT-REPORT-RSP', 'C-STORE-RSP', 'C-FIND-RSP'] as const) {
      expect(validateCommand(response(name, 0x0110))).toEqual([`${name}: AttributeIdentifierList is not defined for this message`]);
    }
  });

  it('an N-CREATE / N-SET / N-GET answer puts it in the response, encoded AT 1-n; not in N-ACTION or N-DELETE responses, nor when empty', async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (m) => void warnings.push(m), error() {} };
    const handlers: ScpHandlers = {
      nCreate: () => ({ status: 0x0120, attributeIdentifierList: [PATIENT_NAME, PATIENT_ID], errorComment: 'N-CREATE needs (0010,0010)' }),
      nSet: () => ({ status: 0x0121, attributeIdentifierList: [PATIENT_ID] }),
      nGet: (r) => ({ status: 0x0107, attributeIdentifierList: r.attributes, dataset: { PatientID: 'P1' } }),
      nAction: () => ({ status: 0x0110, attributeIdentifierList: [PATIENT_ID] }),
      nDelete: () => ({ status: 0x0000, attributeIdentifierList: [] }),
    };
    const [a, b] = createMemoryPair();
    const served = new ApplicationEntity({ aeTitle: 'SCP', logger }).addSupportedContext(MPPS).handle(b, handlers);
    const recorded = recordTransport(a);
    const scu = await new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(MPPS).associate(recorded.transport, { calledAeTitle: 'SCP' });
    const created = await scu.nCreate(MPPS, '1.2.3', { PatientID: '' });
    const set = await scu.nSet(MPPS, '1.2.3', { PatientID: '' });
    const got = await scu.nGet(MPPS, '1.2.3', [0x00191234]);
    const action = await scu.nAction(MPPS, '1.2.3', 1, null);
    const deleted = await scu.nDelete(MPPS, '1.2.3');
    await scu.release();
    await served;

    // The SCU sees it in the decoded response command (every response's command is exposed).
    expect([created.status, created.command.AttributeIdentifierList, created.command.ErrorComment]).toEqual([0x0120, [PATIENT_NAME, PATIENT_ID], 'N-CREATE needs (0010,0010)']);
    expect(created.command.OffendingElement).toBeUndefined();
    expect([set.status, set.command.AttributeIdentifierList]).toEqual([0x0121, [PATIENT_ID]]);
    expect([got.status, got.command.AttributeIdentifierList, got.dataset?.PatientID]).toEqual([0x0107, [0x00191234], 'P1']);
    expect([action.status, action.command.AttributeIdentifierList]).toEqual([0x0110, undefined]);
    expect([deleted.status, deleted.command.AttributeIdentifierList]).toEqual([0, undefined]);
    expect(warnings).toEqual(['N-ACTION-RSP carries no Attribute Identifier List (PS3.7 §10.3): the answer\'s is not sent']);

    // The bytes on the wire: (0000,1005), length 8, then each tag as group and element, little endian.
    const commands = receivedCommandSets(recorded.trace());
    expect(commands).toHaveLength(5);
    const byField = new Map(commands.map((c) => [decodeCommand(c).CommandField, c]));
    expect(Array.from(rawElement(byField.get(CommandField['N-CREATE-RSP'])!, 0x1005)!)).toEqual([
      0x00, 0x00, 0x05, 0x10, 0x08, 0x00, 0x00, 0x00, 0x10, 0x00, 0x10, 0x00, 0x10, 0x00, 0x20, 0x00,
    ]);
    expect(rawElement(byField.get(CommandField['N-CREATE-RSP'])!, 0x0901)).toBeUndefined();
    expect(Array.from(rawElement(byField.get(CommandField['N-SET-RSP'])!, 0x1005)!)).toEqual([0x00, 0x00, 0x05, 0x10, 0x04, 0x00, 0x00, 0x00, 0x10, 0x00, 0x20, 0x00]);
    expect(Array.from(rawElement(byField.get(CommandField['N-GET-RSP'])!, 0x1005)!)).toEqual([0x00, 0x00, 0x05, 0x10, 0x04, 0x00, 0x00, 0x00, 0x19, 0x00, 0x34, 0x12]);
    expect(rawElement(byField.get(CommandField['N-ACTION-RSP'])!, 0x1005)).toBeUndefined();
    expect(rawElement(byField.get(CommandField['N-DELETE-RSP'])!, 0x1005)).toBeUndefined();
    // Every response is still a well-formed message of its kind.
    expect(commands.flatMap((c) => validateCommand(decodeCommand(c)))).toEqual([]);
  });
});
