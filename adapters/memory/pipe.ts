/**
 * One direction of an in-memory connection: bytes written on one side, read on the other.
 *
 * Bytes move through three stages: an optional merge buffer (writes of one tick
 * become one chunk), an optional latency queue, and the `arrived` list the
 * reader pulls from. `buffered` counts every byte accepted from the writer and
 * not yet handed to the reader; the writer waits while it is at or above the
 * high-water mark, which is how back-pressure reaches `writer.ready`.
 */
import { TransportError } from '../../src/errors';
import { createPrng, splitRandomly } from './prng';

/** Knobs for one direction; see `MemoryPairOptions` for their meaning. */
export interface PipeOptions {
  readonly chunking?: { readonly min: number; readonly max: number; readonly seed?: number };
  readonly mergeWrites?: boolean;
  readonly latencyMs?: number;
  readonly highWaterMark: number;
  /** Seed offset so the two directions of a pair draw different chunk sizes. */
  readonly seedOffset: number;
  /** Called once when `limitBytes` bytes have arrived (the rest of that write is dropped). */
  readonly limitBytes?: number;
  readonly onLimit?: () => void;
  /** Called when the reader cancels the readable. */
  readonly onReaderCancel?: () => void;
}

export class Pipe {
  readonly readable: ReadableStream<Uint8Array>;
  /** Writer finished (FIN): the reader gets end-of-stream once `arrived` is drained. */
  ended = false;
  /** Error the reader sees (after `arrived` when `keepUnread`). */
  private readError: unknown = undefined;
  /** Error a later write sees (reset, peer gone, write after end). */
  private writeError: unknown = undefined;
  private readerGone = false;
  private stopped = false;
  private arrived: Uint8Array[] = [];
  private inTransit: Uint8Array[] = [];
  private mergeQueue: Uint8Array[] = [];
  private mergeTimer: ReturnType<typeof setTimeout> | undefined;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private buffered = 0;
  private delivered = 0;
  private limitHit = false;
  private waiters: Array<() => void> = [];
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private readonly nextRandom: () => number;

  constructor(private readonly options: PipeOptions) {
    const seed = (options.chunking?.seed ?? 1) + options.seedOffset;
    this.nextRandom = createPrng(seed);
    const c = options.chunking;
    if (c && !(c.min >= 1 && c.max >= c.min)) throw new RangeError('chunking needs 1 <= min <= max');
    // highWaterMark 0: pull() runs only when a read is pending, so `buffered` is exact.
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: (controller) => this.pull(controller),
        cancel: () => {
          this.dropReader(new TransportError('the peer stopped reading'));
          this.options.onReaderCancel?.();
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** True when nothing is waiting in the merge buffer or the latency queue. */
  get flushed(): boolean {
    return this.mergeQueue.length === 0 && this.inTransit.length === 0;
  }

  /** Accepts one write; resolves when the reader has room again (back-pressure). */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.writeError !== undefined) throw this.writeError;
    if (this.readerGone) return; // peer stopped reading on purpose; bytes go nowhere
    const copy = chunk.slice(); // the caller may reuse its buffer once write() resolves
    this.buffered += copy.byteLength;
    if (this.options.mergeWrites) {
      this.mergeQueue.push(copy);
      // A macrotask, so every write queued in this tick lands in the same chunk.
      this.mergeTimer ??= setTimeout(() => this.flushMerge(), 0);
    } else {
      this.send(copy);
    }
    // Released by room, a reset (throws), the reader going away or the writer ending (data kept).
    while (this.buffered >= this.options.highWaterMark && !this.stopped && !this.readerGone) {
      await this.changed();
    }
    if (this.readError !== undefined) throw this.writeError;
  }

  /** Flushes the merge buffer and the latency queue, then signals end-of-stream. */
  async end(): Promise<void> {
    this.flushMerge();
    while (!this.flushed && this.readError === undefined) await this.changed();
    this.ended = true;
    this.wake();
  }

  /** Later writes fail with `error`; a write waiting for room completes; queued bytes stay. */
  stopWrites(error: unknown): void {
    this.writeError ??= error;
    this.stopped = true;
    this.wake();
  }

  /**
   * Breaks the pipe: the reader errors with `readError` (after already-arrived bytes when
   * `keepUnread`), the writer with `writeError`. Bytes not yet arrived are dropped.
   */
  fail(readError: unknown, writeError: unknown, keepUnread = false): void {
    if (this.readError !== undefined) return;
    this.readError = readError;
    this.writeError ??= writeError;
    this.stopped = true;
    this.clearTimers();
    this.mergeQueue = [];
    this.inTransit = [];
    if (!keepUnread) this.arrived = [];
    this.buffered = this.arrived.reduce((n, a) => n + a.byteLength, 0);
    if (this.arrived.length === 0) this.errorReader();
    this.wake();
  }

  /** The local reader is done (transport closed or readable cancelled): drop everything, refuse writes. */
  dropReader(writeError: unknown): void {
    if (this.readerGone) return;
    this.readerGone = true;
    this.writeError ??= writeError;
    this.clearTimers();
    this.arrived = [];
    this.mergeQueue = [];
    this.inTransit = [];
    this.buffered = 0;
    try {
      this.controller.close();
    } catch {
      // already closed or errored
    }
    this.wake();
  }

  private async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      const piece = this.arrived.shift();
      if (piece) {
        this.buffered -= piece.byteLength;
        controller.enqueue(piece);
        this.wake();
        return;
      }
      if (this.readError !== undefined) return this.errorReader();
      if (this.ended) return controller.close();
      if (this.readerGone) return;
      await this.changed();
    }
  }

  private errorReader(): void {
    try {
      this.controller.error(this.readError);
    } catch {
      // already closed
    }
  }

  private flushMerge(): void {
    if (this.mergeTimer !== undefined) clearTimeout(this.mergeTimer);
    this.mergeTimer = undefined;
    if (this.mergeQueue.length === 0) return;
    const parts = this.mergeQueue;
    this.mergeQueue = [];
    this.send(parts.length === 1 ? parts[0]! : concat(parts));
  }

  /** Cuts a write into pieces (if chunking) and delivers them now or after the latency. */
  private send(bytes: Uint8Array): void {
    const c = this.options.chunking;
    const pieces = c ? splitRandomly(bytes, c.min, c.max, this.nextRandom) : [bytes];
    const latency = this.options.latencyMs ?? 0;
    if (latency <= 0) {
      for (const p of pieces) this.arrive(p);
      return;
    }
    this.inTransit.push(...pieces);
    const count = pieces.length;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      // Take from the head so order holds even if timers fire out of order.
      for (const p of this.inTransit.splice(0, count)) this.arrive(p);
      this.wake();
    }, latency);
    this.timers.add(timer);
  }

  private arrive(piece: Uint8Array): void {
    if (this.readError !== undefined || this.readerGone || this.limitHit) {
      this.buffered = Math.max(0, this.buffered - piece.byteLength);
      return;
    }
    const limit = this.options.limitBytes;
    if (limit !== undefined && this.delivered + piece.byteLength >= limit) {
      const head = piece.subarray(0, limit - this.delivered);
      this.buffered -= piece.byteLength - head.byteLength;
      this.delivered = limit;
      this.limitHit = true;
      if (head.byteLength > 0) this.arrived.push(head);
      this.wake();
      this.options.onLimit?.();
      return;
    }
    this.delivered += piece.byteLength;
    this.arrived.push(piece);
    this.wake();
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.mergeTimer !== undefined) clearTimeout(this.mergeTimer);
    this.mergeTimer = undefined;
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
