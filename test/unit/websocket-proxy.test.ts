/**
 * The WebSocket-to-TCP proxy's refusals, limits and teardown (reliability.md §3.13, W-01..W-14),
 * over real loopback sockets with raw HTTP upgrades and `ws` clients.
 */
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDicomProxy, type DicomProxy, type DicomProxyOptions } from '../../adapters/websocket-proxy/index';
import { listenTcp, type NodeListener } from '../../adapters/node/index';
import type { Transport } from '../../src/transport';
import { socketReclaimer } from '../../adapters/node/reclaim';
import { pattern } from '../helpers/bytes';
import { closeOf, openWs, rawUpgrade, sentinel, TEST_ORIGIN } from '../helpers/websocket';

let peer: NodeListener;
let peers: AsyncIterator<Transport>;
const started: DicomProxy[] = [];

beforeAll(async () => {
  peer = await listenTcp({ host: '127.0.0.1' });
  peers = peer[Symbol.asyncIterator]();
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.close()));
});
afterAll(async () => {
  await peer?.close();
});

async function proxyTo(port: number, options: Partial<DicomProxyOptions> = {}): Promise<DicomProxy> {
  const p = await createDicomProxy({ targets: { '/pacs': { host: '127.0.0.1', port } }, allowOrigins: [TEST_ORIGIN], ...options });
  started.push(p);
  return p;
}

