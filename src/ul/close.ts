/**
 * Closing the transport connection at the end of an association (PS3.8 §9.2.2 "close transport
 * connection"; shared/reliability.md R2). Our last PDU (A-ABORT, A-ASSOCIATE-RJ, A-RELEASE-RP) must
 * reach the peer: the writer is closed gracefully first (flush, then end our side), the transport
 * is closed next, and it is destroyed only when a step fails or exceeds its time limit — destroying
 * a TCP socket with unread input sends RST, which can discard the PDU before the peer reads it.
 */
import type { Transport } from '../transport';
import type { Clock } from './artim';

/** How to close: `graceful` false destroys at once (transport already reset). */
export interface CloseOptions {
  readonly graceful: boolean;
  /** Time limit of each graceful step (flush, close); then the transport is destroyed. */
  readonly stepTimeoutMs: number;
  readonly clock: Clock;
}

/** Closes `transport` (whose writable is locked by `writer`); never rejects. */
export async function closeGracefully(
  transport: Transport,
  writer: WritableStreamDefaultWriter<Uint8Array>,
  options: CloseOptions,
): Promise<void> {
  let clean = options.graceful;
  if (clean) clean = await settlesWithin(() => writer.close(), options);
  if (clean) {
    writer.releaseLock();
    clean = await settlesWithin(() => transport.close(), options);
  }
  if (!clean) {
    try {
      transport.abort();
    } catch {
      // Already gone.
    }
  }
}

/** True when the promise resolves within the step time limit; false on rejection, throw or timeout. */
export function settlesWithin(start: () => Promise<unknown>, options: Pick<CloseOptions, 'stepTimeoutMs' | 'clock'>): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = options.clock.setTimeout(() => resolve(false), options.stepTimeoutMs);
    const done = (ok: boolean) => {
      options.clock.clearTimeout(timer);
      resolve(ok);
    };
    try {
      start().then(
        () => done(true),
        () => done(false),
      );
    } catch {
      done(false);
    }
  });
}
