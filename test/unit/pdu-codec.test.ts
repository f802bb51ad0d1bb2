import { describe, expect, it } from 'vitest';
import { decodePdu, describeAbort, describePresentationResult, describeReject, encodePdu } from '../../src/pdu';
import { encodePDataParts } from '../../src/pdu/encode';
import type { AssociateAcPdu, AssociateRqPdu, PDataTfPdu } from '../../src/pdu/types';
import { decodeAeTitle, decodeUid, encodeAeTitle } from '../../src/bytes/text';
import { ASSOCIATE_RQ, ECHO_OK, FIXTURES, P_DATA_TF, RQ_OK, UID, bytes } from '../fixtures/pdus';

describe('PDU codec: hand-written fixtures', () => {
  for (const { name, bytes: wire, expected } of FIXTURES) {
    it(`decodes ${name} byte-exact`, () => {
      expect(decodePdu(wire)).toEqual(expected);
    });
    it(`re-encodes ${name} to the same bytes`, () => {
      expect(encodePdu(decodePdu(wire))).toEqual(wire);
    });
    it(`encodes the hand-written ${name} object to the fixture bytes`, () => {
      expect(encodePdu(expected)).toEqual(wire);
    });
  }

  it('PDV data is a view into the received buffer, not a copy', () => {
    const pdu = decodePdu(P_DATA_TF) as PDataTfPdu;
    expect(pdu.pdvs[1]!.data.buffer).toBe(P_DATA_TF.buffer);
    expect(pdu.pdvs[1]!.data.byteOffset).toBe(P_DATA_TF.byteOffset + 26); // header 6 + PDV 14 + PDV header 6;
  });

  it('user identity fields are views too', () => {
    const pdu = decodePdu(ASSOCIATE_RQ) as AssociateRqPdu;
    expect(pdu.userInformation.userIdentityRq!.primaryField.buffer).toBe(ASSOCIATE_RQ.buffer);
  });

  it('decodes the reliability.md RQ_OK and ECHO_OK vectors', () => {
    const rq = decodePdu(RQ_OK) as AssociateRqPdu;
    expect(rq).toMatchObject({
      calledAeTitle: 'NETDICOM',
      callingAeTitle: 'FUZZER',
      applicationContextName: UID.APP_CONTEXT,
      presentationContexts: [{ id: 1, abstractSyntax: UID.VERIFICATION, transferSyntaxes: [UID.IMPLICIT_LE] }],
      userInformation: { maxLength: 16384, implementationClassUid: '1.2.3.4' },
    });
    expect(encodePdu(rq)).toEqual(RQ_OK);
    const echo = decodePdu(ECHO_OK) as PDataTfPdu;
    expect(echo.pdvs).toHaveLength(1);
    expect(echo.pdvs[0]).toMatchObject({ contextId: 1, isCommand: true, isLast: true });
    expect(echo.pdvs[0]!.data.length).toBe(68);
    expect(encodePdu(echo)).toEqual(ECHO_OK);
  });
});

