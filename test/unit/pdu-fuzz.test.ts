/**
 * Property tests (reliability.md §3.14, Z-01…Z-04) with small CI budgets: only ProtocolError
 * escapes the decoder, chunking never changes the outcome, and valid PDUs round-trip.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors';
import { decodePdu, encodePdu, PduReader } from '../../src/pdu';
import type { PDataTfPdu, Pdu } from '../../src/pdu/types';
import { ECHO_OK, FIXTURES, hex, RQ_OK } from '../fixtures/pdus';

const SEEDS = [...FIXTURES.map((f) => f.bytes), RQ_OK, ECHO_OK];

interface Outcome {
  pdus: Pdu[];
  error?: string;
  /** The raw source and reason of an A-ABORT with a wrong length (M-15). */
  abort?: { source: number; reason: number };
}

/**
 * Feeds chunks; returns the PDUs produced and the error code, rethrowing anything untyped. A push
 * returns the PDUs before a malformed one and leaves the error to `failure`, as the UpperLayer reads it.
 */
function run(chunks: readonly Uint8Array[], reader = new PduReader({ maxPduLength: 0 })): Outcome {
  const pdus: Pdu[] = [];
  try {
    for (const chunk of chunks) {
      pdus.push(...reader.push(chunk));
      if (reader.failure) break;
    }
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    expect(reader.failure).toBe(e);
  }
  if (!reader.failure) return { pdus };
  expect(reader.bufferedBytes).toBe(0);
  return { pdus, error: reader.failure.code, ...(reader.malformedAbort && { abort: reader.malformedAbort }) };
}

function decodeOrCode(bytes: Uint8Array): Pdu | string {
  try {
    return decodePdu(bytes);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    // Plain checks: expect() per run is too slow for the budget.
    if (e.abort.source !== 2 || (e.abort.reason !== 1 && e.abort.reason !== 6)) throw new Error(`bad abort ${JSON.stringify(e.abort)}`);
    return e.code;
  }
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

function oneByteChunks(bytes: Uint8Array): Uint8Array[] {
  return Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
}

/** A PDU type byte, a consistent PDU-length, then random body bytes: reaches deep into decoding. */
const framed = fc
  .tuple(fc.integer({ min: 1, max: 7 }), fc.uint8Array({ maxLength: 300 }))
  .map(([type, body]) => {
    const out = new Uint8Array(6 + body.length);
    out[0] = type;
    new DataView(out.buffer).setUint32(2, body.length);
    out.set(body, 6);
    return out;
  });

const INTERESTING = [0, 1, 2, 3, 4, 5, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff];

/** Offsets of the item-length fields of an A-ASSOCIATE fixture (items and sub-items of 20H/21H/50H). */
function itemLengthOffsets(pdu: Uint8Array): number[] {
  const dv = new DataView(pdu.buffer, pdu.byteOffset, pdu.byteLength);
  const out: number[] = [];
  const walk = (start: number, end: number, depth: number): void => {
    for (let at = start; at + 4 <= end; at += 4 + dv.getUint16(at + 2)) {
      out.push(at + 2);
      const type = dv.getUint8(at);
      if (depth === 0 && (type === 0x20 || type === 0x21)) walk(at + 8, at + 4 + dv.getUint16(at + 2), 1);
      if (depth === 0 && type === 0x50) walk(at + 4, at + 4 + dv.getUint16(at + 2), 1);
    }
  };
  walk(74, pdu.length, 0);
  return out;
}

const ITEM_LENGTHS = [FIXTURES[0]!.bytes, FIXTURES[1]!.bytes].map((pdu) => ({ pdu, offsets: itemLengthOffsets(pdu) }));

/** Z-04, length-aware: set one item-length of an RQ/AC to an edge value, PDU-length kept as is. */
const itemLengthMutated = fc
  .tuple(fc.constantFrom(...ITEM_LENGTHS), fc.nat(), fc.constantFrom(0, 1, 2, 3, 4, 5, 0xff, 0xffff), fc.integer({ min: -2, max: 2 }))
  .map(([{ pdu, offsets }, i, value, delta]) => {
    const out = Uint8Array.from(pdu);
    const dv = new DataView(out.buffer);
    const at = offsets[i % offsets.length]!;
    dv.setUint16(at, delta === 0 ? value : Math.max(0, dv.getUint16(at) + delta));
    return out;
  });

/** Z-04: overwrite 1, 2 or 4 bytes of a seed with an edge value, or truncate/splice it. */
const mutated = fc.oneof(
  itemLengthMutated,
  fc
    .tuple(fc.constantFrom(...SEEDS), fc.nat(), fc.constantFrom(1, 2, 4), fc.constantFrom(...INTERESTING), fc.integer({ min: -1, max: 1 }))
    .map(([seed, pos, width, value, delta]) => {
      const out = Uint8Array.from(seed);
      const at = pos % Math.max(1, seed.length - width);
      const dv = new DataView(out.buffer);
      const old = width === 1 ? dv.getUint8(at) : width === 2 ? dv.getUint16(at) : dv.getUint32(at);
      const v = (delta === 0 ? value : old + delta) >>> 0;
      if (width === 1) dv.setUint8(at, v & 0xff);
      else if (width === 2) dv.setUint16(at, v & 0xffff);
      else dv.setUint32(at, v);
      return out;
    }),
  fc.tuple(fc.constantFrom(...SEEDS), fc.nat()).map(([seed, n]) => seed.subarray(0, n % (seed.length + 1))),
  fc
    .tuple(fc.constantFrom(...SEEDS), fc.constantFrom(...SEEDS), fc.nat(), fc.nat())
    .map(([a, b, i, j]) => {
      const head = a.subarray(0, i % (a.length + 1));
      const tail = b.subarray(j % (b.length + 1));
      const out = new Uint8Array(head.length + tail.length);
      out.set(head);
      out.set(tail, head.length);
      return out;
    }),
);

const anyInput = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 400 }) },
  { weight: 1, arbitrary: framed },
  { weight: 4, arbitrary: mutated },
);

