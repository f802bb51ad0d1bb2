/**
 * PS3.4 C.2.2.2.5 date-time matching: DT values as moments in time, their offsets from UTC taken
 * into account (C.2.2.2.5.3 d), the zone of a value without one (PS3.5 6.2: Timezone Offset From
 * UTC (0008,0201), else local time), and combined date-time matching of a DA and a TM key of the
 * same form of range matching only (C.2.2.2.5.4). Each describe names the clause it checks.
 */
import { describe, expect, it } from 'vitest';
import { combinedDateTimeMatcher, matchTemporal, temporalMatcher } from '../../src/services/date-range';
import { compileQuery, matchesQuery } from '../../src/services/query-matching';

/** 12:00 at +0100: 11:00 UTC. */
const INSTANT = '20240101120000+0100';

describe('C.2.2.2.5.3 d: the offset from UTC of a DT value is taken into account', () => {
  it('a range of the same instants, written at another offset, matches', () => {
    expect(matchTemporal('DT', '20240101105900+0000-20240101110100+0000', INSTANT)).toBe(true);
    expect(matchTemporal('DT', '20240101125900+0200-20240101130100+0200', INSTANT)).toBe(true);
    expect(matchTemporal('DT', '20240101115900+0100-20240101120100+0100', INSTANT)).toBe(true);
    // Negative offsets, which the range dash must not swallow: 07:00 at -0500 is 12:00 UTC.
    expect(matchTemporal('DT', '20240101055900-0500-20240101060100-0500', INSTANT)).toBe(true);
    expect(matchTemporal('DT', '-20240101055959-0500', INSTANT)).toBe(false);
    expect(matchTemporal('DT', '-20240101060000-0500', INSTANT)).toBe(true);
  });

  it('a range that holds the digits as written but not the instant does not match', () => {
    expect(matchTemporal('DT', '20240101115900+0000-20240101120100+0000', INSTANT)).toBe(false); // 12:00 UTC is an hour later
    expect(matchTemporal('DT', '20240101110100+0000-', INSTANT)).toBe(false);
    expect(matchTemporal('DT', '-20240101105959+0000', INSTANT)).toBe(false);
  });

  it('a bound of less precision is its whole period in its zone', () => {
    // 2 January at +0100 begins at 23:00 UTC on 1 January.
    expect(matchTemporal('DT', '20240102+0100-', '20240101233000+0000')).toBe(true);
    expect(matchTemporal('DT', '20240102+0100-', '20240101225959+0000')).toBe(false);
    // 2023 at -0500 ends at 05:00 UTC on 1 January 2024.
    expect(matchTemporal('DT', '-2023-0500', '20240101045959.999999+0000')).toBe(true);
    expect(matchTemporal('DT', '-2023-0500', '20240101050000+0000')).toBe(false);
    expect(matchTemporal('DT', '-202402', '20240229235959')).toBe(true); // a leap year's February
  });

  it('C.2.2.2.1.3: single value matching of DT is by meaning too', () => {
    expect(matchTemporal('DT', '20240101110000+0000', INSTANT)).toBe(true);
    expect(matchTemporal('DT', '202401011100+0000', INSTANT)).toBe(true); // the whole minute
    expect(matchTemporal('DT', '20240101120000+0000', INSTANT)).toBe(false);
  });

  it('an offset or value out of range is no DT value: nothing matches', () => {
    expect(matchTemporal('DT', '2024-', '20240101120000+2500')).toBe(false);
    expect(matchTemporal('DT', '2024-', '20241301120000')).toBe(false);
    expect(matchTemporal('DT', '20241301-', '20240101120000')).toBe(false);
  });

  it('through compileQuery, as the Query/Retrieve and Worklist SCPs match', () => {
    const instance = { AcquisitionDateTime: INSTANT };
    for (const AcquisitionDateTime of ['20240101105900+0000-20240101110100+0000', '20240101125900+0200-20240101130100+0200', INSTANT]) {
      expect([AcquisitionDateTime, compileQuery({ AcquisitionDateTime }).matches(instance)]).toEqual([AcquisitionDateTime, true]);
    }
    expect(matchesQuery(instance, { AcquisitionDateTime: '20240101115900+0000-20240101120100+0000' })).toBe(false);
  });
});

