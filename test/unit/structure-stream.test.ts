/**
 * The chunked structural check (src/dataset/structure-stream.ts, reliability.md D-10) against the
 * whole-buffer one (structure.ts): for every prefix of a data set, split into chunks at random,
 * both accept it or both refuse it — so a data set cut mid-element, mid-header, inside a sequence
 * or an item of undefined length is caught however the network split it.
 */
import { describe, expect, it } from 'vitest';
import { decodeDataset, encodeDataset } from '../../src/dataset/codec';
import { checkStructure } from '../../src/dataset/structure';
import { StructureWalker } from '../../src/dataset/structure-stream';
import { DimseError } from '../../src/errors';
import { concat } from '../helpers/bytes';
import { encapsulatedPart10, EXPLICIT_LE } from '../helpers/ct-instance';

type Syntax = { explicitVr: boolean; littleEndian: boolean };
const EXPLICIT: Syntax = { explicitVr: true, littleEndian: true };
const IMPLICIT: Syntax = { explicitVr: false, littleEndian: true };
const BIG: Syntax = { explicitVr: true, littleEndian: false };

/** One element, item or delimiter header plus value, hand-encoded (PS3.5 §7.1, §7.5). */
function u16(v: number, le: boolean): number[] {
  return le ? [v & 0xff, v >>> 8] : [v >>> 8, v & 0xff];
}
function u32(v: number, le: boolean): number[] {
  return le ? [...u16(v & 0xffff, le), ...u16(v >>> 16, le)] : [...u16(v >>> 16, le), ...u16(v & 0xffff, le)];
}
const UNDEFINED = 0xffffffff;
function element(s: Syntax, group: number, el: number, vr: string, value: Uint8Array | number[], length = value.length): Uint8Array {
  const le = s.littleEndian;
  const tag = [...u16(group, le), ...u16(el, le)];
  const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
  const head = !s.explicitVr ? [...tag, ...u32(length, le)] : long ? [...tag, vr.charCodeAt(0), vr.charCodeAt(1), 0, 0, ...u32(length, le)] : [...tag, vr.charCodeAt(0), vr.charCodeAt(1), ...u16(length, le)];
  return concat([new Uint8Array(head), Uint8Array.from(value)]);
}
function item(s: Syntax, content: Uint8Array, undefinedLength: boolean): Uint8Array {
  const le = s.littleEndian;
  const head = new Uint8Array([...u16(0xfffe, le), ...u16(0xe000, le), ...u32(undefinedLength ? UNDEFINED : content.length, le)]);
  const end = undefinedLength ? [new Uint8Array([...u16(0xfffe, le), ...u16(0xe00d, le), 0, 0, 0, 0])] : [];
  return concat([head, content, ...end]);
}
function sequenceEnd(s: Syntax): Uint8Array {
  return new Uint8Array([...u16(0xfffe, s.littleEndian), ...u16(0xe0dd, s.littleEndian), 0, 0, 0, 0]);
}
const text = (t: string) => Array.from(t, (c) => c.charCodeAt(0));

/** A data set with sequences and items of defined and undefined length, nested twice. */
function nested(s: Syntax): Uint8Array {
  const inner = concat([element(s, 0x0008, 0x0100, 'SH', text('CODE01')), element(s, 0x0008, 0x0104, 'LO', text('MEANING '))]);
  const innerSeq = concat([element(s, 0x0040, 0xa043, 'SQ', [], UNDEFINED), item(s, inner, true), item(s, inner, false), sequenceEnd(s)]);
  const outerItem = concat([element(s, 0x0040, 0xa010, 'CS', text('HAS CONCEPT MOD ')), innerSeq]);
  const definedSeqItem = item(s, inner, false);
  return concat([
    element(s, 0x0008, 0x0016, 'UI', text('1.2.840.10008.5.1.4.1.1.2\0')),
    element(s, 0x0008, 0x1032, 'SQ', definedSeqItem, definedSeqItem.length),
    element(s, 0x0040, 0xa730, 'SQ', [], UNDEFINED),
    item(s, outerItem, true),
    item(s, outerItem, false),
    sequenceEnd(s),
    element(s, 0x0010, 0x0010, 'PN', text('DOE^JANE')),
    element(s, 0x7fe0, 0x0010, 'OW', new Uint8Array(300).fill(7)),
  ]);
}

