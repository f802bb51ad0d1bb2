/**
 * The hand-written codec pieces against the dcmjs code they replace for Little Endian data sets:
 * dict-reader.ts / dict-writer.ts against DicomMessage._read / write, naturalize.ts /
 * denaturalize.ts against DicomMetaDictionary.naturalizeDataset / denaturalizeDataset. For
 * generated data sets, DCMTK-written fixtures, random element streams and corrupted encodings,
 * whenever the hand-written side answers it must answer exactly what dcmjs answers (same bytes,
 * same element dictionary, same naturalized objects: keys and their order, values, proxies, PN
 * accessors), and where dcmjs throws it must decline.
 *
 * Where dcmjs gets text wrong, the reference is dcmjs as netdicom runs it (dcmjs-io.ts): items
 * inherit the character set, ST/UT/UR values stay whole, UR has no pad, AE/CS/LO/SH values are
 * trimmed one by one (checked on their own in dataset-codec.test.ts and character-sets.test.ts,
 * and against DCMTK in test/interop); text beyond ASCII, written as UTF-8 by both, is declared
 * ISO_IR 192 (`dcmjsWriteDeclared`), and a backslash-delimited string of a multi-valued VR is
 * split into its values before dcmjs's denaturalizeDataset cuts it to one value's length
 * (`readyForDcmjs`, dataset-codec.test.ts). ISO 2022 code extensions, where dcmjs throws, have
 * their own tests (character-sets.test.ts).
 */
import { types } from 'node:util';
import { data, type DcmjsDict } from 'dcmjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDataset, encodeDataset } from '../../src/dataset/codec';
import { withExactBulk, withSwappedWords } from '../../src/dataset/bulk-values';
import { dcmjsRead, dcmjsWrite, quietly } from '../../src/dataset/dcmjs-io';
import { inflateRaw as inflate } from '../../src/dataset/deflate';
import { readDict } from '../../src/dataset/dict-reader';
import { writeDict } from '../../src/dataset/dict-writer';
import { denaturalize, readyForDcmjs } from '../../src/dataset/denaturalize';
import { naturalize, naturalizeWithDcmjs, type Dataset } from '../../src/dataset/naturalize';
import { checkStructure } from '../../src/dataset/structure';
import { hasNonAsciiText, withUtf8Declared } from '../../src/dataset/utf8-declaration';
import { TransferSyntax } from '../../src/uids/transfer-syntax';
import { DCMTK_DATASETS } from '../fixtures/datasets';

const { DicomMetaDictionary } = data;
const SYNTAX = { explicit: TransferSyntax.ExplicitVRLittleEndian, implicit: TransferSyntax.ImplicitVRLittleEndian } as const;
const MODES = [false, true] as const; // implicit?
const syntaxOf = (implicit: boolean): string => (implicit ? SYNTAX.implicit : SYNTAX.explicit);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// ------------------------------------------------------------------ comparing with dcmjs

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };
function attempt<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** dcmjs's writer, given the data set as the codec labels it: ISO_IR 192 when text beyond ASCII is written (as UTF-8). */
function dcmjsWriteDeclared(dict: DcmjsDict, syntax: string): Uint8Array {
  return dcmjsWrite(hasNonAsciiText(dict) ? withUtf8Declared(dict) : dict, syntax, syntax !== TransferSyntax.ExplicitVRBigEndian);
}

/** dcmjs also keeps each element's unformatted `_rawValue`; naturalizeDataset never reads it. */
function withoutRaw(dict: DcmjsDict): DcmjsDict {
  for (const el of Object.values(dict)) {
    delete el._rawValue;
    if (el.vr === 'SQ' && Array.isArray(el.Value)) for (const item of el.Value) withoutRaw(item as DcmjsDict);
  }
  return dict;
}

