/**
 * The WebSocket-to-TCP proxy server: every request passes the gate (Host, target path, Origin,
 * subprotocol, connection limit) before the upgrade, then each WebSocket is bridged to one TCP
 * connection to the target it named. Optionally serves static files on the same port.
 */
import http, { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { bridge, type Bridge } from './bridge';
import { BINARY_SUBPROTOCOL, checkHost, checkUpgrade } from './gate';
import { isLoopback, loopbackHosts, resolveProxyOptions, type DicomProxyOptions } from './options';
import { serveStatic } from './static-files';

/** A running proxy. */
export interface DicomProxy {
  /** `host:port` the proxy listens on. */
  readonly address: string;
  /** The bound port. */
  readonly port: number;
  /** Base URL for pages and WebSockets, e.g. `http://127.0.0.1:8080` (append the target path, with ws:). */
  readonly url: string;
  /** Open bridges right now. */
  readonly connections: number;
  /** Stops listening (if the proxy owns the server), closes every bridge and waits for them. */
  close(): Promise<void>;
}

/** Writes a plain HTTP refusal on a socket that asked to upgrade, then closes it. */
function refuse(socket: Duplex, status: number, message: string): void {
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** Starts the listening server (when the proxy owns it) and reads back the bound address. */
async function listen(server: Server, owned: boolean, host: string, port: number): Promise<AddressInfo> {
  if (owned) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
  } else if (!server.listening) {
    await new Promise<void>((resolve) => server.once('listening', resolve));
  }
  return server.address() as AddressInfo;
}

/**
 * Creates a WebSocket-to-TCP proxy for DICOM: `ws://HOST:PORT/pacs` reaches the peer configured
 * as `targets['/pacs']`, and nothing else is reachable (an open proxy would be an SSRF hole).
 *
 * @example
 * const proxy = await createDicomProxy({ targets: { '/pacs': { host: '127.0.0.1', port: 11112 } }, port: 8080 });
 */
export async function createDicomProxy(options: DicomProxyOptions): Promise<DicomProxy> {
  const host = options.host ?? '127.0.0.1';
  const resolved = resolveProxyOptions(options); // validates before binding
  const owned = !options.server;
  const server = options.server ?? http.createServer();
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false, // W-07: no compression, no amplification
    maxPayload: resolved.maxPayload,
    clientTracking: false,
    handleProtocols: (protocols) => (protocols.has(BINARY_SUBPROTOCOL) ? BINARY_SUBPROTOCOL : false),
  });
  const bridges = new Set<Bridge>();
  let nextId = 0;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {}); // a client that vanishes mid-handshake is not our error
    const decision = checkUpgrade(req.url, req.headers, resolved);
    if (!decision.ok) {
      resolved.log(`refused ${req.url ?? ''} from ${req.socket.remoteAddress}: ${decision.status} ${decision.message}`);
      return refuse(socket, decision.status, decision.message);
    }
    if (bridges.size >= resolved.maxConnections) return refuse(socket, 503, 'too many connections, try again later');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const b = bridge(ws, decision.target, ++nextId, resolved);
      bridges.add(b);
      void b.done.then(() => bridges.delete(b));
    });
  };
  const onRequest = (req: IncomingMessage, res: http.ServerResponse) => {
    const hostProblem = checkHost(req.headers, resolved);
    if (hostProblem) return void res.writeHead(403, { 'content-type': 'text/plain' }).end(`${hostProblem}\n`);
    if (resolved.staticDirs.length > 0) return serveStatic(resolved.staticDirs, req, res);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  };

  server.on('upgrade', onUpgrade);
  if (owned) server.on('request', onRequest);
  let bound: AddressInfo;
  try {
    bound = await listen(server, owned, host, options.port ?? 0);
  } catch (error) {
    server.removeListener('upgrade', onUpgrade);
    throw error;
  }
  // W-03: a loopback-bound proxy answers only to loopback Host names (DNS rebinding).
  if (!options.allowedHosts && isLoopback(bound.address)) resolved.allowedHosts = loopbackHosts(bound.port);
  const address = bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;

  return {
    address,
    port: bound.port,
    url: `http://${address}`,
    get connections() {
      return bridges.size;
    },
    async close() {
      server.removeListener('upgrade', onUpgrade);
      const closing = owned ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
      if (owned) server.closeAllConnections();
      const done = [...bridges].map((b) => (b.shutdown(), b.done));
      await Promise.all(done);
      wss.close();
      await closing;
    },
  };
}
