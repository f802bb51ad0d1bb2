/**
 * Prompt reclaim of socket buffers (adapters/node/reclaim.ts): the counter collects once per
 * interval, the process-wide instance is fed by the new buffers socket reads and file reads need, the
 * collector is V8's young-generation gc, and setSocketReclaim validates and turns it off.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectTcp, listenTcp, setSocketReclaim, DEFAULT_RECLAIM_BYTES } from '../../adapters/node/index';
import { storescpMain } from '../../adapters/cli/storescp';
import { RECEIVER_RECLAIM_BYTES, Reclaimer, socketReclaimer, youngGenerationCollector } from '../../adapters/node/reclaim';
import { lendFileBuffer, recycleFileBuffer } from '../../adapters/node/file-buffers';
import { lentReadStats } from '../../adapters/node/lent-reads';

const MiB = 1024 * 1024;

describe('Reclaimer', () => {
  it('collects once per interval of noted bytes, carrying nothing over', () => {
    const collect = vi.fn();
    const r = new Reclaimer(4 * MiB, () => collect);
    r.note(3 * MiB);
    expect(collect).not.toHaveBeenCalled();
    r.note(MiB); // reaches 4 MiB
    expect(collect).toHaveBeenCalledTimes(1);
    r.note(3 * MiB);
    expect(collect).toHaveBeenCalledTimes(1);
    r.note(2 * MiB);
    expect(collect).toHaveBeenCalledTimes(2);
  });

  it('an interval of 0 never collects; a bad interval is refused', () => {
    const collect = vi.fn();
    const r = new Reclaimer(MiB, () => collect);
    r.setInterval(0);
    for (let i = 0; i < 10; i++) r.note(MiB);
    expect(collect).not.toHaveBeenCalled();
    expect(() => r.setInterval(-1)).toThrow(RangeError);
    expect(() => r.setInterval(Number.NaN)).toThrow(RangeError);
  });

  it('stops counting when the runtime has no collector', () => {
    const find = vi.fn(() => null);
    const r = new Reclaimer(MiB, find);
    r.note(2 * MiB);
    r.note(2 * MiB);
    expect(find).toHaveBeenCalledTimes(1);
  });
});

describe('youngGenerationCollector', () => {
  it("is V8's gc, usable without --expose-gc, and frees dead buffers", async () => {
    const collect = youngGenerationCollector();
    expect(collect).toBeTypeOf('function');
    expect(youngGenerationCollector()).toBe(collect); // found once
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 256; i++) new Uint8Array(64 * 1024).fill(i); // 16 MiB of garbage
    const piled = process.memoryUsage().arrayBuffers;
    collect!();
    expect(piled - before).toBeGreaterThan(8 * MiB);
    // V8 may sweep the freed buffers on a background thread: allow it a moment.
    const deadline = Date.now() + 2000;
    while (process.memoryUsage().arrayBuffers - before >= 4 * MiB && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * MiB);
  });
});

describe('new socket read buffers and file buffers feed the process-wide reclaimer', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    setSocketReclaim(DEFAULT_RECLAIM_BYTES);
  });

  async function pair() {
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
    const accepted = listener[Symbol.asyncIterator]().next();
    const client = await connectTcp({ host: '127.0.0.1', port: listener.port });
    const server = (await accepted).value!;
    return { listener, client, server };
  }

  /** Sends `total` bytes through the direct path and waits until the other side has them all. */
  async function send(from: Awaited<ReturnType<typeof pair>>['client'], to: typeof from, total: number) {
    let got = 0;
    const done = new Promise<void>((resolve) =>
      to.direct!.receive({ data: (c) => { got += c.byteLength; if (got >= total) resolve(); }, end: () => {}, error: () => {} }),
    );
    const chunk = new Uint8Array(MiB);
    for (let sent = 0; sent < total; sent += MiB) {
      from.direct!.write([chunk]);
      await from.direct!.drained();
    }
    await done;
  }

  it('counts the new buffers reads need, not bytes written (the caller\'s memory), and collects every interval', async () => {
    const note = vi.spyOn(socketReclaimer, 'note');
    const before = { ...lentReadStats };
    const { listener, client, server } = await pair();
    const collect = vi.spyOn(socketReclaimer as unknown as { collect: () => unknown }, 'collect');
    try {
      await send(client, server, 16 * MiB);
      const noted = note.mock.calls.reduce((n, [b]) => n + b, 0);
      // The server never hands its read buffers back, so each read is new memory: a whole buffer
      // for a lent read, its own bytes for one copied out; at least the 16 MiB received, at most 8
      // times them (a read is lent only when it fills more than an eighth of its buffer). The 16 MiB
      // written are the caller's own memory: not counted.
      expect(noted).toBe(lentReadStats.madeBytes - before.madeBytes + (lentReadStats.copied - before.copied));
      expect(noted).toBeGreaterThanOrEqual(16 * MiB);
      expect(noted).toBeLessThanOrEqual(8 * 16 * MiB);
      // One collection per DEFAULT_RECLAIM_BYTES (less what the counter held before this test).
      expect(collect.mock.calls.length).toBeGreaterThanOrEqual(16 * MiB / DEFAULT_RECLAIM_BYTES - 1);
    } finally {
      client.abort();
      server.abort();
      await listener.close();
    }
  });

  it('counts a file buffer when it is new memory, not when it is reused', () => {
    const note = vi.spyOn(socketReclaimer, 'note');
    const size = 3 * MiB + 1; // larger than any spare: new memory, rounded up to 64 KiB
    const first = lendFileBuffer(size);
    expect(note.mock.calls.reduce((n, [b]) => n + b, 0)).toBe(3 * MiB + 64 * 1024);
    recycleFileBuffer(first.subarray(100, 200)); // any view of it
    const again = lendFileBuffer(size);
    expect(again.buffer).toBe(first.buffer);
    expect(note.mock.calls.reduce((n, [b]) => n + b, 0)).toBe(3 * MiB + 64 * 1024);
    recycleFileBuffer(again);
  });

  it('setSocketReclaim(0) turns collections off', async () => {
    setSocketReclaim(0);
    const { listener, client, server } = await pair();
    const spy = vi.spyOn(socketReclaimer as unknown as { collect: () => unknown }, 'collect');
    try {
      await send(client, server, 8 * MiB);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      client.abort();
      server.abort();
      await listener.close();
    }
  });
});

describe('storescp, a receive-only process', () => {
  afterEach(() => setSocketReclaim(DEFAULT_RECLAIM_BYTES));

  it('collects every RECEIVER_RECLAIM_BYTES of socket traffic instead of the default', async () => {
    const setInterval = vi.spyOn(socketReclaimer, 'setInterval');
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await storescpMain(['70000', '--ignore'])).toBe(2); // a bad port (a usage error): stops after the setting
    expect(setInterval).toHaveBeenCalledWith(RECEIVER_RECLAIM_BYTES);
    expect(RECEIVER_RECLAIM_BYTES).toBeLessThan(DEFAULT_RECLAIM_BYTES);
    error.mockRestore();
  });
});

