/**
 * The transport boundary: the only thing the core knows about the network.
 *
 * The shape follows the WinterTC / Cloudflare `connect()` socket: a pair of web
 * streams of bytes plus `closed`/`close()`. Back-pressure travels through the
 * streams themselves (the core awaits `writer.ready`). Adapters in `adapters/`
 * turn Node sockets, WebSockets or in-memory pipes into this shape.
 */
export interface Transport {
  /** Bytes from the peer. Ends (closes) when the peer ends the connection; errors on reset. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer. Closing it ends our side of the connection (TCP FIN) after flushing. */
  readonly writable: WritableStream<Uint8Array>;
  /** Settles once the connection is fully closed: resolves on a clean close, rejects with a TransportError on reset. */
  readonly closed: Promise<void>;
  /** Where the connection goes, for logs and AE policies. */
  readonly info: TransportInfo;
  /** Flush what was written, then end the connection. */
  close(): Promise<void>;
  /** Destroy the connection now, dropping unsent bytes. */
  abort(reason?: unknown): void;
  /**
   * Optional fast path (the Node socket adapter has one). When present the core uses it instead
   * of `readable` and `writable`, which it then leaves untouched; `close()` and `abort()` still end
   * the connection. Wrappers that only forward the streams simply leave it out.
   */
  readonly direct?: DirectTransport;
}

/**
 * Bytes in and out without a promise per chunk: writes are queued in order and sent as vectored
 * writes, input is pushed to a sink, back-pressure is explicit (`drained`, `pause`, `resume`).
 */
export interface DirectTransport {
  /**
   * Queues `chunks` to be sent back to back, in order. They are not copied: the caller must not
   * change them afterwards. Failures are reported to the receive sink's `error`.
   */
  write(chunks: readonly Uint8Array[]): void;
  /** Undefined when less than the high-water mark is queued; else resolves when that is so again (or the connection failed). */
  drained(): Promise<void> | undefined;
  /**
   * Optional: sends what was written so far now. By default a transport may hold writes until the
   * current task ends, to send them together (the Node socket adapter sends a tick's writes as one
   * vectored write); the core calls this after a message's last PDU, so that the peer gets a
   * request or response before the bookkeeping that follows it on this side.
   */
  flush?(): void;
  /**
   * Optional. Undefined when every chunk written so far has been handed to the operating system
   * (the transport no longer references it); else resolves when that is so (or the connection
   * failed). Lets a sender reuse a chunk's memory; transports that keep or pass on the chunks
   * themselves (in-memory pipes) leave it out.
   */
  flushed?(): Promise<void> | undefined;
  /** Delivers input to `sink` from now on (call once). */
  receive(sink: ByteSink): void;
  /**
   * Optional: input chunks are lent. Hands back `count` bytes (default: all) of `view`, a view
   * into a chunk this transport delivered, which its holder no longer reads; once every byte of a
   * chunk is back, the transport may read new input into that memory. Each byte at most once.
   * Bytes never handed back simply keep their chunk from being reused (it is garbage-collected as
   * usual), so only code that knows a chunk is dead releases it. Views of anything else are ignored.
   */
  release?(view: Uint8Array, count?: number): void;
  /** Stops delivering input until `resume()`; the network's own window then closes. */
  pause(): void;
  resume(): void;
}

/** Where a {@link DirectTransport} delivers input. */
export interface ByteSink {
  /** One chunk of input; the sink's to keep, unless the transport has `release` (see there). */
  data(chunk: Uint8Array): void;
  /** The peer ended the connection (after its last `data`). */
  end(): void;
  /** The connection failed (reset, write error). */
  error(error: unknown): void;
}

/** Descriptive facts about a transport. */
export interface TransportInfo {
  /** Local address, e.g. `127.0.0.1:11112`. */
  readonly local?: string;
  /** Remote address, e.g. `127.0.0.1:53412`. */
  readonly remote?: string;
  /** True when the bytes are protected by TLS (directly or through a `wss:` proxy). */
  readonly secure: boolean;
}

/** A source of inbound transports (a TCP server, a memory network). */
export interface Listener extends AsyncIterable<Transport> {
  /** What the listener is bound to, e.g. `127.0.0.1:11112`. */
  readonly address: string;
  /** Stop accepting; transports already handed out stay open. Ends the iteration. */
  close(): Promise<void>;
}
