#!/usr/bin/env node
/**
 * `npm run bench`: netdicom against DCMTK on loopback (issue 8). Every SCU and SCP is its own
 * process; implementations alternate within each row (the starting one rotates per repetition).
 * Prints medians with min–max and the ratio to the row's DCMTK reference, and writes
 * bench/results/latest.json and latest.md.
 *
 * Usage: node bench/run.mjs [--full] [--reps N] [--only row,row] [--list]
 *   --full   one 1 GiB instance (quick: 256 MiB) and larger counts; slower
 *   --reps   repetitions per variant (default 3)
 *   --smoke  tiny sizes, to check that every row works (numbers meaningless)
 *   --only   run only these rows (ids: tcp rtt echo cycles store16 store128 store16w8 store1m large16 large128 large1m proxy tls128 find findStudy get500 concurrent)
 *
 * Environment: BENCH_NODE, the node binary (or a wrapper script) that runs netdicom's processes,
 * e.g. one that adds V8 flags (Node refuses most of them in NODE_OPTIONS); default this node.
 *
 * Timing: netdicom SCUs time themselves from connect to release (in-process). DCMTK tools are
 * timed as process wall time minus the same tool's start-up cost (median of runs that fail at
 * once on a closed port), so both exclude process start. Received data goes to /dev/shm (tmpfs)
 * so the disk does not take part; netdicom's fs-store runs without fsync, as DCMTK does.
 * Every process starts fresh, so netdicom's figures include V8's JIT warm-up (its first few
 * thousand instances), except in the variants marked warmed (echo, store16, store128, large128, get500).
 * The Query/Retrieve rows findStudy and get500 (issue 5) run the same way against netdicom qrscp
 * and DCMTK dcmqrscp (DCMTK findscu/getscu; netdicom's nd-scu worker, modes find-study and get);
 * their setup is shared with bench/qr.mjs (bench/lib/qr.mjs).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CT, EXPLICIT_LE, FIND_QUERY, writeFindInstances, writeInstance, writeInstances } from './lib/data.mjs';
import { DCMTK_ENV, freePort, killAll, onInterrupt, run, start, stop, waitListening } from './lib/proc.mjs';
import { DCMQR_MAX_STUDIES, GET_KEYS, GET_QUERY, STUDY_QUERY, countMatches, runQrScu, startDcmqrscp, startQrscp, writeQrArchive } from './lib/qr.mjs';
import { writeBenchPki } from './lib/pki.mjs';
import { CHROMIUM as CHROMIUM_PATH_SHOWN, browserGet, browserRaw, browserStore, haveChromium, tcpSink, writeBrowserPage } from './lib/browser.mjs';
import { machine, renderMarkdown, summarize } from './lib/report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    reps: { type: 'string', default: '3' },
    only: { type: 'string' },
    list: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
  },
});
const FULL = opt.full;
const SMOKE = opt.smoke;
const REPS = Math.max(1, Number(opt.reps));
const KiB = 1024;
const MiB = 1024 * 1024;

/** Sizes and counts; quick mode keeps the whole run under 5 minutes on a 2-core machine. */
const P = {
  // In a fresh pair the first ~3,000 echoes run at a third or less of the steady rate (V8 compiling the
  // path on a busy 2-core machine): the 'warmed' variant times the steady state after echoWarm untimed ones.
  echoCount: FULL ? 50000 : 20000,
  echoWarm: 20000,
  cyclesNd: FULL ? 500 : 100,
  cyclesDcmtk: FULL ? 100 : 20, // one echoscu process per cycle
  files: 500,
  fileBytes: 512 * KiB,
  largeBytes: FULL ? 1024 * MiB : 256 * MiB,
  findCount: 1000,
  findRepeat: 20, // the same 1000-match C-FIND this many times in one association (findscu --repeat): steady state, as echoCount
  findStudies: 1000,
  studiesPerArea: DCMQR_MAX_STUDIES, // dcmqrscp's limit per storage area
  getCount: 500,
  getRepeat: 4, // the same C-GET this many times in one association (getscu --repeat): past the JIT warm-up
  scpWarmPasses: 3, // 'SCP warmed' store variants: storescu sends the instances this many times, untimed, first (one pass of 500 left the SCP still compiling)
  warmPasses: 5, // 'warm' store variants: the netdicom SCU sends the same instances this many times, untimed, before the timed pass
  getWarm: 8, // 'warm' C-GET variant: this many untimed C-GETs by the same netdicom SCU process first (the qrscp stays up across runs anyway)
  getBytes: 64 * KiB,
  assocs: 50,
  perAssoc: 20,
};
if (SMOKE) Object.assign(P, { echoCount: 200, findRepeat: 1, getRepeat: 1, cyclesNd: 10, cyclesDcmtk: 3, files: 20, largeBytes: 16 * MiB, assocs: 5, perAssoc: 4, findStudies: 40, studiesPerArea: 20, getCount: 50 });

const node = process.env.BENCH_NODE ?? process.execPath;
const ndScp = path.join(here, 'workers', 'nd-scp.mjs');
const ndScu = path.join(here, 'workers', 'nd-scu.mjs');
const ndCli = path.join(here, '..', 'bin', 'netdicom.mjs');
const shm = statSafe('/dev/shm')?.isDirectory() ? '/dev/shm' : tmpdir();
let work = '';

