/**
 * Telemetry: AeOptions.observe receives association, DIMSE and PDU events with durations,
 * statuses, bytes and latencies; nothing is installed without an observer.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { AssociationRejectedError } from '../../src/errors';
import type { NetEvent } from '../../src/telemetry';

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
