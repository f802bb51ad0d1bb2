/**
 * `npm run test:soak`, storage integrity against the real CLI (reliability.md §3.8 P-04…P-08,
 * §3.9 C-01; figures §4 items 5 and 8). The SCP is `node bin/netdicom.mjs storescp 0 --bind
 * 127.0.0.1 -od DIR -q --stats 0.2` in a child process (dist/, so `npm run build` first); its
 * `stats {json}` lines give RSS, peak RSS, open fds and the event-loop delay.
 *
 * Sizes (environment; defaults are the CI sizes, a few minutes on 2 cores; catalogue sizes in brackets):
 *   SOAK_C01_ASSOCIATIONS 200, SOAK_C01_INSTANCES 50, SOAK_C01_KIB 64 [512]
 *   SOAK_ABORT_RUNS 150 [1000], SOAK_ABORT_MAX_KIB 2048 [20480]        (P-04)
 *   SOAK_KILL_RUNS 10 [100]                                             (P-05 + P-08, alternating)
 *   SOAK_SAME_UID_RUNS 20                                               (P-07)
 *   SOAK_SEED (randomized choices; printed)
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { connectTcp, listenTcp } from '../../../adapters/node';
import { createFsStore } from '../../../adapters/node/fs-store';
import { ApplicationEntity } from '../../../src/ae';
import type { Association } from '../../../src/association';
import { ABORT_USER, concat, pdata } from '../helpers/scp';
import { associate, PC, rqFull, storeRq } from '../helpers/session';
import { TcpPeer } from '../helpers/tcp-peer';
import {
  canMountTmpfs,
  CT,
  datasetSha,
  EXPLICIT,
  killAllScps,
  listDir,
  makeDataset,
  mib,
  MiB,
  nextUid,
  percentile,
  removeTempDirs,
  StoreScp,
  tempDir,
  type ScpStats,
} from './storescp-process';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const C01_ASSOCIATIONS = env('SOAK_C01_ASSOCIATIONS', 200);
const C01_INSTANCES = env('SOAK_C01_INSTANCES', 50);
const C01_KIB = env('SOAK_C01_KIB', 64);
const ABORT_RUNS = env('SOAK_ABORT_RUNS', 150);
const ABORT_MAX_KIB = env('SOAK_ABORT_MAX_KIB', 2048);
const KILL_RUNS = env('SOAK_KILL_RUNS', 10);
const SAME_UID_RUNS = env('SOAK_SAME_UID_RUNS', 20);
const SEED = env('SOAK_SEED', 20260102);
/**
 * Event-loop delay p99 bound asserted for C-01: generous, because a shared 2-core machine starves
 * the SCP of CPU (measured 310 ms at load average 12). The catalogue's target, 50 ms, is for a
 * quiet machine and is printed beside the figure; a handler or parser that blocks for seconds fails.
 */
const ELD_P99_BOUND_MS = env('SOAK_ELD_P99_MS', 1000);
const VERIFICATION = '1.2.840.10008.1.1';

const lines: string[] = [];
afterAll(() => {
  for (const line of lines) console.log(`[figure] ${line}`);
  killAllScps();
  removeTempDirs();
});

let seed = SEED;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const between = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

function scu(): ApplicationEntity {
  return new ApplicationEntity({ aeTitle: 'SOAK', acseTimeoutMs: 60_000, dimseTimeoutMs: 120_000 })
    .addRequestedContext(VERIFICATION)
    .addRequestedContext(CT, [EXPLICIT]);
}
async function associateTo(port: number): Promise<Association> {
  return scu().associate(await connectTcp({ host: '127.0.0.1', port, timeoutMs: 30_000 }), { calledAeTitle: 'STORESCP' });
}
const store = (a: Association, uid: string, data: Uint8Array) => a.cStore({ sopClassUid: CT, sopInstanceUid: uid, transferSyntaxUid: EXPLICIT, data });

