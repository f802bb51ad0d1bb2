/**
 * A call without C-CANCEL (C-ECHO, C-STORE, N-*) given up by its signal once its request is sent:
 * it rejects at once and the association goes on, but the peer still performs the request, so it
 * keeps its slot in the invoked window (PS3.7 D.3.3.3) until its late response, which is dropped
 * (not an unexpected response), or until the DIMSE timeout. Before, the slot was freed at once: with
 * a 1/1 window the next request went out while the first was still being performed.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import type { AeOptions } from '../../src/options';
import type { ScpHandlers } from '../../src/scp/types';

const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const DISPLAY = '1.2.840.10008.5.1.1.40';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each operation the SCP performs takes `delay` ms; `log` records when each starts and ends. */
async function slowPair(delay: number, scuOptions: Partial<AeOptions> = {}) {
  const log: string[] = [];
  let running = 0;
  let peak = 0;
  let started!: () => void;
  const firstStarted = new Promise<void>((r) => (started = r));
  const perform = async <T>(name: string, result: T): Promise<T> => {
    peak = Math.max(peak, ++running);
    log.push(`${name} start`);
    started();
    await sleep(delay);
    log.push(`${name} end`);
    running--;
    return result;
  };
  const handlers: ScpHandlers = {
    cEcho: () => perform('echo', 0),
    async cStore(request) {
      await request.bytes();
      return perform('store', 0);
    },
    nGet: () => perform('nget', { status: 0, dataset: {} }),
  };
  const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(VERIFICATION).addSupportedContext(CT).addSupportedContext(DISPLAY);
  const scu = new ApplicationEntity({ aeTitle: 'SCU', ...scuOptions }).addRequestedContext(VERIFICATION).addRequestedContext(CT).addRequestedContext(DISPLAY);
  const [a, b] = createMemoryPair();
  void scp.handle(b, handlers);
  const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
  return { assoc, log, peak: () => peak, firstStarted };
}

const calls: Array<[string, (assoc: Association, signal?: AbortSignal) => Promise<{ status: number }>]> = [
  ['cEcho', (assoc, signal) => assoc.cEcho({ signal })],
  ['nGet', (assoc, signal) => assoc.nGet(DISPLAY, `${DISPLAY}.1`, [], { signal })],
  ['cStore', (assoc, signal) => assoc.cStore({ dataset: { SOPClassUID: CT, SOPInstanceUID: '1.2.3', Modality: 'CT' } }, { signal })],
];

describe('a call without C-CANCEL given up by its signal once sent', () => {
  it.each(calls)('%s: rejects at once; the association goes on; the next request waits for the late response', async (_, call) => {
    const { assoc, peak, firstStarted } = await slowPair(300);
    expect(assoc.asyncOps).toEqual({ maxInvoked: 1, maxPerformed: 1 });
    const controller = new AbortController();
    const first = call(assoc, controller.signal);
    await firstStarted; // sent, being performed
    const t0 = Date.now();
    controller.abort(new Error('gave up'));
    await expect(first).rejects.toThrow('gave up');
    expect(Date.now() - t0).toBeLessThan(100);
    expect(assoc.isEstablished).toBe(true);
    expect(assoc.dimse.requests.size).toBe(1); // still outstanding: the peer performs it
    expect((await call(assoc)).status).toBe(0);
    expect(peak()).toBe(1); // never two operations at once on a 1/1 window
    expect(assoc.dimse.requests.size).toBe(0);
    expect(assoc.dimse.peekMsg()).toBeNull(); // the late response was dropped, not queued
    await assoc.release();
  });

  it('the late response counts as expected: it is dropped (debug log), no A-ABORT', async () => {
    const debug: string[] = [];
    const logger = { debug: (s: string) => debug.push(s), info() {}, warn() {}, error() {} };
    const { assoc, log } = await slowPair(100, { logger });
    await expect(assoc.cEcho({ signal: AbortSignal.timeout(10) })).rejects.toMatchObject({ name: 'TimeoutError' });
    await sleep(250);
    expect(log).toEqual(['echo start', 'echo end']);
    expect(assoc.isEstablished).toBe(true);
    expect(debug.some((l) => l.includes('dropping response to message 1'))).toBe(true);
    expect(assoc.dimse.requests.size).toBe(0);
    await assoc.release();
  });

  it('no late response within the DIMSE timeout: the association aborts, failing the call waiting for the slot', async () => {
    const { assoc } = await slowPair(5000, { dimseTimeoutMs: 200 });
    await expect(assoc.cEcho({ signal: AbortSignal.timeout(20) })).rejects.toMatchObject({ name: 'TimeoutError' });
    const t0 = Date.now();
    await expect(assoc.cEcho()).rejects.toMatchObject({ name: 'AssociationAbortedError' });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(assoc.isEstablished).toBe(false);
  });

  it('with no DIMSE timeout (Infinity) the slot is freed at once: no timeout would ever free it, and the next call would wait for ever', async () => {
    const { assoc } = await slowPair(60_000, { dimseTimeoutMs: Infinity });
    await expect(assoc.cEcho({ signal: AbortSignal.timeout(20) })).rejects.toMatchObject({ name: 'TimeoutError' });
    const next = assoc.cEcho({ signal: AbortSignal.timeout(300) });
    await sleep(50);
    expect(assoc.dimse.requests.queued).toBe(0); // sent, not waiting for a slot that nothing would free
    await expect(next).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(assoc.isEstablished).toBe(true);
    assoc.abort();
  });
});
