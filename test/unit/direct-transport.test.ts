/**
 * The transport fast path (Transport.direct, src/ul/wire.ts): the Node socket's direct interface
 * over real loopback sockets (vectored writes in order, write back-pressure through drained(),
 * read back-pressure through pause/resume, end and reset reported to the sink), and the upper
 * layer's DirectWire over a scripted DirectTransport (one chunk handled at a time, input queued
 * while a handler waits, the peer's end reported only after the chunks before it).
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectTcp, listenTcp } from '../../adapters/node/index';
import type { ByteSink, DirectTransport, Transport } from '../../src/transport';
import { systemClock } from '../../src/ul/artim';
import { wireFor } from '../../src/ul/wire';

/** A raw server socket and a netdicom transport connected to it. */
async function rawPeer(): Promise<{ raw: net.Socket; transport: Transport; close(): void }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const transport = await connectTcp({ host: '127.0.0.1', port });
  const raw = await accepted;
  return { raw, transport, close: () => (raw.destroy(), server.close(), transport.abort()) };
}

function collect(raw: net.Socket): { bytes(): Uint8Array } {
  const chunks: Buffer[] = [];
  raw.on('data', (c: Buffer) => chunks.push(c));
  return { bytes: () => new Uint8Array(Buffer.concat(chunks)) };
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('socket transport: direct interface', () => {
  it('is offered by TCP transports, both sides', async () => {
    const l = await listenTcp({ host: '127.0.0.1' });
    const it = l[Symbol.asyncIterator]();
    const [client, accepted] = await Promise.all([connectTcp({ host: '127.0.0.1', port: l.port }), it.next()]);
    expect(client.direct).toBeDefined();
    expect((accepted.value as Transport).direct).toBeDefined();
    client.abort();
    (accepted.value as Transport).abort();
    await l.close();
  });

  it('sends the parts of several writes back to back, in order, without copying them first', async () => {
    const { raw, transport, close } = await rawPeer();
    const got = collect(raw);
    const direct = transport.direct!;
    const big = new Uint8Array(300_000).map((_, i) => i % 251);
    direct.write([Uint8Array.of(1, 2), big.subarray(0, 100_000)]);
    direct.write([big.subarray(100_000), Uint8Array.of(3)]);
    await until(() => got.bytes().length === 300_003);
    const bytes = got.bytes();
    expect([...bytes.subarray(0, 2)]).toEqual([1, 2]);
    expect(Buffer.compare(bytes.subarray(2, 300_002), big)).toBe(0);
    expect(bytes[300_002]).toBe(3);
    close();
  });

  it('drained() is undefined below the high-water mark and waits while a peer that does not read holds more', async () => {
    const { raw, transport, close } = await rawPeer();
    raw.pause(); // the peer stops reading: the kernel buffers fill, then ours
    const direct = transport.direct!;
    expect(direct.drained()).toBeUndefined();
    let wait: Promise<void> | undefined;
    for (let i = 0; i < 400 && !wait; i++) {
      direct.write([new Uint8Array(256 * 1024)]);
      await new Promise((r) => setImmediate(r)); // let the corked batch go out
      wait = direct.drained();
    }
    expect(wait, 'back-pressure reached within 100 MiB').toBeDefined();
    let drained = false;
    void wait!.then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(drained).toBe(false);
    raw.on('data', () => {});
    raw.resume();
    await until(() => drained);
    close();
  });

  it('flushed() is undefined once everything written is with the kernel, and waits while the socket still queues some', async () => {
    const { raw, transport, close } = await rawPeer();
    raw.pause();
    const direct = transport.direct!;
    expect(direct.flushed!()).toBeUndefined();
    let wait: Promise<void> | undefined;
    for (let i = 0; i < 400 && !wait; i++) {
      direct.write([new Uint8Array(256 * 1024)]);
      await new Promise((r) => setImmediate(r));
      wait = direct.flushed!();
    }
    expect(wait, 'a write queued in the socket within 100 MiB').toBeDefined();
    let flushed = false;
    void wait!.then(() => (flushed = true));
    direct.write([new Uint8Array(1024)]); // written after the wait began: not waited for
    await new Promise((r) => setTimeout(r, 50));
    expect(flushed).toBe(false);
    raw.on('data', () => {});
    raw.resume();
    await until(() => flushed);
    await until(() => direct.flushed!() === undefined);
    close();
  });

  it('flushed() waiters are released when the connection fails', async () => {
    const { raw, transport, close } = await rawPeer();
    raw.pause();
    const direct = transport.direct!;
    let wait: Promise<void> | undefined;
    for (let i = 0; i < 400 && !wait; i++) {
      direct.write([new Uint8Array(256 * 1024)]);
      await new Promise((r) => setImmediate(r));
      wait = direct.flushed!();
    }
    expect(wait).toBeDefined();
    transport.direct!.receive({ data: () => {}, end: () => {}, error: () => {} });
    raw.destroy(); // reset: nothing more will be written
    await wait;
    expect(direct.flushed!()).toBeUndefined();
    close();
  });

  it('pushes input to the sink, pauses and resumes reading, and reports the peer end after the last data', async () => {
    const { raw, transport, close } = await rawPeer();
    const events: string[] = [];
    let received = 0;
    transport.direct!.receive({
      data: (chunk) => {
        received += chunk.byteLength;
        events.push('data');
      },
      end: () => events.push('end'),
      error: () => events.push('error'),
    });
    transport.direct!.pause();
    raw.write(new Uint8Array(1000));
    await new Promise((r) => setTimeout(r, 50));
    expect(received, 'nothing delivered while paused').toBe(0);
    transport.direct!.resume();
    raw.end(new Uint8Array(24));
    await until(() => events.includes('end'));
    expect(received).toBe(1024);
    expect(events.at(-1)).toBe('end');
    expect(events).not.toContain('error');
    close();
  });

  it('input and the end that came before the consumer chose a path are delivered to it, in order', async () => {
    for (const path of ['direct', 'streams'] as const) {
      const { raw, transport, close } = await rawPeer();
      raw.end(Uint8Array.of(1, 2, 3)); // arrives (with FIN) before anyone reads
      await new Promise((r) => setTimeout(r, 100));
      const got: number[] = [];
      if (path === 'direct') {
        let ended = false;
        transport.direct!.receive({ data: (c) => got.push(...c), end: () => (ended = true), error: () => {} });
        expect(ended, path).toBe(true);
      } else {
        const reader = transport.readable.getReader();
        for (let r = await reader.read(); !r.done; r = await reader.read()) got.push(...r.value);
      }
      expect(got, path).toEqual([1, 2, 3]);
      close();
    }
  });

  it('reports a reset to the sink as an error', async () => {
    const { raw, transport, close } = await rawPeer();
    const events: string[] = [];
    transport.direct!.receive({ data: () => {}, end: () => events.push('end'), error: () => events.push('error') });
    raw.resetAndDestroy();
    await until(() => events.length > 0);
    expect(events).toEqual(['error']);
    close();
  });
});

/** A DirectTransport whose input the test pushes by hand; records pause/resume. */
function scriptedDirect(): { transport: Transport; sink(): ByteSink; log: string[]; written: Uint8Array[][] } {
  let sink: ByteSink | null = null;
  const log: string[] = [];
  const written: Uint8Array[][] = [];
  const direct: DirectTransport = {
    write: (chunks) => void written.push([...chunks]),
    drained: () => undefined,
    receive: (s) => void (sink = s),
    pause: () => void log.push('pause'),
    resume: () => void log.push('resume'),
  };
  const transport = {
    readable: new ReadableStream(),
    writable: new WritableStream(),
    closed: Promise.resolve(),
    info: { secure: false },
    close: async () => {},
    abort: () => {},
    direct,
  } as Transport;
  return { transport, sink: () => sink!, log, written };
}

describe('DirectWire (upper layer over Transport.direct)', () => {
  it('handles one chunk at a time: while a handler waits, reading pauses and later input queues in order', async () => {
    const s = scriptedDirect();
    const wire = wireFor(s.transport);
    const handled: number[] = [];
    let release!: () => void;
    const lost: Array<unknown> = [];
    wire.startReading({
      chunk: (bytes) => {
        handled.push(bytes[0]!);
        if (bytes[0] === 1) return new Promise<void>((r) => (release = r));
      },
      lost: (cause) => lost.push(cause ?? 'end'),
      failed: (error) => lost.push(error),
    });
    s.sink().data(Uint8Array.of(1));
    s.sink().data(Uint8Array.of(2));
    s.sink().data(Uint8Array.of(3));
    s.sink().end();
    expect(handled).toEqual([1]);
    expect(s.log).toEqual(['pause']);
    expect(lost, 'the end waits for the chunks before it').toEqual([]);
    release();
    await until(() => lost.length > 0);
    expect(handled).toEqual([1, 2, 3]);
    expect(s.log).toEqual(['pause', 'resume']);
    expect(lost).toEqual(['end']);
  });

  it('reports a reset at once, even while a handler waits', async () => {
    const s = scriptedDirect();
    const wire = wireFor(s.transport);
    const lost: unknown[] = [];
    wire.startReading({ chunk: () => new Promise<void>(() => {}), lost: (cause) => lost.push(cause), failed: () => {} });
    s.sink().data(Uint8Array.of(1));
    s.sink().error(new Error('reset'));
    expect(lost).toHaveLength(1);
    expect((lost[0] as Error).message).toBe('reset');
  });

  it('a throwing handler is reported as a failure, not thrown into the transport', () => {
    const s = scriptedDirect();
    const failures: unknown[] = [];
    wireFor(s.transport).startReading({
      chunk: () => {
        throw new Error('bug');
      },
      lost: () => {},
      failed: (error) => failures.push(error),
    });
    expect(() => s.sink().data(Uint8Array.of(1))).not.toThrow();
    expect((failures[0] as Error).message).toBe('bug');
  });

  it('writes a PDU given as parts as one direct write, and closes through the transport', async () => {
    const s = scriptedDirect();
    let closed = false;
    s.transport.close = async () => void (closed = true);
    const wire = wireFor(s.transport);
    wire.write([Uint8Array.of(4, 0), Uint8Array.of(9)]);
    wire.write(Uint8Array.of(5));
    expect(s.written.map((w) => w.map((c) => [...c]))).toEqual([[[4, 0], [9]], [[5]]]);
    expect(wire.ready()).toBeUndefined();
    await wire.close(true, { stepTimeoutMs: 1000, clock: systemClock });
    expect(closed).toBe(true);
  });
});
