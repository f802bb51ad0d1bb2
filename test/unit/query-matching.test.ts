/**
 * PS3.4 C.2.2.2 attribute matching and C.4.1.1.3.2 response projection, from the rules of the
 * standard: each describe names the clause it checks.
 */
import { describe, expect, it } from 'vitest';
import { decodeDataset, encodeDataset } from '../../src/dataset/codec';
import { isRange, matchTemporal, temporalKey } from '../../src/services/date-range';
import { keywordOf, tagOf, vrOf } from '../../src/services/dictionary';
import { keywordForTag, tagForKeyword } from '../../src/services/n-attributes';
import { compileQuery, matchesQuery, projectResponse } from '../../src/services/query-matching';

const study = {
  SpecificCharacterSet: 'ISO_IR 100',
  PatientName: [{ Alphabetic: 'Doe^John^^' }],
  PatientID: 'PID-001',
  PatientBirthDate: '19700315',
  StudyInstanceUID: '1.2.840.99.1',
  StudyDate: '20200615',
  StudyTime: '143015.25',
  AccessionNumber: 'ACC 1',
  StudyDescription: 'CT Chest',
  ModalitiesInStudy: ['CT', 'SR'],
  NumberOfStudyRelatedInstances: 12,
  ReferringPhysicianName: '',
  AcquisitionDateTime: '20200615143015.250000+0100',
};
const match = (q: Record<string, unknown>, c: Record<string, unknown> = study) => matchesQuery(c, q);
/** What the query looks like after the network (dcmjs decode), so tests see real shapes. */
const wire = (q: Record<string, unknown>) => decodeDataset(encodeDataset(q, '1.2.840.10008.1.2'), '1.2.840.10008.1.2');

describe('dictionary', () => {
  it('knows VRs, tags and keywords', () => {
    expect(vrOf('PatientName')).toBe('PN');
    expect(vrOf('ScheduledProcedureStepSequence')).toBe('SQ');
    expect(vrOf('NoSuchKeyword')).toBeUndefined();
    expect(keywordOf('(0010,0010)')).toBe('PatientName');
    expect(keywordOf('0020000d')).toBe('StudyInstanceUID');
    expect(keywordOf(0x00080052)).toBe('QueryRetrieveLevel');
    expect(keywordOf('zz')).toBeUndefined();
    expect(tagOf('PatientID')).toBe(0x00100020);
  });

  it("the N-service helpers (keywordForTag, tagForKeyword) answer as keywordOf/tagOf, signed tags too", () => {
    expect(keywordForTag(0x00080070)).toBe('Manufacturer');
    expect(keywordForTag(0x7fe00010)).toBe(keywordOf(0x7fe00010));
    // A tag made with bit operations is negative in JavaScript; it still names the attribute.
    expect(keywordForTag((0xfffe << 16) | 0xe000)).toBe(keywordOf('(FFFE,E000)'));
    expect(keywordForTag((0xfffe << 16) | 0xe000)).toBeDefined();
    expect(keywordForTag(0x00090010)).toBeUndefined();
    expect(tagForKeyword('Manufacturer')).toBe(0x00080070);
    expect(tagForKeyword('NoSuchKeyword')).toBeUndefined();
  });
});

describe('C.2.2.2.3 universal matching', () => {
  it('a zero-length key matches every candidate, also one without the attribute', () => {
    expect(match({ PatientID: '', StudyDate: '', PatientName: [], NumberOfStudyRelatedInstances: null, OtherPatientIDs: '' })).toBe(true);
    expect(match(wire({ QueryRetrieveLevel: 'STUDY', PatientName: '', StudyDate: '', SeriesNumber: '' }))).toBe(true);
  });
  it('a lone * is universal (C.2.2.2.4), even for an empty candidate value', () => {
    expect(match({ ReferringPhysicianName: '*', AccessionNumber: '*' })).toBe(true);
    expect(match({ PatientName: [{ Alphabetic: '*' }] }, { PatientName: [] })).toBe(true);
  });
  it('QueryRetrieveLevel and SpecificCharacterSet are not matched', () => {
    expect(match({ QueryRetrieveLevel: 'IMAGE', SpecificCharacterSet: 'ISO_IR 192' })).toBe(true);
  });
});

