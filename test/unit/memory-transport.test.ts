import { describe, expect, it } from 'vitest';
import { createMemoryListener, createMemoryPair } from '../../adapters/memory';
import type { Transport } from '../../src/transport';
import { pattern, readExactly, readToEnd, transportContract } from '../contract/transport-contract';

transportContract('memory', async () => createMemoryPair());
transportContract('memory, chunked 1..1500', async () => createMemoryPair({ chunking: { min: 1, max: 1500, seed: 9 } }));
transportContract('memory, merged writes + 2 ms latency', async () =>
  createMemoryPair({ mergeWrites: true, latencyMs: 2, highWaterMark: 4096 }),
);

/** Chunk sizes a reader sees for the given writes. */
async function chunkSizes(t: [Transport, Transport], writes: Uint8Array[]): Promise<number[]> {
  const [a, b] = t;
  const writer = a.writable.getWriter();
  for (const w of writes) void writer.write(w);
  await writer.close();
  const reader = b.readable.getReader();
  const sizes: number[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return sizes;
    sizes.push(value.byteLength);
  }
}

describe('createMemoryPair knobs', () => {
  it('chunking is deterministic for a seed and stays within [min, max]', async () => {
    const data = [pattern(5000, 1)];
    const first = await chunkSizes(createMemoryPair({ chunking: { min: 3, max: 40, seed: 5 } }), data);
    const again = await chunkSizes(createMemoryPair({ chunking: { min: 3, max: 40, seed: 5 } }), data);
    const other = await chunkSizes(createMemoryPair({ chunking: { min: 3, max: 40, seed: 6 } }), data);
    expect(first).toEqual(again);
    expect(first).not.toEqual(other);
    expect(first.reduce((n, s) => n + s, 0)).toBe(5000);
    expect(first.slice(0, -1).every((s) => s >= 3 && s <= 40)).toBe(true);
  });

  it('without knobs each write is one chunk; mergeWrites coalesces a tick of writes', async () => {
    const writes = [new Uint8Array(10), new Uint8Array(20), new Uint8Array(30)];
    expect(await chunkSizes(createMemoryPair(), writes)).toEqual([10, 20, 30]);
    expect(await chunkSizes(createMemoryPair({ mergeWrites: true }), writes)).toEqual([60]);
  });

  it('copies written bytes, so the writer may reuse its buffer', async () => {
    const [a, b] = createMemoryPair();
    const buf = new Uint8Array([1, 2, 3]);
    const writer = a.writable.getWriter();
    await writer.write(buf);
    buf.fill(0);
    expect(await readExactly(b.readable.getReader(), 3)).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('latencyMs delays delivery', async () => {
    const [a, b] = createMemoryPair({ latencyMs: 30 });
    const start = Date.now();
    await a.writable.getWriter().write(new Uint8Array([1]));
    await readExactly(b.readable.getReader(), 1);
    expect(Date.now() - start).toBeGreaterThanOrEqual(25);
  });

  it('rejects non-byte chunks with a TypeError', async () => {
    const [a] = createMemoryPair();
    await expect(a.writable.getWriter().write('text' as unknown as Uint8Array)).rejects.toBeInstanceOf(TypeError);
  });

  it('writer.close() half-closes; the peer auto-ends so both closed resolve', async () => {
    const [a, b] = createMemoryPair();
    await a.writable.getWriter().close();
    expect(await b.readable.getReader().read()).toEqual({ done: true, value: undefined });
    await expect(a.closed).resolves.toBeUndefined();
    await expect(b.closed).resolves.toBeUndefined();
  });

  it('allowHalfOpen keeps the other direction open until it ends too', async () => {
    const [a, b] = createMemoryPair({ allowHalfOpen: true });
    await a.writable.getWriter().close();
    const bw = b.writable.getWriter();
    await bw.write(new Uint8Array([7]));
    expect(await readExactly(a.readable.getReader(), 1)).toEqual(new Uint8Array([7]));
    await bw.close();
    await expect(a.closed).resolves.toBeUndefined();
    await expect(b.closed).resolves.toBeUndefined();
  });

  it('writes after the peer closed fail with a TransportError', async () => {
    const [a, b] = createMemoryPair();
    await a.close();
    await expect(b.writable.getWriter().write(new Uint8Array([1]))).rejects.toMatchObject({ name: 'TransportError' });
  });

  it('abort() resolves our closed and rejects the peer write side', async () => {
    const [a, b] = createMemoryPair();
    const bw = b.writable.getWriter();
    a.abort();
    await expect(a.closed).resolves.toBeUndefined();
    await expect(bw.write(new Uint8Array([1]))).rejects.toMatchObject({ name: 'TransportError' });
    await expect(a.writable.getWriter().write(new Uint8Array([1]))).rejects.toMatchObject({ name: 'TransportError' });
  });

  it("cutAfterBytes 'reset' delivers exactly N bytes, then both sides error", async () => {
    const [a, b] = createMemoryPair({ cutAfterBytes: { bytes: 10 } });
    const writer = a.writable.getWriter();
    await writer.write(pattern(25, 2));
    const reader = b.readable.getReader();
    expect(await readExactly(reader, 10)).toEqual(pattern(25, 2).subarray(0, 10));
    await expect(reader.read()).rejects.toMatchObject({ name: 'TransportError' });
    await expect(a.closed).rejects.toMatchObject({ name: 'TransportError' });
    await expect(b.closed).rejects.toMatchObject({ name: 'TransportError' });
  });

  it("cutAfterBytes 'close' from side 1 ends the stream cleanly after N bytes", async () => {
    const [a, b] = createMemoryPair({ cutAfterBytes: { bytes: 5, from: 1, mode: 'close' } });
    await b.writable.getWriter().write(pattern(12, 3));
    const { bytes } = await readToEnd(a.readable.getReader());
    expect(bytes).toEqual(pattern(12, 3).subarray(0, 5));
    await expect(a.closed).resolves.toBeUndefined();
  });

  it('highWaterMark bounds what a non-reading peer buffers', async () => {
    const [a, b] = createMemoryPair({ highWaterMark: 1000 });
    const writer = a.writable.getWriter();
    let accepted = 0;
    for (let i = 0; i < 100; i++) {
      const ready = await Promise.race([writer.ready.then(() => true), new Promise((r) => setTimeout(r, 10, false))]);
      if (!ready) break;
      writer.write(new Uint8Array(300)).catch(() => undefined);
      accepted += 300;
    }
    // One write in flight beyond the mark: 4 writes reach 1200 >= 1000.
    expect(accepted).toBe(1200);
    await readExactly(b.readable.getReader(), 300);
    await writer.ready;
    a.abort();
  });

  it('reports info for each side', () => {
    const [a, b] = createMemoryPair({ names: ['scu', 'scp'], secure: true });
    expect(a.info).toEqual({ local: 'scu', remote: 'scp', secure: true });
    expect(b.info).toEqual({ local: 'scp', remote: 'scu', secure: true });
  });
});

describe('createMemoryListener', () => {
  it('hands the accepting end of each connect() to the iteration', async () => {
    const { listener, connect } = createMemoryListener({ address: 'memory:scp' });
    const accepted: Transport[] = [];
    const loop = (async () => {
      for await (const t of listener) accepted.push(t);
    })();
    const c1 = connect();
    const c2 = connect();
    await c1.writable.getWriter().write(new Uint8Array([1]));
    await new Promise((r) => setTimeout(r, 0));
    expect(accepted).toHaveLength(2);
    expect(await readExactly(accepted[0]!.readable.getReader(), 1)).toEqual(new Uint8Array([1]));
    expect(accepted[1]!.info.local).toBe('memory:scp');
    expect(c2.info.remote).toBe('memory:scp');
    await listener.close();
    await loop;
    expect(() => connect()).toThrow(/refused/);
  });

  it('refuses connections still pending when the listener closes', async () => {
    const { listener, connect } = createMemoryListener();
    const c = connect();
    await listener.close();
    await expect(c.closed).rejects.toMatchObject({ name: 'TransportError' });
  });
});
