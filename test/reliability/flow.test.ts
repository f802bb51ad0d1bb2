/**
 * Flow control on the SCP side over TCP (reliability.md §3.4 S-11, §3.6 D-04, D-07, D-08, D-09,
 * §3.9 C-09): a peer that pipelines far beyond the negotiated window, floods C-CANCELs, never
 * reads its responses, or sends faster than the handler consumes, is met with back-pressure — the
 * SCP stops reading instead of queueing — and memory stays bounded; a duplicate Message ID within
 * an asynchronous window is refused with 0x0210.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Association } from '../../src/association';
import type { ScpHandlers } from '../../src/scp/types';
import type { NetEvent } from '../../src/telemetry';
import { createMemoryPair } from '../../adapters/memory';
import { CommandField } from '../../src/dimse/types';
import { note, printFigures, record } from './helpers/figures';
import { commandPdu, MiB, peakRetained, queuedMessages, ResponseReader, settledHeap, sleep, until, writeWithBackPressure } from './helpers/flow';
import { ABORT_USER, canary, concat, pdata, REL_RQ, RELEASE_RP, startScp, type TestScp } from './helpers/scp';
import { associate, command, echoRq, findRq, PC, rqFull, storeRq } from './helpers/session';
import { hex, TcpPeer } from './helpers/tcp-peer';

afterAll(() => printFigures());
const G = 'flow control (S-11, D-04…D-09, C-09)';
/** D-07 flood size (the catalogue's 100,000; RELIABILITY_D07 overrides it). */
const D07_CANCELS = Number(process.env.RELIABILITY_D07 ?? 100_000);

/** A (0008,0052) "STUDY " identifier, Implicit VR LE. */
const STUDY = hex('08 00 52 00 06 00 00 00 53 54 55 44 59 20');

/**
 * Counts C-ECHOs as the SCP performs them, the deepest the provider's queue got meanwhile, and how
 * far the SCP had read ahead of the request it performs (P-DATA PDUs taken off the wire, from telemetry).
 */
function echoMeter(delayMs = 0) {
  const m = { ids: [] as number[], maxQueue: 0, running: 0, maxRunning: 0, pdataIn: 0, maxReadAhead: 0, steadyReadAhead: 0, association: null as Association | null };
  return {
    m,
    options: {
      observe: (e: NetEvent) => {
        if (e.type === 'pdu' && e.direction === 'received' && e.pduType === 'P-DATA-TF') m.pdataIn++;
      },
    },
    handlers: {
      async cEcho(ctx: { association: Association; messageId: number }) {
        m.association = ctx.association;
        m.maxRunning = Math.max(m.maxRunning, ++m.running);
        m.maxQueue = Math.max(m.maxQueue, queuedMessages(ctx.association));
        m.ids.push(ctx.messageId);
        m.maxReadAhead = Math.max(m.maxReadAhead, m.pdataIn - m.ids.length);
        // Once the SCP has seen the peer pipeline (by the 17th request at the latest), it reads one request at a time.
        if (m.ids.length > 32) m.steadyReadAhead = Math.max(m.steadyReadAhead, m.pdataIn - m.ids.length);
        if (delayMs) await sleep(delayMs);
        m.running--;
        return 0;
      },
    },
  };
}

