#!/usr/bin/env node
/**
 * `npm run build && node bench/qr.mjs [--reps N] [--smoke]`: Query/Retrieve, netdicom against DCMTK on
 * loopback in one run (issue 5), every SCU × SCP pair. `npm run bench -- --only findStudy,get500`
 * runs the same measurements as rows of the main bench (alternating, min–max, ratios); this script
 * is the quick all-pairs table. Setup is shared with it: bench/lib/qr.mjs.
 * Every SCU and SCP is its own process; each SCU is timed as its process wall time minus the same
 * tool's start-up cost (median of runs against a closed port). netdicom's CLI start-up (~0.5 s,
 * noisy on a busy machine) can swamp small runs; the bench rows time netdicom in-process instead.
 *
 *   find-studies  C-FIND, Study Root, STUDY level, 1,000 matches. dcmqrscp keeps at most 500
 *                 studies per storage area: against it, one C-FIND per area (2 × 500), times summed.
 *   find-images   C-FIND, IMAGE level, 1,000 matches (one series), against both SCPs.
 *   get           C-GET of one 500-instance study (64 KiB data sets), against both SCPs.
 * Output goes to /dev/shm (tmpfs) so the disk does not take part; qrscp runs with --no-fsync.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { onInterrupt, stop } from './lib/proc.mjs';
import { GET_QUERY, IMAGE_QUERY, STUDY_QUERY, qrStartup, runQrScu, startDcmqrscp, startQrscp, writeQrArchive } from './lib/qr.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({ options: { reps: { type: 'string', default: '3' }, smoke: { type: 'boolean', default: false } } });
const REPS = Math.max(1, Number(opt.reps));
const N = opt.smoke ? { studies: 20, images: 20, get: 10 } : { studies: 1000, images: 1000, get: 500 };
const shm = readdirSync('/dev').includes('shm') ? '/dev/shm' : tmpdir();
const work = mkdtempSync(path.join(shm, 'nd-qr-bench-'));
onInterrupt(() => rmSync(work, { recursive: true, force: true }));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const archive = path.join(work, 'archive');
const files = writeQrArchive(archive, N);
const nd = await startQrscp(archive);
const dq = await startDcmqrscp(work, files);
const startup = await qrStartup();

const servers = { 'netdicom qrscp': { port: nd.port, find: ['NDQR'], aec: 'NDQR' }, dcmqrscp: { port: dq.port, find: dq.studyAreas, aec: dq.call } };
const rows = [
  { id: 'find-studies', what: `C-FIND ${N.studies} study-level matches`, tool: 'findscu', args: STUDY_QUERY, count: N.studies, perArea: true },
  { id: 'find-images', what: `C-FIND ${N.images} image-level matches`, tool: 'findscu', args: IMAGE_QUERY, count: N.images },
  { id: 'get', what: `C-GET ${N.get} instances (64 KiB)`, tool: 'getscu', args: GET_QUERY, count: N.get },
];
const results = [];
for (const row of rows) {
  for (const [server, s] of Object.entries(servers)) {
    for (const scu of ['netdicom', 'dcmtk']) {
      const times = [];
      for (let r = 0; r < REPS; r++) {
        let ms = 0;
        for (const aec of row.perArea ? s.find : [s.aec]) {
          const od = mkdtempSync(path.join(work, 'od-'));
          const extra = row.tool === 'getscu' ? ['-od', od] : [];
          const res = await runQrScu(scu, row.tool, s.port, aec, [...row.args, ...extra]);
          if (row.tool === 'getscu' && readdirSync(od).length !== row.count) throw new Error(`${scu} getscu from ${server}: ${readdirSync(od).length} files, expected ${row.count}`);
          rmSync(od, { recursive: true, force: true });
          ms += Math.max(1, res.ms - startup[`${scu}/${row.tool}`]);
        }
        times.push(ms);
      }
      const ms = median(times);
      results.push({ row: row.id, what: row.what, scu: `${scu} ${row.tool}`, scp: row.perArea && s.find.length > 1 ? `${server} (${s.find.length} areas)` : server, ms, perSecond: (row.count / ms) * 1000 });
      console.log(`${row.what.padEnd(36)} ${`${scu} ${row.tool}`.padEnd(18)} → ${server.padEnd(15)} ${ms.toFixed(0).padStart(6)} ms  ${((row.count / ms) * 1000).toFixed(0).padStart(6)}/s`);
    }
  }
}
await stop(nd.proc);
await stop(dq.proc);

const md = [
  '| row | SCU | SCP | ms (median) | per second |',
  '| --- | --- | --- | ---: | ---: |',
  ...results.map((r) => `| ${r.what} | ${r.scu} | ${r.scp} | ${r.ms.toFixed(0)} | ${r.perSecond.toFixed(0)} |`),
].join('\n');
mkdirSync(path.join(here, 'results'), { recursive: true });
writeFileSync(path.join(here, 'results', opt.smoke ? 'qr-smoke.md' : 'qr-latest.md'), `${md}\n\nstart-up subtracted (ms): ${JSON.stringify(startup)}; reps ${REPS}\n`);
console.log(`\n${md}`);
rmSync(work, { recursive: true, force: true });
