/**
 * A scripted DICOM peer over real TCP loopback (reliability.md §3.0): sends raw bytes, trickles
 * them, and asserts on what the other side answers, framed by the 6-byte PDU header only, so the
 * answer bytes can be compared exactly (R1) and the close observed (R2).
 */
import net from 'node:net';
import { hex, PduFramer, toHex } from '../../helpers/pdu-bytes';

/** One PDU as it came off the wire. */
export interface RawPdu {
  readonly type: number;
  readonly bytes: Uint8Array;
  /** ms since the peer was created. */
  readonly at: number;
}

export { hex, toHex };

/** How the connection ended, seen from the peer. */
export type CloseKind = 'fin' | 'reset' | 'local';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Every peer still open, so a failing test cannot leak sockets into the next one. */
const live = new Set<TcpPeer>();

/** Scripted servers still listening. */
const servers = new Set<() => Promise<void>>();

/** Destroys every peer and scripted server a test left open (call from afterEach). */
export async function destroyAllPeers(): Promise<void> {
  for (const peer of live) peer.destroy();
  await Promise.all([...servers].map((close) => close()));
  servers.clear();
}

export class TcpPeer {
  /** Complete PDUs received and not yet taken. */
  readonly pdus: RawPdu[] = [];
  /** Every PDU ever received (for "exactly one A-ABORT" checks). */
  readonly history: RawPdu[] = [];
  /** Set when the server ended the connection. */
  closedBy: CloseKind | null = null;
  /** ms since creation when the connection ended. */
  closedAt = -1;
  /** ms since creation when the connection was established. */
  readonly openedAt: number;
  private readonly framer = new PduFramer();
  private readonly t0: number;
  private readonly wake = new Set<() => void>();

  private constructor(
    readonly socket: net.Socket,
    t0: number,
  ) {
    this.t0 = t0;
    this.openedAt = this.now();
    live.add(this);
    socket.on('data', (chunk: Buffer) => this.append(chunk));
    socket.on('end', () => this.ended('fin'));
    socket.on('error', (e: NodeJS.ErrnoException) => this.ended(e.code === 'ECONNRESET' ? 'reset' : 'local'));
    socket.on('close', () => this.ended('local'));
  }

