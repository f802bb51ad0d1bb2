/**
 * T-10 (reliability.md §3.7): associations down every timer path leave no timer behind. Over the
 * in-memory transport with real (short) timers: after each batch has closed, no timer the library
 * armed is still pending (tracked setTimeout/clearTimeout, and process.getActiveResourcesInfo()),
 * and none fires afterwards (no late callback). The soak variant (test/reliability/soak) runs
 * 10,000 associations per path; here TIMER_PATHS_N (default 100) keeps the file to seconds.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { note, printFigures, record } from './helpers/figures';
import { runPath, timerPaths, trackTimers } from './helpers/timer-paths';

const N = Number(process.env.TIMER_PATHS_N ?? 100);
afterAll(() => printFigures());

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('T-10: no pending timers and no late callbacks after close', () => {
  it(`${N} associations down each of 9 timer paths`, { timeout: 120_000 }, async () => {
    const tracker = trackTimers();
    const { paths, settled, close } = timerPaths();
    const lines: string[] = [];
    try {
      const baseline = timeouts();
      for (const [name, path] of Object.entries(paths)) {
        tracker.running();
        const created = tracker.created;
        const t0 = performance.now();
        await runPath(path, N, 20);
        const ms = performance.now() - t0;
        // Everything of this path has closed (both sides): nothing may be pending, nothing may fire later.
        expect(await settled(tracker.sleep), `${name}: SCP associations closed`).toBe(true);
        await tracker.sleep(20);
        expect([...tracker.live.values()], `${name}: timers still pending`).toEqual([]);
        tracker.after();
        await tracker.sleep(300); // longer than every setting in use (ARTIM 40, linger 30, ACSE/DIMSE 40, network 30 ms)
        expect(tracker.late, `${name}: late callbacks`).toEqual([]);
        expect(timeouts(), `${name}: active Timeout resources`).toBeLessThanOrEqual(baseline);
        lines.push(`${name} ${(tracker.created - created) / N} timers/assoc, ${ms.toFixed(0)} ms`);
        record('timers (T-10)', name, true, ms / N);
      }
    } finally {
      tracker.running();
      await close();
      tracker.restore();
    }
    note(`T-10: ${N} × 9 timer paths (release, reject, ARTIM, network, ACSE, DIMSE, release timeout, abort, Sta13 linger): 0 timers pending after close, 0 late callbacks; ${lines.join('; ')}`);
  });
});
