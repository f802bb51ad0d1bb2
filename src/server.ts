/**
 * An SCP server over any Listener: accepts transports, enforces the association limit
 * (A-ASSOCIATE-RJ 2,3,2 beyond it), and closes gracefully or by force.
 */
import type { AcceptorOptions } from './acceptor';
import type { Association } from './association';
import type { CloseInfo } from './channel';
import type { Listener, Transport } from './transport';

export interface ServeOptions {
  /** Concurrent associations allowed; more are rejected transient, local-limit-exceeded (2,3,2). Default 100. */
  maxAssociations?: number;
  /** Connections waiting for their A-ASSOCIATE-RQ at most; more are closed at once. Default 2 × maxAssociations. */
  maxPendingConnections?: number;
  /** Reject calls whose called AE title is not ours (1,1,7). */
  requireCalledAeTitle?: boolean;
  /** Accept only these calling AE titles (1,1,3). */
  allowedCallingAeTitles?: readonly string[];
  /** User identity verification (PS3.7 D.3.3.7). */
  verifyUserIdentity?: AcceptorOptions['verifyUserIdentity'];
}

type Handle = (transport: Transport, policy: Partial<AcceptorOptions>, onAssociation: (a: Association) => void) => Promise<CloseInfo>;

export class Server {
  /** Associations currently established. */
  readonly associations = new Set<Association>();
  /** Resolves when the server has stopped accepting and every connection has ended. */
  readonly closed: Promise<void>;
  private readonly connections = new Set<Transport>();
  private pending = 0;
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
   * (`force`). Resolves when everything is closed.
   */
  async close(options: { force?: boolean } = {}): Promise<void> {
    this.closing = true;
    await this.listener.close();
    if (options.force) {
      for (const association of this.associations) void association.abort();
      for (const transport of this.connections) transport.abort(new Error('server closed'));
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
      if (this.pending >= maxPending) {
        transport.abort(new Error('too many pending connections'));
        continue;
      }
      // Not awaited: one connection never holds up the accept loop.
      void this.run(transport, max);
    }
  }

  private async run(transport: Transport, max: number): Promise<void> {
    this.connections.add(transport);
    this.pending++;
    let counted = true;
    let admitted = false;
    const release = () => {
      if (counted) this.pending--;
      counted = false;
    };
    try {
      await this.handle(
        transport,
        {
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
        },
        (association) => {
          this.associations.add(association);
          void association.closed.then(() => this.associations.delete(association));
        },
      );
    } finally {
      release();
      if (admitted) this.active--;
      this.connections.delete(transport);
      this.checkDrained();
    }
  }

  private drainWaiters: (() => void)[] = [];
  private drained(): Promise<void> {
    if (this.connections.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }
  private checkDrained(): void {
    if (this.connections.size > 0) return;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}
