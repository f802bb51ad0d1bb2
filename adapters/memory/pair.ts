/**
 * Two connected in-memory transports: what one side writes, the other reads.
 * Deterministic (no sockets, seeded chunking) and built on web-platform APIs only,
 * so it runs in Node, browsers and the IIFE bundle alike.
 */
import { TransportError } from '../../src/errors';
import type { Transport, TransportInfo } from '../../src/transport';
import { Pipe } from './pipe';

/** Default per-direction buffer before `writer.ready` waits: 64 KiB, a typical socket buffer. */
export const DEFAULT_MEMORY_HIGH_WATER_MARK = 64 * 1024;

/** Test knobs for {@link createMemoryPair}. Every knob applies to both directions. */
export interface MemoryPairOptions {
  /**
   * Split every write into chunks of random size in [min, max] bytes, drawn from a PRNG seeded
   * with `seed` (default 1), so a failing run replays exactly. Models TCP segmentation.
   */
  readonly chunking?: { readonly min: number; readonly max: number; readonly seed?: number };
  /** Coalesce the writes made in one tick into one chunk (models Nagle / kernel coalescing). */
  readonly mergeWrites?: boolean;
  /** Delay before written bytes become readable by the peer. Default 0 (same tick). */
  readonly latencyMs?: number;
  /**
   * Bytes a direction buffers before the writer's `ready` waits for the peer to read.
   * Default {@link DEFAULT_MEMORY_HIGH_WATER_MARK}. A single write larger than this is still
   * accepted whole; the writer then waits until the peer has read below the mark.
   */
  readonly highWaterMark?: number;
  /**
   * When false (the default, like Node's `net`), a side whose peer ended its output ends its own
   * output too, so `closed` settles on both sides. When true, each side must end its own output.
   */
  readonly allowHalfOpen?: boolean;
  /**
   * Breaks the connection after `bytes` bytes have gone from side `from` (default 0) to the other:
   * `'reset'` (default) makes both sides' readables error with a TransportError after the bytes
   * already delivered, and both `closed` reject; `'close'` closes side `from` cleanly at that point.
   */
  readonly cutAfterBytes?: { readonly bytes: number; readonly from?: 0 | 1; readonly mode?: 'reset' | 'close' };
  /** Addresses reported in `info`. Default `['memory:0', 'memory:1']`. */
  readonly names?: readonly [string, string];
  /** Reported as `info.secure`. Default false. */
  readonly secure?: boolean;
}

/**
 * One end of an in-memory connection. Implements {@link Transport} exactly:
 * `close()` flushes and ends the peer's readable normally; `abort()` makes the peer's
 * readable error with a {@link TransportError} and its `closed` reject, while our own
 * `closed` resolves (we asked for it).
 */
export class MemoryTransport implements Transport {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly closed: Promise<void>;
  readonly info: TransportInfo;
  /** @internal The other end; set by {@link createMemoryPair}. */
  peer!: MemoryTransport;
  private outDone = false;
  private inDone = false;
  private settled = false;
  private outputClosing: Promise<void> | undefined;
  private resolveClosed!: () => void;
  private rejectClosed!: (error: unknown) => void;
  private writableController!: WritableStreamDefaultController;

  /** @internal Use {@link createMemoryPair}. */
  constructor(
    private readonly incoming: Pipe,
    private readonly outgoing: Pipe,
    info: TransportInfo,
    private readonly allowHalfOpen: boolean,
  ) {
    this.info = info;
    this.readable = incoming.readable;
    this.closed = new Promise<void>((resolve, reject) => {
      this.resolveClosed = resolve;
      this.rejectClosed = reject;
    });
    // Nobody has to listen to `closed`; a reset must not become an unhandled rejection.
    this.closed.catch(() => undefined);
    this.writable = new WritableStream<Uint8Array>({
      start: (controller) => {
        this.writableController = controller;
      },
      write: (chunk) => this.outgoing.write(toBytes(chunk)),
      close: () => this.closeOutput(),
      abort: (reason) => this.abort(reason),
    });
  }

