/**
 * A Node server (net or tls) as the core's {@link Listener}: an async iterable of inbound
 * transports with a bounded queue of accepted-but-not-yet-taken connections.
 */
import type { Server, Socket } from 'node:net';
import { TransportError } from '../../src/errors';
import type { Listener, Transport } from '../../src/transport';
import { formatAddress } from './socket-transport';

/** A {@link Listener} bound to a Node server. */
export interface NodeListener extends Listener {
  /** The bound port (useful when listening on port 0). */
  readonly port: number;
  /** The bound host, e.g. `127.0.0.1` or `::1`. */
  readonly host: string;
}

/** Bind and port options shared by TCP and TLS listeners. */
export interface ListenBindOptions {
  host?: string;
  port?: number;
  maxPending?: number;
}

const DEFAULT_MAX_PENDING = 128;

/**
 * Starts `server` listening and adapts its `event` ('connection' or 'secureConnection') into an
 * async iterable. Accepted sockets wait in a queue of at most `maxPending`; excess ones are
 * destroyed at once so a connection flood cannot grow memory (reliability.md C-06).
 * Only one iterator may be active; ending it early (break) closes the listener.
 */
export function acceptLoop(
  server: Server,
  event: 'connection' | 'secureConnection',
  options: ListenBindOptions,
  wrap: (socket: Socket) => Transport,
): Promise<NodeListener> {
  const { host = '127.0.0.1', port = 0, maxPending = DEFAULT_MAX_PENDING } = options;
  const queue: Transport[] = [];
  let waiter: ((r: IteratorResult<Transport>) => void) | null = null;
  let closed = false;
  let iterating = false;

  server.on(event, (socket: Socket) => {
    socket.setNoDelay?.(true);
    if (closed || (queue.length >= maxPending && !waiter)) {
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    const transport = wrap(socket);
    if (waiter) {
      const w = waiter;
      waiter = null;
      w({ value: transport, done: false });
    } else queue.push(transport);
  });

  const close = async () => {
    if (closed) return;
    closed = true;
    // Stop accepting; server.close()'s callback waits for every connection, so don't await it.
    server.close();
    for (const t of queue.splice(0)) t.abort();
    if (waiter) {
      const w = waiter;
      waiter = null;
      w({ value: undefined, done: true });
    }
  };

  return new Promise<NodeListener>((resolve, reject) => {
    const onListenError = (err: Error) =>
      reject(new TransportError(`listen on ${formatAddress(host, port)} failed: ${err.message}`, { cause: err }));
    server.once('error', onListenError);
    server.listen({ host, port }, () => {
      server.removeListener('error', onListenError);
      // Errors after listening (e.g. EMFILE on accept) must not crash the process.
      server.on('error', () => {});
      const bound = server.address();
      const boundHost = typeof bound === 'object' && bound ? bound.address : host;
      const boundPort = typeof bound === 'object' && bound ? bound.port : port;
      resolve({
        host: boundHost,
        port: boundPort,
        address: formatAddress(boundHost, boundPort)!,
        close,
        [Symbol.asyncIterator](): AsyncIterator<Transport> {
          if (iterating) throw new TransportError('listener is already being iterated');
          iterating = true;
          return {
            next() {
              const t = queue.shift();
              if (t) return Promise.resolve({ value: t, done: false });
              if (closed) return Promise.resolve({ value: undefined, done: true });
              return new Promise((r) => (waiter = r));
            },
            async return() {
              await close();
              return { value: undefined, done: true };
            },
          };
        },
      });
    });
  });
}
