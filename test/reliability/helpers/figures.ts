/**
 * Figures of reliability.md §4, collected while the cases run and printed as one summary line
 * per group at the end of each file (`[figure] ...`), so the report can quote the command output.
 */

interface Sample {
  readonly id: string;
  readonly ok: boolean;
  readonly ms?: number;
}

const groups = new Map<string, Sample[]>();
const notes: string[] = [];

/** Records one case of a group: whether it met its contract (R1–R4) and its time-to-answer. */
export function record(group: string, id: string, ok: boolean, ms?: number): void {
  const list = groups.get(group) ?? [];
  list.push({ id, ok, ms });
  groups.set(group, list);
}

/** Records a free-form figure line. */
export function note(line: string): void {
  notes.push(line);
}

/** The p-th percentile (0..100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Prints the summary lines (call from afterAll). */
export function printFigures(): void {
  for (const [group, samples] of groups) {
    const ok = samples.filter((s) => s.ok).length;
    const times = samples.flatMap((s) => (s.ms === undefined ? [] : [s.ms]));
    const timing = times.length ? `, time-to-answer p50 ${percentile(times, 50).toFixed(1)} ms / p99 ${percentile(times, 99).toFixed(1)} ms / max ${Math.max(...times).toFixed(1)} ms` : '';
    const failed = samples.filter((s) => !s.ok).map((s) => s.id);
    console.log(`[figure] ${group}: ${ok}/${samples.length} as specified${timing}${failed.length ? `; FAILED: ${failed.join(', ')}` : ''}`);
  }
  for (const line of notes) console.log(`[figure] ${line}`);
  groups.clear();
  notes.length = 0;
}

/** Samples `arrayBuffers + external` every few ms while `run` runs; resolves with the peak growth in bytes. */
export async function peakExternalGrowth<T>(run: () => Promise<T>): Promise<{ result: T; peakBytes: number }> {
  const base = () => {
    const m = process.memoryUsage();
    return m.arrayBuffers + m.external;
  };
  const start = base();
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, base() - start)), 2);
  try {
    const result = await run();
    peak = Math.max(peak, base() - start);
    return { result, peakBytes: peak };
  } finally {
    clearInterval(timer);
  }
}
