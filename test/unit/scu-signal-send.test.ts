/**
 * An SCU call given up while its request is still being sent (a C-STORE whose peer stopped
 * reading): the signal, the call's timeoutMs and the DIMSE timeout end it, and the association is
 * aborted, since a data set cannot be taken back part-way. Before, nothing ran during the send:
 * the call hung for ever, the association established.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import type { AeOptions } from '../../src/options';
import type { StoreRequest } from '../../src/scp/types';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An association to an SCP whose C-STORE handler reads `read(request)` and then nothing for a long while. */
async function storeTo(scuOptions: Partial<AeOptions>, read: (request: StoreRequest) => Promise<unknown> = async () => undefined): Promise<Association> {
  const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(CT, [EXPLICIT]);
  const scu = new ApplicationEntity({ aeTitle: 'SCU', ...scuOptions }).addRequestedContext(CT, [EXPLICIT]);
  const [a, b] = createMemoryPair();
  void scp.handle(b, {
    async cStore(request) {
      await read(request);
      await sleep(10_000);
      return 0;
    },
  });
  return scu.associate(a, { calledAeTitle: 'SCP' });
}

/** 4 MiB of data set: far more than the memory pair and the SCP buffer. */
const large = () => ({ sopClassUid: CT, sopInstanceUid: '1.2.3', transferSyntaxUid: EXPLICIT, data: new Uint8Array(4 * 1024 * 1024) });

/** The call's outcome within `ms`: its error's name, or 'resolved', or 'hung'. */
function outcome(call: Promise<unknown>, ms: number): Promise<string> {
  return Promise.race([
    call.then(() => 'resolved', (e: Error) => e.name),
    sleep(ms).then(() => 'hung'),
  ]);
}

describe('an SCU call given up while its request is being sent', () => {
  it('cStore: its signal rejects the call with its reason at once and aborts the association', async () => {
    const assoc = await storeTo({ dimseTimeoutMs: Infinity });
    const controller = new AbortController();
    const call = assoc.cStore(large(), { signal: controller.signal });
    await sleep(50);
    expect(assoc.isEstablished).toBe(true); // still sending, stalled
    const t0 = Date.now();
    controller.abort(new Error('user cancelled'));
    await expect(call).rejects.toThrow('user cancelled');
    expect(Date.now() - t0).toBeLessThan(500);
    expect(assoc.isEstablished).toBe(false);
  });

  it('cStore: timeoutMs bounds a send that makes no progress (TimeoutError), and the association is aborted', async () => {
    const assoc = await storeTo({ dimseTimeoutMs: Infinity, networkTimeoutMs: Infinity });
    const result = await outcome(assoc.cStore(large(), { timeoutMs: 200 }).catch((e: Error & { timeout?: string }) => {
      expect(e.timeout).toBe('dimse');
      throw e;
    }), 3000);
    expect(result).toBe('TimeoutError');
    expect(assoc.isEstablished).toBe(false);
  });

  it('the DIMSE timeout bounds it too when the call sets no timeout (the network timeout is off while a request is outstanding)', async () => {
    const assoc = await storeTo({ dimseTimeoutMs: 200, networkTimeoutMs: 200 });
    expect(await outcome(assoc.cStore(large()), 3000)).toBe('TimeoutError');
    expect(assoc.isEstablished).toBe(false);
  });

  it('a send that goes on making progress is not timed out, however long it takes', async () => {
    // The handler reads slowly: 128 KiB per 20 ms, so the transport drains its buffer (a run of
    // about 1 MiB) about every 160 ms, well within the timeout, but takes 8 MiB in over 1 s.
    let read!: () => void;
    const wholeRead = new Promise<void>((r) => (read = r));
    const assoc = await storeTo({ dimseTimeoutMs: 500, networkTimeoutMs: 500 }, async (request) => {
      let bytes = 0;
      for await (const chunk of request.chunks()) {
        if (Math.floor((bytes + chunk.byteLength) / 131072) > Math.floor(bytes / 131072)) await sleep(20);
        bytes += chunk.byteLength;
      }
      read();
    });
    const t0 = Date.now();
    const call = assoc.cStore({ ...large(), data: new Uint8Array(8 * 1024 * 1024) }).catch((e: Error) => e.name);
    await wholeRead;
    expect(Date.now() - t0).toBeGreaterThan(1000);
    expect(assoc.isEstablished).toBe(true);
    expect(await call).toBe('TimeoutError'); // the response never comes: the DIMSE timeout, now
  });
});
