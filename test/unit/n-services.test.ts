/**
 * Generic DIMSE-N (PS3.7 §10): message fields against Tables 10.3-1..12, Affected vs Requested
 * UIDs, echoed Action/Event Type IDs, SCP-assigned N-CREATE UIDs, meta SOP class contexts,
 * and the requestor serving the peer's requests (N-EVENT-REPORT on the same association).
 */
import { describe, expect, it } from 'vitest';
import { CommandField } from '../../src/dimse/types';
import { describeStatus, statusCategory } from '../../src/dimse/status';
import type { NRequest, ScpHandlers } from '../../src/scp/types';
import { ae, pair, problemsIn, via } from './n-helpers';

const MPPS = '1.2.840.10008.3.1.2.3.3';
const PRINT_META = '1.2.840.10008.5.1.1.9';
const FILM_SESSION = '1.2.840.10008.5.1.1.1';
const UPS_PUSH = '1.2.840.10008.5.1.4.34.6.1';
const UPS_EVENT = '1.2.840.10008.5.1.4.34.6.4';

describe(`DIMSE-N fields (PS3.7 Tables 10.3-1..12, ${via()})`, () => {
  it('every request and response of the six services is well formed, with Requested UIDs in and Affected UIDs out', async () => {
    const seen: NRequest[] = [];
    const answer = (r: NRequest) => (seen.push(r), { status: 0, dataset: { PatientID: 'X' } });
    const handlers: ScpHandlers = { nGet: answer, nSet: answer, nAction: answer, nCreate: answer, nDelete: answer };
    const p = await pair(ae('SCP').addSupportedContext(MPPS), handlers, ae('SCU').addRequestedContext(MPPS));
    await p.scu.nGet(MPPS, '1.2.3', [0x00100020]);
    await p.scu.nSet(MPPS, '1.2.3', { PatientID: 'Y' });
    const action = await p.scu.nAction(MPPS, '1.2.3', 7, { PatientID: 'Z' });
    const created = await p.scu.nCreate(MPPS, '1.2.4', { PatientID: 'W' });
    const deleted = await p.scu.nDelete(MPPS, '1.2.3');
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
    // Requests name Requested UIDs (N-CREATE: Affected), responses Affected ones.
    expect(p.sentByScu.map((c) => c.RequestedSOPClassUID ?? `A:${c.AffectedSOPClassUID}`)).toEqual([MPPS, MPPS, MPPS, `A:${MPPS}`, MPPS]);
    for (const rsp of p.sentByScp) {
      expect(rsp.AffectedSOPClassUID).toBe(MPPS);
      expect(rsp.RequestedSOPClassUID).toBeUndefined();
    }
    expect(p.sentByScp.map((c) => c.AffectedSOPInstanceUID)).toEqual(['1.2.3', '1.2.3', '1.2.3', '1.2.4', '1.2.3']);
    // Action Type ID echoed; N-DELETE responses carry no data set (Table 10.3-12).
    expect(action.command.ActionTypeID).toBe(7);
    expect(action.dataset).toMatchObject({ PatientID: 'X' });
    expect(created.sopInstanceUid).toBe('1.2.4');
    expect(deleted.dataset).toBeNull();
    expect(seen.map((r) => r.typeId)).toEqual([undefined, undefined, 7, undefined, undefined]);
    expect(seen[0]!.attributes).toEqual([0x00100020]);
    expect(seen[1]!.dataset).toMatchObject({ PatientID: 'Y' });
  });

  it('N-CREATE without an instance UID: the SCP assigns one, the handler sees it, the response carries it', async () => {
    let assigned = '';
    const p = await pair(ae('SCP').addSupportedContext(MPPS), {
      nCreate: (r) => ((assigned = r.sopInstanceUid), { status: 0 }),
    }, ae('SCU').addRequestedContext(MPPS));
    const created = await p.scu.nCreate(MPPS, undefined, { PatientID: 'W' });
    await p.scu.release();
    expect(assigned).toMatch(/^2\.25\.\d+$/);
    expect(created.sopInstanceUid).toBe(assigned);
    expect(p.sentByScu[0]!.AffectedSOPInstanceUID).toBeUndefined();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
  });

  it('failure details: Error ID, Offending Element and Error Comment reach the SCU; a throwing handler gives 0x0110', async () => {
    const p = await pair(ae('SCP').addSupportedContext(MPPS), {
      nSet: () => ({ status: 0x0110, errorId: 0xa710, errorComment: 'may no longer be updated' }),
      nCreate: () => ({ status: 0x0120, offendingElement: [0x00400252] }),
      nGet: () => {
        throw new Error('boom');
      },
    }, ae('SCU').addRequestedContext(MPPS));
    const set = await p.scu.nSet(MPPS, '1.2', { PatientID: 'Y' });
    expect(set.command).toMatchObject({ Status: 0x0110, ErrorID: 0xa710, ErrorComment: 'may no longer be updated' });
    const create = await p.scu.nCreate(MPPS, '1.3', {});
    expect(create.command.OffendingElement).toEqual([0x00400252]);
    const get = await p.scu.nGet(MPPS, '1.2');
    expect(get.status).toBe(0x0110);
    expect(get.command.ErrorComment).toBe('boom');
    await p.scu.release();
    expect(problemsIn(p.sentByScp)).toEqual([]);
  });

  it('a meta SOP class context carries requests that name a component SOP class (PS3.4 H.3)', async () => {
    let context = '';
    const p = await pair(ae('PRINT').addSupportedContext(PRINT_META), {
      nCreate: (r, ctx) => ((context = ctx.abstractSyntax), { status: 0, sopInstanceUid: '1.2.9' }),
    }, ae('SCU').addRequestedContext(PRINT_META));
    const created = await p.scu.nCreate(FILM_SESSION, undefined, { NumberOfCopies: 1 }, { context: PRINT_META });
    await p.scu.release();
    expect(created.status).toBe(0);
    expect(created.command.AffectedSOPClassUID).toBe(FILM_SESSION);
    expect(context).toBe(PRINT_META);
    expect(created.sopInstanceUid).toBe('1.2.9');
  });
});