/** The latest stats line once `cond` holds (or after `ms`, whichever first): asserted by the caller. */
async function settle(scp: StoreScp, cond: (s: ScpStats) => boolean, ms = 10_000): Promise<ScpStats> {
  return scp.freshStats(cond, ms).catch(() => scp.stats);
}

/** One complete store and one association aborted mid-instance, so descriptors opened lazily are in the baseline. */
async function warmUp(scp: StoreScp): Promise<ScpStats> {
  const a = await associateTo(scp.port);
  const uid = nextUid();
  expect((await store(a, uid, makeDataset(uid, 64 * 1024).data)).status).toBe(0);
  await a.release();
  const peer = await TcpPeer.connect(scp.port);
  await associate(peer, rqFull());
  peer.send(concat(pdata([PC.ct, 0x03, storeRq(1, nextUid())]), pdata([PC.ct, 0x00, new Uint8Array(16000)])));
  await new Promise((r) => setTimeout(r, 100));
  peer.rst();
  return settle(scp, (s) => s.associations === 0 && s.failed === 1, 5000);
}

// ---- C-01 ----------------------------------------------------------------------------------------

it(`C-01: ${C01_ASSOCIATIONS} concurrent associations × ${C01_INSTANCES} instances of ${C01_KIB} KiB into the storescp CLI → 0 lost, 0 duplicated, 0 corrupted (SHA-256), fds back to baseline`, async () => {
  const dir = tempDir('c01');
  const scp = await StoreScp.start({ dir, args: ['--max-associations', String(C01_ASSOCIATIONS)] });
  const base = await warmUp(scp);
  const sent = new Map<string, string>();
  const latencies: number[] = [];
  const failures: string[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: C01_ASSOCIATIONS }, async () => {
      let association: Association | undefined;
      try {
        association = await associateTo(scp.port);
        for (let i = 0; i < C01_INSTANCES; i++) {
          const uid = nextUid();
          const { data, sha } = makeDataset(uid, C01_KIB * 1024);
          sent.set(uid, sha);
          const t = performance.now();
          const rsp = await store(association, uid, data);
          latencies.push(performance.now() - t);
          if (rsp.status !== 0) failures.push(`${uid}: status 0x${rsp.status.toString(16)}`);
        }
        await association.release();
      } catch (error) {
        failures.push(String(error));
        await association?.abort().catch(() => {});
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const after = await settle(scp, (s) => s.associations === 0 && s.fds === base.fds);

  // Every file under a final name: which UID, and is its data set what was sent?
  const files = listDir(dir);
  const names = new Set(files.final);
  let lost = 0;
  let corrupted = 0;
  for (const [uid, sha] of sent) {
    if (!names.has(`${uid}.dcm`)) lost++;
    else if (datasetSha(path.join(dir, `${uid}.dcm`)) !== sha) corrupted++;
  }
  const expectedFiles = sent.size + 1; // + the warm-up instance
  const unexpected = files.final.length - (expectedFiles - lost);
  const duplicated = after.stored - base.stored - sent.size; // C-STOREs stored more than once
  const final = await scp.stop();
  const eld = after.eventLoopDelayMs!;
  const peakRss = Math.max(...scp.history.map((s) => s.peakRss));
  const mb = (sent.size * C01_KIB * 1024) / 1e6;
  lines.push(
    `C-01 concurrency (storescp CLI, fsync on): ${C01_ASSOCIATIONS} concurrent associations × ${C01_INSTANCES} = ${sent.size} instances × ${C01_KIB} KiB (${mb.toFixed(0)} MB) in ${secs.toFixed(1)} s: ${(mb / secs).toFixed(1)} MB/s, ${(sent.size / secs).toFixed(0)} instances/s; lost ${lost}, duplicated ${duplicated}, corrupted ${corrupted} (SHA-256 of the data set), unexpected files ${unexpected}, temp files ${files.temp.length}; C-STORE latency p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms; SCP event-loop delay p50 ${eld.p50} ms, p99 ${eld.p99} ms (target 50 ms on a quiet machine), max ${eld.max} ms; SCP peak RSS ${mib(peakRss)} MiB (start ${mib(base.rss)} MiB); SCP fds ${base.fds} → ${after.fds}; failures ${failures.length}`,
  );
  expect(failures.slice(0, 5)).toEqual([]);
  expect(sent.size).toBe(C01_ASSOCIATIONS * C01_INSTANCES);
  expect({ lost, duplicated, corrupted, unexpected, temp: files.temp.length, other: files.other }).toEqual({ lost: 0, duplicated: 0, corrupted: 0, unexpected: 0, temp: 0, other: [] });
  expect(after.associations).toBe(0);
  expect(after.fds).toBe(base.fds);
  expect(eld.p99).toBeLessThan(ELD_P99_BOUND_MS);
  expect(final.failed).toBe(1); // the warm-up's aborted instance only
  expect(scp.exit).toEqual({ code: 0, signal: null });
});

// ---- P-04 ----------------------------------------------------------------------------------------

it(`P-04: ${ABORT_RUNS} randomized aborts (RST / FIN / A-ABORT × PDU boundary or mid-PDU × 16–${ABORT_MAX_KIB} KiB) → no file under a final name, no temp file, fds back to baseline`, async () => {
  const dir = tempDir('p04');
  const scp = await StoreScp.start({ dir });
  const base = await warmUp(scp);
  const FRAGMENT = 16000;
  const tally = new Map<string, number>();
  const mustFail: string[] = [];
  const uids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < ABORT_RUNS) {
        next++;
        const uid = nextUid();
        uids.push(uid);
        const { data } = makeDataset(uid, between(16, ABORT_MAX_KIB) * 1024);
        const pdus = [pdata([PC.ct, 0x03, storeRq(1, uid)])];
        for (let off = 0; off < data.length; off += FRAGMENT) pdus.push(pdata([PC.ct, off + FRAGMENT >= data.length ? 0x02 : 0x00, data.subarray(off, off + FRAGMENT)]));
        const stream = concat(...pdus);
        const boundaries = [0];
        for (const p of pdus.slice(0, -1)) boundaries.push(boundaries[boundaries.length - 1]! + p.length); // never the end: the instance stays incomplete
        const kind = (['rst', 'fin', 'a-abort'] as const)[Math.floor(rnd() * 3)]!;
        let at = rnd() < 0.5 ? boundaries[Math.floor(rnd() * boundaries.length)]! : 1 + Math.floor(rnd() * (stream.length - 1));
        // A peer can send an A-ABORT only between PDUs.
        if (kind === 'a-abort') at = boundaries.filter((b) => b <= at).pop()!;
        const where = boundaries.includes(at) ? 'boundary' : 'mid-PDU';
        tally.set(`${kind} ${where}`, (tally.get(`${kind} ${where}`) ?? 0) + 1);
        // With a FIN or an A-ABORT after a whole data PDU, the handler must have seen the instance fail.
        if (kind !== 'rst' && boundaries.length > 2 && at >= boundaries[2]!) mustFail.push(uid);
        const peer = await TcpPeer.connect(scp.port);
        await associate(peer, rqFull());
        peer.send(stream.subarray(0, at));
        if (kind === 'rst') peer.rst();
        else {
          if (kind === 'fin') peer.end();
          else peer.send(ABORT_USER);
          await peer.expectClosed(5000);
        }
        peer.destroy();
      }
    }),
  );
  const failedLine = (uid: string) => scp.stderr.some((l) => l.startsWith(`failed ${uid}: status 0xc000`));
  await scp.waitFor(() => mustFail.every(failedLine), 5000);
  const after = await settle(scp, (s) => s.associations === 0 && s.fds === base.fds && listDir(dir).temp.length === 0, 5000);
  const files = listDir(dir);
  const finalOfAborted = files.final.filter((n) => uids.includes(n.slice(0, -4)));
  await scp.stop();
  lines.push(
    `P-04 abort integrity (storescp CLI): ${ABORT_RUNS} aborted C-STOREs of 16–${ABORT_MAX_KIB} KiB (${[...tally].sort().map(([k, v]) => `${k} ${v}`).join(', ')}), seed ${SEED}: files under a final name ${finalOfAborted.length}, temp files left ${files.temp.length} (after ≤ 5 s), fds ${base.fds} → ${after.fds}, associations open ${after.associations}; ${mustFail.filter(failedLine).length}/${mustFail.length} instances cut after a whole data PDU reported failed (0xC000), SCP exit ${scp.exit?.code}`,
  );
  expect(finalOfAborted).toEqual([]);
  expect(files.temp).toEqual([]);
  expect(after.fds).toBe(base.fds);
  expect(after.associations).toBe(0);
  expect(after.stored).toBe(base.stored);
  expect(mustFail.filter((u) => !failedLine(u))).toEqual([]);
  expect(mustFail.length).toBeGreaterThan(ABORT_RUNS / 10);
  expect(scp.exit).toEqual({ code: 0, signal: null });
});

