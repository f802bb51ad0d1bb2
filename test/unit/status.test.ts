import { describe, expect, it } from 'vitest';
import { describeStatus, Status, statusCategory } from '../../src/dimse/status';

describe('statusCategory (PS3.7 Annex C)', () => {
  it.each([
    [0x0000, 'Success'],
    [0xff00, 'Pending'],
    [0xff01, 'Pending'],
    [0xfe00, 'Cancel'],
    [0x0001, 'Warning'],
    [0x0107, 'Warning'],
    [0x0116, 'Warning'],
    [0xb000, 'Warning'],
    [0xb006, 'Warning'],
    [0xb007, 'Warning'],
    [0xbfff, 'Warning'],
    [0xa700, 'Failure'],
    [0xa7ff, 'Failure'],
    [0xa801, 'Failure'],
    [0xa900, 'Failure'],
    [0xc000, 'Failure'],
    [0xcfff, 'Failure'],
    [0x0105, 'Failure'],
    [0x0110, 'Failure'],
    [0x0122, 'Failure'],
    [0x0124, 'Failure'],
    [0x0210, 'Failure'],
    [0x0213, 'Failure'],
    [0x1234, 'Failure'],
    [0xffff, 'Failure'],
    [0xfe01, 'Failure'],
  ] as const)('0x%s -> %s', (status, category) => {
    expect(statusCategory(status)).toBe(category);
  });
});

describe('Status constants', () => {
  it('has the common values', () => {
    expect(Status.Success).toBe(0x0000);
    expect(Status.Pending).toBe(0xff00);
    expect(Status.Cancel).toBe(0xfe00);
    expect(Status.RefusedSOPClassNotSupported).toBe(0x0122);
    expect(Status.MoveDestinationUnknown).toBe(0xa801);
    expect(Status.ProcessingFailure).toBe(0x0110);
  });
});

