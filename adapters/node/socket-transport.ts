/**
 * net.Socket (or tls.TLSSocket) ⇄ the core's {@link Transport}: a pair of web streams with
 * back-pressure both ways.
 *
 * - Reads: the socket is paused while the ReadableStream's queue is full (`readHighWaterMark`
 *   bytes) and resumed when the consumer pulls, so a slow reader makes the kernel window close
 *   instead of memory grow.
 * - Writes: each `write()` resolves only when Node has handed the chunk to the kernel (the
 *   `socket.write` callback), so at most `writeHighWaterMark` bytes wait in the WritableStream's
 *   queue plus one chunk in flight. The chunk may be reused by the caller once the write resolves.
 * - Errors: socket errors never escape as `'error'` events; they error both streams and reject
 *   `closed` with a {@link TransportError}.
 */
import type { Socket } from 'node:net';
import { TransportError } from '../../src/errors';
import { withoutStack } from '../../src/without-stack';
import type { ByteSink, DirectTransport, Transport, TransportInfo } from '../../src/transport';
import { PartsTransport } from '../../src/transport-parts';
import { releaseLentBytes, type LentReads } from './lent-reads';
import { socketReclaimer } from './reclaim';

/** Tuning for {@link socketTransport}. */
export interface SocketTransportOptions {
  /** True for TLS sockets. */
  secure: boolean;
  /** Bytes buffered in the ReadableStream before the socket is paused. Default 64 KiB. */
  readHighWaterMark?: number;
  /** Bytes queued in the WritableStream before `writer.ready` waits. Default 64 KiB. */
  writeHighWaterMark?: number;
  /** Bytes queued by the direct fast path before `drained()` waits. Default 256 KiB. */
  directHighWaterMark?: number;
  /** The TCP socket under a TLS socket, so `abort()` can send RST (TLS sockets cannot reset themselves). */
  tcpSocket?: Socket;
  /** Set when `socket` reads into lent buffers (its `onread`): input comes from here, not `'data'`. */
  lentReads?: LentReads;
}

const DEFAULT_HIGH_WATER_MARK = 64 * 1024;
const DEFAULT_DIRECT_HIGH_WATER_MARK = 256 * 1024;
/** The largest chunk the direct path holds uncorked when it is a tick's only write (see `lone`). */
const LONE_CHUNK_BYTES = 16 * 1024;
/**
 * How long a graceful close waits, after our FIN, for the peer to close its side before the socket
 * is destroyed. The core also closes gracefully when the peer went silent (ARTIM expiry, PS3.8
 * 9.1.4; an ACSE timeout): a peer that neither reads nor closes would keep the socket and its file
 * descriptor forever. A live peer reads our last PDU and answers the FIN well within this.
 */
export const CLOSE_GRACE_MS = 2000;
/** The 'error' listener a closed socket keeps once ours are removed (an unheard 'error' would throw). */
const ignore = (): void => undefined;

