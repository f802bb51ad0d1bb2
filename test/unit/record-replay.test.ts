/**
 * Record/replay: a session recorded on the SCU's transport, saved as JSON, replayed as a scripted
 * SCP against a fresh SCU and as a scripted SCU against a live SCP.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import { TimeoutError } from '../../src/errors';
import { recordTransport, replayTransport, ReplayTimeoutError, type Trace } from '../../src/record';

const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';

const scu = () => new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION).addRequestedContext(CT, [EXPLICIT]);
const data = new Uint8Array(40000).map((_, i) => i & 0xff);

async function session(transport: import('../../src/transport').Transport) {
  const assoc = await scu().associate(transport, { calledAeTitle: 'SCP' });
  const echo = await assoc.cEcho();
  const store = await assoc.cStore({ sopClassUid: CT, sopInstanceUid: '1.2.3.4', transferSyntaxUid: EXPLICIT, data });
  await assoc.release();
  return [echo.status, store.status];
}

async function record(): Promise<Trace> {
  const [a, b] = createMemoryPair({ chunking: { min: 1, max: 5000, seed: 7 } });
  void new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(VERIFICATION).addSupportedContext(CT, [EXPLICIT]).handle(b, {
    cStore: async (req) => ((await req.bytes()).length === data.length ? 0xb007 : 0xa700),
  });
  const rec = recordTransport(a);
  expect(await session(rec.transport)).toEqual([0, 0xb007]);
  await rec.transport.closed.catch(() => undefined);
  return JSON.parse(JSON.stringify(rec.trace())) as Trace;
}

describe('record/replay', () => {
  it('records every PDU both ways, with timing', async () => {
    const trace = await record();
    const types = trace.entries.map((e) => `${e.dir}:${e.type}`);
    expect(types[0]).toBe('sent:1');
    expect(types[1]).toBe('received:2');
    expect(types.at(-2)).toBe('sent:5');
    expect(types.at(-1)).toBe('received:6');
    expect(trace.entries.filter((e) => e.type === 4).length).toBeGreaterThanOrEqual(4);
    expect(trace.entries.every((e, i) => i === 0 || e.t >= trace.entries[i - 1]!.t)).toBe(true);
  });

  it('replays the recorded SCP against a fresh SCU: same answers, no mismatches', async () => {
    const trace = await record();
    const replay = replayTransport(trace, { play: 'received' });
    expect(await session(replay.transport)).toEqual([0, 0xb007]);
    const result = await replay.done;
    expect(result.mismatches).toEqual([]);
    expect(result.received).toEqual(trace.entries.filter((e) => e.dir === 'sent').map((e) => e.hex));
  });

  it('replays the recorded SCU against a live SCP, which serves it', async () => {
    const trace = await record();
    const replay = replayTransport(trace, { play: 'sent' });
    const stored: number[] = [];
    const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(VERIFICATION).addSupportedContext(CT, [EXPLICIT]);
    const served = scp.handle(replay.transport, { cStore: async (req) => (stored.push((await req.bytes()).length), 0xb007) });
    const result = await replay.done;
    expect((await served).reason).toBe('released');
    expect(stored).toEqual([data.length]);
    expect(result.mismatches).toEqual([]);
  });

  it('reports where a live side departs from the recording', async () => {
    const trace = await record();
    const replay = replayTransport(trace, { play: 'received' });
    const assoc = await scu().associate(replay.transport, { calledAeTitle: 'SCP' });
    await assoc.abort();
    const result = await replay.done;
    expect(result.mismatches[0]).toMatch(/PDU 2: expected type 0x04, got 0x07/);
  });

  it('a live side that never starts: done rejects with a ReplayTimeoutError after timeoutMs and the transport fails', async () => {
    const trace = await record();
    const replay = replayTransport(trace, { play: 'received', timeoutMs: 150 });
    const t0 = performance.now();
    const error = await replay.done.then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ReplayTimeoutError);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'TIMEOUT', timeout: 'replay', received: [], expected: 1 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(100);
    await expect(replay.transport.readable.getReader().read()).rejects.toBe(error);
    await replay.transport.closed;
  });

  it('a live side that stops halfway: the association it was on ends, done says how far it got', async () => {
    const trace = await record();
    const replay = replayTransport(trace, { play: 'received', timeoutMs: 150 });
    const assoc = await scu().associate(replay.transport, { calledAeTitle: 'SCP' });
    expect((await assoc.cEcho()).status).toBe(0);
    // ...and then the live side sends nothing more (no C-STORE, no release).
    const error = (await replay.done.catch((e: unknown) => e)) as ReplayTimeoutError;
    expect(error).toBeInstanceOf(ReplayTimeoutError);
    expect(error.received.map((hex) => hex.slice(0, 2))).toEqual(['01', '04']);
    expect(error.expected).toBeGreaterThan(2); // the C-STORE's P-DATA PDUs came next
    await expect(assoc.cEcho()).rejects.toThrow();
  });
});
