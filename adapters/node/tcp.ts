/**
 * Plain TCP for DICOM (PS3.8 §9.1): a dialer and a listener over `node:net`.
 */
import net from 'node:net';
import type { Listener, Transport } from '../../src/transport';
import { describeTarget, waitConnected, type DialOptions } from './connect';
import { acceptLoop, type NodeListener } from './listener';
import { socketTransport, type SocketTransportOptions } from './socket-transport';

/** Options for {@link connectTcp}. */
export interface TcpConnectOptions extends DialOptions, Omit<SocketTransportOptions, 'secure'> {
  host: string;
  port: number;
  /** Disable Nagle's algorithm. Default true: DICOM is request/response and small PDUs must not wait. */
  noDelay?: boolean;
}

/** Options for {@link listenTcp}. */
export interface TcpListenOptions extends Omit<SocketTransportOptions, 'secure'> {
  /** Address to bind. Default '127.0.0.1' (loopback only; pass '::' or '0.0.0.0' to expose). */
  host?: string;
  /** Port to bind. Default 0 (a free port; read it from `listener.port`). */
  port?: number;
  /** Connections accepted but not yet taken by the consumer; beyond this they are closed at once. Default 128. */
  maxPending?: number;
  /** Disable Nagle's algorithm on accepted sockets. Default true. */
  noDelay?: boolean;
}

/** Opens a TCP connection and returns it as a {@link Transport}. */
export async function connectTcp(options: TcpConnectOptions): Promise<Transport> {
  const { host, port, noDelay = true } = options;
  const socket = net.connect({ host, port, noDelay });
  await waitConnected(socket, 'connect', describeTarget(host, port), options);
  return socketTransport(socket, { ...options, secure: false });
}

/** Binds a TCP server; iterate the result for inbound transports. */
export function listenTcp(options: TcpListenOptions = {}): Promise<NodeListener> {
  const { noDelay = true } = options;
  const server = net.createServer({ noDelay, pauseOnConnect: true });
  return acceptLoop(server, 'connection', options, (socket) => socketTransport(socket, { ...options, secure: false }));
}

export type { Listener };