describe('S-11: parrot — 10,000 P-DATA then A-RELEASE-RQ', () => {
  /** One parrot run: `n` C-ECHO-RQ written back to back, then A-RELEASE-RQ; checks the order; resolves with its duration. */
  async function parrot(port: number, n: number, m: ReturnType<typeof echoMeter>['m']): Promise<number> {
    m.ids.length = 0;
    m.pdataIn = 0;
    m.maxReadAhead = 0;
    m.steadyReadAhead = 0;
    m.maxQueue = 0;
    const t0 = performance.now();
    const peer = await TcpPeer.connect(port);
    await associate(peer, rqFull());
    const { written } = await writeWithBackPressure(peer.socket, n, (i) => commandPdu(PC.echo, echoRq(i + 1)));
    expect(written).toBe(n);
    peer.send(REL_RQ);
    expect(await until(() => peer.history.some((p) => p.type === 0x06), 20_000), 'A-RELEASE-RP').toBe(true);
    const ms = performance.now() - t0;
    const order = peer.history.map((p) => p.type);
    expect(order.indexOf(0x06), 'the RP comes after every response').toBe(order.length - 1);
    const reader = new ResponseReader();
    for (const p of peer.history) if (p.type === 0x04) reader.push(p.bytes);
    const ids = Array.from({ length: n }, (_, i) => i + 1);
    expect(reader.messages.map((r) => r.command.MessageIDBeingRespondedTo)).toEqual(ids);
    expect(reader.messages.every((r) => r.command.Status === 0)).toBe(true);
    expect(m.ids).toEqual(ids);
    await peer.expectClosed(2000);
    peer.destroy();
    m.ids.length = 0;
    m.pdataIn = 0;
    return ms;
  }

  it('every message is answered in order, the release completes after them, reading stays one request ahead, the heap flat', async () => {
    const { m, options, handlers } = echoMeter();
    // abortLinger 2 s (default 1 s; FAST has 100 ms): the peer reads the last responses and the RP
    // on a machine this test keeps busy, and we must not reset it before it has.
    const scp = await startScp({ ...options, abortLingerMs: 2000 }, handlers);
    await parrot(scp.port, 1000, m); // warm-up: the same code paths before the baseline
    const before = await settledHeap();
    const N = 10_000;
    const ms = await parrot(scp.port, N, m);
    // Window 1: at most 16 requests queued; once the peer is seen pipelining, the next request is read only when the previous one is answered.
    expect(m.maxQueue).toBeLessThanOrEqual(16);
    expect(m.maxReadAhead).toBeLessThanOrEqual(17);
    expect(m.steadyReadAhead).toBeLessThanOrEqual(1);
    expect(await until(() => scp.server.associations.size === 0, 2000)).toBe(true);
    const after = await settledHeap();
    const growth = after.heapUsed - before.heapUsed;
    expect(growth, 'heap after GC').toBeLessThan(2 * MiB);
    note(`S-11 parrot: ${N} C-ECHO-RQ then A-RELEASE-RQ answered in order, RP last, in ${ms.toFixed(0)} ms; SCP read ahead ≤ ${m.maxReadAhead} requests (≤ ${m.steadyReadAhead} once pipelining was seen), queue ≤ ${m.maxQueue}; heap after GC ${(growth / MiB).toFixed(2)} MiB`);
    await canary(scp.port);
    record(G, 'S-11', true, ms);
  });
});

describe('D-04: duplicate Message ID within an asynchronous window', () => {
  it('a second C-FIND-RQ with the ID of one still running → 0x0210 for it; the first completes; the handler ran once', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const scp = await startScp({ asyncOps: { maxInvoked: 4, maxPerformed: 4 } }, {
      async *cFind() {
        calls++;
        await gate;
        yield { PatientName: 'DOE^J' };
      },
    });
    const peer = await TcpPeer.connect(scp.port);
    const ac = await associate(peer, rqFull({ asyncOps: { maxInvoked: 4, maxPerformed: 4 } }));
    expect(ac.length).toBeGreaterThan(0);
    const reader = new ResponseReader();
    peer.send(pdata([PC.find, 0x03, findRq(1)], [PC.find, 0x02, STUDY]));
    await until(() => calls === 1, 2000);
    peer.send(pdata([PC.find, 0x03, findRq(1)], [PC.find, 0x02, STUDY]));
    expect(await until(() => reader.drain(peer) >= 1, 2000), 'an answer to the duplicate').toBe(true);
    expect(reader.messages[0]!.command).toMatchObject({ CommandField: CommandField['C-FIND-RSP'], MessageIDBeingRespondedTo: 1, Status: 0x0210 });
    release();
    expect(await until(() => reader.drain(peer) >= 3, 2000)).toBe(true);
    expect(reader.messages.slice(1).map((r) => r.command.Status)).toEqual([0xff00, 0x0000]);
    expect(calls).toBe(1);
    // The ID is free again once the operation ended.
    peer.send(pdata([PC.find, 0x03, findRq(1)], [PC.find, 0x02, STUDY]));
    expect(await until(() => reader.drain(peer) >= 5, 2000)).toBe(true);
    expect(reader.messages.slice(3).map((r) => r.command.Status)).toEqual([0xff00, 0x0000]);
    expect(calls).toBe(2);
    peer.destroy();
    record(G, 'D-04', true);
  });
});

