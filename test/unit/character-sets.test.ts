/**
 * Character sets in data sets (PS3.3 C.12.1.1.2, PS3.5 §6.1): ISO 2022 code extensions read
 * byte for byte from the standard's examples, items that take their character set from the
 * enclosing data set, and text beyond ASCII declared as UTF-8 when it is written as UTF-8.
 * DCMTK checks the same from outside in test/interop/dcmtk-charsets.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { textEncodingFor } from '../../src/dataset/charset-encoder';
import { decodeDataset, encodeDataset, readPart10 } from '../../src/dataset/codec';
import { writePart10 } from '../../src/dataset/part10';
import { DimseError } from '../../src/errors';
import { TransferSyntax } from '../../src/uids/transfer-syntax';
import { CHARSET_EXAMPLES, concat, element, sequence } from '../fixtures/character-sets';

const EXPLICIT = TransferSyntax.ExplicitVRLittleEndian;
const IMPLICIT = TransferSyntax.ImplicitVRLittleEndian;
const BIG = TransferSyntax.ExplicitVRBigEndian;
const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
/** The value of (0008,0005) in encoded Explicit VR LE bytes, read by hand. */
const charsetIn = (b: Uint8Array): string | undefined => /\x08\x00\x05\x00CS..([^\x00]*?) ?(?=[\x00-\x1f]|$)/s.exec(latin1(b))?.[1];
/** The same in Explicit VR Big Endian bytes. */
const charsetInBig = (b: Uint8Array): string | undefined => /\x00\x08\x00\x05CS..([^\x00]*?) ?(?=[\x00-\x1f]|$)/s.exec(latin1(b))?.[1];