describe('Z-01/Z-04: decoder totality', () => {
  it('decodePdu yields a PDU or a ProtocolError, never anything else', () => {
    fc.assert(
      fc.property(anyInput, (bytes) => {
        decodeOrCode(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('whatever decodes re-encodes, and decoding that again gives the same PDU', () => {
    fc.assert(
      fc.property(anyInput, (bytes) => {
        const pdu = decodeOrCode(bytes);
        if (typeof pdu === 'string') return;
        expect(decodePdu(encodePdu(pdu))).toEqual(pdu);
      }),
      { numRuns: 1000 },
    );
  });

  it('the reader throws only ProtocolError, then stays dead', () => {
    fc.assert(
      fc.property(fc.array(anyInput, { maxLength: 4 }), (inputs) => {
        const reader = new PduReader({ maxPduLength: 0 });
        const outcome = run(inputs, reader);
        expect(reader.bufferedBytes).toBeLessThanOrEqual(inputs.reduce((n, b) => n + b.length, 0));
        if (outcome.error !== undefined) expect(() => reader.push(RQ_OK)).toThrow(ProtocolError);
      }),
      { numRuns: 500 },
    );
  });

  it('the generators reach most error codes and every PDU type', () => {
    // Its own sample (not what the cases above happened to see), so it holds when run alone.
    const reached = new Set(fc.sample(anyInput, 3000).map((bytes) => decodeOrCode(bytes)).map((r) => (typeof r === 'string' ? r : r.type)));
    expect(reached.size).toBeGreaterThan(18);
  });
});

describe('Z-02: chunking invariance', () => {
  it('any split gives the same PDUs and error as one byte per chunk', () => {
    const stream = fc.array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...SEEDS) }, { weight: 1, arbitrary: anyInput }), {
      minLength: 1,
      maxLength: 4,
    });
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 8 }), (parts, cuts) => {
        const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
        const reference = run(oneByteChunks(bytes));
        const split = run(splitAt(bytes, cuts));
        // The PDUs before an error come first however the input is split (M-07): all of them, exactly.
        expect(split).toEqual(reference);
        expect(run([bytes])).toEqual(reference);
      }),
      // Always tried: a whole PDU then a malformed one in one push (M-07), and an A-ABORT with a wrong length (M-15).
      { numRuns: 200, examples: [[[ECHO_OK, hex('FF 00 00 00 00 04 00 00 00 00')], []], [[ECHO_OK, hex('07 00 00 00 00 06 00 00 01 09 00 00')], [3]]] },
    );
  });
});