describe('PDU codec: leniency the standard requires (reliability.md §2.4)', () => {
  it('accepts non-zero reserved bytes in every PDU type', () => {
    const rq = Uint8Array.from(ASSOCIATE_RQ);
    rq[1] = 0xff; // header reserved
    rq[8] = rq[9] = 0xff; // reserved after protocol version
    rq.fill(0xff, 42, 74); // 32 reserved bytes
    rq[6 + 68 + 25 + 5] = 0xff; // reserved byte in PC item
    expect(decodePdu(rq)).toEqual(decodePdu(ASSOCIATE_RQ));
    expect(decodePdu(bytes('05 FF 00 00 00 04 FF FF FF FF'))).toEqual({ type: 'A-RELEASE-RQ' });
    expect(decodePdu(bytes('06 FF 00 00 00 04 FF FF FF FF'))).toEqual({ type: 'A-RELEASE-RP' });
    expect(decodePdu(bytes('07 FF 00 00 00 04 FF FF 00 00'))).toEqual({ type: 'A-ABORT', source: 0, reason: 0 });
    expect(decodePdu(bytes('03 FF 00 00 00 04 FF 02 03 01'))).toEqual({ type: 'A-ASSOCIATE-RJ', result: 2, source: 3, reason: 1 });
  });

  it('ignores message control header bits 2-7', () => {
    const pdu = decodePdu(bytes('04 00 00 00 00 08 00 00 00 04 01 FD AA BB')) as PDataTfPdu;
    expect(pdu.pdvs[0]).toMatchObject({ isCommand: true, isLast: false });
  });

  it('reports protocol version as sent (bits other than 0 are not tested)', () => {
    const rq = Uint8Array.from(ASSOCIATE_RQ);
    rq[6] = 0x80;
    rq[7] = 0x03;
    expect((decodePdu(rq) as AssociateRqPdu).protocolVersion).toBe(0x8003);
  });

  it('does not test the AE titles of an A-ASSOCIATE-AC', () => {
    const ac = Uint8Array.from(FIXTURES[1]!.bytes);
    ac.fill(0x00, 10, 42);
    const pdu = decodePdu(ac) as AssociateAcPdu;
    expect(pdu.calledAeTitle).toBe('');
    expect(pdu.presentationContexts).toHaveLength(5);
  });

  it('accepts empty PDVs (header only) and reserved abort source 1 / unknown reason', () => {
    expect((decodePdu(bytes('04 00 00 00 00 06 00 00 00 02 01 00')) as PDataTfPdu).pdvs[0]!.data.length).toBe(0);
    expect(decodePdu(bytes('07 00 00 00 00 04 00 00 01 09'))).toEqual({ type: 'A-ABORT', source: 1, reason: 9 });
  });

  it('skips unknown items in the PDU and in presentation contexts; keeps unknown user-info sub-items', () => {
    const wire = bytes(
      '01 00 00 00 00 00', // PDU-length patched below
      '00 01 00 00', Array(16).fill(0x41), Array(16).fill(0x42), Array(32).fill(0),
      '10 00 00 03 31 2E 32', // app context "1.2"
      '7F 00 00 02 AA BB', // unknown item type 7FH: skipped
      '20 00 00 0C 01 00 00 00', // PC 1, length 12
      '60 00 00 00', // unknown sub-item in the PC, empty
      '40 00 00 00', // empty transfer syntax
      '50 00 00 0A',
      '5A 00 00 02 01 02', // unknown user info sub-item 5AH
      '5B 00 00 00', // another unknown, empty
    );
    // Fix the PDU-length to the real body length.
    new DataView(wire.buffer).setUint32(2, wire.length - 6);
    const pdu = decodePdu(wire) as AssociateRqPdu;
    expect(pdu.calledAeTitle).toBe('AAAAAAAAAAAAAAAA');
    expect(pdu.applicationContextName).toBe('1.2');
    expect(pdu.presentationContexts).toEqual([{ id: 1, abstractSyntax: '', transferSyntaxes: [''] }]);
    expect(pdu.userInformation.unknownItems).toEqual([
      { itemType: 0x5a, value: Uint8Array.of(1, 2) },
      { itemType: 0x5b, value: new Uint8Array(0) },
    ]);
    // Unknown sub-items are re-encoded after the known ones.
    expect(decodePdu(encodePdu(pdu))).toEqual(pdu);
  });

  it('accepts user-info sub-items in any order', () => {
    const wire = bytes(
      '02 00 00 00 00 00', '00 01 00 00', Array(64).fill(0x20),
      '50 00 00 13',
      '52 00 00 07 31 2E 32 2E 33 2E 34', // 52H first
      '51 00 00 04 00 00 10 00',
    );
    new DataView(wire.buffer).setUint32(2, wire.length - 6);
    const pdu = decodePdu(wire) as AssociateAcPdu;
    expect(pdu.userInformation).toEqual({ implementationClassUid: '1.2.3.4', maxLength: 4096 });
    expect(pdu.applicationContextName).toBe('');
  });

  it('tolerates a trailing NUL on UIDs', () => {
    expect(decodeUid(Uint8Array.of(0x31, 0x2e, 0x32, 0x00))).toBe('1.2');
  });
});

describe('text helpers (PS3.8 Table 9-11)', () => {
  it('pads AE titles to 16 with spaces and trims on decode', () => {
    expect(Array.from(encodeAeTitle('AB'))).toEqual([0x41, 0x42, ...Array(14).fill(0x20)]);
    expect(decodeAeTitle(Uint8Array.from([0x20, 0x41, 0x20, 0x42, 0x20, 0x00]))).toBe('A B');
    expect(() => encodeAeTitle('X'.repeat(17))).toThrow(RangeError);
  });
});

