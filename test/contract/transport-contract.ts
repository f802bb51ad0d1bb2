/**
 * The transport contract (libp2p interface-compliance-tests style): every adapter
 * (memory, TCP, TLS, WebSocket via proxy) runs these same cases against src/transport.ts.
 *
 * Usage, inside a test file:
 *   transportContract('memory', async () => createMemoryPair());
 *
 * Notes for adapter authors:
 * - `abort()` must reach the peer as an error (TCP: send RST, e.g. `socket.resetAndDestroy()`),
 *   not as a clean end-of-stream.
 * - Errors are matched by `name === 'TransportError'`, so a copy of the class from another
 *   bundle still passes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Transport } from '../../src/transport';

/** Options for {@link transportContract}. */
export interface TransportContractOptions {
  /** Give up on back-pressure if this many bytes were accepted without `ready` blocking. Default 64 MiB. */
  readonly maxBufferedBytes?: number;
  /** How long `writer.ready` must stay pending to count as blocked. Default 50 ms. */
  readonly settleMs?: number;
}

/** Defines the contract cases for transports made by `setup()` (first = dialer, second = acceptor). */
export function transportContract(
  name: string,
  setup: () => Promise<[Transport, Transport]>,
  options: TransportContractOptions = {},
): void {
  const maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024 * 1024;
  const settleMs = options.settleMs ?? 50;

  describe(`transport contract: ${name}`, () => {
    let opened: Transport[] = [];
    const open = async (): Promise<[Transport, Transport]> => {
      const pair = await setup();
      opened.push(...pair);
      return pair;
    };
    afterEach(() => {
      for (const t of opened) t.abort();
      opened = [];
    });

    it('delivers a small write in both directions', async () => {
      const [a, b] = await open();
      const wa = a.writable.getWriter();
      const wb = b.writable.getWriter();
      await wa.write(new Uint8Array([1, 2, 3]));
      expect(await readExactly(b.readable.getReader(), 3)).toEqual(new Uint8Array([1, 2, 3]));
      await wb.write(new Uint8Array([4, 5]));
      expect(await readExactly(a.readable.getReader(), 2)).toEqual(new Uint8Array([4, 5]));
    });

    it('delivers one 10 MB write byte-identical', async () => {
      const [a, b] = await open();
      const data = pattern(10 * 1024 * 1024, 7);
      const received = readExactly(b.readable.getReader(), data.byteLength);
      await a.writable.getWriter().write(data);
      expectSameBytes(await received, data);
    });

    it('delivers 1000 small writes in order', async () => {
      const [a, b] = await open();
      const writer = a.writable.getWriter();
      const received = readExactly(b.readable.getReader(), 4000);
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 1000; i++) {
        const chunk = new Uint8Array(4);
        new DataView(chunk.buffer).setUint32(0, i);
        await writer.ready;
        writes.push(writer.write(chunk));
      }
      await Promise.all(writes);
      const view = new DataView((await received).buffer);
      for (let i = 0; i < 1000; i++) expect(view.getUint32(i * 4)).toBe(i);
    });

    it('close() flushes, then the peer reads end-of-stream and both sides settle', async () => {
      const [a, b] = await open();
      // The writer stays locked, as the upper layer keeps it.
      await a.writable.getWriter().write(new TextEncoder().encode('hello'));
      const closing = a.close();
      const { bytes, done } = await readToEnd(b.readable.getReader());
      expect(new TextDecoder().decode(bytes)).toBe('hello');
      expect(done).toBe(true);
      await closing;
      await b.close();
      await expect(withTimeout(a.closed, 2000, 'a.closed')).resolves.toBeUndefined();
      await expect(withTimeout(b.closed, 2000, 'b.closed')).resolves.toBeUndefined();
    });

    it('abort() errors the peer with a TransportError and settles closed', async () => {
      const [a, b] = await open();
      const reader = b.readable.getReader();
      await a.writable.getWriter().write(new Uint8Array([9]));
      expect(await readExactly(reader, 1)).toEqual(new Uint8Array([9]));
      const pendingRead = reader.read();
      a.abort(new Error('test abort'));
      await expect(withTimeout(pendingRead, 2000, 'peer read')).rejects.toMatchObject({ name: 'TransportError' });
      await expect(withTimeout(b.closed, 2000, 'b.closed')).rejects.toMatchObject({ name: 'TransportError' });
      await withTimeout(
        a.closed.catch(() => undefined),
        2000,
        'a.closed',
      );
    });

    it('back-pressure: writer.ready stays pending while the peer does not read', async () => {
      const [a, b] = await open();
      const writer = a.writable.getWriter();
      const chunk = pattern(16 * 1024, 3);
      let accepted = 0;
      while (!(await isPending(writer.ready, settleMs))) {
        if (accepted > maxBufferedBytes) throw new Error(`no back-pressure after ${accepted} bytes`);
        writer.write(chunk).catch(() => undefined); // settled by teardown's abort
        accepted += chunk.byteLength;
      }
      // Still blocked a while later: nobody has read anything.
      expect(await isPending(writer.ready, settleMs * 2)).toBe(true);
      const reader = b.readable.getReader();
      const drained = readExactly(reader, accepted);
      await withTimeout(writer.ready, 5000, 'writer.ready after reading');
      expect((await drained).byteLength).toBe(accepted);
    });
  });
}

/** Reads exactly `n` bytes (throws if the stream ends first). Keeps the reader locked. */
export async function readExactly(reader: ReadableStreamDefaultReader<Uint8Array>, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let at = 0;
  while (at < n) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended after ${at} of ${n} bytes`);
    if (value.byteLength > n - at) throw new Error(`read past the expected ${n} bytes`);
    out.set(value, at);
    at += value.byteLength;
  }
  return out;
}

/** Reads until end-of-stream. */
export async function readToEnd(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<{ bytes: Uint8Array; done: boolean }> {
  const parts: Uint8Array[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  return { bytes, done: true };
}

/** Deterministic, non-repeating-looking bytes (an LCG), so misordered chunks are caught. */
export function pattern(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.byteLength).toBe(expected.byteLength);
  for (let i = 0; i < expected.byteLength; i++) {
    if (actual[i] !== expected[i]) throw new Error(`first difference at byte ${i}`);
  }
}

async function isPending(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), ms)));
  const result = await Promise.race([promise.then(() => false), timeout]);
  clearTimeout(timer);
  return result;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