// Z-03: generated valid PDUs round-trip.
const uid = fc.array(fc.integer({ min: 0, max: 99999 }), { minLength: 1, maxLength: 8 }).map((parts) => parts.join('.'));
const aeTitle = fc.stringMatching(/^[A-Z0-9_][A-Z0-9_ -]{0,14}[A-Z0-9_]$/);
const oddId = fc.integer({ min: 0, max: 127 }).map((n) => 2 * n + 1);
const field = fc.uint8Array({ maxLength: 40 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const userInformation = fc
  .record({
    maxLength: maybe(fc.nat({ max: 0xffffffff })),
    implementationClassUid: maybe(uid),
    implementationVersionName: maybe(fc.stringMatching(/^[A-Z0-9_]{1,16}$/)),
    asyncOps: maybe(fc.record({ maxInvoked: fc.nat({ max: 0xffff }), maxPerformed: fc.nat({ max: 0xffff }) })),
    roleSelections: maybe(fc.array(fc.record({ sopClassUid: uid, scuRole: fc.boolean(), scpRole: fc.boolean() }), { minLength: 1, maxLength: 3 })),
    extendedNegotiations: maybe(fc.array(fc.record({ sopClassUid: uid, info: field }), { minLength: 1, maxLength: 2 })),
    commonExtendedNegotiations: maybe(
      fc.array(fc.record({ sopClassUid: uid, serviceClassUid: uid, relatedGeneralSopClassUids: fc.array(uid, { maxLength: 3 }) }), {
        minLength: 1,
        maxLength: 2,
      }),
    ),
    userIdentityRq: maybe(
      fc.record({ identityType: fc.integer({ min: 1, max: 5 }), positiveResponseRequested: fc.boolean(), primaryField: field, secondaryField: field }),
    ),
    userIdentityAc: maybe(fc.record({ serverResponse: field })),
  })
  .map((ui) => Object.fromEntries(Object.entries(ui).filter(([, v]) => v !== undefined)));

const associateCommon = {
  protocolVersion: fc.constant(1),
  calledAeTitle: aeTitle,
  callingAeTitle: aeTitle,
  applicationContextName: uid,
  userInformation,
};

const pduArb: fc.Arbitrary<Pdu> = fc.oneof(
  fc.record({
    type: fc.constant('A-ASSOCIATE-RQ' as const),
    ...associateCommon,
    presentationContexts: fc.array(fc.record({ id: oddId, abstractSyntax: uid, transferSyntaxes: fc.array(uid, { minLength: 1, maxLength: 3 }) }), {
      maxLength: 4,
    }),
  }),
  fc.record({
    type: fc.constant('A-ASSOCIATE-AC' as const),
    ...associateCommon,
    presentationContexts: fc.array(
      fc.oneof(
        fc.record({ id: oddId, result: fc.constant(0), transferSyntax: uid }),
        fc.record({ id: oddId, result: fc.integer({ min: 1, max: 4 }), transferSyntax: fc.constantFrom('', '1.2.840.10008.1.2') }),
      ),
      { maxLength: 4 },
    ),
  }),
  fc.record({ type: fc.constant('A-ASSOCIATE-RJ' as const), result: fc.nat(255), source: fc.nat(255), reason: fc.nat(255) }),
  fc.record({
    type: fc.constant('P-DATA-TF' as const),
    pdvs: fc.array(fc.record({ contextId: oddId, isCommand: fc.boolean(), isLast: fc.boolean(), data: fc.uint8Array({ maxLength: 64 }) }), {
      minLength: 1,
      maxLength: 4,
    }),
  }),
  fc.constant({ type: 'A-RELEASE-RQ' as const }),
  fc.constant({ type: 'A-RELEASE-RP' as const }),
  fc.record({ type: fc.constant('A-ABORT' as const), source: fc.nat(255), reason: fc.nat(255) }),
) as fc.Arbitrary<Pdu>;

describe('Z-03: round trip of generated valid PDUs', () => {
  it('decode(encode(x)) == x and the reader agrees for any chunking', () => {
    fc.assert(
      fc.property(fc.array(pduArb, { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { maxLength: 4 }), (pdus, cuts) => {
        const encoded = pdus.map(encodePdu);
        encoded.forEach((bytes, i) => expect(decodePdu(bytes)).toEqual(pdus[i]));
        const all = new Uint8Array(encoded.reduce((n, b) => n + b.length, 0));
        encoded.reduce((at, b) => (all.set(b, at), at + b.length), 0);
        expect(run(splitAt(all, cuts)).pdus).toEqual(pdus);
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * P-DATA-TF PDUs from PDV items whose fields may be wrong (lengths, context IDs, missing bytes),
 * to compare the reader's direct path for a P-DATA-TF inside one chunk with decodePdu.
 */
const pdvItem = fc
  .record({
    contextId: fc.oneof(oddId, fc.integer({ min: 0, max: 255 })),
    control: fc.nat(255),
    data: fc.uint8Array({ maxLength: 40 }),
    lengthDelta: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -4, max: 4 }) }),
  })
  .map(({ contextId, control, data, lengthDelta }) => {
    const out = new Uint8Array(6 + data.length);
    new DataView(out.buffer).setUint32(0, Math.max(0, 2 + data.length + lengthDelta));
    out[4] = contextId;
    out[5] = control;
    out.set(data, 6);
    return out;
  });
const pDataLike = fc
  .tuple(fc.array(pdvItem, { maxLength: 4 }), fc.integer({ min: -3, max: 0 }))
  .map(([items, cut]) => {
    const body = items.reduce((n, b) => n + b.length, 0);
    const bodyLength = Math.max(0, body + cut);
    const out = new Uint8Array(6 + bodyLength);
    out[0] = 0x04;
    new DataView(out.buffer).setUint32(2, bodyLength);
    let at = 6;
    for (const b of items) {
      out.set(b.subarray(0, Math.max(0, out.length - at)), at);
      at += b.length;
    }
    return out;
  });

describe('the reader reads a P-DATA-TF inside one chunk directly', () => {
  it('with the same PDUs and errors as decodePdu, alone or followed by another PDU', () => {
    fc.assert(
      fc.property(pDataLike, fc.boolean(), (bytes, followed) => {
        const expected = decodeOrCode(bytes);
        const input = followed ? Uint8Array.from([...bytes, ...ECHO_OK]) : bytes;
        const outcome = run([input]);
        if (typeof expected === 'string') {
          expect(outcome.error).toBe(expected);
        } else {
          expect(outcome.error).toBeUndefined();
          expect(outcome.pdus).toEqual(followed ? [expected, decodePdu(ECHO_OK)] : [expected]);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('hands back the headers of a lent chunk and keeps only the PDV data out', () => {
    const released: number[] = [];
    const reader = new PduReader({ maxPduLength: 0 }, (_view, count) => released.push(count ?? _view.byteLength));
    const pdus = reader.push(Uint8Array.from([...ECHO_OK, ...ECHO_OK]));
    expect(pdus).toHaveLength(2);
    const data = (pdus[0] as PDataTfPdu).pdvs.reduce((n, p) => n + p.data.byteLength, 0);
    expect(released).toEqual([ECHO_OK.length - data, ECHO_OK.length - data]);
  });

  it('checks the PDU-length against the limits before reading the PDVs', () => {
    const reader = new PduReader({ maxPduLength: ECHO_OK.length - 7 });
    expect(() => reader.push(ECHO_OK)).toThrow(expect.objectContaining({ code: 'PDU_LENGTH_EXCEEDS_MAX' }));
    expect(new PduReader({ maxPduLength: ECHO_OK.length - 6 }).push(ECHO_OK)).toHaveLength(1);
  });
});
