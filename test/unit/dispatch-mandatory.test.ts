/**
 * Requests without a mandatory command element (reliability.md D-03; PS3.7 Tables 9.3-1..9.3-13
 * and 10.3-1..10.3-12), for every request the SCP serves, over a memory pair with a scripted
 * requestor. Pinned answers: no SOP class → 0x0122 (DIMSE-C) / 0x0118 (DIMSE-N), as before; any
 * other element missing → 0xC000 for C-STORE/FIND/GET/MOVE and 0x0212 for DIMSE-N, with Offending
 * Element naming it; no Message ID → A-ABORT (0,0), since no response could name the request. The
 * handler never sees such a request, and the association goes on. The same C-STORE check covers
 * the sub-operations arriving at our C-GET SCU, which do not pass the dispatcher.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import { decodeCommand, encodeCommand } from '../../src/dimse/command-set';
import { CommandField, type Command } from '../../src/dimse/types';
import type { AssociateAcPdu, AssociateRqPdu, Pdu } from '../../src/pdu/types';
import type { ScpHandlers } from '../../src/scp/types';
import { ScriptedPeer, toHex } from './helpers/scripted-peer';

const IMPLICIT = '1.2.840.10008.1.2';
const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const STUDY_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const STUDY_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const STUDY_GET = '1.2.840.10008.5.1.4.1.2.2.3';
/** Storage Commitment Push Model: any DIMSE-N request can name it (the dispatcher checks the class, not the service). */
const COMMITMENT = '1.2.840.10008.1.20.1';
const PCID = { [VERIFICATION]: 1, [CT]: 3, [STUDY_FIND]: 5, [STUDY_GET]: 7, [STUDY_MOVE]: 9, [COMMITMENT]: 11 } as Record<string, number>;

const MODALITY_CT = Uint8Array.from([0x08, 0, 0x60, 0, 2, 0, 0, 0, 0x43, 0x54]); // (0008,0060) "CT"
const STUDY_LEVEL = Uint8Array.from([0x08, 0, 0x52, 0, 6, 0, 0, 0, 0x53, 0x54, 0x55, 0x44, 0x59, 0x20]); // (0008,0052) "STUDY "
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const F = CommandField;

/** Every request with all its mandatory elements (PS3.7), its context and data set; the handler each reaches. */
const REQUESTS: Record<string, { command: Command; handler: keyof ScpHandlers; dataset?: Uint8Array }> = {
  'C-ECHO-RQ': { command: { CommandField: F['C-ECHO-RQ'], AffectedSOPClassUID: VERIFICATION, CommandDataSetType: 0x0101 }, handler: 'cEcho' },
  'C-STORE-RQ': {
    command: { CommandField: F['C-STORE-RQ'], AffectedSOPClassUID: CT, Priority: 0, AffectedSOPInstanceUID: '1.2.3.4', CommandDataSetType: 0 },
    handler: 'cStore',
    dataset: MODALITY_CT,
  },
  'C-FIND-RQ': { command: { CommandField: F['C-FIND-RQ'], AffectedSOPClassUID: STUDY_FIND, Priority: 0, CommandDataSetType: 0 }, handler: 'cFind', dataset: STUDY_LEVEL },
  'C-GET-RQ': { command: { CommandField: F['C-GET-RQ'], AffectedSOPClassUID: STUDY_GET, Priority: 0, CommandDataSetType: 0 }, handler: 'cGet', dataset: STUDY_LEVEL },
  'C-MOVE-RQ': {
    command: { CommandField: F['C-MOVE-RQ'], AffectedSOPClassUID: STUDY_MOVE, Priority: 0, MoveDestination: 'DEST', CommandDataSetType: 0 },
    handler: 'cMove',
    dataset: STUDY_LEVEL,
  },
  'N-GET-RQ': { command: { CommandField: F['N-GET-RQ'], RequestedSOPClassUID: COMMITMENT, RequestedSOPInstanceUID: '1.2.840.10008.1.20.1.1', CommandDataSetType: 0x0101 }, handler: 'nGet' },
  'N-SET-RQ': {
    command: { CommandField: F['N-SET-RQ'], RequestedSOPClassUID: COMMITMENT, RequestedSOPInstanceUID: '1.2.840.10008.1.20.1.1', CommandDataSetType: 0 },
    handler: 'nSet',
    dataset: MODALITY_CT,
  },
  'N-ACTION-RQ': {
    command: { CommandField: F['N-ACTION-RQ'], RequestedSOPClassUID: COMMITMENT, RequestedSOPInstanceUID: '1.2.840.10008.1.20.1.1', ActionTypeID: 1, CommandDataSetType: 0x0101 },
    handler: 'nAction',
  },
  'N-CREATE-RQ': { command: { CommandField: F['N-CREATE-RQ'], AffectedSOPClassUID: COMMITMENT, CommandDataSetType: 0x0101 }, handler: 'nCreate' },
  'N-DELETE-RQ': { command: { CommandField: F['N-DELETE-RQ'], RequestedSOPClassUID: COMMITMENT, RequestedSOPInstanceUID: '1.2.840.10008.1.20.1.1', CommandDataSetType: 0x0101 }, handler: 'nDelete' },
  'N-EVENT-REPORT-RQ': {
    command: { CommandField: F['N-EVENT-REPORT-RQ'], AffectedSOPClassUID: COMMITMENT, AffectedSOPInstanceUID: '1.2.840.10008.1.20.1.1', EventTypeID: 1, CommandDataSetType: 0x0101 },
    handler: 'nEventReport',
  },
};