// ---- P-05 + P-08 ---------------------------------------------------------------------------------

it(`P-05/P-08: ${KILL_RUNS} SIGKILLs of the storescp CLI (alternately at a random moment and right after a C-STORE success) → every final file complete, every acknowledged instance present, temp files swept at restart`, async () => {
  const dir = tempDir('p05');
  const sent = new Map<string, string>();
  const acked = new Set<string>();
  let swept = 0;
  let partial = 0;
  let unknown = 0;
  let missing = 0;
  const modes = { random: 0, 'after-success': 0 };
  for (let run = 0; run < KILL_RUNS; run++) {
    const left = listDir(dir).temp.length;
    const scp = await StoreScp.start({ dir });
    // The sweep runs before the listener opens, so it is done once the first stats line is out.
    expect(listDir(dir).temp).toEqual([]);
    swept += left;
    const mode = run % 2 === 0 ? 'random' : 'after-success';
    modes[mode]++;
    let killed = false;
    let armed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      scp.kill('SIGKILL');
    };
    const timer = setTimeout(() => (mode === 'random' ? kill() : (armed = true)), between(100, 1500));
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        let association: Association | undefined;
        try {
          association = await associateTo(scp.port);
          while (!killed) {
            const uid = nextUid();
            const { data, sha } = makeDataset(uid, between(64, 1024) * 1024);
            sent.set(uid, sha);
            const rsp = await store(association, uid, data);
            if (rsp.status === 0) acked.add(uid);
            if (armed) kill(); // P-08: the SCP dies right after a success status
          }
        } catch {
          // the SCP was killed
        }
        await association?.abort().catch(() => {});
      }),
    );
    clearTimeout(timer);
    await scp.exited;
    expect(scp.exit?.signal).toBe('SIGKILL');
    const files = listDir(dir);
    for (const name of files.final) {
      const sha = sent.get(name.slice(0, -4));
      if (sha === undefined) unknown++;
      else if (datasetSha(path.join(dir, name)) !== sha) partial++;
    }
    const names = new Set(files.final);
    for (const uid of acked) if (!names.has(`${uid}.dcm`)) missing++;
  }
  const left = listDir(dir).temp.length;
  const last = await StoreScp.start({ dir });
  const afterRestart = listDir(dir);
  await last.stop();
  swept += left;
  lines.push(
    `P-05/P-08 crash consistency (storescp CLI, fsync on): ${KILL_RUNS} SIGKILLs (${modes.random} at a random moment 0.1–1.5 s into 4 associations storing 64 KiB–1 MiB, ${modes['after-success']} right after a success status), ${sent.size} instances sent, ${acked.size} acknowledged: partial or wrong files under a final name ${partial}, unknown files ${unknown}, acknowledged but missing ${missing}; ${swept} temp files left by the kills, all swept at restart (${afterRestart.temp.length} after the last start); seed ${SEED}`,
  );
  expect({ partial, unknown, missing }).toEqual({ partial: 0, unknown: 0, missing: 0 });
  expect(afterRestart.temp).toEqual([]);
  expect(acked.size).toBeGreaterThan(0);
  expect(swept).toBeGreaterThan(0); // the kills did land mid-instance, so the sweep was exercised
});

