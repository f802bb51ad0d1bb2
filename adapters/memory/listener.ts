/**
 * An in-memory server socket: `connect()` hands one end of a fresh memory pair to the
 * listener's iteration and returns the other, so SCP code can be tested without ports.
 */
import { TransportError } from '../../src/errors';
import type { Listener, Transport } from '../../src/transport';
import { createMemoryPair, type MemoryPairOptions, type MemoryTransport } from './pair';

/** What {@link createMemoryListener} returns. */
export interface MemoryListener {
  /** Yields the accepting end of every connection made with `connect()`. */
  readonly listener: Listener;
  /**
   * Opens a connection and returns the connecting end. Throws a TransportError
   * ("connection refused") once the listener is closed. `names` defaults to
   * `[client address, listener address]`.
   */
  connect(options?: MemoryPairOptions): Transport;
}

/** Options for {@link createMemoryListener}. */
export interface MemoryListenerOptions {
  /** Reported as `listener.address` and as the accepting side's `info.local`. Default `memory:listener`. */
  readonly address?: string;
}

/** Creates a listener plus a `connect()` that dials it. */
export function createMemoryListener(options: MemoryListenerOptions = {}): MemoryListener {
  const address = options.address ?? 'memory:listener';
  const pending: MemoryTransport[] = [];
  const waiting: Array<(result: IteratorResult<Transport>) => void> = [];
  let closed = false;
  let connections = 0;

  const listener: Listener = {
    address,
    async close() {
      if (closed) return;
      closed = true;
      // Connections nobody accepted yet are refused, like a socket backlog on close.
      for (const t of pending.splice(0)) t.abort(new TransportError('listener closed'));
      for (const w of waiting.splice(0)) w({ done: true, value: undefined });
    },
    [Symbol.asyncIterator](): AsyncIterator<Transport> {
      return {
        next: () => {
          const ready = pending.shift();
          if (ready) return Promise.resolve({ done: false, value: ready });
          if (closed) return Promise.resolve({ done: true, value: undefined });
          return new Promise((resolve) => waiting.push(resolve));
        },
        // Leaving a for-await loop stops accepting, as with a server whose loop ended.
        return: async () => {
          await listener.close();
          return { done: true, value: undefined };
        },
      };
    },
  };

  return {
    listener,
    connect(pairOptions = {}) {
      if (closed) throw new TransportError(`connection refused: ${address} is closed`);
      connections += 1;
      const names = pairOptions.names ?? [`memory:client-${connections}`, address];
      const [client, server] = createMemoryPair({ ...pairOptions, names });
      const w = waiting.shift();
      if (w) w({ done: false, value: server });
      else pending.push(server);
      return client;
    },
  };
}
