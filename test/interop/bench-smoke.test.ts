/**
 * `npm run bench` end to end at tiny sizes (`--smoke`): the rows whose variants use the warm-up
 * handshake (nd-scu --pause-after-warm, the bench clearing what warm passes stored), the DCMTK
 * tools, the WebSocket proxy (from Node, and from headless Chromium where it is installed), TLS
 * (both stacks) and the 1 MiB row's share of the TCP ceiling, each variant run once.
 * The bench itself checks every run (the files that arrived, every process's exit code), so a
 * broken worker, handshake or clean-up fails here, not only in a 5-minute bench run. Numbers are
 * not looked at: at these sizes they mean nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { requireDcmtk } from './helpers/dcmtk';

const haveDcmtk = requireDcmtk();
const root = fileURLToPath(new URL('../..', import.meta.url));
const ROWS = ['tcp', 'rtt', 'echo', 'store16', 'large128', 'large1m', 'proxy', 'tls128', 'get500']; // in the bench's own order

interface SmokeResult {
  mode: string;
  rows: { id: string; variants: { id: string; metrics: Record<string, { median: number }>; ofCeiling?: number }[] }[];
}

describe.runIf(haveDcmtk)('bench smoke', () => {
  it(`runs the ${ROWS.join(', ')} rows: every variant of each, with a result`, { timeout: 120_000 }, async () => {
    expect(existsSync(`${root}/dist/index.js`), 'dist/ is missing: run `npm run build` (npm run test:interop does)').toBe(true);
    await promisify(execFile)(process.execPath, ['bench/run.mjs', '--smoke', '--reps', '1', '--only', ROWS.join(',')], { cwd: root, maxBuffer: 16 << 20 });
    const result = JSON.parse(readFileSync(`${root}/bench/results/smoke.json`, 'utf8')) as SmokeResult;
    expect(result.mode).toBe('smoke');
    expect(result.rows.map((r) => r.id)).toEqual(ROWS);
    const variants = new Map(result.rows.map((r) => [r.id, r.variants.map((v) => v.id)]));
    // The warmed variants, whose set-up this guards.
    expect(variants.get('echo')).toContain('nd-nd-warm');
    expect(variants.get('store16')).toEqual(expect.arrayContaining(['dcmtk-nd-warm', 'nd-nd-warm']));
    expect(variants.get('large128')).toContain('nd-nd-warm');
    expect(variants.get('get500')).toContain('nd-nd-warm');
    // The browser path: the SCU over a WebSocket through `netdicom proxy` (Node with `ws`), and
    // where Chromium is installed (CI installs it), a real page: netdicom's C-STORE and bare messages.
    const browser = existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium') ? ['browser-proxy-nd', 'browser-raw'] : [];
    expect(variants.get('proxy')).toEqual(['nd-nd', 'nd-proxy-nd', ...browser]);
    // A viewer page retrieving the C-GET study through the proxy, one at a time and 8 in flight.
    if (browser.length > 0) expect(variants.get('get500')).toEqual(expect.arrayContaining(['browser-proxy-nd', 'browser-proxy-nd-w8']));
    // DICOM over TLS, both stacks and Node's own TLS ceiling (certificates made by the bench).
    expect(variants.get('tls128')).toEqual(['tls-node', 'nd-nd', 'dcmtk-dcmtkB', 'nd-dcmtkB', 'dcmtk-nd']);
    // Round trips, the ceiling for C-ECHO: 'data' events, and the client reading into a reused buffer as netdicom's do.
    expect(variants.get('rtt')).toEqual(['rtt-node', 'rtt-node-reuse']);
    // One instance at 1 MiB PDUs, fresh and warmed, from a file to a file and from memory to a
    // discarding SCP (the network path alone), each as its share of the TCP ceiling of the same
    // run: fresh processes against the fresh ceiling, warmed against the warmed one.
    expect(variants.get('tcp')).toEqual(['tcp-16k-data', 'tcp-1024k-data', 'tcp-16k-reuse', 'tcp-1024k-reuse', 'tcp-1024k-reuse-warm']);
    const large1m = result.rows.find((r) => r.id === 'large1m')!;
    expect(large1m.variants.map((v) => v.id)).toEqual(['nd-nd', 'nd-nd-warm', 'nd-nd-mem', 'nd-nd-mem-warm']);
    const tcp = result.rows.find((r) => r.id === 'tcp')!;
    const ceiling = (id: string) => tcp.variants.find((v) => v.id === id)!.metrics['MB/s']!.median;
    for (const v of large1m.variants) {
      const top = ceiling(v.id.endsWith('-warm') ? 'tcp-1024k-reuse-warm' : 'tcp-1024k-reuse');
      expect(v.ofCeiling, v.id).toBeCloseTo(v.metrics['MB/s']!.median / top, 6);
    }
    for (const row of result.rows) {
      for (const variant of row.variants) {
        const first = Object.values(variant.metrics)[0];
        expect(first?.median, `${row.id} ${variant.id}`).toBeGreaterThan(0);
      }
    }
  });
});
