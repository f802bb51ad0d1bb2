/**
 * An SCP server over any Listener: accepts transports, enforces the association limit
 * (A-ASSOCIATE-RJ 2,3,2 beyond it), and closes gracefully or by force.
 */
import type { AcceptorOptions } from './acceptor';
import type { Association } from './association';
import type { CloseInfo } from './channel';
import type { Logger } from './logger';
import type { Listener, Transport } from './transport';

/**
 * How a {@link Server} admits connections and associations: the association and pending-connection
 * limits, AE-title policies and user identity checks. The third argument of {@link ApplicationEntity.serve}.
 */
export interface ServeOptions {
  /** Concurrent associations allowed; more are rejected transient, local-limit-exceeded (2,3,2). Default 100. */
  maxAssociations?: number;
  /**
   * Connections waiting for their A-ASSOCIATE-RQ at most. Default 2 × maxAssociations. When full,
   * a new connection closes the *oldest* waiting one (not itself): a legitimate peer sends its RQ
   * within a round trip, so a flood of idle connections (slowloris, reliability.md C-06) cannot
   * lock out new clients, whatever address either comes from. 0 closes every connection.
   */
  maxPendingConnections?: number;
  /** Where connections closed by the pending cap are reported (warn; at most one line a second plus a count), and unexpected failures (error). Default: nowhere. */
  logger?: Logger;
  /** Reject calls whose called AE title is not ours (1,1,7). */
  requireCalledAeTitle?: boolean;
  /** Accept only these calling AE titles (1,1,3). */
  allowedCallingAeTitles?: readonly string[];
  /**
   * User identity verification (PS3.7 D.3.3.7): false rejects (1,1,1). It only runs for requests
   * that carry a User Identity item; one without is accepted (as pynetdicom and DCMTK do) unless
   * `requireUserIdentity` is set.
   */
  verifyUserIdentity?: AcceptorOptions['verifyUserIdentity'];
  /** Reject (1,1,1) requests without a User Identity item. Default false. */
  requireUserIdentity?: boolean;
  /** Reject (1,1,1) a username-and-passcode identity sent without TLS (the passcode went in clear). Default false. */
  requireTlsForPasscode?: boolean;
}

type Handle = (transport: Transport, policy: Partial<AcceptorOptions>, onAssociation: (a: Association) => void) => Promise<CloseInfo>;

/**
 * A running SCP: accepts every transport its {@link Listener} hands out and serves each as an
 * association, at most `maxAssociations` at once (more are rejected transient, local-limit-exceeded).
 * Made by {@link ApplicationEntity.serve}. `address` tells where it listens, `associations` what
 * is established now; `close()` stops accepting and waits for running associations to end
 * (`{ force: true }` aborts them), and `closed` resolves once everything has closed.
 *
 * @example
 * ```ts
 * const scp = new ApplicationEntity({ aeTitle: 'ECHO-SCP' }).addSupportedContext(SopClass.Verification);
 * const server = scp.serve(await listenTcp({ host: '127.0.0.1', port: 11112 }));
 * console.log('listening on', server.address);
 * await server.close();
 * ```
 */
export class Server {
  /** Associations currently established (a snapshot: a new Set on each read). */
  get associations(): ReadonlySet<Association> {
    return new Set(this.established);
  }
  /** Resolves when the server has stopped accepting and every connection has ended. */
  readonly closed: Promise<void>;
  /**
   * Open connections. Arrays, not Sets: in V8 a long-lived Set or Map that takes and drops an entry
   * per connection keeps dropped entries, and through them whole associations, alive through
   * young-generation GCs until a full one (the bench SCP under `--trace-gc`: ~9 KiB promoted to the
   * old generation per association with Sets). The arrays stay short: maxAssociations and
   * maxPendingConnections bound them.
   */
  private readonly connections: Transport[] = [];
  /** Connections without an A-ASSOCIATE-RQ yet, oldest first. */
  private readonly pending: Transport[] = [];
  /** Established associations (an array for the same reason). */
  private readonly established: Association[] = [];
  private evicted = { count: 0, timer: undefined as ReturnType<typeof setTimeout> | undefined };
  /** Associations admitted (counted from the limit check, so simultaneous requests cannot overshoot). */
  private active = 0;
  private closing = false;
  private readonly accepting: Promise<void>;

  constructor(
    private readonly listener: Listener,
    private readonly handle: Handle,
    private readonly options: ServeOptions = {},
  ) {
    this.accepting = this.acceptLoop();
    this.closed = this.accepting.then(() => this.drained());
  }

