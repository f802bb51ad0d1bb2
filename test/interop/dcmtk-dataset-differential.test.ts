/**
 * Data set values against DCMTK as a reference: 150 seeded random data sets (text beyond ASCII in
 * several scripts, character sets named by the caller and written in (ISO 8859 parts, GB18030,
 * ISO 2022 code extensions) or replaced by UTF-8, bulk values given as views (OB, OW, OF, in
 * DCMTK's JSON as little-endian base64), multi-valued and single-valued text VRs with
 * backslashes, person names with component groups, numbers of every kind, nested sequences) are
 * encoded by netdicom in Implicit, Explicit and Big Endian syntaxes, written as Part 10 files and
 * read by DCMTK's dcm2json (PS3.18 JSON); every value DCMTK reports must equal what netdicom
 * decodes from the same bytes.
 *
 * What the generator avoids, because DCMTK's JSON normalises it and netdicom (like dcmjs) keeps
 * it: spaces at the edges of person name components, trailing `^` in person names, empty values
 * at the end of a list (empty values inside one are drawn). FL values are compared at float precision (dcm2json prints 9 digits).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPrng } from '../../adapters/memory/prng';
import { decodeDataset, encodeDataset } from '../../src/dataset/codec';
import { writePart10 } from '../../src/dataset/part10';
import type { Dataset } from '../../src/scu/types';
import { tagForKeyword } from '../../src/services/n-attributes';
import { TransferSyntax } from '../../src/uids/transfer-syntax';
import { requireDcmtk } from './helpers/dcmtk';

const available = requireDcmtk();
const random = createPrng(0xda7a24);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(values: readonly T[]): T => values[int(values.length)]!;
const SC = '1.2.840.10008.5.1.4.1.1.7';
const SYNTAXES = [TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ExplicitVRBigEndian];

const ANY_SCRIPT = ['A', 'b', '0', 'é', 'Ü', 'ß', '山', '田', '홍', 'Я', 'Ω', '-', '.', "'", '😀'];
/**
 * The character sets a data set may name, each with the characters its words are mostly made of
 * (so that most of its text fits and is written in that set; the rest goes out as UTF-8).
 */
const CHARSETS: readonly [string | string[] | undefined, readonly string[]][] = [
  [undefined, ANY_SCRIPT],
  ['ISO_IR 100', ANY_SCRIPT],
  ['ISO_IR 192', ANY_SCRIPT],
  ['', ANY_SCRIPT],
  ['ISO_IR 100', ['A', 'b', '0', 'é', 'Ü', 'ß', 'ø', '-']],
  ['ISO_IR 144', ['A', 'b', '0', 'Я', 'ж', 'Ё', '-']],
  ['ISO_IR 101', ['A', 'b', '0', 'ř', 'ő', 'Ł', '-']],
  ['ISO_IR 126', ['A', 'b', '0', 'Ω', 'λ', 'ά', '-']],
  [['', 'ISO 2022 IR 149'], ['A', 'b', '0', '홍', '길', '洪', '-']],
  [['', 'ISO 2022 IR 58'], ['A', 'b', '0', '张', '东', '。', '-']],
  ['GB18030', ['A', 'b', '0', '张', '东', '€', 'ÿ', '😀', '-']],
];
/** The characters words are drawn from for the data set being generated, and whether it names code extensions. */
let script: readonly string[] = ANY_SCRIPT;
let codeExtensions = false;

/** A word of 1–`n` characters from `chars`, never starting or ending with a space. */
function word(n: number, chars: readonly string[] = random() < 0.95 ? script : ANY_SCRIPT): string {
  return Array.from({ length: 1 + int(n) }, () => pick(chars)).join('');
}
/** `n` random bytes, as a view into a larger buffer (at an offset, as a pooled Node Buffer is). */
function bulk(n: number): Uint8Array {
  const whole = new Uint8Array(n + 8);
  for (let i = 0; i < whole.length; i++) whole[i] = int(256);
  return whole.subarray(3, 3 + n);
}
const words = (n: number) => Array.from({ length: 1 + int(3) }, () => word(n)).join(' ');
const ascii = (n: number) => word(n, ['A', 'B', 'Z', '0', '9', '_']);
const number = () => pick([0, 1, -1, 0.5, 1 / 3, 1e-7, 123456.789, -2.5e10, 42]);
/** Under code extensions the first (alphabetic) group is in value 1's set (PS3.5 Annexes H–J; DCMTK refuses escapes there). */
const personName = () =>
  pick([...(codeExtensions ? [] : [`${word(8)}^${word(6)}`, word(6)]), `${ascii(6)}^${ascii(4)}=${word(4)}^${word(3)}`, `${ascii(5)}==${word(3)}`]);