describe('C.2.2.2.1 single value matching', () => {
  it('exact and case-sensitive for non-PN VRs', () => {
    expect(match({ PatientID: 'PID-001' })).toBe(true);
    expect(match({ PatientID: 'pid-001' })).toBe(false);
    expect(match({ StudyDescription: 'CT CHEST' })).toBe(false);
    expect(match({ PatientID: 'PID-00' })).toBe(false);
  });
  it('a backslash delimits values, except in LT, ST, UT and UR, which hold one', () => {
    const candidate = { OtherPatientIDs: 'A\\B', TextValue: 'x\\y', RetrieveURL: 'http://h/a\\b', InstitutionAddress: 'Main St.\\2' };
    expect(matchesQuery(candidate, { OtherPatientIDs: 'B' })).toBe(true);
    expect([matchesQuery(candidate, { TextValue: 'y' }), matchesQuery(candidate, { RetrieveURL: 'b' }), matchesQuery(candidate, { InstitutionAddress: '2' })]).toEqual([false, false, false]);
    expect(matchesQuery(candidate, { RetrieveURL: 'http://h/a\\b' })).toBe(true);
  });
  it('padding is not significant; embedded spaces are', () => {
    expect(match({ PatientID: 'PID-001 ' })).toBe(true);
    expect(match({ AccessionNumber: 'ACC 1' })).toBe(true);
    expect(match({ AccessionNumber: 'ACC1' })).toBe(false);
  });
  it('a key the candidate lacks matches nothing but universal', () => {
    expect(match({ InstitutionName: 'X' })).toBe(false);
  });
  it('PN: Alphabetic component, case-insensitive, trailing empty components ignored', () => {
    expect(match({ PatientName: [{ Alphabetic: 'DOE^JOHN' }] })).toBe(true);
    expect(match({ PatientName: 'doe^john' })).toBe(true);
    expect(match({ PatientName: 'DOE' })).toBe(false);
    expect(match(wire({ PatientName: 'Doe^John' }))).toBe(true);
    expect(matchesQuery(study, { PatientName: 'DOE^JOHN' }, { caseSensitiveNames: true })).toBe(false);
  });
  it('numbers compare by value', () => {
    expect(match({ NumberOfStudyRelatedInstances: 12 })).toBe(true);
    expect(match({ NumberOfStudyRelatedInstances: '12' })).toBe(true);
    expect(match({ NumberOfStudyRelatedInstances: 11 })).toBe(false);
  });
  it('"" (two quotes) matches only empty values', () => {
    expect(match({ ReferringPhysicianName: '""' })).toBe(true);
    expect(match({ PatientID: '""' })).toBe(false);
  });
  it('a multi-valued candidate matches when any value does', () => {
    expect(match({ ModalitiesInStudy: 'SR' })).toBe(true);
    expect(match({ ModalitiesInStudy: 'MR' })).toBe(false);
    expect(match({ ModalitiesInStudy: 'CT' }, { ModalitiesInStudy: 'CT\\MR' })).toBe(true);
  });
  it('a multi-valued query key matches when any of its values does', () => {
    expect(match({ ModalitiesInStudy: ['MR', 'CT'] })).toBe(true);
    expect(match(wire({ ModalitiesInStudy: ['MR', 'US'] }))).toBe(false);
  });
});

describe('C.2.2.2.2 list of UID matching', () => {
  it('matches when the candidate UID is any of the listed ones', () => {
    expect(match({ StudyInstanceUID: ['1.2.3', '1.2.840.99.1'] })).toBe(true);
    expect(match(wire({ StudyInstanceUID: ['1.2.3', '1.2.840.99.1'] }))).toBe(true);
    expect(match({ StudyInstanceUID: '1.2.3\\1.2.840.99.1' })).toBe(true);
    expect(match({ StudyInstanceUID: ['1.2.3', '1.2.4'] })).toBe(false);
  });
  it('UIDs are never wildcard-matched nor prefix-matched', () => {
    expect(match({ StudyInstanceUID: '1.2.840.99.*' })).toBe(false);
    expect(match({ StudyInstanceUID: '1.2.840.99' })).toBe(false);
    expect(match({ SOPInstanceUID: '1.2?' }, { SOPInstanceUID: '1.2?' })).toBe(true);
  });
});

