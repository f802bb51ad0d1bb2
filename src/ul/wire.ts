/**
 * How the upper layer moves bytes over its transport: through the web streams every transport
 * has, or through the optional {@link DirectTransport} fast path (Node sockets), which skips the
 * streams' per-chunk promises and sends a P-DATA-TF's headers and data views in one vectored write
 * instead of copying them into one buffer. Both keep the same order and back-pressure rules.
 */
import { concatChunks } from '../dimse/dataset-source';
import type { DirectTransport, Transport } from '../transport';
import type { Clock } from './artim';
import { closeGracefully, settlesWithin } from './close';

/** What the upper layer does with input: handle one chunk (a promise means "wait before the next"). */
export interface WireInput {
  chunk(bytes: Uint8Array): void | Promise<void>;
  /** The readable ended (`cause` undefined: the peer closed) or failed. */
  lost(cause?: unknown): void;
  /** A bug while handling input: never rethrown. */
  failed(error: unknown): void;
}

/** One PDU on its way out, as one buffer or as parts to send back to back. */
export type WireBytes = Uint8Array | readonly Uint8Array[];

export interface Wire {
  /** Queues bytes in order; a failure is reported through `WireInput.lost`. */
  write(bytes: WireBytes): void;
  /** Resolves when more may be written (write back-pressure); undefined when that is already so. */
  ready(): Promise<void> | undefined;
  /** {@link DirectTransport.flushed}, when the transport can tell; absent otherwise. */
  readonly flushed?: () => Promise<void> | undefined;
  /** {@link DirectTransport.flush}: send what was written now (a no-op where writes are not held). */
  flush(): void;
  /** {@link DirectTransport.release}, when the transport lends its input chunks; absent otherwise. */
  readonly release?: (view: Uint8Array, count?: number) => void;
  /** Starts delivering input (once). */
  startReading(input: WireInput): void;
  /** Stops reading; later input is dropped. */
  stopReading(): void;
  /** Ends the connection; `graceful` flushes and ends our side first. Never rejects. */
  close(graceful: boolean, options: { stepTimeoutMs: number; clock: Clock }): Promise<void>;
}

/** The fast path when the transport offers one, else the streams. */
export function wireFor(transport: Transport): Wire {
  return transport.direct ? new DirectWire(transport, transport.direct) : new StreamWire(transport);
}

/** Joins parts into one buffer (the streams carry one chunk per PDU). */
function joined(bytes: WireBytes): Uint8Array {
  return bytes instanceof Uint8Array ? bytes : concatChunks(bytes);
}

class StreamWire implements Wire {
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private input: WireInput | null = null;
  private cancel: () => void = () => undefined;
  private stopped = false;

  constructor(private readonly transport: Transport) {
    this.writer = transport.writable.getWriter();
  }

  write(bytes: WireBytes): void {
    this.writer.write(joined(bytes)).catch((error: unknown) => this.input?.lost(error ?? new Error('write failed')));
  }

  flush(): void {
    // Each PDU is its own stream write already.
  }

  ready(): Promise<void> | undefined {
    if ((this.writer.desiredSize ?? 1) > 0) return undefined;
    // A failed transport resolves too: the read side reports the loss.
    return this.writer.ready.then(
      () => undefined,
      () => undefined,
    );
  }

  startReading(input: WireInput): void {
    this.input = input;
    void this.readLoop(input).catch((error: unknown) => input.failed(error));
  }

  stopReading(): void {
    this.stopped = true;
    this.cancel();
  }

  close(graceful: boolean, options: { stepTimeoutMs: number; clock: Clock }): Promise<void> {
    return closeGracefully(this.transport, this.writer, { graceful, ...options });
  }

  private async readLoop(input: WireInput): Promise<void> {
    let reader: ReadableStreamDefaultReader<Uint8Array>;
    try {
      reader = this.transport.readable.getReader();
    } catch (error) {
      input.lost(error);
      return;
    }
    // A local first, not `this.cancel = () => …`: see test/unit/retention-patterns.test.ts.
    const cancel = () => void reader.cancel().catch(() => undefined);
    this.cancel = cancel;
    if (this.stopped) this.cancel();
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        input.lost(error);
        return;
      }
      if (result.done) return input.lost();
      const pending = input.chunk(result.value);
      if (pending) await pending;
    }
  }
}

class DirectWire implements Wire {
  readonly flushed?: () => Promise<void> | undefined;
  readonly release?: (view: Uint8Array, count?: number) => void;
  private input: WireInput | null = null;
  /** Chunks that arrived while an earlier one was still being handled (kept in order). */
  private backlog: Uint8Array[] = [];
  private busy = false;
  private stopped = false;

  constructor(
    private readonly transport: Transport,
    private readonly direct: DirectTransport,
  ) {
    // Locals first, not `this.flushed = () => …`: see test/unit/retention-patterns.test.ts.
    const flushed = () => direct.flushed!();
    const release = (view: Uint8Array, count?: number) => direct.release!(view, count);
    if (direct.flushed) this.flushed = flushed;
    if (direct.release) this.release = release;
  }

  write(bytes: WireBytes): void {
    this.direct.write(bytes instanceof Uint8Array ? [bytes] : bytes);
  }

  ready(): Promise<void> | undefined {
    return this.direct.drained();
  }

  flush(): void {
    this.direct.flush?.();
  }

  startReading(input: WireInput): void {
    this.input = input;
    this.direct.receive({
      data: (chunk) => this.onData(chunk),
      end: () => this.whenIdle(() => input.lost()),
      // A reset loses what is queued anyway: report it now, so a waiting handler is released.
      error: (error) => input.lost(error ?? new Error('transport failed')),
    });
  }

  stopReading(): void {
    this.stopped = true;
    if (this.release) for (const chunk of this.backlog) this.release(chunk);
    this.backlog = [];
  }

  async close(graceful: boolean, options: { stepTimeoutMs: number; clock: Clock }): Promise<void> {
    const clean = graceful && (await settlesWithin(() => this.transport.close(), options));
    if (!clean) {
      try {
        this.transport.abort();
      } catch {
        // Already gone.
      }
    }
  }

  private onData(chunk: Uint8Array): void {
    if (this.stopped) {
      this.release?.(chunk); // dropped unread
      return;
    }
    if (this.busy) {
      this.backlog.push(chunk);
      return;
    }
    this.handle(chunk);
  }

  /** Handles chunks until one must wait; then reading pauses until it is done (read back-pressure). */
  private handle(first: Uint8Array): void {
    let chunk: Uint8Array | undefined = first;
    while (chunk && !this.stopped) {
      let pending: void | Promise<void>;
      try {
        pending = this.input!.chunk(chunk);
      } catch (error) {
        this.input!.failed(error);
        return;
      }
      if (pending) {
        this.busy = true;
        this.direct.pause();
        pending.then(
          () => this.resumeAfterWait(),
          (error: unknown) => this.input!.failed(error),
        );
        return;
      }
      chunk = this.backlog.shift();
    }
  }

  private resumeAfterWait(): void {
    this.busy = false;
    const next = this.backlog.shift();
    if (next) this.handle(next);
    if (!this.busy) {
      this.direct.resume();
      this.runDeferred();
    }
  }

  private deferred: (() => void) | null = null;

  /** End or error waits for the chunks before it: the peer's last PDU comes before its FIN. */
  private whenIdle(then: () => void): void {
    if (this.busy) this.deferred = then;
    else then();
  }

  private runDeferred(): void {
    const then = this.deferred;
    this.deferred = null;
    then?.();
  }
}
