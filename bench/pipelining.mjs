#!/usr/bin/env node
/**
 * Pipelining bench (PS3.7 D.3.3.3 asynchronous operations window), not a test: netdicom SCU →
 * netdicom SCP over 127.0.0.1 TCP in one process, C-ECHO and 64 KiB C-STORE, windows 1, 4 and
 * 16, with the SCP answering at once and with an artificial 2 ms of work per operation (a
 * stand-in for a database/disk write or network round trip). Prints ops/s and the speed-up over
 * window 1, and writes bench/results/pipelining.json and .md (`npm run bench` points here).
 * Run: `npm run bench:pipelining` or `npm run build && node bench/pipelining.mjs [OPS]`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine } from './lib/report.mjs';
import { ApplicationEntity, encodeDataset } from 'netdicom';
import { connectTcp, listenTcp } from 'netdicom/node';

const OPS = Number(process.argv[2] ?? 2000);
const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const WINDOWS = [1, 4, 16];
const DELAYS = [0, 2];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const data = encodeDataset({ SOPClassUID: CT, SOPInstanceUID: '1.2.3.4', Modality: 'CT', PixelData: new Uint8Array(64 * 1024).buffer }, EXPLICIT);

async function run(kind, window, delayMs) {
  const scp = new ApplicationEntity({ aeTitle: 'SCP', asyncOps: { maxInvoked: 1, maxPerformed: 64 } })
    .addSupportedContext(VERIFICATION)
    .addSupportedContext(CT, [EXPLICIT]);
  const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
  const work = async () => (delayMs > 0 ? sleep(delayMs) : undefined);
  const server = scp.serve(listener, {
    cEcho: async () => (await work(), 0),
    cStore: async (req) => (await req.bytes(), await work(), 0),
  });
  const scu = new ApplicationEntity({ aeTitle: 'SCU', maxPduLength: 65536, ...(window !== 1 && { asyncOps: { maxInvoked: window, maxPerformed: 1 } }) })
    .addRequestedContext(VERIFICATION)
    .addRequestedContext(CT, [EXPLICIT]);
  const assoc = await scu.associate(await connectTcp({ host: '127.0.0.1', port: listener.port }), { calledAeTitle: 'SCP' });
  const one = (i) =>
    kind === 'echo' ? assoc.cEcho() : assoc.cStore({ sopClassUid: CT, sopInstanceUid: `1.2.3.${i}`, transferSyntaxUid: EXPLICIT, data });
  const ops = delayMs > 0 ? Math.min(OPS, 500) : OPS;
  for (let i = 0; i < 50; i++) await one(i); // warm-up
  const started = performance.now();
  let next = 0;
  // `window` workers, each calling one op after the other: at most `window` in flight.
  await Promise.all(Array.from({ length: window }, async () => {
    while (next < ops) {
      const rsp = await one(next++);
      if (rsp.status !== 0) throw new Error(`status ${rsp.status}`);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  await assoc.release();
  await server.close();
  return { ops, rate: ops / seconds, window: assoc.asyncOps.maxInvoked };
}

const rows = [];
for (const delayMs of DELAYS) {
  for (const kind of ['echo', 'store']) {
    let base = 0;
    for (const window of WINDOWS) {
      const r = await run(kind, window, delayMs);
      if (window === 1) base = r.rate;
      rows.push({ kind, delayMs, window: r.window, ops: r.ops, rate: r.rate, speedup: r.rate / base });
    }
  }
}
const m = await machine();
const table = [
  `${new Date().toISOString().slice(0, 10)} · ${m.cpu}, ${m.cores} cores · Node ${m.node} · Linux ${m.kernel} · netdicom SCU → netdicom SCP, 127.0.0.1 TCP, one association`,
  '',
  '| operation | SCP work per op | window | ops | ops/s | vs window 1 |',
  '|---|---|---|---|---|---|',
  ...rows.map((r) => {
    const op = r.kind === 'echo' ? 'C-ECHO' : 'C-STORE 64 KiB';
    return `| ${op} | ${r.delayMs} ms | ${r.window} | ${r.ops} | ${r.rate.toFixed(0)} | ×${r.speedup.toFixed(2)} |`;
  }),
];
console.log(table.join('\n'));
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'pipelining.json'), `${JSON.stringify({ date: new Date().toISOString(), machine: m, rows }, null, 2)}\n`);
writeFileSync(path.join(out, 'pipelining.md'), `${table.join('\n')}\n`);
console.log('\nwrote bench/results/pipelining.json and pipelining.md');
