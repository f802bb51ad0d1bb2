/**
 * A client-side association pool (platform-free): reuses established associations for successive
 * operations, keyed by peer, called AE title and proposed presentation contexts (PS3.8 §7.1: the
 * contexts are fixed at establishment, so only an identical proposal can reuse one), caps the
 * associations per peer, releases idle ones after a timeout, replaces aborted ones and drains on
 * close. Each association is leased to one user at a time (who may still pipeline on it within
 * the negotiated asynchronous operations window, PS3.7 D.3.3.3).
 */
import type { RequestedContext } from './acse/contexts';
import type { ApplicationEntity } from './ae';
import type { Association } from './association';
import { AssociationAbortedError } from './errors';
import type { AssociateOptions } from './requestor';
import type { Transport } from './transport';

/** What to associate with: the peer (handed to `connect`) and what to propose. */
export interface PoolKey {
  /** Whatever `connect` understands, e.g. 'pacs.example:104'. */
  readonly peer: string;
  /** The peer's AE title. Default 'ANY-SCP'. */
  readonly calledAeTitle?: string;
  /** Contexts to propose; default the AE's requested contexts. */
  readonly contexts?: readonly RequestedContext[];
}

/**
 * What an {@link AssociationPool} is built from (its constructor's argument): our AE, how to open
 * a transport to a peer, the per-peer cap and idle timeout, and further association options.
 */
export interface AssociationPoolOptions {
  /** Our AE (title, timeouts, default contexts). */
  readonly ae: ApplicationEntity;
  /** Opens a transport to a peer. */
  connect(peer: string, signal?: AbortSignal): Promise<Transport>;
  /** Associations per peer at most (leased, idle and being established). Default 4. */
  readonly maxPerPeer?: number;
  /** An idle association is released after this long (ms). Default 30000. */
  readonly idleTimeoutMs?: number;
  /** More association options (user identity, extended negotiation, handlers). */
  readonly associate?: Omit<AssociateOptions, 'calledAeTitle' | 'contexts' | 'signal'>;
}

interface Entry {
  readonly key: string;
  readonly peer: string;
  association: Association | null;
  leased: boolean;
  timer?: ReturnType<typeof setTimeout>;
  /** Settles when establishment has succeeded or failed. */
  ready?: Promise<void>;
  /** Cancels the establishment while it runs (`close({ force: true })`). */
  opening?: AbortController;
}

interface Waiter {
  readonly key: string;
  readonly pk: PoolKey;
  readonly signal?: AbortSignal;
  /** Hands `a` over; false if the caller has given up already (its signal aborted). */
  resolve(a: Association): boolean;
  reject(e: unknown): void;
}

/** Pool statistics. */
export interface PoolStats {
  readonly open: number;
  readonly leased: number;
  readonly idle: number;
  readonly waiting: number;
  readonly created: number;
  readonly reused: number;
}

/**
 * Reuses established associations for successive SCU operations: an association is reused only for
 * the same peer, called AE title and context proposal (the contexts are fixed once it is
 * established, PS3.8 §7.1). `use(key, fn)` leases one for the length of `fn`; `acquire` and
 * `release` do the same by hand. Idle ones are released after `idleTimeoutMs`, ended ones replaced;
 * `stats` counts them, and `close()` releases everything.
 */
export class AssociationPool {
  private readonly entries = new Set<Entry>();
  private readonly byAssociation = new Map<Association, Entry>();
  private readonly waiters: Waiter[] = [];
  /** Associations dropped from the pool whose A-RELEASE is still under way: a forced close aborts them. */
  private readonly releasing = new Set<Association>();
  private closing: Promise<void> | null = null;
  private pumping = false;
  private created = 0;
  private reused = 0;
  private readonly maxPerPeer: number;
  private readonly idleTimeoutMs: number;

  constructor(private readonly options: AssociationPoolOptions) {
    this.maxPerPeer = Math.max(1, options.maxPerPeer ?? 4);
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30000;
  }

  /** Leases an association for `fn` and gives it back afterwards (aborted ones are replaced next time). */
  async use<T>(key: PoolKey, fn: (association: Association) => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    const association = await this.acquire(key, options);
    try {
      return await fn(association);
    } finally {
      this.release(association);
    }
  }

