/**
 * RT Machine Verification (PS3.4 Annex DD) over memory pairs (and over TCP:
 * rt-machine-verification-tcp.test.ts): the TDS creates a Machine Verification instance, sets
 * the beam, requests verification and receives the Done N-EVENT-REPORT; NOT_VERIFIED, then
 * VERIFIED_OVR after an override (PS3.17 BBB.3.3); N-GET and N-DELETE; each failure status.
 */
import { describe, expect, it } from 'vitest';
import { ApplicationEntity } from '../../src/ae';
import { CommandField } from '../../src/dimse/types';
import type { Dataset } from '../../src/scu/types';
import {
  RT_CONVENTIONAL_MACHINE_VERIFICATION_SOP_CLASS as CONV,
  RT_ION_MACHINE_VERIFICATION_SOP_CLASS as ION,
  MACHINE_VERIFICATION_DONE,
  MACHINE_VERIFICATION_PENDING,
  RT_MACHINE_VERIFICATION_CREATE_NOT_ALLOWED,
  RT_MACHINE_VERIFICATION_SET_NOT_ALLOWED,
  RT_MACHINE_VERIFICATION_STATUS_MEANINGS,
  RtMachineVerificationStatus,
  createMachineVerification,
  deleteMachineVerification,
  getMachineVerification,
  machineVerificationResults,
  requestBeamVerification,
  rtMachineVerificationScp,
  setMachineVerification,
  type VerificationOutcome,
} from '../../src/services/rt-machine-verification';
import { tagForKeyword } from '../../src/services/n-attributes';
import { describeServiceStatus } from '../../src/services/service-statuses';
import { ae, pair, problemsIn, via } from './n-helpers';

const RT_PLAN = '1.2.840.10008.5.1.4.1.1.481.5';
const RT_ION_PLAN = '1.2.840.10008.5.1.4.1.1.481.8';
const plan = { sopClassUid: RT_PLAN, sopInstanceUid: '1.2.3.100', fractionGroupNumber: 1, patientId: 'RT-1' };
const beam: Dataset = {
  GeneralMachineVerificationSequence: [{ SpecifiedPrimaryMeterset: 120, SpecifiedTreatmentTime: 1.5 }],
  ConventionalMachineVerificationSequence: [{ ReferencedBeamNumber: 1 }],
};
const failedGantry: Dataset = { SelectorAttribute: '300A011E', SelectorValueNumber: 1 };

const scpAe = () => ae('MPV').addSupportedContext(CONV).addSupportedContext(ION);
const scuAe = () => ae('TDS').addRequestedContext(CONV).addRequestedContext(ION);