describe('ISO 2022 code extensions (multi-valued Specific Character Set)', () => {
  for (const ex of CHARSET_EXAMPLES) {
    it(`reads ${ex.source}`, () => {
      const bytes = concat([element(0x0008, 0x0005, 'CS', ex.charset), element(0x0010, 0x0010, 'PN', ex.bytes)]);
      const ds = decodeDataset(bytes, EXPLICIT);
      expect(ds.PatientName).toEqual([ex.name]);
      expect(ds.SpecificCharacterSet).toBe('ISO_IR 192'); // the strings are Unicode now, as for every set
    });
  }

  it('reads multiple values, text VRs and items that inherit the set', () => {
    const [jp, , kr] = CHARSET_EXAMPLES;
    const yamada = jp!.bytes.subarray(13, 13 + 10); // ESC $ B 山田 ESC ( B
    const value = concat([yamada, Uint8Array.of(0x5c), yamada]); // 山田\山田
    const bytes = concat([
      element(0x0008, 0x0005, 'CS', '\\ISO 2022 IR 87'),
      element(0x0008, 0x1030, 'LO', value),
      element(0x0010, 0x0010, 'PN', jp!.bytes),
      sequence(0x0010, 0x1002, [concat([element(0x0010, 0x0020, 'LO', value)])]),
      // An item with a set of its own.
      sequence(0x0040, 0x0275, [concat([element(0x0008, 0x0005, 'CS', '\\ISO 2022 IR 149'), element(0x0040, 0x0006, 'PN', kr!.bytes)])]),
    ]);
    const ds = decodeDataset(bytes, EXPLICIT);
    expect(ds.StudyDescription).toEqual(['山田', '山田']);
    expect((ds.OtherPatientIDsSequence as Record<string, unknown>[])[0]!.PatientID).toEqual(['山田', '山田']);
    expect(String((ds.RequestAttributesSequence as Record<string, unknown>[])[0]!.ScheduledPerformingPhysicianName)).toBe('Hong^Gildong=洪^吉洞=홍^길동');
    expect(String(ds.PatientName)).toBe('Yamada^Tarou=山田^太郎=やまだ^たろう');
  });

  it('returns to value 1’s sets at each delimiter, not inside a two-byte character', () => {
    // Korean in G1 left designated before "\": the next value starts with no G1 again (read as Latin-1).
    const kr = concat([Uint8Array.of(0x1b, 0x24, 0x29, 0x43, 0xc8, 0xab, 0x5c, 0xc8, 0xab)]);
    const ds = decodeDataset(concat([element(0x0008, 0x0005, 'CS', '\\ISO 2022 IR 149'), element(0x0008, 0x1030, 'LO', kr)]), EXPLICIT);
    expect(ds.StudyDescription).toEqual(['홍', 'È«']);
    // ま is 24 5E in JIS X 0208: its 5EH is not a "^" (H.3.1 has it; checked there as a whole).
    const ma = Uint8Array.of(0x1b, 0x24, 0x42, 0x24, 0x5e, 0x1b, 0x28, 0x42);
    const name = decodeDataset(concat([element(0x0008, 0x0005, 'CS', '\\ISO 2022 IR 87'), element(0x0010, 0x0010, 'PN', ma)]), EXPLICIT);
    expect(name.PatientName).toEqual([{ Alphabetic: 'ま' }]);
  });

  it('still sees an escape after a lone byte of a two-byte set (malformed)', () => {
    // ESC $ B, one byte of a character, ESC ( B, then "AB": the escape must not be swallowed as the pair's second byte.
    const value = Uint8Array.of(0x1b, 0x24, 0x42, 0x3b, 0x1b, 0x28, 0x42, 0x41, 0x42);
    const ds = decodeDataset(concat([element(0x0008, 0x0005, 'CS', '\\ISO 2022 IR 87'), element(0x0008, 0x1030, 'LO', value)]), EXPLICIT);
    expect(ds.StudyDescription).toBe('\ufffdAB');
  });

  it('reads JIS X 0212 (ISO 2022 IR 159) and single-byte sets switched in by escapes', () => {
    // 丂 is 0x3021 in JIS X 0212; ISO-IR 100 é (E9H) and ISO-IR 144 П (BFH) through ESC - A / ESC - L.
    const value = Uint8Array.of(0x1b, 0x24, 0x28, 0x44, 0x30, 0x21, 0x1b, 0x28, 0x42, 0x1b, 0x2d, 0x41, 0xe9, 0x1b, 0x2d, 0x4c, 0xbf);
    const bytes = concat([element(0x0008, 0x0005, 'CS', '\\ISO 2022 IR 159\\ISO 2022 IR 100\\ISO 2022 IR 144'), element(0x0008, 0x1030, 'LO', value)]);
    expect(decodeDataset(bytes, EXPLICIT).StudyDescription).toBe('丂éП');
  });

  it('reads them in Implicit VR data sets with private elements and an AT element too', () => {
    const implicit = (group: number, elem: number, value: Uint8Array | string): Uint8Array => {
      const explicit = element(group, elem, 'XX', value); // tag, VR, 16-bit length, value
      const out = new Uint8Array(explicit.length);
      out.set(explicit.subarray(0, 4));
      new DataView(out.buffer).setUint32(4, explicit.length - 8, true);
      out.set(explicit.subarray(8), 8);
      return out;
    };
    const kr = CHARSET_EXAMPLES[2]!;
    const bytes = concat([
      implicit(0x0008, 0x0005, kr.charset),
      implicit(0x0009, 0x0010, 'ACME 1.0'), // private creator
      implicit(0x0009, 0x1001, Uint8Array.of(1, 2, 3, 4)), // private data element: no VR known
      implicit(0x0010, 0x0010, kr.bytes),
      implicit(0x0028, 0x0009, Uint8Array.of(0x18, 0x00, 0x63, 0x10)), // Frame Increment Pointer → (0018,1063)
    ]);
    const ds = decodeDataset(bytes, IMPLICIT);
    expect(ds.PatientName).toEqual([kr.name]);
    expect(ds.FrameIncrementPointer).toBe(0x00181063);
  });

  it('reads them in Big Endian data sets too (dcmjs refuses a multi-valued set there)', () => {
    // The Explicit VR LE fixture elements with tag and length swapped into Big Endian.
    const big = (le: Uint8Array): Uint8Array => {
      const out = le.slice();
      const dv = new DataView(out.buffer);
      const src = new DataView(le.buffer, le.byteOffset, le.byteLength);
      dv.setUint16(0, src.getUint16(0, true));
      dv.setUint16(2, src.getUint16(2, true));
      dv.setUint16(6, src.getUint16(6, true));
      return out;
    };
    for (const ex of CHARSET_EXAMPLES) {
      const bytes = concat([big(element(0x0008, 0x0005, 'CS', ex.charset)), big(element(0x0010, 0x0010, 'PN', ex.bytes)), big(element(0x0028, 0x0010, 'US', Uint8Array.of(0x01, 0x02)))]);
      const ds = decodeDataset(bytes, BIG);
      expect([ds.PatientName, ds.Rows]).toEqual([[ex.name], 0x0102]);
    }
  });

  it('gives a typed error for a value that is no defined term, as before', () => {
    const bytes = concat([element(0x0008, 0x0005, 'CS', '\\ISO 2022 IR 999'), element(0x0010, 0x0010, 'PN', 'A^B')]);
    expect(() => decodeDataset(bytes, EXPLICIT)).toThrow(DimseError);
  });
});

