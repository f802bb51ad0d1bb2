/**
 * The WebSocket transport over the `ws` package, whose send() does not always copy: with
 * permessage-deflate zlib reads the bytes later, and its server side writes them unmasked, by
 * reference until the kernel takes them. Bytes the transport reuses (the fast path's glue buffer)
 * or the caller reuses (a chunk written through `writable`) must still arrive as they were sent.
 * Loopback (127.0.0.1) only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { websocketTransport } from '../../adapters/websocket/websocket-transport';
import type { WebSocketLike } from '../../adapters/websocket/websocket-like';
import { ApplicationEntity } from '../../src/ae';
import { concat, pattern, sha256 } from '../helpers/bytes';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const MiB = 1024 * 1024;

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate();
    await new Promise((r) => s.close(r));
  }
});

/** A `ws` server and a `ws` client connected to it, both with or without permessage-deflate. */
async function connected(deflate: boolean, generateMask?: (mask: Buffer) => void): Promise<{ client: WebSocket; server: WebSocket }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: deflate });
  servers.push(wss);
  await new Promise((r) => wss.once('listening', r));
  const accepted = new Promise<WebSocket>((r) => wss.once('connection', r));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, { perMessageDeflate: deflate, ...(generateMask && { generateMask }) });
  await new Promise((r, j) => client.once('open', r).once('error', j));
  const server = await accepted;
  client.binaryType = server.binaryType = 'arraybuffer';
  if (deflate) expect(client.extensions).toContain('permessage-deflate');
  return { client, server };
}

/** Collects the bytes `ws` receives until `total` have come. */
function receive(ws: WebSocket, total: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let got = 0;
  return new Promise((resolve) =>
    ws.on('message', (data: ArrayBuffer) => {
      parts.push(new Uint8Array(data));
      got += data.byteLength;
      if (got >= total) resolve(concat(parts));
    }),
  );
}

/** `data` written through `write` in 10 000-byte pieces of one buffer, refilled for each piece (as a sender reuses its buffers). */
async function writeReusing(data: Uint8Array, write: (piece: Uint8Array) => void | Promise<void>): Promise<void> {
  const buffer = new Uint8Array(10_000);
  for (let at = 0; at < data.byteLength; at += buffer.byteLength) {
    const piece = buffer.subarray(0, Math.min(buffer.byteLength, data.byteLength - at));
    piece.set(data.subarray(at, at + piece.byteLength));
    await write(piece);
  }
}

describe('WebSocket transport over `ws`: what send() keeps is never overwritten', () => {
  const data = pattern(4 * MiB, 7);

  it('fast path, client with permessage-deflate: the glued messages arrive intact', async () => {
    const { client, server } = await connected(true);
    const arrived = receive(server, data.byteLength);
    const { direct } = websocketTransport(client as unknown as WebSocketLike, 'ws://127.0.0.1/deflate');
    await writeReusing(data, (piece) => direct!.write([piece.subarray(0, 6), piece.subarray(6)]));
    expect(sha256(await arrived)).toBe(sha256(data));
  });

  it('writable, client with permessage-deflate: a chunk reused once its write resolved arrives as written', async () => {
    const { client, server } = await connected(true);
    const arrived = receive(server, data.byteLength);
    const writer = websocketTransport(client as unknown as WebSocketLike, 'ws://127.0.0.1/deflate').writable.getWriter();
    await writeReusing(data, (piece) => writer.write(piece));
    expect(sha256(await arrived)).toBe(sha256(data));
  });

  it('fast path, server side without extensions, to a client that reads late: the messages arrive intact', async () => {
    const { client, server } = await connected(false);
    // The client stops reading for a while, so the server's socket cannot take the bytes at once.
    const raw = (client as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause();
    setTimeout(() => raw.resume(), 300);
    // More than loopback's socket buffers hold (a few MiB), so that some bytes wait in Node's.
    const big = pattern(16 * MiB, 9);
    const arrived = receive(client, big.byteLength);
    const { direct } = websocketTransport(server as unknown as WebSocketLike, 'ws://127.0.0.1/server');
    await writeReusing(big, (piece) => direct!.write([piece]));
    expect(sha256(await arrived)).toBe(sha256(big));
  });

  it('fast path, client without extensions, whose masks are all zeros (ws then sends by reference), to a server that reads late: the messages arrive intact', async () => {
    // An all-zero mask (an application's generateMask here; once in 2^32 messages with ws's own
    // random masks) makes a ws client write the bytes unmasked, by reference, like its server side.
    const { client, server } = await connected(false, (m: Buffer) => m.fill(0));
    const raw = (server as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause();
    const resume = setTimeout(() => raw.resume(), 300);
    try {
      const big = pattern(16 * MiB, 11);
      const arrived = receive(server, big.byteLength);
      const { direct } = websocketTransport(client as unknown as WebSocketLike, 'ws://127.0.0.1/client');
      await writeReusing(big, (piece) => direct!.write([piece.subarray(0, 6), piece.subarray(6)]));
      // Bytes were still queued when the glue buffer was reused: the case this test is about.
      expect((client as unknown as { _socket: { writableLength: number } })._socket.writableLength).toBeGreaterThan(0);
      expect(sha256(await arrived)).toBe(sha256(big));
    } finally {
      clearTimeout(resume);
      raw.resume();
    }
  });

  it('a C-STORE between two transports over `ws` with permessage-deflate stores the data set unchanged', async () => {
    const { client, server } = await connected(true);
    let stored = '';
    const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(CT, [EXPLICIT]);
    const served = scp.handle(websocketTransport(server as unknown as WebSocketLike, 'ws://127.0.0.1/scp'), {
      cStore: async (request) => {
        stored = sha256(await request.bytes());
        return 0;
      },
    });
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(CT, [EXPLICIT]);
    const association = await scu.associate(websocketTransport(client as unknown as WebSocketLike, 'ws://127.0.0.1/scu'), { calledAeTitle: 'SCP' });
    // One OB element holding the pattern: (7FE0,0010) OB, 4-byte length.
    const dataset = new Uint8Array(12 + data.byteLength);
    dataset.set([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0]);
    new DataView(dataset.buffer).setUint32(8, data.byteLength, true);
    dataset.set(data, 12);
    const response = await association.cStore({ sopClassUid: CT, sopInstanceUid: '1.2.3.4', transferSyntaxUid: EXPLICIT, data: dataset });
    expect(response.status).toBe(0);
    await association.release();
    await served;
    expect(stored).toBe(sha256(dataset));
  });
});
