/**
 * Negotiation explainer: per-context results and reasons, roles, PDU sizes, window; and
 * checkProposal's warnings for the classic mistakes.
 */
import { describe, expect, it } from 'vitest';
import { echoscu } from '../../adapters/cli/echoscu';
import { listenTcp } from '../../adapters/node';
import { createMemoryPair } from '../../adapters/memory';
import { checkProposal, formatNegotiation } from '../../src/acse/explain';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { SopClass } from '../../src/uids/sop-classes';
import { TransferSyntax } from '../../src/uids/transfer-syntax';

const { ExplicitVRLittleEndian: ELE, ImplicitVRLittleEndian: ILE } = TransferSyntax;
const JPEG = '1.2.840.10008.1.2.4.50';
const CT = SopClass.CTImageStorage;
const MR = SopClass.MRImageStorage;
const GET = SopClass.StudyRootQueryRetrieveInformationModelGet;
const MOVE = SopClass.StudyRootQueryRetrieveInformationModelMove;

async function negotiate(scu: ApplicationEntity, scp: ApplicationEntity, policy = {}): Promise<{ assoc: Association; scpAssoc: Association }> {
  const [a, b] = createMemoryPair();
  let scpAssoc!: Association;
  void scp.handle(b, {}, policy, (x) => (scpAssoc = x));
  const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
  return { assoc, scpAssoc };
}

describe('association.explain()', () => {
  it('says why each context was accepted or rejected, with roles, PDU sizes and window', async () => {
    const scu = new ApplicationEntity({ aeTitle: 'SCU', maxPduLength: 32768, asyncOps: { maxInvoked: 4, maxPerformed: 1 } })
      .addRequestedContext(SopClass.Verification)
      .addRequestedContext(CT, [JPEG])
      .addRequestedContext('1.2.840.10008.5.1.4.1.1.128')
      .addRequestedContext(GET)
      .addRequestedContext(MR, [ELE], { scuRole: true, scpRole: true });
    const scp = new ApplicationEntity({ aeTitle: 'SCP', maxPduLength: 0, asyncOps: { maxInvoked: 1, maxPerformed: 2 } })
      .addSupportedContext(SopClass.Verification)
      .addSupportedContext(CT, [ELE, ILE])
      .addSupportedContext(GET)
      .addSupportedContext(MR, [ELE], { scuRole: true, scpRole: false });
    const { assoc, scpAssoc } = await negotiate(scu, scp, { ...{} });
    const report = assoc.explain();
    expect(report).toMatchObject({
      role: 'requestor',
      callingAeTitle: 'SCU',
      calledAeTitle: 'SCP',
      acceptedCount: 3,
      rejectedCount: 2,
      maxPdu: { requestorReceives: 32768, acceptorReceives: 16 * 1024 * 1024 },
      asyncOps: {
        proposed: { maxInvoked: 4, maxPerformed: 1 },
        answered: { maxInvoked: 2, maxPerformed: 1 },
        requestor: { maxInvoked: 2, maxPerformed: 1 },
        acceptor: { maxInvoked: 1, maxPerformed: 2 },
      },
    });
    const [echo, ct, pet, get, mr] = report.contexts;
    expect(echo).toMatchObject({ id: 1, accepted: true, acceptedTransferSyntax: ELE, resultName: 'acceptance', abstractSyntaxName: 'Verification SOP Class' });
    expect(echo!.reason).toContain('chosen from 3 proposed');
    expect(ct).toMatchObject({ accepted: false, result: 4, acceptedTransferSyntax: null });
    expect(ct!.reason).toMatch(/supports CT Image Storage but none of JPEG Baseline/);
    expect(pet).toMatchObject({ accepted: false, result: 3 });
    expect(pet!.reason).toContain('does not support Positron Emission Tomography Image Storage');
    expect(get!.roles.reason).toMatch(/no role item proposed/);
    expect(mr!.roles).toMatchObject({
      proposed: { scu: true, scp: true },
      answered: { scu: true, scp: false },
      requestorIsScu: true,
      requestorIsScp: false,
    });
    expect(mr!.roles.reason).toBe("the acceptor refused the requestor's SCP role");
    // JSON-able, and the acceptor sees the same negotiation.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    const theirs = scpAssoc.explain();
    expect(theirs.role).toBe('acceptor');
    expect(theirs.contexts).toEqual(report.contexts);
    const text = formatNegotiation(report);
    expect(text).toContain('3 of 5 contexts accepted');
    expect(text).toContain('requestor invokes 2, acceptor performs 2');
    // The other direction too (it differs here: 1, not 2).
    expect(text).toContain('acceptor invokes 1, requestor performs 1');
    expect(text).toContain('[3] CT Image Storage: transfer-syntaxes-not-supported');
    await assoc.release();
  });

  it('user rejection and an unanswered role item', async () => {
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(CT).addRequestedContext(MR, [ELE], { scuRole: true, scpRole: true });
    const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(CT).addSupportedContext(MR);
    const [a, b] = createMemoryPair();
    void scp.handle(b, { associate: () => ({ accept: true, contextResult: (uid: string) => (uid === CT ? 1 : undefined) }) });
    const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
    const [ct, mr] = assoc.explain().contexts;
    expect(ct).toMatchObject({ result: 1, resultName: 'user-rejection' });
    expect(ct!.reason).toMatch(/user rejection/);
    expect(mr!.roles).toMatchObject({ answered: null, requestorIsScu: true, requestorIsScp: false });
    expect(mr!.roles.reason).toMatch(/not answered: default roles/);
    await assoc.release();
  });
});