/** [request, element left out, its tag, the status expected] — PS3.7's 'M' elements other than Message ID. */
const CASES: [string, keyof Command, number, number][] = [
  ['C-ECHO-RQ', 'AffectedSOPClassUID', 0x0002, 0x0122],
  ['C-STORE-RQ', 'AffectedSOPClassUID', 0x0002, 0x0122],
  ['C-STORE-RQ', 'Priority', 0x0700, 0xc000],
  ['C-STORE-RQ', 'AffectedSOPInstanceUID', 0x1000, 0xc000],
  ['C-FIND-RQ', 'AffectedSOPClassUID', 0x0002, 0x0122],
  ['C-FIND-RQ', 'Priority', 0x0700, 0xc000],
  ['C-GET-RQ', 'AffectedSOPClassUID', 0x0002, 0x0122],
  ['C-GET-RQ', 'Priority', 0x0700, 0xc000],
  ['C-MOVE-RQ', 'AffectedSOPClassUID', 0x0002, 0x0122],
  ['C-MOVE-RQ', 'Priority', 0x0700, 0xc000],
  ['C-MOVE-RQ', 'MoveDestination', 0x0600, 0xc000],
  ['N-GET-RQ', 'RequestedSOPClassUID', 0x0003, 0x0118],
  ['N-GET-RQ', 'RequestedSOPInstanceUID', 0x1001, 0x0212],
  ['N-SET-RQ', 'RequestedSOPClassUID', 0x0003, 0x0118],
  ['N-SET-RQ', 'RequestedSOPInstanceUID', 0x1001, 0x0212],
  ['N-ACTION-RQ', 'RequestedSOPClassUID', 0x0003, 0x0118],
  ['N-ACTION-RQ', 'RequestedSOPInstanceUID', 0x1001, 0x0212],
  ['N-ACTION-RQ', 'ActionTypeID', 0x1008, 0x0212],
  ['N-CREATE-RQ', 'AffectedSOPClassUID', 0x0002, 0x0118],
  ['N-DELETE-RQ', 'RequestedSOPClassUID', 0x0003, 0x0118],
  ['N-DELETE-RQ', 'RequestedSOPInstanceUID', 0x1001, 0x0212],
  ['N-EVENT-REPORT-RQ', 'AffectedSOPClassUID', 0x0002, 0x0118],
  ['N-EVENT-REPORT-RQ', 'AffectedSOPInstanceUID', 0x1000, 0x0212],
  ['N-EVENT-REPORT-RQ', 'EventTypeID', 0x1002, 0x0212],
];