  /** Flushes what was written, ends the peer's readable, and stops reading. Never rejects. */
  async close(): Promise<void> {
    if (this.settled) return;
    if (!this.writable.locked) {
      await this.writable.close().catch(() => undefined);
    } else {
      // Let writes already queued in the locked writable reach the sink first.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await this.closeOutput();
    this.incoming.dropReader(new TransportError('connection closed by peer'));
    this.inDone = true;
    this.settle();
  }

  /** Destroys the connection now: unsent and unread bytes are dropped. */
  abort(reason?: unknown): void {
    if (this.settled) return;
    const local = new TransportError('transport aborted', { cause: reason });
    const remote = new TransportError('connection reset by peer', { cause: reason });
    this.outgoing.fail(remote, local);
    this.incoming.fail(local, remote);
    this.writableController.error(local);
    this.settled = true;
    this.resolveClosed();
    this.peer.onReset(remote);
  }

  /** @internal A network failure seen by both ends; bytes already delivered stay readable. */
  reset(): void {
    const error = new TransportError('connection reset');
    this.outgoing.fail(error, error, true);
    this.incoming.fail(error, error, true);
    this.onReset(error);
    this.peer.onReset(error);
  }

  /** @internal Called when the peer's output has ended (our readable will see end-of-stream). */
  onIncomingEnded(): void {
    this.inDone = true;
    if (!this.allowHalfOpen) void this.closeOutput();
    this.settle();
  }

  /** @internal Called when the reader cancelled our readable. */
  onReaderCancelled(): void {
    this.inDone = true;
    this.settle();
  }

  private onReset(error: TransportError): void {
    if (this.settled) return;
    this.settled = true;
    this.writableController.error(error);
    this.rejectClosed(error);
  }

  /** Half-close (TCP FIN): flush, then the peer reads end-of-stream. Idempotent. */
  private closeOutput(): Promise<void> {
    this.outputClosing ??= (async () => {
      this.outgoing.stopWrites(new TransportError('write after end'));
      await this.outgoing.end();
      this.outDone = true;
      this.peer.onIncomingEnded();
      this.settle();
    })();
    return this.outputClosing;
  }

  private settle(): void {
    if (this.settled || !this.outDone || !this.inDone) return;
    this.settled = true;
    this.resolveClosed();
  }
}

/**
 * Creates two connected transports (each side's writable feeds the other's readable).
 *
 * @example
 * const [client, server] = createMemoryPair({ chunking: { min: 1, max: 7, seed: 42 } });
 */
export function createMemoryPair(options: MemoryPairOptions = {}): [MemoryTransport, MemoryTransport] {
  const highWaterMark = options.highWaterMark ?? DEFAULT_MEMORY_HIGH_WATER_MARK;
  const names = options.names ?? ['memory:0', 'memory:1'];
  const cut = options.cutAfterBytes;
  const sides: MemoryTransport[] = [];
  const pipe = (from: 0 | 1): Pipe =>
    new Pipe({
      chunking: options.chunking,
      mergeWrites: options.mergeWrites,
      latencyMs: options.latencyMs,
      highWaterMark,
      seedOffset: from,
      limitBytes: cut && (cut.from ?? 0) === from ? cut.bytes : undefined,
      onLimit: () => {
        // Deferred so the bytes that fit are queued before the break is seen.
        const side = sides[from]!;
        queueMicrotask(() => (cut?.mode === 'close' ? void side.close() : side.reset()));
      },
      onReaderCancel: () => sides[1 - from]!.onReaderCancelled(),
    });
  const zeroToOne = pipe(0);
  const oneToZero = pipe(1);
  const secure = options.secure ?? false;
  const halfOpen = options.allowHalfOpen ?? false;
  const a = new MemoryTransport(oneToZero, zeroToOne, { local: names[0], remote: names[1], secure }, halfOpen);
  const b = new MemoryTransport(zeroToOne, oneToZero, { local: names[1], remote: names[0], secure }, halfOpen);
  a.peer = b;
  b.peer = a;
  sides.push(a, b);
  return [a, b];
}

/** Accepts any ArrayBufferView (also from another realm) as bytes; rejects anything else. */
function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('memory transport: chunks must be Uint8Array');
}
