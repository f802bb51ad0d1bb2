/**
 * Node TCP and TLS transports (adapters/node) over real loopback sockets: the transport contract
 * for TCP/127.0.0.1, TCP/::1 and TLS, plus the Node-specific cases (refused, abort, timeout,
 * back-pressure, reset, certificate failures, listener limits).
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TimeoutError, TransportError } from '../../src/errors';
import type { Transport } from '../../src/transport';
import { connectTcp, connectTls, listenTcp, listenTls, socketTransport, type NodeListener } from '../../adapters/node/index';
import { CLOSE_GRACE_MS } from '../../adapters/node/socket-transport';
import { ApplicationEntity } from '../../src/ae';
import { generateTestPki, type TestPki } from '../interop/helpers/certs';
import { transportContract } from '../contract/transport-contract';

let pki: TestPki;
beforeAll(() => {
  pki = generateTestPki();
});
afterAll(() => pki?.dispose());

/** Accepts one connection from `listener` while `dial` connects; closes the listener. */
async function pairVia(listener: NodeListener, dial: () => Promise<Transport>): Promise<[Transport, Transport]> {
  const it = listener[Symbol.asyncIterator]();
  const [client, accepted] = await Promise.all([dial(), it.next()]);
  await listener.close();
  return [client, accepted.value as Transport];
}

async function readAll(t: Transport): Promise<number> {
  const reader = t.readable.getReader();
  let n = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return n;
    n += value.byteLength;
  }
}

/** A port nothing listens on (bound, then released). */
async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, host, r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

const hasIpv6 = await (async () => {
  const s = net.createServer();
  try {
    await new Promise<void>((res, rej) => s.once('error', rej).listen(0, '::1', res));
    s.close();
    return true;
  } catch {
    return false;
  }
})();

transportContract('TCP 127.0.0.1', async () => {
  const l = await listenTcp({ host: '127.0.0.1' });
  return pairVia(l, () => connectTcp({ host: '127.0.0.1', port: l.port }));
});

describe.skipIf(!hasIpv6)('IPv6', () => {
  transportContract('TCP ::1', async () => {
    const l = await listenTcp({ host: '::1' });
    expect(l.address).toBe(`[::1]:${l.port}`);
    return pairVia(l, () => connectTcp({ host: '::1', port: l.port }));
  });
});

transportContract('TLS 127.0.0.1', async () => {
  const l = await listenTls({ host: '127.0.0.1', cert: pki.pem(pki.serverCert), key: pki.pem(pki.serverKey) });
  return pairVia(l, () => connectTls({ host: '127.0.0.1', port: l.port, ca: pki.pem(pki.caCert) }));
});