describe('D-07: C-CANCEL flood', () => {
  it('100,000 C-CANCEL-RQ for unknown Message IDs are ignored; remembered cancels stay capped; heap flat; C-ECHO works', async () => {
    const { m, handlers } = echoMeter();
    const scp = await startScp({}, handlers);
    await canary(scp.port);
    const before = await settledHeap();
    const N = D07_CANCELS;
    const templates = Array.from({ length: 1000 }, (_, i) =>
      commandPdu(PC.echo, command({ CommandField: CommandField['C-CANCEL-RQ'], MessageIDBeingRespondedTo: 1000 + i, CommandDataSetType: 0x0101 })),
    );
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer, rqFull());
    const t0 = performance.now();
    const { written } = await writeWithBackPressure(peer.socket, N, (i) => templates[i % templates.length]!, { batch: 1000 });
    expect(written).toBe(N);
    peer.send(commandPdu(PC.echo, echoRq(7)));
    const reader = new ResponseReader();
    expect(await until(() => reader.drain(peer) >= 1, 20_000), 'C-ECHO-RSP after the flood').toBe(true);
    const ms = performance.now() - t0;
    expect(reader.messages).toHaveLength(1);
    expect(reader.messages[0]!.command).toMatchObject({ MessageIDBeingRespondedTo: 7, Status: 0 });
    const association = m.association!;
    const cancels = (association.dimse as unknown as { cancels: Set<number> }).cancels.size;
    expect(cancels).toBeLessThanOrEqual(64);
    const during = await settledHeap();
    expect(during.heapUsed - before.heapUsed, 'heap after GC, association still open').toBeLessThan(4 * MiB);
    peer.send(REL_RQ);
    await peer.expectPdu(0x06, RELEASE_RP, 2000);
    peer.destroy();
    note(`D-07: ${N} C-CANCEL-RQ for unknown IDs ignored in ${ms.toFixed(0)} ms; ${cancels} remembered; heap after GC +${((during.heapUsed - before.heapUsed) / MiB).toFixed(2)} MiB`);
    record(G, 'D-07', true, ms);
  });
});

describe('D-08: pipelining beyond a 1/1 window', () => {
  it('100 C-ECHO-RQ sent at once are performed one at a time, answered in order; the SCP reads no further than its small queue', async () => {
    const { m, options, handlers } = echoMeter(2);
    const scp = await startScp(options, handlers);
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer, rqFull());
    peer.send(concat(...Array.from({ length: 100 }, (_, i) => commandPdu(PC.echo, echoRq(i + 1)))));
    const reader = new ResponseReader();
    expect(await until(() => reader.drain(peer) >= 100, 10_000)).toBe(true);
    expect(reader.messages.map((r) => r.command.MessageIDBeingRespondedTo)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(m.maxRunning).toBe(1);
    // All 100 were on the wire before the first answer: the SCP queued at most 16, then took one at a time.
    expect(m.maxReadAhead).toBeLessThanOrEqual(17);
    expect(m.steadyReadAhead).toBeLessThanOrEqual(1);
    expect(m.maxQueue).toBeLessThanOrEqual(16);
    peer.send(REL_RQ);
    await peer.expectPdu(0x06, RELEASE_RP, 2000);
    peer.destroy();
    note(`D-08: 100 pipelined C-ECHO-RQ on a 1/1 window: performed serially, read ahead ≤ ${m.maxReadAhead} then ≤ ${m.steadyReadAhead} (back-pressure, no A-ABORT)`);
    record(G, 'D-08', true);
  });
});

describe('D-08: input held for a running operation is bounded', () => {
  /** An SCP whose C-ECHO handler for Message ID `slowId` takes 5 s unless the association ends. */
  async function slowScp(slowId: number) {
    let signalled = 0;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const scp = await startScp({}, {
      async cEcho(ctx) {
        if (ctx.messageId !== slowId) return 0;
        started();
        await Promise.race([sleep(5000), new Promise((r) => ctx.signal.addEventListener('abort', r))]);
        signalled = performance.now();
        return 0;
      },
    });
    return { scp, running, signalled: () => signalled };
  }

  it('a peer that waits for each response: its A-ABORT during a slow handler is seen at once (after its first operation)', async () => {
    const { scp, running, signalled } = await slowScp(2);
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer, rqFull());
    peer.send(commandPdu(PC.echo, echoRq(1)));
    await peer.expectPdu(0x04, undefined, 2000);
    peer.send(commandPdu(PC.echo, echoRq(2)));
    await running;
    const t0 = performance.now();
    peer.send(ABORT_USER);
    expect(await until(() => scp.server.associations.size === 0, 3000), 'association ended').toBe(true);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(signalled() - t0).toBeLessThan(500);
    record(G, 'D-08 abort, no pipelining', true, performance.now() - t0);
  });

  it('a peer that pipelines: its A-ABORT during a slow handler (input held for it) is seen within ~1 s', async () => {
    const { scp, running, signalled } = await slowScp(3);
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer, rqFull());
    peer.send(concat(commandPdu(PC.echo, echoRq(1)), commandPdu(PC.echo, echoRq(2)), commandPdu(PC.echo, echoRq(3))));
    await running; // request 3 was queued behind 2: the SCP has seen the peer pipeline
    const t0 = performance.now();
    peer.send(concat(commandPdu(PC.echo, echoRq(4)), ABORT_USER)); // request 4 is read, then input waits
    expect(await until(() => scp.server.associations.size === 0, 3000), 'association ended').toBe(true);
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThan(500); // it was held
    expect(ms).toBeLessThan(1000 + 500);
    expect(signalled() - t0).toBeLessThan(1000 + 500);
    note(`D-08: input is held for a running operation (the first, then all once the peer pipelines) for at most 1 s: its A-ABORT during a 5 s handler ended the association in ${ms.toFixed(0)} ms (at once for a peer that waits for responses)`);
    record(G, 'D-08 abort while held', true, ms);
  });
});