describe('describe functions (PS3.8 Tables 9-18, 9-21, 9-26)', () => {
  it('describes rejects, aborts and presentation results', () => {
    expect(describeReject(1, 1, 7)).toBe('rejected-permanent, service-user: called-AE-title-not-recognized');
    expect(describeReject(2, 3, 1)).toBe('rejected-transient, service-provider (presentation): temporary-congestion');
    expect(describeReject(2, 2, 2)).toBe('rejected-transient, service-provider (ACSE): protocol-version-not-supported');
    expect(describeReject(9, 9, 9)).toBe('result 9, source 9: reason 9');
    expect(describeAbort(2, 6)).toBe('service-provider: invalid-PDU-parameter-value');
    expect(describeAbort(0, 0)).toBe('service-user');
    expect(describePresentationResult(4)).toMatch(/transfer-syntaxes-not-supported/);
  });
});

describe('encoder details', () => {
  it('defaults nothing it should not: reserved fields are zero, AE titles padded', () => {
    const rq = encodePdu({
      type: 'A-ASSOCIATE-RQ',
      protocolVersion: 1,
      calledAeTitle: 'A',
      callingAeTitle: 'B',
      applicationContextName: UID.APP_CONTEXT,
      presentationContexts: [],
      userInformation: {},
    });
    expect(Array.from(rq.subarray(0, 12))).toEqual([1, 0, 0, 0, 0, 68 + 25 + 4, 0, 1, 0, 0, 0x41, 0x20]);
    expect(rq.subarray(42, 74).every((b) => b === 0)).toBe(true);
    expect(Array.from(rq.subarray(rq.length - 4))).toEqual([0x50, 0, 0, 0]);
  });
});

describe('P-DATA-TF written as parts (headers apart from PDV data, for a vectored write)', () => {
  it('gives the same bytes as the one-buffer encoder, with lengths that use all four length bytes', () => {
    const data = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);
    const pdu: PDataTfPdu = {
      type: 'P-DATA-TF',
      pdvs: [
        { contextId: 1, isCommand: true, isLast: true, data: data(70, 1) },
        { contextId: 3, isCommand: false, isLast: false, data: data(70_000, 2) }, // 0x00011176 with its header
        { contextId: 3, isCommand: false, isLast: true, data: data(0x1000003, 3) }, // over 16 MiB: the high byte
      ],
    };
    const parts = encodePDataParts(pdu);
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) joined.set(p, (at += p.byteLength) - p.byteLength);
    expect(Buffer.from(joined).equals(Buffer.from(encodePdu(pdu)))).toBe(true);
    expect((decodePdu(joined) as PDataTfPdu).pdvs.map((p) => p.data.byteLength)).toEqual([70, 70_000, 0x1000003]);
  });

  it('sends a P-DATA-TF of up to 1 KiB as one buffer, a larger one with its data as the caller\'s own views', () => {
    const data = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 7 + seed) & 0xff);
    const joinedBytes = (parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
    const u32 = (n: number) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
    // 6 + (6 + n) bytes with one PDV; two PDVs add another 6 + m.
    for (const sizes of [[0], [100], [1012], [1013], [500, 500], [500, 501], [3, 4000]]) {
      const pdvs = sizes.map((n, i) => ({ contextId: 1 + 2 * i, isCommand: i === 0, isLast: i === sizes.length - 1, data: data(n, i) }));
      const pdu: PDataTfPdu = { type: 'P-DATA-TF', pdvs };
      const parts = encodePDataParts(pdu);
      expect(joinedBytes(parts).equals(Buffer.from(encodePdu(pdu)))).toBe(true);
      const total = 6 + sizes.reduce((n, m) => n + 6 + m, 0);
      if (total <= 1024) {
        expect(parts).toHaveLength(1);
        // PDU header, then each PDV's item length, context ID and control header (PS3.8 §9.3.5, Annex E.2).
        const head = [4, 0, ...u32(total - 6), ...u32(sizes[0]! + 2), 1, sizes.length === 1 ? 3 : 1];
        expect(Array.from(parts[0]!.subarray(0, 12))).toEqual(head);
        expect(pdvs.every((p) => p.data.buffer !== parts[0]!.buffer)).toBe(true); // copied in
      } else {
        // Every non-empty PDV's data goes out as the very view it came in.
        for (const p of pdvs) if (p.data.byteLength > 0) expect(parts).toContain(p.data);
      }
    }
  });
});