  /**
   * Leases an established association for `key`: an idle one with the same proposal, a new one
   * while the peer is under its cap, or the next one given back. Rejects on close or abort.
   */
  acquire(key: PoolKey, options: { signal?: AbortSignal } = {}): Promise<Association> {
    if (this.closing) return Promise.reject(new AssociationAbortedError('association pool is closed'));
    return new Promise<Association>((resolve, reject) => {
      const signal = options.signal;
      if (signal?.aborted) return reject(signal.reason);
      // Set once the caller's promise has settled: an abort can come while the association is
      // still being established for this waiter, and open() must then not lose it.
      let settled = false;
      const onAbort = () => {
        settled = true;
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        key: keyOf(key),
        pk: key,
        ...(signal && { signal }),
        resolve: (a) => {
          if (settled) return false;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(a);
          return true;
        },
        reject: (e) => {
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /** Gives a leased association back; an ended one is dropped and its slot freed. */
  release(association: Association): void {
    const entry = this.byAssociation.get(association);
    if (!entry || !entry.leased) return;
    entry.leased = false;
    if (!association.isEstablished || this.closing) {
      this.drop(entry, 'release');
    } else {
      entry.timer = setTimeout(() => this.drop(entry, 'release'), this.idleTimeoutMs);
    }
    this.pump();
  }

  /** Counts for monitoring. */
  get stats(): PoolStats {
    let leased = 0;
    let idle = 0;
    for (const e of this.entries) {
      if (e.leased) leased++;
      else if (e.association) idle++;
    }
    return { open: this.entries.size, leased, idle, waiting: this.waiters.length, created: this.created, reused: this.reused };
  }

  /**
   * Stops leasing (waiters reject), releases idle associations, waits for leased ones to come
   * back and releases them too. `force` aborts everything at once instead.
   */
  close(options: { force?: boolean } = {}): Promise<void> {
    if (options.force) for (const a of this.releasing) void a.abort();
    if (!this.closing) {
      for (const w of this.waiters.splice(0)) w.reject(new AssociationAbortedError('association pool is closed'));
      this.closing = Promise.all(
        [...this.entries].map(async (e) => {
          if (options.force) e.opening?.abort(new AssociationAbortedError('association pool is closed'));
          await e.ready;
          if (options.force) await e.association?.abort();
          else if (!e.leased) this.drop(e, 'release');
          await e.association?.closed;
        }),
      ).then(() => undefined);
    } else if (options.force) {
      // A graceful close already waits (for leased associations, for negotiations): a forced one
      // after it, the usual shutdown's second step, ends everything still open now.
      for (const e of this.entries) {
        e.opening?.abort(new AssociationAbortedError('association pool is closed'));
        void e.association?.abort();
      }
    }
    return this.closing;
  }

  /** Serves waiters in order while associations or slots are free. */
  private pump(): void {
    // drop() pumps too: no re-entry while a pass is running over the waiters.
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.pumpOnce();
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(): void {
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i]!;
      const idle = [...this.entries].find((e) => e.key === w.key && !e.leased && e.association?.isEstablished);
      if (idle) {
        this.waiters.splice(i--, 1);
        clearTimeout(idle.timer);
        idle.leased = true;
        this.reused++;
        w.resolve(idle.association!);
        continue;
      }
      const peer = w.pk.peer;
      if ([...this.entries].filter((e) => e.peer === peer).length >= this.maxPerPeer) {
        // Make room by releasing an idle association of the same peer proposing other contexts.
        const other = [...this.entries].find((e) => e.peer === peer && !e.leased && e.association);
        if (!other) continue;
        this.drop(other, 'release');
      }
      this.waiters.splice(i--, 1);
      this.open(w);
    }
  }

  private open(w: Waiter): void {
    const opening = new AbortController();
    const entry: Entry = { key: w.key, peer: w.pk.peer, association: null, leased: true, opening };
    this.entries.add(entry);
    entry.ready = (async () => {
      try {
        // The caller's signal cancels the connection attempt; once connected, an abort no longer
        // stops the establishment: the association goes to the pool instead (below). A forced
        // close cancels either step (a peer that never answers the A-ASSOCIATE-RQ would otherwise
        // hold it for the ACSE timeout).
        const either = eitherSignal(w.signal, opening.signal);
        let transport: Transport;
        try {
          transport = await this.options.connect(w.pk.peer, either.signal);
        } finally {
          either.dispose(); // also when connect throws at once
        }
        const association = await this.options.ae.associate(transport, {
          ...this.options.associate,
          calledAeTitle: w.pk.calledAeTitle,
          ...(w.pk.contexts && { contexts: w.pk.contexts }),
          signal: opening.signal,
        });
        entry.opening = undefined;
        entry.association = association;
        this.byAssociation.set(association, entry);
        this.created++;
        // An idle association the peer aborts (or that times out) leaves the pool by itself.
        void association.closed.then(() => {
          if (!entry.leased) this.drop(entry, 'none');
        });
        if (this.closing) {
          this.drop(entry, 'release');
          w.reject(new AssociationAbortedError('association pool is closed'));
        } else if (!w.resolve(association)) {
          // The waiter gave up while this was being set up: give it back as idle (or to the next
          // waiter) rather than leaving it leased to nobody.
          this.release(association);
        }
      } catch (error) {
        entry.opening = undefined;
        this.entries.delete(entry);
        w.reject(error);
        this.pump();
      }
    })();
    void entry.ready;
  }

  private drop(entry: Entry, end: 'release' | 'none'): void {
    if (!this.entries.delete(entry)) return;
    clearTimeout(entry.timer);
    const a = entry.association;
    if (a) {
      this.byAssociation.delete(a);
      if (end === 'release' && a.isEstablished) {
        // Until the peer answers (or the ACSE timeout): a forced close must still be able to end it.
        this.releasing.add(a);
        void a.release().catch(() => undefined);
        void a.closed.finally(() => this.releasing.delete(a)).catch(() => undefined);
      }
    }
    this.pump();
  }
}

/**
 * A signal that aborts when either does (`AbortSignal.any` is missing from older browsers), and
 * `dispose` to unhook it: a caller's long-lived signal must not collect a listener per connection.
 */
function eitherSignal(a: AbortSignal | undefined, b: AbortSignal): { signal: AbortSignal; dispose(): void } {
  if (!a || a.aborted) return { signal: a ?? b, dispose: () => undefined };
  const both = new AbortController();
  const fromA = () => both.abort(a.reason);
  const fromB = () => both.abort(b.reason);
  a.addEventListener('abort', fromA, { once: true });
  b.addEventListener('abort', fromB, { once: true });
  const dispose = () => {
    a.removeEventListener('abort', fromA);
    b.removeEventListener('abort', fromB);
  };
  return { signal: both.signal, dispose };
}

/** The reuse key: same peer, called AE title and context proposal (order included: it fixes the IDs). */
function keyOf(key: PoolKey): string {
  const contexts = (key.contexts ?? []).map((c) => [c.abstractSyntax, c.transferSyntaxes, c.scuRole ?? null, c.scpRole ?? null]);
  return JSON.stringify([key.peer, key.calledAeTitle ?? 'ANY-SCP', key.contexts ? contexts : null]);
}
