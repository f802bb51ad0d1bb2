#!/usr/bin/env node
/**
 * How much a Node socket costs to *read* from, by read path (not a DICOM bench): a sender writes
 * TOTAL bytes over 127.0.0.1 and a receiver in its own process counts them either through 'data'
 * events (a fresh 64 KiB buffer per read: what every server socket in Node 20 gets) or through
 * `net.connect({ onread })` with one reused buffer (client sockets only). Prints wall time and the
 * receiver's CPU (user + system) per path, medians of REPS runs.
 * Usage: node bench/socket-read.mjs [TOTAL_MiB=256] [REPS=5]
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { sendTotal } from './lib/send-total.mjs';

const [totalMiB = 256, reps = 5] = process.argv.slice(2).map(Number);
const total = totalMiB * 1024 * 1024;

// The receiver: connects, reads to the end, prints { seconds, cpuMs } (runs as `node -e`).
const receiver = (mode) => `
  const net = require('node:net');
  const t0 = performance.now();
  let n = 0;
  const onread = ${mode === 'onread'} ? { buffer: Buffer.allocUnsafe(1 << 20), callback: (k) => { n += k; } } : undefined;
  const s = net.connect({ port: Number(process.argv[1]), host: '127.0.0.1', noDelay: true, onread });
  if (!onread) s.on('data', (d) => { n += d.length; });
  s.on('end', () => {
    const c = process.cpuUsage();
    console.log(JSON.stringify({ bytes: n, seconds: (performance.now() - t0) / 1000, cpuMs: (c.user + c.system) / 1000 }));
    s.end();
  });`;

/** One run: a fresh sender (1 MiB writes, honouring back-pressure) and one receiver. */
async function once(mode) {
  const chunk = new Uint8Array(1 << 20).fill(0x5a);
  const server = createServer({ noDelay: true }, (socket) => {
    sendTotal(socket, total, chunk);
    socket.on('data', () => {});
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const child = spawn(process.execPath, ['-e', receiver(mode), String(server.address().port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise((resolve) => child.on('close', resolve));
  server.close();
  const r = JSON.parse(out);
  if (r.bytes !== total) throw new Error(`${mode}: received ${r.bytes} of ${total} bytes`);
  return r;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`${totalMiB} MiB over 127.0.0.1, receiver in its own process, medians of ${reps}`);
for (const mode of ['data', 'onread']) {
  const runs = [];
  for (let i = 0; i < reps; i++) runs.push(await once(mode));
  const label = mode === 'data' ? "'data' events (fresh 64 KiB buffers)" : 'onread, one reused 1 MiB buffer';
  const mbps = median(runs.map((r) => total / r.seconds / 1e6));
  console.log(`  ${label.padEnd(40)} ${mbps.toFixed(0)} MB/s, receiver CPU ${median(runs.map((r) => r.cpuMs)).toFixed(0)} ms`);
}