const LEAVES: Record<string, () => unknown> = {
  PatientName: personName,
  OperatorsName: () => (random() < 0.3 ? [personName(), '', personName()] : [personName(), personName()]), // an empty name keeps its place
  PatientID: () => word(12),
  StudyDescription: () => (random() < 0.5 ? words(6) : [words(5), ` ${words(5)} `]), // LO: backslash separates values; spaces around them are padding
  ImageType: () => ['ORIGINAL', ' PRIMARY', 'AXIAL '], // CS
  InstitutionAddress: () => `${words(8)}\\${words(5)}`, // ST: one value, backslash and all
  TextValue: () => `${words(20)}\\${words(10)}`, // UT
  PatientComments: () => `${words(20)}\\${words(5)}`, // LT
  RetrieveURL: () => `http://h/${ascii(int(2) ? 5 : 6)}\\x`, // UR: odd and even lengths
  Modality: () => pick(['CT', 'MR']),
  StudyDate: () => pick(['20240115', '19991231']),
  StudyTime: () => pick(['101010', '235959.123456', '07']),
  Rows: () => int(65536),
  PixelSpacing: () => [number(), number()],
  SliceThickness: number,
  InstanceNumber: () => pick([int(1000), -5, 2 ** 31 - 1]),
  RescaleSlope: number,
  SmallestImagePixelValue: () => int(1000),
  ReferencedFrameNumber: () => [1, 2, 3],
  FloatPixelPaddingValue: number,
  StudyInstanceUID: () => `1.2.3.${int(1e6)}`,
  EncapsulatedDocument: () => [bulk(int(9))], // OB, odd lengths padded
  PixelData: () => [bulk(2 * int(6)), bulk(4)], // the dictionary's "OB or OW": OW, two values joined
  FloatPixelData: () => [bulk(8)], // OF: byte order follows the syntax
  FrameIncrementPointer: () => pick([0x00181063, [0x00181063, 0x00540080]]), // AT: group and element in the syntax's byte order
};
const ITEM_LEAVES: Record<string, () => unknown> = {
  PatientID: () => word(12),
  IssuerOfPatientID: () => words(8),
  TextValue: () => `${words(10)}\\${words(3)}`,
  SliceThickness: number,
  ReferencedSOPInstanceUID: () => `1.2.${int(1e6)}`,
};
const SEQUENCES = ['OtherPatientIDsSequence', 'ReferencedStudySequence'];

function generate(depth: number): Dataset {
  const leaves = depth === 0 ? LEAVES : ITEM_LEAVES;
  const keys = Object.keys(leaves);
  const ds: Dataset = {};
  if (depth === 0) {
    const [charset, chars] = pick(CHARSETS);
    if (charset !== undefined) ds.SpecificCharacterSet = charset;
    script = chars; // the characters of this data set's text
    codeExtensions = Array.isArray(charset);
  }
  for (let i = 0; i < 2 + int(8); i++) {
    const key = pick(keys);
    ds[key] = leaves[key]!();
  }
  if (depth < 2 && random() < 0.5) ds[pick(SEQUENCES)] = Array.from({ length: 1 + int(2) }, () => generate(depth + 1));
  if (depth === 1 && random() < 0.2) ds.SpecificCharacterSet = 'ISO_IR 100';
  return ds;
}

type JsonElement = { vr: string; Value?: unknown[]; InlineBinary?: string };
type JsonDataset = Record<string, JsonElement>;

/** What DCMTK's JSON says for `keyword`, in netdicom's naturalized form (bulk values as base64). */
function fromJson(element: JsonElement | undefined): unknown {
  if (element?.InlineBinary !== undefined) return [element.InlineBinary];
  // DCMTK 3.6.7 keeps some escape sequences that designate G1 in a value after a backslash as
  // text (right after it, or after ASCII that follows it; it reads one right after ^ or =, as in
  // PS3.5 I.2); netdicom, like pydicom, writes one where a value's text enters the G1 set, which
  // value 1's sets replace at every delimiter. Its escapes removed, the text must be the same.
  const values = (element?.Value ?? []).map((v) => (v === null ? '' : typeof v === 'string' ? v.replace(/\x1b\$\)[AC]/g, '') : v));
  if (element?.vr === 'SQ') return values.map((item) => item as JsonDataset);
  if (element?.vr === 'PN') return values.map((p) => ['Alphabetic', 'Ideographic', 'Phonetic'].map((g) => (p as Record<string, string>)[g] ?? '').join('=').replace(/=+$/, ''));
  return values;
}

