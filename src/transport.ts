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
