/**
 * Large P-DATA-TF PDUs split over network chunks are decoded in place (src/pdu/pdata-in-place.ts):
 * for any chunking the reader yields the same PDV bytes, contexts and flags as decoding the whole
 * PDU, only possibly cut into more PDVs (the last-fragment flag on the final piece alone), and
 * malformed PDUs fail with the same error as the ordinary decoder.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors';
import { decodePdu, encodePdu, PduReader } from '../../src/pdu';
import type { PDataTfPdu, Pdv } from '../../src/pdu/types';
import { pduLength } from '../../src/telemetry';

/** Joins consecutive PDVs that continue one fragment (same context and type, previous not last); data as hex digests. */
function normalize(pdvs: readonly Pdv[]): Array<{ contextId: number; isCommand: boolean; isLast: boolean; data: string }> {
  const out: Array<{ contextId: number; isCommand: boolean; isLast: boolean; parts: Uint8Array[] }> = [];
  for (const pdv of pdvs) {
    const prev = out.at(-1);
    if (prev && !prev.isLast && prev.contextId === pdv.contextId && prev.isCommand === pdv.isCommand) {
      prev.parts.push(pdv.data);
      prev.isLast = pdv.isLast;
    } else {
      out.push({ contextId: pdv.contextId, isCommand: pdv.isCommand, isLast: pdv.isLast, parts: [pdv.data] });
    }
  }
  return out.map(({ parts, ...rest }) => ({ ...rest, data: createHash('sha256').update(Buffer.concat(parts)).digest('hex') }));
}

/** Splits `bytes` at the given cut points (sorted, deduplicated, inside the buffer). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % bytes.length))].filter((c) => c > 0).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(at, p));
    at = p;
  }
  chunks.push(bytes.subarray(at));
  return chunks;
}

const pdvArb = fc.record({
  contextId: fc.integer({ min: 0, max: 127 }).map((n) => 2 * n + 1),
  isCommand: fc.boolean(),
  isLast: fc.boolean(),
  size: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 20_000, max: 90_000 })),
});

describe('P-DATA-TF decoded in place across chunks', () => {
  it('gives the same PDV bytes and flags as decoding the whole PDU, for any chunking', () => {
    fc.assert(
      fc.property(fc.array(pdvArb, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 12 }), (specs, cuts) => {
        const pdu: PDataTfPdu = {
          type: 'P-DATA-TF',
          pdvs: specs.map((s, i) => ({ ...s, data: new Uint8Array(s.size).map((_, j) => (i * 31 + j) & 0xff) })),
        };
        const bytes = encodePdu(pdu);
        const whole = decodePdu(bytes) as PDataTfPdu;
        const reader = new PduReader({ maxPduLength: 0 });
        const got = split(bytes, cuts).flatMap((c) => reader.push(c)) as PDataTfPdu[];
        expect(got).toHaveLength(1);
        expect(normalize(got[0]!.pdvs)).toEqual(normalize(whole.pdvs));
        expect(pduLength(got[0]!)).toBe(bytes.length);
      }),
      { numRuns: 50 },
    );
  });

  it('a PDU over 32 KiB split in two keeps its data as views of the chunks (no copy)', () => {
    const data = new Uint8Array(100_000).fill(7);
    const bytes = encodePdu({ type: 'P-DATA-TF', pdvs: [{ contextId: 1, isCommand: false, isLast: true, data }] });
    const reader = new PduReader({ maxPduLength: 0 });
    const first = bytes.slice(0, 50_000);
    const second = bytes.slice(50_000);
    expect(reader.push(first)).toEqual([]);
    const [pdu] = reader.push(second) as PDataTfPdu[];
    expect(pdu!.pdvs.map((p) => p.data.buffer)).toEqual([first.buffer, second.buffer]);
    expect(pdu!.pdvs.map((p) => p.isLast)).toEqual([false, true]);
  });

  it('a malformed large PDU split over chunks fails with the same error as in one piece', () => {
    const bytes = encodePdu({ type: 'P-DATA-TF', pdvs: [{ contextId: 1, isCommand: false, isLast: true, data: new Uint8Array(60_000) }] });
    const cases: Array<[string, (b: Uint8Array) => void]> = [
      ['PDV overrun', (b) => new DataView(b.buffer).setUint32(6, 70_000)],
      ['PDV too short', (b) => new DataView(b.buffer).setUint32(6, 1)],
      ['even context', (b) => (b[10] = 2)],
    ];
    for (const [name, corrupt] of cases) {
      const bad = bytes.slice();
      corrupt(bad);
      const code = (chunks: Uint8Array[]) => {
        const reader = new PduReader({ maxPduLength: 0 });
        try {
          for (const c of chunks) reader.push(c);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
          return (e as ProtocolError).code;
        }
        return 'no error';
      };
      const oneShot = code([bad]);
      expect(oneShot, name).not.toBe('no error');
      expect(code(split(bad, [20_000, 40_000])), name).toBe(oneShot);
    }
  });
});
