/**
 * `npm run test:soak`, D-09 at full size over TCP (reliability.md §3.6, figure §4 item 13): an SCU
 * sends up to SOAK_D09_N (default 100,000) C-ECHO-RQ to an out-of-process SCP (dist/) and never reads
 * the responses. The SCP stops reading once its writes block (its C-ECHO count stops growing, well
 * short of what was sent) and its RSS grows by at most 32 MiB; after a reset it serves a canary.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startScpChild, type ScpChild } from './fork-scp';
import { commandPdu, writeWithBackPressure } from '../helpers/flow';
import { canary } from '../helpers/scp';
import { associate, echoRq, PC, rqFull } from '../helpers/session';
import { TcpPeer } from '../helpers/tcp-peer';

const N = Number(process.env.SOAK_D09_N ?? 100_000);
const MiB = 1024 * 1024;

interface Stats { performed: number; rss: number; rssAfterGc: number; heapUsed: number; external: number; associations: number; escapes: number }

let scp: ScpChild;
let port = 0;
const escapes: string[] = [];
const stats = () => scp.stats<Stats>();

beforeAll(async () => {
  scp = await startScpChild('./echo-scp-child.mjs', (error) => escapes.push(error));
  port = scp.port;
});

afterAll(async () => {
  await scp.stop();
});

it(`D-09: ${N} C-ECHO-RQ never read → the SCP stops reading; RSS growth ≤ 32 MiB`, async () => {
  await canary(port);
  // Warm-up: the same churn read normally (a parrot of 20,000), so V8's heap sizing is not counted as growth.
  const warm = await TcpPeer.connect(port);
  await associate(warm, rqFull());
  const echoes = commandPdu(PC.echo, echoRq(1));
  await writeWithBackPressure(warm.socket, 20_000, () => echoes, { batch: 500 });
  while (warm.history.length < 20_001) await new Promise((r) => setTimeout(r, 50));
  warm.destroy();
  const before = await stats();
  const peer = await TcpPeer.connect(port);
  await associate(peer, rqFull());
  peer.socket.pause(); // never read again
  const echo = commandPdu(PC.echo, echoRq(1));
  const t0 = performance.now();
  const writing = writeWithBackPressure(peer.socket, N, () => echo, { batch: 500, stalledMs: 120_000 });
  // Until the SCP makes no more progress for 2 s (at most 90 s).
  let last = -1;
  let s = await stats();
  let peakRss = s.rss;
  while (s.performed !== last && performance.now() - t0 < 90_000) {
    last = s.performed;
    await new Promise((r) => setTimeout(r, 2000));
    s = await stats();
    peakRss = Math.max(peakRss, s.rss);
  }
  expect(s.performed, 'no progress while the responses are not read').toBe(last);
  expect(s.performed).toBeLessThan(N);
  const rssGrowth = peakRss - before.rss;
  expect(rssGrowth, 'SCP RSS growth').toBeLessThanOrEqual(32 * MiB);
  peer.rst();
  const { written } = await writing;
  expect(written).toBeGreaterThan(s.performed);
  await canary(port);
  expect(escapes).toEqual([]);
  console.log(`[figure] D-09 soak: SCU wrote ${written} of ${N} C-ECHO-RQ without reading; the out-of-process SCP performed ${s.performed - before.performed} and stopped; SCP RSS +${(rssGrowth / MiB).toFixed(1)} MiB (peak), heap after GC +${((s.heapUsed - before.heapUsed) / MiB).toFixed(1)} MiB`);
});