/** A `ws` client to '/pacs' on a proxy in front of `peer`, and the TCP transport the peer accepted. */
async function bridged(options: Partial<DicomProxyOptions> = {}) {
  const proxy = await proxyTo(peer.port, options);
  const [ws, accepted] = await Promise.all([openWs(`ws://${proxy.address}/pacs`), peers.next()]);
  const tcp = accepted.value as Transport;
  // One byte through: the proxy's side of the TCP connection is surely established now.
  const first = new Promise((r) => ws.once('message', r));
  const writer = tcp.writable.getWriter();
  await writer.write(new Uint8Array([0]));
  writer.releaseLock();
  await first;
  return { proxy, ws, tcp };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with what happens to a peer's readable: 'end' or the error's name. */
async function readOutcome(t: Transport): Promise<string> {
  const reader = t.readable.getReader();
  try {
    for (;;) if ((await reader.read()).done) return 'end';
  } catch (e) {
    return (e as Error).name;
  }
}

describe('W-01 target selection: only allow-listed paths, never a client-chosen host', () => {
  it('refuses every other request target with 404 and never connects anywhere', async () => {
    const s = await sentinel();
    const proxy = await proxyTo(s.port);
    const targets = [
      '/', '/pacs/', '/PACS', '/pacs/../x', '/%2e%2e/', '/%70acs', '/pacs%00', '/pacs?host=10.0.0.1&port=22',
      `/pacs?host=127.0.0.1&port=${s.port}`, '/127.0.0.1:22', `/127.0.0.1:${s.port}`, '//evil', '/unknown',
      `http://127.0.0.1:${s.port}/pacs`, '*',
    ];
    for (const target of targets) expect(await rawUpgrade(proxy.port, target), target).toBe(404);
    await sleep(100);
    expect(s.count()).toBe(0);
    // Positive control: the allow-listed path does reach the sentinel.
    expect(await rawUpgrade(proxy.port, '/pacs')).toBe(101);
    for (let i = 0; i < 50 && s.count() === 0; i++) await sleep(10);
    expect(s.count()).toBe(1);
    await s.close();
  });

  it('rejects target paths that are not one plain segment at start', async () => {
    await expect(createDicomProxy({ targets: { '/a/b': { host: '127.0.0.1', port: 1 } } })).rejects.toThrow(/one plain segment/);
    await expect(createDicomProxy({ targets: { '..': { host: '127.0.0.1', port: 1 } } })).rejects.toThrow(/one plain segment/);
    await expect(createDicomProxy({ targets: {} })).rejects.toThrow(/at least one target/);
  });
});

describe('W-02 Origin, W-03 Host, W-14 subprotocol: refused before the upgrade', () => {
  it('an allow-list of origins', async () => {
    const s = await sentinel();
    const proxy = await proxyTo(s.port);
    expect(await rawUpgrade(proxy.port, '/pacs', { Origin: TEST_ORIGIN })).toBe(101);
    expect(await rawUpgrade(proxy.port, '/pacs', { Origin: 'http://evil.test' })).toBe(403);
    expect(await rawUpgrade(proxy.port, '/pacs', { Origin: 'null' })).toBe(403);
    expect(await rawUpgrade(proxy.port, '/pacs', { Origin: undefined })).toBe(403);
    const lax = await proxyTo(s.port, { allowMissingOrigin: true });
    expect(await rawUpgrade(lax.port, '/pacs', { Origin: undefined })).toBe(101);
    await s.close();
  });

  it('same origin by default, and a loopback proxy answers only to loopback Host names', async () => {
    const s = await sentinel();
    const proxy = await proxyTo(s.port, { allowOrigins: undefined });
    const self = `http://127.0.0.1:${proxy.port}`;
    expect(await rawUpgrade(proxy.port, '/pacs', { Origin: self })).toBe(101);
    expect(await rawUpgrade(proxy.port, '/pacs', { Origin: `http://localhost:${proxy.port}` })).toBe(403);
    // DNS rebinding: the attacker's name resolves to 127.0.0.1, Origin and Host agree.
    const rebound = `attacker.example:${proxy.port}`;
    expect(await rawUpgrade(proxy.port, '/pacs', { Host: rebound, Origin: `http://${rebound}` })).toBe(403);
    const page = await new Promise<number | undefined>((resolve) =>
      http.get({ host: '127.0.0.1', port: proxy.port, path: '/', headers: { host: rebound } }, (res) => resolve(res.resume().statusCode)),
    );
    expect(page).toBe(403);
    await s.close();
  });

  it("subprotocol: 'binary' or none accepted; 'base64' and unknown refused (400)", async () => {
    const s = await sentinel();
    const proxy = await proxyTo(s.port);
    expect(await rawUpgrade(proxy.port, '/pacs', { 'Sec-WebSocket-Protocol': 'binary' })).toBe(101);
    expect(await rawUpgrade(proxy.port, '/pacs', { 'Sec-WebSocket-Protocol': 'base64, binary' })).toBe(101);
    expect(await rawUpgrade(proxy.port, '/pacs')).toBe(101);
    expect(await rawUpgrade(proxy.port, '/pacs', { 'Sec-WebSocket-Protocol': 'base64' })).toBe(400);
    expect(await rawUpgrade(proxy.port, '/pacs', { 'Sec-WebSocket-Protocol': 'chat' })).toBe(400);
    await s.close();
  });
});

describe('W-04 size, W-05 fragments, W-06 headers, W-07 compression, W-13 frame types', () => {
  it('W-04: a message over maxPayload closes with 1009 and resets the TCP side', async () => {
    const { ws, tcp } = await bridged({ maxPayload: 1024 * 1024 });
    const closed = closeOf(ws);
    ws.send(new Uint8Array(4 * 1024 * 1024));
    expect((await closed).code).toBe(1009);
    expect(await readOutcome(tcp)).toBe('TransportError');
  });

  it('W-05: a flood of tiny fragments closes with 1008 and resets the TCP side', async () => {
    const { ws, tcp } = await bridged();
    const closed = closeOf(ws);
    const one = new Uint8Array([1]);
    for (let i = 0; i < 20000 && ws.readyState === ws.OPEN; i++) ws.send(one, { fin: false });
    expect((await closed).code).toBe(1008);
    expect(await readOutcome(tcp)).toBe('TransportError');
  });

  it('W-06: 2,000 headers in the upgrade request → 431, and the proxy keeps serving', async () => {
    const s = await sentinel();
    const proxy = await proxyTo(s.port);
    const flood = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`X-Flood-${i}`, 'x']));
    expect(await rawUpgrade(proxy.port, '/pacs', flood)).toBe(431);
    expect(await rawUpgrade(proxy.port, '/pacs')).toBe(101);
    await s.close();
  });

  it('W-07: permessage-deflate offered by the client is not negotiated', async () => {
    const s = await sentinel();
    const proxy = await proxyTo(s.port);
    const ws = new WebSocket(`ws://${proxy.address}/pacs`, 'binary', { origin: TEST_ORIGIN, perMessageDeflate: true });
    ws.on('error', () => {});
    await new Promise((r) => ws.once('open', r));
    expect(ws.extensions).toBe('');
    ws.terminate();
    await s.close();
  });

  it('W-13: a text frame closes with 1003 and resets the TCP side', async () => {
    const { ws, tcp } = await bridged();
    const closed = closeOf(ws);
    ws.send('EHLO');
    expect((await closed).code).toBe(1003);
    expect(await readOutcome(tcp)).toBe('TransportError');
  });
});