/** The naturalized objects users see: same keys in the same order, same values, same PN accessors and proxies. */
function expectSameDataset(a: Dataset, b: Dataset): void {
  expect(a).toStrictEqual(b);
  expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  expect(Object.keys(a)).toEqual(Object.keys(b));
  for (const k of Object.keys(b)) {
    const [x, y] = [a[k], b[k]];
    expect(types.isProxy(x)).toBe(types.isProxy(y));
    if (x !== null && typeof x === 'object') expect(String(x)).toBe(String(y)); // PN toString accessor
  }
  expect(types.isProxy(a)).toBe(types.isProxy(b));
}

/** readDict must equal dcmjs's _read whenever it answers, and must not answer where dcmjs fails. */
function checkRead(bytes: Uint8Array, implicit: boolean, littleEndian = true): 'fast' | 'declined' | 'invalid' | 'iso2022' {
  if (!attempt(() => checkStructure(bytes, !implicit, littleEndian)).ok) return 'invalid'; // the codec rejects it before either
  const fast = readDict(bytes, implicit, littleEndian);
  const ref = attempt(() => dcmjsRead(bytes, littleEndian ? syntaxOf(implicit) : TransferSyntax.ExplicitVRBigEndian, littleEndian));
  if (fast === undefined) return 'declined';
  if (!ref.ok && /multiple character sets/.test(String(ref.error))) return 'iso2022'; // see character-sets.test.ts
  if (!ref.ok) throw new Error(`dcmjs fails on ${hex(bytes)} (${String(ref.error)}) but the dict reader answered`);
  expect(fast).toStrictEqual(withoutRaw(ref.value));
  const n = attempt(() => naturalizeWithDcmjs(ref.value));
  if (n.ok) expectSameDataset(naturalize(fast), n.value);
  else expect(() => naturalize(fast)).toThrow();
  return 'fast';
}

/** denaturalize (then dcmjs's writer) must give dcmjs's bytes whenever it answers, and decline where dcmjs fails. */
function checkDenaturalize(ds: Dataset, implicit: boolean): boolean {
  const fast = denaturalize(ds);
  if (fast === undefined) return false;
  const ref = attempt(() => dcmjsWrite(quietly(() => DicomMetaDictionary.denaturalizeDataset(readyForDcmjs(ds))), syntaxOf(implicit), true));
  const mine = attempt(() => dcmjsWrite(fast, syntaxOf(implicit), true));
  expect(mine.ok).toBe(ref.ok);
  if (mine.ok && ref.ok) expect(hex(mine.value)).toBe(hex(ref.value));
  return true;
}

/**
 * writeDict must write dcmjs's bytes whenever it answers, and must not answer where dcmjs fails.
 * Big Endian (`littleEndian` false, explicit VR only): dcmjs is given OW/OF/OD already swapped.
 */
function checkWrite(dict: DcmjsDict, implicit: boolean, littleEndian = true): Uint8Array | undefined {
  const fast = writeDict(dict, implicit, undefined, false, littleEndian);
  const syntax = littleEndian ? syntaxOf(implicit) : TransferSyntax.ExplicitVRBigEndian;
  const ref = attempt(() => dcmjsWriteDeclared(littleEndian ? dict : withSwappedWords(withExactBulk(dict, true)), syntax));
  if (fast !== undefined) {
    if (!ref.ok) throw new Error(`dcmjs fails (${String(ref.error)}) but the dict writer answered`);
    if (hex(fast) !== hex(ref.value)) {
      // Only text beyond ASCII may come out differently: ISO 8859-1 under ISO_IR 100, and only the
      // data sets whose text went out as UTF-8 relabelled. It must read back to the same values.
      expect(hasNonAsciiText(dict)).toBe(true);
      expect(readBack(fast, syntax)).toStrictEqual(readBack(ref.value, syntax));
    }
  }
  return ref.ok ? ref.value : undefined;
}

/**
 * What `bytes` decode to, without the (0008,0005) values (which say ISO_IR 192 wherever a set was
 * named) and without elements before it (group 0000 text such as Error Comment is read before the
 * set is known: dcmjs's UTF-8 under ISO_IR 192 reads wrong there, ISO 8859-1 right). A person
 * name's trailing spaces are left out: they are padding (PS3.5 §6.2), and whether the last one
 * reads as the pad depends on the value's byte length, which differs between ISO 8859-1 and UTF-8.
 */
