/**
 * Malformed and oversized PDUs (reliability.md §3.2, M-01…M-15 at the decoder level, L0):
 * each case pins the error code, the A-ABORT source/reason, the PDU type and, where useful, the offset.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors';
import { decodePdu, PduReader } from '../../src/pdu';
import { ASSOCIATE_AC, ASSOCIATE_RQ, FIXTURES, RELEASE_RQ, RQ_OK, bytes, hex } from '../fixtures/pdus';

interface Expect {
  code: string;
  reason?: number;
  pduType?: number;
  offset?: number;
}

function caught(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return e as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

function expectError(fn: () => unknown, want: Expect): ProtocolError {
  const error = caught(fn);
  expect(error.code).toBe(want.code);
  expect(error.abort).toEqual({ source: 2, reason: want.reason ?? 6 });
  if (want.pduType !== undefined) expect(error.pduType).toBe(want.pduType);
  if (want.offset !== undefined) expect(error.offset).toBe(want.offset);
  return error;
}

/** Decoding through both entry points must give the same error. */
function expectBoth(wire: Uint8Array, want: Expect): void {
  expectError(() => decodePdu(wire), want);
  expectError(() => new PduReader({ maxPduLength: 0 }).push(wire), want);
}

function patched(base: Uint8Array, at: number, hexBytes: string): Uint8Array {
  const out = Uint8Array.from(base);
  out.set(hex(hexBytes), at);
  return out;
}

/** A-ASSOCIATE-RQ with the fixed fields, the given items, and a correct PDU-length. */
function rqWith(...items: (string | number[])[]): Uint8Array {
  const wire = bytes('01 00 00 00 00 00 00 01 00 00', Array(32).fill(0x41), Array(32).fill(0), ...items);
  new DataView(wire.buffer).setUint32(2, wire.length - 6);
  return wire;
}

/** RQ whose user-information item (with a correct item-length) holds `subItems`. */
function rqWithUserInfo(subItems: string): Uint8Array {
  const body = hex(subItems);
  return rqWith('10 00 00 03 31 2E 32', [0x50, 0, body.length >> 8, body.length & 0xff], body);
}

// Offsets in ASSOCIATE_RQ (see test/fixtures/pdus.ts): PC#1 at 99, user info at 230, 58H at 432.
const PC1 = 99;
const USER_INFO = 230;

describe('M-01/M-02/M-05: lengths above the caps fail on the 6-byte header alone', () => {
  it('A-ASSOCIATE-RQ length 0xFFFFFFFF: nothing buffered beyond the header', () => {
    const reader = new PduReader();
    const header = bytes('01 00 FF FF FF FF');
    for (let i = 0; i < 5; i++) expect(reader.push(header.subarray(i, i + 1))).toEqual([]);
    expect(reader.bufferedBytes).toBe(5);
    expectError(() => reader.push(header.subarray(5)), { code: 'ASSOCIATE_LENGTH_EXCEEDS_MAX', pduType: 1, offset: 2 });
    expect(reader.bufferedBytes).toBe(0);
  });

  it('A-ASSOCIATE-AC above associatePduMax; at the cap it waits for the body', () => {
    const reader = new PduReader({ associatePduMax: 1000 });
    expect(reader.push(bytes('02 00 00 00 03 E8'))).toEqual([]);
    expect(reader.bufferedBytes).toBe(6);
    expectError(() => new PduReader({ associatePduMax: 1000 }).push(bytes('02 00 00 00 03 E9')), {
      code: 'ASSOCIATE_LENGTH_EXCEEDS_MAX',
      pduType: 2,
    });
  });

  it('P-DATA-TF length 0xFFFFFFFF, even with maxPduLength 0', () => {
    for (const maxPduLength of [16384, 0]) {
      const reader = new PduReader({ maxPduLength });
      expectError(() => reader.push(bytes('04 00 FF FF FF FF')), { code: 'PDU_LENGTH_EXCEEDS_MAX', pduType: 4, offset: 2 });
      expect(reader.bufferedBytes).toBe(0);
    }
  });

  it('P-DATA-TF above the advertised maximum (M-02)', () => {
    expectError(() => new PduReader().push(bytes('04 00 00 00 40 01')), { code: 'PDU_LENGTH_EXCEEDS_MAX' });
  });
});

