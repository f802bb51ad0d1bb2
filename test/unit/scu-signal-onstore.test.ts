/**
 * The RequestContext a C-GET's `onStore` gets: its signal aborts when the association ends (as
 * RequestContext.signal does for an SCP's handlers), but not when we cancel the C-GET: a
 * sub-operation under way is not cancelled (PS3.4 C.4.3.3). Before, it never aborted.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import type { RequestContext, StoreRequest } from '../../src/scp/types';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const STUDY_GET = '1.2.840.10008.5.1.4.1.2.2.3';
const EXPLICIT = '1.2.840.10008.1.2.1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const instance = (n: number) => ({ dataset: { SOPClassUID: CT, SOPInstanceUID: `1.2.3.${n}`, Modality: 'CT' } });

/** A C-GET SCP sending two instances; the peer's association is given to the test. */
async function getPair(): Promise<{ assoc: Association; peer: Promise<Association> }> {
  const scp = new ApplicationEntity({ aeTitle: 'QR' }).addSupportedContext(STUDY_GET).addSupportedContext(CT, [EXPLICIT], { scuRole: true, scpRole: true });
  const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_GET).addRequestedContext(CT, [EXPLICIT], { scuRole: false, scpRole: true });
  const [a, b] = createMemoryPair();
  let accepted!: (assoc: Association) => void;
  const peer = new Promise<Association>((r) => (accepted = r));
  void scp.handle(b, { accepted, cGet: () => [instance(1), instance(2)] });
  return { assoc: await scu.associate(a, { calledAeTitle: 'QR' }), peer };
}

/** Within `ms`: the signal's abort reason, or 'not aborted'. */
function abortOf(signal: AbortSignal, ms: number): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return Promise.race([new Promise((r) => signal.addEventListener('abort', () => r(signal.reason))), sleep(ms).then(() => 'not aborted')]);
}

describe('C-GET onStore ctx.signal', () => {
  it('aborts when the association ends while onStore runs', async () => {
    const { assoc, peer } = await getPair();
    let seen: Promise<unknown> | undefined;
    const onStore = async (request: StoreRequest, ctx: RequestContext) => {
      await request.bytes();
      expect(ctx.signal.aborted).toBe(false);
      seen = abortOf(ctx.signal, 2000);
      void (await peer).abort();
      await seen;
      return 0;
    };
    const iteration = (async () => {
      for await (const _ of assoc.cGet({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1' }, { model: 'study', onStore }));
    })();
    await expect(iteration).rejects.toMatchObject({ name: 'AssociationAbortedError' });
    expect(await seen).toMatchObject({ name: 'AssociationAbortedError' });
  });

  it('each sub-operation has a signal of its own (listeners do not pile up on one), all aborted by the end', async () => {
    const { assoc, peer } = await getPair();
    const signals: AbortSignal[] = [];
    const onStore = async (request: StoreRequest, ctx: RequestContext) => {
      await request.bytes();
      ctx.signal.addEventListener('abort', () => undefined);
      signals.push(ctx.signal);
      return 0;
    };
    for await (const _ of assoc.cGet({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1' }, { model: 'study', onStore }));
    expect(signals).toHaveLength(2);
    expect(signals[0]).not.toBe(signals[1]);
    void (await peer).abort();
    await Promise.all(signals.map((s) => abortOf(s, 2000)));
    expect(signals.every((s) => s.aborted)).toBe(true);
  });

  it('does not abort when we cancel the C-GET (C-CANCEL): the sub-operation under way completes', async () => {
    const { assoc } = await getPair();
    const controller = new AbortController();
    const outcomes: unknown[] = [];
    const onStore = async (request: StoreRequest, ctx: RequestContext) => {
      await request.bytes();
      controller.abort(); // C-CANCEL goes out while this one runs
      outcomes.push(await abortOf(ctx.signal, 100));
      return 0;
    };
    let last;
    for await (const p of assoc.cGet({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1' }, { model: 'study', signal: controller.signal, onStore })) last = p;
    expect(outcomes[0]).toBe('not aborted');
    expect(last?.completed).toBeGreaterThanOrEqual(1);
    expect(assoc.isEstablished).toBe(true);
    await assoc.release();
  });
});
