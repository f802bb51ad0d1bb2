#!/usr/bin/env node
/**
 * `npm run build && node bench/qr.mjs [--reps N]`: Query/Retrieve, netdicom against DCMTK on
 * loopback in one run (issue 5). Every SCU and SCP is its own process; each SCU is timed as its
 * process wall time minus the same tool's start-up cost (median of runs against a closed port).
 *
 * Rows (every SCU × SCP pair that can hold the data):
 *   find-studies  C-FIND, Study Root, STUDY level, 1,000 matches. dcmqrscp keeps at most 500
 *                 studies per storage area, so this row runs against netdicom qrscp only.
 *   find-images   C-FIND, IMAGE level, 1,000 matches (one series), against both SCPs.
 *   get           C-GET of one 500-instance study (64 KiB data sets), against both SCPs.
 * Output goes to /dev/shm (tmpfs) so the disk does not take part; qrscp runs with --no-fsync.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeInstance } from './lib/data.mjs';
import { DCMTK_ENV, freePort, onInterrupt, run, start, stop, waitListening } from './lib/proc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(here, '..', 'bin', 'netdicom.mjs');
const { values: opt } = parseArgs({ options: { reps: { type: 'string', default: '3' }, smoke: { type: 'boolean', default: false } } });
const REPS = Math.max(1, Number(opt.reps));
const N = opt.smoke ? { studies: 20, images: 20, get: 10 } : { studies: 1000, images: 1000, get: 500 };
const shm = readdirSync('/dev').includes('shm') ? '/dev/shm' : tmpdir();
const work = mkdtempSync(path.join(shm, 'nd-qr-bench-'));
onInterrupt(() => rmSync(work, { recursive: true, force: true }));
const node = process.execPath;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

// ------------------------------------------------------------------ data
const archive = path.join(work, 'archive');
mkdirSync(archive);
const files = { studies: [], images: [], get: [] };
for (let s = 0; s < N.studies; s++) files.studies.push(writeInstance(path.join(archive, `s${s}.dcm`), 256, 0, 20000 + s).file);
for (let i = 0; i < N.images; i++) files.images.push(writeInstance(path.join(archive, `f${i}.dcm`), 256, i, 7).file);
for (let i = 0; i < N.get; i++) files.get.push(writeInstance(path.join(archive, `g${i}.dcm`), 64 * 1024, i, 9).file);
const ROOT = '1.2.826.0.1.3680043.9.7433.8';
const IMAGE_QUERY = ['-k', 'QueryRetrieveLevel=IMAGE', '-k', `StudyInstanceUID=${ROOT}.2.7`, '-k', `SeriesInstanceUID=${ROOT}.3.7`, '-k', 'SOPInstanceUID', '-k', 'InstanceNumber'];
const STUDY_QUERY = ['-k', 'QueryRetrieveLevel=STUDY', '-k', 'PatientName=BENCH*', '-k', 'StudyInstanceUID', '-k', 'StudyDate', '-k', 'AccessionNumber'];
const GET_QUERY = ['-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${ROOT}.2.9`];

// ------------------------------------------------------------------ servers
const ndPort = await freePort();
const nd = start(node, [BIN, 'qrscp', String(ndPort), '--dir', archive, '--bind', '127.0.0.1', '--no-fsync', '-q', '-aet', 'NDQR'], { sampleRss: true });
await waitListening(nd, ndPort, 120000);

const dqPort = await freePort();
const db = path.join(work, 'dcmqrscp');
mkdirSync(db);
const cfg = path.join(work, 'dcmqrscp.cfg');
writeFileSync(cfg, [`NetworkTCPPort = ${dqPort}`, 'MaxPDUSize = 16384', 'MaxAssociations = 16', 'HostTable BEGIN', 'HostTable END', 'VendorTable BEGIN', 'VendorTable END',
  'AETable BEGIN', `DCMQR ${db} RW (600, 4096mb) ANY`, 'AETable END', ''].join('\n'));
const dq = start('dcmqrscp', ['-c', cfg], { env: DCMTK_ENV, sampleRss: true });
await waitListening(dq, dqPort);
for (let i = 0; i < files.images.length + files.get.length; i += 200) {
  await run('storescu', ['-aec', 'DCMQR', '127.0.0.1', String(dqPort), ...[...files.images, ...files.get].slice(i, i + 200)], { env: DCMTK_ENV });
}

// ------------------------------------------------------------------ clients
const scus = {
  netdicom: (tool, port, aec, args) => [node, [BIN, tool, '127.0.0.1', String(port), '-aec', aec, '-q', ...args]],
  dcmtk: (tool, port, aec, args) => [tool, ['-S', '-aec', aec, ...args, '127.0.0.1', String(port)]],
};
const startup = {};
for (const [name, make] of Object.entries(scus)) {
  for (const tool of ['findscu', 'getscu']) {
    const closed = await freePort();
    const ms = [];
    for (let i = 0; i < 3; i++) {
      const [cmd, args] = make(tool, closed, 'X', []);
      ms.push((await run(cmd, args, { env: DCMTK_ENV, allowFailure: true })).ms);
    }
    startup[`${name}/${tool}`] = median(ms);
  }
}

const servers = { 'netdicom qrscp': { port: ndPort, aec: 'NDQR' }, dcmqrscp: { port: dqPort, aec: 'DCMQR' } };
const rows = [
  { id: 'find-studies', what: `C-FIND ${N.studies} study-level matches`, tool: 'findscu', args: STUDY_QUERY, count: N.studies, servers: ['netdicom qrscp'] },
  { id: 'find-images', what: `C-FIND ${N.images} image-level matches`, tool: 'findscu', args: IMAGE_QUERY, count: N.images, servers: ['netdicom qrscp', 'dcmqrscp'] },
  { id: 'get', what: `C-GET ${N.get} instances (64 KiB)`, tool: 'getscu', args: GET_QUERY, count: N.get, servers: ['netdicom qrscp', 'dcmqrscp'] },
];
const results = [];
for (const row of rows) {
  for (const server of row.servers) {
    for (const scu of Object.keys(scus)) {
      const times = [];
      for (let r = 0; r < REPS; r++) {
        const od = mkdtempSync(path.join(work, 'od-'));
        const extra = row.tool === 'getscu' ? ['-od', od] : [];
        const [cmd, args] = scus[scu](row.tool, servers[server].port, servers[server].aec, [...row.args, ...extra]);
        const res = await run(cmd, args, { env: DCMTK_ENV });
        if (row.tool === 'getscu' && readdirSync(od).length !== row.count) throw new Error(`${scu} getscu from ${server}: ${readdirSync(od).length} files, expected ${row.count}`);
        rmSync(od, { recursive: true, force: true });
        times.push(Math.max(1, res.ms - startup[`${scu}/${row.tool}`]));
      }
      const ms = median(times);
      results.push({ row: row.id, what: row.what, scu: `${scu} ${row.tool}`, scp: server, ms, perSecond: (row.count / ms) * 1000 });
      console.log(`${row.what.padEnd(36)} ${`${scu} ${row.tool}`.padEnd(18)} → ${server.padEnd(15)} ${ms.toFixed(0).padStart(6)} ms  ${((row.count / ms) * 1000).toFixed(0).padStart(6)}/s`);
    }
  }
}
await stop(nd);
await stop(dq);

const md = [
  '| row | SCU | SCP | ms (median) | per second |',
  '| --- | --- | --- | ---: | ---: |',
  ...results.map((r) => `| ${r.what} | ${r.scu} | ${r.scp} | ${r.ms.toFixed(0)} | ${r.perSecond.toFixed(0)} |`),
].join('\n');
mkdirSync(path.join(here, 'results'), { recursive: true });
writeFileSync(path.join(here, 'results', opt.smoke ? 'qr-smoke.md' : 'qr-latest.md'), `${md}\n\nstart-up subtracted (ms): ${JSON.stringify(startup)}; reps ${REPS}\n`);
console.log(`\n${md}`);
rmSync(work, { recursive: true, force: true });
