/**
 * Dialing a DICOM peer through a WebSocket-to-TCP proxy (netdicom's or websockify): open the
 * WebSocket, wait for `open`, and hand back a {@link Transport}.
 */
import { TimeoutError, TransportError } from '../../src/errors';
import type { Transport } from '../../src/transport';
import { describeClose, websocketTransport, type WebSocketTransportOptions } from './websocket-transport';
import type { WebSocketConstructor, WebSocketEventMap, WebSocketLike } from './websocket-like';

/** Options for {@link connectWebSocket}. */
export interface WebSocketConnectOptions extends WebSocketTransportOptions {
  /** Subprotocols offered. Default `['binary']` (websockify's name for raw binary frames). */
  protocols?: string[];
  /** Cancels the attempt; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** The WebSocket class. Default `globalThis.WebSocket` (browsers, Node ≥ 22); in Node 20 pass `ws`'s. */
  WebSocket?: WebSocketConstructor;
  /** Give up if the WebSocket is not open after this many ms. Default: no limit beyond the platform's. */
  timeoutMs?: number;
}

/**
 * Opens a WebSocket to a proxy URL such as `ws://127.0.0.1:8080/pacs` and returns the TCP
 * connection behind it as a {@link Transport}. Rejects with a {@link TransportError} when the
 * proxy refuses (unknown target, Origin not allowed: browsers only see that it failed) or the
 * connection drops before it opens, a {@link TimeoutError} after `timeoutMs`, or `signal.reason`.
 *
 * @example
 * const transport = await connectWebSocket('ws://127.0.0.1:8080/pacs');
 * const assoc = await ae.associate(transport, { calledAeTitle: 'PACS' });
 */
export function connectWebSocket(url: string | URL, options: WebSocketConnectOptions = {}): Promise<Transport> {
  const { protocols = ['binary'], signal, timeoutMs } = options;
  const target = String(url);
  const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!Ctor) {
    return Promise.reject(
      new TransportError('no WebSocket class: this runtime has no global WebSocket (Node < 22); pass options.WebSocket (e.g. the `ws` package)'),
    );
  }
  if (signal?.aborted) return Promise.reject(signal.reason);

  let ws: WebSocketLike;
  try {
    ws = new Ctor(target, protocols);
  } catch (error) {
    // A malformed URL or a forbidden scheme is thrown synchronously (SyntaxError).
    return Promise.reject(new TransportError(`cannot open a WebSocket to ${target}: ${String(error)}`, { cause: error }));
  }
  ws.binaryType = 'arraybuffer';
  // Wrapped now so no message can slip between 'open' and the wrapper's listeners.
  const transport = websocketTransport(ws, target, options);

  return new Promise<Transport>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let errorDetail = '';
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      ws.removeEventListener('open', onOpen);
      ws.removeEventListener('error', onError);
      ws.removeEventListener('close', onClose);
    };
    const failWith = (error: unknown) => {
      cleanup();
      transport.abort(error);
      reject(error);
    };
    const onAbort = () => failWith(signal!.reason);
    const onOpen = () => {
      cleanup();
      resolve(transport);
    };
    // Browsers give no details here (no HTTP status); the `ws` package puts it in `message`.
    const onError = (event: WebSocketEventMap['error']) => {
      errorDetail = event.message ?? (event.error instanceof Error ? event.error.message : '');
    };
    const onClose = (event: WebSocketEventMap['close']) => {
      const why = errorDetail || describeClose(event.code, event.reason);
      failWith(
        new TransportError(
          `WebSocket to ${target} did not open (${why}); the proxy refused it (unknown target or Origin not allowed) or is unreachable`,
        ),
      );
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    ws.addEventListener('open', onOpen);
    ws.addEventListener('error', onError);
    ws.addEventListener('close', onClose);
    if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
      timer = setTimeout(() => failWith(new TimeoutError('connect', `WebSocket to ${target} did not open within ${timeoutMs} ms`)), timeoutMs);
    }
  });
}
