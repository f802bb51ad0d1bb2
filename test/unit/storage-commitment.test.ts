/**
 * Storage Commitment Push Model (PS3.4 Annex J) over memory pairs (and over TCP, n-services-tcp.test.ts): N-ACTION then the
 * N-EVENT-REPORT on the same association, and on a new association the SCP opens to the SCU
 * with SCP/SCU role selection (PS3.4 J.3.3).
 */
import { describe, expect, it } from 'vitest';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { CommandField } from '../../src/dimse/types';
import {
  STORAGE_COMMITMENT_INSTANCE,
  STORAGE_COMMITMENT_SOP_CLASS as SC,
  commitmentEventInformation,
  parseCommitmentResult,
  requestStorageCommitment,
  storageCommitmentResults,
  storageCommitmentScp,
  type CommitmentResult,
} from '../../src/services/storage-commitment';
import { ae, link, pair, problemsIn, recordSent, via } from './n-helpers';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const refs = [1, 2, 3].map((n) => ({ sopClassUid: CT, sopInstanceUid: `1.2.3.${n}` }));
const stored = new Set(['1.2.3.1', '1.2.3.2']);
const commit = (r: { references: { sopClassUid: string; sopInstanceUid: string }[] }) => ({
  failed: r.references.filter((x) => !stored.has(x.sopInstanceUid)).map((x) => ({ ...x, failureReason: 0x0112 })),
});

describe(`storage commitment: same association (${via()})`, () => {
  it('N-ACTION is answered, then the N-EVENT-REPORT (event 2, failures) reaches the SCU handler', async () => {
    const results = storageCommitmentResults();
    const reports: Array<{ result: CommitmentResult; status?: number }> = [];
    const p = await pair(
      ae('ARCHIVE').addSupportedContext(SC),
      storageCommitmentScp({ commit, onReport: (result, o) => reports.push({ result, status: o.status }) }),
      ae('MODALITY').addRequestedContext(SC),
      { handlers: results.handlers },
    );
    const rsp = await requestStorageCommitment(p.scu, refs);
    expect(rsp.status).toBe(0);
    expect(rsp.command.ActionTypeID).toBe(1);
    const result = await results.wait(rsp.transactionUid, { timeoutMs: 5000 });
    expect(result.eventTypeId).toBe(2);
    expect(result.committed.map((r) => r.sopInstanceUid)).toEqual(['1.2.3.1', '1.2.3.2']);
    expect(result.failed).toEqual([{ sopClassUid: CT, sopInstanceUid: '1.2.3.3', failureReason: 0x0112 }]);
    await p.scu.release();
    expect(reports.map((r) => r.status)).toEqual([0]);
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
    const report = p.sentByScp.find((c) => c.CommandField === CommandField['N-EVENT-REPORT-RQ'])!;
    expect(report).toMatchObject({ AffectedSOPClassUID: SC, AffectedSOPInstanceUID: STORAGE_COMMITMENT_INSTANCE, EventTypeID: 2 });
  });

  it('all committed gives event type 1 with no Failed SOP Sequence; a report that came first is kept for wait()', async () => {
    const results = storageCommitmentResults();
    const p = await pair(ae('ARCHIVE').addSupportedContext(SC), storageCommitmentScp({ commit: () => ({}) }), ae('M').addRequestedContext(SC), {
      handlers: results.handlers,
    });
    const rsp = await requestStorageCommitment(p.scu, refs.slice(0, 2), { transactionUid: '1.2.999' });
    await new Promise((r) => setTimeout(r, 50));
    const result = await results.wait('1.2.999');
    expect(result).toMatchObject({ transactionUid: '1.2.999', eventTypeId: 1, failed: [] });
    expect(result.committed).toHaveLength(2);
    expect(rsp.transactionUid).toBe('1.2.999');
    await p.scu.release();
  });

  it('bad requests: wrong action type 0x0123, no Transaction UID 0x0120, wrong instance 0x0112', async () => {
    const p = await pair(ae('ARCHIVE').addSupportedContext(SC), storageCommitmentScp({ commit }), ae('M').addRequestedContext(SC));
    expect((await p.scu.nAction(SC, STORAGE_COMMITMENT_INSTANCE, 2, { TransactionUID: '1.2' })).status).toBe(0x0123);
    const missing = await p.scu.nAction(SC, STORAGE_COMMITMENT_INSTANCE, 1, { ReferencedSOPSequence: [] });
    expect(missing.status).toBe(0x0120);
    expect(missing.command.OffendingElement).toEqual([0x00081195]);
    expect((await p.scu.nAction(SC, '1.2.3', 1, { TransactionUID: '1.2' })).status).toBe(0x0112);
    await p.scu.release();
  });

  it('a commit that throws still gets a report: every instance failed with 0x0110 (processing failure), onReport told, the error logged', async () => {
    const results = storageCommitmentResults();
    const reports: Array<{ result: CommitmentResult; status?: number }> = [];
    const logged: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (m: string) => void logged.push(m) };
    const p = await pair(
      new ApplicationEntity({ aeTitle: 'ARCHIVE', logger }).addSupportedContext(SC),
      storageCommitmentScp({ commit: async () => Promise.reject(new Error('database offline')), onReport: (result, o) => reports.push({ result, status: o.status }) }),
      ae('MODALITY').addRequestedContext(SC),
      { handlers: results.handlers },
    );
    const rsp = await requestStorageCommitment(p.scu, refs.slice(0, 2));
    expect(rsp.status).toBe(0);
    const result = await results.wait(rsp.transactionUid, { timeoutMs: 5000 });
    expect(result).toMatchObject({ eventTypeId: 2, committed: [] });
    expect(result.failed).toEqual(refs.slice(0, 2).map((r) => ({ ...r, failureReason: 0x0110 })));
    await p.scu.release();
    expect(reports.map((r) => [r.result.eventTypeId, r.status])).toEqual([[2, 0]]);
    expect(logged).toEqual([expect.stringContaining('database offline')]);
  });

  it('event information round-trips (PS3.4 Table J.3-2)', () => {
    const { eventTypeId, information } = commitmentEventInformation({
      transactionUid: '1.9',
      committed: [refs[0]!],
      failed: [{ ...refs[1]!, failureReason: 0x0110 }],
      retrieveAeTitle: 'ARCHIVE',
    });
    expect(eventTypeId).toBe(2);
    expect(parseCommitmentResult(eventTypeId, information)).toEqual({
      transactionUid: '1.9',
      eventTypeId: 2,
      committed: [refs[0]],
      failed: [{ ...refs[1], failureReason: 0x0110 }],
      retrieveAeTitle: 'ARCHIVE',
    });
  });
});