/** Our SCP with every service, its handlers counting calls, and a scripted requestor associated with it. */
async function session(): Promise<{ peer: ScriptedPeer; calls: Partial<Record<keyof ScpHandlers, number>>; served: Promise<unknown> }> {
  const calls: Partial<Record<keyof ScpHandlers, number>> = {};
  const called = (name: keyof ScpHandlers) => void (calls[name] = (calls[name] ?? 0) + 1);
  const n = (name: keyof ScpHandlers) => () => (called(name), { status: 0 });
  const handlers: ScpHandlers = {
    cEcho: () => (called('cEcho'), 0),
    cStore: async (rq) => (called('cStore'), await rq.bytes(), 0),
    cFind: async function* () {
      called('cFind');
    },
    cGet: async function* () {
      called('cGet');
    },
    cMove: () => (called('cMove'), 0xa801),
    nGet: n('nGet'),
    nSet: n('nSet'),
    nAction: n('nAction'),
    nCreate: n('nCreate'),
    nDelete: n('nDelete'),
    nEventReport: n('nEventReport'),
  };
  const scp = new ApplicationEntity({ aeTitle: 'SCP' });
  for (const uid of Object.keys(PCID)) scp.addSupportedContext(uid, [IMPLICIT], uid === COMMITMENT ? { scuRole: true, scpRole: true } : {});
  const [client, server] = createMemoryPair();
  const served = scp.handle(server, handlers);
  const peer = new ScriptedPeer(client);
  const rq: AssociateRqPdu = {
    type: 'A-ASSOCIATE-RQ',
    protocolVersion: 1,
    calledAeTitle: 'SCP',
    callingAeTitle: 'SCU',
    applicationContextName: '1.2.840.10008.3.1.1.1',
    presentationContexts: Object.entries(PCID).map(([abstractSyntax, id]) => ({ id, abstractSyntax, transferSyntaxes: [IMPLICIT] })),
    // Both roles for Storage Commitment: the N-EVENT-REPORT goes from its SCP to its SCU (PS3.7 §10.1.1).
    userInformation: { maxLength: 16384, implementationClassUid: '1.2.3.4', roleSelections: [{ sopClassUid: COMMITMENT, scuRole: true, scpRole: true }] },
  } as AssociateRqPdu;
  peer.sendPdu(rq);
  const ac = await next(peer);
  expect(ac.type).toBe('A-ASSOCIATE-AC');
  expect((ac as AssociateAcPdu).presentationContexts.every((pc) => pc.result === 0)).toBe(true);
  return { peer, calls, served };
}

/** The next PDU the SCP sends (within 2 s). */
async function next(peer: ScriptedPeer): Promise<Pdu> {
  for (let i = 0; i < 400 && peer.pdus.length === 0; i++) await sleep(5);
  return peer.takeDecoded();
}

/** Sends `command` (and `dataset`) on the context of its SOP class. */
function send(peer: ScriptedPeer, name: string, command: Command, dataset?: Uint8Array): void {
  const contextId = PCID[REQUESTS[name]!.command.AffectedSOPClassUID ?? REQUESTS[name]!.command.RequestedSOPClassUID!]!;
  const pdvs = [{ contextId, isCommand: true, isLast: true, data: encodeCommand(command) }];
  if (dataset) pdvs.push({ contextId, isCommand: false, isLast: true, data: dataset });
  peer.sendPdu({ type: 'P-DATA-TF', pdvs });
}

/** The command of the next response, skipping Pending ones. */
async function finalResponse(peer: ScriptedPeer): Promise<Command> {
  for (;;) {
    const pdu = await next(peer);
    if (pdu.type !== 'P-DATA-TF') throw new Error(`expected a response, got ${pdu.type}`);
    const command = decodeCommand(pdu.pdvs.find((p) => p.isCommand)!.data);
    if (command.Status !== 0xff00 && command.Status !== 0xff01) return command;
  }
}

