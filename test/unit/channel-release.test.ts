/**
 * Local primitives called at awkward moments, over a memory pair: release() twice at once, and
 * associate() with a signal that is already aborted.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import type { NetEvent } from '../../src/telemetry';

const VERIFICATION = '1.2.840.10008.1.1';

describe('release()', () => {
  it('twice at once: one A-RELEASE-RQ, both calls resolve when it is confirmed (no InvalidStateError, no ACSE timeout)', async () => {
    const sent: string[] = [];
    const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(VERIFICATION);
    const scu = new ApplicationEntity({
      aeTitle: 'SCU',
      acseTimeoutMs: 2000,
      observe: (e: NetEvent) => void (e.type === 'pdu' && e.direction === 'sent' && sent.push(e.pduType)),
    }).addRequestedContext(VERIFICATION);
    const [c, s] = createMemoryPair();
    const served = scp.handle(s);
    const assoc = await scu.associate(c, { calledAeTitle: 'SCP' });
    const started = performance.now();
    const first = assoc.release();
    const second = assoc.release();
    expect(second).toBe(first);
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    expect(performance.now() - started).toBeLessThan(1000);
    expect((await assoc.closed).reason).toBe('released');
    expect((await served).reason).toBe('released');
    expect(sent.filter((type) => type === 'A-RELEASE-RQ')).toHaveLength(1);
  });
});

describe('associate({ signal })', () => {
  it('with a signal aborted already: rejects with its reason, sends nothing and closes the transport', async () => {
    const received: string[] = [];
    let accepted = 0;
    const scp = new ApplicationEntity({
      aeTitle: 'SCP',
      observe: (e: NetEvent) => void (e.type === 'pdu' && e.direction === 'received' && received.push(e.pduType)),
    }).addSupportedContext(VERIFICATION);
    const [c, s] = createMemoryPair();
    const served = scp.handle(s, { accepted: () => void accepted++ });
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION);
    const reason = new Error('given up');
    await expect(scu.associate(c, { calledAeTitle: 'SCP', signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await served;
    expect(received).toEqual([]);
    expect(accepted).toBe(0);
  });
});
