/**
 * Person Name conversions against dcmjs's own dicomJson helpers, which they replace on the hot
 * path: the same objects from text, the same text from values, for generated names with every
 * delimiter in odd places; except that an empty value in a list keeps its place (dcmjs drops it,
 * which moves the values after it: `A\\B` would read as two names and be written as "A\B").
 */
import { utilities } from 'dcmjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { personNamesOf, personNameText } from '../../src/dataset/person-name';

const { dicomJson } = utilities as unknown as { dicomJson: { pnConvertToJsonObject(v: unknown): unknown[]; pnObjectToString(v: unknown): unknown } };
const text = fc.string({ unit: fc.constantFrom('A', 'b', '^', '=', '\\', ' ', 'é', '山'), maxLength: 14 });
const groups = fc.record({ Alphabetic: text, Ideographic: text, Phonetic: text }, { requiredKeys: [] });

/** dcmjs's conversion of each value on its own, an empty one `{}`. */
const dcmjsNamesKeepingEmpty = (t: string): unknown[] => (t === '' ? [] : t.split('\\').map((v) => (v === '' ? {} : dicomJson.pnConvertToJsonObject(v)[0])));
/** dcmjs's text of each value on its own, an empty one (null, undefined, '') empty. */
const dcmjsTextKeepingEmpty = (v: unknown): unknown =>
  typeof v === 'string' ? v : (Array.isArray(v) ? v : [v]).map((x) => (x === null || x === undefined || x === '' ? '' : dicomJson.pnObjectToString(x))).join('\\');

describe('Person Name text and groups, as dcmjs converts them, empty values kept', () => {
  it('text → groups: each value, its non-empty groups in order; an empty value {}', () => {
    fc.assert(fc.property(text, (t) => { expect(personNamesOf(t)).toStrictEqual(dcmjsNamesKeepingEmpty(t)); }), { numRuns: 2000 });
    // Without empty values, dcmjs's own result.
    fc.assert(fc.property(text, (t) => { if (!/(^|\\)(\\|$)/.test(t)) expect(personNamesOf(t)).toStrictEqual(dicomJson.pnConvertToJsonObject(t)); }), { numRuns: 2000 });
    expect(personNamesOf('Doe^J=山田=やまだ\\\\Roe==R')).toStrictEqual([{ Alphabetic: 'Doe^J', Ideographic: '山田', Phonetic: 'やまだ' }, {}, { Alphabetic: 'Roe', Phonetic: 'R' }]);
    expect(personNamesOf('')).toStrictEqual([]);
  });
  it('values → text: groups joined by =, trailing = dropped, values by backslash, empty ones in place', () => {
    const value = fc.oneof(text, groups, fc.array(fc.oneof(text, groups, fc.constant(null)), { maxLength: 4 }));
    fc.assert(fc.property(value, (v) => { expect(personNameText(v)).toBe(dcmjsTextKeepingEmpty(v)); }), { numRuns: 2000 });
    expect(personNameText([{ Alphabetic: 'Doe=', Phonetic: 'D' }, '', { Ideographic: '山田' }])).toBe('Doe===D\\\\=山田');
    expect(personNameText(['A', null, {}, 'B'])).toBe('A\\\\\\B');
    expect(personNameText({ Alphabetic: 'A', Ideographic: '', Phonetic: '' })).toBe('A');
    expect(personNameText([''])).toBe('');
  });
  it('leaves what dcmjs would turn into odd text to dcmjs', () => {
    expect(personNameText([5])).toBeUndefined(); // dcmjs writes "" for a number
    expect(personNameText(new String('Doe^J'))).toBe('Doe^J');
  });
});
