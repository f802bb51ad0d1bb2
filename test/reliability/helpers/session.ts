/**
 * Raw-byte association helpers for the scripted peer: associate with an RQ built by the encoder
 * (or RQ_OK), and DIMSE command bytes from the command-set encoder.
 */
import { encodeCommand } from '../../../src/dimse/command-set';
import { CommandField, type Command } from '../../../src/dimse/types';
import { encodePdu } from '../../../src/pdu/encode';
import type { AssociateRqPdu } from '../../../src/pdu/types';
import { CT, EXPLICIT, IMPLICIT, DEFLATED, RQ_OK, STUDY_FIND, VERIFICATION } from './scp';
import type { TcpPeer } from './tcp-peer';

/** PCIDs of RQ_FULL: 1 Verification, 3 Study FIND (implicit), 5 CT (implicit), 7 Study FIND (deflated), 9 unsupported. */
export const PC = { echo: 1, find: 3, ct: 5, findDeflated: 7, rejected: 9 } as const;

/** An A-ASSOCIATE-RQ proposing the contexts of {@link PC}. */
export function rqFull(overrides: Partial<AssociateRqPdu['userInformation']> = {}): Uint8Array {
  const rq: AssociateRqPdu = {
    type: 'A-ASSOCIATE-RQ',
    protocolVersion: 1,
    calledAeTitle: 'NETDICOM',
    callingAeTitle: 'FUZZER',
    applicationContextName: '1.2.840.10008.3.1.1.1',
    presentationContexts: [
      { id: PC.echo, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] },
      { id: PC.find, abstractSyntax: STUDY_FIND, transferSyntaxes: [IMPLICIT] },
      { id: PC.ct, abstractSyntax: CT, transferSyntaxes: [IMPLICIT] },
      { id: PC.findDeflated, abstractSyntax: STUDY_FIND, transferSyntaxes: [DEFLATED] },
      { id: PC.rejected, abstractSyntax: '1.2.3.4.5.6.7', transferSyntaxes: [IMPLICIT] },
    ],
    userInformation: { maxLength: 16384, implementationClassUid: '1.2.3.4', roleSelections: [], extendedNegotiations: [], commonExtendedNegotiations: [], ...overrides },
  } as AssociateRqPdu;
  return encodePdu(rq);
}

/** Sends an RQ (RQ_OK by default) and waits for the A-ASSOCIATE-AC. */
export async function associate(peer: TcpPeer, rq: Uint8Array = RQ_OK): Promise<Uint8Array> {
  peer.send(rq);
  return (await peer.expectPdu(0x02, undefined, 1000)).bytes;
}

/** Command set bytes (Implicit VR LE, group 0000 with its group length). */
export function command(fields: Command): Uint8Array {
  return encodeCommand(fields);
}

export const echoRq = (messageId = 1): Uint8Array =>
  command({ CommandField: CommandField['C-ECHO-RQ'], MessageID: messageId, AffectedSOPClassUID: VERIFICATION, CommandDataSetType: 0x0101 });

export const findRq = (messageId = 1): Uint8Array =>
  command({ CommandField: CommandField['C-FIND-RQ'], MessageID: messageId, AffectedSOPClassUID: STUDY_FIND, Priority: 0, CommandDataSetType: 0x0001 });

export const storeRq = (messageId = 1, uid = '1.2.3.4.5'): Uint8Array =>
  command({ CommandField: CommandField['C-STORE-RQ'], MessageID: messageId, AffectedSOPClassUID: CT, AffectedSOPInstanceUID: uid, Priority: 0, CommandDataSetType: 0x0001 });

export { EXPLICIT };
