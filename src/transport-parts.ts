/**
 * A transport assembled from parts, for adapters whose streams are made on first use (a consumer
 * of the fast path, `direct`, never makes them). A class, so that `readable` and `writable` are
 * getters on its prototype: a getter in an object literal made per connection costs an accessor
 * pair that V8 allocates in old space, and that keeps the connection's closures, and through them
 * the whole association, alive through every young-generation GC until a full one
 * (test/unit/gc-retention.test.ts).
 */
import type { DirectTransport, Transport, TransportInfo } from './transport';

/** What a {@link PartsTransport} is made of: the transport, with functions for its lazy streams. */
export interface TransportParts extends Omit<Transport, 'readable' | 'writable' | 'direct'> {
  direct: DirectTransport;
  readable(): ReadableStream<Uint8Array>;
  writable(): WritableStream<Uint8Array>;
}

export class PartsTransport implements Transport {
  readonly closed: Promise<void>;
  readonly info: TransportInfo;
  readonly direct: DirectTransport;

  constructor(private readonly parts: TransportParts) {
    this.closed = parts.closed;
    this.info = parts.info;
    this.direct = parts.direct;
  }

  get readable(): ReadableStream<Uint8Array> {
    return this.parts.readable();
  }

  get writable(): WritableStream<Uint8Array> {
    return this.parts.writable();
  }

  close(): Promise<void> {
    return this.parts.close();
  }

  abort(reason?: unknown): void {
    this.parts.abort(reason);
  }
}
