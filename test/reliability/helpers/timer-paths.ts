/**
 * T-10 (reliability.md §3.7): associations driven down every timer path — ARTIM expiry, ARTIM
 * stopped by the RQ, the network idle timer, ACSE and DIMSE timeouts, release timeout, Sta13
 * linger, plain release, reject and peer abort — over the in-memory transport with real timers.
 * `trackTimers` wraps the global setTimeout/clearTimeout so a test can tell that every timer the
 * library armed was cleared or fired before its association closed, and that none fires later.
 */
import { createMemoryListener, createMemoryPair } from '../../../adapters/memory';
import { ApplicationEntity } from '../../../src/ae';
import type { AeOptions } from '../../../src/options';
import { encodePdu } from '../../../src/pdu/encode';
import type { AssociateAcPdu } from '../../../src/pdu/types';
import type { ScpHandlers } from '../../../src/scp/types';
import type { Transport } from '../../../src/transport';
import { VERIFICATION } from './scp';
import { rqFull } from './session';

/** Timers created through the global setTimeout while tracking: live ones, and callbacks that ran in the "after" phase. */
export interface TimerTracker {
  /** Timers neither cleared nor fired yet, with where they were created. */
  readonly live: Map<unknown, string>;
  /** Callbacks that ran after `after()` was called (late callbacks). */
  readonly late: string[];
  created: number;
  /** From now on, a timer callback that runs is a late callback. */
  after(): void;
  /** Back to the run phase. */
  running(): void;
  /** A sleep on the original timer (not tracked). */
  sleep(ms: number): Promise<void>;
  restore(): void;
}

