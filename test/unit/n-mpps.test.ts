/**
 * MPPS (PS3.4 F.7/F.8) and Instance Availability Notification (PS3.4 R) over memory pairs.
 */
import { describe, expect, it } from 'vitest';
import { describeStatus } from '../../src/dimse/status';
import { INSTANCE_AVAILABILITY_SOP_CLASS as IAN, instanceAvailabilityScp, notifyInstanceAvailability } from '../../src/services/instance-availability';
import {
  MPPS_CREATE_REQUIRED, MPPS_FINAL_STATE, MPPS_FINAL_STATE_TYPE2, MPPS_NO_LONGER_UPDATABLE, MPPS_RETRIEVE_SOP_CLASS, MPPS_SET_NOT_ALLOWED, MPPS_SOP_CLASS as MPPS, mppsScp,
} from '../../src/services/mpps';
import { tagForKeyword } from '../../src/services/n-attributes';
import type { Dataset } from '../../src/scu/types';
import { ae, pair, problemsIn, via } from './n-helpers';

/** An N-CREATE with the Type 1 attributes of Table F.7.2-1 (and some Type 2 ones). */
const inProgress: Dataset = {
  ScheduledStepAttributesSequence: [{ StudyInstanceUID: '1.2.9', AccessionNumber: 'A1', ReferencedStudySequence: [] }],
  PatientName: 'DOE^J',
  PatientID: 'P1',
  PerformedProcedureStepID: 'PPS1',
  PerformedStationAETitle: 'CT',
  PerformedProcedureStepStartDate: '20250101',
  PerformedProcedureStepStartTime: '110000',
  PerformedProcedureStepStatus: 'IN PROGRESS',
  Modality: 'CT',
};
/** The Final State attributes of Table F.7.2-1 (Type 1), as a modality sends them with COMPLETED. */
const finished = {
  PerformedProcedureStepEndDate: '20250101',
  PerformedProcedureStepEndTime: '120000',
  PerformedSeriesSequence: [{ ProtocolName: 'HEAD', SeriesInstanceUID: '1.2.3.4' }],
};