function statSafe(p) {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- servers

/** A netdicom SCP process; resolves once it listens. */
async function ndServer({ maxPdu = 16384, out = null, findCount = 0, tls = false, discard = false } = {}) {
  const port = await freePort();
  const args = [ndScp, '--port', String(port), '--max-pdu', String(maxPdu), '--find-count', String(findCount)];
  if (discard) args.push('--discard');
  else if (out) args.push('--out', out);
  if (tls) args.push('--tls-dir', data.pki.dir);
  const proc = start(node, args, { sampleRss: true });
  await waitListening(proc, port);
  return { proc, port, call: 'ANY-SCP' };
}

/** netdicom's WebSocket-to-TCP proxy (the CLI, its own process) in front of `server` (`ws://…/pacs`); `staticDir`: also serve that directory's files. */
async function ndProxy(server, { staticDir } = {}) {
  const port = await freePort();
  const args = [ndCli, 'proxy', '--listen', String(port), '--target', `pacs=127.0.0.1:${server.port}`, ...(staticDir ? ['--static', staticDir] : [])];
  const proc = start(node, args, { sampleRss: true });
  await waitListening(proc, port);
  return { proc, url: `ws://127.0.0.1:${port}/pacs`, pageUrl: `http://127.0.0.1:${port}/` };
}

/** DCMTK storescp (default mode, or +B bit-preserving; --fork for concurrent associations). */
async function storescp({ maxPdu = 16384, out, bitPreserving = false, fork = false, tls = false }) {
  const port = await freePort();
  const args = ['-pdu', String(maxPdu), '-od', out, '-dhl'];
  if (bitPreserving) args.push('+B');
  if (fork) args.push('--fork');
  if (tls) args.push(...dcmtkTls(data.pki.serverKey, data.pki.serverCert));
  args.push(String(port));
  const proc = start('storescp', args, { env: DCMTK_ENV, sampleRss: true });
  await waitListening(proc, port);
  return { proc, port, call: 'ANY-SCP' };
}

/** DCMTK dcmqrscp over the indexed C-FIND series. */
async function dcmqrscp({ maxPdu = 16384 } = {}) {
  const port = await freePort();
  const proc = start('dcmqrscp', ['-c', qr.config, '--single-process', '-pdu', String(maxPdu), String(port)], { env: DCMTK_ENV, sampleRss: true });
  await waitListening(proc, port);
  return { proc, port, call: 'QRSCP' };
}

// ---------------------------------------------------------------- clients

/**
 * Runs a netdicom SCU; returns its own timing and peak RSS. With `betweenWarmAndTimed`, the worker
 * pauses after its warm passes (--pause-after-warm) and this runs, untimed, before the timed pass.
 */
async function ndClient(mode, server, args = [], { betweenWarmAndTimed } = {}) {
  const argv = [ndScu, mode, '--port', String(server.port), '--call', server.call, ...args];
  if (!betweenWarmAndTimed) return scuResult(await run(node, argv));
  const p = start(node, [...argv, '--pause-after-warm'], { stdin: 'pipe' });
  const warmed = new Promise((resolve) => {
    const look = () => p.output().includes('{"warmed":true}') && resolve();
    p.child.stdout.on('data', look);
  });
  if (await Promise.race([warmed.then(() => true), p.exited.then(() => false)])) {
    betweenWarmAndTimed();
    p.child.stdin.end('go\n');
  }
  const r = await p.exited;
  if (r.code !== 0) throw new Error(`nd-scu ${mode} exited ${r.code ?? r.signal}:\n${r.output.slice(-2000)}`);
  return scuResult(r);
}

function scuResult(r) {
  const line = r.output.trim().split('\n').at(-1);
  const j = JSON.parse(line);
  return { seconds: j.seconds, count: j.count, scuPeakKib: j.peakKib };
}

/** Start-up cost of each DCMTK tool (ms): runs that fail at once against a closed port. */
const baselines = {};
async function measureBaselines() {
  const closed = await freePort();
  const tiny = path.join(work, 'tiny.dcm');
  writeInstance(tiny, 256);
  const tools = {
    echoscu: ['127.0.0.1', String(closed)],
    storescu: ['-R', '127.0.0.1', String(closed), tiny],
    findscu: ['-S', '-k', 'QueryRetrieveLevel=IMAGE', '127.0.0.1', String(closed)],
    getscu: ['-S', '-k', 'QueryRetrieveLevel=STUDY', '127.0.0.1', String(closed)],
  };
  for (const [tool, args] of Object.entries(tools)) {
    const times = [];
    for (let i = 0; i < 7; i++) times.push((await run(tool, args, { env: DCMTK_ENV, allowFailure: true })).ms);
    times.sort((a, b) => a - b);
    baselines[tool] = times[3];
  }
}

/** DCMTK's TLS options: our key pair, trusting the bench CA, keys without a password (storescp then requires the peer's certificate). */
const dcmtkTls = (key, cert) => ['+tls', key, cert, '+cf', data.pki.ca, '-pw'];

/** Runs a DCMTK tool; seconds = wall time minus its start-up baseline. */
async function dcmtkClient(tool, args) {
  const r = await run(tool, args, { env: DCMTK_ENV, sampleRss: true });
  return { seconds: Math.max(1e-6, (r.ms - baselines[tool]) / 1000), wallSeconds: r.ms / 1000, scuPeakKib: r.peakKib, output: r.output };
}

// ---------------------------------------------------------------- shared data

const data = {};
const qr = {};

async function setupData(rows) {
  const need = (...ids) => ids.some((id) => rows.has(id));
  let t = performance.now();
  if (need('store16', 'store128', 'store16w8', 'store1m', 'concurrent')) {
    const dir = path.join(work, 'files');
    mkdirSync(dir);
    const n = Math.max(P.files, P.assocs * P.perAssoc);
    const { files, sizes } = writeInstances(dir, n, P.fileBytes);
    const sum = (k) => sizes.slice(0, k).reduce((a, b) => a + b, 0);
    data.files = files;
    data.storeList = path.join(work, 'store.list');
    writeFileSync(data.storeList, files.slice(0, P.files).join('\n'));
    data.storeBytes = sum(P.files);
    data.concurrentList = path.join(work, 'concurrent.list');
    const cfiles = files.slice(0, P.assocs * P.perAssoc);
    writeFileSync(data.concurrentList, cfiles.join('\n'));
    data.concurrentBytes = sum(cfiles.length);
  }
  if (need('large16', 'large128', 'large1m', 'proxy', 'tls128')) {
    const file = path.join(work, 'large.dcm');
    const r = writeInstance(file, P.largeBytes, 0, 99999);
    data.large = file;
    data.largeList = path.join(work, 'large.list');
    writeFileSync(data.largeList, file);
    data.largeBytes = r.datasetBytes;
  }
  if (need('tls128')) data.pki = writeBenchPki(path.join(work, 'pki'));
  console.log(`data generated in ${((performance.now() - t) / 1000).toFixed(1)} s in ${work}`);
  if (need('find')) {
    t = performance.now();
    const dir = path.join(work, 'find');
    const db = path.join(work, 'qrdb');
    mkdirSync(dir);
    mkdirSync(db);
    const files = writeFindInstances(dir, P.findCount);
    qr.config = path.join(work, 'dcmqrscp.cfg');
    writeFileSync(
      qr.config,
      ['NetworkTCPPort = 11112', 'MaxPDUSize = 16384', 'MaxAssociations = 16', '', 'HostTable BEGIN', 'HostTable END', '',
        'VendorTable BEGIN', 'VendorTable END', '', 'AETable BEGIN', `QRSCP ${db} RW (500, 1024mb) ANY`, 'AETable END', ''].join('\n'),
    );
    await run('dcmqridx', [db, ...files]);
    console.log(`dcmqrscp index of ${P.findCount} instances built in ${((performance.now() - t) / 1000).toFixed(1)} s (untimed)`);
  }
  if (need('findStudy', 'get500')) await setupQr(need('findStudy'), need('get500'));
}

/**
 * Query/Retrieve rows (findStudy, get500): one archive, one netdicom qrscp and one dcmqrscp for
 * both rows, started untimed and kept for every repetition (qrscp indexes its archive at start).
 * dcmqrscp holds ≤ 500 studies per storage area, so the study-level matches are split over
 * ⌈findStudies / 500⌉ areas (AE titles DCMQR1, DCMQR2…), one C-FIND each; DCMQR holds the C-GET study.
 */
async function setupQr(studies, get) {
  const t = performance.now();
  const archive = path.join(work, 'qr-archive');
  const files = writeQrArchive(archive, { studies: studies ? P.findStudies : 0, get: get ? P.getCount : 0, getBytes: P.getBytes });
  qr.getBytes = files.get.reduce((n, f) => n + statSync(f).size, 0);
  const [nd, dq] = await Promise.all([startQrscp(archive), startDcmqrscp(work, files, { perArea: P.studiesPerArea })]);
  qr.nd = { proc: nd.proc, port: nd.port, call: 'NDQR', findAreas: ['NDQR'] };
  qr.dq = { proc: dq.proc, port: dq.port, call: dq.call, findAreas: dq.studyAreas };
  console.log(`Q/R archive, qrscp index and dcmqrscp (${dq.studyAreas.length} study areas) ready in ${((performance.now() - t) / 1000).toFixed(1)} s (untimed)`);
  if (studies) {
    // Untimed: DCMTK findscu gets every study-level match from both SCPs (timed runs print nothing;
    // the netdicom worker counts its matches in every run).
    for (const server of [qr.nd, qr.dq]) {
      let n = 0;
      for (const aec of server.findAreas) n += countMatches('dcmtk', (await runQrScu('dcmtk', 'findscu', server.port, aec, [...STUDY_QUERY, '-v'])).output);
      if (n !== P.findStudies) throw new Error(`findscu → ${server.call}: ${n} study matches, expected ${P.findStudies}`);
    }
  }
}

/** One timed Q/R run: the SCU once per storage area (findStudy) or once (get500); seconds summed, start-up subtracted. */
async function qrRun(scu, scp, tool, warm = 0) {
  const server = scp === 'netdicom' ? qr.nd : qr.dq;
  let seconds = 0;
  let wall = 0;
  let peak = 0;
  for (const aec of tool === 'findscu' ? server.findAreas : [server.call]) {
    const out = tool === 'getscu' ? outDir() : null;
    let r;
    if (scu === 'netdicom') {
      // Warm C-GETs' files are deleted before the timed ones, which then start into an empty directory as getscu's do.
      const clear = out && warm > 0 ? { betweenWarmAndTimed: () => out.clear() } : {};
      const nd = await ndClient(tool === 'getscu' ? 'get' : 'find-study', { port: server.port, call: aec }, out ? ['--out', out.dir, '--count', String(P.getRepeat), '--warm', String(warm)] : [], clear);
      r = { seconds: nd.seconds, wallSeconds: nd.seconds, scuPeakKib: nd.scuPeakKib, count: nd.count };
    } else {
      r = await dcmtkClient(tool, [...QR_ARGS, '-aec', aec, ...(out ? [...GET_QUERY, '--repeat', String(P.getRepeat), '-od', out.dir] : STUDY_QUERY), '127.0.0.1', String(server.port)]);
    }
    out?.finish(P.getCount);
    if (r.count !== undefined && r.count !== (out ? P.getCount : matchesIn(server, aec))) throw new Error(`netdicom ${tool} → ${aec}: ${r.count}, expected ${out ? P.getCount : matchesIn(server, aec)}`);
    seconds += r.seconds;
    wall += r.wallSeconds;
    peak = Math.max(peak, r.scuPeakKib ?? 0);
  }
  return tool === 'findscu'
    ? { seconds, wallSeconds: wall, scuPeakKib: peak, ops: P.findStudies }
    : { seconds, wallSeconds: wall, scuPeakKib: peak, ops: P.getCount * P.getRepeat, bytes: qr.getBytes * P.getRepeat };
}

/** DCMTK findscu/getscu: Study Root. */
const QR_ARGS = ['-S'];
/** Study-level matches one storage area holds. */
function matchesIn(server, aec) {
  const i = server.findAreas.indexOf(aec);
  const per = server.findAreas.length === 1 ? P.findStudies : P.studiesPerArea;
  return Math.min(per, P.findStudies - i * per);
}

function qrVariants(tool) {
  const name = (impl, side) => (impl === 'netdicom' ? (side === 'scu' ? 'netdicom' : 'netdicom qrscp') : side === 'scu' ? tool : 'dcmqrscp');
  const variants = [['netdicom', 'netdicom'], ['dcmtk', 'dcmtk'], ['netdicom', 'dcmtk'], ['dcmtk', 'netdicom']].map(([scu, scp]) => ({
    id: `${scu === 'netdicom' ? 'nd' : 'dcmtk'}-${scp === 'netdicom' ? 'nd' : 'dcmtk'}`,
    label: `${name(scu, 'scu')} → ${name(scp, 'scp')}`,
    run: () => qrRun(scu, scp, tool),
  }));
  if (tool !== 'getscu') return variants;
  // The netdicom SCU past its JIT warm-up (the qrscp, up for the whole row, is warm in every variant).
  const warm = { id: 'nd-nd-warm', label: 'netdicom → netdicom qrscp, SCU warmed', run: () => qrRun('netdicom', 'netdicom', tool, P.getWarm) };
  // A viewer page retrieving the study through `netdicom proxy` (where Chromium is installed): one
  // sub-operation at a time as every other variant, and up to 8 in flight as the demo page asks.
  const browser = [
    { id: 'browser-proxy-nd', label: 'Chromium → proxy → netdicom qrscp', run: () => browserGetRun(1) },
    { id: 'browser-proxy-nd-w8', label: 'the same, 8 sub-operations in flight', run: () => browserGetRun(8) },
  ];
  return [...variants, warm, ...(haveChromium() ? browser : [])];
}

/** A directory with the bench page, the IIFE bundle and `instance` if given, for the proxy to serve (bench/lib/browser.mjs). */
function browserSite(instance) {
  const site = path.join(work, `site-${Math.random().toString(36).slice(2)}`);
  mkdirSync(site);
  writeBrowserPage(site, path.join(here, '..', 'dist', 'netdicom.iife.min.js'), instance);
  return site;
}

/** C-GET from a page in headless Chromium through `netdicom proxy` to the row's netdicom qrscp, `window` sub-operations in flight at most. */
async function browserGetRun(window) {
  const site = browserSite();
  const proxy = await ndProxy(qr.nd, { staticDir: site });
  try {
    const r = await browserGet({
      pageUrl: proxy.pageUrl,
      target: 'pacs',
      calledAeTitle: qr.nd.call,
      maxPduLength: 16 * KiB,
      studyUid: GET_KEYS.StudyInstanceUID,
      repeat: P.getRepeat,
      window,
      sopClassUid: CT,
      transferSyntaxUid: EXPLICIT_LE,
    });
    if (r.completed !== P.getCount || r.instances !== P.getCount * P.getRepeat) {
      throw new Error(`the page's C-GET completed ${r.completed} and received ${r.instances} instances, expected ${P.getCount} and ${P.getCount * P.getRepeat}`);
    }
    const proxyPeakKib = await stop(proxy.proc);
    return { seconds: r.seconds, wallSeconds: r.seconds, ops: r.instances, bytes: qr.getBytes * P.getRepeat, proxyPeakKib };
  } finally {
    await stop(proxy.proc);
    rmSync(site, { recursive: true, force: true });
  }
}

/** Fresh output directory per run; counts what arrived, then removes it. */
function outDir() {
  const dir = path.join(work, `out-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  return {
    dir,
    /** Removes what was received so far (warm passes), so the timed pass replaces no file. */
    clear() {
      for (const name of readdirSync(dir)) rmSync(path.join(dir, name), { recursive: true, force: true });
    },
    finish(expected) {
      const got = readdirSync(dir).filter((n) => !n.startsWith('.')).length;
      rmSync(dir, { recursive: true, force: true });
      if (expected !== undefined && got !== expected) throw new Error(`expected ${expected} received files, found ${got}`);
    },
  };
}

const FIND_ARGS = ['-S', '-sr', ...Object.entries(FIND_QUERY).flatMap(([k, v]) => ['-k', v ? `${k}=${v}` : k])];

// ---------------------------------------------------------------- rows

/** One run of a store variant: start the SCP, send, stop it, check what arrived. */
async function storeRun({ scp, scu, pdu, list, count, bytes, stream = false, concurrent = false, window = 1, warmScp = false, warmPasses = 0, viaProxy = false, tls = false, networkOnly = false }) {
  const out = outDir();
  const server = scp === 'netdicom' ? await ndServer({ maxPdu: pdu, out: out.dir, tls, discard: networkOnly }) : await storescp({ maxPdu: pdu, out: out.dir, bitPreserving: scp === 'dcmtk+B', fork: concurrent, tls });
  let proxy = null;
  let site = null;
  try {
    if (scu === 'browser') {
      // The page fetches the instance from the proxy itself (its own origin).
      site = browserSite(data.large);
      proxy = await ndProxy(server, { staticDir: site });
    } else if (viaProxy) proxy = await ndProxy(server);
    // Untimed: the same files a few times, so the SCP's JIT is past warm-up. What the warm passes
    // stored is removed before the timed pass (by the bench, untimed): the timed pass then replaces
    // no file, as in every other row (replacing one costs the kernel the old file's pages inside the
    // timed window: ~20 ms for a 256 MiB instance).
    for (let pass = 0; warmScp && pass < P.scpWarmPasses; pass++) {
      await run('storescu', ['-pdu', String(pdu), '127.0.0.1', String(server.port), ...data.files.slice(0, P.files)], { env: DCMTK_ENV });
    }
    if (warmScp) out.clear();
    let r;
    if (scu === 'browser') {
      r = await browserStore({ pageUrl: proxy.pageUrl, target: 'pacs', calledAeTitle: server.call, maxPduLength: pdu, sopClassUid: CT, transferSyntaxUid: EXPLICIT_LE });
    } else if (scu === 'netdicom') {
      const mode = concurrent ? 'concurrent' : networkOnly ? 'memory' : stream ? 'stream' : 'store';
      const args = ['--list', list, '--max-pdu', String(pdu), '--assocs', String(P.assocs), '--window', String(window), '--warm', String(warmPasses), ...(proxy ? ['--ws', proxy.url] : []), ...(tls ? ['--tls-dir', data.pki.dir] : [])];
      r = await ndClient(mode, server, args, warmPasses > 0 ? { betweenWarmAndTimed: () => out.clear() } : {});
    } else if (concurrent) {
      // DCMTK has no concurrent SCU: one storescu process per association, all at once.
      const files = data.files.slice(0, P.assocs * P.perAssoc);
      const t0 = performance.now();
      const procs = [];
      for (let i = 0; i < P.assocs; i++) {
        procs.push(run('storescu', ['-R', '-pdu', String(pdu), '127.0.0.1', String(server.port), ...files.slice(i * P.perAssoc, (i + 1) * P.perAssoc)], { env: DCMTK_ENV }));
      }
      await Promise.all(procs);
      const ms = performance.now() - t0;
      r = { seconds: (ms - baselines.storescu) / 1000, wallSeconds: ms / 1000 };
    } else {
      const tlsArgs = tls ? dcmtkTls(data.pki.clientKey, data.pki.clientCert) : [];
      r = await dcmtkClient('storescu', ['-R', '-pdu', String(pdu), ...tlsArgs, '127.0.0.1', String(server.port), ...(stream ? [data.large] : data.files.slice(0, P.files))]);
    }
    const proxyPeakKib = proxy ? await stop(proxy.proc) : undefined;
    const scpPeakKib = await stop(server.proc);
    out.finish(networkOnly ? 0 : count); // the discarding SCP writes nothing
    return { ...r, ops: count, bytes, scpPeakKib, proxyPeakKib };
  } finally {
    if (proxy) await stop(proxy.proc);
    await stop(server.proc);
    if (site) rmSync(site, { recursive: true, force: true });
  }
}

/** The browser's own bound: the raw page through the proxy to a TCP sink (no DICOM, no SCP). */
async function browserRawRun(bytes) {
  const site = browserSite();
  const sink = await tcpSink();
  const proxy = await ndProxy({ port: sink.port }, { staticDir: site });
  try {
    const r = await browserRaw({ pageUrl: proxy.pageUrl, target: 'pacs', bytes });
    const proxyPeakKib = await stop(proxy.proc);
    return { ...r, ops: 1, bytes, proxyPeakKib };
  } finally {
    await stop(proxy.proc);
    sink.close();
    rmSync(site, { recursive: true, force: true });
  }
}

async function serverRun(makeServer, client) {
  const server = await makeServer();
  try {
    const r = await client(server);
    const scpPeakKib = await stop(server.proc);
    return { ...r, scpPeakKib };
  } finally {
    await stop(server.proc);
  }
}

const echoDcmtkScp = () => {
  const out = outDir();
  return storescp({ out: out.dir }).then((s) => ({ ...s, out }));
};

const ROWS = [
  {
    id: 'tcp',
    title: `Raw loopback TCP, Node socket → socket (ceiling), ${P.largeBytes / MiB} MiB`,
    note:
      "'data' events: a new buffer per read, Node's default; reused buffer: `onread` into one 64 KiB " +
      'buffer (public on client sockets only; netdicom reads TCP into a pool of reused buffers on both sides); ' +
      'warmed: the same two processes first move the same bytes over a connection of their own, untimed, ' +
      "and the second connection is timed (as the DICOM rows' warmed variants run a new association in warmed processes)",
    metrics: ['MB/s'],
    variants: [
      [16 * KiB, 'data'],
      [MiB, 'data'],
      [16 * KiB, 'reuse'],
      [MiB, 'reuse'],
      [MiB, 'reuse', 'warm'],
    ].map(([chunk, read, warm]) => ({
      id: `tcp-${chunk / KiB}k-${read}${warm ? '-warm' : ''}`,
      label: `${chunk / KiB} KiB writes, ${read === 'data' ? "'data' events" : 'reused buffer'}${warm ? ', warmed' : ''}`,
      async run() {
        const port = await freePort();
        const connections = String(warm ? 2 : 1);
        const source = start(node, [path.join(here, 'workers', 'tcp-source.mjs'), String(port), String(P.largeBytes), String(chunk), connections]);
        await waitListening(source, port);
        await run(node, [path.join(here, 'workers', 'tcp-sink.mjs'), String(port), read, connections]);
        const r = await source.exited;
        if (r.code !== 0) throw new Error(`tcp-source exited ${r.code ?? r.signal}:\n${r.output.slice(-2000)}`);
        return { seconds: JSON.parse(r.output.trim()).seconds, ops: 1, bytes: P.largeBytes };
      },
    })),
  },
  {
    id: 'rtt',
    title: `Raw loopback round trips, Node socket ↔ socket (ceiling for C-ECHO), ${P.echoCount} × 90 bytes`,
    metrics: ['ops/s'],
    variants: [
      { id: 'rtt-node', label: "'data' events both ways", run: () => pingPong('data') },
      // netdicom's client sockets read so (lent reads); its SCP re-creates accepted sockets to read so too.
      { id: 'rtt-node-reuse', label: "client reads into a reused buffer (onread), server 'data' events", run: () => pingPong('reuse') },
    ],
  },
  {
    id: 'echo',
    title: `C-ECHO in one association (${P.echoCount} round trips)`,
    note:
      `both warmed: the netdicom SCU first runs ${P.echoWarm} C-ECHOs, untimed, in two associations of their own to the same SCP process ` +
      '(a fresh pair runs its first ~3,000 echoes at a third or less of the steady rate while V8 compiles the path, and a second ' +
      'association re-optimises for ~1,000 echoes what V8 specialised on the first)',
    metrics: ['ops/s'],
    ref: 'dcmtk-dcmtk',
    variants: [
      { id: 'nd-nd', label: 'netdicom → netdicom', run: () => serverRun(() => ndServer(), async (s) => ({ ...(await ndClient('echo', s, ['--count', String(P.echoCount)])), ops: P.echoCount })) },
      { id: 'dcmtk-dcmtk', label: 'echoscu → storescp', run: () => serverRun(echoDcmtkScp, async (s) => { const r = await dcmtkClient('echoscu', ['--repeat', String(P.echoCount), '127.0.0.1', String(s.port)]); s.out.finish(); return { ...r, ops: P.echoCount }; }) },
      { id: 'nd-dcmtk', label: 'netdicom → storescp', run: () => serverRun(echoDcmtkScp, async (s) => { const r = await ndClient('echo', s, ['--count', String(P.echoCount)]); s.out.finish(); return { ...r, ops: P.echoCount }; }) },
      { id: 'dcmtk-nd', label: 'echoscu → netdicom', run: () => serverRun(() => ndServer(), async (s) => ({ ...(await dcmtkClient('echoscu', ['--repeat', String(P.echoCount), '127.0.0.1', String(s.port)])), ops: P.echoCount })) },
      { id: 'nd-nd-warm', label: 'netdicom → netdicom, both warmed', run: () => serverRun(() => ndServer(), async (s) => ({ ...(await ndClient('echo', s, ['--count', String(P.echoCount), '--warm', String(P.echoWarm)])), ops: P.echoCount })) },
    ],
  },
  {
    id: 'cycles',
    title: 'Associate + C-ECHO + release cycles',
    note:
      `netdicom: ${P.cyclesNd} cycles in one process; DCMTK: ${P.cyclesDcmtk} echoscu processes, timed whole (start-up included). ` +
      'No ratio: no DCMTK tool runs association cycles in one process, and subtracting its ~50 ms start-up left noise larger than a cycle',
    metrics: ['ops/s'],
    ref: undefined,
    variants: [
      { id: 'nd-nd', label: 'netdicom → netdicom', run: () => serverRun(() => ndServer(), async (s) => ({ ...(await ndClient('cycles', s, ['--count', String(P.cyclesNd)])), ops: P.cyclesNd })) },
      { id: 'dcmtk-dcmtk', label: 'echoscu → storescp (whole processes)', run: () => serverRun(echoDcmtkScp, async (s) => { const r = await echoCycles(s); s.out.finish(); return r; }) },
      { id: 'nd-dcmtk', label: 'netdicom → storescp', run: () => serverRun(echoDcmtkScp, async (s) => { const r = await ndClient('cycles', s, ['--count', String(P.cyclesNd)]); s.out.finish(); return { ...r, ops: P.cyclesNd }; }) },
      { id: 'dcmtk-nd', label: 'echoscu → netdicom (whole processes)', run: () => serverRun(() => ndServer(), echoCycles) },
    ],
  },
  ...[16 * KiB, 128 * KiB].map((pdu) => ({
    id: `store${pdu / KiB}`,
    title: `C-STORE ${P.files} × ${P.fileBytes / KiB} KiB, max PDU ${pdu / KiB} KiB`,
    metrics: ['files/s', 'MB/s'],
    ref: 'dcmtk-dcmtkB',
    note:
      `SCP warmed: the same netdicom SCP process first receives the same instances ${P.scpWarmPasses} times, untimed, as a ` +
      `long-running SCP would have (a fresh process spends its first ~1,500 instances compiling); both warmed: the netdicom SCU sends them ${P.warmPasses} times, untimed, ` +
      'to the same SCP before the timed pass (a long-running router or modality simulator); what warm passes stored is deleted before the timed pass, ' +
      'which then writes into an empty directory like every other variant; every other variant starts each process fresh',
    variants: [
      ...storeVariants(pdu, () => ({ list: data.storeList, count: P.files, bytes: data.storeBytes })),
      {
        id: 'dcmtk-nd-warm',
        label: 'storescu → netdicom, SCP warmed',
        run: () => storeRun({ scu: 'dcmtk', scp: 'netdicom', pdu, list: data.storeList, count: P.files, bytes: data.storeBytes, warmScp: true }),
      },
      warmStoreVariant(pdu, () => ({ list: data.storeList, count: P.files, bytes: data.storeBytes })),
    ],
  })),
  {
    id: 'store16w8',
    title: `C-STORE ${P.files} × ${P.fileBytes / KiB} KiB, max PDU 16 KiB, asynchronous operations window 8 (netdicom only: DCMTK's tools send one at a time)`,
    metrics: ['files/s', 'MB/s'],
    variants: [{ id: 'nd-nd', label: 'netdicom → netdicom', run: () => storeRun({ scp: 'netdicom', scu: 'netdicom', pdu: 16 * KiB, list: data.storeList, count: P.files, bytes: data.storeBytes, window: 8 }) }],
  },
  {
    id: 'store1m',
    title: `C-STORE ${P.files} × ${P.fileBytes / KiB} KiB, max PDU 1 MiB (netdicom only; DCMTK caps at 128 KiB)`,
    metrics: ['files/s', 'MB/s'],
    variants: [{ id: 'nd-nd', label: 'netdicom → netdicom', run: () => storeRun({ scp: 'netdicom', scu: 'netdicom', pdu: MiB, list: data.storeList, count: P.files, bytes: data.storeBytes }) }],
  },
  ...[16 * KiB, 128 * KiB, MiB].map((pdu) => ({
    id: `large${pdu >= MiB ? '1m' : pdu / KiB}`,
    title: `C-STORE of one ${P.largeBytes / MiB} MiB instance, max PDU ${pdu >= MiB ? '1 MiB' : `${pdu / KiB} KiB`}${pdu >= MiB ? ' (netdicom only)' : ''}`,
    metrics: ['MB/s', 'SCP RSS', 'SCU RSS'],
    ref: pdu >= MiB ? undefined : 'dcmtk-dcmtkB',
    ...(pdu >= 128 * KiB && {
      note:
        `both warmed: the netdicom SCU sends the instance ${P.warmPasses} times, untimed, to the same SCP before the timed pass (their files deleted before it)` +
        (pdu >= MiB ? '; memory to memory: the SCU sends the instance from memory (read before its timed window) and the SCP reads every byte and keeps none, as the raw ceiling does' : ''),
    }),
    variants: [
      ...(pdu >= MiB ? ['nd-nd'] : pdu === 16 * KiB ? ['nd-nd', 'dcmtk-dcmtkB'] : ['nd-nd', 'dcmtk-dcmtk', 'dcmtk-dcmtkB', 'nd-dcmtkB', 'dcmtk-nd']).map((v) =>
        storeVariant(v, pdu, () => ({ list: data.largeList, count: 1, bytes: data.largeBytes, stream: true })),
      ),
      // Warmed at 1 MiB too: the issue's "within 2× of the raw ceiling" is about the transfer, not V8's warm-up.
      ...(pdu >= 128 * KiB ? [warmStoreVariant(pdu, () => ({ list: data.largeList, count: 1, bytes: data.largeBytes, stream: true }))] : []),
      // The ceiling moves bytes from memory to memory; so do these (no file read, no file write).
      ...(pdu >= MiB ? networkOnlyVariants(pdu, () => ({ list: data.largeList, count: 1, bytes: data.largeBytes, networkOnly: true })) : []),
    ],
  })),
  {
    id: 'proxy',
    title: `C-STORE of one ${P.largeBytes / MiB} MiB instance through netdicom's WebSocket-to-TCP proxy, max PDU 128 KiB (netdicom only)`,
    note:
      'The browser path: the SCU speaks DIMSE over a WebSocket (Node, with the ws package in place of the browser’s WebSocket) to `netdicom proxy` ' +
      '(its own process), which relays to the SCP over TCP. Chromium: a fresh headless Chromium (Debian’s, a plain process: no DevTools client) loads a page ' +
      'the proxy serves and stores the instance with the IIFE bundle and the browser’s own WebSocket, timed in the page from connect to release ' +
      '(the page fetches the instance first, untimed); Chromium WebSocket → TCP sink: the same number of bytes as bare 512 KiB messages from the same ' +
      'page through the same proxy to a socket (in the bench’s own process) that drops them, timed until the browser has handed everything on: ' +
      'a reference, no longer a bound (since 41a92cc the page’s DICOM upload runs faster than this loop; why was not measured)' +
      `${haveChromium() ? '' : `; not run here: no Chromium at ${CHROMIUM_PATH_SHOWN}`}. ` +
      'Ratio: against the same SCU and SCP over TCP directly, in the same run.',
    metrics: ['MB/s', 'SCP RSS', 'SCU RSS', 'proxy RSS'],
    ref: 'nd-nd',
    variants: [
      storeVariant('nd-nd', 128 * KiB, () => ({ list: data.largeList, count: 1, bytes: data.largeBytes, stream: true })),
      {
        id: 'nd-proxy-nd',
        label: 'netdicom → proxy → netdicom',
        run: () => storeRun({ scu: 'netdicom', scp: 'netdicom', pdu: 128 * KiB, list: data.largeList, count: 1, bytes: data.largeBytes, stream: true, viaProxy: true }),
      },
      // A web app's own path: skipped on machines without Chromium (the note says so).
      ...(haveChromium()
        ? [
            {
              id: 'browser-proxy-nd',
              label: 'Chromium → proxy → netdicom',
              run: () => storeRun({ scu: 'browser', scp: 'netdicom', pdu: 128 * KiB, list: data.largeList, count: 1, bytes: data.largeBytes, stream: true, viaProxy: true }),
            },
            { id: 'browser-raw', label: 'Chromium WebSocket → proxy → TCP sink (no DICOM)', run: () => browserRawRun(data.largeBytes) },
          ]
        : []),
    ],
  },
  {
    id: 'tls128',
    title: `C-STORE of one ${P.largeBytes / MiB} MiB instance over TLS, max PDU 128 KiB`,
    note:
      'TLS 1.3 with TLS_AES_256_GCM_SHA384 on both stacks (Node with its bundled OpenSSL, DCMTK with the system one), ' +
      'certificates from the bench CA (bench/lib/pki.mjs), client certificates presented (storescp asks for one). The handshake is inside ' +
      "every timed window; DCMTK's subtracted start-up was measured without TLS. Node TLS socket → socket: the same bytes through " +
      "Node's own TLS in 128 KiB writes, no DICOM: the bound for netdicom → netdicom (Node on both ends)",
    metrics: ['MB/s', 'SCP RSS', 'SCU RSS'],
    ref: 'dcmtk-dcmtkB',
    variants: [
      {
        id: 'tls-node',
        label: 'Node TLS socket → socket (ceiling)',
        async run() {
          const port = await freePort();
          const server = start(node, [path.join(here, 'workers', 'tls-pump.mjs'), 'server', String(port), data.pki.dir]);
          await waitListening(server, port);
          const r = await run(node, [path.join(here, 'workers', 'tls-pump.mjs'), 'client', String(port), data.pki.dir, String(P.largeBytes), String(128 * KiB)]);
          await server.exited;
          return { seconds: JSON.parse(r.output.trim()).seconds, ops: 1, bytes: P.largeBytes };
        },
      },
      ...['nd-nd', 'dcmtk-dcmtkB', 'nd-dcmtkB', 'dcmtk-nd'].map((v) =>
        storeVariant(v, 128 * KiB, () => ({ list: data.largeList, count: 1, bytes: data.largeBytes, stream: true }), { tls: true }),
      ),
    ],
  },
  {
    id: 'find',
    title: `C-FIND with ${P.findCount} matches, ${P.findRepeat} times in one association (Study Root, IMAGE level: dcmqrscp holds ≤ 500 studies)`,
    metrics: ['matches/s'],
    ref: 'dcmtk-dcmtk',
    variants: [
      { id: 'nd-nd', label: 'netdicom → netdicom', run: () => serverRun(() => ndServer({ findCount: P.findCount }), (s) => findNd(s)) },
      { id: 'dcmtk-dcmtk', label: 'findscu → dcmqrscp', run: () => serverRun(() => dcmqrscp(), (s) => findDcmtk(s)) },
      { id: 'nd-dcmtk', label: 'netdicom → dcmqrscp', run: () => serverRun(() => dcmqrscp(), (s) => findNd(s)) },
      { id: 'dcmtk-nd', label: 'findscu → netdicom', run: () => serverRun(() => ndServer({ findCount: P.findCount }), (s) => findDcmtk(s)) },
    ],
  },
  {
    id: 'findStudy',
    title: `C-FIND with ${P.findStudies} study-level matches (Study Root, STUDY level, one instance per study)`,
    note:
      `dcmqrscp holds at most ${DCMQR_MAX_STUDIES} studies per storage area, so against it the ${P.findStudies} studies are split over ` +
      `${Math.ceil(P.findStudies / P.studiesPerArea)} storage areas (one AE title each) and each SCU sends one C-FIND per area (separate processes, ` +
      `times summed); against netdicom qrscp one C-FIND returns all ${P.findStudies}. dcmqrscp forks a child per association (its default mode).`,
    metrics: ['matches/s'],
    ref: 'dcmtk-dcmtk',
    variants: qrVariants('findscu'),
  },
  {
    id: 'get500',
    title: `C-GET of one study of ${P.getCount} instances × ${P.getBytes / KiB} KiB, ${P.getRepeat} times in one association (Study Root), max PDU 16 KiB`,
    note:
      'Both SCUs write the instances to tmpfs as files (netdicom: fs-store without fsync); every run checks that all instances arrived. ' +
      `SCU warmed: the netdicom SCU process first runs the C-GET ${P.getWarm} times, untimed (a long-running client). ` +
      'Chromium → proxy: a page in a fresh headless Chromium (the IIFE bundle, the browser’s WebSocket) retrieves the study through `netdicom proxy` ' +
      'and reads each instance into memory (no files: a viewer; `bytes({ shared: true })`, joined inside the WebSocket message it came in), timed in the page from connect to release; with 8 in flight: the page proposes an ' +
      'asynchronous operations window (performs up to 8), which netdicom qrscp takes up (every other variant has no window)' +
      `${haveChromium() ? '' : `; not run here: no Chromium at ${CHROMIUM_PATH_SHOWN}`}`,
    metrics: ['files/s', 'MB/s'],
    ref: 'dcmtk-dcmtk',
    variants: qrVariants('getscu'),
  },
  {
    id: 'concurrent',
    title: `${P.assocs} concurrent associations × ${P.perAssoc} instances of ${P.fileBytes / KiB} KiB (aggregate), max PDU 16 KiB`,
    note: `DCMTK: ${P.assocs} storescu processes at once → storescp --fork (minus one start-up baseline)`,
    metrics: ['MB/s', 'files/s'],
    ref: 'dcmtk-dcmtkB',
    variants: ['nd-nd', 'dcmtk-dcmtk', 'dcmtk-dcmtkB', 'dcmtk-nd'].map((v) =>
      storeVariant(v, 16 * KiB, () => ({ list: data.concurrentList, count: P.assocs * P.perAssoc, bytes: data.concurrentBytes, concurrent: true })),
    ),
  },
];

function storeVariants(pdu, what) {
  return ['nd-nd', 'dcmtk-dcmtk', 'dcmtk-dcmtkB', 'nd-dcmtkB', 'dcmtk-nd'].map((v) => storeVariant(v, pdu, what));
}

function storeVariant(id, pdu, what, options = {}) {
  const [scu, scp] = { 'nd-nd': ['netdicom', 'netdicom'], 'dcmtk-dcmtk': ['dcmtk', 'dcmtk'], 'dcmtk-dcmtkB': ['dcmtk', 'dcmtk+B'], 'nd-dcmtkB': ['netdicom', 'dcmtk+B'], 'dcmtk-nd': ['dcmtk', 'netdicom'] }[id];
  const name = (side, s) => (s === 'netdicom' ? 'netdicom' : side === 'scu' ? 'storescu' : s === 'dcmtk+B' ? 'storescp +B' : 'storescp');
  return { id, label: `${name('scu', scu)} → ${name('scp', scp)}`, run: () => storeRun({ scu, scp, pdu, ...what(), ...options }) };
}

/**
 * netdicom → netdicom with both processes past JIT warm-up: the SCU first sends the same data
 * P.warmPasses times to the same SCP, untimed. DCMTK has no warm-up to skip (its start-up is
 * subtracted), so this is what a long-running netdicom service does against the same references.
 */
function warmStoreVariant(pdu, what) {
  return { id: 'nd-nd-warm', label: 'netdicom → netdicom, both warmed', run: () => storeRun({ scu: 'netdicom', scp: 'netdicom', pdu, ...what(), warmPasses: P.warmPasses }) };
}

/** Raw round trips between two Node processes (workers/tcp-pingpong.mjs); `read`: how the client reads. */
async function pingPong(read) {
  const port = await freePort();
  const server = start(node, [path.join(here, 'workers', 'tcp-pingpong.mjs'), 'server', String(port)]);
  await waitListening(server, port);
  const r = await run(node, [path.join(here, 'workers', 'tcp-pingpong.mjs'), 'client', String(port), String(P.echoCount), '90', read]);
  await server.exited;
  return { seconds: JSON.parse(r.output.trim()).seconds, ops: P.echoCount };
}

/**
 * The network path alone, as the raw ceiling measures it: the SCU sends the instance from memory
 * (read before its timed window) and the SCP reads every byte and discards it. Fresh and warmed.
 */
function networkOnlyVariants(pdu, what) {
  return [
    { ...storeVariant('nd-nd', pdu, what), id: 'nd-nd-mem', label: 'netdicom → netdicom, memory to memory (no file I/O)' },
    { ...warmStoreVariant(pdu, what), id: 'nd-nd-mem-warm', label: 'the same, both warmed' },
  ];
}

/** One echoscu process per cycle, timed whole: subtracting its start-up left noise larger than a cycle. */
async function echoCycles(server) {
  let wall = 0;
  for (let i = 0; i < P.cyclesDcmtk; i++) wall += (await dcmtkClient('echoscu', ['127.0.0.1', String(server.port)])).wallSeconds;
  return { seconds: wall, wallSeconds: wall, ops: P.cyclesDcmtk };
}

async function findNd(server) {
  const r = await ndClient('find', server, ['--count', String(P.findRepeat)]);
  if (r.count !== P.findCount * P.findRepeat) throw new Error(`netdicom C-FIND got ${r.count} matches, expected ${P.findCount * P.findRepeat}`);
  return { ...r, ops: r.count };
}

async function findDcmtk(server) {
  const args = ['-aec', server.call, ...FIND_ARGS, '--repeat', String(P.findRepeat), '127.0.0.1', String(server.port)];
  return { ...(await dcmtkClient('findscu', args)), ops: P.findCount * P.findRepeat };
}

/** Untimed check that findscu really gets every match from both SCPs (it runs with -sr when timed). */
async function verifyFind() {
  for (const make of [() => dcmqrscp(), () => ndServer({ findCount: P.findCount })]) {
    await serverRun(make, async (s) => {
      const args = ['-aec', s.call, ...FIND_ARGS.filter((a) => a !== '-sr'), '+sr', '127.0.0.1', String(s.port)];
      const r = await run('findscu', args, { env: DCMTK_ENV });
      const n = (r.output.match(/Find Response: \d+ \(Pending/g) ?? []).length;
      if (n !== P.findCount) throw new Error(`findscu got ${n} matches, expected ${P.findCount}`);
      return {};
    });
  }
}

// ---------------------------------------------------------------- main

/** Benchmarking an old build is the classic mistake: say so when src/ is newer than dist/. */
function warnIfStale() {
  const built = statSafe(path.join(here, '..', 'dist', 'index.js'))?.mtimeMs ?? 0;
  let newest = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const d of ['src', 'adapters']) walk(path.join(here, '..', d));
  if (newest > built) console.warn('warning: src/ or adapters/ is newer than dist/ — run `npm run build` first');
}

/**
 * The issue's target for 1 MiB PDUs is relative to the raw loopback ceiling (DCMTK caps PDUs at
 * 128 KiB): when both rows ran, each large1m variant gets its share of the ceiling measured in
 * this run (Node socket → socket, 1 MiB writes into a reused buffer): fresh processes against the
 * fresh ceiling, the warmed variant against the warmed one.
 */
function compareWithCeiling(results) {
  const tcp = results.find((r) => r.id === 'tcp');
  const fresh = tcp?.variants.find((v) => v.id === 'tcp-1024k-reuse');
  const warmed = tcp?.variants.find((v) => v.id === 'tcp-1024k-reuse-warm') ?? fresh;
  const large = results.find((r) => r.id === 'large1m');
  if (!fresh || !large) return;
  console.log(`\nOne ${P.largeBytes / MiB} MiB instance at 1 MiB PDUs against the raw ceiling (1 MiB writes into a reused buffer):`);
  for (const v of large.variants) {
    const ceiling = v.id.endsWith('-warm') ? warmed : fresh;
    const top = ceiling.metrics['MB/s'].median;
    v.ofCeiling = v.metrics['MB/s'].median / top;
    v.ceiling = ceiling.id === 'tcp-1024k-reuse-warm' ? 'warmed TCP ceiling' : 'TCP ceiling';
    console.log(`  ${v.label}: ${v.ofCeiling.toFixed(2)}× of the ${v.ceiling} (${top.toFixed(0)} MB/s)`);
  }
}

/** The pipelining row (issue 10) is netdicom ↔ netdicom only, in one process: its own script. */
const PIPELINING_POINTER = 'pipelining (asynchronous operations window 1/4/16, netdicom ↔ netdicom): npm run bench:pipelining → bench/results/pipelining.md';

if (opt.list) {
  for (const r of ROWS) console.log(`${r.id.padEnd(11)} ${r.title}`);
  console.log(`also: ${PIPELINING_POINTER}`);
  process.exit(0);
}
warnIfStale();
const only = opt.only ? new Set(opt.only.split(',')) : null;
const rows = ROWS.filter((r) => !only || only.has(r.id));
const started = performance.now();
const results = [];
work = mkdtempSync(path.join(shm, 'netdicom-bench-'));
onInterrupt(() => rmSync(work, { recursive: true, force: true }));
try {
  await measureBaselines();
  console.log(`DCMTK start-up baselines (ms): ${Object.entries(baselines).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
  await setupData(new Set(rows.map((r) => r.id)));
  if (rows.some((r) => r.id === 'find')) await verifyFind();
  for (const row of rows) {
    const t = performance.now();
    const samples = Object.fromEntries(row.variants.map((v) => [v.id, []]));
    for (let rep = 0; rep < REPS; rep++) {
      // Alternate: every variant once per repetition, starting one further along each time.
      for (let k = 0; k < row.variants.length; k++) {
        const v = row.variants[(k + rep) % row.variants.length];
        samples[v.id].push(await v.run());
      }
    }
    const summary = summarize(row, samples);
    results.push(summary);
    console.log(`\n${row.title}  (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    for (const line of summary.lines) console.log(`  ${line}`);
  }
  for (const s of [qr.nd, qr.dq]) if (s) await stop(s.proc);
  compareWithCeiling(results);
} finally {
  killAll();
  rmSync(work, { recursive: true, force: true });
}
const report = {
  date: new Date().toISOString(),
  machine: await machine(),
  mode: SMOKE ? 'smoke' : FULL ? 'full' : 'quick',
  reps: REPS,
  baselinesMs: baselines,
  parameters: P,
  totalSeconds: (performance.now() - started) / 1000,
  rows: results.map(({ lines, ...r }) => r),
};
const outDirPath = path.join(here, 'results');
mkdirSync(outDirPath, { recursive: true });
const base = SMOKE ? 'smoke' : 'latest';
writeFileSync(path.join(outDirPath, `${base}.json`), JSON.stringify(report, null, 2) + '\n');
writeFileSync(path.join(outDirPath, `${base}.md`), renderMarkdown(report));
console.log(`\nwrote bench/results/${base}.json and ${base}.md (${report.totalSeconds.toFixed(0)} s in all)`);
console.log(`also: ${PIPELINING_POINTER}`);