/** `host:port`, with brackets around IPv6 hosts. */
export function formatAddress(host: string | undefined, port: number | undefined): string | undefined {
  if (host === undefined || port === undefined) return undefined;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Turns a Node error into the core's TransportError, keeping the errno code in the message. */
export function toTransportError(error: unknown, what = 'connection'): TransportError {
  if (error instanceof TransportError) return error;
  const e = error as NodeJS.ErrnoException | undefined;
  const code = e?.code ? `${e.code}: ` : '';
  return new TransportError(`${what} failed: ${code}${e?.message ?? String(error)}`, { cause: error });
}

/**
 * Wraps a connected socket as a {@link Transport}. The socket must already be connected
 * (and, for TLS, past the handshake); the wrapper owns it from now on.
 */
export function socketTransport(socket: Socket, options: SocketTransportOptions): Transport {
  const readHwm = options.readHighWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  const writeHwm = options.writeHighWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  let failure: TransportError | undefined;
  let abortedLocally = false;
  let readDone = false;
  let readController: ReadableStreamDefaultController<Uint8Array> | undefined;
  // Input that came before the consumer chose streams (first access of `readable`) or the direct
  // sink: kept in order, with the end, for whichever comes first (the socket pauses if it grows).
  let early: Uint8Array[] = [];
  let earlyBytes = 0;
  let earlyEnd = false;
  let writeController: WritableStreamDefaultController | undefined;
  // Rejecters of writes still waiting for their callback; a destroyed socket may never call back.
  const pendingWrites = new Set<(e: unknown) => void>();

  let resolveClosed!: () => void;
  let rejectClosed!: (e: unknown) => void;
  const closed = new Promise<void>((res, rej) => {
    resolveClosed = res;
    rejectClosed = rej;
  });
  closed.catch(() => {}); // observed through `closed` by whoever cares; never an unhandled rejection

  const info: TransportInfo = {
    local: formatAddress(socket.localAddress, socket.localPort),
    remote: formatAddress(socket.remoteAddress, socket.remotePort),
    secure: options.secure,
  };

  /** Gives the early input, then its end or failure, to the consumer picked; true when the input is over. */
  function handOverEarly(to: ByteSink): boolean {
    for (const chunk of early) to.data(chunk);
    early = [];
    if (earlyEnd) to.end();
    else if (readDone && failure) to.error(failure);
    else return false;
    return true;
  }

  let readable: ReadableStream<Uint8Array> | undefined;
  /** The readable, made on first access: a consumer that uses `direct` never makes one. */
  function makeReadable(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        start(controller) {
          readController = controller;
          handOverEarly({ data: (c) => controller.enqueue(ownCopy(c)), end: () => controller.close(), error: (e) => controller.error(e) });
        },
        pull() {
          if (!readDone) socket.resume();
        },
        cancel() {
          // The consumer no longer wants input: drain and discard it so the peer is not blocked.
          readDone = true;
          socket.removeListener('data', onData);
          socket.on('data', () => {});
          socket.resume();
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: readHwm }),
    );
  }

  let writable: WritableStream<Uint8Array> | undefined;
  /**
   * The writable, made on first access like `readable`: a consumer that uses `direct` never makes
   * one (Node 20 spends tens of µs making each web stream; an association cycle paid it).
   */
  const makeWritable = () => new WritableStream<Uint8Array>(
    {
      start(controller) {
        writeController = controller;
        if (failure) controller.error(failure); // made after the connection failed
      },
      write(chunk) {
        if (failure) return Promise.reject(failure);
        return new Promise<void>((resolve, reject) => {
          pendingWrites.add(reject);
          socket.write(chunk, (err) => {
            pendingWrites.delete(reject);
            if (err) reject(failure ?? toTransportError(err, 'write'));
            else resolve();
          });
        });
      },
      close() {
        return endSocket();
      },
      abort() {
        reset();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: writeHwm }),
  );

  // The direct fast path (Transport.direct): once a sink is attached, input bypasses `readable`.
  let sink: ByteSink | null = null;
  const directHwm = options.directHighWaterMark ?? DEFAULT_DIRECT_HIGH_WATER_MARK;
  // Writes of one tick leave together: at flush() or when the tick ends, in one writev (the socket
  // is corked from the first write). A lone small chunk (a command, a response: one PDU, flushed at
  // once when it is a request or a final response) is held instead, and goes as a plain write
  // without the cork, Node's buffering of corked chunks and the uncork; a second write in the tick
  // corks the socket and sends it first.
  let corked = false;
  let lone: Uint8Array | null = null;
  let flushScheduled = false;
  const flush = () => {
    if (lone) {
      const chunk = lone;
      lone = null;
      if (!failure && !socket.destroyed) socket.write(chunk, onWritten);
    } else if (corked) {
      corked = false;
      socket.uncork();
    }
  };
  const flushAtTickEnd = () => {
    flushScheduled = false;
    flush();
  };
  // Flush tracking for `direct.flushed()`: Node calls each write's callback, in order, once the
  // chunk is handed to the kernel (or failed); a waiter wants a given count of them.
  let directWrites = 0;
  let directWritten = 0;
  const flushWaiters: { upTo: number; resolve: () => void }[] = [];
  const onWritten = () => {
    directWritten++;
    while (flushWaiters.length > 0 && flushWaiters[0]!.upTo <= directWritten) flushWaiters.shift()!.resolve();
  };
  const releaseFlushWaiters = () => {
    for (const waiter of flushWaiters.splice(0)) waiter.resolve();
  };
  const direct: DirectTransport = {
    write(chunks) {
      if (failure || socket.destroyed) return;
      directWrites += chunks.length;
      if (!flushScheduled) {
        flushScheduled = true;
        process.nextTick(flushAtTickEnd);
      }
      if (!corked && !lone && chunks.length === 1 && chunks[0]!.byteLength <= LONE_CHUNK_BYTES) {
        lone = chunks[0]!;
        return;
      }
      if (!corked) {
        corked = true;
        socket.cork();
      }
      if (lone) {
        socket.write(lone, onWritten);
        lone = null;
      }
      for (let i = 0; i < chunks.length; i++) socket.write(chunks[i]!, onWritten);
      // Not counted for reclaim (reclaim.ts): what is sent is the caller's memory or file buffers
      // that come back for reuse (file-buffers.ts counts the new ones); PDU headers are small.
    },
    flush,
    drained() {
      if (failure || socket.destroyed || socket.writableLength < directHwm) return undefined;
      return new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.on('drain', done);
        socket.on('close', done);
      });
    },
    flushed() {
      if (directWritten >= directWrites || failure || socket.destroyed) return undefined;
      return new Promise<void>((resolve) => flushWaiters.push({ upTo: directWrites, resolve }));
    },
    receive(target) {
      sink = target;
      if (!handOverEarly(target)) socket.resume();
    },
    pause: () => socket.pause(),
    resume: () => {
      if (!readDone) socket.resume();
    },
    ...(options.lentReads && { release: releaseLentBytes }),
  };

  function onData(chunk: Buffer) {
    if (readDone) return;
    // Each read is a fresh buffer: see reclaim.ts.
    socketReclaimer.note(chunk.byteLength);
    // A plain Uint8Array view (no copy): Buffer's slice() semantics differ from Uint8Array's.
    onInput(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }

  /** What goes into `readable`: its readers keep chunks and never hand them back, so lent ones are copied (and go back now). */
  function ownCopy(bytes: Uint8Array): Uint8Array {
    if (!options.lentReads) return bytes;
    const copy = bytes.slice();
    releaseLentBytes(bytes);
    return copy;
  }

  function onInput(bytes: Uint8Array) {
    if (readDone) return;
    if (sink) {
      sink.data(bytes);
    } else if (readController) {
      readController.enqueue(ownCopy(bytes));
      if ((readController.desiredSize ?? 0) <= 0) socket.pause();
    } else {
      early.push(bytes);
      earlyBytes += bytes.byteLength;
      if (earlyBytes >= readHwm) socket.pause();
    }
  }

  // abort() must reach the peer as an error, not a clean end: RST rather than FIN.
  function reset() {
    const tcp = options.tcpSocket;
    if (!tcp) {
      try {
        if (!socket.destroyed) socket.resetAndDestroy();
      } catch {
        socket.destroy();
      }
      return;
    }
    // Under TLS, reset the TCP socket one macrotask later: resetting it and destroying the TLS
    // socket from inside a TLS callback (e.g. right after the handshake) crashes Node 20 (SIGSEGV).
    setImmediate(() => {
      try {
        if (!tcp.destroyed) tcp.resetAndDestroy();
      } catch {
        // Not a TCP handle any more: a plain destroy is the best we can do.
      }
      socket.destroy();
    });
  }

  function endSocket(): Promise<void> {
    flush(); // what the direct path wrote in this tick goes before the FIN
    return new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve();
      destroyAfterGrace();
      if (socket.writableFinished) return resolve();
      socket.once('close', () => resolve());
      socket.end(() => resolve());
    });
  }

  // Our side is ended: the socket goes when the peer closes too, or after CLOSE_GRACE_MS. Unref'd,
  // so it keeps no process alive; cleared on 'close'.
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  function destroyAfterGrace() {
    graceTimer ??= setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  function fail(error: TransportError) {
    failure ??= error;
    if (!readDone) {
      readDone = true;
      if (sink) sink.error(failure);
      else readController?.error(failure);
    }
    writeController?.error(failure);
    for (const reject of pendingWrites) reject(failure);
    pendingWrites.clear();
    releaseFlushWaiters(); // nothing more will be written: the chunks are the sender's again
  }

  if (options.lentReads) options.lentReads.attach(onInput);
  else socket.on('data', onData);
  // Read from the start (sockets accepted with pauseOnConnect wait for this): input is buffered
  // until the consumer picks streams or `direct`, and the peer's FIN or RST is noticed either way.
  socket.resume();
  const onEnd = () => {
    if (!readDone) {
      readDone = true;
      if (sink) sink.end();
      else if (readController) readController.close();
      else earlyEnd = true;
    }
  };
  const onError = (err: Error) => fail(toTransportError(err));
  const onClose = () => {
    options.lentReads?.closed(); // its spare read buffer back to the pool; it forgets onInput
    clearTimeout(graceTimer);
    // Node 26 keeps a closed socket reachable until a full garbage collection: let go of it, so
    // that it does not keep this transport and the association over it alive that long too
    // (test/unit/gc-retention.test.ts). A late 'error' still finds a listener.
    socket.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    socket.on('error', ignore);
    if (failure && !abortedLocally) {
      rejectClosed(failure);
      return;
    }
    // Closed before the peer's FIN without an error (local abort): unblock readers and writers.
    fail(failure ?? withoutStack(() => new TransportError('connection closed')));
    resolveClosed();
  };
  socket.on('end', onEnd);
  socket.on('error', onError);
  socket.on('close', onClose);

  return new PartsTransport({
    readable: () => (readable ??= makeReadable()),
    writable: () => (writable ??= makeWritable()),
    closed,
    info,
    direct,
    async close() {
      if (writable && !writable.locked) {
        await writable.close().catch(() => {}); // flushes what was queued on it, then FIN
        return;
      }
      // Never made (the direct path), or the core holds the writer: let its in-flight write finish
      // (Node keeps order), then FIN.
      await endSocket();
    },
    abort(reason?: unknown) {
      if (!failure && !socket.destroyed) {
        // A local abort is not a transport failure: streams error, but `closed` resolves.
        abortedLocally = true;
        fail(new TransportError('connection aborted locally', { cause: reason }));
      }
      reset();
    },
  });
}
