/**
 * The UPS tables as data: every cell of the state transition table (PS3.4 Table CC.1.1-2) for
 * Change UPS State, the subscription state transitions (Table CC.2.3-2), and the requirement checks
 * (Final State of Table CC.2.5-3, MPPS Table F.7.2-1).
 */
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/scu/types';
import { MPPS_CREATE_REQUIRED, MPPS_FINAL_STATE, MPPS_FINAL_STATE_TYPE2 } from '../../src/services/mpps-requirements';
import {
  type AttributeRequirement, hasValue, missingAttributes, offendingTags, pathText, unmetRequirements,
} from '../../src/services/procedure-step-requirements';
import { tagForKeyword } from '../../src/services/n-attributes';
import { createProblems, UPS_CREATE_REQUIRED, unmetFinalState } from '../../src/services/ups-requirements';
import { UpsSubscriptions } from '../../src/services/ups-subscriptions';
import { decideChange, type UpsState } from '../../src/services/ups-transitions';

const STATES: UpsState[] = ['SCHEDULED', 'IN PROGRESS', 'COMPLETED', 'CANCELED'];
const RECORDED = '9.9';

describe('Change UPS State: Table CC.1.1-2, every cell', () => {
  // Columns SCHEDULED, IN PROGRESS, COMPLETED, CANCELED; "ok" = the change happens (final states after C304 checks).
  const table: Array<[string, string | undefined, Array<number | 'ok'>]> = [
    ['IN PROGRESS', RECORDED, ['ok', 0xc302, 0xc300, 0xc300]],
    ['IN PROGRESS', '1.1', ['ok', 0xc301, 0xc301, 0xc301]],
    ['IN PROGRESS', undefined, [0xc301, 0xc301, 0xc301, 0xc301]],
    ['SCHEDULED', RECORDED, [0xc303, 0xc303, 0xc303, 0xc303]],
    ['SCHEDULED', undefined, [0xc303, 0xc303, 0xc303, 0xc303]],
    ['COMPLETED', RECORDED, [0xc310, 'ok', 0xb306, 0xc300]],
    ['COMPLETED', '1.1', [0xc310, 0xc301, 0xc301, 0xc301]],
    ['COMPLETED', undefined, [0xc301, 0xc301, 0xc301, 0xc301]],
    ['CANCELED', RECORDED, [0xc310, 'ok', 0xc300, 0xb304]],
    ['CANCELED', '1.1', [0xc310, 0xc301, 0xc301, 0xc301]],
    ['CANCELED', undefined, [0xc301, 0xc301, 0xc301, 0xc301]],
  ];
  for (const [to, tuid, row] of table) {
    it(`to ${to} with ${tuid === RECORDED ? 'the recorded' : tuid === undefined ? 'no' : 'another'} Transaction UID`, () => {
      const got = STATES.map((from) => {
        // A SCHEDULED UPS has no recorded Transaction UID yet.
        const d = decideChange(from, from === 'SCHEDULED' ? undefined : RECORDED, to, tuid);
        return d.to !== undefined ? (d.to === to && d.status === 0 ? 'ok' : `wrong ${d.to}`) : d.status;
      });
      expect(got).toEqual(row);
    });
  }

  it('a state that does not exist is an invalid argument value (0x0115) naming it', () => {
    expect(decideChange('IN PROGRESS', RECORDED, 'DONE', RECORDED)).toMatchObject({ status: 0x0115, errorComment: expect.stringContaining('DONE') });
  });
});

