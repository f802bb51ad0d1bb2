/**
 * connectWebSocket (adapters/websocket) through the real proxy (adapters/websocket-proxy) to TCP
 * peers on 127.0.0.1, with `ws`'s client class injected (Node 20 has no global WebSocket):
 * the shared transport contract, DIMSE end to end, and the errors a page would see.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWebSocket } from '../../adapters/websocket/index';
import { createDicomProxy, type DicomProxy } from '../../adapters/websocket-proxy/index';
import { listenTcp, type NodeListener } from '../../adapters/node/index';
import { ApplicationEntity } from '../../src/ae';
import type { Server } from '../../src/server';
import type { Transport } from '../../src/transport';
import { transportContract, readToEnd } from '../contract/transport-contract';
import { pattern, sha256 } from '../helpers/bytes';
import { freePort, TEST_ORIGIN, wsWithOrigin } from '../helpers/websocket';

const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const WebSocket = wsWithOrigin();

let peer: NodeListener; // plain TCP peer behind '/peer'
let peers: AsyncIterator<Transport>;
let scpListener: NodeListener; // a netdicom SCP behind '/scp'
let scp: Server;
let proxy: DicomProxy;
let storedHash = '';
let downPort: number;

beforeAll(async () => {
  peer = await listenTcp({ host: '127.0.0.1' });
  peers = peer[Symbol.asyncIterator]();
  scpListener = await listenTcp({ host: '127.0.0.1' });
  scp = new ApplicationEntity({ aeTitle: 'SCP' })
    .addSupportedContext(VERIFICATION)
    .addSupportedContext(CT, [EXPLICIT])
    .serve(scpListener, {
      cStore: async (rq) => {
        storedHash = sha256(await rq.bytes());
        return 0;
      },
    });
  downPort = await freePort();
  proxy = await createDicomProxy({
    targets: {
      '/peer': { host: '127.0.0.1', port: peer.port },
      '/scp': { host: '127.0.0.1', port: scpListener.port },
      '/down': { host: '127.0.0.1', port: downPort },
    },
    allowOrigins: [TEST_ORIGIN],
  });
});

afterAll(async () => {
  await proxy?.close();
  await scp?.close();
  await peer?.close();
});

const url = (path: string) => `ws://${proxy.address}${path}`;

/** A WebSocket transport and the TCP transport the proxy opened for it. */
async function pair(): Promise<[Transport, Transport]> {
  const [client, accepted] = await Promise.all([connectWebSocket(url('/peer'), { WebSocket }), peers.next()]);
  return [client, accepted.value as Transport];
}

// Two loopback TCP hops with kernel buffer autotuning: writer.ready may stall briefly, then move
// on, before it blocks for good; a longer settle time tells a stall from a block.
transportContract('WebSocket via the proxy to TCP 127.0.0.1', pair, { settleMs: 300 });

describe('DIMSE through the proxy', () => {
  it('C-ECHO', async () => {
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION);
    const assoc = await scu.associate(await connectWebSocket(url('/scp'), { WebSocket }), { calledAeTitle: 'SCP' });
    expect((await assoc.cEcho()).status).toBe(0);
    await assoc.release();
    expect(await assoc.closed).toEqual({ reason: 'released' });
  });

  it('a 20 MiB C-STORE arrives byte-identical', async () => {
    const data = pattern(20 * 1024 * 1024, 11);
    const scu = new ApplicationEntity({ aeTitle: 'SCU', maxPduLength: 65536 }).addRequestedContext(CT, [EXPLICIT]);
    const assoc = await scu.associate(await connectWebSocket(url('/scp'), { WebSocket }), { calledAeTitle: 'SCP' });
    const rsp = await assoc.cStore({ sopClassUid: CT, sopInstanceUid: '1.2.3.4', transferSyntaxUid: EXPLICIT, data });
    expect(rsp.status).toBe(0);
    expect(storedHash).toBe(sha256(data));
    await assoc.release();
  }, 60000);
});

describe('connectWebSocket errors', () => {
  it('an unknown target is refused before open with a TransportError naming the 404', async () => {
    const error = await connectWebSocket(url('/nope'), { WebSocket }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TransportError' });
    expect(String((error as Error).message)).toMatch(/did not open.*404/);
  });

  it('an Origin the proxy does not allow is refused (403)', async () => {
    const error = await connectWebSocket(url('/peer'), { WebSocket: wsWithOrigin('http://evil.test') }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/403/);
  });

  it('W-12: upstream down → the transport errors with close 1014 and a reason, one attempt only', async () => {
    const t = await connectWebSocket(url('/down'), { WebSocket });
    const read = t.readable.getReader().read();
    await expect(read).rejects.toMatchObject({ name: 'TransportError', message: expect.stringMatching(/1014.*cannot reach 'down': ECONNREFUSED/) });
    await expect(t.closed).rejects.toMatchObject({ name: 'TransportError' });
  });

  it('an unreachable proxy fails with a TransportError', async () => {
    const port = await freePort();
    await expect(connectWebSocket(`ws://127.0.0.1:${port}/peer`, { WebSocket })).rejects.toMatchObject({ name: 'TransportError' });
  });

  it('timeoutMs: a server that never answers the upgrade → TimeoutError', async () => {
    const silent = http.createServer();
    const held: import('node:stream').Duplex[] = [];
    silent.on('upgrade', (_req, socket) => held.push(socket)); // holds the socket, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    await expect(connectWebSocket(`ws://127.0.0.1:${port}/x`, { WebSocket, timeoutMs: 100 })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    for (const socket of held) socket.destroy(); // upgraded sockets are no longer the server's
    await new Promise((r) => silent.close(r));
  });

  it('an aborted signal rejects with its reason', async () => {
    const controller = new AbortController();
    const pending = connectWebSocket(url('/peer'), { WebSocket, signal: controller.signal });
    controller.abort(new Error('user gave up'));
    await expect(pending).rejects.toThrow('user gave up');
    // The proxy may have bridged already; drain that accepted side so the next test starts clean.
    const stray = await Promise.race([peers.next(), new Promise<null>((r) => setTimeout(() => r(null), 200))]);
    if (stray && !stray.done) stray.value.abort();
  });

  it('no WebSocket class at all → a TransportError that says what to pass', async () => {
    const hadGlobal = 'WebSocket' in globalThis;
    if (hadGlobal) return; // Node ≥ 22: the global exists
    await expect(connectWebSocket(url('/peer'))).rejects.toThrow(/options\.WebSocket/);
  });

  it('the peer closing (TCP FIN) ends the readable and resolves closed', async () => {
    const [client, accepted] = await pair();
    await accepted.close();
    const { done } = await readToEnd(client.readable.getReader());
    expect(done).toBe(true);
    await expect(client.closed).resolves.toBeUndefined();
    expect(client.info).toMatchObject({ remote: url('/peer'), secure: false });
  });
});