function readBack(bytes: Uint8Array, syntax: string): Dataset {
  const beforeCharset = (k: string) => (DicomMetaDictionary.nameMap[k]?.tag ?? '(ffff').replace(/[(),]/g, '') < '00080005';
  const isName = (x: unknown): x is Record<string, string> => !!x && typeof x === 'object' && ('Alphabetic' in x || 'Ideographic' in x || 'Phonetic' in x);
  const name = (x: Record<string, string>) => Object.fromEntries(Object.entries(x).map(([g, t]) => [g, t.trimEnd()]));
  const strip = (ds: Dataset): Dataset => {
    const out: Dataset = {};
    for (const [k, v] of Object.entries(ds)) {
      if (k === 'SpecificCharacterSet' || beforeCharset(k)) continue;
      out[k] = Array.isArray(v) && v.every((x) => x && typeof x === 'object' && !isName(x)) ? v.map((x) => strip(x as Dataset)) : Array.isArray(v) && v.some(isName) ? v.map((x) => (isName(x) ? name(x) : x)) : v;
    }
    return out;
  };
  return strip(JSON.parse(JSON.stringify(decodeDataset(bytes, syntax))) as Dataset);
}

// ------------------------------------------------------------------ generators

/** Keywords of the standard dictionary with the given VR (the first few, for variety across groups). */
function keywords(vr: string, n = 4): string[] {
  const names = Object.values(DicomMetaDictionary.nameMap)
    .filter((e) => e.vr === vr && !e.name.startsWith('RETIRED_'))
    .map((e) => e.name);
  const step = Math.max(1, Math.floor(names.length / n));
  return names.filter((_, i) => i % step === 0).slice(0, n);
}