describe('UPS subscription states: Table CC.2.3-2', () => {
  const ups = (label: string) => ({ ProcedureStepLabel: label, ProcedureStepState: 'SCHEDULED' });

  it('specific (un)subscribe, global with and without lock, instance subscriptions take precedence, unsubscribe globally removes all', () => {
    const s = new UpsSubscriptions();
    s.subscribe('1', 'A', false);
    // Globally with lock: only UPSs A was not subscribed to change (and get an initial report).
    expect(s.subscribeGlobally('A', { deletionLock: true }, [['1', ups('x')], ['2', ups('y')]])).toEqual(['2']);
    expect(s.subscriptionsOf('1')).toEqual([{ aeTitle: 'A', deletionLock: false }]);
    expect(s.subscriptionsOf('2')).toEqual([{ aeTitle: 'A', deletionLock: true }]);
    expect(s.locked('2')).toBe(true);
    // A new UPS: subscribed with the global lock.
    expect(s.created('3', ups('z'))).toEqual(['A']);
    expect(s.locked('3')).toBe(true);
    // Subscribing to a specific UPS with(out) lock changes its lock.
    s.subscribe('3', 'A', false);
    expect(s.locked('3')).toBe(false);
    // Suspend: no new UPSs, existing stay.
    s.suspendGlobal('A');
    expect(s.created('4', ups('w'))).toEqual([]);
    expect(s.subscribers('2')).toEqual(['A']);
    // Unsubscribe from one; then globally: nothing left, no locks.
    s.unsubscribe('1', 'A');
    expect(s.subscribers('1')).toEqual([]);
    s.subscribeGlobally('A', { deletionLock: false }, []);
    s.unsubscribeGlobally('A');
    expect([s.subscribers('2'), s.subscribers('3'), s.locked('2')]).toEqual([[], [], false]);
    expect(s.globalSubscriptions().size).toBe(0);
  });

  it('global without lock sends no initial reports; a filtered global subscription takes only matching UPSs', () => {
    const s = new UpsSubscriptions();
    expect(s.subscribeGlobally('A', { deletionLock: false }, [['1', ups('x')]])).toEqual([]);
    expect(s.subscribers('1')).toEqual(['A']);
    expect(s.subscribeGlobally('B', { deletionLock: true, filter: { ProcedureStepLabel: 'y*' } }, [['1', ups('x')], ['2', ups('yes')]])).toEqual(['2']);
    expect(s.created('3', ups('nope')).sort()).toEqual(['A']);
    expect(s.created('4', ups('yellow')).sort()).toEqual(['A', 'B']);
    expect([...s.allSubscribers()].sort()).toEqual(['A', 'B']);
  });
});

