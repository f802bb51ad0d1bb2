/**
 * `npm run test:soak`, C-06 slowloris swarm against the real CLI (reliability.md §3.9; figure §4
 * item 6): `storescp` with its defaults (100 associations, 200 connections waiting for their
 * A-ASSOCIATE-RQ) and ARTIM SOAK_ARTIM_S (default 2 s) takes SOAK_IDLE (1,000) silent TCP
 * connections, then SOAK_LEGIT (50) legitimate associations (RQ, C-ECHO, release) while the idle
 * ones are held. All from 127.0.0.1: the pending cap closes the *oldest* silent connection for a
 * new one (src/server.ts), so a flood cannot lock out clients from its own address either.
 */
import { afterAll, expect, it } from 'vitest';
import { canary } from '../helpers/scp';
import { TcpPeer } from '../helpers/tcp-peer';
import { killAllScps, mib, percentile, removeTempDirs, StoreScp, tempDir, until } from './storescp-process';

const IDLE = Number(process.env.SOAK_IDLE ?? 1000);
const LEGIT = Number(process.env.SOAK_LEGIT ?? 50);
const ARTIM_S = Number(process.env.SOAK_ARTIM_S ?? 2);
const PENDING_CAP = 200; // storescp default: 2 × --max-associations 100
/**
 * Added to the ARTIM + 1 s bound: on a shared 2-core machine the starved SCP accepts a flood late
 * (ARTIM starts at accept, the client counts from its connect): 4.5 s measured for ARTIM 2 s at
 * load average 13, 2.6 s on a quieter run. The figure prints the measured value against ARTIM + 1 s.
 */
const SLACK_MS = Number(process.env.SOAK_SLACK_MS ?? 2000);

const lines: string[] = [];
afterAll(() => {
  for (const line of lines) console.log(`[figure] ${line}`);
  killAllScps();
  removeTempDirs();
});

it(`C-06: ${IDLE} idle TCP connections + ${LEGIT} legitimate associations against the storescp CLI → legit p99 ≤ 1 s, pending capped at ${PENDING_CAP} with a log line, idle reaped within ARTIM + 1 s`, async () => {
  const scp = await StoreScp.start({ dir: tempDir('c06'), args: ['--acse-timeout', String(ARTIM_S)] });
  await canary(scp.port, 5000); // warm-up: lazily opened descriptors belong to the baseline
  const base = await scp.freshStats((s) => s.associations === 0);
  const idle: TcpPeer[] = [];
  const t0 = performance.now();
  for (let i = 0; i < IDLE; i += 100) idle.push(...(await Promise.all(Array.from({ length: Math.min(100, IDLE - i) }, () => TcpPeer.connect(scp.port)))));
  const connectSecs = (performance.now() - t0) / 1000;
  const open = () => idle.filter((p) => p.closedBy === null).length;
  // The cap holds: at most PENDING_CAP silent connections stay open.
  const capped = await until(() => open() <= PENDING_CAP, 2000);
  const openBefore = open();

  const latencies: number[] = [];
  const failures: string[] = [];
  for (let i = 0; i < LEGIT; i += 10) {
    const batch = await Promise.all(Array.from({ length: Math.min(10, LEGIT - i) }, () => canary(scp.port, 5000).catch((e: unknown) => (failures.push(String(e)), NaN))));
    latencies.push(...batch.filter((ms) => !Number.isNaN(ms)));
  }
  const openAfter = open();
  const survivors = idle.filter((p) => p.closedBy === null);
  const floodSecs = (performance.now() - t0) / 1000;
  const allClosed = await until(() => open() === 0, ARTIM_S * 1000 + 5000);
  // Lifetime of each silent connection (connect → closed by the SCP), seen from the client.
  const lifetimes = idle.map((p) => p.closedAt - p.openedAt);
  const reaped = survivors.map((p) => p.closedAt - p.openedAt); // closed by ARTIM, not by the cap
  const answered = idle.filter((p) => p.history.length > 0).length;
  for (const p of idle) p.destroy();
  const after = await scp.freshStats((s) => s.associations === 0 && s.fds === base.fds, 5000).catch(() => scp.stats);
  const peakRss = Math.max(...scp.history.map((s) => s.peakRss));
  await scp.stop();
  const logLines = scp.stderr.filter((l) => /without an A-ASSOCIATE-RQ/.test(l));
  // Closed by the cap, as the SCP counts them: the first line names one, the others say "closed N more".
  const evicted = logLines.reduce((n, l) => n + Number(/closed (\d+) more/.exec(l)?.[1] ?? 1), 0);
  const p99 = percentile(latencies, 99);
  lines.push(
    `C-06 slowloris (storescp CLI, defaults: 100 associations, ${PENDING_CAP} pending; ARTIM ${ARTIM_S} s): ${IDLE} idle connections in ${connectSecs.toFixed(1)} s, ${openBefore} still open after the flood (cap ${PENDING_CAP}), ${evicted} closed by the cap, oldest first (${logLines.length} log lines, the first "${logLines[0] ?? ''}"); ${LEGIT} legitimate associations during the flood: ${latencies.length} OK, p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${p99.toFixed(0)} ms; all idle closed; the ${reaped.length} left to ARTIM closed p50 ${percentile(reaped, 50).toFixed(0)} ms, max ${Math.max(...reaped).toFixed(0)} ms after their connect (target ARTIM + 1 s = ${ARTIM_S * 1000 + 1000} ms), ${answered} got a PDU; SCP fds ${base.fds} → ${after.fds}, peak RSS ${mib(peakRss)} MiB`,
  );
  expect(failures).toEqual([]);
  expect(latencies.length).toBe(LEGIT);
  expect(p99).toBeLessThanOrEqual(1000);
  expect(capped).toBe(true);
  expect(openBefore).toBeLessThanOrEqual(PENDING_CAP);
  expect(openAfter).toBeLessThanOrEqual(PENDING_CAP);
  expect(evicted).toBeGreaterThanOrEqual(IDLE - PENDING_CAP);
  expect(logLines.length).toBeGreaterThan(0);
  expect(logLines.length).toBeLessThanOrEqual(Math.ceil(floodSecs) + 2); // coalesced: one line, then a count at most once a second
  expect(logLines[0]).toMatch(/closed connection from 127\.0\.0\.1:\d+: too many connections without an A-ASSOCIATE-RQ/);
  expect(allClosed).toBe(true);
  expect(Math.max(...lifetimes)).toBeLessThanOrEqual(ARTIM_S * 1000 + 1000 + SLACK_MS);
  expect(percentile(reaped, 50)).toBeGreaterThanOrEqual(ARTIM_S * 1000 * 0.9); // not before ARTIM
  expect(answered).toBe(0);
  expect(after.fds).toBe(base.fds);
  expect(scp.exit).toEqual({ code: 0, signal: null });
});
