/**
 * Issue 10 over real TCP (127.0.0.1, free ports): pipelining within a negotiated asynchronous
 * operations window (PS3.7 D.3.3.3), the association pool, and telemetry events. The memory-pair
 * tests cover the logic; these show the same over the Node adapters' sockets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectTcp, listenTcp } from '../../adapters/node/index';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { AssociationAbortedError } from '../../src/errors';
import type { AeOptions } from '../../src/options';
import { AssociationPool } from '../../src/pool';
import type { ScpHandlers } from '../../src/scp/types';
import type { Server } from '../../src/server';
import type { NetEvent } from '../../src/telemetry';

const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close({ force: true })));
});

/** A netdicom SCP on a free loopback port, counting what it runs at once and how associations end. */
async function scp(options: Partial<AeOptions> = {}, delayMs = 0) {
  const m = { now: 0, max: 0, accepted: 0, released: 0, aborted: 0, scp: [] as Association[], stored: [] as string[] };
  const work = async () => {
    m.max = Math.max(m.max, ++m.now);
    await sleep(delayMs);
    m.now--;
  };
  const handlers: ScpHandlers = {
    accepted: (x) => (m.accepted++, m.scp.push(x)),
    released: () => m.released++,
    aborted: () => m.aborted++,
    cEcho: async () => (await work(), 0),
    cStore: async (req) => (await req.bytes(), await work(), m.stored.push(req.sopInstanceUid), 0),
  };
  const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
  const ae = new ApplicationEntity({ aeTitle: 'SCP', ...options }).addSupportedContext(VERIFICATION).addSupportedContext(CT, [EXPLICIT]);
  servers.push(ae.serve(listener, handlers));
  return { m, port: listener.port };
}

const scu = (options: Partial<AeOptions> = {}) =>
  new ApplicationEntity({ aeTitle: 'SCU', ...options }).addRequestedContext(VERIFICATION).addRequestedContext(CT, [EXPLICIT]);

describe('pipelining over TCP', () => {
  it('window 4 negotiated both ways: 16 C-ECHOs, 4 in flight, each matched by Message ID', async () => {
    const { m, port } = await scp({ asyncOps: { maxInvoked: 1, maxPerformed: 4 } }, 25);
    const assoc = await scu({ asyncOps: { maxInvoked: 4, maxPerformed: 1 } }).associate(await connectTcp({ host: '127.0.0.1', port }), {
      calledAeTitle: 'SCP',
    });
    expect(assoc.accept.userInformation.asyncOps).toEqual({ maxInvoked: 4, maxPerformed: 1 });
    expect(assoc.asyncOps).toEqual({ maxInvoked: 4, maxPerformed: 1 });
    expect(m.scp[0]!.asyncOps).toEqual({ maxInvoked: 1, maxPerformed: 4 });
    let peak = 0;
    const rsps = await Promise.all(
      Array.from({ length: 16 }, async () => {
        const p = assoc.cEcho();
        await sleep(1);
        peak = Math.max(peak, assoc.dimse.requests.size);
        return p;
      }),
    );
    expect(rsps.every((r) => r.status === 0)).toBe(true);
    expect(rsps.map((r) => r.command.MessageIDBeingRespondedTo).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(peak).toBe(4);
    expect(m.max).toBe(4);
    await assoc.release();
  });

  it('C-STOREs in flight get their own responses (completion order), data intact', async () => {
    const { m, port } = await scp({ asyncOps: { maxInvoked: 1, maxPerformed: 8 } }, 10);
    const assoc = await scu({ asyncOps: { maxInvoked: 8, maxPerformed: 1 }, maxPduLength: 16384 }).associate(
      await connectTcp({ host: '127.0.0.1', port }),
      { calledAeTitle: 'SCP' },
    );
    const data = new Uint8Array(50000).map((_, i) => i & 0xff);
    const rsps = await Promise.all(
      Array.from({ length: 8 }, (_, i) => assoc.cStore({ sopClassUid: CT, sopInstanceUid: `1.2.3.${i + 1}`, transferSyntaxUid: EXPLICIT, data })),
    );
    expect(rsps.map((r) => r.status)).toEqual(Array(8).fill(0));
    expect(rsps.map((r) => r.command.AffectedSOPInstanceUID)).toEqual(Array.from({ length: 8 }, (_, i) => `1.2.3.${i + 1}`));
    expect([...m.stored].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `1.2.3.${i + 1}`).sort());
    expect(m.max).toBeGreaterThan(1);
    await assoc.release();
  });

  it('a peer without the window keeps it at 1: one request outstanding', async () => {
    const { m, port } = await scp({}, 10);
    const assoc = await scu({ asyncOps: { maxInvoked: 4, maxPerformed: 1 } }).associate(await connectTcp({ host: '127.0.0.1', port }), {
      calledAeTitle: 'SCP',
    });
    expect(assoc.asyncOps.maxInvoked).toBe(1);
    await Promise.all(Array.from({ length: 4 }, () => assoc.cEcho()));
    expect(m.max).toBe(1);
    await assoc.release();
  });
});