const CHARS = ['A', 'z', '0', '9', ' ', ' ', '\\', '^', '=', '-', '.', '+', 'e', 'é', 'ß', '山', '\u0000', '\u0085', '\u00a0', '\t', '\ud800', '😀'];
const text = (max = 12): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...CHARS), maxLength: max });
const someText = fc.oneof({ weight: 8, arbitrary: text() }, { weight: 1, arbitrary: text(80) });
const number = fc.oneof(
  fc.integer({ min: -70000, max: 70000 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, 1.5, 0.1 + 0.2, 1e21, -1e-7, Number.NaN, Infinity),
);
const scalar = fc.oneof({ weight: 6, arbitrary: someText }, { weight: 3, arbitrary: number }, { weight: 1, arbitrary: fc.constantFrom(null, undefined, true, '') });
const manyOf = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | T[]> => fc.oneof({ weight: 3, arbitrary: a }, { weight: 2, arbitrary: fc.array(a, { maxLength: 4 }) });
const pnObject = fc.record({ Alphabetic: text(), Ideographic: text(), Phonetic: text() }, { requiredKeys: [] });
const CHARSETS = ['ISO_IR 100', 'ISO_IR 192', 'ISO_IR 6', '', 'ISO 2022 IR 6', 'ISO 2022 IR 100', 'GB18030', 'ISO_IR 101', 'iso_ir 100 '];

const STRING_VRS = ['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT'];
const NUMBER_VRS = ['US', 'SS', 'UL', 'SL', 'FL', 'FD'];
const leafFields: [string, fc.Arbitrary<unknown>][] = [
  ...STRING_VRS.flatMap((vr) => keywords(vr).map((k) => [k, manyOf(scalar)] as [string, fc.Arbitrary<unknown>])),
  ...NUMBER_VRS.flatMap((vr) => keywords(vr, 2).map((k) => [k, manyOf(fc.oneof(number, scalar))] as [string, fc.Arbitrary<unknown>])),
  ...keywords('PN').map((k) => [k, manyOf(fc.oneof(someText, pnObject, fc.constant(null)))] as [string, fc.Arbitrary<unknown>]),
  ['SpecificCharacterSet', manyOf(fc.constantFrom(...CHARSETS))],
  ['QueryRetrieveLevel', fc.constantFrom('STUDY', 'SERIES', '', 'IMAGE ')],
  // Numbers written by hand, a string and a tag out of range by dcmjs.
  ['FrameIncrementPointer', fc.constantFrom(0x00181063, [0x00181063, 0x00181065], [], 0xffffffff, '00181063', 0x100000000)],
  ['NotAKeyword', scalar],
];
const SEQUENCES = ['ReferencedStudySequence', 'ScheduledProcedureStepSequence', 'ProcedureCodeSequence'];

const dataset: fc.Arbitrary<Dataset> = fc.letrec<{ ds: Dataset }>((tie) => ({
  ds: fc
    .tuple(
      fc.subarray(leafFields, { maxLength: 10 }).chain((fields) => fc.tuple(...fields.map(([k, a]) => a.map((v) => [k, v] as const)))),
      fc.oneof(
        { weight: 3, arbitrary: fc.constant([] as (readonly [string, unknown])[]) },
        {
          weight: 1,
          arbitrary: fc.array(
            fc.tuple(fc.constantFrom(...SEQUENCES), fc.oneof(fc.array(tie('ds'), { maxLength: 3 }), tie('ds'), fc.constantFrom(null, []))),
            { maxLength: 2 },
          ),
        },
      ),
    )
    .map(([leaves, seqs]) => Object.fromEntries([...leaves, ...seqs])),
})).ds;

// ------------------------------------------------------------------ tests

describe('dict writer = dcmjs DicomMessage.write', () => {
  it('writes the same bytes for generated data sets (and declines where dcmjs throws)', () => {
    let fast = 0;
    let fastBig = 0;
    let fastBigWrite = 0;
    let fastDenaturalize = 0;
    let total = 0;
    fc.assert(
      fc.property(dataset, (ds) => {
        const dict = attempt(() => quietly(() => DicomMetaDictionary.denaturalizeDataset(readyForDcmjs(ds))));
        for (const implicit of MODES) if (checkDenaturalize(ds, implicit)) fastDenaturalize++;
        if (!dict.ok) return;
        for (const implicit of MODES) {
          total++;
          if (writeDict(dict.value, implicit)) fast++;
          const bytes = checkWrite(dict.value, implicit);
          if (bytes) checkRead(bytes, implicit); // and what dcmjs wrote reads back the same way
          // Big Endian too: the dict writer writes dcmjs's bytes, which the dict reader reads as dcmjs does.
          if (implicit) continue;
          if (writeDict(dict.value, false, undefined, false, false)) fastBigWrite++;
          const big = checkWrite(dict.value, false, false);
          if (big && checkRead(big, false, false) === 'fast') fastBig++;
        }
      }),
      { numRuns: 400 },
    );
    expect(fast / total).toBeGreaterThan(0.3); // the generator exercises the hand-written paths
    expect(fastBig).toBeGreaterThan(100);
    expect(fastBigWrite).toBeGreaterThan(60);
    expect(fastDenaturalize / total).toBeGreaterThan(0.1);
  });

  it('leaves the caller’s person name values as they were (dcmjs defines toJSON and toString on them)', () => {
    const names = (): Dataset => ({ PatientName: [{ Alphabetic: 'DOE^J' }], OperatorsName: ['A', '', 'B^C'], PerformingPhysicianName: { Alphabetic: 'X' }, ReferringPhysicianName: 'R^S' });
    const theirs = names();
    const theirDict = DicomMetaDictionary.denaturalizeDataset(theirs);
    expect(JSON.stringify(theirs)).not.toBe(JSON.stringify(names())); // what this guards against
    const shape = (ds: Dataset) => [JSON.stringify(ds), ...Object.values(ds).map((v) => (typeof v === 'object' ? Object.getOwnPropertyNames(v) : v))];
    for (const encode of [(ds: Dataset) => denaturalize(ds), (ds: Dataset) => DicomMetaDictionary.denaturalizeDataset(readyForDcmjs(ds)), (ds: Dataset) => encodeDataset(ds, SYNTAX.explicit), (ds: Dataset) => encodeDataset({ ...ds, _vrMap: { PatientName: 'PN' } }, SYNTAX.explicit) /* through dcmjs */]) {
      const mine = names();
      expect(encode(mine)).toBeDefined();
      expect(shape(mine)).toEqual(shape(names()));
    }
    // Both paths write the same bytes, the empty name in its place (dcmjs alone: "A\B^C").
    const viaDcmjs = dcmjsWrite(DicomMetaDictionary.denaturalizeDataset(readyForDcmjs(names())), SYNTAX.explicit, true);
    expect(hex(viaDcmjs)).toBe(hex(encodeDataset(names(), SYNTAX.explicit)));
    expect(Buffer.from(viaDcmjs).toString('latin1')).toContain('A\\\\B^C');
    expect(Buffer.from(dcmjsWrite(theirDict, SYNTAX.explicit, true)).toString('latin1')).toContain('A\\B^C');
  });

  it('writes big values like dcmjs (UN header past 64 KiB, the buffer grows and shrinks back)', () => {
    const ds = { PatientComments: 'x'.repeat(70_000), TextValue: 'é'.repeat(600_000), PatientID: 'P' };
    for (const implicit of MODES) {
      const dict = denaturalize(ds)!;
      expect(writeDict(dict, implicit)).toBeDefined();
      checkWrite(dict, implicit);
      checkWrite(denaturalize({ PatientID: 'after' })!, implicit);
    }
  });

  it('writes a typical study-level C-FIND match by hand', () => {
    const ds = { QueryRetrieveLevel: 'STUDY', PatientName: 'DOE^J', StudyInstanceUID: '1.2.3.4', StudyDate: '20240101', AccessionNumber: 'A1', SpecificCharacterSet: 'ISO_IR 100' };
    for (const implicit of MODES) {
      const dict = DicomMetaDictionary.denaturalizeDataset(readyForDcmjs(ds));
      expect(writeDict(dict, implicit)).toBeDefined();
      checkWrite(dict, implicit);
    }
  });
});

describe('dict reader = dcmjs DicomMessage._read', () => {
  it('reads the DCMTK fixtures like dcmjs', () => {
    const seen: Record<string, string> = {};
    for (const [name, b64] of Object.entries(DCMTK_DATASETS)) {
      const bytes = new Uint8Array(Buffer.from(b64, 'base64'));
      seen[name] = checkRead(bytes, name.includes('-ti'));
    }
    // Every fixture is read by hand now, 'fallback' too (its AT and private elements were dcmjs's until 2026-11-28).
    for (const name of Object.keys(seen)) expect(seen[name]).toBe('fast');
  });

  it('decodeDataset gives the same objects for the fixtures as dcmjs alone', () => {
    for (const [name, b64] of Object.entries(DCMTK_DATASETS)) {
      const bytes = new Uint8Array(Buffer.from(b64, 'base64'));
      const ts = syntaxOf(name.includes('-ti'));
      expectSameDataset(decodeDataset(bytes, ts), naturalizeWithDcmjs(dcmjsRead(bytes, ts, true)));
    }
    const wl = decodeDataset(new Uint8Array(Buffer.from(DCMTK_DATASETS['worklist-te-undef']!, 'base64')), SYNTAX.explicit);
    expect(String(wl.PatientName)).toBe('Yamada^Tarou=山田^太郎');
    expect((wl.ScheduledProcedureStepSequence as Dataset).ScheduledStationAETitle).toBe('CT01');
  });

  it('reads bytes 80H-9FH in text values one char per byte, as dcmjs does', () => {
    // The reader decodes small data sets natively as windows-1252, which differs from one char per byte exactly there.
    const odd = Uint8Array.of(0x41, 0x80, 0x85, 0x9f, 0xa0, 0xff, 0x42, 0x20);
    for (const implicit of MODES) {
      const parts: Part[] = [
        { tag: 0x00080052, vr: 'CS', value: odd },
        { tag: 0x00080054, vr: 'AE', value: odd },
        { tag: 0x0020000d, vr: 'UI', value: Uint8Array.of(0x31, 0x2e, 0x80, 0x32, 0x9f, 0x00) },
        { tag: 0x00100020, vr: 'LO', value: odd },
      ];
      const bytes = build(parts, implicit);
      expect(checkRead(bytes, implicit)).toBe('fast');
      expect((readDict(bytes, implicit)!['00080052']!.Value as string[])[0]).toBe('A\x80\x85\x9f\xa0\xffB');
    }
  });

  it('reads corrupted encodings like dcmjs, or declines', () => {
    const sources = Object.entries(DCMTK_DATASETS).map(([n, b]) => [new Uint8Array(Buffer.from(b, 'base64')), n.includes('-ti')] as const);
    fc.assert(
      fc.property(fc.constantFrom(...sources), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 3 }), ([good, implicit], edits) => {
        const bytes = good.slice();
        for (const [at, v] of edits) bytes[at % bytes.length] = v;
        checkRead(bytes, implicit);
        checkRead(bytes, !implicit);
      }),
      { numRuns: 600 },
    );
  });

  it('reads random element streams like dcmjs, or declines', () => {
    let fast = 0;
    fc.assert(
      fc.property(elementStream, fc.boolean(), (parts, implicit) => {
        const bytes = build(parts, implicit);
        if (checkRead(bytes, implicit) === 'fast') fast++;
      }),
      { numRuns: 600 },
    );
    expect(fast).toBeGreaterThan(100);
  });
});

