import { describe, expect, it } from 'vitest';
import { decodeCommand, encodeCommand } from '../../src/dimse/command-set';
import { CommandField, NO_DATASET, type Command, type CommandName } from '../../src/dimse/types';
import { DimseError } from '../../src/errors';

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

describe('encodeCommand: hand-computed vectors', () => {
  it('C-ECHO-RQ', () => {
    // Elements after the group length:
    //   (0000,0002) UI "1.2.840.10008.1.1" 17 chars + NUL pad = 18 -> 8 + 18 = 26
    //   (0000,0100) US 0x0030                                     -> 8 + 2  = 10
    //   (0000,0110) US 1                                          -> 8 + 2  = 10
    //   (0000,0800) US 0x0101                                     -> 8 + 2  = 10
    //   group length = 26 + 10 + 10 + 10 = 56 = 0x38; total = 12 + 56 = 68 bytes
    const expected = new Uint8Array([
      0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00, ...ascii('1.2.840.10008.1.1'), 0x00,
      0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x30, 0x00,
      0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
      0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01,
    ]);
    const cmd: Command = {
      CommandField: 0x0030,
      MessageID: 1,
      AffectedSOPClassUID: '1.2.840.10008.1.1',
      CommandDataSetType: NO_DATASET,
    };
    const bytes = encodeCommand(cmd);
    expect(bytes.length).toBe(68);
    expect(hex(bytes)).toBe(hex(expected));
    expect(decodeCommand(expected)).toEqual(cmd);
  });

  it('C-STORE-RQ', () => {
    //   (0000,0002) UI "1.2.840.10008.5.1.4.1.1.2" 25 + NUL = 26 -> 34
    //   (0000,0100) US 0x0001 -> 10    (0000,0110) US 7 -> 10
    //   (0000,0700) US 0      -> 10    (0000,0800) US 1 -> 10
    //   (0000,1000) UI "1.2.3.4" 7 + NUL = 8                   -> 16
    //   (0000,1030) AE "MOVER" 5 + space = 6                   -> 14
    //   (0000,1031) US 3                                       -> 10
    //   group length = 34 + 4*10 + 16 + 14 + 10 = 114 = 0x72; total 126
    const expected = new Uint8Array([
      0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x72, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x02, 0x00, 0x1a, 0x00, 0x00, 0x00, ...ascii('1.2.840.10008.5.1.4.1.1.2'), 0x00,
      0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
      0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x07, 0x00,
      0x00, 0x00, 0x00, 0x07, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
      0x00, 0x00, 0x00, 0x10, 0x08, 0x00, 0x00, 0x00, ...ascii('1.2.3.4'), 0x00,
      0x00, 0x00, 0x30, 0x10, 0x06, 0x00, 0x00, 0x00, ...ascii('MOVER '),
      0x00, 0x00, 0x31, 0x10, 0x02, 0x00, 0x00, 0x00, 0x03, 0x00,
    ]);
    const cmd: Command = {
      CommandField: 0x0001,
      MessageID: 7,
      Priority: 0,
      CommandDataSetType: 0x0001,
      AffectedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
      AffectedSOPInstanceUID: '1.2.3.4',
      MoveOriginatorApplicationEntityTitle: 'MOVER',
      MoveOriginatorMessageID: 3,
    };
    const bytes = encodeCommand(cmd);
    expect(bytes.length).toBe(126);
    expect(hex(bytes)).toBe(hex(expected));
    expect(decodeCommand(expected)).toEqual(cmd);
  });

  it('encodes AT lists as (group, element) US pairs', () => {
    const bytes = encodeCommand({ CommandField: 0x0110, CommandDataSetType: NO_DATASET, AttributeIdentifierList: [0x00100010, 0x7fe00010] });
    // Last element: (0000,1005) length 8, then 10 00 10 00 e0 7f 10 00
    expect(hex(bytes.subarray(bytes.length - 16))).toBe('00 00 05 10 08 00 00 00 10 00 10 00 e0 7f 10 00');
  });

  it('writes non-ASCII text as UTF-8, padded to even length, beside ASCII values', () => {
    const cmd: Command = { CommandField: 0x8001, CommandDataSetType: NO_DATASET, MessageIDBeingRespondedTo: 1, Status: 0xa700, AffectedSOPClassUID: '1.2.3', ErrorComment: 'Fehler: Größe' };
    const bytes = encodeCommand(cmd);
    expect(bytes.length % 2).toBe(0);
    expect(new DataView(bytes.buffer).getUint32(8, true)).toBe(bytes.length - 12);
    expect(decodeCommand(bytes)).toEqual(cmd);
  });
  it('pads ErrorComment (LO) with a space and strips it on decode', () => {
    const cmd: Command = { CommandField: 0x8001, CommandDataSetType: NO_DATASET, MessageIDBeingRespondedTo: 1, Status: 0xa700, ErrorComment: 'odd' };
    const bytes = encodeCommand(cmd);
    expect(bytes.includes(0x20)).toBe(true);
    expect(decodeCommand(bytes).ErrorComment).toBe('odd');
  });
});

