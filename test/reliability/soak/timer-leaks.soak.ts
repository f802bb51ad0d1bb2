/**
 * `npm run test:soak`, T-10 at full size (reliability.md §3.7): SOAK_TIMER_N (default 10,000)
 * associations down each of the 9 timer paths of helpers/timer-paths.ts, in process over the
 * memory transport; after each path no timer is pending and none fires later. Also the heap after
 * GC, which must not grow with the number of associations.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { expect, it } from 'vitest';
import { runPath, timerPaths, trackTimers } from '../helpers/timer-paths';

const N = Number(process.env.SOAK_TIMER_N ?? 10_000);
const MiB = 1024 * 1024;
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

it(`T-10: ${N} associations down each timer path leave no pending timer and no late callback`, async () => {
  const tracker = trackTimers();
  const { paths, settled, close } = timerPaths();
  const lines: string[] = [];
  try {
    for (const [name, path] of Object.entries(paths)) {
      tracker.running();
      await runPath(path, Math.min(200, N), 50); // warm-up
      await tracker.sleep(300);
      gc();
      const heapBefore = process.memoryUsage().heapUsed;
      const t0 = performance.now();
      await runPath(path, N, 50);
      const ms = performance.now() - t0;
      expect(await settled(tracker.sleep), `${name}: SCP associations closed`).toBe(true);
      await tracker.sleep(20);
      expect([...tracker.live.values()], `${name}: timers still pending`).toEqual([]);
      tracker.after();
      await tracker.sleep(300);
      expect(tracker.late, `${name}: late callbacks`).toEqual([]);
      gc();
      const growth = process.memoryUsage().heapUsed - heapBefore;
      expect(growth, `${name}: heap growth after GC`).toBeLessThan(8 * MiB);
      lines.push(`${name}: ${N} in ${(ms / 1000).toFixed(1)} s, heap ${(growth / MiB).toFixed(1)} MiB`);
    }
  } finally {
    tracker.running();
    await close();
    tracker.restore();
  }
  console.log(`[figure] T-10 soak: 0 timers pending, 0 late callbacks; ${lines.join('; ')}`);
});