describe(`RT Machine Verification (${via()})`, () => {
  it('create, set, verify: Done NOT_VERIFIED, then VERIFIED_OVR after an override; N-GET reads the outcome; delete', async () => {
    const outcomes: VerificationOutcome[] = [
      { status: 'NOT_VERIFIED', failed: [failedGantry] },
      { status: 'VERIFIED_OVR', overridden: [failedGantry] },
    ];
    const verified: Dataset[] = [];
    const reports: Array<number | undefined> = [];
    const mpv = rtMachineVerificationScp({
      verify: (instance) => (verified.push(JSON.parse(JSON.stringify(instance))), outcomes.shift()!),
      onReport: (_, __, r) => reports.push(r.status),
    });
    const results = machineVerificationResults();
    const p = await pair(scpAe(), mpv, scuAe(), { handlers: results.handlers });

    const created = await createMachineVerification(p.scu, CONV, plan);
    expect(created.status).toBe(0);
    const uid = created.sopInstanceUid!;
    expect(mpv.store.get(uid)).toMatchObject({ PatientID: 'RT-1', ReferencedFractionGroupNumber: 1, SOPClassUID: CONV });
    expect((await setMachineVerification(p.scu, CONV, uid, beam)).status).toBe(0);

    expect((await requestBeamVerification(p.scu, CONV, uid)).status).toBe(0);
    const first = await results.wait(uid, { timeoutMs: 5000 });
    expect(first.status).toBe('NOT_VERIFIED');
    expect(first.failed).toEqual([expect.objectContaining({ SelectorValueNumber: 1 })]);
    expect(first.overridden).toEqual([]);
    const got = await getMachineVerification(p.scu, CONV, uid, [0x3008002c, 0x00741048]);
    expect(got.status).toBe(0);
    expect(got.dataset).toMatchObject({ TreatmentVerificationStatus: 'NOT_VERIFIED', SOPInstanceUID: uid });
    expect(got.dataset!.FailedAttributesSequence).toHaveLength(1);

    // The operator overrides on the MPV; the TDS asks again (PS3.17 BBB.3.3 steps 6-8).
    expect((await requestBeamVerification(p.scu, CONV, uid)).status).toBe(0);
    const second = await results.wait(uid, { timeoutMs: 5000 });
    expect(second).toMatchObject({ status: 'VERIFIED_OVR', failed: [] });
    expect(second.overridden).toHaveLength(1);
    expect(verified[0]).toMatchObject({ ConventionalMachineVerificationSequence: [{ ReferencedBeamNumber: 1 }] });

    expect((await deleteMachineVerification(p.scu, CONV, uid)).status).toBe(0);
    expect((await getMachineVerification(p.scu, CONV, uid)).status).toBe(RtMachineVerificationStatus.InstanceNotFound);
    await p.scu.release();
    expect(reports).toEqual([0, 0]);
    const events = p.sentByScp.filter((c) => c.CommandField === CommandField['N-EVENT-REPORT-RQ']);
    // Done is Event Type ID 2 (PS3.4 Table DD.3.2.5-1; 1 is Pending).
    expect([MACHINE_VERIFICATION_PENDING, MACHINE_VERIFICATION_DONE]).toEqual([1, 2]);
    expect(events.map((c) => [c.AffectedSOPClassUID, c.AffectedSOPInstanceUID, c.EventTypeID])).toEqual([
      [CONV, uid, 2],
      [CONV, uid, 2],
    ]);
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
  });

  it('failures: unknown plan 0xC227, missing plan 0x0120, N-SET of create-only attributes 0x0106, beam 0xC224, unknown instance 0xC112 (N-GET, N-ACTION) or 0x0112 (N-SET, N-DELETE), action 2 0x0123', async () => {
    const mpv = rtMachineVerificationScp({
      checkPlan: (p) => (p.sopInstanceUid === '1.2.3.404' ? RtMachineVerificationStatus.PlanNotFound : p.fractionGroupNumber === 9 ? 0xc221 : undefined),
      checkParameters: (m) => ((m.ConventionalMachineVerificationSequence as Dataset[] | undefined)?.[0]?.ReferencedBeamNumber === 7 ? 0xc224 : undefined),
      verify: () => ({ status: 'VERIFIED' }),
    });
    const p = await pair(scpAe(), mpv, scuAe(), { handlers: machineVerificationResults().handlers });
    const unknownPlan = await createMachineVerification(p.scu, CONV, { ...plan, sopInstanceUid: '1.2.3.404' });
    expect([unknownPlan.status, unknownPlan.category]).toEqual([0xc227, 'Failure']);
    expect((await createMachineVerification(p.scu, CONV, { ...plan, fractionGroupNumber: 9 })).status).toBe(0xc221);
    const noPlan = await p.scu.nCreate(CONV, '1.2.3.5', { PatientID: 'RT-1' });
    // PS3.7 C.5.13: the Attribute Identifier List names the missing attribute.
    expect([noPlan.status, noPlan.command.AttributeIdentifierList, noPlan.command.OffendingElement]).toEqual([0x0120, [0x300c0002], [0x300c0002]]);
    const noPatient = await p.scu.nCreate(CONV, '1.2.3.6', { ReferencedRTPlanSequence: [{ ReferencedSOPClassUID: RT_PLAN, ReferencedSOPInstanceUID: '1.2.3.100' }] });
    expect([noPatient.status, noPatient.command.AttributeIdentifierList]).toEqual([0x0120, [0x00100020]]);

    const uid = (await createMachineVerification(p.scu, CONV, plan, { sopInstanceUid: '1.2.3.7' })).sopInstanceUid!;
    expect(uid).toBe('1.2.3.7');
    expect((await createMachineVerification(p.scu, CONV, plan, { sopInstanceUid: '1.2.3.7' })).status).toBe(0x0111);
    const createOnly = await setMachineVerification(p.scu, CONV, uid, { PatientID: 'other' });
    expect([createOnly.status, createOnly.command.OffendingElement]).toEqual([0x0106, [0x00100020]]);
    expect((await setMachineVerification(p.scu, CONV, uid, { ConventionalMachineVerificationSequence: [{ ReferencedBeamNumber: 7 }] })).status).toBe(0xc224);
    // C112 belongs to N-GET and N-ACTION only (PS3.4 DD.3.2.2.3, DD.3.2.3.2); N-SET (DD.3.2.1.2) and
    // N-DELETE (DD.3.2.4.2) answer an unknown instance with PS3.7's No such SOP Instance.
    expect((await setMachineVerification(p.scu, CONV, '1.2.3.999', beam)).status).toBe(0x0112);
    expect((await requestBeamVerification(p.scu, CONV, '1.2.3.999')).status).toBe(0xc112);
    expect((await p.scu.nAction(CONV, uid, 2, null)).status).toBe(0x0123);
    expect((await deleteMachineVerification(p.scu, CONV, '1.2.3.999')).status).toBe(0x0112);
    // The instance belongs to the conventional class: asking the ion class for it finds nothing.
    expect((await getMachineVerification(p.scu, ION, uid)).status).toBe(0xc112);
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
    expect(describeServiceStatus(0xc227, RT_MACHINE_VERIFICATION_STATUS_MEANINGS)).toMatch(/Referenced RT Plan not found/);
  });

  it('the SCU acknowledges a Pending report (Event Type ID 1) and keeps waiting for Done (PS3.4 DD.3.2.5.3); another event type is 0x0113', async () => {
    const results = machineVerificationResults();
    const p = await pair(scpAe(), rtMachineVerificationScp({ verify: () => ({ status: 'VERIFIED' }) }), scuAe(), { handlers: results.handlers });
    const mpv = await p.scp;
    const waiting = results.wait('1.2.3.50', { timeoutMs: 5000 });
    expect((await mpv.nEventReport(CONV, '1.2.3.50', MACHINE_VERIFICATION_PENDING, null)).status).toBe(0);
    expect((await mpv.nEventReport(CONV, '1.2.3.50', 3, null)).status).toBe(0x0113);
    expect((await mpv.nEventReport(CONV, '1.2.3.50', MACHINE_VERIFICATION_DONE, { TreatmentVerificationStatus: 'VERIFIED' })).status).toBe(0);
    expect(await waiting).toEqual({ status: 'VERIFIED', failed: [], overridden: [] });
    await p.scu.release();
  });

  it('an N-SET naming another SOP Class or Instance UID is 0x0106 and the instance stays reachable', async () => {
    const mpv = rtMachineVerificationScp({ verify: () => ({ status: 'VERIFIED' }) });
    const p = await pair(scpAe(), mpv, scuAe(), { handlers: machineVerificationResults().handlers });
    const uid = (await createMachineVerification(p.scu, CONV, plan, { sopInstanceUid: '1.2.3.60' })).sopInstanceUid!;
    const renamed = await setMachineVerification(p.scu, CONV, uid, { ...beam, SOPClassUID: ION, SOPInstanceUID: '1.1.1' });
    expect([renamed.status, renamed.command.OffendingElement]).toEqual([0x0106, [0x00080016, 0x00080018]]);
    expect((await getMachineVerification(p.scu, CONV, uid)).status).toBe(0);
    expect(mpv.store.get(uid)).toMatchObject({ SOPClassUID: CONV, SOPInstanceUID: uid });
    expect((await setMachineVerification(p.scu, CONV, uid, { ...beam, SOPClassUID: CONV, SOPInstanceUID: uid })).status).toBe(0);
    await p.scu.release();
  });

  it('an N-SET of what Table DD.3.2.1-1 marks "Not allowed" (Failed / Overridden Parameters Sequence, Issuer of Patient ID, ...) is 0x0106 naming it; the outcome stays', async () => {
    const mpv = rtMachineVerificationScp({ verify: () => ({ status: 'NOT_VERIFIED', failed: [failedGantry] }) });
    const results = machineVerificationResults();
    const p = await pair(scpAe(), mpv, scuAe(), { handlers: results.handlers });
    const uid = (await createMachineVerification(p.scu, CONV, plan, { sopInstanceUid: '1.2.3.70' })).sopInstanceUid!;
    expect((await setMachineVerification(p.scu, CONV, uid, beam)).status).toBe(0);
    expect((await requestBeamVerification(p.scu, CONV, uid)).status).toBe(0);
    expect((await results.wait(uid, { timeoutMs: 5000 })).status).toBe('NOT_VERIFIED');
    // The TDS cannot clear the failure or override it itself: the MPV owns the outcome.
    const retouched = { ...beam, GeneralMachineVerificationSequence: [{ SpecifiedPrimaryMeterset: 99 }] };
    const cleared = await setMachineVerification(p.scu, CONV, uid, { ...retouched, FailedAttributesSequence: [], OverriddenAttributesSequence: [failedGantry] });
    expect([cleared.status, cleared.command.OffendingElement]).toEqual([0x0106, [0x00741048, 0x0074104a]]);
    expect(cleared.command.ErrorComment).toMatch(/not allowed/);
    const issuer = await setMachineVerification(p.scu, CONV, uid, { ...retouched, IssuerOfPatientID: 'OTHER' });
    expect([issuer.status, issuer.command.OffendingElement]).toEqual([0x0106, [0x00100021]]);
    const got = await getMachineVerification(p.scu, CONV, uid);
    expect(got.dataset).toMatchObject({ TreatmentVerificationStatus: 'NOT_VERIFIED', FailedAttributesSequence: [expect.objectContaining({ SelectorValueNumber: 1 })], OverriddenAttributesSequence: [] });
    expect(got.dataset).toMatchObject({ GeneralMachineVerificationSequence: [{ SpecifiedPrimaryMeterset: 120 }] });
    // New parameters alone are what an N-SET is for; they clear the old outcome.
    expect((await setMachineVerification(p.scu, CONV, uid, retouched)).status).toBe(0);
    expect(mpv.store.get(uid)).not.toHaveProperty('TreatmentVerificationStatus');
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
    expect(RT_MACHINE_VERIFICATION_SET_NOT_ALLOWED.every((k) => tagForKeyword(k) !== undefined)).toBe(true);
  });

  it('an N-CREATE carrying what Table DD.3.2.1-1 marks "Not allowed" for it (Treatment Verification Status, Failed / Overridden Parameters Sequences) is 0x0106 naming them; nothing is created', async () => {
    const plans: string[] = [];
    const mpv = rtMachineVerificationScp({ checkPlan: (p) => void plans.push(p.sopInstanceUid), verify: () => ({ status: 'VERIFIED' }) });
    const p = await pair(scpAe(), mpv, scuAe(), { handlers: machineVerificationResults().handlers });
    // Only the MPV sets the outcome (DD.3.2.2.4): a TDS cannot create an instance already VERIFIED.
    const verified = await createMachineVerification(p.scu, CONV, plan, { sopInstanceUid: '1.2.3.80', attributes: { TreatmentVerificationStatus: 'VERIFIED' } });
    expect([verified.status, verified.command.OffendingElement, verified.command.AttributeIdentifierList]).toEqual([0x0106, [0x3008002c], undefined]);
    expect(verified.command.ErrorComment).toMatch(/not allowed in N-CREATE/);
    const items = { FailedAttributesSequence: [], OverriddenAttributesSequence: [failedGantry] };
    const overridden = await createMachineVerification(p.scu, ION, { ...plan, sopClassUid: RT_ION_PLAN }, { sopInstanceUid: '1.2.3.80', attributes: items });
    expect([overridden.status, overridden.command.OffendingElement]).toEqual([0x0106, [0x00741048, 0x0074104a]]);
    expect(mpv.store.has('1.2.3.80')).toBe(false);
    expect(plans).toEqual([]);
    // Without them the same UID is created (nothing was before) and has no outcome until verified.
    expect((await createMachineVerification(p.scu, CONV, plan, { sopInstanceUid: '1.2.3.80' })).status).toBe(0);
    expect(mpv.store.get('1.2.3.80')).not.toHaveProperty('TreatmentVerificationStatus');
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
    expect(RT_MACHINE_VERIFICATION_CREATE_NOT_ALLOWED.map((k) => tagForKeyword(k))).toEqual([0x3008002c, 0x00741048, 0x0074104a]);
  });

  it('Done follows DD.3.2.2.4 whatever verify() returns: NOT_VERIFIED with no items gets the general Failed Parameters item; items of the other status are dropped', async () => {
    const outcomes: VerificationOutcome[] = [
      { status: 'NOT_VERIFIED' },
      { status: 'NOT_VERIFIED', failed: [] },
      { status: 'VERIFIED', failed: [failedGantry], overridden: [failedGantry] },
      { status: 'VERIFIED_OVR', failed: [failedGantry], overridden: [failedGantry] },
    ];
    const reported: VerificationOutcome[] = [];
    const mpv = rtMachineVerificationScp({ verify: () => outcomes.shift()!, onReport: (_, o) => void reported.push(o) });
    const results = machineVerificationResults();
    const p = await pair(scpAe(), mpv, scuAe(), { handlers: results.handlers });
    const uid = (await createMachineVerification(p.scu, CONV, plan)).sopInstanceUid!;
    const unverified = { SelectorAttribute: 0x00741042, SelectorValueNumber: 0 };
    const done: VerificationOutcome[] = [];
    for (let i = 0; i < 4; i++) {
      expect((await requestBeamVerification(p.scu, CONV, uid)).status).toBe(0);
      done.push(await results.wait(uid, { timeoutMs: 5000 }));
    }
    expect(done).toEqual([
      { status: 'NOT_VERIFIED', failed: [unverified], overridden: [] },
      { status: 'NOT_VERIFIED', failed: [unverified], overridden: [] },
      { status: 'VERIFIED', failed: [], overridden: [] },
      { status: 'VERIFIED_OVR', failed: [], overridden: [expect.objectContaining({ SelectorValueNumber: 1 })] },
    ]);
    // N-GET and onReport (told once the TDS answered, so after the release) see what was sent.
    expect((await getMachineVerification(p.scu, CONV, uid)).dataset).toMatchObject({ TreatmentVerificationStatus: 'VERIFIED_OVR', FailedAttributesSequence: [] });
    await p.scu.release();
    expect(reported.map((o) => [o.status, o.failed?.length, o.overridden?.length])).toEqual([
      ['NOT_VERIFIED', 1, 0], ['NOT_VERIFIED', 1, 0], ['VERIFIED', 0, 0], ['VERIFIED_OVR', 0, 1],
    ]);
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
  });

  it('a verify() that throws still sends Done, NOT_VERIFIED with one Failed Parameters item (the TDS was told verification started); onReport hears it, the error is logged', async () => {
    const logged: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (m: string) => void logged.push(m) };
    const reports: Array<[string, number | undefined]> = [];
    const mpv = rtMachineVerificationScp({
      verify: () => Promise.reject(new Error('plan database unreachable')),
      onReport: (_, outcome, r) => reports.push([outcome.status, r.status]),
    });
    const results = machineVerificationResults();
    const p = await pair(new ApplicationEntity({ aeTitle: 'MPV', logger }).addSupportedContext(CONV), mpv, scuAe(), { handlers: results.handlers });
    const uid = (await createMachineVerification(p.scu, CONV, plan)).sopInstanceUid!;
    expect((await setMachineVerification(p.scu, CONV, uid, beam)).status).toBe(0);
    expect((await requestBeamVerification(p.scu, CONV, uid)).status).toBe(0);
    // NOT_VERIFIED needs at least one Failed Parameters item (PS3.4 DD.3.2.2.4): the General Machine
    // Verification Sequence (0074,1042), any value (Selector Value Number 0, PS3.3 10.17).
    const unverified = { SelectorAttribute: 0x00741042, SelectorValueNumber: 0 };
    expect(await results.wait(uid, { timeoutMs: 5000 })).toEqual({ status: 'NOT_VERIFIED', failed: [unverified], overridden: [] });
    const got = await getMachineVerification(p.scu, CONV, uid, [0x3008002c, 0x00741048]);
    expect(got.dataset).toMatchObject({ TreatmentVerificationStatus: 'NOT_VERIFIED', FailedAttributesSequence: [unverified] });
    await p.scu.release();
    expect(reports).toEqual([['NOT_VERIFIED', 0]]);
    expect(logged).toEqual([expect.stringContaining('plan database unreachable')]);
  });

  it('RT Ion Machine Verification: created with an empty Ion Machine Verification Sequence, VERIFIED', async () => {
    const mpv = rtMachineVerificationScp({ verify: () => ({ status: 'VERIFIED' }) });
    const results = machineVerificationResults();
    const p = await pair(scpAe(), mpv, scuAe(), { handlers: results.handlers });
    const uid = (await createMachineVerification(p.scu, ION, { ...plan, sopClassUid: RT_ION_PLAN })).sopInstanceUid!;
    expect(mpv.store.get(uid)).toMatchObject({ IonMachineVerificationSequence: [], GeneralMachineVerificationSequence: [] });
    expect(mpv.store.get(uid)).not.toHaveProperty('ConventionalMachineVerificationSequence');
    expect((await requestBeamVerification(p.scu, ION, uid)).status).toBe(0);
    expect(await results.wait(uid, { timeoutMs: 5000 })).toEqual({ status: 'VERIFIED', failed: [], overridden: [] });
    await p.scu.release();
  });
});
