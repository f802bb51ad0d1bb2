/**
 * Person Name conversions against dcmjs's own dicomJson helpers, which they replace on the hot
 * path: the same objects from text, the same text from values, for generated names with every
 * delimiter in odd places.
 */
import { utilities } from 'dcmjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { personNamesOf, personNameText } from '../../src/dataset/person-name';

const { dicomJson } = utilities as unknown as { dicomJson: { pnConvertToJsonObject(v: unknown): unknown; pnObjectToString(v: unknown): unknown } };
const text = fc.string({ unit: fc.constantFrom('A', 'b', '^', '=', '\\', ' ', 'é', '山'), maxLength: 14 });
const groups = fc.record({ Alphabetic: text, Ideographic: text, Phonetic: text }, { requiredKeys: [] });

describe('Person Name text and groups, as dcmjs converts them', () => {
  it('text → groups: each non-empty value, its non-empty groups in order', () => {
    fc.assert(fc.property(text, (t) => { expect(personNamesOf(t)).toStrictEqual(dicomJson.pnConvertToJsonObject(t)); }), { numRuns: 2000 });
    expect(personNamesOf('Doe^J=山田=やまだ\\\\Roe==R')).toStrictEqual([
      { Alphabetic: 'Doe^J', Ideographic: '山田', Phonetic: 'やまだ' },
      { Alphabetic: 'Roe', Phonetic: 'R' },
    ]);
  });
  it('values → text: groups joined by =, trailing = dropped, values by backslash', () => {
    const value = fc.oneof(text, groups, fc.array(fc.oneof(text, groups, fc.constant(null)), { maxLength: 4 }));
    fc.assert(fc.property(value, (v) => { expect(personNameText(v)).toBe(dicomJson.pnObjectToString(v)); }), { numRuns: 2000 });
    expect(personNameText([{ Alphabetic: 'Doe=', Phonetic: 'D' }, '', { Ideographic: '山田' }])).toBe('Doe===D\\=山田');
    expect(personNameText({ Alphabetic: 'A', Ideographic: '', Phonetic: '' })).toBe('A');
  });
  it('leaves what dcmjs would turn into odd text to dcmjs', () => {
    expect(personNameText([5])).toBeUndefined(); // dcmjs writes "" for a number
    expect(personNameText(new String('Doe^J'))).toBe('Doe^J');
  });
});
