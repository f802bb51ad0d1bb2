/**
 * DimseProvider.responseTo when the caller's signal aborts: the wait rejects at once, but the
 * request stays outstanding, holding its window slot (PS3.7 D.3.3.3), until its response (then
 * dropped), the DIMSE timeout (reported: the association aborts) or the association's end.
 */
import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../../src/dimse/command-set';
import { DimseProvider, type DimseProviderOptions } from '../../src/dimse/provider';
import { CommandField, NO_DATASET } from '../../src/dimse/types';
import type { PDataTfPdu } from '../../src/pdu/types';

const echoRsp = (id: number): PDataTfPdu => ({
  type: 'P-DATA-TF',
  pdvs: [{ contextId: 1, isCommand: true, isLast: true, data: encodeCommand({ CommandField: CommandField['C-ECHO-RSP'], MessageIDBeingRespondedTo: id, AffectedSOPClassUID: '1.2.840.10008.1.1', CommandDataSetType: NO_DATASET, Status: 0 }) }],
});
/** A provider with a window of 1 (the default). */
const provider = (options: Partial<DimseProviderOptions> = {}) =>
  new DimseProvider({ sendPdu: () => undefined, peerMaxPduLength: 16384, isAcceptedContext: () => true, ...options });

/** Opens a slot and sends a C-ECHO-RQ; its Message ID. */
async function sent(p: DimseProvider, id: number): Promise<number> {
  await p.requests.open(() => id);
  await p.sendMsg({ CommandField: CommandField['C-ECHO-RQ'], MessageID: id, AffectedSOPClassUID: '1.2.840.10008.1.1', CommandDataSetType: NO_DATASET }, 1);
  return id;
}

describe('responseTo given up by its signal', () => {
  it.each([
    ['later', (c: AbortController) => void setTimeout(() => c.abort(new Error('gave up')), 5)],
    ['before the wait', (c: AbortController) => c.abort(new Error('gave up'))],
  ])('aborted %s: rejects, keeps the slot until the response, which is dropped', async (_, abort) => {
    const dropped: number[] = [];
    const p = provider({ onDiscard: (m) => void dropped.push(m.command.MessageIDBeingRespondedTo!) });
    await sent(p, 1);
    const controller = new AbortController();
    abort(controller);
    await expect(p.responseTo(1, { signal: controller.signal, timeoutMs: 60_000 })).rejects.toThrow('gave up');
    expect(p.requests.isOutstanding(1)).toBe(true);
    expect(p.requests.isAbandoned(1)).toBe(true);
    const next = p.requests.open(() => 2);
    expect(next).toBeInstanceOf(Promise); // the window (1) is still full
    void p.receivePrimitive(echoRsp(1)); // expected, not an UNEXPECTED_RESPONSE
    await expect(next).resolves.toBe(2);
    expect(dropped).toEqual([1]);
    expect(p.peekMsg()).toBeNull();
    expect(p.requests.isAbandoned(1)).toBe(false);
    // A second response to it would now be unexpected.
    expect(() => p.receivePrimitive(echoRsp(1))).toThrow(/not outstanding/);
  });

  it('no response within the DIMSE timeout: reported (the association aborts), and the slot freed', async () => {
    const reported: Error[] = [];
    const p = provider({ onDimseTimeout: (e) => void reported.push(e) });
    await sent(p, 1);
    await expect(p.responseTo(1, { signal: AbortSignal.abort(new Error('gave up')), timeoutMs: 20 })).rejects.toThrow('gave up');
    expect(reported).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 60));
    expect(reported.map((e) => e.name)).toEqual(['TimeoutError']);
    expect(p.requests.isOutstanding(1)).toBe(false);
  });

  it('the association\'s end frees the slot and settles nothing twice', async () => {
    const p = provider();
    await sent(p, 1);
    await expect(p.responseTo(1, { signal: AbortSignal.abort(new Error('gave up')), timeoutMs: Infinity })).rejects.toThrow('gave up');
    p.fail(new Error('gone'));
    expect(p.requests.isOutstanding(1)).toBe(false);
  });
});

describe('endSignal', () => {
  it('aborts with the association\'s error when it ends, or at once if it has', () => {
    const p = provider();
    const signal = p.endSignal;
    expect(signal.aborted).toBe(false);
    p.fail(new Error('gone'));
    expect(signal.reason).toMatchObject({ message: 'gone' });
    expect(p.endSignal.aborted).toBe(true);
    const q = provider();
    q.fail(new Error('earlier'));
    expect(q.endSignal.reason).toMatchObject({ message: 'earlier' });
  });
});
