/**
 * DICOM over TLS (PS3.15 Annex B "BCP 195 RFC 8996" profiles: TLS 1.2 or newer) over `node:tls`.
 * PS3.8 §9.1.1 leaves certificate policy to the application, so every knob is an option; the
 * defaults are the strict ones (verify the peer, TLS ≥ 1.2).
 */
import net from 'node:net';
import type tls from 'node:tls';
import type { Transport } from '../../src/transport';
import { describeTarget, waitConnected, type DialOptions } from './connect';
import { acceptLoop, type NodeListener } from './listener';
import { socketTransport, type SocketTransportOptions } from './socket-transport';

type Pem = tls.SecureContextOptions['cert'];

/** Options for {@link connectTls}. */
export interface TlsConnectOptions extends DialOptions, Omit<SocketTransportOptions, 'secure'> {
  host: string;
  port: number;
  /** Trusted CA certificate(s), PEM. Default: Node's bundled roots. */
  ca?: Pem;
  /** Our certificate (chain), PEM, for servers that require client certificates. */
  cert?: Pem;
  /** Our private key, PEM. */
  key?: tls.SecureContextOptions['key'];
  /** Name to send in SNI and to check the certificate against. Default: `host` when it is a name (IPs are checked against IP SANs). */
  servername?: string;
  /** Verify the server certificate. Default true; turning it off defeats TLS against an active attacker. */
  rejectUnauthorized?: boolean;
  /** Lowest TLS version. Default 'TLSv1.2' (RFC 8996 deprecates 1.0/1.1). */
  minVersion?: tls.SecureVersion;
  /** Disable Nagle's algorithm. Default true. */
  noDelay?: boolean;
}

/** Options for {@link listenTls}. */
export interface TlsListenOptions extends Omit<SocketTransportOptions, 'secure'> {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Accepted-but-not-taken connections; excess ones are closed. Default 128. */
  maxPending?: number;
  /** Our certificate (chain), PEM. */
  cert: Pem;
  /** Our private key, PEM. */
  key: tls.SecureContextOptions['key'];
  /** CA(s) trusted for client certificates. */
  ca?: Pem;
  /** Ask clients for a certificate. Default false. */
  requestCert?: boolean;
  /** With `requestCert`, refuse clients without a valid certificate. Default true (only matters with requestCert). */
  rejectUnauthorized?: boolean;
  /** Lowest TLS version. Default 'TLSv1.2'. */
  minVersion?: tls.SecureVersion;
  /** Drop connections that have not finished the handshake after this long (ms). Default 30000 (Node's 120 s is too long; reliability.md T-09). */
  handshakeTimeoutMs?: number;
  /** Told about failed handshakes (bad certificate, plaintext on the TLS port, timeout). */
  onHandshakeError?: (error: Error, remote: string | undefined) => void;
}

/** node:tls, loaded when first used: importing it costs ~12 ms of every CLI start, most of which never use TLS. */
const loadTls = async () => (await import('node:tls')).default;

/** Opens a TLS connection and returns it as a {@link Transport} (`info.secure` is true). */
export async function connectTls(options: TlsConnectOptions): Promise<Transport> {
  const { host, port, noDelay = true, rejectUnauthorized = true, minVersion = 'TLSv1.2' } = options;
  const servername = options.servername ?? (net.isIP(host) ? undefined : host);
  const tls = await loadTls();
  // Our own TCP socket under TLS, so abort() can reset it (a TLSSocket cannot send RST itself).
  const tcpSocket = net.connect({ host, port, noDelay });
  tcpSocket.on('error', () => {}); // reported through the TLS socket
  const socket = tls.connect({
    socket: tcpSocket,
    host,
    port,
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    servername,
    rejectUnauthorized,
    minVersion,
  });
  try {
    await waitConnected(socket, 'secureConnect', describeTarget(host, port), options);
  } catch (error) {
    tcpSocket.destroy();
    throw error;
  }
  return socketTransport(socket, { ...options, secure: true, tcpSocket });
}

/** Binds a TLS server; iterate the result for inbound transports (handshake already done). */
export async function listenTls(options: TlsListenOptions): Promise<NodeListener> {
  const tls = await loadTls();
  const server = tls.createServer({
    cert: options.cert,
    key: options.key,
    ca: options.ca,
    requestCert: options.requestCert ?? false,
    rejectUnauthorized: options.rejectUnauthorized ?? true,
    minVersion: options.minVersion ?? 'TLSv1.2',
    handshakeTimeout: options.handshakeTimeoutMs ?? 30000,
  });
  // A failed handshake never reaches the consumer; without a listener Node would just destroy it.
  server.on('tlsClientError', (err, socket) => {
    options.onHandshakeError?.(err, socket.remoteAddress);
    socket.destroy();
  });
  return acceptLoop(server, 'secureConnection', options, (socket) =>
    // `_parent` is the accepted TCP socket under the TLS one (undocumented but long-standing); used only for RST.
    socketTransport(socket, { ...options, secure: true, tcpSocket: (socket as { _parent?: net.Socket })._parent }),
  );
}