describe('node TCP specifics', () => {
  it('info has local/remote addresses and secure=false', async () => {
    const l = await listenTcp();
    const [a, b] = await pairVia(l, () => connectTcp({ host: '127.0.0.1', port: l.port }));
    expect(a.info.secure).toBe(false);
    expect(a.info.remote).toBe(`127.0.0.1:${l.port}`);
    expect(b.info.local).toBe(`127.0.0.1:${l.port}`);
    expect(b.info.remote).toBe(a.info.local);
    a.abort();
    b.abort();
  });

  it('connection refused rejects with TransportError', async () => {
    const port = await freePort();
    const err = await connectTcp({ host: '127.0.0.1', port }).catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('an aborted signal rejects with its reason before connecting', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(connectTcp({ host: '127.0.0.1', port: 1, signal: ac.signal })).rejects.toThrow('stop');
  });

  it('AbortSignal aborts a connect in progress (TLS handshake never answered)', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as net.AddressInfo;
    const started = Date.now();
    const err = await connectTls({ host: '127.0.0.1', port, ca: pki.pem(pki.caCert), signal: AbortSignal.timeout(100) }).catch((e) => e);
    expect(err.name).toBe('TimeoutError'); // AbortSignal.timeout's reason is a DOMException TimeoutError
    expect(Date.now() - started).toBeLessThan(2000);
    const err2 = await connectTls({ host: '127.0.0.1', port, ca: pki.pem(pki.caCert), timeoutMs: 100 }).catch((e) => e);
    expect(err2).toBeInstanceOf(TimeoutError);
    expect(err2.timeout).toBe('connect');
    silent.close();
  });

  it('a reset by the peer rejects `closed` with TransportError and errors the readable', async () => {
    const srv = net.createServer((s) => setTimeout(() => s.resetAndDestroy(), 20));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const t = await connectTcp({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port });
    await expect(t.closed).rejects.toBeInstanceOf(TransportError);
    await expect(t.readable.getReader().read()).rejects.toBeInstanceOf(TransportError);
    srv.close();
  });

  it('a reset by the peer before the writable was first taken: it comes errored, with the TransportError', async () => {
    const srv = net.createServer((s) => setTimeout(() => s.resetAndDestroy(), 20));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const t = await connectTcp({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port });
    await expect(t.closed).rejects.toBeInstanceOf(TransportError);
    // Made on first access (the direct path never makes it): made now, it is errored already.
    const writer = t.writable.getWriter();
    await expect(writer.ready).rejects.toBeInstanceOf(TransportError);
    await expect(writer.write(new Uint8Array(1))).rejects.toBeInstanceOf(TransportError);
    srv.close();
  });

  it('writing after the peer is gone fails with TransportError, never an unhandled error', async () => {
    const l = await listenTcp();
    const [a, b] = await pairVia(l, () => connectTcp({ host: '127.0.0.1', port: l.port }));
    b.abort();
    await a.readable.getReader().read().catch(() => {});
    const w = a.writable.getWriter();
    let error: unknown;
    for (let i = 0; i < 50 && !error; i++) {
      await w.write(new Uint8Array(64 * 1024)).catch((e) => (error = e));
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(error).toBeInstanceOf(TransportError);
    await expect(a.closed).rejects.toBeInstanceOf(TransportError);
  });

  it('TLS: connection refused rejects with TransportError', async () => {
    const port = await freePort();
    const err = await connectTls({ host: '127.0.0.1', port, ca: pki.pem(pki.caCert) }).catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('a slow reader makes the writer wait (back-pressure) with bounded memory', async () => {
    const l = await listenTcp({ readHighWaterMark: 16 * 1024 });
    const [a, b] = await pairVia(l, () => connectTcp({ host: '127.0.0.1', port: l.port }));
    const writer = a.writable.getWriter();
    const chunk = new Uint8Array(64 * 1024);
    const total = 256 * 1024 * 1024;
    let accepted = 0;
    let stop = false;
    const pump = (async () => {
      while (!stop && accepted < total) {
        await writer.ready;
        writer.write(chunk).catch(() => {});
        accepted += chunk.byteLength;
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    const stalledAt = accepted;
    const heapBefore = process.memoryUsage().arrayBuffers;
    await new Promise((r) => setTimeout(r, 300));
    // Kernel socket buffers on loopback hold a few MiB; nothing else may grow.
    expect(stalledAt).toBeLessThan(48 * 1024 * 1024);
    expect(accepted).toBe(stalledAt);
    expect(process.memoryUsage().arrayBuffers - heapBefore).toBeLessThan(8 * 1024 * 1024);
    // Now read: the writer gets going again and everything arrives.
    stop = true;
    const reading = readAll(b);
    await pump;
    await writer.close();
    expect(await reading).toBe(accepted);
    await Promise.all([a.closed, b.closed]);
  });
});

describe('graceful close against a peer that neither reads nor closes', () => {
  /** A TCP server on 127.0.0.1 whose accepted sockets are never read nor closed (until `stop`). */
  async function silentServer() {
    const accepted: net.Socket[] = [];
    const srv = net.createServer({ pauseOnConnect: true }, (s) => {
      s.on('error', () => {});
      accepted.push(s);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const stop = () => {
      for (const s of accepted) s.destroy();
      srv.close();
    };
    return { port: (srv.address() as net.AddressInfo).port, stop };
  }

  /** A connected client socket and the transport over it. */
  async function dial(port: number) {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((r, j) => socket.once('connect', r).once('error', j));
    return { socket, transport: socketTransport(socket, { secure: false }) };
  }

  const closedWithin = (socket: net.Socket, ms: number) =>
    new Promise<boolean>((resolve) => {
      if (socket.destroyed) return resolve(true);
      const timer = setTimeout(() => resolve(socket.destroyed), ms);
      socket.once('close', () => (clearTimeout(timer), resolve(true)));
    });

  it.each(['transport.close()', 'writer.close()'])('%s: FIN, then the socket is destroyed after the grace period', async (how) => {
    const server = await silentServer();
    try {
      const { socket, transport } = await dial(server.port);
      const started = performance.now();
      if (how === 'transport.close()') await transport.close();
      else await transport.writable.getWriter().close();
      expect(socket.writableFinished).toBe(true); // the FIN went out at once
      expect(socket.destroyed).toBe(false); // the peer gets its grace period
      expect(await closedWithin(socket, CLOSE_GRACE_MS + 1000)).toBe(true);
      expect(performance.now() - started).toBeGreaterThanOrEqual(CLOSE_GRACE_MS - 50);
      await transport.closed;
    } finally {
      server.stop();
    }
  });

  it('a peer that closes too ends it at once, without waiting for the grace period', async () => {
    const l = await listenTcp({ host: '127.0.0.1' });
    const [a, b] = await pairVia(l, () => connectTcp({ host: '127.0.0.1', port: l.port }));
    const started = performance.now();
    await a.close();
    await b.close();
    await Promise.all([a.closed, b.closed]);
    expect(performance.now() - started).toBeLessThan(CLOSE_GRACE_MS / 2);
  });

  it('an ACSE timeout against a server that never reads leaves no socket open (echoscu -ta)', async () => {
    const server = await silentServer();
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    try {
      const before = sockets();
      const transport = await connectTcp({ host: '127.0.0.1', port: server.port });
      const ae = new ApplicationEntity({ aeTitle: 'SCU', acseTimeoutMs: 300 }).addRequestedContext('1.2.840.10008.1.1');
      await expect(ae.associate(transport, { calledAeTitle: 'SCP' })).rejects.toThrow(/A-ASSOCIATE response/);
      // Ours and the server's accepted one; then only the server's, which never closes.
      const deadline = performance.now() + CLOSE_GRACE_MS + 3000;
      while (sockets() > before + 1 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(sockets()).toBe(before + 1);
    } finally {
      server.stop();
    }
  });
});

describe('listener', () => {
  it('close() ends the iteration and refuses new connections', async () => {
    const l = await listenTcp();
    const accepted: Transport[] = [];
    const iterated = (async () => {
      for await (const t of l) accepted.push(t);
    })();
    const c = await connectTcp({ host: '127.0.0.1', port: l.port });
    await new Promise((r) => setTimeout(r, 50));
    await l.close();
    await iterated;
    expect(accepted).toHaveLength(1);
    c.abort();
    accepted[0]!.abort();
    await expect(connectTcp({ host: '127.0.0.1', port: l.port })).rejects.toBeInstanceOf(TransportError);
  });

  it('connections beyond maxPending are closed at once', async () => {
    const l = await listenTcp({ maxPending: 2 });
    const clients = await Promise.all([0, 1, 2, 3].map(() => connectTcp({ host: '127.0.0.1', port: l.port })));
    const ends = await Promise.all(
      clients.map((c) =>
        Promise.race([
          c.readable.getReader().read().then(() => 'closed', () => 'closed'),
          new Promise((r) => setTimeout(() => r('open'), 300)),
        ]),
      ),
    );
    expect(ends.filter((e) => e === 'closed')).toHaveLength(2);
    clients.forEach((c) => c.abort());
    await l.close();
  });

  it('reports a port already in use as TransportError', async () => {
    const l = await listenTcp();
    await expect(listenTcp({ port: l.port })).rejects.toBeInstanceOf(TransportError);
    await l.close();
  });
});

describe('TLS certificates', () => {
  const serverOpts = () => ({ cert: pki.pem(pki.serverCert), key: pki.pem(pki.serverKey) });

  it('info.secure is true and mutual TLS works', async () => {
    const l = await listenTls({ ...serverOpts(), ca: pki.pem(pki.caCert), requestCert: true });
    const [a, b] = await pairVia(l, () =>
      connectTls({ host: 'localhost', port: l.port, ca: pki.pem(pki.caCert), cert: pki.pem(pki.clientCert), key: pki.pem(pki.clientKey) }),
    );
    expect(a.info.secure && b.info.secure).toBe(true);
    a.abort();
    b.abort();
  });

  it('an untrusted server certificate is refused (L-02)', async () => {
    const l = await listenTls({ cert: pki.pem(pki.strangerCert), key: pki.pem(pki.strangerKey) });
    const err = await connectTls({ host: '127.0.0.1', port: l.port, ca: pki.pem(pki.caCert) }).catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    await l.close();
  });

  it('a name mismatch is refused (L-03)', async () => {
    const l = await listenTls(serverOpts());
    const err = await connectTls({ host: '127.0.0.1', port: l.port, ca: pki.pem(pki.caCert), servername: 'other.example' }).catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.message).toMatch(/other\.example|altnames|ERR_TLS_CERT/i);
    await l.close();
  });

  it('a client without a certificate never reaches the consumer when one is required (L-01)', async () => {
    const errors: Error[] = [];
    const l = await listenTls({ ...serverOpts(), ca: pki.pem(pki.caCert), requestCert: true, onHandshakeError: (e) => errors.push(e) });
    let accepted = 0;
    void (async () => {
      for await (const t of l) {
        accepted++;
        t.abort();
      }
    })();
    // With TLS 1.3 the client may finish its side before the server's alert arrives.
    const client = await connectTls({ host: '127.0.0.1', port: l.port, ca: pki.pem(pki.caCert) }).catch((e) => e);
    if (!(client instanceof Error)) await client.closed.catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    expect(accepted).toBe(0);
    expect(errors.length).toBeGreaterThan(0);
    await l.close();
  });

  it('plaintext to the TLS port is dropped (L-05) and a stalled handshake times out (T-09)', async () => {
    const errors: Error[] = [];
    const l = await listenTls({ ...serverOpts(), handshakeTimeoutMs: 200, onHandshakeError: (e) => errors.push(e) });
    const plain = await connectTcp({ host: '127.0.0.1', port: l.port });
    const w = plain.writable.getWriter();
    await w.write(new Uint8Array([0x01, 0x00, 0x00, 0x00, 0x00, 0x10, 0, 1, 0, 0]));
    await readAll(plain).catch(() => 0);
    const silent = await connectTcp({ host: '127.0.0.1', port: l.port });
    const started = Date.now();
    await readAll(silent).catch(() => 0);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(errors.length).toBe(2);
    await l.close();
  });
});

