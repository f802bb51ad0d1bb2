/**
 * The part of dialing shared by TCP and TLS: wait for the "connected" event of a fresh socket,
 * racing it against an AbortSignal and a timeout, and clean up on every path.
 */
import type { Socket } from 'node:net';
import { TimeoutError } from '../../src/errors';
import { toTransportError } from './socket-transport';

/** Options every dialer accepts. */
export interface DialOptions {
  /** Cancels the connection attempt; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Give up connecting (including the TLS handshake) after this many ms. Default: no limit beyond the OS's. */
  timeoutMs?: number;
}

/**
 * Resolves when `socket` emits `readyEvent` ('connect' or 'secureConnect'). Rejects with
 * `signal.reason`, a TimeoutError('connect') or a TransportError; the socket is destroyed then.
 */
export function waitConnected(socket: Socket, readyEvent: string, target: string, options: DialOptions): Promise<void> {
  const { signal, timeoutMs } = options;
  return new Promise<void>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      socket.removeListener(readyEvent, onReady);
    };
    const failWith = (error: unknown) => {
      cleanup();
      // Keep a listener: a late error from the destroyed socket must not become an uncaught exception.
      socket.on('error', () => {});
      socket.destroy();
      reject(error);
    };
    const onAbort = () => failWith(signal!.reason);
    const onError = (err: Error) => failWith(toTransportError(err, `connect to ${target}`));
    const onReady = () => {
      cleanup();
      resolve();
    };
    if (signal?.aborted) return failWith(signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once(readyEvent, onReady);
    if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
      timer = setTimeout(
        () => failWith(new TimeoutError('connect', `connect to ${target} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
    }
  });
}

/** `host:port` for messages. */
export function describeTarget(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