describe('PS3.5 6.2: a DT value without an offset is in the zone of Timezone Offset From UTC (0008,0201), else local time', () => {
  it("a candidate without one: its data set's Timezone Offset From UTC", () => {
    const matches = temporalMatcher('DT', '20240101105900+0000-20240101110100+0000');
    expect(matches('20240101120000', '+0100')).toBe(true);
    expect(matches('20240101120000', '+0000')).toBe(false);
    expect(matches('20240101060000', '-0500')).toBe(true);
    // The value's own offset wins over its data set's.
    expect(matches('20240101120000+0100', '-0500')).toBe(true);
  });

  it("a key without one: the query's Timezone Offset From UTC (C.2.2.2.5.4 lets it be used whatever was negotiated)", () => {
    expect(matchTemporal('DT', '20240101115900-20240101120100', INSTANT, { queryOffset: '+0100' })).toBe(true);
    expect(matchTemporal('DT', '20240101115900-20240101120100', INSTANT, { queryOffset: '+0000' })).toBe(false);
    expect(matchTemporal('DT', '20240101120000', INSTANT, { queryOffset: '+0100' })).toBe(true);
    // Key and candidate both in their data sets' zones.
    expect(matchTemporal('DT', '20240101115900-20240101120100', '20240101130000', { queryOffset: '+0100' }, '+0200')).toBe(true);
  });

  it('neither: local time, compared as written with another local time', () => {
    const local = { localOffset: 60 };
    expect(matchTemporal('DT', '20240101115900-20240101120100', '20240101110000+0000', local)).toBe(true);
    expect(matchTemporal('DT', '20240101105900+0000-20240101110100+0000', '20240101120000', local)).toBe(true);
    expect(matchTemporal('DT', '20240101105900+0000-20240101110100+0000', '20240101120000', { localOffset: 0 })).toBe(false);
    expect(matchTemporal('DT', '20240101115900-20240101120100', '20240101120000', { localOffset: -300 })).toBe(true);
  });

  it("local time defaults to this process's zone", () => {
    // Whatever the zone of the machine running this: 1 July 2024, 12:00 local, written in UTC.
    const utc = new Date(2024, 6, 1, 12, 0, 0).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    expect(matchTemporal('DT', '20240701115900-20240701120100', `${utc}+0000`)).toBe(true);
    expect(matchTemporal('DT', '20240701120000', `${utc}+0000`)).toBe(true);
  });
});

describe('C.2.2.2.5.4: combined date-time matching joins a DA and a TM range of the same form only', () => {
  const study = { StudyDate: '20240105', StudyTime: '101500' };
  const combined = (q: Record<string, unknown>) => compileQuery(q, { combinedDateTime: true }).matches(study);

  it('ranges of different forms are each matched on their own', () => {
    expect(combinedDateTimeMatcher('20240101-', '-0900')).toBeNull();
    expect(combinedDateTimeMatcher('-20240110', '1200-')).toBeNull();
    expect(combinedDateTimeMatcher('20240101-20240110', '0900-')).toBeNull();
    expect(combinedDateTimeMatcher('20240101-20240110', '-1100')).toBeNull();
    // 10:15 is after 09:00 and before 12:00: neither matches, though the date-times would.
    expect(combined({ StudyDate: '20240101-', StudyTime: '-0900' })).toBe(false);
    expect(combined({ StudyDate: '-20240110', StudyTime: '1200-' })).toBe(false);
    expect(combined({ StudyDate: '20240101-20240110', StudyTime: '-1100' })).toBe(true);
  });

  it('ranges of the same form are one date-time range', () => {
    expect(combined({ StudyDate: '20240101-20240110', StudyTime: '0900-1100' })).toBe(true);
    expect(combined({ StudyDate: '20240101-20240105', StudyTime: '0900-1000' })).toBe(false);
    expect(combined({ StudyDate: '20240104-', StudyTime: '1200-' })).toBe(true); // from 4 January 12:00
    expect(combined({ StudyDate: '-20240105', StudyTime: '-1000' })).toBe(false); // up to 5 January 10:00
    expect(combined({ StudyDate: '-20240106', StudyTime: '-0900' })).toBe(true);
  });

  it('as a DT: in the zones of the query and of the candidate, which may change the date', () => {
    const matches = combinedDateTimeMatcher('20240105-20240105', '2300-2359', { queryOffset: '+0000' })!;
    // 00:30 on 6 January at +0100 is 23:30 UTC on 5 January.
    expect(matches('20240106', '0030', '+0100')).toBe(true);
    expect(matches('20240106', '0030', '+0000')).toBe(false);
    const local = combinedDateTimeMatcher('20240105-20240105', '2300-2359', { localOffset: -60 })!;
    expect(local('20240105', '2330')).toBe(true); // both local: as written
    expect(local('20240106', '0030', '+0100')).toBe(false); // 23:30 UTC is 22:30 at -0100
    expect(local('20240105', '2330', '+0000')).toBe(false);
    expect(local('20240106', '0000', '+0000')).toBe(true);
  });
});