describe('association pool over TCP', () => {
  async function setup(o: { maxPerPeer?: number; idleTimeoutMs?: number } = {}, delayMs = 0) {
    const a = await scp({}, delayMs);
    const b = await scp({}, delayMs);
    const ports: Record<string, number> = { a: a.port, b: b.port };
    const ae = new ApplicationEntity({ aeTitle: 'GATEWAY' }).addRequestedContext(VERIFICATION);
    const pool = new AssociationPool({ ae, connect: (peer) => connectTcp({ host: '127.0.0.1', port: ports[peer]! }), ...o });
    return { a: a.m, b: b.m, pool };
  }

  it('reuses one association for successive operations and releases it on close', async () => {
    const { a, pool } = await setup();
    for (let i = 0; i < 5; i++) expect((await pool.use({ peer: 'a', calledAeTitle: 'SCP' }, (x) => x.cEcho())).status).toBe(0);
    expect(a.accepted).toBe(1);
    expect(pool.stats).toMatchObject({ open: 1, idle: 1, created: 1, reused: 4 });
    await pool.close();
    await sleep(50);
    expect(a.released).toBe(1);
  });

  it('caps associations per peer; another peer gets its own', async () => {
    const { a, b, pool } = await setup({ maxPerPeer: 2 }, 20);
    let peak = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        pool.use({ peer: 'a' }, async (x) => {
          peak = Math.max(peak, pool.stats.leased);
          return x.cEcho();
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(a.accepted).toBe(2);
    await pool.use({ peer: 'b' }, (x) => x.cEcho());
    expect(b.accepted).toBe(1);
    await pool.close();
  });

  it('releases an idle association after the timeout, then opens a new one', async () => {
    const { a, pool } = await setup({ idleTimeoutMs: 50 });
    await pool.use({ peer: 'a' }, (x) => x.cEcho());
    await sleep(200);
    expect(pool.stats.open).toBe(0);
    expect(a.released).toBe(1);
    await pool.use({ peer: 'a' }, (x) => x.cEcho());
    expect(a.accepted).toBe(2);
    await pool.close();
  });

  it('replaces an association the peer aborted, idle or leased', async () => {
    const { a, pool } = await setup();
    await pool.use({ peer: 'a' }, (x) => x.cEcho());
    await a.scp[0]!.abort();
    await sleep(50);
    expect(pool.stats.open).toBe(0);
    expect((await pool.use({ peer: 'a' }, (x) => x.cEcho())).status).toBe(0);
    await expect(pool.use({ peer: 'a' }, async (x) => (await a.scp[1]!.abort(), await sleep(50), x.cEcho()))).rejects.toBeInstanceOf(
      AssociationAbortedError,
    );
    expect((await pool.use({ peer: 'a' }, (x) => x.cEcho())).status).toBe(0);
    expect(a.accepted).toBe(3);
    await pool.close();
  });
});

describe('telemetry over TCP', () => {
  it('both sides see association, DIMSE and PDU events with the peer address', async () => {
    const scpEvents: NetEvent[] = [];
    const scuEvents: NetEvent[] = [];
    const { port } = await scp({ observe: (e) => scpEvents.push(e) }, 5);
    const assoc = await scu({ observe: (e) => scuEvents.push(e) }).associate(await connectTcp({ host: '127.0.0.1', port }), { calledAeTitle: 'SCP' });
    await assoc.cEcho();
    const data = new Uint8Array(3000);
    await assoc.cStore({ sopClassUid: CT, sopInstanceUid: '1.2.3', transferSyntaxUid: EXPLICIT, data });
    await assoc.release();
    await sleep(50);
    const nonPdu = (list: NetEvent[]) => list.filter((e) => e.type !== 'pdu').map((e) => e.type);
    const lifecycle = ['association-requested', 'association-accepted', 'dimse-request', 'dimse-response', 'dimse-request', 'dimse-response', 'association-released'];
    expect(nonPdu(scuEvents)).toEqual(lifecycle);
    expect(nonPdu(scpEvents)).toEqual(lifecycle);
    const accepted = scpEvents.find((e) => e.type === 'association-accepted');
    expect(accepted).toMatchObject({ side: 'acceptor', callingAeTitle: 'SCU', calledAeTitle: 'SCP' });
    expect((accepted as { remoteAddress?: string }).remoteAddress).toMatch(/127\.0\.0\.1/);
    const rsps = scuEvents.filter((e): e is NetEvent & { type: 'dimse-response' } => e.type === 'dimse-response');
    expect(rsps.map((e) => [e.service, e.status])).toEqual([['C-ECHO', 0], ['C-STORE', 0]]);
    expect(rsps[0]!.latencyMs).toBeGreaterThanOrEqual(4);
    const bytes = (list: NetEvent[], dir: 'sent' | 'received') =>
      list.reduce((n, e) => n + (e.type === 'pdu' && e.direction === dir ? e.bytes : 0), 0);
    expect(bytes(scuEvents, 'sent')).toBe(bytes(scpEvents, 'received'));
    expect(bytes(scuEvents, 'received')).toBe(bytes(scpEvents, 'sent'));
    expect(bytes(scuEvents, 'sent')).toBeGreaterThan(data.length);
  });
});