describe('encodeDataset / decodeDataset through the hand-written path', () => {
  it('encode and round-trip like the dcmjs-only path', () => {
    fc.assert(
      fc.property(dataset, fc.constantFrom(SYNTAX.explicit, SYNTAX.implicit, TransferSyntax.DeflatedExplicitVRLittleEndian, TransferSyntax.ExplicitVRBigEndian), (ds, ts) => {
        const enc = attempt(() => encodeDataset(ds, ts));
        const plain = ts === TransferSyntax.DeflatedExplicitVRLittleEndian ? SYNTAX.explicit : ts;
        const dict = attempt(() => quietly(() => DicomMetaDictionary.denaturalizeDataset(readyForDcmjs(ds))));
        const refEnc = attempt(() => dcmjsWriteDeclared((dict as { value: DcmjsDict }).value, plain));
        expect(enc.ok).toBe(refEnc.ok);
        if (!enc.ok) return;
        const bytes = plain === ts ? enc.value : inflate(enc.value);
        const refBytes = (refEnc as { value: Uint8Array }).value;
        if (hex(bytes) !== hex(refBytes)) {
          // As in checkWrite: only text beyond ASCII may differ (ISO 8859-1 under ISO_IR 100, labels), and it reads back the same.
          expect(hasNonAsciiText((dict as { value: DcmjsDict }).value)).toBe(true);
          expect(readBack(bytes, plain)).toStrictEqual(readBack(refBytes, plain));
        }
        const dec = attempt(() => decodeDataset(enc.value, ts));
        const ref = attempt(() => (bytes.length === 0 ? {} : naturalizeWithDcmjs(dcmjsRead(bytes, plain, plain !== TransferSyntax.ExplicitVRBigEndian)))); // as decodeDataset
        if (!ref.ok && /multiple character sets/.test(String(ref.error))) return; // ISO 2022: character-sets.test.ts
        expect(dec.ok).toBe(ref.ok);
        if (dec.ok && ref.ok) expectSameDataset(dec.value, ref.value);
      }),
      { numRuns: 200 },
    );
  });
});

