/**
 * An open WebSocket ⇄ the core's {@link Transport}. The WebSocket carries the raw bytes of one
 * TCP connection in binary messages (websockify's convention), so message boundaries mean
 * nothing: each message is just the next chunk of the byte stream.
 *
 * - Writes: each chunk is sent as one or more binary messages of at most `maxMessageBytes`
 *   (proxies cap message size; netdicom's at 1 MiB). A write resolves once `bufferedAmount`
 *   is at or below `writeHighWaterMark`; the WebSocket API has no drain event, so we poll. The
 *   core uses the fast path (`direct`), which glues the headers and data of a run of PDUs into
 *   full messages in one reused buffer instead of joining them in new memory — where send()
 *   copies; where it may read the bytes later (the `ws` package, any negotiated extension such as
 *   permessage-deflate), each message gets memory of its own instead.
 * - Reads: the WebSocket API cannot pause the sender, so inbound chunks are held without a cap
 *   (message-input.ts). The core reads continuously, and the proxy bounds what one PDU can be.
 *   Each message's ArrayBuffer is handed to the core for good: a data set that arrived within
 *   one message can be joined inside it (`dataset()`, `bytes({ shared: true })`) instead of
 *   copied into new memory.
 * - Close: 1000 (or 1005, no code) from the peer ends the readable; any other code, or a dropped
 *   connection (1006), errors both streams and rejects `closed` with a {@link TransportError}
 *   that names the code and reason.
 */
import { giveUpReadBuffer } from '../../src/bytes/in-place';
import { TransportError } from '../../src/errors';
import type { DirectTransport, Transport } from '../../src/transport';
import { PartsTransport } from '../../src/transport-parts';
import { MessageInput } from './message-input';
import { ReadyState, type WebSocketEventMap, type WebSocketLike } from './websocket-like';

/** Tuning for {@link websocketTransport}. */
export interface WebSocketTransportOptions {
  /** Largest binary message sent; bigger writes are split. Default 512 KiB (netdicom's proxy takes up to 1 MiB). */
  maxMessageBytes?: number;
  /** A write resolves once `bufferedAmount` is at most this. Default 4 MiB. */
  writeHighWaterMark?: number;
  /** How often `bufferedAmount` is checked while above the mark. Default 1 ms (browsers make it ≥ 4 ms after five in a row). */
  pollMs?: number;
}

/** The `ws` package's WebSocket (an EventEmitter), not a WHATWG one. */
function isWsPackage(ws: WebSocketLike): boolean {
  return typeof (ws as { on?: unknown }).on === 'function';
}

/** Close code sent by `abort()`: application range (browsers may send only 1000 and 3000–4999). */
export const ABORT_CLOSE_CODE = 4000;

/**
 * A browser's WebSocket reports what it has handed on in steps, so a low mark or a slow poll lets
 * its queue run dry between our writes: a 256 MiB C-STORE from headless Chromium through the
 * proxy ran at ~83 MB/s with 1 MiB / 5 ms and ~97 MB/s with 4 MiB / 1 ms (5 alternating pairs),
 * against ~115 MB/s for bare WebSocket messages, no DICOM, on the same path. Each message costs
 * the sender and the proxy a frame (a browser an IPC hop): 512 KiB messages instead of 64 KiB
 * took that upload from 250–306 to 287–322 MB/s and the `ws` stand-in from 433–452 to 480–524
 * (bench `--only proxy`, three alternating pairs).
 */
const DEFAULTS = { maxMessageBytes: 512 * 1024, writeHighWaterMark: 4 * 1024 * 1024, pollMs: 1 };

/** Plain words for a close code (RFC 6455 §7.4.1 and the IANA registry). */
export function describeClose(code: number, reason: string): string {
  const names: Record<number, string> = {
    1001: 'going away',
    1002: 'protocol error',
    1003: 'unsupported data (text frames are not allowed)',
    1006: 'connection dropped without a close frame',
    1008: 'policy violation',
    1009: 'message too big',
    1011: 'upstream connection failed',
    1013: 'try again later',
    1014: 'bad gateway (the DICOM peer could not be reached)',
  };
  const name = names[code] ?? (code >= 4000 ? 'closed by the application' : 'closed');
  return `code ${code}, ${name}${reason ? `: ${reason}` : ''}`;
}

/**
 * Wraps an open WebSocket (binaryType 'arraybuffer') as a {@link Transport}. The transport owns
 * the socket from now on: its messages' buffers are the core's, which may rewrite the framing
 * inside them, so nothing else should listen to its messages.
 */
