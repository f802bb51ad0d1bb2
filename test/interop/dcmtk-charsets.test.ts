/**
 * Character sets checked against DCMTK's own conversion (`dcmconv +U8`, which converts every
 * value affected by (0008,0005) to UTF-8 through iconv):
 * - files in ISO 2022 code extensions (PS3.5 Annexes I and J, and single-byte sets switched in by
 *   escape sequences) read the same by netdicom as DCMTK converts them;
 * - files netdicom writes with text beyond ASCII are labelled so that DCMTK reads that text back
 *   unchanged, at the top level and in sequence items, whatever set the caller had named.
 * - files netdicom writes in the set the data set names (ISO 8859 parts, TIS 620, JIS X 0201,
 *   GB18030, ISO 2022 code extensions) keep that label and convert to the text written.
 * - ST, UT and UR values hold one value (a backslash is text), as DCMTK counts them.
 * Debian's DCMTK uses glibc's iconv, which has no JIS X 0208 for `ISO 2022 IR 87`: the Japanese
 * examples are checked against the standard's text in test/unit/character-sets.test.ts only.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeDataset, encodeDataset, readPart10 } from '../../src/dataset/codec';
import { writePart10 } from '../../src/dataset/part10';
import type { Dataset } from '../../src/scu/types';
import { TransferSyntax } from '../../src/uids/transfer-syntax';
import { CHARSET_EXAMPLES, concat, element, sequence } from '../fixtures/character-sets';
import { requireDcmtk } from './helpers/dcmtk';

const available = requireDcmtk();
const EXPLICIT = TransferSyntax.ExplicitVRLittleEndian;
const BIG = TransferSyntax.ExplicitVRBigEndian;
const SC = '1.2.840.10008.5.1.4.1.1.7';
const work = mkdtempSync(path.join(tmpdir(), 'netdicom-charsets-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let count = 0;
/**
 * Writes `dataset` (encoded bytes) as a Part 10 file, has DCMTK convert it to UTF-8, returns both
 * files' data sets decoded by netdicom. Explicit VR Little Endian bytes get the identifying UIDs
 * inserted; in another syntax the data set must carry them (`idsFor`).
 */
function throughDcmconv(dataset: Uint8Array, syntax: string = EXPLICIT): { ours: Dataset; dcmtk: Dataset; dcmtkCharset: string } {
  const n = ++count;
  const uid = uidOf(n);
  const input = path.join(work, `in-${n}.dcm`);
  const output = path.join(work, `out-${n}.dcm`);
  const ids = concat([element(0x0008, 0x0016, 'UI', SC, 0), element(0x0008, 0x0018, 'UI', uid, 0)]);
  // The identifying UIDs go after (0008,0005) and before everything else (tags in order).
  const withIds = syntax === EXPLICIT ? insertAfterCharset(dataset, ids) : dataset;
  writeFileSync(input, concat(writePart10({ sopClassUid: SC, sopInstanceUid: uid, transferSyntaxUid: syntax, dataset: withIds })));
  execFileSync('dcmconv', ['+U8', input, output], { stdio: 'pipe' });
  const converted = readPart10(new Uint8Array(readFileSync(output)));
  const dump = execFileSync('dcmdump', ['+P', '0008,0005', output], { encoding: 'utf8' });
  return {
    ours: decodeDataset(withIds, syntax),
    dcmtk: decodeDataset(converted.dataset, converted.transferSyntaxUid),
    dcmtkCharset: /\[([^\]]*)\]/.exec(dump)?.[1] ?? '',
  };
}

const uidOf = (n: number): string => `1.2.826.0.1.3680043.9.7433.24.${n}`;
/** The identifying UIDs of the next file {@link throughDcmconv} writes, for a data set given in another syntax than Explicit VR Little Endian. */
const idsFor = (): Dataset => ({ SOPClassUID: SC, SOPInstanceUID: uidOf(count + 1) });