// ---- P-06 ----------------------------------------------------------------------------------------

it('P-06 (simulated, in process): open fails EROFS, then writes fail ENOSPC mid-instance → 0xA700, temp file removed, the association goes on', async () => {
  const dir = tempDir('p06sim');
  let fault: 'EROFS' | 'ENOSPC' | null = null;
  let goodWrites = 0;
  const temps: string[] = [];
  const fsStore = createFsStore({
    directory: dir,
    async openTemp(file) {
      temps.push(file);
      if (fault === 'EROFS') throw Object.assign(new Error(`EROFS: read-only file system, open '${file}'`), { code: 'EROFS' });
      const handle = await open(file, 'wx', 0o644);
      if (fault === 'ENOSPC') {
        const writev = handle.writev.bind(handle);
        let writes = 0;
        handle.writev = (async (buffers: NodeJS.ArrayBufferView[]) => {
          if (++writes > 1) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          goodWrites++;
          return writev(buffers);
        }) as typeof handle.writev;
      }
      return handle;
    },
  });
  const ae = new ApplicationEntity({ aeTitle: 'STORESCP' }).addSupportedContext(VERIFICATION).addSupportedContext(CT, [EXPLICIT]);
  const server = ae.serve(await listenTcp({ host: '127.0.0.1', port: 0 }), { cStore: fsStore.cStore });
  const port = Number(server.address.split(':').pop());
  const a = await associateTo(port);
  const results: string[] = [];
  for (const f of ['EROFS', 'ENOSPC', null] as const) {
    fault = f;
    const uid = nextUid();
    const { data, sha } = makeDataset(uid, 3 * MiB); // > the 1 MiB write batch: ENOSPC hits after a first write
    const status = (await store(a, uid, data)).status;
    const files = listDir(dir);
    const echo = (await a.cEcho()).status;
    results.push(`${f ?? 'no fault'}: status 0x${status.toString(16).padStart(4, '0')}, temp ${files.temp.length}, echo 0x${echo.toString(16).padStart(4, '0')}`);
    expect(files.temp).toEqual([]);
    expect(echo).toBe(0);
    if (f) {
      expect(status).toBe(0xa700);
      expect(files.final).not.toContain(`${uid}.dcm`);
    } else {
      expect(status).toBe(0);
      expect(datasetSha(path.join(dir, `${uid}.dcm`))).toBe(sha);
    }
  }
  await a.release();
  await server.close();
  lines.push(`P-06 disk errors (simulated through FsStoreOptions.openTemp, one association): ${results.join('; ')}; ENOSPC after ${goodWrites} good write(s)`);
  expect(goodWrites).toBe(1);
  expect(temps.length).toBe(3);
});