/** netdicom's value in the same shape: a list of strings or numbers. */
function asList(value: unknown, vr: string | undefined): unknown[] {
  const list = Array.isArray(value) ? value : [value];
  // An empty bulk value: DCMTK's JSON has no InlineBinary at all.
  if (vr && ['OB', 'OW', 'OF', 'OD'].includes(vr)) return list.filter((b) => (b as ArrayBuffer).byteLength > 0).map((b) => Buffer.from(b as ArrayBuffer).toString('base64'));
  if (vr === 'PN') {
    return list.map((p) => (typeof p === 'string' ? p : ['Alphabetic', 'Ideographic', 'Phonetic'].map((g) => (p as Record<string, string>)[g] ?? '').join('=').replace(/=+$/, '')));
  }
  if (vr === 'FL') return list.map((x) => Number(Number(x).toPrecision(9)));
  if (vr === 'AT') return list.map((x) => Number(x).toString(16).toUpperCase().padStart(8, '0'));
  if (vr && ['DS', 'IS', 'FD', 'US', 'SS', 'UL', 'SL'].includes(vr)) return list.map(Number);
  return list;
}

function compare(ours: Dataset, theirs: JsonDataset, where: string, mismatches: string[]): void {
  for (const [keyword, value] of Object.entries(ours)) {
    if (keyword === 'SpecificCharacterSet' || keyword.startsWith('_')) continue;
    const tag = tagForKeyword(keyword)!.toString(16).toUpperCase().padStart(8, '0');
    const element = theirs[tag];
    if (element?.vr === 'SQ') {
      const items = fromJson(element) as JsonDataset[];
      const mine = value as Dataset[];
      if (items.length !== mine.length) mismatches.push(`${where}${keyword}: ${mine.length} items, DCMTK ${items.length}`);
      else mine.forEach((item, i) => compare(item, items[i]!, `${where}${keyword}[${i}].`, mismatches));
      continue;
    }
    let expected = fromJson(element);
    if (element?.vr === 'FL') expected = (expected as number[]).map((x) => Number(x.toPrecision(9)));
    if (element?.vr && ['DS', 'IS', 'FD', 'US', 'SS', 'UL', 'SL'].includes(element.vr)) expected = (expected as unknown[]).map(Number);
    const actual = asList(value, element?.vr);
    if (JSON.stringify(actual) !== JSON.stringify(expected)) mismatches.push(`${where}${keyword} (${element?.vr}): netdicom ${JSON.stringify(actual)}, DCMTK ${JSON.stringify(expected)}`);
  }
}

const work = available ? mkdtempSync(path.join(tmpdir(), 'netdicom-ds-diff-')) : '';
afterAll(() => {
  if (work && !process.env.KEEP) rmSync(work, { recursive: true, force: true });
});

describe.runIf(available)('data set values: netdicom against DCMTK dcm2json', () => {
  it('decodes 150 random data sets, written by netdicom, to the values DCMTK reads', () => {
    const mismatches: string[] = [];
    let compared = 0;
    for (let i = 0; i < 150; i++) {
      const uid = `1.2.826.0.1.3680043.9.7433.79.${i}`;
      const ts = SYNTAXES[i % SYNTAXES.length]!;
      const ds = { SOPClassUID: SC, SOPInstanceUID: uid, ...generate(0) };
      const bytes = encodeDataset(ds, ts);
      const file = path.join(work, `d${i}.dcm`);
      writeFileSync(file, Buffer.concat(writePart10({ sopClassUid: SC, sopInstanceUid: uid, transferSyntaxUid: ts, dataset: bytes })));
      const theirs = JSON.parse(execFileSync('dcm2json', [file], { encoding: 'utf8' })) as JsonDataset;
      compare(decodeDataset(bytes, ts), theirs, `#${i} ${ts}: `, mismatches);
      compared++;
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBe(150);
  });
});