describe('D-09: responses never read', () => {
  /** Over a memory pair: writes up to `max` C-ECHO-RQ and never reads; resolves with how many were written. */
  async function neverRead(scp: TestScp, handlers: ScpHandlers, max: number): Promise<{ written: number; close(): void }> {
    const [a, b] = createMemoryPair();
    void scp.ae.handle(a, handlers);
    const writer = b.writable.getWriter();
    const reader = b.readable.getReader();
    await writer.write(rqFull());
    let got = 0;
    while (got < 6) got += (await reader.read()).value?.byteLength ?? Infinity; // the AC (whole: one write)
    // Never read again.
    const echo = commandPdu(PC.echo, echoRq(1));
    let written = 0;
    while (written < max) {
      const ready = await Promise.race([writer.ready.then(() => true), sleep(500).then(() => false)]);
      if (!ready) break;
      void writer.write(echo).catch(() => undefined);
      written++;
    }
    return { written, close: () => b.abort() };
  }

  it('memory pair: an SCU writes up to 100,000 C-ECHO-RQ and never reads → the SCP stops once its writes block; heap and RSS bounded', async () => {
    const { m, handlers } = echoMeter();
    const scp = await startScp({}, handlers);
    (await neverRead(scp, handlers, 2000)).close(); // warm-up: the same code paths before the baseline
    await sleep(50);
    m.ids.length = 0;
    m.maxQueue = 0;
    const before = await settledHeap();
    const { written, close } = await neverRead(scp, handlers, 100_000);
    const performed = m.ids.length;
    await sleep(300);
    expect(m.ids.length, 'no progress while the responses are not read').toBe(performed);
    expect(written).toBeLessThan(100_000);
    // What the SCP could not answer stays in the 64 KiB pipe: it stopped reading.
    expect(written - performed).toBeGreaterThan(100);
    expect(m.maxQueue).toBeLessThanOrEqual(16);
    const after = await settledHeap();
    expect(after.heapUsed - before.heapUsed, 'heap growth after GC').toBeLessThanOrEqual(8 * MiB);
    expect(after.rss - before.rss, 'RSS growth after GC').toBeLessThanOrEqual(32 * MiB);
    note(`D-09 (memory pair): SCU wrote ${written} C-ECHO-RQ without reading and then could not write more; the SCP performed ${performed} and stopped; heap after GC +${((after.heapUsed - before.heapUsed) / MiB).toFixed(1)} MiB, RSS +${((after.rss - before.rss) / MiB).toFixed(1)} MiB`);
    close();
    record(G, 'D-09 memory', true);
  });

  it('TCP: an SCU sends up to 100,000 C-FIND-RQ (256 KiB of matches each) and never reads → the SCP stops reading; queue ≤ 16; memory bounded', async () => {
    let calls = 0;
    let association: Association | null = null;
    let pdataIn = 0;
    const match = { PatientName: 'DOE^J', ImageComments: 'x'.repeat(8000) };
    const scp = await startScp(
      { observe: (e: NetEvent) => void (e.type === 'pdu' && e.direction === 'received' && e.pduType === 'P-DATA-TF' && pdataIn++) },
      {
        async *cFind(_rq, ctx) {
          association = ctx.association;
          calls++;
          for (let i = 0; i < 32; i++) yield match;
        },
      },
    );
    await canary(scp.port);
    const before = await settledHeap();
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer, rqFull());
    peer.socket.pause(); // never read again
    const find = pdata([PC.find, 0x03, findRq(1)], [PC.find, 0x02, STUDY]);
    let maxQueue = 0;
    const sampler = setInterval(() => association && (maxQueue = Math.max(maxQueue, queuedMessages(association))), 2);
    const t0 = performance.now();
    const writing = writeWithBackPressure(peer.socket, 100_000, () => find, { batch: 100, stalledMs: 60_000 });
    let seen = -1;
    while (pdataIn !== seen && performance.now() - t0 < 10_000) {
      seen = pdataIn;
      await sleep(500);
    }
    clearInterval(sampler);
    expect(pdataIn, 'the SCP stopped reading').toBe(seen);
    expect(calls).toBeLessThan(1000);
    expect(maxQueue).toBeLessThanOrEqual(16);
    const after = await settledHeap();
    expect(after.heapUsed - before.heapUsed, 'heap growth after GC').toBeLessThanOrEqual(16 * MiB);
    expect(after.rss - before.rss, 'RSS growth after GC').toBeLessThanOrEqual(32 * MiB);
    peer.rst();
    const { written } = await writing;
    expect(written).toBeGreaterThan(pdataIn);
    note(`D-09 (TCP, C-FIND): SCU wrote ${written} C-FIND-RQ without reading; the SCP read ${pdataIn} P-DATA, started ${calls} C-FINDs, queued ≤ ${maxQueue}, then stopped reading; heap after GC +${((after.heapUsed - before.heapUsed) / MiB).toFixed(1)} MiB, RSS +${((after.rss - before.rss) / MiB).toFixed(1)} MiB`);
    expect(await until(() => scp.server.associations.size === 0, 3000), 'association ends on reset').toBe(true);
    await canary(scp.port);
    record(G, 'D-09 TCP', true);
  });
});