// ------------------------------------------------------------------ random element streams


type Part = { tag: number; vr: string; value: Uint8Array; oddLength?: number } | { tag: number; vr: 'SQ'; items: { parts: Part[]; undef: boolean }[]; undef: boolean };

const TAGS: [number, string][] = [
  [0x00080005, 'CS'],
  [0x00080020, 'DA'],
  [0x00080050, 'SH'],
  [0x00080052, 'CS'],
  [0x00080054, 'AE'],
  [0x00080090, 'PN'],
  [0x00100010, 'PN'],
  [0x00100020, 'LO'],
  [0x00101010, 'AS'],
  [0x00180050, 'DS'],
  [0x00200013, 'IS'],
  [0x0020000d, 'UI'],
  [0x00280010, 'US'],
  [0x00280106, 'SS'],
  [0x00321060, 'LO'],
  [0x00400007, 'LO'],
  [0x00081190, 'UR'],
  [0x00100021, 'LO'],
  [0x00104000, 'LT'],
  [0x00081080, 'LO'],
  [0x00280009, 'AT'],
  [0x00291001, 'OB'],
  [0x00290010, 'LO'],
  [0x20100010, 'ST'],
  [0x00186011, 'SQ'],
];
const BYTE_POOL = [0x41, 0x42, 0x20, 0x5c, 0x00, 0x2e, 0x31, 0x2d, 0x5e, 0x3d, 0xe9, 0xc3, 0xa9, 0xff, 0xfe, 0x80];
const valueBytes = fc.array(fc.constantFrom(...BYTE_POOL), { maxLength: 10 }).map((a) => Uint8Array.from(a));
const charsetValue = fc.constantFrom('ISO_IR 100', 'ISO_IR 192', 'ISO_IR 6 ', '', 'ISO_IR 101', 'ISO 2022 IR 100\\ISO 2022 IR 87').map((s) => new TextEncoder().encode(s));
const VRS = ['AE', 'CS', 'LO', 'PN', 'UI', 'US', 'FD', 'UT', 'UN', 'OB', 'SQ', 'XX', 'AT'];