describe(`the requestor serves requests (associate(t, { handlers }), ${via()})`, () => {
  it('an N-EVENT-REPORT from the SCP on the same association reaches the SCU handler, and the SCU goes on calling', async () => {
    const events: NRequest[] = [];
    let scpReport: Promise<unknown> = Promise.resolve();
    const p = await pair(
      ae('SCP').addSupportedContext(UPS_PUSH).addSupportedContext(UPS_EVENT),
      {
        nCreate: (r, ctx) => ({
          status: 0,
          // The SCP reports after its response; the response to the report comes back to it, not to its serve loop.
          afterResponse: () => {
            scpReport = ctx.association.nEventReport(UPS_EVENT, r.sopInstanceUid, 5, { ProcedureStepState: 'SCHEDULED' });
          },
        }),
        nGet: (r) => ({ status: 0, dataset: { ProcedureStepState: 'SCHEDULED', SOPInstanceUID: r.sopInstanceUid } }),
      },
      ae('SCU').addRequestedContext(UPS_PUSH).addRequestedContext(UPS_EVENT),
      { handlers: { nEventReport: (r) => (events.push(r), { status: 0 }) } },
    );
    const created = await p.scu.nCreate(UPS_PUSH, '1.2.5', { ProcedureStepState: 'SCHEDULED' });
    expect(created.status).toBe(0);
    const got = await p.scu.nGet(UPS_PUSH, '1.2.5', []);
    expect(got.dataset).toMatchObject({ ProcedureStepState: 'SCHEDULED' });
    const report = (await scpReport) as { status: number; command: { EventTypeID?: number } };
    expect(report.status).toBe(0);
    expect(report.command.EventTypeID).toBe(5);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ sopClassUid: UPS_EVENT, sopInstanceUid: '1.2.5', typeId: 5 });
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
    expect(p.sentByScu.map((c) => c.CommandField)).toContain(CommandField['N-EVENT-REPORT-RSP']);
  });

  it('without handlers the SCU still gets its responses; an N-EVENT-REPORT waits in the queue', async () => {
    const p = await pair(ae('SCP').addSupportedContext(UPS_EVENT), {
      nGet: (_, ctx) => ({ status: 0, afterResponse: () => void ctx.association.nEventReport(UPS_EVENT, '1.2', 1, null).catch(() => undefined) }),
    }, ae('SCU').addRequestedContext(UPS_EVENT));
    expect((await p.scu.nGet(UPS_EVENT, '1.2')).status).toBe(0);
    const queued = await p.scu.dimse.getMsg({ timeoutMs: 2000 });
    expect(queued?.command.CommandField).toBe(CommandField['N-EVENT-REPORT-RQ']);
    await p.scu.abort();
  });

  it('role reversal: the requestor as SCP sends N-EVENT-REPORT and the acceptor receives it as SCU', async () => {
    const p = await pair(
      ae('SCP').addSupportedContext(UPS_EVENT, undefined, { scuRole: true, scpRole: true }),
      { nEventReport: () => ({ status: 0 }) },
      ae('SCU').addRequestedContext(UPS_EVENT, undefined, { scuRole: false, scpRole: true }),
    );
    const rsp = await p.scu.nEventReport(UPS_EVENT, '1.2', 1, null);
    expect(rsp.status).toBe(0);
    await p.scu.release();
  });

  it('an N-EVENT-REPORT from a peer that is not SCP on the context is refused (0x0122)', async () => {
    const p = await pair(ae('SCP').addSupportedContext(UPS_EVENT), { nEventReport: () => ({ status: 0 }) }, ae('SCU').addRequestedContext(UPS_EVENT));
    // Default roles: the requestor is SCU only, so findContext refuses locally; send it raw.
    expect(() => p.scu.findContext(UPS_EVENT, { as: 'scp' })).toThrow();
    const id = p.scu.acceptedContexts[0]!.id;
    await p.scu.send({ CommandField: CommandField['N-EVENT-REPORT-RQ'], MessageID: 9, CommandDataSetType: 0x0101, AffectedSOPClassUID: UPS_EVENT, AffectedSOPInstanceUID: '1.2', EventTypeID: 1 }, id);
    const rsp = await p.scu.dimse.expectMsg({ timeoutMs: 2000 });
    expect(rsp.command.Status).toBe(0x0122);
    await p.scu.release();
  });
});

describe('service statuses (describeStatus)', () => {
  it('knows print, UPS and media creation codes; MPPS uses 0x0110 + Error ID A710', () => {
    expect(describeStatus(0xc310, 'ups')).toMatch(/not in the 'IN PROGRESS' state/);
    expect(describeStatus(0xb304, 'ups')).toMatch(/already in the requested state of CANCELED/);
    expect(statusCategory(0xb304)).toBe('Warning');
    expect(describeStatus(0xc600, 'print')).toMatch(/no film box/);
    expect(describeStatus(0xb603, 'print')).toMatch(/empty page/);
    expect(describeStatus(0xa510, 'media-creation')).toMatch(/already been received/);
    expect(describeStatus(0x0110, 'ups')).toBe('Processing failure');
  });
});
