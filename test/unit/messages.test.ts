import { describe, expect, it } from 'vitest';
import { commandName, describeCommand, isRequest, MESSAGES, responseFieldFor, serviceOf, validateCommand } from '../../src/dimse/messages';
import { DimseError } from '../../src/errors';
import { CommandField, NO_DATASET, type Command, type CommandName } from '../../src/dimse/types';

describe('command field helpers (PS3.7 Table E.1-1)', () => {
  it('names every command field and covers every message', () => {
    for (const [name, field] of Object.entries(CommandField)) expect(commandName(field)).toBe(name);
    expect(Object.keys(MESSAGES).sort()).toEqual(Object.keys(CommandField).sort());
    expect(commandName(0x1234)).toBeUndefined();
  });
  it('isRequest / responseFieldFor / serviceOf', () => {
    expect(isRequest(0x0001)).toBe(true);
    expect(isRequest(0x0fff)).toBe(true);
    expect(isRequest(0x8001)).toBe(false);
    for (const name of Object.keys(CommandField) as CommandName[]) {
      if (!name.endsWith('-RQ') || name === 'C-CANCEL-RQ') continue;
      expect(commandName(responseFieldFor(CommandField[name])!)).toBe(name.replace(/RQ$/, 'RSP'));
    }
    for (const bad of [0x0fff, 0x8001, 0x0002]) expect(() => responseFieldFor(bad)).toThrow(DimseError);
    expect(serviceOf(0x8021)).toBe('C-MOVE');
    expect(serviceOf(0x0100)).toBe('N-EVENT-REPORT');
    expect(serviceOf(0x0fff)).toBeUndefined();
  });
});

describe('validateCommand (PS3.7 §9.3, §10.3)', () => {
  it('accepts well-formed messages', () => {
    expect(validateCommand({ CommandField: 0x0030, MessageID: 1, AffectedSOPClassUID: '1.2.840.10008.1.1', CommandDataSetType: NO_DATASET })).toEqual([]);
    expect(validateCommand({ CommandField: 0x8021, MessageIDBeingRespondedTo: 1, CommandDataSetType: NO_DATASET, Status: 0xff00, NumberOfRemainingSuboperations: 2, NumberOfCompletedSuboperations: 1, NumberOfFailedSuboperations: 0, NumberOfWarningSuboperations: 0 })).toEqual([]);
    expect(validateCommand({ CommandField: 0x0fff, MessageIDBeingRespondedTo: 4, CommandDataSetType: NO_DATASET })).toEqual([]);
    expect(validateCommand({ CommandField: 0x0130, MessageID: 2, CommandDataSetType: 1, RequestedSOPClassUID: '1.2.840.10008.1.20.1', RequestedSOPInstanceUID: '1.2.840.10008.1.20.1.1', ActionTypeID: 1 })).toEqual([]);
  });
  it('reports missing mandatory fields, stray fields, data set rules and Priority', () => {
    const store: Command = { CommandField: 0x0001, MessageID: 1, CommandDataSetType: NO_DATASET, Priority: 5, MoveDestination: 'X' };
    const problems = validateCommand(store);
    expect(problems).toContain('C-STORE-RQ: missing mandatory AffectedSOPClassUID');
    expect(problems).toContain('C-STORE-RQ: missing mandatory AffectedSOPInstanceUID');
    expect(problems).toContain('C-STORE-RQ: MoveDestination is not defined for this message');
    expect(problems).toContain('C-STORE-RQ: a data set is required');
    expect(problems).toContain('C-STORE-RQ: Priority 5 is not 0, 1 or 2');
    expect(validateCommand({ CommandField: 0x0030, MessageID: 1, AffectedSOPClassUID: '1.2', CommandDataSetType: 1 })).toEqual(['C-ECHO-RQ: no data set is allowed']);
    expect(validateCommand({ CommandField: 0x0021, MessageID: 1, AffectedSOPClassUID: '1.2', Priority: 0, CommandDataSetType: 1 })).toEqual(['C-MOVE-RQ: missing mandatory MoveDestination']);
    expect(validateCommand({ CommandField: 0x4242, CommandDataSetType: 1 })).toEqual(['unknown CommandField 0x4242']);
  });
});

describe('describeCommand', () => {
  it('dumps fields with UID names and status meanings', () => {
    const text = describeCommand({
      CommandField: 0x8021,
      MessageIDBeingRespondedTo: 3,
      AffectedSOPClassUID: '1.2.840.10008.5.1.4.1.2.2.2',
      CommandDataSetType: NO_DATASET,
      Status: 0xa801,
      OffendingElement: [0x00080052],
    });
    expect(text.split('\n')).toEqual([
      'Message Type                  : C-MOVE RSP',
      'Message ID Being Responded To : 3',
      'Affected SOP Class UID        : 1.2.840.10008.5.1.4.1.2.2.2 (Study Root Query/Retrieve Information Model - MOVE)',
      'Status                        : 0xA801 Failure: Refused: Move destination unknown',
      'Offending Element             : (0008,0052)',
      'Data Set                      : None',
    ]);
  });
  it('shows priority and data set presence, and survives unknown fields', () => {
    const text = describeCommand({ CommandField: 0x0001, MessageID: 9, Priority: 1, CommandDataSetType: 1, AffectedSOPInstanceUID: '1.2.3' });
    expect(text).toContain('Priority                      : High');
    expect(text).toContain('Affected SOP Instance UID     : 1.2.3');
    expect(text).toContain('Data Set                      : Present');
    expect(describeCommand({ CommandField: 0x4242, CommandDataSetType: NO_DATASET })).toContain('Unknown (0x4242)');
  });
});