describe('requirements', () => {
  const performed = {
    PerformedStationNameCodeSequence: [{ CodeValue: 'WS', CodingSchemeDesignator: 'L', CodeMeaning: 'ws' }],
    PerformedProcedureStepStartDateTime: '20250101080000',
    PerformedWorkitemCodeSequence: [{ CodeValue: 'AI', CodingSchemeDesignator: 'L', CodeMeaning: 'ai' }],
    PerformedProcedureStepEndDateTime: '20250101090000',
    OutputInformationSequence: [],
  };
  const base = {
    SOPClassUID: '1.2.840.10008.5.1.4.34.6.1', SOPInstanceUID: '1.2', ProcedureStepState: 'IN PROGRESS', InputReadinessState: 'READY',
    ScheduledProcedureStepPriority: 'LOW', ScheduledProcedureStepModificationDateTime: '20250101', ScheduledProcedureStepStartDateTime: '20250101',
  };

  it('UPS Final State: P for COMPLETED, X for CANCELED, R for both; empty values do not count', () => {
    expect(unmetFinalState(base, 'COMPLETED').map((r) => r.path.join('>'))).toEqual(['UnifiedProcedureStepPerformedProcedureSequence']);
    expect(unmetFinalState({ ...base, UnifiedProcedureStepPerformedProcedureSequence: [performed] }, 'COMPLETED')).toEqual([]);
    const noEnd = { ...base, UnifiedProcedureStepPerformedProcedureSequence: [{ ...performed, PerformedProcedureStepEndDateTime: '' }] };
    expect(unmetFinalState(noEnd, 'COMPLETED').map((r) => pathText(r.path))).toEqual(['(0074,1216)>(0040,4051)']);
    expect(unmetFinalState({ ...noEnd, UnifiedProcedureStepPerformedProcedureSequence: [{ ...performed, OutputInformationSequence: undefined }] }, 'COMPLETED')).toHaveLength(1);
    expect(unmetFinalState(base, 'CANCELED').map((r) => r.code)).toEqual(['X']);
    const { InputReadinessState: _, ...noReadiness } = base;
    expect(unmetFinalState(noReadiness, 'CANCELED').map((r) => [r.code, r.path[0]])).toContainEqual(['R', 'InputReadinessState']);
  });

  it('UPS N-CREATE: Type 1 missing 0x0120, empty 0x0121, bad enumerated value 0x0106', () => {
    const ok = { ScheduledProcedureStepPriority: 'HIGH', ProcedureStepLabel: 'x', ScheduledProcedureStepStartDateTime: '2025', InputReadinessState: 'READY' };
    expect(createProblems(ok)).toBeUndefined();
    const { ProcedureStepLabel: _l, ...noLabel } = ok;
    expect(createProblems(noLabel)).toEqual({ status: 0x0120, keywords: ['ProcedureStepLabel'] });
    expect(createProblems({ ...ok, InputReadinessState: '' })).toEqual({ status: 0x0121, keywords: ['InputReadinessState'] });
    expect(createProblems({ ...ok, ScheduledProcedureStepPriority: 'URGENT' })).toEqual({ status: 0x0106, keywords: ['ScheduledProcedureStepPriority'] });
  });

  it('UPS N-CREATE: the UPS Code Sequence Macro rows (Table CC.2.5-2a) in the items of every code sequence an N-CREATE may send', () => {
    const ok = { ScheduledProcedureStepPriority: 'HIGH', ProcedureStepLabel: 'x', ScheduledProcedureStepStartDateTime: '2025', InputReadinessState: 'READY' };
    const workitem = { CodeValue: '110005', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Interpretation' };
    expect(createProblems({ ...ok, ScheduledWorkitemCodeSequence: [workitem] })).toBeUndefined();
    const { CodeMeaning: _m, ...noMeaning } = workitem;
    expect(createProblems({ ...ok, ScheduledWorkitemCodeSequence: [workitem, noMeaning] })).toEqual({ status: 0x0120, keywords: ['ScheduledWorkitemCodeSequence>CodeMeaning'] });
    const qualifiers = { IssuerOfPatientIDQualifiersSequence: [{ AssigningJurisdictionCodeSequence: [{ CodeValue: 'US', CodeMeaning: 'United States' }] }] };
    expect(createProblems({ ...ok, OtherPatientIDsSequence: [{ PatientID: 'P2', ...qualifiers }] })).toEqual({
      status: 0x0120, keywords: ['OtherPatientIDsSequence>IssuerOfPatientIDQualifiersSequence>AssigningJurisdictionCodeSequence>CodingSchemeDesignator'],
    });
    // Absent before empty, as for the top-level rows.
    const parameters = [{ ConceptNameCodeSequence: [{ CodeValue: '', CodingSchemeDesignator: 'DCM', CodeMeaning: 'm' }] }];
    expect(createProblems({ ...ok, ScheduledProcessingParametersSequence: parameters })).toEqual({ status: 0x0121, keywords: ['ScheduledProcessingParametersSequence>ConceptNameCodeSequence>CodeValue'] });
    // The UPS macro has no Equivalent Code Sequence: its items are not the table's to check.
    expect(createProblems({ ...ok, ScheduledWorkitemCodeSequence: [{ ...workitem, EquivalentCodeSequence: [{ CodeValue: '1' }] }] })).toBeUndefined();
    const meaningRows = UPS_CREATE_REQUIRED.filter((r) => r.path.at(-1) === 'CodeMeaning').map((r) => r.path.slice(0, -1).join('>'));
    expect(meaningRows).toEqual([
      'ScheduledProcessingParametersSequence>ConceptNameCodeSequence',
      'ScheduledProcessingParametersSequence>ConceptCodeSequence',
      'ScheduledProcessingParametersSequence>MeasurementUnitsCodeSequence',
      'ScheduledStationNameCodeSequence',
      'ScheduledStationClassCodeSequence',
      'ScheduledStationGeographicLocationCodeSequence',
      'ScheduledHumanPerformersSequence>HumanPerformerCodeSequence',
      'ScheduledWorkitemCodeSequence',
      'IssuerOfPatientIDQualifiersSequence>AssigningJurisdictionCodeSequence',
      'IssuerOfPatientIDQualifiersSequence>AssigningAgencyOrDepartmentCodeSequence',
      'OtherPatientIDsSequence>IssuerOfPatientIDQualifiersSequence>AssigningJurisdictionCodeSequence',
      'OtherPatientIDsSequence>IssuerOfPatientIDQualifiersSequence>AssigningAgencyOrDepartmentCodeSequence',
      'AdmittingDiagnosesCodeSequence',
      'ReferencedRequestSequence>RequestedProcedureCodeSequence',
      'ReferencedRequestSequence>ReasonForRequestedProcedureCodeSequence',
      'ReferencedRequestSequence>RequestingServiceCodeSequence',
    ]);
    expect(UPS_CREATE_REQUIRED.flatMap((r) => [...r.path, ...(r.or ?? []), ...(r.when ?? [])]).every((k) => tagForKeyword(k) !== undefined)).toBe(true);
  });

  it('MPPS final state: Type 1 by default, Type 2 presence on request, every series item checked', () => {
    const series = { ProtocolName: 'HEAD', SeriesInstanceUID: '1.2.3' };
    const done = { PerformedProcedureStepEndDate: '20250101', PerformedProcedureStepEndTime: '1200', PerformedSeriesSequence: [series] };
    expect(unmetRequirements(done, MPPS_FINAL_STATE)).toEqual([]);
    expect(unmetRequirements({ ...done, PerformedSeriesSequence: [] }, MPPS_FINAL_STATE).map((r) => r.path.join('>'))).toEqual(['PerformedSeriesSequence']);
    const second = { ...done, PerformedSeriesSequence: [series, { SeriesInstanceUID: '1.2.4' }] };
    expect(offendingTags(unmetRequirements(second, MPPS_FINAL_STATE))).toEqual([0x00181030]);
    expect(unmetRequirements(done, [...MPPS_FINAL_STATE, ...MPPS_FINAL_STATE_TYPE2])).toHaveLength(6);
    const type2 = { ...series, PerformingPhysicianName: [], OperatorsName: [], SeriesDescription: '', RetrieveAETitle: '', ReferencedImageSequence: [], ReferencedNonImageCompositeSOPInstanceSequence: [] };
    expect(unmetRequirements({ ...done, PerformedSeriesSequence: [type2] }, [...MPPS_FINAL_STATE, ...MPPS_FINAL_STATE_TYPE2])).toEqual([]);
  });

  it('Type 1C rows: one of several (`or`), only beside a sibling (`when`); absent 0x0120 before empty 0x0121', () => {
    const value: AttributeRequirement = { path: ['S', 'CodeValue'], need: 'value', or: ['LongCodeValue', 'URNCodeValue'] };
    const scheme: AttributeRequirement = { path: ['S', 'CodingSchemeDesignator'], need: 'value', when: ['CodeValue', 'LongCodeValue'] };
    const unmet = (item: Dataset) => unmetRequirements({ S: [item] }, [value, scheme]).map((r) => r.path[1]);
    expect(unmet({ CodeValue: '1', CodingSchemeDesignator: 'DCM' })).toEqual([]);
    expect(unmet({ URNCodeValue: 'urn:x' })).toEqual([]);
    expect(unmet({ LongCodeValue: 'L' })).toEqual(['CodingSchemeDesignator']);
    expect(unmet({ CodeMeaning: 'm' })).toEqual(['CodeValue']);
    expect(missingAttributes({ S: [{ CodeMeaning: 'm' }] }, [value, scheme])).toEqual({ status: 0x0120, unmet: [value] });
    expect(missingAttributes({ S: [{ CodeValue: '', URNCodeValue: '' }] }, [value, scheme])).toEqual({ status: 0x0121, unmet: [value] });
    expect(missingAttributes({ S: [{ CodeValue: '1', CodingSchemeDesignator: '' }] }, [value, scheme])).toEqual({ status: 0x0121, unmet: [scheme] });
    // Every Code Meaning row MPPS_CREATE_REQUIRED adds sits in a code sequence item.
    expect(MPPS_CREATE_REQUIRED.filter((r) => r.path.at(-1) === 'CodeMeaning').map((r) => r.path.at(-2))).toEqual([
      'RequestedProcedureCodeSequence', 'EquivalentCodeSequence', 'ScheduledProtocolCodeSequence', 'EquivalentCodeSequence',
      'ReasonForPerformedProcedureCodeSequence', 'EquivalentCodeSequence', 'PerformedProcedureStepDiscontinuationReasonCodeSequence', 'EquivalentCodeSequence',
    ]);
  });

  it('hasValue: dcmjs empties are not values', () => {
    expect([undefined, null, '', '  ', [], [''], [{}], {}].map(hasValue)).toEqual(Array(8).fill(false));
    expect([0, 'x', ['x'], [{ Alphabetic: 'DOE' }], [{ CodeValue: '1' }]].map(hasValue)).toEqual(Array(5).fill(true));
  });
});