/** One representative command per message type, with every field that message can carry. */
const SAMPLES: Record<CommandName, Omit<Command, 'CommandField'>> = {
  'C-STORE-RQ': { MessageID: 1, Priority: 2, CommandDataSetType: 1, AffectedSOPClassUID: '1.2.840.10008.5.1.4.1.1.7', AffectedSOPInstanceUID: '1.2.3', MoveOriginatorApplicationEntityTitle: 'SCU', MoveOriginatorMessageID: 9 },
  'C-STORE-RSP': { MessageIDBeingRespondedTo: 1, CommandDataSetType: NO_DATASET, Status: 0xb000, AffectedSOPClassUID: '1.2.840.10008.5.1.4.1.1.7', AffectedSOPInstanceUID: '1.2.3', OffendingElement: [0x00100020], ErrorComment: 'coerced' },
  'C-GET-RQ': { MessageID: 2, Priority: 0, CommandDataSetType: 1, AffectedSOPClassUID: '1.2.840.10008.5.1.4.1.2.2.3' },
  'C-GET-RSP': { MessageIDBeingRespondedTo: 2, CommandDataSetType: NO_DATASET, Status: 0xff00, NumberOfRemainingSuboperations: 3, NumberOfCompletedSuboperations: 1, NumberOfFailedSuboperations: 0, NumberOfWarningSuboperations: 0 },
  'C-FIND-RQ': { MessageID: 3, Priority: 1, CommandDataSetType: 1, AffectedSOPClassUID: '1.2.840.10008.5.1.4.31' },
  'C-FIND-RSP': { MessageIDBeingRespondedTo: 3, CommandDataSetType: 1, Status: 0xff01, AffectedSOPClassUID: '1.2.840.10008.5.1.4.31' },
  'C-MOVE-RQ': { MessageID: 4, Priority: 0, CommandDataSetType: 1, AffectedSOPClassUID: '1.2.840.10008.5.1.4.1.2.1.2', MoveDestination: 'STORESCP' },
  'C-MOVE-RSP': { MessageIDBeingRespondedTo: 4, CommandDataSetType: 1, Status: 0xa801, NumberOfCompletedSuboperations: 0, NumberOfFailedSuboperations: 2 },
  'C-ECHO-RQ': { MessageID: 5, CommandDataSetType: NO_DATASET, AffectedSOPClassUID: '1.2.840.10008.1.1' },
  'C-ECHO-RSP': { MessageIDBeingRespondedTo: 5, CommandDataSetType: NO_DATASET, Status: 0, AffectedSOPClassUID: '1.2.840.10008.1.1' },
  'N-EVENT-REPORT-RQ': { MessageID: 6, CommandDataSetType: 1, AffectedSOPClassUID: '1.2.840.10008.1.20.1', AffectedSOPInstanceUID: '1.2.840.10008.1.20.1.1', EventTypeID: 1 },
  'N-EVENT-REPORT-RSP': { MessageIDBeingRespondedTo: 6, CommandDataSetType: NO_DATASET, Status: 0, AffectedSOPClassUID: '1.2.840.10008.1.20.1', AffectedSOPInstanceUID: '1.2.840.10008.1.20.1.1', EventTypeID: 1 },
  'N-GET-RQ': { MessageID: 7, CommandDataSetType: NO_DATASET, RequestedSOPClassUID: '1.2.840.10008.5.1.1.16', RequestedSOPInstanceUID: '1.2.840.10008.5.1.1.17', AttributeIdentifierList: [0x21100010, 0x21100030] },
  'N-GET-RSP': { MessageIDBeingRespondedTo: 7, CommandDataSetType: 1, Status: 0x0001, AffectedSOPClassUID: '1.2.840.10008.5.1.1.16', AffectedSOPInstanceUID: '1.2.840.10008.5.1.1.17' },
  'N-SET-RQ': { MessageID: 8, CommandDataSetType: 1, RequestedSOPClassUID: '1.2.840.10008.3.1.2.3.3', RequestedSOPInstanceUID: '1.2.9' },
  'N-SET-RSP': { MessageIDBeingRespondedTo: 8, CommandDataSetType: NO_DATASET, Status: 0x0106, AffectedSOPClassUID: '1.2.840.10008.3.1.2.3.3', AffectedSOPInstanceUID: '1.2.9', ErrorID: 42, ErrorComment: 'bad value' },
  'N-ACTION-RQ': { MessageID: 9, CommandDataSetType: 1, RequestedSOPClassUID: '1.2.840.10008.1.20.1', RequestedSOPInstanceUID: '1.2.840.10008.1.20.1.1', ActionTypeID: 1 },
  'N-ACTION-RSP': { MessageIDBeingRespondedTo: 9, CommandDataSetType: NO_DATASET, Status: 0, AffectedSOPClassUID: '1.2.840.10008.1.20.1', AffectedSOPInstanceUID: '1.2.840.10008.1.20.1.1', ActionTypeID: 1 },
  'N-CREATE-RQ': { MessageID: 10, CommandDataSetType: 1, AffectedSOPClassUID: '1.2.840.10008.3.1.2.3.3', AffectedSOPInstanceUID: '1.2.10' },
  'N-CREATE-RSP': { MessageIDBeingRespondedTo: 10, CommandDataSetType: NO_DATASET, Status: 0, AffectedSOPClassUID: '1.2.840.10008.3.1.2.3.3', AffectedSOPInstanceUID: '1.2.10' },
  'N-DELETE-RQ': { MessageID: 11, CommandDataSetType: NO_DATASET, RequestedSOPClassUID: '1.2.840.10008.5.1.1.2', RequestedSOPInstanceUID: '1.2.11' },
  'N-DELETE-RSP': { MessageIDBeingRespondedTo: 11, CommandDataSetType: NO_DATASET, Status: 0x0112, AffectedSOPClassUID: '1.2.840.10008.5.1.1.2', AffectedSOPInstanceUID: '1.2.11' },
  'C-CANCEL-RQ': { MessageIDBeingRespondedTo: 3, CommandDataSetType: NO_DATASET },
};

