/**
 * Helpers for the WebSocket transport and proxy tests: a `ws` client class that sends an Origin,
 * raw HTTP upgrade requests (so paths reach the proxy byte-for-byte, unnormalised), a sentinel
 * TCP listener that counts connections, and a free port.
 */
import net from 'node:net';
import { WebSocket } from 'ws';
import type { WebSocketConstructor } from '../../adapters/websocket/index';

/** The Origin the tests' page would have. */
export const TEST_ORIGIN = 'http://app.test';

/** `ws`'s client class with a fixed Origin header, shaped like the browser's constructor. */
export function wsWithOrigin(origin: string | undefined = TEST_ORIGIN): WebSocketConstructor {
  class OriginWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, origin === undefined ? {} : { origin });
    }
  }
  return OriginWebSocket as unknown as WebSocketConstructor;
}

/**
 * Sends a WebSocket upgrade for `target` exactly as given and returns the status code (101 on
 * success). The socket is closed afterwards.
 */
export async function rawUpgrade(port: number, target: string, headers: Record<string, string | undefined> = {}): Promise<number> {
  const all: Record<string, string | undefined> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    Origin: TEST_ORIGIN,
    ...headers,
  };
  const head = Object.entries(all)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  socket.write(`GET ${target} HTTP/1.1\r\n${head}\r\n`);
  const statusLine = await new Promise<string>((resolve, reject) => {
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.includes('\r\n')) resolve(text.slice(0, text.indexOf('\r\n')));
    });
    socket.on('close', () => reject(new Error(`closed without a status line for ${target}`)));
  });
  socket.destroy();
  return Number(statusLine.split(' ')[1]);
}

/** A TCP listener on 127.0.0.1 that only counts connections (and closes them). */
export async function sentinel(): Promise<{ port: number; count: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    count: () => connections,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** Resolves with the close code and reason of a `ws` client. */
export function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
}

/** Opens a `ws` client and waits for 'open'. */
export async function openWs(url: string, options: { origin?: string; protocol?: string } = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, options.protocol ?? 'binary', { origin: options.origin ?? TEST_ORIGIN });
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('close', () => reject(new Error('closed before open')));
  });
  return ws;
}
