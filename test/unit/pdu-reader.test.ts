import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors';
import { decodePdu, PduReader } from '../../src/pdu';
import type { PDataTfPdu, Pdu } from '../../src/pdu/types';
import { ECHO_OK, FIXTURES, P_DATA_TF, RELEASE_RQ, RQ_OK, bytes } from '../fixtures/pdus';
import { concat } from '../helpers/bytes';

function feed(reader: PduReader, chunks: readonly Uint8Array[]): Pdu[] {
  return chunks.flatMap((c) => reader.push(c));
}

const ALL = concat(FIXTURES.map((f) => f.bytes));
const EXPECTED = FIXTURES.map((f) => f.expected);

describe('PduReader: chunking', () => {
  for (const { name, bytes: wire, expected } of FIXTURES) {
    it(`${name}: split at every byte offset gives the same PDU`, () => {
      for (let cut = 0; cut <= wire.length; cut++) {
        const reader = new PduReader();
        const pdus = feed(reader, [wire.subarray(0, cut), wire.subarray(cut)]);
        expect(pdus, `cut at ${cut}`).toEqual([expected]);
        expect(reader.bufferedBytes).toBe(0);
      }
    });

    it(`${name}: three chunks at sampled pairs of offsets`, () => {
      for (let a = 0; a <= wire.length; a += 13) {
        for (let b = a; b <= wire.length; b += 11) {
          const pdus = feed(new PduReader(), [wire.subarray(0, a), wire.subarray(a, b), wire.subarray(b)]);
          expect(pdus).toEqual([expected]);
        }
      }
    });
  }

  it('all fixtures concatenated in one chunk', () => {
    const reader = new PduReader();
    expect(reader.push(ALL)).toEqual(EXPECTED);
    expect(reader.bufferedBytes).toBe(0);
  });

  it('all fixtures one byte per chunk', () => {
    const reader = new PduReader();
    const out: Pdu[] = [];
    for (let i = 0; i < ALL.length; i++) {
      out.push(...reader.push(ALL.subarray(i, i + 1)));
      expect(reader.bufferedBytes).toBeLessThanOrEqual(500);
    }
    expect(out).toEqual(EXPECTED);
  });

  it('all fixtures split at every offset of the concatenation', () => {
    for (let cut = 0; cut <= ALL.length; cut++) {
      expect(feed(new PduReader(), [ALL.subarray(0, cut), ALL.subarray(cut)])).toEqual(EXPECTED);
    }
  });

  it('M-07: RQ_OK + ECHO_OK + REL_RQ merged, split and trickled give the same PDUs', () => {
    const stream = concat([RQ_OK, ECHO_OK, RELEASE_RQ]);
    const oneShot = new PduReader().push(stream);
    expect(oneShot.map((p) => p.type)).toEqual(['A-ASSOCIATE-RQ', 'P-DATA-TF', 'A-RELEASE-RQ']);
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(feed(new PduReader(), [stream.subarray(0, cut), stream.subarray(cut)])).toEqual(oneShot);
    }
  });

  it('empty chunks are harmless', () => {
    const reader = new PduReader();
    expect(reader.push(new Uint8Array(0))).toEqual([]);
    expect(feed(reader, [RELEASE_RQ.subarray(0, 3), new Uint8Array(0), RELEASE_RQ.subarray(3)])).toEqual([{ type: 'A-RELEASE-RQ' }]);
  });
});

describe('PduReader: zero copy', () => {
  it('a PDU wholly inside one chunk is decoded from a view', () => {
    const chunk = concat([RELEASE_RQ, P_DATA_TF]);
    const [, pdata] = new PduReader().push(chunk) as [Pdu, PDataTfPdu];
    expect(pdata.pdvs[0]!.data.buffer).toBe(chunk.buffer);
  });

  it('a PDU spanning chunks is copied once, into one buffer', () => {
    const reader = new PduReader();
    reader.push(P_DATA_TF.subarray(0, 10));
    const [pdata] = reader.push(P_DATA_TF.subarray(10)) as [PDataTfPdu];
    expect(pdata.pdvs[0]!.data.buffer).not.toBe(P_DATA_TF.buffer);
    expect(pdata.pdvs[1]!.data.buffer).toBe(pdata.pdvs[0]!.data.buffer);
    expect(pdata).toEqual(decodePdu(P_DATA_TF));
  });
});

describe('PduReader: limits and failure', () => {
  it('accepts a P-DATA-TF exactly at maxPduLength and rejects one byte more', () => {
    const pdata = (len: number) => {
      const b = new Uint8Array(6 + len);
      b.set([4, 0, 0, 0, (len >> 8) & 0xff, len & 0xff], 0);
      b.set([0, 0, (len - 4) >> 8, (len - 4) & 0xff, 1, 3], 6);
      return b;
    };
    expect(new PduReader({ maxPduLength: 4096 }).push(pdata(4096))).toHaveLength(1);
    expect(() => new PduReader({ maxPduLength: 4096 }).push(pdata(4097))).toThrow(
      expect.objectContaining({ code: 'PDU_LENGTH_EXCEEDS_MAX', abort: { source: 2, reason: 6 } }),
    );
  });

  it('setLimits changes the cap for headers not yet checked', () => {
    const reader = new PduReader({ maxPduLength: 16 });
    reader.setLimits({ maxPduLength: 24 });
    expect(reader.push(P_DATA_TF)).toHaveLength(1);
    reader.setLimits({ maxPduLength: 23 });
    expect(() => reader.push(P_DATA_TF)).toThrow(expect.objectContaining({ code: 'PDU_LENGTH_EXCEEDS_MAX' }));
  });

  it('maxPduLength 0 means no limit up to the 64 MiB hard cap', () => {
    const reader = new PduReader({ maxPduLength: 0 });
    expect(reader.push(bytes('04 00 04 00 00 00'))).toEqual([]); // exactly 64 MiB: waits for the body
    expect(reader.bufferedBytes).toBe(6);
    expect(() => new PduReader({ maxPduLength: 0 }).push(bytes('04 00 04 00 00 01'))).toThrow(
      expect.objectContaining({ code: 'PDU_LENGTH_EXCEEDS_MAX' }),
    );
  });

  it('is dead after the first error: later pushes throw the same error and buffers are released', () => {
    const reader = new PduReader();
    reader.push(RELEASE_RQ.subarray(0, 4));
    let first: unknown;
    try {
      reader.push(bytes('00 00 08 00 00 00 04'));
    } catch (e) {
      first = e;
    }
    expect(first).toBeInstanceOf(ProtocolError);
    expect(reader.failure).toBe(first);
    expect(reader.bufferedBytes).toBe(0);
    expect(() => reader.push(RELEASE_RQ)).toThrow(first as Error);
    expect(() => reader.push(new Uint8Array(0))).toThrow(first as Error);
  });
});
