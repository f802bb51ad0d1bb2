/**
 * Application Event Logging (PS3.4 Annex P): Procedural Event Logging and Substance
 * Administration Logging, SCU helpers against applicationEventLoggingScp over memory pairs
 * (and over TCP: application-event-logging-tcp.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { CommandField } from '../../src/dimse/types';
import type { Dataset } from '../../src/scu/types';
import {
  APPLICATION_EVENT_LOGGING_STATUS_MEANINGS,
  ApplicationEventLoggingStatus,
  PROCEDURAL_EVENT_LOGGING_INSTANCE,
  PROCEDURAL_EVENT_LOGGING_SOP_CLASS as PEL,
  SUBSTANCE_ADMINISTRATION_LOGGING_INSTANCE,
  SUBSTANCE_ADMINISTRATION_LOGGING_SOP_CLASS as SAL,
  applicationEventLoggingScp,
  logProceduralEvent,
  logSubstanceAdministration,
} from '../../src/services/application-event-logging';
import { describeServiceStatus } from '../../src/services/service-statuses';
import { ae, pair, problemsIn, via } from './n-helpers';

/** A Record Procedural Event: the Type 2 study keys and one CONTAINER (TID 3001) with an event in it. */
const event = (extra: Dataset = {}): Dataset => ({
  PatientID: 'P1',
  StudyInstanceUID: '1.2.826.0.1.3680043.2.1125.1.1',
  StudyID: 'S1',
  SynchronizationFrameOfReferenceUID: '',
  PerformedLocation: 'CATH LAB 2',
  ValueType: 'CONTAINER',
  ContinuityOfContent: 'SEPARATE',
  ConceptNameCodeSequence: [{ CodeValue: '121145', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Description of Procedure' }],
  ContentSequence: [
    {
      RelationshipType: 'CONTAINS',
      ValueType: 'TEXT',
      ConceptNameCodeSequence: [{ CodeValue: '121106', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Comment' }],
      TextValue: 'catheter inserted',
    },
  ],
  ...extra,
});

const entry = (extra: Dataset = {}): Dataset => ({
  PatientID: 'P1',
  ProductPackageIdentifier: 'PKG-0042',
  ProductName: 'Iodinated contrast 350',
  SubstanceAdministrationDateTime: '20240101120000',
  OperatorIdentificationSequence: [{ PersonIdentificationCodeSequence: [{ CodeValue: 'nurse7', CodingSchemeDesignator: 'L', CodeMeaning: 'Nurse Seven' }] }],
  ...extra,
});

const scpAe = () => ae('LOGGER').addSupportedContext(PEL).addSupportedContext(SAL);
const scuAe = () => ae('CATHLAB').addRequestedContext(PEL).addRequestedContext(SAL);

describe(`Application Event Logging (${via()})`, () => {
  it('a procedural event and a substance administration are logged (N-ACTION type 1 on the well-known instances)', async () => {
    const events: Dataset[] = [];
    const entries: Array<{ entry: Dataset; peer: string }> = [];
    const p = await pair(
      scpAe(),
      applicationEventLoggingScp({
        onProceduralEvent: (e) => void events.push(e),
        onSubstanceAdministration: (e, ctx) => void entries.push({ entry: e, peer: ctx.peerAeTitle }),
      }),
      scuAe(),
    );
    const logged = await logProceduralEvent(p.scu, event());
    expect(logged.status).toBe(0);
    expect(logged.command).toMatchObject({ AffectedSOPClassUID: PEL, AffectedSOPInstanceUID: PROCEDURAL_EVENT_LOGGING_INSTANCE, ActionTypeID: 1 });
    const recorded = await logSubstanceAdministration(p.scu, entry());
    expect(recorded.status).toBe(0);
    await p.scu.release();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ StudyInstanceUID: '1.2.826.0.1.3680043.2.1125.1.1', PerformedLocation: 'CATH LAB 2' });
    expect((events[0]!.ContentSequence as Dataset[])[0]).toMatchObject({ TextValue: 'catheter inserted' });
    expect(entries).toEqual([{ entry: expect.objectContaining({ ProductPackageIdentifier: 'PKG-0042' }), peer: 'CATHLAB' }]);
    const requests = p.sentByScu.filter((c) => c.CommandField === CommandField['N-ACTION-RQ']);
    expect(requests.map((c) => [c.RequestedSOPClassUID, c.RequestedSOPInstanceUID, c.ActionTypeID])).toEqual([
      [PEL, PROCEDURAL_EVENT_LOGGING_INSTANCE, 1],
      [SAL, SUBSTANCE_ADMINISTRATION_LOGGING_INSTANCE, 1],
    ]);
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
  });

  it('failures: a missing Type 2 study key 0x0120, no CONTAINER 0xC102, no patient 0xC110, the callback\'s own status, wrong instance/action/class', async () => {
    const p = await pair(
      scpAe(),
      applicationEventLoggingScp({
        // The log cannot match this study; a coerced study is logged with a warning.
        onProceduralEvent: (e) => (e.StudyID === 'UNKNOWN' ? ApplicationEventLoggingStatus.CannotMatchEventToStudy : e.StudyID === 'OLD' ? 0xb102 : undefined),
        onSubstanceAdministration: (e) => (e.OperatorIdentificationSequence ? undefined : { status: 0xc10e, errorComment: 'no authorized operator' }),
      }),
      scuAe(),
    );
    const { StudyID: _, ...noStudyId } = event();
    const missing = await logProceduralEvent(p.scu, noStudyId);
    expect(missing.status).toBe(0x0120);
    expect(missing.command.OffendingElement).toEqual([0x00200010]);
    expect((await logProceduralEvent(p.scu, event({ ValueType: 'TEXT' }))).status).toBe(0xc102);
    expect((await logProceduralEvent(p.scu, event({ ContentSequence: [] }))).status).toBe(0xc102);
    const unmatched = await logProceduralEvent(p.scu, event({ StudyID: 'UNKNOWN' }));
    expect([unmatched.status, unmatched.category]).toEqual([0xc103, 'Failure']);
    const coerced = await logProceduralEvent(p.scu, event({ StudyID: 'OLD' }));
    expect([coerced.status, coerced.category]).toEqual([0xb102, 'Warning']);

    const { PatientID: __, ...anonymous } = entry();
    expect((await logSubstanceAdministration(p.scu, anonymous)).status).toBe(0xc110);
    // Admission ID alone identifies the patient too.
    expect((await logSubstanceAdministration(p.scu, { ...anonymous, AdmissionID: 'A-77' })).status).toBe(0);
    const { OperatorIdentificationSequence: ___, ...noOperator } = entry();
    const refused = await logSubstanceAdministration(p.scu, noOperator);
    expect([refused.status, refused.command.ErrorComment]).toEqual([0xc10e, 'no authorized operator']);

    expect((await p.scu.nAction(PEL, '1.2.3.4', 1, event())).status).toBe(0x0112);
    expect((await p.scu.nAction(SAL, SUBSTANCE_ADMINISTRATION_LOGGING_INSTANCE, 2, entry())).status).toBe(0x0123);
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
    expect(describeServiceStatus(0xc110, APPLICATION_EVENT_LOGGING_STATUS_MEANINGS)).toMatch(/Patient ID or Admission ID/);
    expect(describeServiceStatus(0x0123, APPLICATION_EVENT_LOGGING_STATUS_MEANINGS)).toBe('No such action');
  });

  it('an SCP that logs only procedural events answers 0x0118 for substance administration', async () => {
    const p = await pair(scpAe(), applicationEventLoggingScp({ onProceduralEvent: () => undefined }), scuAe());
    expect((await logSubstanceAdministration(p.scu, entry())).status).toBe(0x0118);
    expect((await logProceduralEvent(p.scu, event())).status).toBe(0);
    await p.scu.release();
  });
});
