#!/usr/bin/env node
/**
 * Large-instance bench (not a test): generates one instance of SIZE MiB (default 1024) in a temp
 * dir, sends it with `netdicom storescu` to `netdicom storescp` over 127.0.0.1, checks the
 * received data set byte for byte (SHA-256), and prints each process's peak RSS (VmHWM sampled
 * from /proc; in brackets the largest private part, RssAnon, without node's own code pages) and the
 * rate. Run: `npm run bench:large` or `node bench/large-store.mjs [SIZE_MiB]`.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeDataset, readPart10, writePart10 } from 'netdicom';
import { freePort, rssAnon, vmHwm } from './lib/proc.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = process.env.NETDICOM_CLI ?? path.join(root, 'bin', 'netdicom.mjs');
const sizeMiB = Number(process.argv[2] ?? process.env.LARGE_MIB ?? 1024);
const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const UID = '1.2.826.0.1.3680043.9.7433.9.1';

/** Writes a Part 10 file whose pixel data is one OW element of `bytes`, in 8 MiB chunks. */
function generate(file, bytes) {
  const head = encodeDataset(
    { SOPClassUID: CT, SOPInstanceUID: UID, Modality: 'CT', PatientName: 'LARGE^BENCH', PatientID: 'BENCH', Rows: 1, Columns: 1, BitsAllocated: 16 },
    EXPLICIT,
  );
  // (7FE0,0010) OW, 32-bit length: written by hand so the bulk never sits in memory.
  const tag = new Uint8Array(12);
  const dv = new DataView(tag.buffer);
  dv.setUint16(0, 0x7fe0, true);
  dv.setUint16(2, 0x0010, true);
  tag.set([0x4f, 0x57], 4);
  dv.setUint32(8, bytes, true);
  const [pre, meta] = writePart10({ sopClassUid: CT, sopInstanceUid: UID, transferSyntaxUid: EXPLICIT, dataset: new Uint8Array(0) });
  const fd = openSync(file, 'w');
  for (const part of [pre, meta, head, tag]) writeSync(fd, part);
  const chunk = new Uint8Array(8 * 1024 * 1024);
  for (let i = 0; i < chunk.length; i += 4096) chunk[i] = (i >> 12) & 0xff;
  for (let left = bytes; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(left, chunk.length));
  closeSync(fd);
}

/** SHA-256 of a Part 10 file's data set, streamed (only the meta header is read whole). */
async function datasetHash(file) {
  const fd = openSync(file, 'r');
  const head = new Uint8Array(64 * 1024);
  const n = (await import('node:fs')).readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const p = readPart10(head.subarray(0, n));
  const offset = n - p.dataset.byteLength;
  const hash = createHash('sha256');
  for await (const c of createReadStream(file, { start: offset, highWaterMark: 8 << 20 })) hash.update(c);
  return hash.digest('hex');
}

function run(args, name) {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const peak = { kib: 0, privateKib: 0 };
  const sample = () => {
    peak.kib = Math.max(peak.kib, vmHwm(child.pid));
    peak.privateKib = Math.max(peak.privateKib, rssAnon(child.pid));
  };
  const timer = setInterval(sample, 20);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    clearInterval(timer);
    resolve({ code, signal });
  }));
  return { child, peak, sample, exited, output: () => output, name };
}

/** "69 MiB (private 25)": VmHWM, and the largest RssAnon sampled every 20 ms. */
const mib = (peak) => `${(peak.kib / 1024).toFixed(0)} MiB (private ${(peak.privateKib / 1024).toFixed(0)})`;

const work = mkdtempSync(path.join(tmpdir(), 'netdicom-large-'));
const processes = [];
try {
  const src = path.join(work, 'large.dcm');
  const out = path.join(work, 'out');
  const bytes = sizeMiB * 1024 * 1024;
  let t = performance.now();
  generate(src, bytes);
  console.log(`generated ${sizeMiB} MiB instance in ${((performance.now() - t) / 1000).toFixed(1)} s (${statSync(src).size} bytes)`);
  const port = await freePort();
  const scp = run(['storescp', String(port), '-od', out, '-q', '--max-pdu', '131072'], 'storescp');
  processes.push(scp);
  await new Promise((r) => setTimeout(r, 700));
  t = performance.now();
  const scu = run(['storescu', '127.0.0.1', String(port), src], 'storescu');
  processes.push(scu);
  const { code } = await scu.exited;
  const seconds = (performance.now() - t) / 1000;
  scp.sample();
  scp.child.kill('SIGTERM');
  await scp.exited;
  if (code !== 0) throw new Error(`storescu exited ${code}:\n${scu.output()}`);
  const received = readdirSync(out);
  if (received.length !== 1) throw new Error(`expected one received file, got ${received.join(', ')}`);
  const [a, b] = await Promise.all([datasetHash(src), datasetHash(path.join(out, received[0]))]);
  if (a !== b) throw new Error('received data set differs from the one sent');
  console.log(scu.output().trim().split('\n').at(-1));
  console.log(
    `1 instance of ${sizeMiB} MiB: ${seconds.toFixed(1)} s, ${(bytes / 1e6 / seconds).toFixed(1)} MB/s (process start to exit); ` +
      `peak RSS storescu ${mib(scu.peak)}, storescp ${mib(scp.peak)}; data set identical`,
  );
} finally {
  for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