  /** Where the listener is bound. */
  get address(): string {
    return this.listener.address;
  }

  /**
   * Stops accepting. Running associations finish on their own (graceful) or are aborted
   * (`force`: the peer gets the A-ABORT, each closes within `abortLingerMs`); connections that have sent no A-ASSOCIATE-RQ yet are closed, and a request still
   * being decided is rejected transient, temporary-congestion (2,3,1). Resolves when everything is closed.
   */
  async close(options: { force?: boolean } = {}): Promise<void> {
    this.closing = true;
    // They have no association to finish, and would hold a graceful close for the ARTIM time.
    for (const transport of [...this.pending]) transport.abort(new Error('server closing'));
    await this.listener.close();
    if (options.force) {
      // Each abort flushes its A-ABORT and closes (within abortLingerMs); destroying first would
      // leave the peer a bare connection loss. Then whatever has no association yet.
      await Promise.all([...this.established].map((association) => association.abort()));
      for (const transport of [...this.connections]) transport.abort(new Error('server closed'));
    }
    await this.closed;
  }

  private async acceptLoop(): Promise<void> {
    const max = this.options.maxAssociations ?? 100;
    const maxPending = this.options.maxPendingConnections ?? 2 * max;
    for await (const transport of this.listener) {
      if (this.closing) {
        transport.abort(new Error('server closing'));
        continue;
      }
      if (this.pending.length >= maxPending) {
        // Close the oldest connection still silent, or this one if there is none (maxPending 0).
        const oldest: Transport = this.pending.shift() ?? transport;
        oldest.abort(new Error('too many pending connections'));
        this.reportEvicted(oldest);
        if (oldest === transport) continue;
      }
      // Not awaited: one connection never holds up the accept loop. handle() never rejects; should
      // it all the same, that must not become an unhandled rejection, which ends a Node process.
      this.run(transport, max).catch((error: unknown) => this.options.logger?.error(`serving a connection failed: ${(error as Error)?.message ?? String(error)}`));
    }
  }

  private async run(transport: Transport, max: number): Promise<void> {
    this.connections.push(transport);
    this.pending.push(transport);
    let admitted = false;
    const release = () => remove(this.pending, transport);
    try {
      await this.handle(
        transport,
        {
          // Transient: the peer may try again later (e.g. once the server is back); not a limit reached.
          shuttingDown: () => this.closing,
          atCapacity: () => {
            release();
            if (this.active >= max) return true;
            this.active++;
            admitted = true;
            return false;
          },
          requireCalledAeTitle: this.options.requireCalledAeTitle,
          allowedCallingAeTitles: this.options.allowedCallingAeTitles,
          verifyUserIdentity: this.options.verifyUserIdentity,
          requireUserIdentity: this.options.requireUserIdentity,
          requireTlsForPasscode: this.options.requireTlsForPasscode,
        },
        (association) => {
          this.established.push(association);
          void association.closed.then(() => remove(this.established, association));
        },
      );
    } finally {
      release();
      if (admitted) this.active--;
      remove(this.connections, transport);
      this.checkDrained();
    }
  }

  /** One warn line for the first connection closed by the pending cap, then a count at most once a second. */
  private reportEvicted(transport: Transport): void {
    const logger = this.options.logger;
    if (!logger) return;
    if (this.evicted.timer) {
      this.evicted.count++;
      return;
    }
    logger.warn(`closed connection from ${transport.info.remote ?? 'unknown'}: too many connections without an A-ASSOCIATE-RQ (maxPendingConnections)`);
    const flush = () => {
      if (this.evicted.count === 0) {
        this.evicted.timer = undefined;
        return;
      }
      logger.warn(`closed ${this.evicted.count} more connection(s) without an A-ASSOCIATE-RQ (maxPendingConnections)`);
      this.evicted.count = 0;
      this.evicted.timer = setTimeout(flush, 1000);
      (this.evicted.timer as { unref?: () => void }).unref?.();
    };
    this.evicted.timer = setTimeout(flush, 1000);
    (this.evicted.timer as { unref?: () => void }).unref?.();
  }

  private drainWaiters: (() => void)[] = [];
  private drained(): Promise<void> {
    if (this.connections.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }
  private checkDrained(): void {
    if (this.connections.length > 0) return;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}

/** Removes `item` from `list` if it is there. */
function remove<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at >= 0) list.splice(at, 1);
}