  /** Connects to 127.0.0.1:port (or `host`). */
  static connect(port: number, host = '127.0.0.1'): Promise<TcpPeer> {
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, noDelay: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new TcpPeer(socket, t0));
      });
    });
  }

  /** Wraps an accepted socket (a scripted SCP's side). */
  static fromSocket(socket: net.Socket): TcpPeer {
    socket.setNoDelay(true);
    return new TcpPeer(socket, performance.now());
  }

  /**
   * A scripted SCP on 127.0.0.1 and a free port: each accepted connection becomes a TcpPeer
   * handed to `script`. `close()` destroys every connection and the server.
   */
  static async listen(script: (peer: TcpPeer) => void | Promise<void>): Promise<{ port: number; peers: TcpPeer[]; close(): Promise<void> }> {
    const peers: TcpPeer[] = [];
    const server = net.createServer((socket) => {
      const peer = TcpPeer.fromSocket(socket);
      peers.push(peer);
      void Promise.resolve(script(peer)).catch(() => peer.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const close = () => {
      for (const p of peers) p.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    };
    servers.add(close);
    return { port, peers, close };
  }

  /** ms since the peer was created. */
  now(): number {
    return performance.now() - (this.t0 ?? performance.now());
  }

  /** Writes raw bytes (hex text or bytes); ignored once the socket is gone. */
  send(bytes: Uint8Array | string): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.write(typeof bytes === 'string' ? hex(bytes) : bytes);
  }

  /** Sends `bytes` `step` at a time every `intervalMs`, stopping early when the connection ends. Resolves with bytes sent. */
  async trickle(bytes: Uint8Array, intervalMs: number, step = 1): Promise<number> {
    let sent = 0;
    while (sent < bytes.length && !this.closedBy) {
      this.send(bytes.subarray(sent, sent + step));
      sent += step;
      await sleep(intervalMs);
    }
    return Math.min(sent, bytes.length);
  }

  /**
   * Waits for the next PDU and checks its type and, if given, its exact bytes (hex). Resolves
   * with it and the wait in ms; rejects when none arrives within `withinMs` or another type comes.
   */
  async expectPdu(type: number, bytes?: string, withinMs = 1000): Promise<RawPdu & { waitedMs: number }> {
    const start = this.now();
    const ok = await this.waitFor(() => this.pdus.length > 0 || this.closedBy !== null, withinMs);
    const pdu = this.pdus.shift();
    if (!ok || !pdu) throw new Error(`expected PDU ${type.toString(16)}H within ${withinMs} ms; got ${this.closedBy ? `close (${this.closedBy})` : 'nothing'}`);
    if (pdu.type !== type) throw new Error(`expected PDU ${type.toString(16)}H, got ${toHex(pdu.bytes.subarray(0, 16))}`);
    if (bytes !== undefined && toHex(pdu.bytes) !== toHex(hex(bytes))) {
      throw new Error(`expected bytes ${toHex(hex(bytes))}, got ${toHex(pdu.bytes)}`);
    }
    return { ...pdu, waitedMs: pdu.at - start < 0 ? 0 : pdu.at - start };
  }

  /** The next PDU of any type within `withinMs`, or null (nothing came, or the connection closed first). */
  async nextPdu(withinMs: number): Promise<RawPdu | null> {
    await this.waitFor(() => this.pdus.length > 0 || this.closedBy !== null, withinMs);
    return this.pdus.shift() ?? null;
  }

  /** Asserts that no PDU arrives (and the connection stays open unless `allowClose`) for `forMs`. */
  async expectNothing(forMs: number, allowClose = false): Promise<void> {
    await this.waitFor(() => this.pdus.length > 0 || (!allowClose && this.closedBy !== null), forMs);
    if (this.pdus.length > 0) throw new Error(`expected nothing, got ${toHex(this.pdus[0]!.bytes.subarray(0, 16))}`);
    if (!allowClose && this.closedBy) throw new Error(`expected the connection to stay open, closed (${this.closedBy}) at ${this.closedAt.toFixed(0)} ms`);
  }

  /** Waits for the server to end the connection; resolves with how and when (ms since creation). */
  async expectClosed(withinMs: number): Promise<{ kind: CloseKind; at: number }> {
    const ok = await this.waitFor(() => this.closedBy !== null, withinMs);
    if (!ok) throw new Error(`expected the connection to close within ${withinMs} ms`);
    return { kind: this.closedBy!, at: this.closedAt };
  }

  /** Resets the connection (RST). */
  rst(): void {
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }

  /** Ends our output (FIN); we keep reading. */
  end(): void {
    this.socket.end();
  }

  /** Keeps the connection open without sending (the default; here for readable scripts). */
  hold(): void {}

  /** Tears down (teardown). */
  destroy(): void {
    live.delete(this);
    if (!this.socket.destroyed) this.socket.destroy();
  }

  /** Bytes received that do not form a complete PDU. */
  get pending(): number {
    return this.framer.pending;
  }

  private ended(kind: CloseKind): void {
    if (this.closedBy === null) {
      // A FIN followed by close is a FIN; an error followed by close keeps the error kind.
      this.closedBy = kind;
      this.closedAt = this.now();
    }
    if (kind !== 'fin') live.delete(this);
    this.poke();
  }

  private append(chunk: Uint8Array): void {
    for (const bytes of this.framer.push(chunk)) {
      const pdu = { type: bytes[0]!, bytes, at: this.now() };
      this.pdus.push(pdu);
      this.history.push(pdu);
    }
    this.poke();
  }

  private poke(): void {
    for (const w of [...this.wake]) w();
  }

  /** Resolves true once `cond` holds, false after `ms`. */
  waitFor(cond: () => boolean, ms: number): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake.delete(check);
        resolve(cond());
      }, ms);
      const check = () => {
        if (!cond()) return;
        clearTimeout(timer);
        this.wake.delete(check);
        resolve(true);
      };
      this.wake.add(check);
    });
  }
}