/** A UN value of undefined length: its items are Implicit VR Little Endian (PS3.5 §6.2.2). */
function unknownSequence(): Uint8Array {
  const implicitItem = item(IMPLICIT, element(IMPLICIT, 0x0011, 0x1001, '', text('PRIVATE ')), true);
  return concat([element(EXPLICIT, 0x0011, 0x0010, 'LO', text('VENDOR  ')), element(EXPLICIT, 0x0011, 0x1010, 'UN', [], UNDEFINED), implicitItem, sequenceEnd(IMPLICIT)]);
}

let seed = 42;
function random(n: number): number {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed % n;
}

/** Feeds `bytes` to a walker in random chunks (1 byte up to 40) and finishes it. */
function walk(bytes: Uint8Array, s: Syntax): void {
  const walker = new StructureWalker(s.explicitVr, s.littleEndian);
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + random(random(4) === 0 ? 3 : 40);
    walker.push(bytes.subarray(at, at + n));
    at += n;
  }
  walker.finish();
}

function accepts(f: () => void): boolean {
  try {
    f();
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(DimseError);
    expect((error as DimseError).code).toBe('DATASET_DECODE_FAILED');
    return false;
  }
}

describe('StructureWalker', () => {
  const cases: [string, Uint8Array, Syntax][] = [
    ['explicit VR LE, nested sequences', nested(EXPLICIT), EXPLICIT],
    ['implicit VR LE, nested sequences', nested(IMPLICIT), IMPLICIT],
    ['explicit VR big endian, nested sequences', nested(BIG), BIG],
    ['a UN value of undefined length', unknownSequence(), EXPLICIT],
    ['encapsulated pixel data', encapsulatedPart10({ sopInstanceUid: '1.2.3.4', transferSyntaxUid: '1.2.840.10008.1.2.4.50' }).dataset, EXPLICIT],
    ['a codec-encoded data set', encodeDataset({ PatientName: 'A^B', ReferencedStudySequence: [{ ReferencedSOPInstanceUID: '1.2.3' }] }, EXPLICIT_LE), EXPLICIT],
  ];

  it.each(cases)('%s: every prefix is judged as the whole-buffer check judges it, however it is chunked', (_name, bytes, s) => {
    expect(accepts(() => walk(bytes, s))).toBe(true);
    let refused = 0;
    for (let cut = 0; cut < bytes.length; cut++) {
      const prefix = bytes.subarray(0, cut);
      const whole = accepts(() => checkStructure(prefix, s.explicitVr, s.littleEndian));
      expect(accepts(() => walk(prefix, s)), `cut at ${cut}`).toBe(whole);
      if (!whole) refused++;
    }
    expect(refused).toBeGreaterThan(bytes.length / 2); // most cuts fall inside a value or a header
  });

  it('a UN value of undefined length: both checks read its items as Implicit VR LE, and decoding gives a sequence', () => {
    const bytes = concat([unknownSequence(), element(EXPLICIT, 0x0020, 0x000d, 'UI', text('1.2\0'))]);
    expect(accepts(() => checkStructure(bytes, true, true))).toBe(true);
    expect(accepts(() => walk(bytes, EXPLICIT))).toBe(true);
    const decoded = decodeDataset(bytes, EXPLICIT_LE);
    expect(decoded['00111010']).toHaveLength(1);
    expect(Object.keys((decoded['00111010'] as object[])[0]!)).toEqual(['00111001']);
    expect(decoded.StudyInstanceUID).toBe('1.2');
  });

  it('refuses stray item tags and a missing sequence delimiter', () => {
    const stray = concat([element(EXPLICIT, 0x0010, 0x0010, 'PN', text('A^B ')), sequenceEnd(EXPLICIT)]);
    expect(accepts(() => walk(stray, EXPLICIT))).toBe(false);
    const open = concat([element(EXPLICIT, 0x0040, 0xa730, 'SQ', [], UNDEFINED), item(EXPLICIT, new Uint8Array(0), false)]);
    expect(() => walk(open, EXPLICIT)).toThrow(/inside a sequence of undefined length/);
  });

  it('refuses nesting deeper than 64 (D-12) without recursion', () => {
    const open = concat([element(IMPLICIT, 0x0040, 0xa730, 'SQ', [], UNDEFINED), item(IMPLICIT, new Uint8Array(0), false).subarray(0, 4), new Uint8Array(u32(UNDEFINED, true))]);
    const deep = concat(Array.from({ length: 100 }, () => open));
    expect(() => walk(deep, IMPLICIT)).toThrow(/deeper than 64/);
  });
});