describe('M-04/M-05: unrecognized PDU types -> A-ABORT (2, 1)', () => {
  it('every type byte outside 01H..07H, from the first byte alone', () => {
    for (const type of [0x00, ...Array.from({ length: 0xf8 }, (_, i) => i + 8)]) {
      const reader = new PduReader();
      expectError(() => reader.push(Uint8Array.of(type)), { code: 'UNKNOWN_PDU_TYPE', reason: 1, pduType: type, offset: 0 });
      expectError(() => decodePdu(Uint8Array.of(type, 0, 0, 0, 0, 4, 0, 0, 0, 0)), { code: 'UNKNOWN_PDU_TYPE', reason: 1 });
    }
  });

  it('HTTP, TLS ClientHello, 1 KiB of 00 / FF: no allocation of the bogus length', () => {
    const http = Uint8Array.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n', (c) => c.charCodeAt(0));
    const tls = bytes('16 03 01 02 00 01 00 01 FC 03 03');
    for (const wire of [http, tls, new Uint8Array(1024), new Uint8Array(1024).fill(0xff)]) {
      const reader = new PduReader();
      expectError(() => reader.push(wire), { code: 'UNKNOWN_PDU_TYPE', reason: 1, pduType: wire[0] });
      expect(reader.bufferedBytes).toBe(0);
    }
  });

  it('a valid PDU followed by garbage: the garbage kills the reader', () => {
    const reader = new PduReader();
    expect(reader.push(RELEASE_RQ)).toHaveLength(1);
    expectError(() => reader.push(bytes('47 45 54')), { code: 'UNKNOWN_PDU_TYPE', reason: 1 });
  });
});

describe('M-03/M-14: lengths that break the fixed layout', () => {
  it('A-ASSOCIATE-RQ/AC shorter than the 68 fixed bytes', () => {
    for (const type of ['01', '02']) {
      for (const length of ['00', '01', '03', '43']) {
        expectBoth(bytes(`${type} 00 00 00 00 ${length}`), { code: 'ASSOCIATE_LENGTH_TOO_SHORT', offset: 2 });
      }
    }
  });

  it('A-ASSOCIATE-RJ, A-RELEASE-RQ/RP, A-ABORT with length 0, 3, 5, 100', () => {
    for (const type of [3, 5, 6, 7]) {
      for (const length of [0, 3, 5, 100]) {
        const wire = new Uint8Array(6 + length);
        wire.set([type, 0, 0, 0, 0, length]);
        expectBoth(wire, { code: 'FIXED_PDU_LENGTH_INVALID', pduType: type, offset: 2 });
      }
    }
  });
});

describe('M-06: truncated and over-long input to decodePdu', () => {
  it('fewer than 6 bytes', () => {
    expectError(() => decodePdu(bytes('01 00 00')), { code: 'PDU_HEADER_TRUNCATED' });
  });

  it('every fixture cut short is PDU_TRUNCATED; with an extra byte is PDU_TRAILING_BYTES', () => {
    for (const { bytes: wire } of FIXTURES) {
      for (let cut = 6; cut < wire.length; cut++) {
        expectError(() => decodePdu(wire.subarray(0, cut)), { code: 'PDU_TRUNCATED', pduType: wire[0] });
      }
      const longer = new Uint8Array(wire.length + 1);
      longer.set(wire);
      expectError(() => decodePdu(longer), { code: 'PDU_TRAILING_BYTES', offset: wire.length });
    }
  });

  it('the reader just waits on a truncated PDU (the UL handles FIN/ARTIM)', () => {
    const reader = new PduReader();
    expect(reader.push(RQ_OK.subarray(0, 100))).toEqual([]);
    expect(reader.bufferedBytes).toBe(100);
  });
});