describe(`MPPS (${via()})`, () => {
  const scp = () => ae('RIS').addSupportedContext(MPPS).addSupportedContext(MPPS_RETRIEVE_SOP_CLASS);
  const scu = () => ae('CT').addRequestedContext(MPPS).addRequestedContext(MPPS_RETRIEVE_SOP_CLASS);

  it('IN PROGRESS → COMPLETED, then no more updates (0x0110 + Error ID A710); N-GET reads it back', async () => {
    const created: string[] = [];
    const handlers = mppsScp({ onCreate: (_, uid) => void created.push(uid) });
    const p = await pair(scp(), handlers, scu());
    const create = await p.scu.nCreate(MPPS, undefined, inProgress);
    expect(create.status).toBe(0);
    const uid = create.sopInstanceUid!;
    expect(created).toEqual([uid]);
    expect((await p.scu.nSet(MPPS, uid, { PerformedProcedureStepDescription: 'head' })).status).toBe(0);
    expect((await p.scu.nSet(MPPS, uid, { PerformedProcedureStepStatus: 'COMPLETED', ...finished })).status).toBe(0);
    const late = await p.scu.nSet(MPPS, uid, { PerformedProcedureStepStatus: 'DISCONTINUED' });
    expect(late.status).toBe(0x0110);
    expect(late.command.ErrorID).toBe(MPPS_NO_LONGER_UPDATABLE);
    expect(late.command.ErrorComment).toMatch(/may no longer be updated/);
    const got = await p.scu.nGet(MPPS_RETRIEVE_SOP_CLASS, uid, [0x00400252, 0x00400254]);
    expect(got.status).toBe(0);
    expect(got.dataset).toMatchObject({ PerformedProcedureStepStatus: 'COMPLETED', PerformedProcedureStepDescription: 'head', SOPInstanceUID: uid });
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
    expect(handlers.store.get(uid)).toMatchObject({ PerformedProcedureStepEndTime: '120000' });
  });

  it('invalid creates and sets: not IN PROGRESS 0x0106, duplicate 0x0111, unknown instance 0x0112, bad status value 0x0106', async () => {
    const p = await pair(scp(), mppsScp(), scu());
    const notInProgress = await p.scu.nCreate(MPPS, '1.2.1', { ...inProgress, PerformedProcedureStepStatus: 'COMPLETED' });
    expect(notInProgress.status).toBe(0x0106);
    expect(notInProgress.command.OffendingElement).toEqual([0x00400252]);
    expect((await p.scu.nCreate(MPPS, '1.2.2', inProgress)).status).toBe(0);
    expect((await p.scu.nCreate(MPPS, '1.2.2', inProgress)).status).toBe(0x0111);
    expect((await p.scu.nSet(MPPS, '1.2.404', { PerformedProcedureStepStatus: 'COMPLETED' })).status).toBe(0x0112);
    expect((await p.scu.nSet(MPPS, '1.2.2', { PerformedProcedureStepStatus: 'SCHEDULED' })).status).toBe(0x0106);
    // DISCONTINUED is the other final state.
    expect((await p.scu.nSet(MPPS, '1.2.2', { PerformedProcedureStepStatus: 'DISCONTINUED', ...finished })).status).toBe(0);
    expect((await p.scu.nSet(MPPS, '1.2.2', { PerformedProcedureStepDescription: 'x' })).status).toBe(0x0110);
    await p.scu.release();
    expect(describeStatus(0x0110, 'N-SET')).toBe('Processing failure');
  });

  it('COMPLETED / DISCONTINUED need the Final State attributes (0x0121, the Attribute Identifier List naming them, nothing changed); earlier N-SETs count', async () => {
    const handlers = mppsScp();
    const p = await pair(scp(), handlers, scu());
    expect((await p.scu.nCreate(MPPS, '1.4.1', inProgress)).status).toBe(0);
    const bare = await p.scu.nSet(MPPS, '1.4.1', { PerformedProcedureStepStatus: 'COMPLETED' });
    expect([bare.status, bare.command.ErrorComment]).toEqual([0x0121, 'COMPLETED needs (0040,0250)']);
    expect([bare.command.AttributeIdentifierList, bare.command.OffendingElement]).toEqual([[0x00400250, 0x00400251, 0x00400340], [0x00400250, 0x00400251, 0x00400340]]);
    // A series item without Protocol Name: offending (0018,1030), inside the sequence.
    const noProtocol = { ...finished, PerformedSeriesSequence: [{ SeriesInstanceUID: '1.2.3.4' }] };
    const nested = await p.scu.nSet(MPPS, '1.4.1', { PerformedProcedureStepStatus: 'DISCONTINUED', ...noProtocol });
    expect([nested.status, nested.command.ErrorComment, nested.command.AttributeIdentifierList]).toEqual([0x0121, 'DISCONTINUED needs (0040,0340)>(0018,1030)', [0x00181030]]);
    // Refused N-SETs changed nothing: still IN PROGRESS, no end date.
    expect(handlers.store.get('1.4.1')).toMatchObject({ PerformedProcedureStepStatus: 'IN PROGRESS' });
    expect(handlers.store.get('1.4.1')!.PerformedProcedureStepEndDate).toBeUndefined();
    // Attributes set by an earlier N-SET count; an empty series sequence does not.
    expect((await p.scu.nSet(MPPS, '1.4.1', { ...finished, PerformedSeriesSequence: [] })).status).toBe(0);
    expect((await p.scu.nSet(MPPS, '1.4.1', { PerformedProcedureStepStatus: 'COMPLETED' })).command.ErrorComment).toBe('COMPLETED needs (0040,0340)');
    expect((await p.scu.nSet(MPPS, '1.4.1', { PerformedSeriesSequence: finished.PerformedSeriesSequence })).status).toBe(0);
    expect((await p.scu.nSet(MPPS, '1.4.1', { PerformedProcedureStepStatus: 'COMPLETED' })).status).toBe(0);
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
  });

  it('N-CREATE needs the Type 1 attributes of Table F.7.2-1: absent 0x0120, empty 0x0121, each named in the Attribute Identifier List and in Offending Element; nothing is created', async () => {
    const handlers = mppsScp();
    const p = await pair(scp(), handlers, scu());
    const { Modality: _m, PerformedStationAETitle: _ae, ...twoMissing } = inProgress;
    const absent = await p.scu.nCreate(MPPS, '1.8.1', twoMissing);
    expect([absent.status, absent.command.AttributeIdentifierList, absent.command.ErrorComment]).toEqual([0x0120, [0x00400241, 0x00080060], 'N-CREATE needs (0040,0241)']);
    // Offending Element names them too (as before the list was sent).
    expect(absent.command.OffendingElement).toEqual([0x00400241, 0x00080060]);
    const { PerformedProcedureStepStatus: _s, ...noStatus } = inProgress;
    expect((await p.scu.nCreate(MPPS, '1.8.1', noStatus)).command.AttributeIdentifierList).toEqual([0x00400252]);
    const empty = await p.scu.nCreate(MPPS, '1.8.1', { ...inProgress, PerformedProcedureStepStartTime: '', ScheduledStepAttributesSequence: [] });
    expect([empty.status, empty.command.AttributeIdentifierList]).toEqual([0x0121, [0x00400270, 0x00400245]]);
    // Inside each item: Study Instance UID of a Scheduled Step Attributes item, Series Instance UID of a series.
    const noStudy = await p.scu.nCreate(MPPS, '1.8.1', { ...inProgress, ScheduledStepAttributesSequence: [{ AccessionNumber: 'A1' }] });
    expect([noStudy.status, noStudy.command.AttributeIdentifierList, noStudy.command.ErrorComment]).toEqual([0x0120, [0x0020000d], 'N-CREATE needs (0040,0270)>(0020,000D)']);
    const emptySeries = await p.scu.nCreate(MPPS, '1.8.1', { ...inProgress, PerformedSeriesSequence: [{ ProtocolName: 'HEAD', SeriesInstanceUID: '' }] });
    expect([emptySeries.status, emptySeries.command.AttributeIdentifierList]).toEqual([0x0121, [0x0020000e]]);
    expect(handlers.store.size).toBe(0);
    expect((await p.scu.nCreate(MPPS, '1.8.1', inProgress)).status).toBe(0);
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
    expect(MPPS_CREATE_REQUIRED.filter((r) => r.path.length === 1).map((r) => r.path[0])).toEqual([
      'ScheduledStepAttributesSequence', 'PerformedProcedureStepID', 'PerformedStationAETitle', 'PerformedProcedureStepStartDate',
      'PerformedProcedureStepStartTime', 'PerformedProcedureStepStatus', 'Modality',
    ]);
  });

  it('N-CREATE checks the items of the code sequences of Table F.7.2-1: Code Meaning where the macro makes it Type 1, one of Code Value / Long / URN Code Value, Coding Scheme Designator with a Code Value', async () => {
    const handlers = mppsScp();
    const p = await pair(scp(), handlers, scu());
    const code = { CodeValue: 'P1', CodingSchemeDesignator: '99LOCAL', CodeMeaning: 'Head routine' };
    const withStep = (item: Dataset) => ({ ...inProgress, ScheduledStepAttributesSequence: [{ StudyInstanceUID: '1.2.9', ...item }] });
    // Scheduled Protocol Code Sequence (Table F.7.2-1a): Code Meaning is Type 1.
    const { CodeMeaning: _m, ...meaningless } = code;
    const noMeaning = await p.scu.nCreate(MPPS, '1.8.4', withStep({ ScheduledProtocolCodeSequence: [meaningless] }));
    expect([noMeaning.status, noMeaning.command.AttributeIdentifierList, noMeaning.command.ErrorComment]).toEqual([0x0120, [0x00080104], 'N-CREATE needs (0040,0270)>(0040,0008)>(0008,0104)']);
    const emptyMeaning = await p.scu.nCreate(MPPS, '1.8.4', withStep({ RequestedProcedureCodeSequence: [{ ...code, CodeMeaning: '' }] }));
    expect([emptyMeaning.status, emptyMeaning.command.AttributeIdentifierList]).toEqual([0x0121, [0x00080104]]);
    // No code value of any kind; a Long Code Value without its Coding Scheme Designator.
    const noValue = await p.scu.nCreate(MPPS, '1.8.4', { ...inProgress, ReasonForPerformedProcedureCodeSequence: [{ CodeMeaning: 'why' }] });
    expect([noValue.status, noValue.command.AttributeIdentifierList]).toEqual([0x0120, [0x00080100]]);
    const noScheme = await p.scu.nCreate(MPPS, '1.8.4', { ...inProgress, PerformedProtocolCodeSequence: [{ LongCodeValue: 'A-CODE-LONGER-THAN-16' }] });
    expect([noScheme.status, noScheme.command.AttributeIdentifierList]).toEqual([0x0120, [0x00080102]]);
    // The items of an Equivalent Code Sequence too.
    const equivalent = [{ CodeValue: '2', CodingSchemeDesignator: 'SCT' }];
    const deep = await p.scu.nCreate(MPPS, '1.8.4', { ...inProgress, PerformedProcedureStepDiscontinuationReasonCodeSequence: [{ ...code, EquivalentCodeSequence: equivalent }] });
    expect([deep.status, deep.command.ErrorComment]).toEqual([0x0120, 'N-CREATE needs (0040,0281)>(0008,0121)>(0008,0104)']);
    expect(handlers.store.size).toBe(0);
    // Accepted: Code Meaning optional in Procedure / Performed Protocol Code Sequence (-1e), a URN
    // Code Value needs no designator, empty sequences have no items to check.
    const fine = await p.scu.nCreate(MPPS, '1.8.4', {
      ...withStep({ ScheduledProtocolCodeSequence: [code], RequestedProcedureCodeSequence: [] }),
      ProcedureCodeSequence: [meaningless],
      PerformedProtocolCodeSequence: [{ LongCodeValue: 'A-CODE-LONGER-THAN-16', CodingSchemeDesignator: '99LOCAL' }],
      ReasonForPerformedProcedureCodeSequence: [{ URNCodeValue: 'http://snomed.info/id/1234', CodeMeaning: 'why' }],
      PerformedProcedureStepDiscontinuationReasonCodeSequence: [],
    });
    expect(fine.status).toBe(0);
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
  });

  it('N-CREATE missing Code Value in two code sequences names (0008,0100) once in the Attribute Identifier List and Offending Element', async () => {
    const handlers = mppsScp();
    const p = await pair(scp(), handlers, scu());
    const noValue = [{ CodingSchemeDesignator: '99LOCAL', CodeMeaning: 'Head routine' }];
    const twice = await p.scu.nCreate(MPPS, '1.8.5', { ...inProgress, ProcedureCodeSequence: noValue, PerformedProtocolCodeSequence: noValue });
    expect([twice.status, twice.command.ErrorComment]).toEqual([0x0120, 'N-CREATE needs (0008,1032)>(0008,0100)']);
    expect([twice.command.AttributeIdentifierList, twice.command.OffendingElement]).toEqual([[0x00080100], [0x00080100]]);
    // First-seen order: Code Value, then Modality, each once.
    const { Modality: _m, ...noModality } = inProgress;
    const mixed = await p.scu.nCreate(MPPS, '1.8.5', { ...noModality, ProcedureCodeSequence: noValue, PerformedProtocolCodeSequence: noValue });
    expect(mixed.command.AttributeIdentifierList).toEqual([0x00080060, 0x00080100]);
    expect(handlers.store.size).toBe(0);
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
  });

  it('`create: []` turns the N-CREATE attribute check off; IN PROGRESS is still required (0x0106)', async () => {
    const p = await pair(scp(), mppsScp({ create: [] }), scu());
    expect((await p.scu.nCreate(MPPS, '1.8.2', { PerformedProcedureStepStatus: 'IN PROGRESS' })).status).toBe(0);
    expect((await p.scu.nCreate(MPPS, '1.8.3', { PerformedProcedureStepStatus: 'COMPLETED' })).status).toBe(0x0106);
    await p.scu.release();
  });

  it('N-SET of an attribute Table F.7.2-1 marks "Not allowed" (Patient\'s Name, Modality, ...) is 0x0106 naming it; nothing changes', async () => {
    const handlers = mppsScp();
    const p = await pair(scp(), handlers, scu());
    await p.scu.nCreate(MPPS, '1.9.1', inProgress);
    const renamed = await p.scu.nSet(MPPS, '1.9.1', { PatientName: 'ROE^R', Modality: 'MR', PerformedProcedureStepDescription: 'x' });
    expect([renamed.status, renamed.command.OffendingElement]).toEqual([0x0106, [0x00100010, 0x00080060]]);
    expect(renamed.command.ErrorComment).toMatch(/not allowed/);
    expect(handlers.store.get('1.9.1')).toMatchObject({ PatientName: [{ Alphabetic: 'DOE^J' }], Modality: 'CT' });
    expect(handlers.store.get('1.9.1')!.PerformedProcedureStepDescription).toBeUndefined();
    const restarted = await p.scu.nSet(MPPS, '1.9.1', { PerformedProcedureStepStartDate: '20250102', ScheduledStepAttributesSequence: [] });
    expect([restarted.status, restarted.command.OffendingElement]).toEqual([0x0106, [0x00400270, 0x00400244]]);
    // What the table allows to be set still is; the completed step keeps its creation attributes.
    expect((await p.scu.nSet(MPPS, '1.9.1', { PerformedProcedureStepDescription: 'head', PerformedProcedureStepStatus: 'COMPLETED', ...finished })).status).toBe(0);
    expect(handlers.store.get('1.9.1')).toMatchObject({ PatientName: [{ Alphabetic: 'DOE^J' }], PerformedProcedureStepDescription: 'head', PerformedProcedureStepStatus: 'COMPLETED' });
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
    expect(MPPS_SET_NOT_ALLOWED.every((k) => tagForKeyword(k) !== undefined)).toBe(true);
  });

  it('the strict table: Type 2 attributes of each series item must be present (may be empty)', async () => {
    const p = await pair(scp(), mppsScp({ finalState: [...MPPS_FINAL_STATE, ...MPPS_FINAL_STATE_TYPE2] }), scu());
    await p.scu.nCreate(MPPS, '1.5.1', inProgress);
    const loose = await p.scu.nSet(MPPS, '1.5.1', { PerformedProcedureStepStatus: 'COMPLETED', ...finished });
    expect([loose.status, loose.command.ErrorComment]).toEqual([0x0121, 'COMPLETED needs (0040,0340)>(0008,1050)']);
    const item = { ...finished.PerformedSeriesSequence[0], PerformingPhysicianName: '', OperatorsName: '', SeriesDescription: '', RetrieveAETitle: '', ReferencedImageSequence: [], ReferencedNonImageCompositeSOPInstanceSequence: [] };
    expect((await p.scu.nSet(MPPS, '1.5.1', { PerformedProcedureStepStatus: 'COMPLETED', ...finished, PerformedSeriesSequence: [item] })).status).toBe(0);
    await p.scu.release();
  });

  it('an application hook can refuse a create', async () => {
    const p = await pair(scp(), mppsScp({ onCreate: () => 0x0124 }), scu());
    expect((await p.scu.nCreate(MPPS, '1.2.3', inProgress)).status).toBe(0x0124);
    await p.scu.release();
  });

  it('an N-SET may not rename the instance: another SOP Class/Instance UID is 0x0106 naming it, nothing changes; the same UIDs pass', async () => {
    const handlers = mppsScp();
    const p = await pair(scp(), handlers, scu());
    await p.scu.nCreate(MPPS, '1.6.1', inProgress);
    const renamed = await p.scu.nSet(MPPS, '1.6.1', { SOPInstanceUID: '9.9.9', SOPClassUID: '1.2.3', PerformedProcedureStepDescription: 'x' });
    expect([renamed.status, renamed.command.OffendingElement]).toEqual([0x0106, [0x00080016, 0x00080018]]);
    expect(handlers.store.get('1.6.1')).toMatchObject({ SOPClassUID: MPPS, SOPInstanceUID: '1.6.1' });
    expect(handlers.store.get('1.6.1')!.PerformedProcedureStepDescription).toBeUndefined();
    expect((await p.scu.nSet(MPPS, '1.6.1', { SOPInstanceUID: '1.6.1', SOPClassUID: MPPS, PerformedProcedureStepDescription: 'y' })).status).toBe(0);
    expect(handlers.store.get('1.6.1')).toMatchObject({ SOPClassUID: MPPS, SOPInstanceUID: '1.6.1', PerformedProcedureStepDescription: 'y' });
    await p.scu.release();
  });

  it('N-GET: through MPPS Retrieve it answers the stored MPPS SOP Class UID; the MPPS class itself has no N-GET (0x0211, PS3.4 F.7.1)', async () => {
    const p = await pair(scp(), mppsScp(), scu());
    await p.scu.nCreate(MPPS, '1.7.1', inProgress);
    const got = await p.scu.nGet(MPPS_RETRIEVE_SOP_CLASS, '1.7.1', [0x00080016, 0x00400252]);
    expect(got.status).toBe(0);
    expect(got.dataset).toMatchObject({ SOPClassUID: MPPS, SOPInstanceUID: '1.7.1', PerformedProcedureStepStatus: 'IN PROGRESS' });
    expect((await p.scu.nGet(MPPS, '1.7.1', [])).status).toBe(0x0211);
    await p.scu.release();
  });
});

