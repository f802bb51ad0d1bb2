/**
 * The SCP's per-request cancel signal is created lazily (perf: no AbortController per C-ECHO or
 * C-STORE). A C-CANCEL that arrives before the handler first reads `ctx.signal` must still show.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import { CommandField, NO_DATASET } from '../../src/dimse/types';
import type { RequestContext } from '../../src/scp/types';
import type { NetEvent } from '../../src/telemetry';

const STUDY_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const VERIFICATION = '1.2.840.10008.1.1';

describe('SCP cancel signal (lazy)', () => {
  it('a C-CANCEL received before the handler reads ctx.signal aborts it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let abortedWhenRead: boolean | undefined;
    // The gate opens once the SCP has the C-CANCEL (not after a fixed sleep: a loaded machine can be slower).
    let cancelSeen!: () => void;
    const cancelled = new Promise<void>((r) => (cancelSeen = r));
    const observe = (e: NetEvent) => {
      if (e.type === 'dimse-request' && e.direction === 'received' && e.service === 'C-CANCEL') cancelSeen();
    };
    const scp = new ApplicationEntity({ aeTitle: 'QR', observe }).addSupportedContext(STUDY_FIND);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_FIND);
    const [a, b] = createMemoryPair();
    void scp.handle(b, {
      async *cFind(_rq, ctx: RequestContext) {
        await gate; // the C-CANCEL arrives while we wait, before ctx.signal was ever read
        abortedWhenRead = ctx.signal.aborted;
        yield { PatientName: 'A^B' };
      },
    });
    const assoc = await scu.associate(a, { calledAeTitle: 'QR' });
    const controller = new AbortController();
    const statuses: string[] = [];
    const run = (async () => {
      for await (const r of assoc.cFind({ PatientName: '', QueryRetrieveLevel: 'STUDY' }, { model: 'study', signal: controller.signal })) statuses.push(r.category);
    })();
    await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await cancelled;
    release();
    await run;
    expect(abortedWhenRead).toBe(true);
    expect(statuses.at(-1)).toBe('Cancel');
    await assoc.release();
  });

  it('handlers that never read the signal work, and a signal read after the operation is inert', async () => {
    let saved: RequestContext | undefined;
    const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(VERIFICATION);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION);
    const [a, b] = createMemoryPair();
    void scp.handle(b, { cEcho: (ctx) => ((saved = ctx), 0) });
    const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
    for (let i = 0; i < 3; i++) expect((await assoc.cEcho()).status).toBe(0);
    expect(saved!.signal.aborted).toBe(false);
    expect(assoc.dimse['cancelWatchers'].size).toBe(0);
    await assoc.release();
  });
});

describe('a C-CANCEL for an operation that has ended', () => {
  it('does not cancel a later request that reuses its Message ID (the cancel crossed the final response)', async () => {
    const scp = new ApplicationEntity({ aeTitle: 'QR' }).addSupportedContext(STUDY_FIND);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_FIND);
    const [a, b] = createMemoryPair();
    void scp.handle(b, {
      async *cFind() {
        yield { PatientName: 'A^B' };
        yield { PatientName: 'C^D' };
      },
    });
    const assoc = await scu.associate(a, { calledAeTitle: 'QR' });
    // An SCU that numbers every request 1: legal once the previous one has ended (PS3.7 9.1).
    (assoc as unknown as { nextMessageId: () => number }).nextMessageId = () => 1;
    const statuses = async () => {
      const out: number[] = [];
      for await (const r of assoc.cFind({ QueryRetrieveLevel: 'STUDY', PatientName: '' }, { model: 'study' })) out.push(r.status);
      return out;
    };
    expect(await statuses()).toEqual([0xff00, 0xff00, 0]);
    await assoc.dimse.sendMsg({ CommandField: CommandField['C-CANCEL-RQ'], MessageIDBeingRespondedTo: 1, CommandDataSetType: NO_DATASET }, assoc.acceptedContexts[0]!.id);
    await new Promise((r) => setTimeout(r, 20));
    expect(await statuses()).toEqual([0xff00, 0xff00, 0]);
    await assoc.release();
  });
});