describe('text is written in the character set the data set names', () => {
  const utf8Bytes = (s: string): string => latin1(new TextEncoder().encode(s));

  for (const ex of CHARSET_EXAMPLES) {
    it(`writes ${ex.source} byte for byte`, () => {
      // J.2's value ends in "=" (an empty phonetic group), which a name object cannot say: given as text.
      const name = ex.name.Phonetic === undefined ? `${ex.name.Alphabetic}=${ex.name.Ideographic}=` : [ex.name];
      for (const ts of [EXPLICIT, IMPLICIT, BIG]) {
        const bytes = encodeDataset({ SpecificCharacterSet: ex.charset, PatientName: name }, ts);
        expect(latin1(bytes)).toContain(latin1(ex.bytes));
        expect(decodeDataset(bytes, ts).PatientName).toEqual([ex.name]);
      }
      expect(charsetIn(encodeDataset({ SpecificCharacterSet: ex.charset, PatientName: name }, EXPLICIT))).toBe(ex.charset);
      expect(charsetInBig(encodeDataset({ SpecificCharacterSet: ex.charset, PatientName: name }, BIG))).toBe(ex.charset);
    });
  }

  it('writes each value, line and item under code extensions starting and ending in value 1’s sets', () => {
    const ds = {
      SpecificCharacterSet: ['', 'ISO 2022 IR 87', 'ISO 2022 IR 149'],
      StudyDescription: ['山田', '홍'],
      AdditionalPatientHistory: '山\r\n田',
      OtherPatientIDsSequence: [{ PatientID: '太郎' }],
    };
    const bytes = encodeDataset(ds, EXPLICIT);
    const text = latin1(bytes);
    expect(text).toContain('\x1b$B;3ED\x1b(B\\\x1b$)C\xc8\xab'); // value 2 designates G1 itself
    expect(text).toContain('\x1b$B;3\x1b(B\r\n\x1b$BED\x1b(B'); // back to ASCII before CR LF
    expect(text).toContain('\x1b$BB@O:\x1b(B'); // the item in the data set's sets
    const back = decodeDataset(bytes, EXPLICIT);
    expect([back.StudyDescription, back.AdditionalPatientHistory, (back.OtherPatientIDsSequence as Record<string, unknown>[])[0]!.PatientID]).toEqual([['山田', '홍'], '山\r\n田', '太郎']);
    // 洪 is in JIS X 0208 too, but KS X 1001 is in force after 홍: no escape to switch.
    expect(latin1(encodeDataset({ SpecificCharacterSet: ds.SpecificCharacterSet, StudyDescription: '홍洪' }, EXPLICIT))).toContain('\x1b$)C\xc8\xab\xfb\xf3');
  });

  it('keeps one set beyond ASCII per run between escapes (G0 back to ASCII, G1 designated again), and reads a mixed run', () => {
    const set = ['', 'ISO 2022 IR 87', 'ISO 2022 IR 149'];
    // 亜 (3021H) only in JIS X 0208 (G0), 홍 only in KS X 1001 (G1).
    const bytes = encodeDataset({ SpecificCharacterSet: set, StudyDescription: '홍亜홍' }, EXPLICIT);
    expect(latin1(bytes)).toContain('\x1b$)C\xc8\xab\x1b$B0!\x1b(B\x1b$)C\xc8\xab');
    expect(decodeDataset(bytes, EXPLICIT).StudyDescription).toBe('홍亜홍');
    // Written by another tool without switching back: G1 bytes while G0 holds JIS X 0208.
    const mixed = Uint8Array.of(0x1b, 0x24, 0x29, 0x43, 0xc8, 0xab, 0x1b, 0x24, 0x42, 0x30, 0x21, 0xc8, 0xab, 0x1b, 0x28, 0x42);
    const ds = decodeDataset(concat([element(0x0008, 0x0005, 'CS', set.join('\\')), element(0x0008, 0x1030, 'LO', mixed)]), EXPLICIT);
    expect(ds.StudyDescription).toBe('홍亜홍');
  });

  it('writes the single-byte and GB sets, and reads ISO_IR 203, which dcmjs does not know', () => {
    const cases: [string, string, string][] = [
      // set, text, the text's bytes in it
      ['ISO_IR 101', 'Dvořák', 'Dvo\xf8\xe1k'],
      ['ISO_IR 109', 'Ġużeppi', '\xd5u\xbfeppi'],
      ['ISO_IR 110', 'Ķēniņš', '\xd3\xbani\xf1\xb9'],
      ['ISO_IR 144', 'Иван', '\xb8\xd2\xd0\xdd'],
      ['ISO_IR 127', 'قباني', '\xe2\xc8\xc7\xe6\xea'],
      ['ISO_IR 126', 'Πάπας', '\xd0\xdc\xf0\xe1\xf2'],
      ['ISO_IR 138', 'שרון', '\xf9\xf8\xe5\xef'],
      ['ISO_IR 148', 'Şükrü', '\xde\xfckr\xfc'],
      ['ISO_IR 203', 'Œuvre €5', '\xbcuvre \xa45'],
      ['ISO_IR 166', 'สมชาย', '\xca\xc1\xaa\xd2\xc2'],
      ['ISO_IR 13', 'ﾔﾏﾀﾞ', '\xd4\xcf\xc0\xde'],
      ['GB18030', '张小东', '\xd5\xc5\xd0\xa1\xb6\xab'],
      ['GB18030', 'ÿ€😀', '\x81\x30\x8b\x37\xa2\xe3\x94\x39\xfc\x36'], // four-byte codes: the BMP table and planes 1–16
      ['GBK', '张', '\xd5\xc5'],
    ];
    for (const [set, value, expected] of cases) {
      for (const ts of [EXPLICIT, IMPLICIT, BIG]) {
        const bytes = encodeDataset({ SpecificCharacterSet: set, StudyDescription: value, PatientName: `${value}^X` }, ts);
        expect([set, latin1(bytes).includes(expected), latin1(bytes).includes(`${expected}^X`)]).toEqual([set, true, true]);
        const back = decodeDataset(bytes, ts);
        expect([set, back.StudyDescription, String(back.PatientName)]).toEqual([set, value, `${value}^X`]);
      }
      expect(charsetIn(encodeDataset({ SpecificCharacterSet: set, StudyDescription: value }, EXPLICIT))).toBe(set);
      expect(charsetInBig(encodeDataset({ SpecificCharacterSet: set, StudyDescription: value }, BIG))).toBe(set);
    }
  });

  it('keeps at most 64 encodings by (0008,0005) value, and none for terms it does not know', () => {
    // The values come from data sets, maybe a peer's: each spelling is a key of its own.
    const first = textEncodingFor('ISO_IR 100');
    expect(textEncodingFor('ISO_IR 100')).toBe(first); // kept
    for (let i = 1; i <= 64; i++) expect(textEncodingFor(`ISO_IR 100${' '.repeat(i)}`)).toBeDefined();
    expect(textEncodingFor('ISO_IR 100')).not.toBe(first); // 64 other keys: the cache was emptied on the way
    expect(textEncodingFor('NOT A TERM')).toBeUndefined();
  });

  it('falls back to UTF-8, declared, when the set lacks a character', () => {
    const cases: [unknown, string][] = [
      ['ISO_IR 144', 'Иван Müller'], // ü is not Cyrillic
      ['ISO_IR 13', 'ﾔﾏﾀﾞ 山田'], // JIS X 0201 has no kanji
      ['GBK', '张 😀'], // GBK has no four-byte codes (GB18030 does)
      [['', 'ISO 2022 IR 149'], '홍 ส'], // Thai is in no set named
      [['', 'ISO 2022 IR 87'], '山\x1b田'], // an ESC would read as an escape sequence
    ];
    for (const [set, value] of cases) {
      const bytes = encodeDataset({ SpecificCharacterSet: set, StudyDescription: value }, EXPLICIT);
      expect([value, charsetIn(bytes), latin1(bytes).includes(utf8Bytes(value))]).toEqual([value, 'ISO_IR 192', true]);
      expect(decodeDataset(bytes, EXPLICIT).StudyDescription).toBe(value);
    }
  });
});