describe('checkProposal', () => {
  it('nothing to say about a sound proposal', () => {
    expect(
      checkProposal([{ abstractSyntax: CT, transferSyntaxes: [ELE, ILE] }, { abstractSyntax: GET, transferSyntaxes: [ELE] }, { abstractSyntax: CT, transferSyntaxes: [ELE], scpRole: true, scuRole: false }], {
        store: [{ sopClassUid: CT, transferSyntaxUid: ILE }],
        get: { storageClasses: [CT] },
      }),
    ).toEqual([]);
  });

  it('C-GET without the SCP role, or without a context for a storage class', () => {
    const w = checkProposal([{ abstractSyntax: GET, transferSyntaxes: [ELE] }, { abstractSyntax: CT, transferSyntaxes: [ELE] }], { get: { storageClasses: [CT, MR] } });
    expect(w.map((x) => [x.code, x.abstractSyntax])).toEqual([
      ['get-without-scp-role', CT],
      ['get-storage-context-missing', MR],
    ]);
    expect(checkProposal([], { get: { storageClasses: [] } }).map((x) => x.code)).toEqual(['get-model-missing']);
  });

  it('more than 128 contexts', () => {
    const many = Array.from({ length: 129 }, (_, i) => ({ abstractSyntax: `1.2.3.${i}`, transferSyntaxes: [ELE] }));
    expect(checkProposal(many).map((x) => x.code)).toEqual(['too-many-contexts']);
  });

  it('a transfer syntax the data is not in', () => {
    const w = checkProposal([{ abstractSyntax: CT, transferSyntaxes: [ELE, ILE] }], {
      store: [
        { sopClassUid: CT, transferSyntaxUid: JPEG },
        { sopClassUid: CT, transferSyntaxUid: JPEG },
        { sopClassUid: MR, transferSyntaxUid: ELE },
      ],
    });
    expect(w.map((x) => x.code)).toEqual(['store-transfer-syntax-missing', 'store-context-missing']);
    expect(w[0]!.message).toContain('JPEG Baseline');
  });

  it('a C-MOVE destination the SCP will not know', () => {
    const contexts = [{ abstractSyntax: MOVE, transferSyntaxes: [ELE] }];
    expect(checkProposal(contexts, { move: { destination: 'STORESCP', knownDestinations: ['STORESCP', 'ARCHIVE'] } })).toEqual([]);
    const w = checkProposal(contexts, { move: { destination: 'WORKSTATION', knownDestinations: ['STORESCP'] } });
    expect(w.map((x) => x.code)).toEqual(['move-destination-unknown']);
    expect(w[0]!.message).toContain('0xA801');
    expect(checkProposal([], { move: { destination: 'X' } }).map((x) => x.code)).toEqual(['move-model-missing']);
  });
});

describe('CLI -d', () => {
  it('echoscu -d prints the negotiation', async () => {
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
    const server = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(SopClass.Verification).serve(listener);
    try {
      const err: string[] = [];
      const io = { out: () => {}, err: (l: string) => err.push(l) };
      expect(await echoscu(['-d', '-aec', 'SCP', '127.0.0.1', String(listener.port)], io)).toBe(0);
      expect(err.join('\n')).toContain('Negotiation ECHOSCU -> SCP (we are requestor): 1 of 1 contexts accepted');
      expect(err.join('\n')).toContain('[1] Verification SOP Class: acceptance - accepted with Explicit VR Little Endian');
      const quiet: string[] = [];
      expect(await echoscu(['-aec', 'SCP', '127.0.0.1', String(listener.port)], { out: () => {}, err: (l) => quiet.push(l) })).toBe(0);
      expect(quiet).toEqual([]);
    } finally {
      await server.close({ force: true });
    }
  });
});