describe('M-08/M-09: items that overrun their container', () => {
  it('M-08: presentation context item length FFFFH', () => {
    const wire = patched(RQ_OK.subarray(0, 6 + 0x65), 0, '01 00 00 00 00 65');
    wire.set(hex('20 00 FF FF 01 00 00 00'), 99);
    expectBoth(wire, { code: 'ITEM_OVERRUN', pduType: 1, offset: 99 });
  });

  it('item length one past the PDU end', () => {
    expectBoth(patched(ASSOCIATE_RQ, USER_INFO, '50 00 00 DC'), { code: 'ITEM_OVERRUN', offset: USER_INFO });
  });

  it('abstract syntax (30H) longer than its presentation context item', () => {
    expectBoth(patched(ASSOCIATE_RQ, PC1 + 8, '30 00 00 2B'), { code: 'ITEM_OVERRUN', offset: PC1 + 8 });
  });

  it('transfer syntax (40H) longer than its item, after a valid one', () => {
    // PC#3 at 149: header 8, 30H (4+25), 40H (4+19), then the second 40H at 149+8+29+23 = 209.
    expectBoth(patched(ASSOCIATE_RQ, 209, '40 00 00 12'), { code: 'ITEM_OVERRUN', offset: 209 });
  });

  it('user identity primary-field length FFFFH with 3 bytes', () => {
    expectBoth(rqWithUserInfo('58 00 00 07 01 00 FF FF 61 62 63'), { code: 'ITEM_OVERRUN' });
  });

  it('role selection UID length past its sub-item', () => {
    expectBoth(rqWithUserInfo('54 00 00 05 00 09 31 01 01'), { code: 'ITEM_OVERRUN' });
  });

  it('related general SOP class UID past the identification field (57H)', () => {
    expectBoth(rqWithUserInfo('57 00 00 0C 00 01 31 00 01 32 00 04 00 05 31 32'), { code: 'ITEM_OVERRUN' });
  });

  it('a partial item header at the end of the PDU', () => {
    expectBoth(rqWith('10 00 00 03 31 2E 32', '50 00'), { code: 'FIELD_TRUNCATED' });
  });

  it('presentation context item too short for its ID and reserved bytes', () => {
    expectBoth(rqWith('20 00 00 03 01 00 00'), { code: 'FIELD_TRUNCATED' });
  });
});

describe('sub-item lengths and duplicates (reliability.md §2.4)', () => {
  it('maximum length (51H) with length 0, 3, 5', () => {
    for (const sub of ['51 00 00 00', '51 00 00 03 00 00 40', '51 00 00 05 00 00 40 00 00']) {
      expectBoth(rqWithUserInfo(sub), { code: 'SUB_ITEM_LENGTH_INVALID' });
    }
  });

  it('async operations window (53H) with length 3', () => {
    expectBoth(rqWithUserInfo('53 00 00 03 00 01 00'), { code: 'SUB_ITEM_LENGTH_INVALID' });
  });

  it('implementation class UID (52H) with length 0', () => {
    expectBoth(rqWithUserInfo('52 00 00 00'), { code: 'SUB_ITEM_LENGTH_INVALID' });
  });

  it('bytes left after the last field of 54H / 58H / 59H', () => {
    expectBoth(rqWithUserInfo('54 00 00 06 00 01 31 01 01 00'), { code: 'ITEM_LENGTH_MISMATCH' });
    expectBoth(rqWithUserInfo('58 00 00 08 01 00 00 01 61 00 00 00'), { code: 'ITEM_LENGTH_MISMATCH' });
    expectBoth(rqWithUserInfo('59 00 00 03 00 00 00'), { code: 'ITEM_LENGTH_MISMATCH' });
  });

  it('duplicate singleton sub-items 51H, 52H, 53H, 55H, 58H, 59H', () => {
    const subs: Record<string, string> = {
      '51': '51 00 00 04 00 00 40 00',
      '52': '52 00 00 03 31 2E 32',
      '53': '53 00 00 04 00 01 00 01',
      '55': '55 00 00 01 41',
      '58': '58 00 00 06 01 00 00 00 00 00',
      '59': '59 00 00 02 00 00',
    };
    for (const [type, sub] of Object.entries(subs)) {
      const error = expectError(() => decodePdu(rqWithUserInfo(`${sub} ${sub}`)), { code: 'DUPLICATE_SUB_ITEM', pduType: 1 });
      expect(error.message).toContain(`${type}H`);
    }
  });

  it('role selection (54H) and extended negotiation (56H) may repeat', () => {
    const sub = '54 00 00 05 00 01 31 01 00';
    expect(() => decodePdu(rqWithUserInfo(`${sub} ${sub}`))).not.toThrow();
  });

  it('a second application context or user information item', () => {
    expectBoth(rqWith('10 00 00 01 31', '10 00 00 01 32'), { code: 'DUPLICATE_ITEM' });
    expectBoth(rqWith('50 00 00 00', '50 00 00 00'), { code: 'DUPLICATE_ITEM' });
  });

  it('a second abstract syntax in one presentation context', () => {
    expectBoth(rqWith('20 00 00 0E 01 00 00 00 30 00 00 01 31 30 00 00 01 32'), { code: 'DUPLICATE_SUB_ITEM' });
  });
});