describe(`Instance Availability Notification (${via()})`, () => {
  const notification: Dataset = {
    ReferencedPerformedProcedureStepSequence: [],
    CurrentRequestedProcedureEvidenceSequence: [
      { StudyInstanceUID: '1.2.1', ReferencedSeriesSequence: [{ SeriesInstanceUID: '1.2.1.1', ReferencedSOPSequence: [{ ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2', ReferencedSOPInstanceUID: '1.2.1.1.1', InstanceAvailability: 'ONLINE', RetrieveAETitle: 'PACS' }] }] },
    ],
  };

  it('the SCU notifies, the SCP application receives it; a notification without the required sequences is 0x0120', async () => {
    const received: Dataset[] = [];
    const p = await pair(ae('RIS').addSupportedContext(IAN), instanceAvailabilityScp({ onNotification: (n) => void received.push(n) }), ae('PACS').addRequestedContext(IAN));
    const rsp = await notifyInstanceAvailability(p.scu, notification);
    expect(rsp.status).toBe(0);
    expect(received).toHaveLength(1);
    expect(received[0]!.SOPInstanceUID).toBe(rsp.sopInstanceUid);
    const seq = received[0]!.CurrentRequestedProcedureEvidenceSequence as Dataset[];
    expect(seq[0]!.StudyInstanceUID).toBe('1.2.1');
    const bad = await notifyInstanceAvailability(p.scu, { ReferencedPerformedProcedureStepSequence: [] });
    expect(bad.status).toBe(0x0120);
    // PS3.7 C.5.13: named in the Attribute Identifier List, and in Offending Element as before.
    expect([bad.command.AttributeIdentifierList, bad.command.OffendingElement]).toEqual([[0x0040a375], [0x0040a375]]);
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
  });
});