describe('round trip of every message type', () => {
  for (const [name, rest] of Object.entries(SAMPLES) as Array<[CommandName, Omit<Command, 'CommandField'>]>) {
    it(name, () => {
      const cmd = { CommandField: CommandField[name], ...rest } as Command;
      const bytes = encodeCommand(cmd);
      expect(bytes.length % 2).toBe(0);
      const dv = new DataView(bytes.buffer);
      expect(dv.getUint32(8, true)).toBe(bytes.length - 12); // group length
      // Ascending tag order.
      const tags: number[] = [];
      for (let off = 0; off < bytes.length; off += 8 + dv.getUint32(off + 4, true)) tags.push(dv.getUint16(off + 2, true));
      expect(tags).toEqual([...tags].sort((a, b) => a - b));
      expect(decodeCommand(bytes)).toEqual(cmd);
    });
  }
});

describe('decodeCommand tolerance', () => {
  const echo = encodeCommand({ CommandField: 0x0030, MessageID: 1, AffectedSOPClassUID: '1.2.840.10008.1.1', CommandDataSetType: NO_DATASET });

  it('accepts elements in any order, without a group length, and skips unknown/retired elements', () => {
    const el = (element: number, value: number[]): number[] => [0, 0, element & 0xff, element >> 8, value.length, 0, 0, 0, ...value];
    const bytes = new Uint8Array([
      ...el(0x0800, [0x01, 0x01]),
      ...el(0x4000, ascii('RETIRED ')), // (0000,4000) Retired Command Comments
      ...el(0x0001, [0, 0, 0, 0]), // (0000,0001) Retired Command Length To End
      ...el(0x0100, [0x30, 0x80]),
      ...el(0x0999, [1, 2]), // unknown
      ...el(0x0120, [0x05, 0x00]),
      ...el(0x0900, [0x00, 0x00]),
    ]);
    expect(decodeCommand(bytes)).toEqual({ CommandField: 0x8030, CommandDataSetType: NO_DATASET, MessageIDBeingRespondedTo: 5, Status: 0 });
  });

  it('ignores a wrong group length value', () => {
    const copy = echo.slice();
    new DataView(copy.buffer).setUint32(8, 9999, true);
    expect(decodeCommand(copy).MessageID).toBe(1);
  });

  it('decodes from a view with a non-zero byteOffset', () => {
    const big = new Uint8Array(echo.length + 5);
    big.set(echo, 5);
    expect(decodeCommand(big.subarray(5)).AffectedSOPClassUID).toBe('1.2.840.10008.1.1');
  });

  it('strips trailing NUL and space padding', () => {
    const bytes = encodeCommand({ CommandField: 0x0021, CommandDataSetType: 1, MoveDestination: 'DEST  ' });
    expect(decodeCommand(bytes).MoveDestination).toBe('DEST');
  });
});