const elementStream: fc.Arbitrary<Part[]> = fc.letrec<{ parts: Part[] }>((tie) => ({
  parts: fc.array(
    fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .tuple(fc.constantFrom(...TAGS), fc.option(fc.constantFrom(...VRS), { freq: 6 }), valueBytes, charsetValue)
          .map(([[tag, vr], other, value, cs]): Part => ({ tag, vr: other ?? vr, value: tag === 0x00080005 ? cs : value })),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.constantFrom(0x00081110, 0x00400100, 0x00186011), fc.array(fc.record({ parts: tie('parts'), undef: fc.boolean() }), { maxLength: 2 }), fc.boolean())
          .map(([tag, items, undef]): Part => ({ tag, vr: 'SQ', items, undef })),
      },
    ),
    { maxLength: 6 },
  ),
})).parts;

/** Elements in tag order (as a writer would put them; the reader must not care either way). */
function build(parts: Part[], implicit: boolean): Uint8Array {
  const out: number[] = [];
  const u16 = (v: number) => out.push(v & 0xff, (v >> 8) & 0xff);
  const u32 = (v: number) => (u16(v & 0xffff), u16(v >>> 16));
  const header = (tag: number, vr: string, length: number) => {
    u16(tag >>> 16);
    u16(tag & 0xffff);
    if (implicit) return u32(length);
    out.push(vr.charCodeAt(0), vr.charCodeAt(1));
    if (['OB', 'OW', 'OF', 'SQ', 'UC', 'UR', 'UT', 'UN', 'OD', 'UV'].includes(vr)) (u16(0), u32(length));
    else u16(length);
  };
  const write = (list: Part[]): void => {
    for (const p of [...list].sort((a, b) => a.tag - b.tag)) {
      if ('items' in p) {
        const body: number[] = [];
        const saved = out.splice(0);
        for (const item of p.items) {
          const inner = build(item.parts, implicit);
          body.push(0xfe, 0xff, 0x00, 0xe0);
          const len = item.undef ? 0xffffffff : inner.length;
          body.push(len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, len >>> 24, ...inner);
          if (item.undef) body.push(0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0);
        }
        if (p.undef) body.push(0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0);
        out.push(...saved);
        header(p.tag, 'SQ', p.undef ? 0xffffffff : body.length);
        out.push(...body);
      } else {
        header(p.tag, p.vr, p.value.length);
        out.push(...p.value);
      }
    }
  };
  write(parts);
  return Uint8Array.from(out);
}