describe('C.2.2.2.4 wild card matching', () => {
  it('* matches any run (also none), ? one character', () => {
    expect(match({ PatientID: 'PID*' })).toBe(true);
    expect(match({ PatientID: '*001' })).toBe(true);
    expect(match({ PatientID: 'PID-00?' })).toBe(true);
    expect(match({ PatientID: 'PID-0?' })).toBe(false);
    expect(match({ PatientID: 'PID-001*' })).toBe(true);
    expect(match({ StudyDescription: 'CT*' })).toBe(true);
    expect(match({ StudyDescription: 'ct*' })).toBe(false);
  });
  it('regular-expression characters are literal', () => {
    expect(match({ PatientID: 'PID.001' }, { PatientID: 'PIDX001' })).toBe(false);
    expect(match({ PatientID: '(a)*' }, { PatientID: '(a)+b' })).toBe(true);
  });
  it('PN wild cards on the Alphabetic component, case-insensitive', () => {
    expect(match({ PatientName: [{ Alphabetic: 'DOE*' }] })).toBe(true);
    expect(match(wire({ PatientName: 'do?^*' }))).toBe(true);
    expect(match({ PatientName: [{ Alphabetic: 'SMITH*' }] })).toBe(false);
  });
  it('is not applied to numeric, date or UID VRs', () => {
    expect(match({ NumberOfStudyRelatedInstances: '1*' })).toBe(false);
    expect(match({ StudyDate: '2020*' })).toBe(false);
  });
});

describe('C.2.2.2.5 range matching', () => {
  it('DA: a-b inclusive, a- on or after, -b on or before', () => {
    expect(match({ StudyDate: '20200101-20201231' })).toBe(true);
    expect(match({ StudyDate: '20200615-20200615' })).toBe(true);
    expect(match({ StudyDate: '20200616-' })).toBe(false);
    expect(match({ StudyDate: '20200615-' })).toBe(true);
    expect(match({ StudyDate: '-20200615' })).toBe(true);
    expect(match({ StudyDate: '-20200614' })).toBe(false);
    expect(match(wire({ StudyDate: '20200101-20201231' }))).toBe(true); // arrives padded to even length
  });
  it('DA single value is exact', () => {
    expect(match({ StudyDate: '20200615' })).toBe(true);
    expect(match({ StudyDate: '20200616' })).toBe(false);
  });
  it('TM ranges, partial precision: an upper bound includes its whole period', () => {
    expect(match({ StudyTime: '1400-1500' })).toBe(true);
    expect(match({ StudyTime: '14-14' })).toBe(true);
    expect(match({ StudyTime: '-1430' })).toBe(true);
    expect(match({ StudyTime: '-1429' })).toBe(false);
    expect(match({ StudyTime: '143016-' })).toBe(false);
    expect(match({ StudyTime: '143015.25-143015.25' })).toBe(true);
    expect(match({ StudyTime: '14:30-' })).toBe(true);
  });
  it('DT ranges; an offset is not mistaken for the range dash', () => {
    expect(isRange('DT', '20200615143015-0100')).toBe(false); // one value west of UTC
    expect(isRange('DT', '20200615143015-0100-')).toBe(true);
    expect(isRange('DT', '2020-2021')).toBe(true); // -20:21 is no offset
    expect(match({ AcquisitionDateTime: '20200615083015-0500' })).toBe(true); // single value: the candidate's 14:30:15+0100
    expect(match({ AcquisitionDateTime: '20200615143015-0500' })).toBe(false);
    expect(match({ AcquisitionDateTime: '20200615-20200616' })).toBe(true);
    expect(match({ AcquisitionDateTime: '202006151431+0100-' })).toBe(false); // the candidate is 14:30:15+0100
    expect(match({ AcquisitionDateTime: '-2020' })).toBe(true);
    expect(match({ AcquisitionDateTime: '2021-' })).toBe(false);
  });
  it("DT without an offset: in the zone of its data set's Timezone Offset From UTC, the query's and the candidate's (PS3.5 6.2)", () => {
    expect(match({ AcquisitionDateTime: '202006151431-', TimezoneOffsetFromUTC: '+0100' })).toBe(false); // 13:31 UTC, after 13:30:15
    expect(match({ AcquisitionDateTime: '202006151431-', TimezoneOffsetFromUTC: '+0200' })).toBe(true); // 12:31 UTC
    const local = { ...study, AcquisitionDateTime: '20200615143015', TimezoneOffsetFromUTC: '-0500' }; // 19:30:15 UTC
    expect(match({ AcquisitionDateTime: '202006151930+0000-202006151931+0000' }, local)).toBe(true);
    expect(match({ AcquisitionDateTime: '202006151430+0000-202006151431+0000' }, local)).toBe(false);
    expect(match({ AcquisitionDateTime: '202006151930-202006151931', TimezoneOffsetFromUTC: '+0000' }, local)).toBe(true);
    // Sequence items are in their data set's zone too, when matched and when projected.
    const inItem = { ...study, TimezoneOffsetFromUTC: '-0500', ContentSequence: [{ ObservationDateTime: '20200615143015' }] };
    const itemQuery = { ContentSequence: [{ ObservationDateTime: '202006151930-202006151931' }], TimezoneOffsetFromUTC: '+0000' };
    expect(match(itemQuery, inItem)).toBe(true);
    expect(projectResponse(inItem, itemQuery).ContentSequence).toEqual([{ ObservationDateTime: '20200615143015' }]);
    expect(compileQuery(itemQuery).project(inItem).ContentSequence).toEqual([{ ObservationDateTime: '20200615143015' }]);
  });
  it('an unparsable candidate never matches a range', () => {
    expect(matchTemporal('DA', '2020-', 'garbage')).toBe(false);
    expect(matchTemporal('DA', '20200101-', '2020.06.15')).toBe(true);
  });
  it('keys pad with 0, upper bounds with 9', () => {
    expect(temporalKey('TM', '14')).toBe('140000000000');
    expect(temporalKey('TM', '14', true)).toBe('149999999999');
    expect(temporalKey('DT', '2020', true)).toBe('20209999999999999999');
    expect(temporalKey('DA', '2020')).toBeNull();
  });
});

