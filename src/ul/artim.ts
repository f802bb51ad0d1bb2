/**
 * The Association Request/Reject/Release Timer (ARTIM, PS3.8 §9.1.5) with an injectable clock,
 * so tests can drive it with fake timers and the core never touches a platform timer API directly.
 */

/** The timer functions ARTIM needs; defaults to the global `setTimeout`/`clearTimeout`. */
export interface Clock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Milliseconds on the timers' time line (the per-PDU read deadline). Default `Date.now`. */
  now?(): number;
}

/** The global timers (present in every JavaScript runtime netdicom supports). */
export const systemClock: Clock = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/**
 * ARTIM (PS3.8 §9.1.5): one restartable one-shot timer. In the state machine it runs exactly in
 * Sta2 (waiting for the A-ASSOCIATE-RQ) and Sta13 (waiting for the peer to close); its expiry is
 * Evt18.
 */
export class ArtimTimer {
  private handle: unknown = undefined;
  private armed = false;

  /** @param onExpire called once per start when the timer fires (Evt18). */
  constructor(
    private readonly onExpire: () => void,
    private readonly clock: Clock = systemClock,
  ) {}

  /** True between start() and stop()/expiry. */
  get running(): boolean {
    return this.armed;
  }

  /** Starts the timer, or restarts it if already running ("start (or restart)", AA-1). */
  start(ms: number): void {
    this.stop();
    this.armed = true;
    this.handle = this.clock.setTimeout(() => this.fire(), ms);
  }

  /** Stops the timer if it is running (AE-6, AA-2, AA-5, AR-5). */
  stop(): void {
    if (!this.armed) return;
    this.armed = false;
    this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }

  private fire(): void {
    if (!this.armed) return;
    this.armed = false;
    this.handle = undefined;
    this.onExpire();
  }
}