describe('written text reads back the same, whatever the set and the text (property)', () => {
  const SETS: (string | string[])[] = [
    'ISO_IR 100', 'ISO_IR 101', 'ISO_IR 144', 'ISO_IR 126', 'ISO_IR 127', 'ISO_IR 138', 'ISO_IR 148', 'ISO_IR 203', 'ISO_IR 166', 'ISO_IR 13', 'GB18030', 'GBK',
    ['', 'ISO 2022 IR 87'], ['ISO 2022 IR 13', 'ISO 2022 IR 87'], ['', 'ISO 2022 IR 87', 'ISO 2022 IR 159'], ['', 'ISO 2022 IR 149'], ['', 'ISO 2022 IR 58'],
    ['ISO 2022 IR 100', 'ISO 2022 IR 144', 'ISO 2022 IR 126'], ['', 'ISO 2022 IR 87', 'ISO 2022 IR 149', 'ISO 2022 IR 58'],
  ];
  // Characters from every set above (and some from none), the delimiters, and CR LF TAB.
  const CHARS = [...'Ab0 -.éÜßøřőŁЯжΩλάقשŞ€Œส山田太郎やまﾔﾏﾀﾞ丂홍길洪张东。😀', '^', '=', '\\', '\r', '\n', '\t'];
  const text = (max: number) => fc.string({ unit: fc.constantFrom(...CHARS), maxLength: max });
  const trimmed = (s: string): string => s.trim();

  it('round-trips LO, ST, UT and PN values in 19 sets, Explicit and Implicit VR and Big Endian', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SETS), text(20), text(40), text(30), fc.constantFrom(EXPLICIT, IMPLICIT, BIG), (set, lo, st, pn, ts) => {
        const loValues = lo.replace(/[\r\n\t]/g, ' ').split('\\').map(trimmed); // LO: no control characters; padding trimmed
        // No spaces (padding at the edges of components is not kept exactly), at most three groups, five components.
        const name = pn.replace(/[\r\n\t\\ ]/g, '').split('=').slice(0, 3).map((g) => g.split('^').slice(0, 5).join('^')).join('=');
        // ST and UT end in a letter: trailing white space is padding to dcmjs's reader.
        const ds = { SpecificCharacterSet: set, StudyDescription: loValues.length > 1 ? loValues : loValues[0]!, InstitutionAddress: `x${st}x`, TextValue: `${st}x`, OtherPatientIDsSequence: [{ PatientID: loValues[0]! }] };
        const back = decodeDataset(encodeDataset({ ...ds, PatientName: name }, ts), ts);
        expect(back.StudyDescription).toEqual(ds.StudyDescription);
        expect(back.InstitutionAddress).toBe(`x${st}x`);
        expect(back.TextValue).toBe(`${st}x`);
        expect((back.OtherPatientIDsSequence as Record<string, unknown>[])[0]!.PatientID ?? '').toBe(loValues[0]);
        // A name object has no empty trailing groups: "A=" reads as "A".
        if (name.replace(/[=^]/g, '') !== '') expect(String(back.PatientName)).toBe(name.replace(/=+$/, ''));
      }),
      { numRuns: 300 },
    );
  });
});