/** `dataset` with `extra` inserted after its (0008,0005) element (which must come first), or in front. */
function insertAfterCharset(dataset: Uint8Array, extra: Uint8Array): Uint8Array {
  const dv = new DataView(dataset.buffer, dataset.byteOffset, dataset.byteLength);
  if (dataset.length >= 8 && dv.getUint16(0, true) === 0x0008 && dv.getUint16(2, true) === 0x0005) {
    const end = 8 + dv.getUint16(6, true);
    return concat([dataset.subarray(0, end), extra, dataset.subarray(end)]);
  }
  return concat([extra, dataset]);
}

describe.runIf(available)('character sets: netdicom against DCMTK dcmconv +U8', () => {
  for (const ex of CHARSET_EXAMPLES.filter((e) => !e.charset.includes('IR 87'))) {
    it(`reads ${ex.source} as DCMTK converts it`, () => {
      const bytes = concat([element(0x0008, 0x0005, 'CS', ex.charset), element(0x0010, 0x0010, 'PN', ex.bytes)]);
      const { ours, dcmtk, dcmtkCharset } = throughDcmconv(bytes);
      expect(dcmtkCharset).toBe('ISO_IR 192');
      expect(dcmtk.PatientName).toEqual([ex.name]);
      expect(ours.PatientName).toEqual(dcmtk.PatientName);
    });
  }

  it('reads single-byte sets switched in by escapes, and items inheriting them, as DCMTK does', () => {
    // ISO-IR 100 é (E9H) and ISO-IR 144 П (BFH) through ESC - A / ESC - L, top level and in an item.
    const text = Uint8Array.of(0x43, 0x61, 0x66, 0x1b, 0x2d, 0x41, 0xe9, 0x20, 0x1b, 0x2d, 0x4c, 0xbf, 0xe0, 0xd8, 0xd2, 0xd5, 0xe2);
    const bytes = concat([
      element(0x0008, 0x0005, 'CS', '\\ISO 2022 IR 100\\ISO 2022 IR 144'),
      element(0x0008, 0x1030, 'LO', text),
      sequence(0x0010, 0x1002, [element(0x0010, 0x0020, 'LO', text)]),
    ]);
    const { ours, dcmtk } = throughDcmconv(bytes);
    expect(dcmtk.StudyDescription).toBe('Café Привет');
    expect(ours.StudyDescription).toBe(dcmtk.StudyDescription);
    expect((ours.OtherPatientIDsSequence as Dataset[])[0]!.PatientID).toBe('Café Привет');
    expect((dcmtk.OtherPatientIDsSequence as Dataset[])[0]!.PatientID).toBe('Café Привет');
  });

  it('reads ST, UT and UR values with backslashes as one value, as DCMTK counts them (VM 1)', () => {
    const file = path.join(work, 'text-vm.dcm');
    const uid = '1.2.826.0.1.3680043.9.7433.24.99';
    const dataset = encodeDataset({ SOPClassUID: SC, SOPInstanceUID: uid }, EXPLICIT);
    writeFileSync(file, concat(writePart10({ sopClassUid: SC, sopInstanceUid: uid, transferSyntaxUid: EXPLICIT, dataset })));
    const values = { InstitutionAddress: ['0008,0081', 'Main St.\\2'], TextValue: ['0040,a160', 'x\\y\\z'], RetrieveURL: ['0008,1190', 'http://h/a\\b'], StudyDescription: ['0008,1030', 'one\\two'] };
    execFileSync('dcmodify', ['-nb', ...Object.values(values).flatMap(([tag, v]) => ['-i', `(${tag})=${v}`]), file]);
    const dump = execFileSync('dcmdump', [file], { encoding: 'utf8' });
    const p = readPart10(new Uint8Array(readFileSync(file)));
    const ours = decodeDataset(p.dataset, p.transferSyntaxUid);
    for (const [keyword, [tag, value]] of Object.entries(values)) {
      const vm = Number(new RegExp(`^\\(${tag}\\).*#\\s*\\d+, (\\d+) `, 'mi').exec(dump)?.[1]);
      expect([keyword, ours[keyword]]).toEqual([keyword, vm === 1 ? value : value!.split('\\')]);
    }
    expect(ours.StudyDescription).toEqual(['one', 'two']); // LO: DCMTK counts 2
  });

  it('writes text in the set the data set names, as DCMTK converts it, in Little and Big Endian', () => {
    // DCMTK 3.6.7 does not know ISO_IR 203, and its iconv has no JIS X 0208: those are checked in the unit tests.
    const cases: [string | string[], string][] = [
      ['ISO_IR 101', 'Dvořák^Antonín'],
      ['ISO_IR 109', 'Ġużeppi'],
      ['ISO_IR 110', 'Ķēniņš'],
      ['ISO_IR 144', 'Иванов^Иван'],
      ['ISO_IR 127', 'قباني'],
      ['ISO_IR 126', 'Παπαδόπουλος'],
      ['ISO_IR 138', 'שרון'],
      ['ISO_IR 148', 'Şükrü'],
      ['ISO_IR 166', 'สมชาย'],
      ['ISO_IR 13', 'ﾔﾏﾀﾞ^ﾀﾛｳ'],
      ['GB18030', '张^小东ÿ😀'], // the last two in four-byte codes
      [['', 'ISO 2022 IR 149'], 'Hong^Gildong=洪^吉洞=홍^길동'],
      [['', 'ISO 2022 IR 58'], 'Zhang^XiaoDong=张^小东'],
      [['ISO 2022 IR 100', 'ISO 2022 IR 144'], 'Café^Привет'],
    ];
    for (const [set, name] of cases) {
      for (const syntax of [EXPLICIT, BIG]) {
        const description = name.replace(/[=^]/g, ' ');
        const ds = { SpecificCharacterSet: set, PatientName: name, StudyDescription: description, OtherPatientIDsSequence: [{ PatientID: description }] };
        const bytes = encodeDataset(syntax === EXPLICIT ? ds : { ...ds, ...idsFor() }, syntax);
        const term = Array.isArray(set) ? set.join('\\') : set;
        const label = `${term} in ${syntax}`;
        expect([label, Buffer.from(bytes).toString('latin1').includes(term)]).toEqual([label, true]); // not relabelled ISO_IR 192
        const { ours, dcmtk } = throughDcmconv(bytes, syntax);
        expect([label, String(dcmtk.PatientName), dcmtk.StudyDescription, (dcmtk.OtherPatientIDsSequence as Dataset[])[0]!.PatientID]).toEqual([label, name, description, description]);
        expect([label, String(ours.PatientName), ours.StudyDescription]).toEqual([label, name, description]);
      }
    }
  });

  it('writes text beyond ASCII so that DCMTK reads it back unchanged', () => {
    const cases: Dataset[] = [
      { PatientName: 'Müller^Jürgen', StudyDescription: '山田 홍길동' },
      { SpecificCharacterSet: 'ISO_IR 100', PatientName: 'Müller^Jürgen', StudyDescription: 'Øresund' },
      { SpecificCharacterSet: 'ISO_IR 100', OtherPatientIDsSequence: [{ PatientID: 'Ä1', IssuerOfPatientID: 'Ωmega' }] },
      { SpecificCharacterSet: 'ISO_IR 192', OtherPatientIDsSequence: [{ SpecificCharacterSet: 'ISO_IR 100', PatientID: 'Ä1' }] },
    ];
    for (const ds of cases) {
      const { ours, dcmtk } = throughDcmconv(encodeDataset(ds, EXPLICIT));
      for (const [key, value] of Object.entries(ds)) {
        if (key === 'SpecificCharacterSet') continue;
        if (Array.isArray(value)) {
          const [item] = value as Dataset[];
          for (const [k, v] of Object.entries(item!)) if (k !== 'SpecificCharacterSet') expect([(dcmtk[key] as Dataset[])[0]![k], (ours[key] as Dataset[])[0]![k]]).toEqual([v, v]);
        } else if (key === 'PatientName') {
          expect([String(dcmtk[key]), String(ours[key])]).toEqual([value, value]);
        } else {
          expect([dcmtk[key], ours[key]]).toEqual([value, value]);
        }
      }
    }
  });
});