const TMPFS = canMountTmpfs();
it.skipIf(!TMPFS)('P-06 (real, storescp CLI on a tmpfs in a user+mount namespace): read-only → 0xA700; 1 MiB full → 0xA700 (ENOSPC); temp removed, the association goes on', async () => {
  // Read-only output directory.
  const roDir = tempDir('p06ro');
  const ro = await StoreScp.start({ dir: roDir, tmpfs: 'ro,size=1m' });
  const a = await associateTo(ro.port);
  const roStatuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    const uid = nextUid();
    roStatuses.push((await store(a, uid, makeDataset(uid, 64 * 1024).data)).status);
  }
  const roEcho = (await a.cEcho()).status;
  await a.release();
  await ro.stop();
  const roFiles = ro.tmpfsListing();

  // A 1 MiB tmpfs: 300 KiB instances until it is full, then a small one fits again.
  const fullDir = tempDir('p06full');
  const full = await StoreScp.start({ dir: fullDir, tmpfs: 'size=1m' });
  const b = await associateTo(full.port);
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const uid = nextUid();
    statuses.push((await store(b, uid, makeDataset(uid, 300 * 1024).data)).status);
  }
  const echo = (await b.cEcho()).status;
  const small = nextUid();
  const smallStatus = (await store(b, small, makeDataset(small, 16 * 1024).data)).status;
  await b.release();
  await full.stop();
  const fullFiles = full.tmpfsListing();
  const hex = (s: number) => `0x${s.toString(16).padStart(4, '0')}`;
  lines.push(
    `P-06 disk errors (real: storescp CLI on a tmpfs mounted in an unshare -rm namespace): read-only → ${roStatuses.map(hex).join(', ')}, C-ECHO ${hex(roEcho)}, files left ${roFiles.final.length + roFiles.temp.length}; 1 MiB tmpfs, 5 × 300 KiB → ${statuses.map(hex).join(', ')}, C-ECHO ${hex(echo)}, then 16 KiB → ${hex(smallStatus)}; final files ${fullFiles.final.length}, temp files ${fullFiles.temp.length}`,
  );
  expect(roStatuses).toEqual([0xa700, 0xa700, 0xa700]);
  expect(roEcho).toBe(0);
  expect(ro.stderr.join('\n')).toMatch(/EROFS/);
  expect(roFiles).toEqual({ final: [], temp: [], other: [] });
  expect(statuses.filter((s) => s === 0).length).toBeGreaterThan(0);
  expect(statuses.filter((s) => s === 0xa700).length).toBeGreaterThan(0);
  expect(statuses.every((s) => s === 0 || s === 0xa700)).toBe(true);
  expect(full.stderr.join('\n')).toMatch(/ENOSPC/);
  expect(echo).toBe(0);
  expect(smallStatus).toBe(0);
  expect(fullFiles.temp).toEqual([]);
  expect(fullFiles.final.length).toBe(statuses.filter((s) => s === 0).length + 1);
});
if (!TMPFS) lines.push('P-06 real tmpfs case SKIPPED: `unshare -rm` cannot mount a tmpfs on this machine (the simulated case ran)');