describe('malformed input -> DimseError COMMAND_INVALID only', () => {
  const echo = encodeCommand({ CommandField: 0x0030, MessageID: 1, AffectedSOPClassUID: '1.2.840.10008.1.1', CommandDataSetType: NO_DATASET });
  const expectInvalid = (bytes: Uint8Array, pattern: RegExp, max?: number): void => {
    try {
      decodeCommand(bytes, max);
    } catch (e) {
      expect(e).toBeInstanceOf(DimseError);
      expect((e as DimseError).code).toBe('COMMAND_INVALID');
      expect((e as Error).message).toMatch(pattern);
      return;
    }
    throw new Error('expected decodeCommand to throw');
  };

  it('truncated element header', () => expectInvalid(echo.subarray(0, echo.length - 5), /truncated element header at offset 58/));
  it('value overrunning the buffer', () => expectInvalid(echo.subarray(0, echo.length - 1), /\(0000,0800\) at offset 58.*overruns/));
  it('huge length', () => {
    const copy = echo.slice();
    new DataView(copy.buffer).setUint32(16, 0xffffffff, true); // (0000,0002) length -> undefined length
    expectInvalid(copy, /\(0000,0002\) at offset 12.*overruns/);
  });
  it('non-0000 group', () => {
    const copy = echo.slice();
    copy[12] = 0x08;
    expectInvalid(copy, /\(0008,0002\) at offset 12 is not in group 0000/);
  });
  it('missing CommandField', () => expectInvalid(echo.subarray(0, 38), /no CommandField/));
  it('missing CommandDataSetType', () => expectInvalid(echo.subarray(0, 58), /no CommandDataSetType/));
  it('bad US length', () => {
    const bytes = new Uint8Array([0, 0, 0, 1, 3, 0, 0, 0, 1, 2, 3, 0]);
    expectInvalid(bytes, /\(0000,0100\) at offset 0: US length 3/);
  });
  it('more than maxLength bytes', () => expectInvalid(echo, /68 bytes, more than the 64 allowed/, 64));
  it('empty input', () => expectInvalid(new Uint8Array(0), /no CommandField/));
  it('random garbage never throws anything but DimseError', () => {
    let seed = 12345;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 2000; i++) {
      const bytes = echo.slice();
      for (let k = 0; k < 3; k++) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
      try {
        decodeCommand(bytes.subarray(0, Math.floor(rnd() * (bytes.length + 1))));
      } catch (e) {
        expect(e).toBeInstanceOf(DimseError);
      }
    }
  });
});

