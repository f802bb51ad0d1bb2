/**
 * Our outstanding requests on one association: the asynchronous operations window we may invoke
 * (PS3.7 D.3.3.3) and the Message IDs still waiting for a final response (PS3.7 §9.3, §10.3).
 *
 * A request holds a slot from just before it is sent until its final (non-Pending) response
 * arrives or it is given up (DIMSE timeout, send failure, the association's end). A caller whose
 * signal aborts keeps the slot till the response (see {@link RequestWindow.giveUp}). IDs given up
 * on are remembered (bounded) so a late response to them can be dropped instead of staying queued
 * for ever.
 */

/** Given-up Message IDs remembered at most; the oldest are forgotten first. */
const MAX_ABANDONED = 1024;

/** Bookkeeping of our invoked operations; see the file comment. */
export class RequestWindow {
  private readonly outstanding = new Set<number>();
  private readonly abandoned = new Set<number>();
  private readonly waiting: Array<{ grant(): void; fail(error: unknown): void }> = [];
  private failure: Error | null = null;
  /** Slots granted to openers that have not registered their ID yet. */
  private reserved = 0;

  /** @param limit the negotiated Maximum Number Operations Invoked; 0 = unlimited (PS3.7 D.3.3.3). */
  constructor(readonly limit: number) {}

  /** Requests waiting for their final response. */
  get size(): number {
    return this.outstanding.size;
  }

  /** Requests queued for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Takes a window slot (waiting while the window is full), then registers the Message ID that
   * `pick` returns as outstanding, so a response that comes before anyone awaits it is kept.
   * The ID itself, not a promise, when a slot was free (the common case: no promise to settle).
   */
  open(pick: (inUse: (id: number) => boolean) => number, signal?: AbortSignal): number | Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    // An already-aborted call takes no slot and sends nothing.
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.limit === 0 || this.outstanding.size + this.reserved < this.limit) return this.register(pick);
    return this.wait(signal).then(() => {
      this.reserved--;
      if (this.failure) {
        this.release();
        throw this.failure;
      }
      return this.register(pick);
    });
  }

  private register(pick: (inUse: (id: number) => boolean) => number): number {
    const id = pick((n) => this.outstanding.has(n));
    this.abandoned.delete(id);
    this.outstanding.add(id);
    return id;
  }

  /** Whether `id` waits for a final response. */
  isOutstanding(id: number): boolean {
    return this.outstanding.has(id);
  }

  /** Whether `id` was given up on (its responses are no longer wanted). */
  isAbandoned(id: number): boolean {
    return this.abandoned.has(id);
  }

  /**
   * Its caller no longer wants the response to `id`, but the peer goes on performing it (there is
   * no C-CANCEL but for C-FIND/GET/MOVE): it stays outstanding, holding its slot, until its final
   * response or {@link close}; sending another request meanwhile could exceed the window.
   */
  giveUp(id: number): void {
    if (this.outstanding.has(id)) this.remember(id);
  }

  /**
   * Ends a request: `answered` when its final response came, otherwise it was given up on
   * (timeout, abort, send failure). Frees its slot. Unknown IDs are ignored.
   */
  close(id: number, answered: boolean): void {
    const held = this.outstanding.delete(id);
    if (answered) this.abandoned.delete(id); // a response to it now would be a second one
    else if (held) this.remember(id);
    if (held) this.release();
  }

  private remember(id: number): void {
    this.abandoned.delete(id); // re-added as the newest
    if (this.abandoned.size >= MAX_ABANDONED) this.abandoned.delete(this.abandoned.values().next().value!);
    this.abandoned.add(id);
  }

  /** The association ended: queued openers fail with `error`. */
  fail(error: Error): void {
    this.failure ??= error;
    for (const w of this.waiting.splice(0)) w.fail(error);
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) {
      this.reserved++;
      next.grant();
    }
  }

  private wait(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const entry = {
        grant: () => (signal?.removeEventListener('abort', onAbort), resolve()),
        fail: (e: unknown) => (signal?.removeEventListener('abort', onAbort), reject(e)),
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        entry.fail(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }
}
