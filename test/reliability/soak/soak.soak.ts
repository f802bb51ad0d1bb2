/**
 * `npm run test:soak` (reliability.md §3.9 C-03…C-05, §3.14 Z-08; figures §4 items 4 and 12):
 * an out-of-process SCP (dist/, --expose-gc) on 127.0.0.1 takes
 *  1. SOAK_N (default 10,000) × {accepted (RQ/C-ECHO/release), rejected (calling AE not allowed),
 *     malformed (M-08/M-09/U-02 vectors)} associations — RSS/heap/arrayBuffers drift and fd count;
 *  2. a length-aware mutated-PDU campaign (Z-04 mutators over the §3.1 seeds) for SOAK_FUZZ_SECONDS
 *     (default 60) with a canary every SOAK_CANARY_EVERY (default 250) inputs.
 * Bounded in count and time; loopback only; the child is stopped at the end.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startScpChild, type ScpChild } from './fork-scp';
import { percentile } from '../helpers/figures';
import { ABORT_USER, canary, concat, ECHO_OK, fixLength, patched, REL_RQ, RQ_OK } from '../helpers/scp';
import { rqFull } from '../helpers/session';
import { hex, TcpPeer } from '../helpers/tcp-peer';

const N = Number(process.env.SOAK_N ?? 10_000);
const FUZZ_SECONDS = Number(process.env.SOAK_FUZZ_SECONDS ?? 60);
const CANARY_EVERY = Number(process.env.SOAK_CANARY_EVERY ?? 250);
const CONCURRENCY = 16;
const MiB = 1024 * 1024;

interface Stats { rss: number; heapUsed: number; arrayBuffers: number; external: number; fds: number; associations: number; escapes: number }

let scp: ScpChild;
let port = 0;
const lines: string[] = [];
const stats = () => scp.stats<Stats>();

beforeAll(async () => {
  scp = await startScpChild('./scp-child.mjs', (error) => lines.push(`ESCAPE in SCP: ${error}`));
  port = scp.port;
});

afterAll(async () => {
  await scp.stop();
  for (const line of lines) console.log(`[figure] ${line}`);
});

/** Runs `count` jobs, `CONCURRENCY` at a time. */
async function pool(count: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) await job(next++);
  }));
}

/** Sends `bytes`, waits for the SCP's last PDU (RJ, RP or A-ABORT), closes like a real peer (FIN), then tears down. */
async function fire(bytes: Uint8Array, ms = 2000): Promise<TcpPeer> {
  const peer = await TcpPeer.connect(port);
  peer.send(bytes);
  const end = performance.now() + ms;
  while (!peer.history.some((p) => p.type === 0x03 || p.type === 0x06 || p.type === 0x07) && !peer.closedBy && performance.now() < end) {
    await new Promise((r) => setTimeout(r, 2));
  }
  peer.end();
  await peer.expectClosed(ms).catch(() => undefined);
  peer.destroy();
  return peer;
}

const calling = (rq: Uint8Array, ae: string) => patched(rq, 26, Array.from(ae.padEnd(16), (c) => c.charCodeAt(0).toString(16)).join(' '));
const MALFORMED = [
  patched(RQ_OK, 99, '20 00 FF FF 01 00 00 00'), // M-08
  patched(RQ_OK, 107, '30 00 00 40'), // M-09 abstract syntax overrun
  patched(RQ_OK, 149, '50 00 00 40'), // M-09 user info overrun
  fixLength(concat(RQ_OK.subarray(0, 149), hex('50 00 00 27'), RQ_OK.subarray(153), hex('58 00 00 06 01 00 00 00 00 00 58 00 00 06 01 00 00 00 00 00'))), // U-02
];

const KINDS: Record<string, (i: number) => Promise<void>> = {
  accepted: async () => {
    const peer = await fire(concat(RQ_OK, ECHO_OK, REL_RQ));
    if (peer.history.map((p) => p.type).join() !== '2,4,6') throw new Error(`accepted: got ${peer.history.map((p) => p.type)}`);
  },
  rejected: async () => {
    const peer = await fire(calling(RQ_OK, 'ATTACKER'));
    if (peer.history[0]?.type !== 0x03) throw new Error('rejected: no RJ');
  },
  malformed: async (i) => {
    const peer = await fire(MALFORMED[i % MALFORMED.length]!);
    if (peer.history[0]?.type !== 0x07) throw new Error('malformed: no A-ABORT');
  },
};

it(`R6 leak check: ${N} × {accepted, rejected, malformed} associations against an out-of-process SCP`, async () => {
  for (const job of Object.values(KINDS)) await pool(200, job); // warm-up
  const base = await stats();
  let previous = base;
  for (const [kind, job] of Object.entries(KINDS)) {
    const t0 = performance.now();
    await pool(N, job);
    const s = await stats();
    const secs = (performance.now() - t0) / 1000;
    lines.push(
      `leak (${kind}): ${N} associations in ${secs.toFixed(1)} s; drift vs baseline after GC: RSS ${((s.rss - base.rss) / MiB).toFixed(2)} MiB, heapUsed ${((s.heapUsed - base.heapUsed) / MiB).toFixed(2)} MiB, arrayBuffers ${((s.arrayBuffers - base.arrayBuffers) / MiB).toFixed(2)} MiB, fds ${s.fds - base.fds}, associations open ${s.associations}; RSS vs previous kind ${((s.rss - previous.rss) / MiB).toFixed(2)} MiB`,
    );
    previous = s;
    expect(s.heapUsed - base.heapUsed).toBeLessThan(5 * MiB);
    expect(s.arrayBuffers - base.arrayBuffers).toBeLessThan(5 * MiB);
    expect(s.fds - base.fds).toBeLessThanOrEqual(0);
    expect(s.escapes).toBe(0);
  }
});