export function trackTimers(): TimerTracker {
  const originalSet = globalThis.setTimeout;
  const originalClear = globalThis.clearTimeout;
  let phase: 'run' | 'after' = 'run';
  const tracker: TimerTracker = {
    live: new Map(),
    late: [],
    created: 0,
    after: () => void (phase = 'after'),
    running: () => void (phase = 'run'),
    sleep: (ms) => new Promise((r) => originalSet(r, ms)),
    restore() {
      globalThis.setTimeout = originalSet;
      globalThis.clearTimeout = originalClear;
    },
  };
  globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const where = (new Error().stack ?? '').split('\n').slice(2, 4).join(' ← ').trim();
    // Only the library's timers are tracked (not the test's own handlers and sleeps).
    if (!/\/(src|adapters)\//.test(where.split(' ← ')[0]!)) return originalSet(callback, ms, ...args);
    const handle = originalSet(() => {
      tracker.live.delete(handle);
      if (phase === 'after') tracker.late.push(where);
      callback(...args);
    }, ms);
    tracker.created++;
    tracker.live.set(handle, where);
    return handle;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((handle?: Parameters<typeof clearTimeout>[0]) => {
    tracker.live.delete(handle);
    originalClear(handle);
  }) as typeof clearTimeout;
  return tracker;
}

/** Short settings so each path ends in tens of milliseconds. */
const T: Partial<AeOptions> = { artimTimeoutMs: 40, abortLingerMs: 30, acseTimeoutMs: 40, dimseTimeoutMs: 40, networkTimeoutMs: 60_000 };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** An A-ASSOCIATE-AC accepting context 1 (Verification, Implicit VR LE). */
const AC = encodePdu({
  type: 'A-ASSOCIATE-AC',
  protocolVersion: 1,
  calledAeTitle: 'NETDICOM',
  callingAeTitle: 'SCU',
  applicationContextName: '1.2.840.10008.3.1.1.1',
  presentationContexts: [{ id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2' }],
  userInformation: { maxLength: 16384, implementationClassUid: '1.2.3.4', roleSelections: [], extendedNegotiations: [], commonExtendedNegotiations: [] },
} as AssociateAcPdu);

function scpAe(options: Partial<AeOptions> = {}): ApplicationEntity {
  return new ApplicationEntity({ aeTitle: 'NETDICOM', ...T, ...options }).addSupportedContext(VERIFICATION);
}
function scuAe(options: Partial<AeOptions> = {}): ApplicationEntity {
  return new ApplicationEntity({ aeTitle: 'SCU', ...T, ...options }).addRequestedContext(VERIFICATION);
}

/** A peer that reads everything and answers nothing (for ACSE timeouts); ends when the other side does. */
function silent(transport: Transport): Promise<void> {
  return (async () => {
    const reader = transport.readable.getReader();
    try {
      while (!(await reader.read()).done) {
        // discard
      }
    } catch {
      // reset
    }
    transport.abort();
  })();
}

/** One association down one path; resolves when everything it opened is closed. */
export type TimerPath = (i: number) => Promise<void>;

/**
 * The paths. Each runs against its own SCP (memory listener + ApplicationEntity.serve) so the
 * Server's own bookkeeping is exercised too; `servers` are closed by the caller via `close()`.
 */
export function timerPaths(): { paths: Record<string, TimerPath>; settled(sleep: (ms: number) => Promise<void>): Promise<boolean>; close(): Promise<void> } {
  const servers: { close(options?: { force?: boolean }): Promise<void>; readonly associations: ReadonlySet<unknown> }[] = [];
  const serve = (options: Partial<AeOptions>, handlers: ScpHandlers = {}, policy: Parameters<ApplicationEntity['serve']>[2] = {}) => {
    const ml = createMemoryListener();
    // No association limit: the paths run 50 at a time, and an SCP may still be finishing a handler.
    servers.push(scpAe(options).serve(ml.listener, handlers, { maxAssociations: 100_000, ...policy }));
    return ml;
  };
  const plain = serve({});
  const rejecting = serve({}, {}, { allowedCallingAeTitles: ['SOMEONE-ELSE'] });
  const idle = serve({ networkTimeoutMs: 30 });
  const slowEcho = serve({}, { cEcho: () => new Promise((r) => setTimeout(() => r(0), 200)) });

  const paths: Record<string, TimerPath> = {
    /** RQ stops ARTIM; C-ECHO (DIMSE timer armed and cleared); release (ACSE timer); SCP Sta13 until the SCU closes. */
    release: async () => {
      const assoc = await scuAe().associate(plain.connect(), { calledAeTitle: 'NETDICOM' });
      await assoc.cEcho();
      await assoc.release();
    },
    /** RJ (1,1,3): the SCP lingers in Sta13 until the SCU closes. */
    reject: async () => {
      await scuAe().associate(rejecting.connect(), { calledAeTitle: 'NETDICOM' }).then(
        () => Promise.reject(new Error('accepted')),
        () => undefined,
      );
    },
    /** ARTIM expires in Sta2 (nothing sent). */
    artim: async () => {
      const t = plain.connect();
      const reader = t.readable.getReader();
      while (!(await reader.read().catch(() => ({ done: true }))).done) {
        // nothing comes
      }
      await t.close();
    },
    /** The network idle timer aborts an established association. */
    network: async () => {
      const assoc = await scuAe().associate(idle.connect(), { calledAeTitle: 'NETDICOM' });
      await assoc.closed;
    },
    /** The SCU's ACSE timeout: no answer to the RQ → A-ABORT, close. */
    acse: async () => {
      const [a, b] = createMemoryPair();
      const peer = silent(b);
      await scuAe().associate(a, { calledAeTitle: 'X' }).catch(() => undefined);
      await peer;
    },
    /** The SCU's DIMSE timeout: the C-ECHO handler answers too late → A-ABORT (T-06). */
    dimse: async () => {
      const assoc = await scuAe().associate(slowEcho.connect(), { calledAeTitle: 'NETDICOM' });
      // On a starved event loop the answer may still beat the 40 ms timer: then end it here.
      await assoc.cEcho().then(() => assoc.abort(), () => undefined);
      await assoc.closed;
    },
    /** The SCU's release timeout: a peer that accepts, then never answers A-RELEASE-RQ → A-ABORT. */
    'release timeout': async () => {
      const [a, b] = createMemoryPair();
      const peer = (async () => {
        const reader = b.readable.getReader();
        const writer = b.writable.getWriter();
        let got = 0;
        let need = Infinity;
        while (got < need) {
          const { value, done } = await reader.read();
          if (done) return;
          if (got === 0) need = 6 + new DataView(value.buffer, value.byteOffset).getUint32(2);
          got += value.byteLength;
        }
        await writer.write(AC);
        try {
          while (!(await reader.read()).done) {
            // the A-RELEASE-RQ, then the A-ABORT: never answered
          }
        } catch {
          // reset
        }
        b.abort();
      })();
      const assoc = await scuAe().associate(a, { calledAeTitle: 'NETDICOM' });
      await assoc.release().catch(() => undefined);
      await peer;
    },
    /** A local A-ABORT; the SCP sees AA-3. */
    abort: async () => {
      const assoc = await scuAe().associate(plain.connect(), { calledAeTitle: 'NETDICOM' });
      await assoc.abort();
    },
    /** The peer never closes after the SCP's A-RELEASE-RP: destroyed at abortLinger. */
    linger: async () => {
      const t = plain.connect();
      const w = t.writable.getWriter();
      await w.write(rqFull());
      const reader = t.readable.getReader();
      await reader.read(); // AC
      await w.write(Uint8Array.of(0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0)); // A-RELEASE-RQ, and never close
      while (!(await reader.read().catch(() => ({ done: true }))).done) {
        // RP, then the SCP closes at abortLinger
      }
      t.abort();
    },
  };
  return {
    paths,
    /** Waits (≤ 5 s) until no server has an association left. */
    async settled(sleep) {
      for (let i = 0; i < 500 && servers.some((s) => s.associations.size > 0); i++) await sleep(10);
      return servers.every((s) => s.associations.size === 0);
    },
    async close() {
      await Promise.all(servers.map((s) => s.close({ force: true })));
      await sleep(0);
    },
  };
}

/** Runs `count` times `path`, `concurrency` at a time. */
export async function runPath(path: TimerPath, count: number, concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await path(next++);
    }),
  );
}