export function websocketTransport(ws: WebSocketLike, url: string, options: WebSocketTransportOptions = {}): Transport {
  const { maxMessageBytes, writeHighWaterMark, pollMs } = { ...DEFAULTS, ...options };
  let failure: TransportError | undefined;
  let abortedLocally = false;
  let closing = false;
  const input = new MessageInput();
  let writeController: WritableStreamDefaultController | undefined;
  let resolveClosed!: () => void;
  let rejectClosed!: (e: unknown) => void;
  const closed = new Promise<void>((res, rej) => {
    resolveClosed = res;
    rejectClosed = rej;
  });
  closed.catch(() => {}); // observed through `closed` by whoever cares
  // Pollers waiting for bufferedAmount to fall; failed together when the socket dies.
  const waiters = new Set<{ timer?: ReturnType<typeof setTimeout>; reject: (e: unknown) => void }>();

  let writable: WritableStream<Uint8Array> | undefined;
  /** The writable, made on first use: the core's fast path (`direct`) never makes one. */
  const makeWritable = () =>
    new WritableStream<Uint8Array>(
      {
        start(controller) {
          writeController = controller;
          if (failure) controller.error(failure); // made after the connection failed
        },
        async write(chunk) {
          sendAll(chunk);
          await drained(writeHighWaterMark);
        },
        async close() {
          await closeSocket();
        },
        abort(reason) {
          abort(reason);
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
    );

  function checkOpen(): void {
    if (failure) throw failure;
    if (ws.readyState !== ReadyState.OPEN) throw (failure ??= new TransportError(`WebSocket to ${url} is closed`));
  }

  // Whether send() may read the bytes after it returned, so that what we send must not be reused.
  // Browsers and Node's global WebSocket copy them in send() (WHATWG). The `ws` package may not:
  // with permessage-deflate zlib reads the view later on the thread pool (and sends queue behind
  // a compression), and its server side writes the bytes unmasked, by reference until the kernel
  // takes them. Its client side masks each message into memory of its own, except when the mask
  // drawn is all zeros (once in 2^32 messages, or always with an application's generateMask):
  // then it too sends by reference, so a `ws` client gets the copy as well. `ws` is told apart by
  // its EventEmitter API (`on`); an extension of any other implementation is assumed to compress
  // as well. Decided at the first send: the extensions are negotiated by the opening handshake.
  let sendKeepsBytes: boolean | undefined;
  const keepsBytes = (): boolean => (sendKeepsBytes ??= Boolean(ws.extensions) || isWsPackage(ws));

  function sendAll(chunk: Uint8Array): void {
    checkOpen();
    // The caller may reuse chunk once the write resolves: a copy where send() does not make one.
    const copy = keepsBytes();
    for (let at = 0; at < chunk.byteLength; at += maxMessageBytes) {
      const part = chunk.subarray(at, Math.min(at + maxMessageBytes, chunk.byteLength));
      ws.send(copy ? part.slice() : part);
    }
  }

  // The fast path's writes: a P-DATA-TF run comes as headers and views of the data, glued here
  // into full messages in one reused buffer where send() copies. Joining them in new memory instead
  // took a page in headless Chromium ~1.4 s per 256 MiB uploaded (fresh memory is dear there).
  // Where send() keeps the bytes, each message is glued into a buffer of its own (the same one
  // copy; the `ws` client allocates one per message to mask anyway).
  let reused: Uint8Array | undefined;
  function sendGlued(chunks: readonly Uint8Array[]): void {
    checkOpen();
    const fresh = keepsBytes();
    let left = 0; // bytes not yet sent, to size the fresh buffers
    if (fresh) for (const chunk of chunks) left += chunk.byteLength;
    let glue = fresh ? new Uint8Array(Math.min(left, maxMessageBytes)) : (reused ??= new Uint8Array(maxMessageBytes));
    let used = 0;
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.byteLength; ) {
        const n = Math.min(glue.byteLength - used, chunk.byteLength - at);
        glue.set(n === chunk.byteLength ? chunk : chunk.subarray(at, at + n), used);
        used += n;
        at += n;
        if (used === glue.byteLength) {
          ws.send(glue);
          used = 0;
          if (fresh) {
            // The next message's own buffer; none after the last (sized exactly, it always fills).
            left -= glue.byteLength;
            if (left > 0) glue = new Uint8Array(Math.min(left, maxMessageBytes));
          }
        }
      }
    }
    if (used > 0) ws.send(glue.subarray(0, used));
  }

  const direct: DirectTransport = {
    write(chunks) {
      try {
        sendGlued(chunks);
      } catch (error) {
        fail(error instanceof TransportError ? error : new TransportError(`WebSocket to ${url}: send failed`, { cause: error }));
      }
    },
    drained() {
      if (failure || ws.bufferedAmount <= writeHighWaterMark) return undefined;
      return drained(writeHighWaterMark).catch(() => {}); // a failure reaches the sink as its error
    },
    // Everything written is copied at once (by send(), or into a message's own buffer): nothing
    // of the caller's is kept.
    flushed: () => undefined,
    receive: (sink) => input.receive(sink),
    pause: () => input.pause(),
    resume: () => input.resume(),
  };

  function drained(mark: number): Promise<void> {
    if (failure) return Promise.reject(failure);
    if (ws.bufferedAmount <= mark) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: { timer?: ReturnType<typeof setTimeout>; reject: (e: unknown) => void } = { reject };
      const check = () => {
        if (ws.bufferedAmount <= mark || ws.readyState !== ReadyState.OPEN) {
          waiters.delete(waiter);
          if (failure) reject(failure);
          else resolve();
        } else waiter.timer = setTimeout(check, pollMs);
      };
      waiters.add(waiter);
      waiter.timer = setTimeout(check, pollMs);
    });
  }

  /** Flush, then a normal close (1000); settles with the close event. */
  async function closeSocket(): Promise<void> {
    closing = true;
    if (ws.readyState === ReadyState.OPEN) {
      await drained(0).catch(() => {});
      if (ws.readyState === ReadyState.OPEN) ws.close(1000, 'done');
    }
    await closed.catch(() => {});
  }

  function fail(error: TransportError): void {
    failure ??= error;
    input.fail(failure);
    writeController?.error(failure);
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.reject(failure);
    }
    waiters.clear();
  }

  function abort(reason?: unknown): void {
    if (!failure && ws.readyState !== ReadyState.CLOSED) {
      // A local abort is not a transport failure: streams error, but `closed` resolves.
      abortedLocally = true;
      fail(new TransportError('connection aborted locally', { cause: reason }));
    }
    // A non-1000 code: the proxy resets the TCP side, so the DICOM peer sees an error, not an end.
    if (ws.readyState === ReadyState.OPEN || ws.readyState === ReadyState.CONNECTING) ws.close(ABORT_CLOSE_CODE, 'aborted');
  }

  const onMessage = (event: WebSocketEventMap['message']) => {
    const { data } = event;
    if (data instanceof ArrayBuffer) {
      // The message's own buffer: nobody else holds it, so the core may join a data set's
      // fragments inside it rather than copy them into new memory (bytes/in-place.ts).
      giveUpReadBuffer(data);
      input.push(new Uint8Array(data));
    } else if (ArrayBuffer.isView(data)) input.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    else {
      // A text message is not part of a byte stream: a broken or non-websockify peer.
      fail(new TransportError(`WebSocket to ${url} received a text message; only binary messages carry DICOM bytes`));
      ws.close(1003, 'binary messages only');
    }
  };
  const onClose = (event: WebSocketEventMap['close']) => {
    ws.removeEventListener('message', onMessage);
    ws.removeEventListener('close', onClose);
    const normal = event.code === 1000 || event.code === 1005;
    if (abortedLocally || (normal && !failure)) {
      input.end();
      // Erroring a writable whose close() is in flight would turn a clean close into an error.
      if (!closing) fail(failure ?? new TransportError('connection closed'));
      resolveClosed();
      return;
    }
    fail(failure ?? new TransportError(`WebSocket to ${url} closed: ${describeClose(event.code, event.reason)}`));
    rejectClosed(failure);
  };
  ws.addEventListener('message', onMessage);
  ws.addEventListener('close', onClose);
  // Details reach us through 'close'; with the `ws` package an 'error' nobody listens to would throw.
  ws.addEventListener('error', () => {});

  return new PartsTransport({
    readable: () => input.readable(),
    writable: () => (writable ??= makeWritable()),
    closed,
    info: { remote: url, secure: url.startsWith('wss:') },
    direct,
    async close() {
      if (writable && !writable.locked) {
        await writable.close().catch(() => {});
        await closed.catch(() => {});
        return;
      }
      // The core holds the writer or writes directly; send() is synchronous, so everything
      // written is queued already.
      await closeSocket();
    },
    abort,
  });
}