describe('presentation-context-IDs must be odd (PS3.8 §9.3.2.2, §9.3.5.1)', () => {
  it('even or zero PCID in an RQ presentation context item', () => {
    for (const id of ['00', '02', 'FE']) {
      expectBoth(patched(ASSOCIATE_RQ, PC1 + 4, id), { code: 'INVALID_CONTEXT_ID', offset: PC1 + 4 });
    }
  });

  it('even PCID in an AC presentation context item', () => {
    // First 21H item of the AC at 6 + 68 + 25 = 99; its PCID at 103.
    expectBoth(patched(ASSOCIATE_AC, 103, '04'), { code: 'INVALID_CONTEXT_ID', pduType: 2, offset: 103 });
  });

  it('even or zero PCID in a PDV', () => {
    expectBoth(bytes('04 00 00 00 00 06 00 00 00 02 00 03'), { code: 'INVALID_CONTEXT_ID', pduType: 4, offset: 10 });
    expectBoth(bytes('04 00 00 00 00 06 00 00 00 02 02 03'), { code: 'INVALID_CONTEXT_ID' });
  });
});

describe('M-10…M-13: PDV framing', () => {
  it('M-10: PDV length 0xFFFFFFFF (no wraparound)', () => {
    expectBoth(bytes('04 00 00 00 00 0C FF FF FF FF 01 03 00 00 00 00 00 00'), { code: 'PDV_OVERRUN', pduType: 4, offset: 6 });
  });

  it('M-11: PDV length < 2', () => {
    expectBoth(bytes('04 00 00 00 00 05 00 00 00 01 01'), { code: 'PDV_LENGTH_TOO_SHORT', offset: 6 });
    expectBoth(bytes('04 00 00 00 00 04 00 00 00 00'), { code: 'PDV_LENGTH_TOO_SHORT' });
  });

  it('M-12: PDV lengths do not add up to the PDU length', () => {
    expectBoth(bytes('04 00 00 00 00 0B 00 00 00 04 01 03 00 00 AA BB CC'), { code: 'PDV_LENGTH_MISMATCH', offset: 14 });
    expectBoth(bytes('04 00 00 00 00 03 00 00 00'), { code: 'PDV_LENGTH_MISMATCH' });
  });

  it('M-13: P-DATA-TF with zero PDVs', () => {
    expectBoth(bytes('04 00 00 00 00 00'), { code: 'NO_PDVS', pduType: 4 });
  });
});

describe('error codes are distinct and stable', () => {
  it('every error carries a code, a message with its offset and the PDU type', () => {
    const error = caught(() => decodePdu(bytes('04 00 00 00 00 05 00 00 00 01 01')));
    expect(error.name).toBe('ProtocolError');
    expect(error.message).toMatch(/offset 6/);
    expect(error.pduType).toBe(4);
  });
});
