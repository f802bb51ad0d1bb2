/**
 * One WebSocket ⇄ one TCP (or TLS) connection, with back-pressure both ways and teardown that
 * tells each side what happened to the other (reliability.md W-04, W-08..W-13):
 *
 * | event                         | other side                                   |
 * |-------------------------------|----------------------------------------------|
 * | WS close 1000/1001/1005       | TCP end (FIN) after pending writes           |
 * | WS close other / dropped      | TCP reset (RST), so the DICOM peer sees an error |
 * | WS text message               | WS close 1003, TCP reset                     |
 * | WS message > maxPayload       | WS close 1009 (by `ws`), TCP reset           |
 * | TCP end (FIN)                 | WS close 1000 after pending sends            |
 * | TCP error / RST               | WS close 1011 with the error code            |
 * | TCP connect refused / timeout | WS close 1014 (bad gateway) with a reason    |
 * | no traffic for idleTimeoutMs  | WS close 1001, TCP destroyed                 |
 */
import net from 'node:net';
import tls from 'node:tls';
import type { WebSocket } from 'ws';
import type { ProxyTarget, ResolvedProxyOptions } from './options';
import { socketReclaimer } from '../node/reclaim';

/** A running bridge, as the proxy sees it. */
export interface Bridge {
  /** Settles once both the WebSocket and the TCP socket are closed. */
  readonly done: Promise<void>;
  /** Closes both sides (proxy shutdown). */
  shutdown(): void;
}

/** WebSocket close reasons are limited to 123 bytes (RFC 6455 §5.5). */
function reason(text: string): string {
  return Buffer.byteLength(text) <= 123 ? text : `${text.slice(0, 110)}…`;
}

/** The largest message the bridge makes of TCP input it joins. */
const MAX_MESSAGE_BYTES = 1024 * 1024;

/** Connects to `target` and pipes bytes between it and `ws` until either side ends. */
export function bridge(ws: WebSocket, target: ProxyTarget & { name: string }, id: number, options: ResolvedProxyOptions): Bridge {
  const { log, highWaterMark } = options;
  const label = `#${id} '${target.name}'`;
  let connected = false;
  let tcpPaused = false;
  let wsPausedForDrain = false;
  // Nothing from the browser is read until the peer is connected: no unbounded early buffer.
  ws.pause();

  const socket: net.Socket = target.tls
    ? tls.connect({ servername: net.isIP(target.host) ? undefined : target.host, ...target.tls, host: target.host, port: target.port })
    : net.connect({ host: target.host, port: target.port, noDelay: true });
  socket.setTimeout(options.connectTimeoutMs);

  // What TCP gives in one turn of the event loop (up to 32 reads of 64 KiB) leaves as one message:
  // a browser pays per message (an IPC hop, an event and an ArrayBuffer each).
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    if (pendingBytes === 0) return;
    const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (ws.readyState !== ws.OPEN) return;
    ws.send(data, { binary: true }, afterSend);
    // A slow browser: stop reading TCP, so the PACS is throttled by TCP flow control instead.
    if (ws.bufferedAmount > highWaterMark && !tcpPaused) {
      tcpPaused = true;
      socket.pause();
    }
  };
  const closeWs = (code: number, text: string) => {
    flush(); // what the peer sent before it closed or failed still reaches the browser, first
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
      log(`${label}: closing WebSocket ${code} ${text}`);
      ws.close(code, reason(text));
      // A paused WebSocket would never read the client's close reply (and hang for closeTimeout).
      ws.resume();
    }
  };
  const resetTcp = () => {
    try {
      // RST for plain TCP; TLS sockets have no TCP handle to reset.
      if (!target.tls && connected && !socket.destroyed) socket.resetAndDestroy();
      else socket.destroy();
    } catch {
      socket.destroy();
    }
  };

  socket.once(target.tls ? 'secureConnect' : 'connect', () => {
    connected = true;
    log(`${label}: connected to the peer`);
    socket.setTimeout(options.idleTimeoutMs);
    if (ws.readyState === ws.OPEN) ws.resume();
    else socket.destroy(); // the browser left while we were connecting
  });
  socket.on('data', (chunk: Buffer) => {
    socketReclaimer.note(chunk.byteLength); // relayed, then garbage (see reclaim.ts)
    if (ws.readyState !== ws.OPEN) return;
    pending.push(chunk);
    pendingBytes += chunk.byteLength;
    if (pendingBytes >= MAX_MESSAGE_BYTES) flush();
    else if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  });
  function afterSend(): void {
    if (tcpPaused && ws.bufferedAmount <= highWaterMark / 2) {
      tcpPaused = false;
      socket.resume();
    }
  }
  socket.on('end', () => closeWs(1000, 'the DICOM peer closed the connection'));
  socket.on('timeout', () => {
    if (connected) closeWs(1001, `idle for ${options.idleTimeoutMs} ms`);
    else closeWs(1014, `'${target.name}' did not answer within ${options.connectTimeoutMs} ms`);
    socket.destroy();
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    const code = err.code ?? err.message;
    if (connected) closeWs(1011, `connection to '${target.name}' failed: ${code}`);
    else closeWs(1014, `cannot reach '${target.name}': ${code}`);
  });
  const tcpClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  void tcpClosed.then(() => closeWs(1011, `connection to '${target.name}' lost`));

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) {
      closeWs(1003, 'binary messages only');
      resetTcp();
      return;
    }
    if (socket.destroyed) return;
    socketReclaimer.note(data.byteLength);
    // A slow PACS: stop reading the WebSocket until TCP drains (the browser's bufferedAmount grows).
    if (!socket.write(data) && !wsPausedForDrain) {
      wsPausedForDrain = true;
      ws.pause();
      socket.once('drain', () => {
        wsPausedForDrain = false;
        if (ws.readyState === ws.OPEN) ws.resume();
      });
    }
  });
  ws.on('error', (err) => log(`${label}: WebSocket error: ${err.message}`));
  const wsClosed = new Promise<void>((resolve) => {
    ws.once('close', (code: number, why: Buffer) => {
      log(`${label}: WebSocket closed ${code} ${why.toString()}`);
      if (code === 1000 || code === 1001 || code === 1005) {
        if (connected) socket.end();
        else socket.destroy();
      } else resetTcp();
      resolve();
    });
  });

  return {
    done: Promise.all([wsClosed, tcpClosed]).then(() => undefined),
    shutdown() {
      closeWs(1001, 'proxy shutting down');
      socket.destroy();
      // A peer that never answers the close frame must not hold the shutdown.
      setTimeout(() => ws.terminate(), 1000).unref();
    },
  };
}
