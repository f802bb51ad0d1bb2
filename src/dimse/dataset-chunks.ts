import type { ReleaseBytes } from '../pdu/reader';

/**
 * The chunks of one streamed data set on their way from the PDU reader to the message's handler:
 * a bounded queue the reassembler fills (it waits while the queue is full, which pauses the
 * reader) and the handler drains as an async iterator, or through a web ReadableStream made only
 * when asked for (Node 20 spends tens of µs making each ReadableStream transferable: a C-GET of
 * small instances paid that once per instance).
 *
 * When the transport lends its input (`release` given, DirectTransport.release), a consumer that
 * calls {@link DatasetChunks.lend} gets the lent chunks themselves and hands each back with
 * {@link DatasetChunks.release}; any other consumer gets copies (each lent chunk goes back as it
 * is copied), so lent memory never reaches code that does not know about it. Chunks dropped here
 * (cancel, failure) go back too.
 */
export class DatasetChunks implements AsyncIterableIterator<Uint8Array> {
  private queue: Uint8Array[] = [];
  private ended = false;
  private failure: { error: unknown } | null = null;
  private cancelled = false;
  private reader: { resolve(r: IteratorResult<Uint8Array>): void; reject(e: unknown): void } | null = null;
  private wakeProducer: (() => void) | null = null;
  private stream: ReadableStream<Uint8Array> | null = null;

  private lent = false;

  /** `highWaterMark`: chunks queued before the producer is asked to wait; `releaseBytes`: see the class. */
  constructor(
    private readonly highWaterMark: number,
    private readonly releaseBytes?: ReleaseBytes,
  ) {}

  /** True when chunks come from lent memory (a consumer may then {@link lend} and {@link release}). */
  get lends(): boolean {
    return this.releaseBytes !== undefined;
  }

  /** The consumer takes the lent chunks themselves and hands each back with {@link release}. Call before reading. */
  lend(): void {
    this.lent = true;
  }

  /**
   * Hands back a chunk this iterator gave after {@link lend}, once nothing reads it any more (it
   * may be overwritten afterwards). At most once per chunk; without `lend` (copies) it does nothing.
   */
  release(chunk: Uint8Array): void {
    if (this.lent) this.releaseBytes?.(chunk);
  }

  /** A data set that arrived whole (buffered), as chunks: itself, or none when empty. */
  static of(bytes: Uint8Array | null): DatasetChunks {
    const chunks = new DatasetChunks(Infinity);
    if (bytes && bytes.byteLength > 0) chunks.push(bytes);
    chunks.close();
    return chunks;
  }

  /** True once the consumer cancelled or the data set failed: later chunks are dropped. */
  get closedForInput(): boolean {
    return this.cancelled || this.failure !== null;
  }

  // — producer side (the reassembler) —

  /** Queues a chunk; a promise when the consumer must catch up first (back-pressure). */
  push(chunk: Uint8Array): void | Promise<void> {
    if (this.closedForInput || this.ended) {
      this.releaseBytes?.(chunk); // dropped: nobody will read it
      return;
    }
    if (this.reader) {
      const reader = this.reader;
      this.reader = null;
      reader.resolve({ done: false, value: this.handOut(chunk) });
      return;
    }
    this.queue.push(chunk);
    if (this.queue.length >= this.highWaterMark) return new Promise<void>((resolve) => (this.wakeProducer = resolve));
  }

  /** The last chunk was pushed. */
  close(): void {
    if (this.closedForInput || this.ended) return;
    this.ended = true;
    this.settleReader();
  }

  /**
   * The handler is done with a data set that may still be arriving: fails the rest as discarded.
   * Runs after every C-STORE handler, and nearly always finds the data set read to its end: then it
   * does nothing, without making an Error (its stack trace costs ~20 µs, once per instance).
   */
  discardRest(): void {
    if (this.closedForInput || this.ended) return;
    this.error(new Error('the rest of the data set was discarded'));
  }

  /** Fails a data set still arriving: queued chunks are dropped and reads reject with `error`. */
  error(error: unknown): void {
    if (this.closedForInput || this.ended) return;
    this.failure = { error };
    this.dropQueue();
    this.settleReader();
    this.wake();
  }

  // — consumer side (the handler) —

  /**
   * A chunk that has arrived already, taken without a promise; undefined when none is queued (then
   * `next()` waits for one). Lets a consumer that writes in batches take a read's worth of
   * fragments in one go instead of one await each.
   */
  takeArrived(): Uint8Array | undefined {
    if (this.failure) return undefined; // next() reports it
    const chunk = this.queue.shift();
    if (!chunk) return undefined;
    if (this.queue.length < this.highWaterMark) this.wake();
    return this.handOut(chunk);
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.failure) return Promise.reject(this.failure.error);
    const chunk = this.queue.shift();
    if (chunk) {
      if (this.queue.length < this.highWaterMark) this.wake();
      return Promise.resolve({ done: false, value: this.handOut(chunk) });
    }
    if (this.ended || this.cancelled) return Promise.resolve({ done: true, value: undefined });
    if (this.reader) return Promise.reject(new Error('data set chunks read twice at once'));
    return new Promise((resolve, reject) => (this.reader = { resolve, reject }));
  }

  /** The consumer stops reading: the rest of the data set is dropped as it arrives. */
  cancel(): Promise<void> {
    if (!this.cancelled && !this.failure) {
      this.cancelled = true;
      this.dropQueue();
      this.settleReader();
      this.wake();
    }
    return Promise.resolve();
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    return this.cancel().then(() => ({ done: true, value: undefined }));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The same chunks as a web ReadableStream (made on first call; read one or the other). */
  toStream(): ReadableStream<Uint8Array> {
    return (this.stream ??= new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          const { done, value } = await this.next();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        cancel: () => this.cancel(),
      },
      { highWaterMark: 0 },
    ));
  }

  /** A chunk for the consumer: the lent one after {@link lend}, else a copy (the lent one goes back now). */
  private handOut(chunk: Uint8Array): Uint8Array {
    if (!this.releaseBytes || this.lent) return chunk;
    const copy = chunk.slice();
    this.releaseBytes(chunk);
    return copy;
  }

  private dropQueue(): void {
    const dropped = this.queue;
    this.queue = [];
    if (this.releaseBytes) for (const chunk of dropped) this.releaseBytes(chunk);
  }

  private settleReader(): void {
    const reader = this.reader;
    if (!reader) return;
    this.reader = null;
    if (this.failure) reader.reject(this.failure.error);
    else reader.resolve({ done: true, value: undefined });
  }

  private wake(): void {
    const wake = this.wakeProducer;
    this.wakeProducer = null;
    wake?.();
  }
}