describe('C.2.2.2.5 combined date-time matching (with Extended Negotiation)', () => {
  const at = (StudyDate: string, StudyTime: string) => ({ StudyDate, StudyTime });
  const combined = (q: Record<string, unknown>, c: Record<string, unknown>) => compileQuery(q, { combinedDateTime: true }).matches(c);
  const q = { StudyDate: '20060705-20060707', StudyTime: '1000-1800' };

  it('a date range with a time range is one date-time range: 5 July 10:00 to 7 July 18:00', () => {
    const cases: [Record<string, unknown>, boolean, boolean][] = [
      // candidate, combined, each key on its own
      [at('20060705', '0900'), false, false],
      [at('20060705', '100000'), true, true],
      [at('20060705', '2300'), true, false], // evening of the first day: inside the combined range only
      [at('20060706', '0300'), true, false], // the night between
      [at('20060707', '175959.999'), true, true],
      [at('20060707', '1801'), false, false],
      [at('20060704', '1200'), false, false],
    ];
    for (const [candidate, expected, separately] of cases) {
      expect([candidate, combined(q, candidate)]).toEqual([candidate, expected]);
      expect([candidate, matchesQuery(candidate, q)]).toEqual([candidate, separately]);
    }
  });

  it('open bounds, a missing time bound and a candidate without a time', () => {
    expect(combined({ StudyDate: '20060705-', StudyTime: '1000-' }, at('20060705', '0959'))).toBe(false);
    expect(combined({ StudyDate: '20060705-', StudyTime: '1000-' }, at('20990101', '0000'))).toBe(true);
    expect(combined({ StudyDate: '-20060707', StudyTime: '-1800' }, at('19000101', '2359'))).toBe(true);
    expect(combined({ StudyDate: '-20060707', StudyTime: '-1800' }, at('20060707', '1800'))).toBe(true);
    expect(combined({ StudyDate: '-20060707', StudyTime: '-1800' }, at('20060707', '1801'))).toBe(false); // '-1800' includes the whole minute 18:00 (the precision given)
    // The date's lower bound with only an upper time bound: from the start of that day.
    expect(combined({ StudyDate: '20060705-20060707', StudyTime: '-1800' }, at('20060705', '0000'))).toBe(true);
    // Without a time the candidate is its whole day: it matches when that day overlaps the range.
    expect(combined(q, { StudyDate: '20060707' })).toBe(true);
    expect(combined(q, { StudyDate: '20060707', StudyTime: '' })).toBe(true);
    expect(combined(q, { StudyDate: '20060708' })).toBe(false);
    expect(combined(q, { StudyTime: '1200' })).toBe(false); // no date: no match
  });

  it('applies only when both keys are ranges; otherwise each key on its own, as without it', () => {
    for (const query of [
      { StudyDate: '20060705', StudyTime: '1000-1800' },
      { StudyDate: '20060705-20060707', StudyTime: '1200' },
      { StudyDate: '20060705-20060707' },
      { StudyDate: '20060705-20060707', StudyTime: '' },
    ]) {
      for (const candidate of [at('20060705', '1200'), at('20060706', '0300'), at('20060705', '2300')]) {
        expect([query, candidate, combined(query, candidate)]).toEqual([query, candidate, matchesQuery(candidate, query)]);
      }
    }
  });

  it('pairs any Date key with its Time key, in sequence items too (Scheduled Procedure Step)', () => {
    const item = { ScheduledProcedureStepSequence: [{ ScheduledProcedureStepStartDate: '20240110', ScheduledProcedureStepStartTime: '2200', Modality: 'CT' }] };
    const query = { ScheduledProcedureStepSequence: [{ ScheduledProcedureStepStartDate: '20240110-20240111', ScheduledProcedureStepStartTime: '0800-0900', Modality: 'CT' }] };
    expect(combined(query, item)).toBe(true);
    expect(matchesQuery(item, query)).toBe(false);
    expect(combined({ SeriesDate: '20060705-20060706', SeriesTime: '2000-0600' }, { SeriesDate: '20060705', SeriesTime: '2100' })).toBe(true);
    // Decoded from the wire (dcmjs's shapes) works the same.
    expect(compileQuery(wire(q), { combinedDateTime: true }).matches(at('20060706', '0300'))).toBe(true);
  });
});