describe('C-09: back-pressure from a slow storage handler', () => {
  it('a peer sending 32 MiB as fast as it can to a handler reading 10 MB/s is paced by the socket; memory stays bounded', async () => {
    const RATE = 10e6;
    const TOTAL = 32 * MiB;
    let received = 0;
    let readingSince = 0;
    const scp = await startScp({}, {
      async cStore(request) {
        readingSince = performance.now();
        for await (const chunk of request.data as unknown as AsyncIterable<Uint8Array>) {
          received += chunk.byteLength;
          const due = readingSince + (received / RATE) * 1000;
          const wait = due - performance.now();
          if (wait > 1) await sleep(wait);
        }
        return 0;
      },
    });
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer, rqFull());
    const fragment = new Uint8Array(16_000);
    const count = Math.ceil(TOTAL / fragment.length);
    // The same two PDUs written again and again: the sender itself allocates nothing per fragment.
    const middle = pdata([PC.ct, 0x00, fragment]);
    const last = pdata([PC.ct, 0x02, fragment]);
    const rssBefore = process.memoryUsage().rss;
    let sentMs = 0;
    const t0 = performance.now();
    const { peakBytes } = await peakRetained(async () => {
      peer.send(pdata([PC.ct, 0x03, storeRq(1)]));
      const sending = writeWithBackPressure(peer.socket, count, (i) => (i === count - 1 ? last : middle), { batch: 1 }).then((r) => {
        sentMs = performance.now() - t0;
        return r;
      });
      expect((await sending).written).toBe(count);
      await peer.expectPdu(0x04, undefined, 10_000);
    });
    const totalMs = performance.now() - t0;
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(received).toBe(count * fragment.length);
    // Without back-pressure the whole instance would be in memory within ~100 ms.
    expect(peakBytes, 'external memory growth (after GC, sampled)').toBeLessThan(16 * MiB);
    expect(rssGrowth, 'RSS growth').toBeLessThan(64 * MiB);
    const floorMs = ((TOTAL - 16 * MiB) / RATE) * 1000;
    expect(sentMs, 'the sender was paced by the reader').toBeGreaterThan(floorMs);
    note(`C-09: ${(TOTAL / MiB).toFixed(0)} MiB to a 10 MB/s handler: sender paced to ${(TOTAL / MiB / (sentMs / 1000)).toFixed(1)} MiB/s, done in ${totalMs.toFixed(0)} ms; peak buffers +${(peakBytes / MiB).toFixed(1)} MiB, RSS +${(rssGrowth / MiB).toFixed(1)} MiB`);
    peer.destroy();
    record(G, 'C-09', true, totalMs);
  });
});