// ---- P-07 ----------------------------------------------------------------------------------------

it(`P-07: ${SAME_UID_RUNS} × one SOP Instance UID stored at once by two associations with different bytes → the final file is exactly one of the two (SHA-256)`, async () => {
  const dir = tempDir('p07');
  const scp = await StoreScp.start({ dir });
  const [a, b] = await Promise.all([associateTo(scp.port), associateTo(scp.port)]);
  let first = 0;
  let second = 0;
  let neither = 0;
  const statuses = new Set<number>();
  for (let run = 0; run < SAME_UID_RUNS; run++) {
    const uid = nextUid();
    const x = makeDataset(uid, between(256, 1024) * 1024);
    const y = makeDataset(uid, between(256, 1024) * 1024);
    const [rx, ry] = await Promise.all([store(a, uid, x.data), store(b, uid, y.data)]);
    statuses.add(rx.status).add(ry.status);
    const got = datasetSha(path.join(dir, `${uid}.dcm`));
    if (got === x.sha) first++;
    else if (got === y.sha) second++;
    else neither++;
  }
  await Promise.all([a.release(), b.release()]);
  const files = listDir(dir);
  await scp.stop();
  lines.push(`P-07 same UID twice at once (storescp CLI): ${SAME_UID_RUNS} pairs of 256 KiB–1 MiB instances: final file = first association's bytes ${first}, second's ${second}, neither ${neither}; statuses ${[...statuses].map((s) => `0x${s.toString(16)}`).join(', ')}; ${files.final.length} final files, ${files.temp.length} temp files`);
  expect(neither).toBe(0);
  expect([...statuses]).toEqual([0]);
  expect(files.final.length).toBe(SAME_UID_RUNS);
  expect(files.temp).toEqual([]);
});