describe('C.2.2.2.6 sequence matching', () => {
  const worklist = {
    PatientName: 'ROE^JANE',
    ScheduledProcedureStepSequence: [
      { Modality: 'MR', ScheduledStationAETitle: 'MR1', ScheduledProcedureStepStartDate: '20240102' },
      { Modality: 'CT', ScheduledStationAETitle: 'CT1', ScheduledProcedureStepStartDate: '20240103' },
    ],
  };
  it('matches when one candidate item matches every key of the query item', () => {
    expect(match({ ScheduledProcedureStepSequence: [{ Modality: 'CT', ScheduledStationAETitle: 'CT*' }] }, worklist)).toBe(true);
    expect(match({ ScheduledProcedureStepSequence: [{ Modality: 'CT', ScheduledStationAETitle: 'MR1' }] }, worklist)).toBe(false);
    expect(match({ ScheduledProcedureStepSequence: [{ ScheduledProcedureStepStartDate: '20240103-' }] }, worklist)).toBe(true);
    expect(match(wire({ ScheduledProcedureStepSequence: [{ Modality: 'MR', ScheduledStationAETitle: '' }] }), worklist)).toBe(true);
  });
  it('zero items, or an item of empty keys, is universal; a missing sequence fails a real item', () => {
    expect(match({ ScheduledProcedureStepSequence: [] }, worklist)).toBe(true);
    expect(match({ ScheduledProcedureStepSequence: [{ Modality: '' }] }, { PatientName: 'X' })).toBe(true);
    expect(match({ ScheduledProcedureStepSequence: [{ Modality: 'CT' }] }, { PatientName: 'X' })).toBe(false);
  });
  it('the response holds the matching items, reduced to the query item keys', () => {
    const q = { PatientName: '', ScheduledProcedureStepSequence: [{ Modality: 'CT', ScheduledProcedureStepStartDate: '' }] };
    expect(projectResponse(worklist, q)).toEqual({
      PatientName: 'ROE^JANE',
      ScheduledProcedureStepSequence: [{ Modality: 'CT', ScheduledProcedureStepStartDate: '20240103' }],
    });
  });
});