describe('W-10 close propagation, W-11 limits and idle', () => {
  it('WS close 1000 → TCP FIN (end-of-stream) within 100 ms', async () => {
    const { ws, tcp } = await bridged();
    const outcome = readOutcome(tcp);
    const t0 = performance.now();
    ws.close(1000);
    expect(await outcome).toBe('end');
    // Catalogue target 100 ms (measured ~5–20 ms here); margin for a loaded CI machine.
    expect(performance.now() - t0).toBeLessThan(250);
  });

  it('WS close with an error code or a dropped WS → TCP reset', async () => {
    const a = await bridged();
    a.ws.close(4000, 'aborted');
    expect(await readOutcome(a.tcp)).toBe('TransportError');
    const b = await bridged();
    b.ws.terminate();
    expect(await readOutcome(b.tcp)).toBe('TransportError');
  });

  it('TCP FIN → WS close 1000; TCP RST → WS close 1011', async () => {
    const a = await bridged();
    const closedA = closeOf(a.ws);
    await a.tcp.close();
    expect((await closedA).code).toBe(1000);
    const b = await bridged();
    const closedB = closeOf(b.ws);
    b.tcp.abort();
    expect(await closedB).toMatchObject({ code: 1011, reason: expect.stringMatching(/ECONNRESET/) });
  });

  it('200 open/close cycles leave no bridge behind', async () => {
    const proxy = await proxyTo(peer.port);
    for (let i = 0; i < 200; i++) {
      const [ws, accepted] = await Promise.all([openWs(`ws://${proxy.address}/pacs`), peers.next()]);
      const tcp = accepted.value as Transport;
      if (i % 2) ws.close(1000);
      else await tcp.close();
      await closeOf(ws);
      await tcp.closed.catch(() => {});
    }
    for (let i = 0; i < 100 && proxy.connections > 0; i++) await sleep(10);
    expect(proxy.connections).toBe(0);
  }, 60000);

  it('W-11: beyond maxConnections → 503; idle beyond idleTimeoutMs → both sides closed', async () => {
    const { proxy, ws, tcp } = await bridged({ maxConnections: 1, idleTimeoutMs: 300 });
    expect(await rawUpgrade(proxy.port, '/pacs')).toBe(503);
    const closed = closeOf(ws);
    expect(await closed).toMatchObject({ code: 1001, reason: expect.stringMatching(/idle/) });
    expect(['end', 'TransportError']).toContain(await readOutcome(tcp));
  });
});

describe('TCP → WebSocket messages', () => {
  /** Collects the client's messages until the WebSocket closes. */
  const collect = (ws: WebSocket) =>
    new Promise<{ messages: Buffer[]; code: number }>((resolve) => {
      const messages: Buffer[] = [];
      ws.on('message', (data: Buffer) => messages.push(data));
      ws.once('close', (code: number) => resolve({ messages, code }));
    });

  it('what TCP delivers in one turn leaves as one message (a browser pays per message), at most 1 MiB each, in order', async () => {
    const { ws, tcp } = await bridged();
    const received = collect(ws);
    const bytes = pattern(3 * 1024 * 1024);
    const writer = tcp.writable.getWriter();
    await writer.write(bytes);
    await writer.close();
    const { messages, code } = await received;
    expect(code).toBe(1000);
    expect(Buffer.compare(Buffer.concat(messages), Buffer.from(bytes))).toBe(0);
    expect(Math.max(...messages.map((m) => m.length))).toBeLessThanOrEqual(1024 * 1024);
    // The proxy reads TCP 64 KiB at a time: one message per read would be 48 or more.
    expect(messages.length).toBeLessThan(24);
  });

  it('what the peer sent just before it closed reaches the browser before the close', async () => {
    // Small writes followed at once by the FIN: the proxy often reads both in the same turn.
    for (const size of [1, 100, 1000, 5000, 20_000, 70_000]) {
      for (let i = 0; i < 5; i++) {
        const { ws, tcp } = await bridged();
        const received = collect(ws);
        const bytes = pattern(size);
        const writer = tcp.writable.getWriter();
        void writer.write(bytes);
        await writer.close();
        const { messages, code } = await received;
        expect(code).toBe(1000);
        expect(Buffer.compare(Buffer.concat(messages), Buffer.from(bytes)), `${size} bytes`).toBe(0);
      }
    }
  });
});