describe('describeStatus', () => {
  it('general statuses (PS3.7 C.1-C.5)', () => {
    expect(describeStatus(0x0000)).toBe('Success');
    expect(describeStatus(0x0105)).toBe('No such attribute');
    expect(describeStatus(0x0106)).toBe('Invalid attribute value');
    expect(describeStatus(0x0110)).toBe('Processing failure');
    expect(describeStatus(0x0112)).toBe('No such SOP instance');
    expect(describeStatus(0x0117)).toBe('Invalid object instance');
    expect(describeStatus(0x0118)).toBe('No such SOP class');
    expect(describeStatus(0x0119)).toBe('Class-instance conflict');
    expect(describeStatus(0x0120)).toBe('Missing attribute');
    expect(describeStatus(0x0121)).toBe('Missing attribute value');
    expect(describeStatus(0x0122)).toBe('Refused: SOP class not supported');
    expect(describeStatus(0x0123)).toBe('No such action');
    expect(describeStatus(0x0124)).toBe('Refused: not authorized');
    expect(describeStatus(0x0210)).toBe('Duplicate invocation');
    expect(describeStatus(0x0211)).toBe('Unrecognized operation');
    expect(describeStatus(0x0212)).toBe('Mistyped argument');
    expect(describeStatus(0x0213)).toBe('Resource limitation');
    expect(describeStatus(0x0107)).toBe('Attribute list error');
    expect(describeStatus(0x0116)).toBe('Attribute value out of range');
  });

  it('storage statuses (PS3.4 B.2.3), with masked ranges', () => {
    expect(describeStatus(0xa700, 'C-STORE')).toBe('Refused: Out of resources');
    expect(describeStatus(0xa7f3, 'C-STORE')).toBe('Refused: Out of resources');
    expect(describeStatus(0xa912, 'C-STORE')).toBe('Error: Data set does not match SOP class');
    expect(describeStatus(0xc123, 'C-STORE')).toBe('Error: Cannot understand');
    expect(describeStatus(0xb000, 'C-STORE')).toBe('Warning: Coercion of data elements');
    expect(describeStatus(0xb006, 'C-STORE')).toBe('Warning: Elements discarded');
    expect(describeStatus(0xb007, 'C-STORE')).toBe('Warning: Data set does not match SOP class');
    expect(describeStatus(0x0122, 'C-STORE')).toBe('Refused: SOP class not supported');
  });

  it('query/retrieve statuses (PS3.4 C.4.1.1.4, C.4.2.1.5, C.4.3.1.4)', () => {
    expect(describeStatus(0xff00, 'C-FIND')).toMatch(/^Pending: Matches are continuing/);
    expect(describeStatus(0xff01, 'C-FIND')).toMatch(/optional keys not supported/);
    expect(describeStatus(0xfe00, 'C-FIND')).toMatch(/^Cancel/);
    expect(describeStatus(0xa700, 'C-FIND')).toBe('Refused: Out of resources');
    expect(describeStatus(0xa900, 'C-FIND')).toBe('Failed: Identifier does not match SOP class');
    expect(describeStatus(0xc001, 'C-FIND')).toBe('Failed: Unable to process');
    expect(describeStatus(0xa801, 'C-MOVE')).toBe('Refused: Move destination unknown');
    expect(describeStatus(0xa701, 'C-MOVE')).toMatch(/number of matches/);
    expect(describeStatus(0xa702, 'C-GET')).toMatch(/sub-operations/);
    expect(describeStatus(0xb000, 'C-MOVE')).toMatch(/one or more failures/);
    expect(describeStatus(0xb000, 'C-GET')).toMatch(/one or more failures/);
    expect(describeStatus(0xff00, 'C-GET')).toBe('Pending: Sub-operations are continuing');
    expect(describeStatus(0x0000, 'C-MOVE')).toMatch(/^Success: Sub-operations complete/);
    // 0xA801 is a C-MOVE status only.
    expect(describeStatus(0xa801, 'C-GET')).not.toMatch(/Move destination/);
  });

  it('UPS statuses as PS3.4 CC.2 words them (Tables CC.2.1-2, CC.2.2-2, CC.2.3-3, CC.2.5-4, CC.2.6-1)', () => {
    expect(describeStatus(0xb300, 'ups')).toBe('Warning: The UPS was created with modifications');
    expect(describeStatus(0xb301, 'ups')).toBe('Warning: Deletion lock not granted');
    expect(describeStatus(0xb305, 'ups')).toBe('Warning: Coerced invalid values to valid values');
    expect(describeStatus(0xb306, 'ups')).toBe('Warning: The UPS is already in the requested state of COMPLETED');
    expect(describeStatus(0xc303, 'ups')).toBe('Failure: The UPS may only become SCHEDULED via N-CREATE, not N-SET or N-ACTION');
    expect(describeStatus(0xc307, 'ups')).toMatch(/is not a UPS Instance managed by this SCP$/);
    expect(describeStatus(0xc309, 'ups')).toBe('Failure: The provided value of UPS State was not SCHEDULED');
    expect(describeStatus(0xc311, 'ups')).toBe('Failure: The UPS is already COMPLETED');
    // Table CC.2.2-2: C312 is the unreachable performer, C313 the performer that will not cancel.
    expect(describeStatus(0xc312, 'ups')).toBe('Failure: The performer cannot be contacted');
    expect(describeStatus(0xc313, 'ups')).toBe('Failure: Performer chooses not to cancel');
    expect(describeStatus(0xc314, 'ups')).toBe('Failure: Specified action not appropriate for specified instance');
    expect(describeStatus(0xc315, 'ups')).toBe('Failure: SCP does not support Event Reports');
  });

  it('falls back sensibly for unknown codes', () => {
    expect(describeStatus(0x1234)).toBe('Unknown failure status 0x1234');
    expect(describeStatus(0xb123)).toBe('Warning status 0xB123');
    expect(describeStatus(0xa7aa)).toBe('Refused: Out of resources');
    expect(describeStatus(0x0110, 'N-ACTION')).toBe('Processing failure');
  });
});