describe('C.2.2.1.2 Required Keys of zero length', () => {
  const required = new Set(['StudyDate', 'StudyTime', 'AccessionNumber', 'PatientName', 'PatientID', 'StudyID']);
  const unknown = { StudyInstanceUID: '1.2.3', StudyDate: '', StudyTime: '', AccessionNumber: '', PatientName: [], StudyDescription: '' };
  const matchRequired = (q: Record<string, unknown>, options = {}) => matchesQuery(unknown, wire(q), { requiredKeys: required, ...options });

  it('an empty or absent value of a Required Key is unknown: every match against it succeeds', () => {
    expect(matchRequired({ StudyDate: '20200101-20201231', StudyTime: '1200', AccessionNumber: 'A*', PatientName: 'DOE^JOHN', PatientID: 'P1', StudyID: '7' })).toBe(true);
    expect(matchRequired({ PatientName: '""' })).toBe(true);
    // Without requiredKeys (Modality Worklist, K.2.2.1.1.1) an unknown value matches nothing.
    expect(matchesQuery(unknown, wire({ AccessionNumber: 'A*' }))).toBe(false);
  });

  it('only Required Keys: an empty optional key still fails a value; a known value is still matched', () => {
    expect(matchRequired({ StudyDescription: 'CT*' })).toBe(false);
    expect(matchesQuery(study, wire({ AccessionNumber: 'B*' }), { requiredKeys: required })).toBe(false);
    expect(matchesQuery(study, wire({ AccessionNumber: 'ACC*' }), { requiredKeys: required })).toBe(true);
  });

  it('with combined date-time matching too, and not inside sequence items', () => {
    expect(matchRequired({ StudyDate: '20200101-20201231', StudyTime: '1000-1200' }, { combinedDateTime: true })).toBe(true);
    const item = { ProcedureCodeSequence: [{ CodeValue: '' }] };
    const withRequired = { requiredKeys: new Set(['CodeValue']) };
    expect(matchesQuery(item, { ProcedureCodeSequence: [{ CodeValue: 'X1' }] }, withRequired)).toBe(false);
    expect(matchesQuery({ CodeValue: '' }, { CodeValue: 'X1' }, withRequired)).toBe(true);
  });
});

