/**
 * DimseProvider.getMsg waiters: each settles once (message, timeout, abort or the association's
 * end) and then no longer takes messages, which are queued for the next caller instead.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../../src/dimse/command-set';
import { DimseProvider } from '../../src/dimse/provider';
import { CommandField, NO_DATASET } from '../../src/dimse/types';
import type { PDataTfPdu } from '../../src/pdu/types';

const echoRq = (id: number): PDataTfPdu => ({
  type: 'P-DATA-TF',
  pdvs: [{ contextId: 1, isCommand: true, isLast: true, data: encodeCommand({ CommandField: CommandField['C-ECHO-RQ'], MessageID: id, AffectedSOPClassUID: '1.2.840.10008.1.1', CommandDataSetType: NO_DATASET }) }],
});
const provider = () => new DimseProvider({ sendPdu: () => undefined, peerMaxPduLength: 16384, isAcceptedContext: () => true });
const idOf = (m: { command: { MessageID?: number } } | null | undefined) => m?.command.MessageID;

describe('getMsg waiters', () => {
  it('an aborted signal rejects with its reason, and the next message is queued, not given to the aborted waiter', async () => {
    const p = provider();
    const controller = new AbortController();
    const waiting = p.getMsg({ signal: controller.signal, timeoutMs: Infinity });
    controller.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    void p.receivePrimitive(echoRq(7));
    expect(idOf(p.takeQueued())).toBe(7);
    // A waiter served by a message leaves its signal too.
    const other = new AbortController();
    const served = p.getMsg({ signal: other.signal, timeoutMs: Infinity });
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(1);
    void p.receivePrimitive(echoRq(8));
    expect(idOf(await served)).toBe(8);
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
  });

  it('an already-aborted signal rejects at once, and the next message is queued', async () => {
    const p = provider();
    await expect(p.getMsg({ signal: AbortSignal.abort(new Error('before')), timeoutMs: Infinity })).rejects.toThrow('before');
    void p.receivePrimitive(echoRq(9));
    expect(idOf(p.takeQueued())).toBe(9);
  });

  it('waiters are served oldest first, each once; one whose match refuses is skipped', async () => {
    const p = provider();
    const odd = p.getMsg({ match: (m) => (m.command.MessageID ?? 0) % 2 === 1, timeoutMs: Infinity });
    const first = p.getMsg({ timeoutMs: Infinity });
    const second = p.getMsg({ timeoutMs: Infinity });
    for (const id of [2, 3, 4, 6]) void p.receivePrimitive(echoRq(id));
    expect([idOf(await first), idOf(await odd), idOf(await second)]).toEqual([2, 3, 4]);
    expect(idOf(p.takeQueued())).toBe(6);
  });

  it('a waiter that timed out resolves null and leaves; a message that comes later is queued', async () => {
    const p = provider();
    expect(await p.getMsg({ timeoutMs: 5 })).toBeNull();
    void p.receivePrimitive(echoRq(9));
    expect(idOf(p.takeQueued())).toBe(9);
  });

  it('the association\'s end rejects every waiter, and its signal listener is gone', async () => {
    const p = provider();
    const controller = new AbortController();
    const waiting = [p.getMsg({ timeoutMs: Infinity, signal: controller.signal }), p.getMsg({ timeoutMs: Infinity })];
    p.fail(new Error('ended'));
    for (const w of waiting) await expect(w).rejects.toThrow('ended');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    controller.abort(new Error('late')); // must not settle anything again or throw
    await expect(p.getMsg({ timeoutMs: Infinity })).rejects.toThrow('ended');
  });
});

describe('responseTo: the wait for the response to one of our requests', () => {
  const echoRsp = (id: number): PDataTfPdu => ({
    type: 'P-DATA-TF',
    pdvs: [{ contextId: 1, isCommand: true, isLast: true, data: encodeCommand({ CommandField: CommandField['C-ECHO-RSP'], MessageIDBeingRespondedTo: id, AffectedSOPClassUID: '1.2.840.10008.1.1', CommandDataSetType: NO_DATASET, Status: 0 }) }],
  });
  async function sent(p: DimseProvider): Promise<number> {
    const id = await p.requests.open(() => p.requests.size + 1);
    await p.sendMsg({ CommandField: CommandField['C-ECHO-RQ'], MessageID: id, AffectedSOPClassUID: '1.2.840.10008.1.1', CommandDataSetType: NO_DATASET }, 1);
    return id;
  }

  it('takes only its own response; other messages stay queued for getMsg', async () => {
    const p = provider();
    const id = await sent(p);
    const waiting = p.responseTo(id, { timeoutMs: Infinity });
    void p.receivePrimitive(echoRq(5)); // a request from the peer: not ours to take
    void p.receivePrimitive(echoRsp(id));
    expect((await waiting).command.MessageIDBeingRespondedTo).toBe(id);
    expect(idOf(p.takeQueued())).toBe(5);
  });

  it('a response already queued is taken at once', async () => {
    const p = provider();
    const id = await sent(p);
    void p.receivePrimitive(echoRsp(id));
    expect((await p.responseTo(id)).command.MessageIDBeingRespondedTo).toBe(id);
    expect(p.peekMsg()).toBeNull();
  });

  it('a DIMSE timeout rejects with a TimeoutError, reports it, and gives the request up', async () => {
    const reported: Error[] = [];
    const p = new DimseProvider({ sendPdu: () => undefined, peerMaxPduLength: 16384, isAcceptedContext: () => true, onDimseTimeout: (e) => void reported.push(e) });
    const id = await sent(p);
    await expect(p.responseTo(id, { timeoutMs: 5 })).rejects.toMatchObject({ name: 'TimeoutError', timeout: 'dimse' });
    expect(reported).toHaveLength(1);
    expect(p.requests.isOutstanding(id)).toBe(false);
    expect(p.requests.isAbandoned(id)).toBe(true);
  });

  it('an aborted signal rejects with its reason and gives the request up, already aborted or later', async () => {
    const p = provider();
    const first = await sent(p);
    const controller = new AbortController();
    const waiting = p.responseTo(first, { signal: controller.signal, timeoutMs: Infinity });
    controller.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    expect(p.requests.isAbandoned(first)).toBe(true);
    // Its slot stays taken till its response, which is dropped (test/unit/provider-give-up.test.ts).
    void p.receivePrimitive(echoRsp(first));
    expect(p.peekMsg()).toBeNull();
    const second = await sent(p);
    await expect(p.responseTo(second, { signal: AbortSignal.abort(new Error('before')) })).rejects.toThrow('before');
    expect(p.requests.isAbandoned(second)).toBe(true);
  });
});