// ---- Z-08: length-aware mutation campaign -----------------------------------------------------

/** Offsets of the 2-byte item/sub-item length fields of an A-ASSOCIATE-RQ. */
function itemLengthOffsets(rq: Uint8Array): number[] {
  const out: number[] = [];
  const walk = (from: number, to: number, nested: (type: number) => number | null) => {
    for (let off = from; off + 4 <= to; ) {
      const len = (rq[off + 2]! << 8) | rq[off + 3]!;
      out.push(off + 2);
      const inner = nested(rq[off]!);
      if (inner !== null) walk(off + 4 + inner, Math.min(to, off + 4 + len), () => null);
      off += 4 + len;
    }
  };
  walk(74, rq.length, (type) => (type === 0x20 ? 4 : type === 0x50 ? 0 : null));
  return out;
}

const SEEDS: { bytes: Uint8Array; established: boolean }[] = [
  { bytes: RQ_OK, established: false },
  { bytes: rqFull(), established: false },
  { bytes: ECHO_OK, established: true },
  { bytes: REL_RQ, established: true },
  { bytes: ABORT_USER, established: true },
];

function mutate(seed: Uint8Array, rnd: () => number): Uint8Array {
  const b = Uint8Array.from(seed);
  const values16 = [0, 1, 0xffff, 0x7fff];
  const values32 = [0, 1, 0xffffffff, 0x7fffffff, 0x10000];
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const dv = new DataView(b.buffer);
  switch (Math.floor(rnd() * 7)) {
    case 0: { // PDU length
      const n = dv.getUint32(2);
      dv.setUint32(2, pick([...values32, n - 1, n + 1]) >>> 0);
      return b;
    }
    case 1: { // item / PDV length
      if (b[0] === 0x01) {
        const offs = itemLengthOffsets(b);
        const at = pick(offs);
        const n = dv.getUint16(at);
        dv.setUint16(at, pick([...values16, Math.max(0, n - 1), n + 1]) & 0xffff);
      } else if (b[0] === 0x04) dv.setUint32(6, pick([...values32, dv.getUint32(6) - 1, dv.getUint32(6) + 1]) >>> 0);
      return b;
    }
    case 2: // truncate
      return b.subarray(0, Math.floor(rnd() * b.length));
    case 3: { // duplicate a slice
      const at = Math.floor(rnd() * b.length);
      const n = 1 + Math.floor(rnd() * 32);
      return concat(b.subarray(0, at), b.subarray(at, at + n), b.subarray(at));
    }
    case 4: // splice with another seed
      return concat(b.subarray(0, Math.floor(rnd() * b.length)), pick(SEEDS).bytes);
    case 5: { // random bytes flipped
      for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      return b;
    }
    default: // type byte
      b[0] = Math.floor(rnd() * 256);
      return b;
  }
}

it(`Z-08: mutated PDUs for ${FUZZ_SECONDS} s against the TCP SCP, canary every ${CANARY_EVERY} inputs`, async () => {
  let seed = Number(process.env.SOAK_SEED ?? 20260101);
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const base = await stats();
  const deadline = performance.now() + FUZZ_SECONDS * 1000;
  let inputs = 0;
  let peakRss = base.rss;
  const canaries: number[] = [];
  const answers = new Map<string, number>();
  let nextCanary = CANARY_EVERY;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < deadline) {
      const s = SEEDS[Math.floor(rnd() * SEEDS.length)]!;
      const input = mutate(s.bytes, rnd);
      const peer = await TcpPeer.connect(port);
      if (s.established) {
        peer.send(RQ_OK);
        await peer.expectPdu(0x02, undefined, 2000);
      }
      peer.send(input);
      await peer.expectClosed(300).catch(() => undefined);
      const first = peer.pdus[0];
      const key = first ? (first.type === 0x07 ? `A-ABORT (${first.bytes[8]},${first.bytes[9]})` : `type ${first.type}`) : peer.closedBy ? 'closed' : 'open after 300 ms';
      answers.set(key, (answers.get(key) ?? 0) + 1);
      if (peer.history.filter((p) => p.type === 0x07).length > 1) throw new Error(`more than one A-ABORT for input ${Buffer.from(input).toString('hex')}`);
      peer.destroy();
      inputs++;
      if (inputs >= nextCanary) {
        nextCanary += CANARY_EVERY;
        canaries.push(await canary(port, 5000));
        peakRss = Math.max(peakRss, (await stats()).rss);
      }
    }
  }));
  await new Promise((r) => setTimeout(r, 1500)); // let ARTIM (1 s) reap held connections
  const end = await stats();
  lines.push(
    `Z-08: ${inputs} mutated inputs in ${FUZZ_SECONDS} s (${(inputs / FUZZ_SECONDS).toFixed(0)}/s), ${canaries.length} canaries all OK (p50 ${percentile(canaries, 50).toFixed(1)} ms, p99 ${percentile(canaries, 99).toFixed(1)} ms), SCP restarts 0, escapes ${end.escapes}, peak RSS ${(peakRss / MiB).toFixed(1)} MiB (start ${(base.rss / MiB).toFixed(1)}), fds ${base.fds} → ${end.fds}; answers: ${[...answers].map(([k, v]) => `${k} ×${v}`).join(', ')}`,
  );
  expect(scp.child.exitCode).toBeNull();
  expect(end.escapes).toBe(0);
  expect(end.fds - base.fds).toBeLessThanOrEqual(0);
  expect(percentile(canaries, 99)).toBeLessThan(1000);
});
