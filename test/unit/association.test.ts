/**
 * End to end over createMemoryPair(): association, negotiation, DIMSE exchange, release, abort.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryListener, createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import { Reject } from '../../src/acceptor';
import { AssociationAbortedError, AssociationRejectedError, NegotiationError } from '../../src/errors';
import type { ScpHandlers } from '../../src/scp/types';
import { pattern, sha256 } from '../helpers/bytes';

const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const JPEG = '1.2.840.10008.1.2.4.50';

function scpAe(title = 'SCP') {
  return new ApplicationEntity({ aeTitle: title }).addSupportedContext(VERIFICATION).addSupportedContext(CT, [EXPLICIT, IMPLICIT]);
}

function setup(options: Parameters<typeof createMemoryPair>[0] = {}, handlers: ScpHandlers = {}, scp = scpAe(), policy = {}) {
  const [a, b] = createMemoryPair(options);
  const served = scp.handle(b, handlers, policy);
  return { a, b, served };
}

describe('association over a memory pair', () => {
  it('associate → C-ECHO → release', async () => {
    const { a, served } = setup();
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION);
    const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
    expect(assoc.acceptedContexts).toHaveLength(1);
    expect(assoc.peerAeTitle).toBe('SCP');
    const rsp = await assoc.cEcho();
    expect(rsp).toMatchObject({ status: 0, category: 'Success' });
    await assoc.release();
    expect(await assoc.closed).toEqual({ reason: 'released' });
    expect((await served).reason).toBe('released');
    expect(assoc.isEstablished).toBe(false);
    await expect(assoc.cEcho()).rejects.toBeInstanceOf(AssociationAbortedError);
  });

  it('associate → abort: both sides see the end', async () => {
    const ended: string[] = [];
    const { a, served } = setup({}, { aborted: () => ended.push('scp aborted') });
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION);
    const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
    await assoc.abort();
    expect((await assoc.closed).reason).toBe('aborted');
    const info = await served;
    expect(info.reason).toBe('aborted');
    expect(info.error).toBeInstanceOf(AssociationAbortedError);
    expect((info.error as AssociationAbortedError).abort).toEqual({ source: 0, reason: 0 });
    expect(ended).toEqual(['scp aborted']);
  });

  it('echo works across random chunking and merged writes', async () => {
    const { a } = setup({ chunking: { min: 1, max: 7, seed: 42 }, mergeWrites: true });
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION);
    const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
    for (let i = 0; i < 5; i++) expect((await assoc.cEcho()).status).toBe(0);
    await assoc.release();
  });

  describe('rejection with each reason', () => {
    const cases: [string, Record<string, unknown>, object, { result: number; source: number; reason: number }][] = [
      ['called AE title not recognised', { requireCalledAeTitle: true }, { calledAeTitle: 'WRONG' }, Reject.calledAeNotRecognized],
      ['calling AE title not recognised', { allowedCallingAeTitles: ['OTHER'] }, { calledAeTitle: 'SCP' }, Reject.callingAeNotRecognized],
      ['local limit exceeded', { atCapacity: () => true }, { calledAeTitle: 'SCP' }, Reject.localLimitExceeded],
    ];
    for (const [name, policy, options, expected] of cases) {
      it(name, async () => {
        const rejected: unknown[] = [];
        const { a, served } = setup({}, { rejected: (_rq, rj) => rejected.push(rj) }, scpAe(), policy);
        const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION);
        const error = await scu.associate(a, options).catch((e) => e);
        expect(error).toBeInstanceOf(AssociationRejectedError);
        expect({ result: error.result, source: error.source, reason: error.reason }).toEqual(expected);
        expect(rejected).toEqual([expected]);
        expect((await served).reason).not.toBe('released');
      });
    }

    it('no reason given, rejected by the application handler', async () => {
      const { a } = setup({}, { associate: () => ({ reject: Reject.noReason }) });
      const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION);
      await expect(scu.associate(a)).rejects.toMatchObject({ result: 1, source: 1, reason: 1 });
    });

    it('temporary congestion (transient), from the application handler', async () => {
      const { a } = setup({}, { associate: () => ({ reject: Reject.temporaryCongestion }) });
      const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION);
      await expect(scu.associate(a)).rejects.toMatchObject({ result: 2, source: 3, reason: 1, message: expect.stringContaining('transient') });
    });

    it('user identity refused', async () => {
      const { a } = setup({}, {}, scpAe(), { verifyUserIdentity: () => false });
      const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION);
      const userIdentity = {
        identityType: 2,
        positiveResponseRequested: true,
        primaryField: new TextEncoder().encode('alice'),
        secondaryField: new TextEncoder().encode('wrong'),
      };
      await expect(scu.associate(a, { userIdentity })).rejects.toBeInstanceOf(AssociationRejectedError);
    });

    it('user identity accepted with a positive response', async () => {
      const { a } = setup({}, {}, scpAe(), { verifyUserIdentity: (id: { primaryField: Uint8Array }) => new TextDecoder().decode(id.primaryField) === 'alice' });
      const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION);
      const userIdentity = { identityType: 1, positiveResponseRequested: true, primaryField: new TextEncoder().encode('alice'), secondaryField: new Uint8Array(0) };
      const assoc = await scu.associate(a, { userIdentity });
      expect(assoc.accept.userInformation.userIdentityAc).toBeDefined();
      await assoc.release();
    });
  });

  it('negotiates every context result end to end', async () => {
    const scp = scpAe().addSupportedContext(MR);
    const { a } = setup({}, { associate: () => ({ accept: true, contextResult: (abs) => (abs === MR ? 1 : undefined) }) }, scp);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' })
      .addRequestedContext(VERIFICATION)
      .addRequestedContext(CT, [JPEG])
      .addRequestedContext(MR)
      .addRequestedContext('1.2.3.4.5');
    const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
    expect(assoc.contexts.map((c) => c.result)).toEqual([0, 4, 1, 3]);
    expect(() => assoc.findContext(CT)).toThrow(NegotiationError);
    await assoc.release();
  });

  it('role selection: a requestor proposing the SCP role receives C-STOREs only when accepted', async () => {
    const scp = scpAe().addSupportedContext(CT, [EXPLICIT], { scuRole: true, scpRole: true });
    const { a } = setup({}, {}, scp);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(CT, [EXPLICIT], { scuRole: true, scpRole: true });
    const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
    const ct = assoc.findContext(CT);
    expect([ct.requestorIsScu, ct.requestorIsScp]).toEqual([true, true]);
    expect(assoc.findContext(CT, { as: 'scp' }).id).toBe(ct.id);
    await assoc.release();
  });

  it('a 20 MiB data set at max PDU 16 KiB over random chunks arrives byte-identical', async () => {
    const data = pattern(20 * 1024 * 1024, 3);
    let received = '';
    const scp = scpAe();
    const { a } = setup({ chunking: { min: 1000, max: 70000, seed: 9 } }, {
      cStore: async (rq) => {
        received = sha256(await rq.bytes());
        return 0;
      },
    }, scp);
    const scu = new ApplicationEntity({ aeTitle: 'SCU', maxPduLength: 16384 }).addRequestedContext(CT, [EXPLICIT]);
    const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
    expect(assoc.dimse.maximumPduSize).toBe(16384);
    const rsp = await assoc.cStore({ sopClassUid: CT, sopInstanceUid: '1.2.3', transferSyntaxUid: EXPLICIT, data });
    expect(rsp.status).toBe(0);
    expect(received).toBe(sha256(data));
    await assoc.release();
  });

  it('serves a listener and keeps serving after one association aborts', async () => {
    const { listener, connect } = createMemoryListener();
    const server = scpAe().serve(listener, {});
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION);
    const first = await scu.associate(connect(), { calledAeTitle: 'SCP' });
    await first.abort();
    const second = await scu.associate(connect(), { calledAeTitle: 'SCP' });
    expect((await second.cEcho()).status).toBe(0);
    await second.release();
    await server.close();
  });

  it('release collision: both sides release at once', async () => {
    let scpAssoc: import('../../src/association').Association | undefined;
    const [a, b] = createMemoryPair();
    const scp = scpAe();
    const served = scp.handle(b, {}, {}, (assoc) => (scpAssoc = assoc));
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION);
    const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
    await Promise.all([assoc.release(), scpAssoc!.release()]);
    expect((await assoc.closed).reason).toBe('released');
    expect((await served).reason).toBe('released');
  });
});
