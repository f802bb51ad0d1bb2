/**
 * Plain TCP for DICOM (PS3.8 §9.1): a dialer and a listener over `node:net`.
 */
import net from 'node:net';
import type { Listener, Transport } from '../../src/transport';
import { describeTarget, waitConnected, type DialOptions } from './connect';
import { LentReads, lendingServerSocket } from './lent-reads';
import { acceptLoop, type NodeListener } from './listener';
import { socketTransport, type SocketTransportOptions } from './socket-transport';

/** Options for {@link connectTcp}. */
export interface TcpConnectOptions extends DialOptions, Omit<SocketTransportOptions, 'secure' | 'lentReads'> {
  host: string;
  port: number;
  /** Disable Nagle's algorithm. Default true: DICOM is request/response and small PDUs must not wait. */
  noDelay?: boolean;
  /**
   * Read into reused buffers (default true): see lent-reads.ts. Input then costs no allocation
   * per read; false reads into new memory per read, as Node does by default.
   */
  reuseReadBuffers?: boolean;
}

/** Options for {@link listenTcp}. */
export interface TcpListenOptions extends Omit<SocketTransportOptions, 'secure' | 'lentReads'> {
  /** Address to bind. Default '127.0.0.1' (loopback only; pass '::' or '0.0.0.0' to expose). */
  host?: string;
  /** Port to bind. Default 0 (a free port; read it from `listener.port`). */
  port?: number;
  /** Connections accepted but not yet taken by the consumer; beyond this they are closed at once. Default 128. */
  maxPending?: number;
  /** Disable Nagle's algorithm on accepted sockets. Default true. */
  noDelay?: boolean;
  /**
   * Read accepted connections into reused buffers (default true): see lent-reads.ts. Node offers
   * that only on client sockets, so each accepted socket is re-created around its handle (Node
   * internals, checked; when they are not as expected the socket is used as accepted).
   */
  reuseReadBuffers?: boolean;
}

/** Opens a TCP connection and returns it as a {@link Transport}. */
export async function connectTcp(options: TcpConnectOptions): Promise<Transport> {
  const { host, port, noDelay = true, reuseReadBuffers = true } = options;
  const lentReads = reuseReadBuffers ? new LentReads() : undefined;
  const socket = net.connect({ host, port, noDelay, ...(lentReads && { onread: lentReads.onread }) });
  await waitConnected(socket, 'connect', describeTarget(host, port), options);
  return socketTransport(socket, { ...options, secure: false, lentReads });
}

/** Binds a TCP server; iterate the result for inbound transports. */
export function listenTcp(options: TcpListenOptions = {}): Promise<NodeListener> {
  const { noDelay = true, reuseReadBuffers = true } = options;
  const server = net.createServer({ noDelay, pauseOnConnect: true });
  return acceptLoop(server, 'connection', options, (accepted) => {
    const lending = reuseReadBuffers ? lendingServerSocket(accepted) : null;
    if (!lending) return socketTransport(accepted, { ...options, secure: false });
    lending.socket.setNoDelay(noDelay);
    return socketTransport(lending.socket, { ...options, secure: false, lentReads: lending.reads });
  });
}

export type { Listener };