describe('C.4.1.1.3.2 response projection', () => {
  it('exactly the query keys, with the candidate values (empty where it has none)', () => {
    const q = { QueryRetrieveLevel: 'STUDY', PatientName: 'DOE*', StudyInstanceUID: '', InstitutionName: '', NumberOfStudyRelatedInstances: '', PatientBirthDate: '' };
    const r = projectResponse(study, q);
    expect(r).toEqual({
      QueryRetrieveLevel: 'STUDY',
      PatientName: [{ Alphabetic: 'Doe^John^^' }],
      StudyInstanceUID: '1.2.840.99.1',
      InstitutionName: '',
      NumberOfStudyRelatedInstances: 12,
      PatientBirthDate: '19700315',
      SpecificCharacterSet: 'ISO_IR 100',
    });
    expect(r).not.toHaveProperty('PatientID');
    // Encodes cleanly, empty values included.
    const back = decodeDataset(encodeDataset(projectResponse({ StudyInstanceUID: '1.2' }, q), '1.2.840.10008.1.2.1'), '1.2.840.10008.1.2.1');
    expect(back).toMatchObject({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2', InstitutionName: '' });
  });
  it('Timezone Offset From UTC: the candidate\'s offset, or left out, never zero length', () => {
    const query = { StudyInstanceUID: '', StudyTime: '', TimezoneOffsetFromUTC: '' };
    expect(projectResponse({ ...study, TimezoneOffsetFromUTC: '+0100' }, query)).toMatchObject({ TimezoneOffsetFromUTC: '+0100' });
    expect(projectResponse(study, query)).not.toHaveProperty('TimezoneOffsetFromUTC');
    expect(projectResponse({ ...study, TimezoneOffsetFromUTC: '' }, wire(query))).not.toHaveProperty('TimezoneOffsetFromUTC');
  });

  it('never leaks dcmjs bookkeeping keys', () => {
    const r = projectResponse({ ...study, _vrMap: {} }, { _vrMap: {}, PatientID: '' });
    expect(Object.keys(r).sort()).toEqual(['PatientID', 'SpecificCharacterSet']);
  });
});

describe('compileQuery: one query, many candidates', () => {
  const candidates = [
    study,
    { ...study, PatientName: 'DOE^JANE', StudyDate: '20190101', ModalitiesInStudy: 'MR', NumberOfStudyRelatedInstances: 3 },
    { PatientName: [{ Alphabetic: 'Roe^Rick', Ideographic: 'ロー^リック' }], StudyDate: '', AccessionNumber: 'X\\ACC 2' },
    { StudyInstanceUID: '1.2.840.99.2', ScheduledProcedureStepSequence: [{ Modality: 'CT', ScheduledStationAETitle: 'CT1' }] },
    {},
  ];
  const queries = [
    { QueryRetrieveLevel: 'STUDY', PatientName: 'doe*', StudyDate: '', StudyInstanceUID: '' },
    { StudyDate: '20200101-', ModalitiesInStudy: 'CT', NumberOfStudyRelatedInstances: '' },
    { StudyDate: '""', AccessionNumber: 'ACC?2' },
    { PatientName: [{ Alphabetic: 'R*', Ideographic: 'ロー*' }], SpecificCharacterSet: 'ISO_IR 192' },
    { NumberOfStudyRelatedInstances: '12', StudyInstanceUID: ['1.2.840.99.1', '1.2.840.99.2'] },
    { ScheduledProcedureStepSequence: [{ Modality: 'CT', ScheduledStationAETitle: '' }], PatientName: '' },
    wire({ QueryRetrieveLevel: 'STUDY', PatientName: 'DOE^JOHN', StudyTime: '1400-1500', AcquisitionDateTime: '' }),
  ];
  it('selects by every key, each query read once for all candidates', () => {
    // One row per query, one digit per candidate (1: matches), worked out from the rules above.
    const rows = queries.map((q) => {
      const compiled = compileQuery(q);
      return candidates.map((c) => (compiled.matches(c) ? '1' : '0')).join('');
    });
    expect(rows).toEqual(['11000', '10000', '00100', '00100', '10000', '00010', '10000']);
  });
  it('projects as projectResponse: the query keys, empty where the candidate has none', () => {
    const compiled = compileQuery(queries[0]!);
    expect(compiled.project(candidates[1]!)).toEqual({ QueryRetrieveLevel: 'STUDY', PatientName: 'DOE^JANE', StudyDate: '20190101', StudyInstanceUID: '1.2.840.99.1', SpecificCharacterSet: 'ISO_IR 100' });
    expect(compiled.project({})).toEqual({ QueryRetrieveLevel: 'STUDY', PatientName: [], StudyDate: '', StudyInstanceUID: '' });
    const sequence = compileQuery(queries[5]!);
    expect(sequence.project(candidates[3]!)).toEqual({ ScheduledProcedureStepSequence: [{ Modality: 'CT', ScheduledStationAETitle: 'CT1' }], PatientName: [] });
  });
  it('reads the query once: later changes to it are not seen', () => {
    const q: Record<string, unknown> = { PatientID: 'PID-001', QueryRetrieveLevel: 'STUDY' };
    const compiled = compileQuery(q);
    q.PatientID = 'OTHER';
    q.QueryRetrieveLevel = 'IMAGE';
    expect(compiled.matches(study)).toBe(true);
    expect(compiled.project(study).QueryRetrieveLevel).toBe('STUDY');
  });
  it('matches a long list of UIDs, and a list that mixes wild cards with plain values', () => {
    const uids = Array.from({ length: 5000 }, (_, i) => `1.2.840.99.${i}`);
    const list = compileQuery({ StudyInstanceUID: uids });
    expect(list.matches({ StudyInstanceUID: '1.2.840.99.4999' })).toBe(true);
    expect(list.matches({ StudyInstanceUID: '1.2.840.99.5000' })).toBe(false);
    expect(list.matches({ StudyInstanceUID: '1.2.840.99.49' })).toBe(true);
    const mixed = compileQuery({ AccessionNumber: ['A*', 'B1'] });
    expect(['A7', 'B1', 'B12', 'C'].map((a) => mixed.matches({ AccessionNumber: a }))).toEqual([true, true, false, false]);
    expect(compileQuery({ AccessionNumber: ['B1'] }).matches({ AccessionNumber: 'B1 ' })).toBe(true); // padding, as single values
  });
  it('gives each response its own empty values', () => {
    const compiled = compileQuery({ ReferringPhysicianName: '', PatientID: '' });
    const a = compiled.project({});
    const b = compiled.project({});
    expect(a).toEqual({ ReferringPhysicianName: [], PatientID: '' });
    expect(a.ReferringPhysicianName).not.toBe(b.ReferringPhysicianName);
  });
});