describe('encodeCommand: element order comes from the tags, not from the object', () => {
  const full: Command = {
    AffectedSOPClassUID: '1.2.3',
    RequestedSOPClassUID: '1.2.4',
    CommandField: 0x0120,
    MessageID: 5,
    MessageIDBeingRespondedTo: 4,
    MoveDestination: 'DEST',
    Priority: 2,
    CommandDataSetType: 0x0001,
    Status: 0xff00,
    OffendingElement: [0x00100010],
    ErrorComment: 'Grüße', // UTF-8: 7 bytes, padded to 8
    ErrorID: 9,
    AffectedSOPInstanceUID: '1.2.3.4',
    RequestedSOPInstanceUID: '1.2.3.5',
    EventTypeID: 1,
    AttributeIdentifierList: [0x00080018, 0x00100020],
    ActionTypeID: 2,
    NumberOfRemainingSuboperations: 3,
    NumberOfCompletedSuboperations: 4,
    NumberOfFailedSuboperations: 5,
    NumberOfWarningSuboperations: 6,
    MoveOriginatorApplicationEntityTitle: 'MOVER',
    MoveOriginatorMessageID: 7,
  };
  const inOrder = encodeCommand(full);

  it('writes every element in ascending tag order whatever the key order, and reads back', () => {
    const reversed = Object.fromEntries(Object.entries(full).reverse()) as Command;
    const rotated = Object.fromEntries([...Object.entries(full).slice(11), ...Object.entries(full).slice(0, 11)]) as Command;
    expect(hex(encodeCommand(reversed))).toBe(hex(inOrder));
    expect(hex(encodeCommand(rotated))).toBe(hex(inOrder));
    const tags: number[] = [];
    const dv = new DataView(inOrder.buffer, inOrder.byteOffset, inOrder.byteLength);
    for (let off = 12; off < inOrder.length; off += 8 + dv.getUint32(off + 4, true)) tags.push(dv.getUint16(off + 2, true));
    expect(tags).toEqual([...tags].sort((a, b) => a - b));
    expect(tags).toHaveLength(23);
    expect(decodeCommand(inOrder)).toEqual(full);
  });

  it('skips undefined and null values and properties that are not command elements', () => {
    const withExtras = { ...full, ErrorID: undefined, Status: null, PatientName: 'X', toJSON: 1 } as unknown as Command;
    const { ErrorID: _id, Status: _status, ...rest } = full;
    expect(hex(encodeCommand(withExtras))).toBe(hex(encodeCommand(rest as Command)));
  });
});

describe('encodeCommand rejects unencodable values', () => {
  it.each([
    [{ CommandField: 0x10000, CommandDataSetType: NO_DATASET }, /US value out of range/],
    [{ CommandField: 1.5, CommandDataSetType: NO_DATASET }, /US value out of range/],
    [{ CommandField: 0x0030 } as Command, /CommandDataSetType/],
    [{ CommandField: 0x0110, CommandDataSetType: NO_DATASET, AttributeIdentifierList: [-1] }, /AT value 0/],
  ])('%#', (cmd, pattern) => {
    expect(() => encodeCommand(cmd as Command)).toThrow(pattern);
    expect(() => encodeCommand(cmd as Command)).toThrow(DimseError);
  });
});
