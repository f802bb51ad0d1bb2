/**
 * Faults and load against the Server over TCP (reliability.md §3.8 P and §3.9 C): resets, FINs and
 * A-ABORTs mid-association and mid-C-STORE; the association limit (101st rejected (2,3,2), accepted
 * again after a release); pending-connection cap; 1,000 idle connections while canaries keep working;
 * a throwing application hook. Every case: no crash, no escape (R4), the server keeps serving (R3).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { connectTcp } from '../../adapters/node';
import { AssociationRejectedError } from '../../src/errors';
import { note, percentile, printFigures, record } from './helpers/figures';
import { ABORT_USER, canary, pdata, scuAe, startScp } from './helpers/scp';
import { associate, PC, rqFull, storeRq } from './helpers/session';
import { TcpPeer } from './helpers/tcp-peer';
import type { Association } from '../../src/association';

afterAll(() => printFigures());
const P = 'aborts mid-association (P)';
const C = 'limits and floods (C)';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!cond() && performance.now() < end) await sleep(5);
  return cond();
}

describe('P: the peer goes away mid-C-STORE', () => {
  it.each([
    ['P-01 RST', (p: TcpPeer) => p.rst()],
    ['P-02 FIN', (p: TcpPeer) => p.end()],
    ['P-03 A-ABORT', (p: TcpPeer) => p.send(ABORT_USER)],
  ])('%s after 4 MiB of an instance → the handler sees the stream fail, no response, server keeps serving', async (id, fault) => {
    const outcomes: string[] = [];
    let received = 0;
    const scp = await startScp({}, {
      async cStore(request) {
        try {
          for await (const chunk of request.data as unknown as AsyncIterable<Uint8Array>) received += chunk.byteLength;
          outcomes.push('complete');
          return 0;
        } catch (error) {
          outcomes.push(`error: ${(error as Error).name}`);
          throw error;
        }
      },
    });
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer, rqFull());
    peer.send(pdata([PC.ct, 0x03, storeRq(1)]));
    const fragment = new Uint8Array(16000);
    for (let i = 0; i < 262; i++) peer.send(pdata([PC.ct, 0x00, fragment])); // ~4 MiB, never the last fragment
    expect(await until(() => received >= 4_000_000, 5000), `SCP received ${received}`).toBe(true);
    const during = canary(scp.port);
    fault(peer);
    expect(await until(() => outcomes.length > 0, 1000)).toBe(true);
    expect(outcomes).toEqual([expect.stringMatching(/^error/)]);
    expect(await until(() => scp.server.associations.size === 0, 1000)).toBe(true);
    await during;
    await canary(scp.port);
    expect(peer.pdus.filter((p) => p.type === 0x04)).toEqual([]); // no C-STORE-RSP for a partial instance
    record(P, id, true);
  });

  it('P: RST right after the AC, and RST between PDUs of an echo loop → server keeps serving', async () => {
    const scp = await startScp();
    for (let i = 0; i < 20; i++) {
      const peer = await TcpPeer.connect(scp.port);
      await associate(peer);
      if (i % 2) peer.send(Uint8Array.of(0x04, 0, 0, 0));
      peer.rst();
    }
    expect(await until(() => scp.server.associations.size === 0, 1000)).toBe(true);
    await canary(scp.port);
    record(P, 'P RST after AC ×20', true);
  });
});

describe('C: limits', () => {
  it('C-02: 100 concurrent associations; the 101st gets RJ (2,3,2) at once; after one release the next is accepted', async () => {
    const scp = await startScp({}, {}, { maxAssociations: 100 });
    const open: Association[] = [];
    for (let i = 0; i < 100; i += 25) {
      open.push(...(await Promise.all(Array.from({ length: 25 }, async () => scuAe().associate(await connectTcp({ host: '127.0.0.1', port: scp.port }), { calledAeTitle: 'NETDICOM' })))));
    }
    expect(scp.server.associations.size).toBe(100);
    const t0 = performance.now();
    const error = await scuAe().associate(await connectTcp({ host: '127.0.0.1', port: scp.port })).catch((e: unknown) => e);
    const rejectMs = performance.now() - t0;
    expect(error).toBeInstanceOf(AssociationRejectedError);
    expect(error).toMatchObject({ result: 2, source: 3, reason: 2 });
    expect(rejectMs).toBeLessThan(200);
    await open.pop()!.release();
    expect(await until(() => scp.server.associations.size === 99, 1000)).toBe(true);
    const t1 = performance.now();
    const again = await scuAe().associate(await connectTcp({ host: '127.0.0.1', port: scp.port }), { calledAeTitle: 'NETDICOM' });
    const acceptMs = performance.now() - t1;
    expect((await again.cEcho()).status).toBe(0);
    open.push(again);
    await Promise.all(open.map((a) => a.release()));
    note(`limits: 101st association rejected (2,3,2) in ${rejectMs.toFixed(1)} ms; accepted again ${acceptMs.toFixed(1)} ms after one release`);
    record(C, 'C-02', true, rejectMs);
  });

  it('C-06: maxPendingConnections 10 and 30 silent connections → 20 closed at accept, the rest reaped at ARTIM, then canary OK', async () => {
    const scp = await startScp({ artimTimeoutMs: 400 }, {}, { maxPendingConnections: 10 });
    const peers = await Promise.all(Array.from({ length: 30 }, () => TcpPeer.connect(scp.port)));
    await sleep(150);
    const early = peers.filter((p) => p.closedBy !== null);
    expect(early.length).toBe(20);
    expect(peers.flatMap((p) => p.history)).toEqual([]);
    expect(await until(() => peers.every((p) => p.closedBy !== null), 400 + 1000)).toBe(true);
    await canary(scp.port);
    record(C, 'C-06 pending cap', true);
  });

  it('C-06: 1,000 idle connections + 50 legitimate canaries → canaries served (p99 < 1 s), idle reaped within ARTIM + 1 s', async () => {
    const ARTIM = 3000;
    const scp = await startScp({ artimTimeoutMs: ARTIM }, {}, { maxPendingConnections: 1100 });
    const idle: TcpPeer[] = [];
    for (let i = 0; i < 1000; i += 100) idle.push(...(await Promise.all(Array.from({ length: 100 }, () => TcpPeer.connect(scp.port)))));
    const lastConnect = performance.now();
    const latencies: number[] = [];
    for (let i = 0; i < 50; i += 10) latencies.push(...(await Promise.all(Array.from({ length: 10 }, () => canary(scp.port)))));
    const stillIdle = idle.filter((p) => p.closedBy === null).length;
    expect(await until(() => idle.every((p) => p.closedBy !== null), ARTIM + 1000)).toBe(true);
    const reapedMs = performance.now() - lastConnect;
    expect(idle.flatMap((p) => p.history)).toEqual([]);
    const p99 = percentile(latencies, 99);
    expect(p99).toBeLessThan(1000);
    note(`limits: 1,000 idle connections (${stillIdle} still open after the canaries) + 50 canaries: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; all idle reaped ${reapedMs.toFixed(0)} ms after the last connect (ARTIM ${ARTIM} ms)`);
    record(C, 'C-06 1000 idle', true, p99);
  });

  it('an associate hook that throws → RJ (1,1,1) at once, nothing escapes, server keeps serving', async () => {
    let calls = 0;
    const scp = await startScp({}, {
      associate() {
        calls++;
        throw new Error('hook failed');
      },
    });
    const error = await scuAe().associate(await connectTcp({ host: '127.0.0.1', port: scp.port }), { calledAeTitle: 'NETDICOM' }).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(error).toBeInstanceOf(AssociationRejectedError);
    expect(error).toMatchObject({ result: 1, source: 1, reason: 1 });
    await canary(scp.port).catch(() => undefined); // the hook throws for everyone; the server must still answer
    expect(await until(() => scp.server.associations.size === 0, 500)).toBe(true);
    record(C, 'throwing associate hook', true);
  });
});