describe(`storage commitment: report on a new association with role reversal (PS3.4 J.3.3, ${via()})`, () => {
  it('the SCP opens an association proposing the SCP role; the SCU accepts it and receives the report', async () => {
    const results = storageCommitmentResults();
    // The SCU's AE accepts Storage Commitment where the requestor (the archive) acts as SCP.
    const modality = ae('MODALITY').addRequestedContext(SC).addSupportedContext(SC, undefined, { scuRole: false, scpRole: true });
    const reportAssociations: Association[] = [];
    const reportSent: Parameters<typeof recordSent>[1] = [];
    const accepted: Promise<unknown>[] = [];
    // The archive's outgoing AE proposes SCU role no, SCP role yes.
    const archiveOut = ae('ARCHIVE').addRequestedContext(SC, undefined, { scuRole: false, scpRole: true });
    const openReportAssociation = async (peer: string) => {
      expect(peer).toBe('MODALITY');
      const [a, b] = await link();
      accepted.push(modality.handle(b, results.handlers));
      const association = await archiveOut.associate(a, { calledAeTitle: peer });
      recordSent(association, reportSent);
      reportAssociations.push(association);
      return association;
    };
    const p = await pair(ae('ARCHIVE').addSupportedContext(SC), storageCommitmentScp({ commit, openReportAssociation, reportOn: 'new' }), modality);
    const rsp = await requestStorageCommitment(p.scu, refs);
    const result = await results.wait(rsp.transactionUid, { timeoutMs: 5000 });
    expect(result.failed.map((f) => f.sopInstanceUid)).toEqual(['1.2.3.3']);
    const [reportAssociation] = reportAssociations;
    const context = reportAssociation!.acceptedContexts[0]!;
    expect(context).toMatchObject({ abstractSyntax: SC, requestorIsScp: true, requestorIsScu: false });
    expect(reportSent.map((c) => c.CommandField)).toEqual([CommandField['N-EVENT-REPORT-RQ']]);
    // The report association is released after the report.
    await reportAssociation!.closed;
    await Promise.all(accepted);
    await p.scu.release();
  });

  it('when the request association has ended the report falls back to a new association', async () => {
    const results = storageCommitmentResults();
    const modality = ae('MODALITY').addRequestedContext(SC).addSupportedContext(SC, undefined, { scpRole: true });
    const archiveOut = ae('ARCHIVE').addRequestedContext(SC, undefined, { scuRole: false, scpRole: true });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const p = await pair(
      ae('ARCHIVE').addSupportedContext(SC),
      storageCommitmentScp({
        commit: async () => (await released, {}),
        openReportAssociation: async (peer) => {
          const [a, b] = await link();
          void modality.handle(b, results.handlers);
          return archiveOut.associate(a, { calledAeTitle: peer });
        },
      }),
      modality,
    );
    const rsp = await requestStorageCommitment(p.scu, refs.slice(0, 1));
    await p.scu.release();
    await (await p.scp).closed;
    release();
    const result = await results.wait(rsp.transactionUid, { timeoutMs: 5000 });
    expect(result.eventTypeId).toBe(1);
  });
});