describe('sequence items take the enclosing data set’s character set', () => {
  it('round-trips text beyond ASCII at every depth, Explicit and Implicit VR', () => {
    const ds = {
      PatientName: 'Müller^Jürgen',
      OtherPatientIDsSequence: [{ PatientID: 'Ä1', IssuerOfPatientID: 'Øresund', ReferencedPatientSequence: [{ PatientID: 'ß' }] }],
    };
    for (const ts of [EXPLICIT, IMPLICIT]) {
      const back = decodeDataset(encodeDataset(ds, ts), ts);
      const item = (back.OtherPatientIDsSequence as Record<string, unknown>[])[0]!;
      expect(item.PatientID).toBe('Ä1');
      expect(item.IssuerOfPatientID).toBe('Øresund');
      expect((item.ReferencedPatientSequence as Record<string, unknown>[])[0]!.PatientID).toBe('ß');
    }
  });
});

describe('text beyond ASCII is declared as UTF-8 (ISO_IR 192)', () => {
  it('adds (0008,0005) when the caller gave none', () => {
    const bytes = encodeDataset({ PatientName: 'Müller' }, EXPLICIT);
    expect(charsetIn(bytes)).toBe('ISO_IR 192');
    expect(decodeDataset(bytes, EXPLICIT).PatientName).toEqual([{ Alphabetic: 'Müller' }]);
  });

  it('replaces a set the text cannot be written in, without touching the caller’s object', () => {
    const ds = { SpecificCharacterSet: 'ISO_IR 100', PatientName: 'Müller', StudyDescription: 'Kopf €5' }; // € is not in ISO 8859-1
    for (const ts of [EXPLICIT, IMPLICIT, BIG]) {
      const back = decodeDataset(encodeDataset(ds, ts), ts);
      expect([back.PatientName, back.StudyDescription]).toEqual([[{ Alphabetic: 'Müller' }], 'Kopf €5']);
    }
    expect(charsetIn(encodeDataset(ds, EXPLICIT))).toBe('ISO_IR 192');
    expect(charsetIn(encodeDataset({ SpecificCharacterSet: 'ISO_IR 101', PatientName: 'Dvořák €' }, EXPLICIT))).toBe('ISO_IR 192'); // € is not in ISO 8859-2
    expect(ds.SpecificCharacterSet).toBe('ISO_IR 100');
  });

  it('writes Latin-1 text in ISO 8859-1 where the data set names ISO_IR 100, items included', () => {
    const ds = { SpecificCharacterSet: 'ISO_IR 100', PatientName: 'Müller^Jürgen', OtherPatientIDsSequence: [{ PatientID: 'Ä1' }] };
    for (const ts of [EXPLICIT, IMPLICIT]) {
      const bytes = encodeDataset(ds, ts);
      expect(latin1(bytes)).toContain('M\xfcller^J\xfcrgen');
      expect(latin1(bytes)).toContain('\xc41');
      expect(latin1(bytes)).not.toContain('\xc3'); // no UTF-8
      const back = decodeDataset(bytes, ts);
      expect([String(back.PatientName), (back.OtherPatientIDsSequence as Record<string, unknown>[])[0]!.PatientID]).toEqual(['Müller^Jürgen', 'Ä1']);
    }
    expect(charsetIn(encodeDataset(ds, EXPLICIT))).toBe('ISO_IR 100');
    // C1 controls (80H-9FH) would read back as windows-1252: UTF-8 for them.
    expect(charsetIn(encodeDataset({ SpecificCharacterSet: 'ISO_IR 100', PatientID: 'a\u0085b' }, EXPLICIT))).toBe('ISO_IR 192');
  });

  it('leaves ASCII-only data sets as they were', () => {
    const bytes = encodeDataset({ SpecificCharacterSet: 'ISO_IR 100', PatientName: 'Muller' }, EXPLICIT);
    expect(charsetIn(bytes)).toBe('ISO_IR 100');
    expect(charsetIn(encodeDataset({ PatientName: 'Muller' }, EXPLICIT))).toBeUndefined();
  });

  it('relabels an item that names a set its text cannot be written in', () => {
    const ds = { SpecificCharacterSet: 'ISO_IR 192', OtherPatientIDsSequence: [{ SpecificCharacterSet: 'ISO_IR 100', PatientID: 'Ω1' }] };
    const bytes = encodeDataset(ds, EXPLICIT);
    expect(latin1(bytes)).not.toContain('ISO_IR 100');
    const item = (decodeDataset(bytes, EXPLICIT).OtherPatientIDsSequence as Record<string, unknown>[])[0]!;
    expect(item.PatientID).toBe('Ω1');
    expect(ds.OtherPatientIDsSequence[0]!.SpecificCharacterSet).toBe('ISO_IR 100');
    // One encoding per data set (DCMTK, for one, reads items in the top level's set): an item's
    // own ISO_IR 100 under a UTF-8 data set, or a UTF-8 item under ISO_IR 100, makes all of it UTF-8.
    for (const mixed of [
      { SpecificCharacterSet: 'ISO_IR 192', PatientName: 'Ωmega', OtherPatientIDsSequence: [{ SpecificCharacterSet: 'ISO_IR 100', PatientID: 'Ä1' }] },
      { SpecificCharacterSet: 'ISO_IR 100', PatientName: 'Müller', OtherPatientIDsSequence: [{ SpecificCharacterSet: 'ISO_IR 192', PatientID: 'Ä1' }] },
    ]) {
      const bytes = encodeDataset(mixed, EXPLICIT);
      expect(latin1(bytes)).not.toContain('ISO_IR 100');
      const back = decodeDataset(bytes, EXPLICIT);
      expect([String(back.PatientName), (back.OtherPatientIDsSequence as Record<string, unknown>[])[0]!.PatientID]).toEqual([mixed.PatientName, 'Ä1']);
    }
    // All ASCII: the sets named stay as they are.
    const ascii = encodeDataset({ SpecificCharacterSet: 'ISO_IR 100', PatientName: 'Muller', OtherPatientIDsSequence: [{ SpecificCharacterSet: 'ISO_IR 192', PatientID: 'A1' }] }, EXPLICIT);
    expect([latin1(ascii).includes('ISO_IR 100'), latin1(ascii).includes('ISO_IR 192')]).toEqual([true, true]);
  });

  it('keeps the label in a Part 10 file read back', () => {
    const dataset = encodeDataset({ SOPClassUID: '1.2.840.10008.5.1.4.1.1.7', SOPInstanceUID: '1.2.3', PatientName: '山田^太郎' }, EXPLICIT);
    const file = concat(writePart10({ sopClassUid: '1.2.840.10008.5.1.4.1.1.7', sopInstanceUid: '1.2.3', transferSyntaxUid: EXPLICIT, dataset }));
    const p = readPart10(file);
    expect(charsetIn(p.dataset)).toBe('ISO_IR 192');
    expect(String(decodeDataset(p.dataset, EXPLICIT).PatientName)).toBe('山田^太郎');
  });
});