describe('W-08 a slow WebSocket reader throttles the TCP peer', () => {
  it('the peer is blocked after a bounded amount, then everything arrives in order', async () => {
    const { ws, tcp } = await bridged({ highWaterMark: 256 * 1024 });
    ws.pause(); // the browser is not reading
    const writer = tcp.writable.getWriter();
    const chunk = new Uint8Array(64 * 1024);
    let sent = 0;
    const stalled = () => Promise.race([writer.ready.then(() => false), sleep(300).then(() => true)]);
    while (!(await stalled())) {
      chunk.fill(sent / chunk.length);
      void writer.write(chunk.slice()).catch(() => {});
      sent += chunk.length;
      if (sent > 64 * 1024 * 1024) throw new Error('no back-pressure from the WebSocket side');
    }
    expect(sent).toBeLessThan(32 * 1024 * 1024);
    let received = 0;
    let ordered = true;
    const all = new Promise<void>((resolve) =>
      ws.on('message', (data: Buffer) => {
        for (let i = 0; i < data.length; i += 4096) if (data[i] !== Math.floor((received + i) / chunk.length) % 256) ordered = false;
        received += data.length;
        if (received === sent) resolve();
      }),
    );
    ws.resume();
    await all;
    expect(ordered).toBe(true);
    ws.close(1000);
  }, 30000);
});

describe('buffer reclaim (adapters/node/reclaim.ts)', () => {
  it('the proxy counts the bytes it relays from TCP to the WebSocket', async () => {
    const { ws, tcp } = await bridged();
    // The peer writes through its stream path and the ws client is not ours: every count is the proxy's.
    const note = vi.spyOn(socketReclaimer, 'note');
    try {
      const total = 3 * 64 * 1024;
      let received = 0;
      const all = new Promise<void>((resolve) => ws.on('message', (d: Buffer) => ((received += d.length) >= total ? resolve() : undefined)));
      const writer = tcp.writable.getWriter();
      for (let i = 0; i < 3; i++) await writer.write(new Uint8Array(64 * 1024));
      writer.releaseLock();
      await all;
      expect(note.mock.calls.reduce((n, [b]) => n + b, 0)).toBeGreaterThanOrEqual(total);
    } finally {
      note.mockRestore();
      ws.close(1000);
    }
  });
});

describe('static files', () => {
  it('serves index.html and files, never outside the root or dot-files', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'netdicom-static-'));
    writeFileSync(path.join(root, 'index.html'), '<h1>hi</h1>');
    writeFileSync(path.join(root, 'app.js'), 'x=1');
    writeFileSync(path.join(root, '.env'), 'secret');
    const s = await sentinel();
    const proxy = await proxyTo(s.port, { staticDir: root });
    const get = (p: string) => fetch(`${proxy.url}${p}`).then(async (r) => [r.status, r.headers.get('content-type'), await r.text()]);
    expect(await get('/')).toEqual([200, 'text/html; charset=utf-8', '<h1>hi</h1>']);
    expect((await get('/app.js'))[1]).toBe('text/javascript; charset=utf-8');
    for (const p of ['/.env', '/%2e%2e/package.json', '/..%2fpackage.json', '/nope', '/%2e%65nv']) expect((await get(p))[0], p).toBe(404);
    await s.close();
    rmSync(root, { recursive: true });
  });
});
