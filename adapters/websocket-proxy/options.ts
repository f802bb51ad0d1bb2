/**
 * Options of the WebSocket-to-TCP proxy, their defaults (reliability.md §5) and validation.
 * Configuration mistakes throw at start, not on the first connection.
 */
import type { Server } from 'node:http';
import type { ConnectionOptions } from 'node:tls';

/** One DICOM peer the proxy may reach. */
export interface ProxyTarget {
  host: string;
  port: number;
  /** Connect with TLS (PS3.15 Annex B) using these options (`servername`, `ca`, `cert`...). */
  tls?: ConnectionOptions;
}

/** Options for {@link createDicomProxy}. */
export interface DicomProxyOptions {
  /** The allow-list: URL path → peer, e.g. `{ '/pacs': { host: '127.0.0.1', port: 11112 } }`. */
  targets: Record<string, ProxyTarget>;
  /**
   * Origins whose pages may connect (`'https://viewer.example'`), or `'*'` for any. Default:
   * same origin only (the Origin's host equals the Host header, which must itself be allowed).
   */
  allowOrigins?: string[] | '*';
  /** Accept upgrades without an Origin header (non-browser clients). Default false. */
  allowMissingOrigin?: boolean;
  /**
   * Accepted Host headers (`'127.0.0.1:8080'`). Default when bound to loopback: 127.0.0.1,
   * localhost and [::1] on the bound port (defeats DNS rebinding); otherwise any.
   */
  allowedHosts?: string[];
  /** Open WebSockets at most; more get HTTP 503. Default 64. */
  maxConnections?: number;
  /** Largest WebSocket message accepted; bigger ones close with 1009. Default 1 MiB. */
  maxPayload?: number;
  /** Close both sides after this long without traffic. Default 60 000 ms. */
  idleTimeoutMs?: number;
  /** Give up connecting to the peer after this long. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** TCP reads pause while more than this is waiting to go out on the WebSocket. Default 1 MiB. */
  highWaterMark?: number;
  /** Serve files from these directories (first match wins) on the same port. */
  staticDir?: string | string[];
  /** Attach to this HTTP(S) server instead of creating one (no static files then). */
  server?: Server;
  /** Address to bind. Default '127.0.0.1'. */
  host?: string;
  /** Port to bind. Default 0 (a free port; read `address`). */
  port?: number;
  /** One line per connection event (default: none). */
  log?: (line: string) => void;
}

/** The options after defaults, with the target table keyed by exact path. */
export interface ResolvedProxyOptions {
  targets: Map<string, ProxyTarget & { name: string }>;
  allowOrigins: Set<string> | '*' | 'same-origin';
  allowMissingOrigin: boolean;
  allowedHosts: Set<string> | undefined;
  maxConnections: number;
  maxPayload: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  highWaterMark: number;
  staticDirs: string[];
  log: (line: string) => void;
}

/** A target path: one segment of unreserved characters, never "." or "..". */
const TARGET_PATH = /^\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/;

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The Host headers a loopback-bound server answers to by default. */
export function loopbackHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

/** Validates `options` and fills in defaults (the loopback Host list is added once the port is bound). */
export function resolveProxyOptions(options: DicomProxyOptions): ResolvedProxyOptions {
  const targets = new Map<string, ProxyTarget & { name: string }>();
  for (const [key, target] of Object.entries(options.targets ?? {})) {
    const path = key.startsWith('/') ? key : `/${key}`;
    if (!TARGET_PATH.test(path)) throw new TypeError(`proxy target path must be one plain segment like '/pacs', got ${JSON.stringify(key)}`);
    if (!target || typeof target.host !== 'string' || !Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
      throw new TypeError(`proxy target ${path} needs a host and a port (1..65535)`);
    }
    targets.set(path, { ...target, name: path.slice(1) });
  }
  if (targets.size === 0) throw new TypeError('the proxy needs at least one target, e.g. { "/pacs": { host: "127.0.0.1", port: 11112 } }');
  const allowOrigins = options.allowOrigins === '*' ? '*' : options.allowOrigins ? new Set(options.allowOrigins) : 'same-origin';
  const allowedHosts = options.allowedHosts ? new Set(options.allowedHosts.map((h) => h.toLowerCase())) : undefined;
  const positive = (value: number | undefined, fallback: number, name: string): number => {
    const v = value ?? fallback;
    if (!(v > 0)) throw new RangeError(`${name} must be positive, got ${v}`);
    return v;
  };
  const staticDirs = options.staticDir === undefined ? [] : Array.isArray(options.staticDir) ? options.staticDir : [options.staticDir];
  if (staticDirs.length > 0 && options.server) throw new TypeError('staticDir needs the proxy to own its HTTP server (do not pass server)');
  return {
    targets,
    allowOrigins,
    allowMissingOrigin: options.allowMissingOrigin ?? false,
    allowedHosts,
    maxConnections: positive(options.maxConnections, 64, 'maxConnections'),
    maxPayload: positive(options.maxPayload, 1024 * 1024, 'maxPayload'),
    idleTimeoutMs: positive(options.idleTimeoutMs, 60_000, 'idleTimeoutMs'),
    connectTimeoutMs: positive(options.connectTimeoutMs, 10_000, 'connectTimeoutMs'),
    highWaterMark: positive(options.highWaterMark, 1024 * 1024, 'highWaterMark'),
    staticDirs,
    log: options.log ?? (() => {}),
  };
}