describe('D-03: a request without a mandatory element never reaches its handler', () => {
  it('each request with all its mandatory elements reaches its handler (the cases below differ from these by one element)', async () => {
    const { peer, calls } = await session();
    let messageId = 1;
    for (const [name, { command, handler, dataset }] of Object.entries(REQUESTS)) {
      send(peer, name, { ...command, MessageID: messageId }, dataset);
      expect(await finalResponse(peer), name).toMatchObject({ CommandField: command.CommandField | 0x8000, MessageIDBeingRespondedTo: messageId++ });
      expect(calls[handler], name).toBe(1);
    }
    peer.rst();
  });

  it.each(CASES)('%s without %s → status, Offending Element, handler not called, association goes on', async (name, key, tag, status) => {
    const { peer, calls } = await session();
    const { command, handler, dataset } = REQUESTS[name]!;
    send(peer, name, { ...command, MessageID: 7, [key]: undefined }, dataset);
    const rsp = await finalResponse(peer);
    expect(rsp).toMatchObject({ CommandField: command.CommandField | 0x8000, MessageIDBeingRespondedTo: 7, Status: status });
    // The class checks answer as before; the new ones name the element (PS3.7 C.5 Offending Element).
    if (status === 0xc000 || status === 0x0212) expect(rsp.OffendingElement).toEqual([tag]);
    expect(calls[handler]).toBeUndefined();
    // The association goes on: the same request, whole, is served.
    send(peer, name, { ...command, MessageID: 8 }, dataset);
    expect(await finalResponse(peer)).toMatchObject({ MessageIDBeingRespondedTo: 8 });
    expect(calls[handler]).toBe(1);
    peer.rst();
  });

  it.each(Object.keys(REQUESTS))('%s without Message ID (0000,0110) → A-ABORT (0,0), handler not called', async (name) => {
    const { peer, calls, served } = await session();
    const { command, handler, dataset } = REQUESTS[name]!;
    send(peer, name, command, dataset);
    for (let i = 0; i < 400 && peer.pdus.length === 0; i++) await sleep(5);
    expect(toHex(peer.take()!.bytes)).toBe('07 00 00 00 00 04 00 00 00 00');
    peer.end();
    await served;
    expect(calls[handler]).toBeUndefined();
  });
});

describe('D-03 at our C-GET SCU: the sub-operations reach serveStore without the dispatcher', () => {
  it('a C-STORE sub-operation without Affected SOP Instance UID → 0xC000 naming (0000,1000); onStore is not called, the C-GET completes', async () => {
    const [client, server] = createMemoryPair();
    const scp = new ScriptedPeer(server);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_GET, [IMPLICIT]).addRequestedContext(CT, [IMPLICIT], { scpRole: true });
    const associating = scu.associate(client, { calledAeTitle: 'SCP' });
    const rq = (await next(scp)) as AssociateRqPdu;
    const [get, store] = rq.presentationContexts;
    scp.sendPdu({
      type: 'A-ASSOCIATE-AC',
      protocolVersion: 1,
      calledAeTitle: rq.calledAeTitle,
      callingAeTitle: rq.callingAeTitle,
      applicationContextName: rq.applicationContextName,
      presentationContexts: rq.presentationContexts.map((pc) => ({ id: pc.id, result: 0, transferSyntax: IMPLICIT })),
      userInformation: { maxLength: 16384, implementationClassUid: '1.2.3.4', roleSelections: rq.userInformation.roleSelections },
    } as AssociateAcPdu);
    const assoc = await associating;
    const stored: string[] = [];
    const progress = (async () => {
      const answers = [];
      for await (const p of assoc.cGet({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2' }, { model: 'study', onStore: (r) => (stored.push(r.sopInstanceUid), 0) })) answers.push(p);
      return answers;
    })();
    const getRq = await next(scp);
    const getCommand = decodeCommand((getRq as Extract<Pdu, { type: 'P-DATA-TF' }>).pdvs[0]!.data);
    const storeCommand: Command = { CommandField: F['C-STORE-RQ'], MessageID: 77, AffectedSOPClassUID: CT, Priority: 0, CommandDataSetType: 0 };
    scp.sendPdu({
      type: 'P-DATA-TF',
      pdvs: [
        { contextId: store!.id, isCommand: true, isLast: true, data: encodeCommand(storeCommand) },
        { contextId: store!.id, isCommand: false, isLast: true, data: MODALITY_CT },
      ],
    });
    expect(await finalResponse(scp)).toMatchObject({ CommandField: F['C-STORE-RSP'], MessageIDBeingRespondedTo: 77, Status: 0xc000, OffendingElement: [0x1000] });
    expect(stored).toEqual([]);
    const done: Command = {
      CommandField: F['C-GET-RSP'],
      MessageIDBeingRespondedTo: getCommand.MessageID!,
      AffectedSOPClassUID: STUDY_GET,
      Status: 0xb000,
      NumberOfCompletedSuboperations: 0,
      NumberOfFailedSuboperations: 1,
      NumberOfWarningSuboperations: 0,
      CommandDataSetType: 0x0101,
    };
    scp.sendPdu({ type: 'P-DATA-TF', pdvs: [{ contextId: get!.id, isCommand: true, isLast: true, data: encodeCommand(done) }] });
    expect((await progress).at(-1)).toMatchObject({ status: 0xb000, failed: 1 });
    const aborted = assoc.abort();
    scp.end(); // closes our side at once, rather than at the abort linger
    await aborted;
  });
});
