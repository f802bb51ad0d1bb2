/**
 * Telemetry: AeOptions.observe receives association, DIMSE and PDU events with durations,
 * statuses, bytes and latencies; nothing is installed without an observer.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { AssociationRejectedError } from '../../src/errors';
import type { AssociateRqPdu } from '../../src/pdu/types';
import type { NetEvent } from '../../src/telemetry';
import { ScriptedPeer } from './helpers/scripted-peer';

const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup(handlers = {}, policy = {}) {
  const scuEvents: NetEvent[] = [];
  const scpEvents: NetEvent[] = [];
  const [a, b] = createMemoryPair();
  const scp = new ApplicationEntity({ aeTitle: 'SCP', observe: (e) => scpEvents.push(e) }).addSupportedContext(VERIFICATION).addSupportedContext(CT, [EXPLICIT]);
  const served = scp.handle(b, handlers, policy);
  const scu = new ApplicationEntity({ aeTitle: 'SCU', observe: (e) => scuEvents.push(e) }).addRequestedContext(VERIFICATION).addRequestedContext(CT, [EXPLICIT]);
  return { scuEvents, scpEvents, served, associate: () => scu.associate(a, { calledAeTitle: 'SCP' }) };
}

const of = <T extends NetEvent['type']>(events: NetEvent[], type: T) => events.filter((e): e is NetEvent & { type: T } => e.type === type);

describe('telemetry events', () => {
  it('association lifecycle, DIMSE request/response with status, bytes and latency, PDU counts', async () => {
    const t = setup({ cEcho: async () => (await sleep(15), 0), cStore: async (req: { bytes(): Promise<Uint8Array> }) => (await req.bytes(), 0xb000) });
    const assoc: Association = await t.associate();
    await assoc.cEcho();
    const data = new Uint8Array(1000);
    await assoc.cStore({ sopClassUid: CT, sopInstanceUid: '1.2.3', transferSyntaxUid: EXPLICIT, data });
    await assoc.release();
    await t.served;

    const types = t.scuEvents.filter((e) => e.type !== 'pdu').map((e) => e.type);
    expect(types).toEqual([
      'association-requested',
      'association-accepted',
      'dimse-request',
      'dimse-response',
      'dimse-request',
      'dimse-response',
      'association-released',
    ]);
    for (const e of t.scuEvents) expect(e).toMatchObject({ associationId: assoc.id, side: 'requestor' });
    expect(of(t.scuEvents, 'association-accepted')[0]).toMatchObject({ callingAeTitle: 'SCU', calledAeTitle: 'SCP', acceptedContexts: 2, proposedContexts: 2 });
    const [echoRq, storeRq] = of(t.scuEvents, 'dimse-request');
    expect(echoRq).toMatchObject({ direction: 'sent', service: 'C-ECHO', messageId: 1, sopClassUid: VERIFICATION });
    expect(storeRq).toMatchObject({ direction: 'sent', service: 'C-STORE', messageId: 2, bytes: 1000 });
    const [echoRsp, storeRsp] = of(t.scuEvents, 'dimse-response');
    expect(echoRsp).toMatchObject({ direction: 'received', service: 'C-ECHO', messageId: 1, status: 0, category: 'Success' });
    expect(echoRsp!.latencyMs).toBeGreaterThanOrEqual(14);
    expect(storeRsp).toMatchObject({ service: 'C-STORE', status: 0xb000, category: 'Warning' });
    expect(of(t.scuEvents, 'association-released')[0]!.durationMs).toBeGreaterThanOrEqual(15);

    // The SCP sees the mirror image: requests received, responses sent, with its handling time.
    const scpRsp = of(t.scpEvents, 'dimse-response');
    expect(scpRsp.map((e) => [e.direction, e.service])).toEqual([['sent', 'C-ECHO'], ['sent', 'C-STORE']]);
    expect(scpRsp[0]!.latencyMs).toBeGreaterThanOrEqual(14);
    expect(of(t.scpEvents, 'association-requested')[0]).toMatchObject({ side: 'acceptor', callingAeTitle: 'SCU', proposedContexts: 2 });
    expect(of(t.scpEvents, 'association-released')).toHaveLength(1);

    // PDUs: RQ, 2 × (command [+ data]) out, AC and responses in, release; bytes add up both ways.
    const pdus = of(t.scuEvents, 'pdu');
    const sent = pdus.filter((p) => p.direction === 'sent');
    const received = pdus.filter((p) => p.direction === 'received');
    expect(sent[0]!.pduType).toBe('A-ASSOCIATE-RQ');
    expect(received[0]!.pduType).toBe('A-ASSOCIATE-AC');
    expect(sent.at(-1)!.pduType).toBe('A-RELEASE-RQ');
    const total = (list: typeof pdus) => list.reduce((n, p) => n + p.bytes, 0);
    const scpPdus = of(t.scpEvents, 'pdu');
    expect(total(sent)).toBe(total(scpPdus.filter((p) => p.direction === 'received')));
    expect(total(received)).toBe(total(scpPdus.filter((p) => p.direction === 'sent')));
    expect(total(sent)).toBeGreaterThan(1000);
  });

  it('rejections and aborts', async () => {
    const t = setup({}, { allowedCallingAeTitles: ['OTHER'] });
    await expect(t.associate()).rejects.toBeInstanceOf(AssociationRejectedError);
    expect(of(t.scuEvents, 'association-rejected')[0]).toMatchObject({ result: 1, source: 1, reason: 3, side: 'requestor' });
    expect(of(t.scpEvents, 'association-rejected')[0]).toMatchObject({ result: 1, source: 1, reason: 3, side: 'acceptor' });

    const u = setup();
    const assoc = await u.associate();
    await assoc.abort();
    await u.served;
    expect(of(u.scuEvents, 'association-aborted')).toHaveLength(1);
    expect(of(u.scpEvents, 'association-aborted')[0]!.error).toBeDefined();
  });

  it('a throwing observer does not break the association', async () => {
    const [a, b] = createMemoryPair();
    void new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(VERIFICATION).handle(b);
    const scu = new ApplicationEntity({ aeTitle: 'SCU', observe: () => { throw new Error('observer bug'); } }).addRequestedContext(VERIFICATION);
    const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
    expect((await assoc.cEcho()).status).toBe(0);
    await assoc.release();
  });

  it('no observer: no DIMSE hook is installed', async () => {
    const [a, b] = createMemoryPair();
    void new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(VERIFICATION).handle(b);
    const assoc = await new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION).associate(a, { calledAeTitle: 'SCP' });
    expect((assoc.dimse as unknown as { options: { onMessage?: unknown } }).options.onMessage).toBeUndefined();
    await assoc.release();
  });
});

describe('requestor telemetry when negotiation fails', () => {
  // An association 'requested' must end with an event, or the OpenTelemetry span never ends.
  const cases: [string, (peer: ScriptedPeer) => void, RegExp][] = [
    ['ACSE timeout', () => undefined, /no A-ASSOCIATE response/],
    ['peer A-ABORT', (peer) => peer.sendPdu({ type: 'A-ABORT', source: 0, reason: 0 }), /aborted by the peer/],
    ['transport closed by the peer', (peer) => peer.end(), /the peer closed the transport connection/],
    ['transport reset', (peer) => peer.rst(), /transport connection lost/],
  ];
  for (const [name, act, error] of cases) {
    it(`${name}: association-requested, then association-aborted with the error`, async () => {
      const events: NetEvent[] = [];
      const [a, b] = createMemoryPair();
      const peer = new ScriptedPeer(b);
      const scu = new ApplicationEntity({ aeTitle: 'SCU', acseTimeoutMs: 200, abortLingerMs: 50, observe: (e) => events.push(e) }).addRequestedContext(VERIFICATION);
      const pending = scu.associate(a, { calledAeTitle: 'SCP' });
      pending.catch(() => undefined);
      while (peer.pdus.length === 0) await sleep(2);
      act(peer);
      await expect(pending).rejects.toThrow();
      const lifecycle = events.filter((e) => e.type !== 'pdu');
      expect(lifecycle.map((e) => e.type)).toEqual(['association-requested', 'association-aborted']);
      const aborted = of(events, 'association-aborted')[0]!;
      expect(aborted).toMatchObject({ associationId: lifecycle[0]!.associationId, side: 'requestor', callingAeTitle: 'SCU', calledAeTitle: 'SCP' });
      expect(aborted.error).toMatch(error);
      expect(aborted.durationMs).toBeGreaterThanOrEqual(0);
    });
  }

  it("a peer's unusable maximum PDU length (NegotiationError) also ends with association-aborted", async () => {
    const events: NetEvent[] = [];
    const [a, b] = createMemoryPair();
    // A scripted acceptor: an ApplicationEntity refuses to advertise less than 4096 itself.
    const peer = new ScriptedPeer(b);
    const scu = new ApplicationEntity({ aeTitle: 'SCU', observe: (e) => events.push(e) }).addRequestedContext(VERIFICATION);
    const pending = scu.associate(a, { calledAeTitle: 'SCP' });
    while (peer.pdus.length === 0) await sleep(2);
    const rq = peer.takeDecoded() as AssociateRqPdu;
    peer.sendPdu({
      type: 'A-ASSOCIATE-AC', protocolVersion: 1, calledAeTitle: 'SCP', callingAeTitle: 'SCU', applicationContextName: rq.applicationContextName,
      presentationContexts: [{ id: rq.presentationContexts[0]!.id, result: 0, transferSyntax: '1.2.840.10008.1.2' }],
      userInformation: { maxLength: 4, implementationClassUid: '1.2.3' },
    });
    await expect(pending).rejects.toThrow(/maximum PDU length 4/);
    expect(events.filter((e) => e.type !== 'pdu').map((e) => e.type)).toEqual(['association-requested', 'association-aborted']);
  });
});

describe('C-CANCEL telemetry', () => {
  const FIND = '1.2.840.10008.5.1.4.1.2.2.1';

  it('a C-CANCEL reports the Message ID of the operation it cancels (PS3.7 §9.3), not 0', async () => {
    const scuEvents: NetEvent[] = [];
    const scpEvents: NetEvent[] = [];
    const [a, b] = createMemoryPair();
    const served = new ApplicationEntity({ aeTitle: 'SCP', observe: (e) => scpEvents.push(e) }).addSupportedContext(FIND).handle(b, {
      cFind: async function* () {
        for (let i = 0; i < 50; i++) {
          await sleep(2);
          yield { PatientName: `P${i}` };
        }
      },
    });
    const scu = new ApplicationEntity({ aeTitle: 'SCU', observe: (e) => scuEvents.push(e) }).addRequestedContext(FIND);
    const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
    let n = 0;
    for await (const _ of assoc.cFind({ QueryRetrieveLevel: 'STUDY', PatientName: '*' }, { model: 'study' })) if (++n === 2) break;
    await assoc.release();
    await served;
    for (const [events, direction] of [[scuEvents, 'sent'], [scpEvents, 'received']] as const) {
      const requests = of(events, 'dimse-request');
      const find = requests.find((e) => e.service === 'C-FIND')!;
      const cancel = requests.find((e) => e.service === 'C-CANCEL');
      expect(cancel).toMatchObject({ direction, messageId: find.messageId });
      expect(cancel!.messageId).not.toBe(0);
    }
  });
});
