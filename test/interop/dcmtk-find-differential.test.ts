/**
 * C-FIND matching (PS3.4 C.2.2.2) against DCMTK's dcmqrscp as a reference: the same 60 generated
 * studies (1–3 series of 1–2 instances each) go into both (dcmqrscp loaded by DCMTK storescu,
 * netdicom qrscp reading the files), and seeded random queries must return the same entities
 * from each: 150 at STUDY level (wild cards `*` and `?` in PN, LO, SH and CS keys, date and time
 * ranges open at either end, UID lists, two or three keys together), 60 at SERIES and 60 at IMAGE
 * level (hierarchical: the unique keys above, the keys dcmqrscp indexes at the level).
 *
 * Left out on purpose, where netdicom answers differently from dcmqrscp 3.6.7 within the
 * standard (measured with a wider generator, scratch qrdiff/run.mjs): PN keys match regardless of
 * case and of trailing component delimiters (C.2.2.2.1 allows it; dcmqrscp compares the bytes),
 * a time of reduced precision ("12") is the range it stands for, `""` matches empty values
 * (C.2.2.2.1.1, later than 3.6.7), and a list in a non-UID key matches any of its values.
 * Where netdicom follows the standard and dcmqrscp 3.6.7 does not: a Required Key that is zero
 * length in a stored entity is unknown and matches any key value (C.2.2.1.2; dcmqrscp matches it
 * against nothing; the generated studies give every Required Key a value, so it does not come up
 * here), and a unique key above the level with no value is refused like a missing one (C.4.1.2.1,
 * unless relational queries were agreed; dcmqrscp only checks that the key is there).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrng } from '../../adapters/memory/prng';
import type { Association } from '../../src/association';
import { encodeDataset } from '../../src/dataset/codec';
import { writePart10 } from '../../src/dataset/part10';
import { CT, EXPLICIT, startQrscp } from '../unit/helpers/qr-fixtures';
import { requireDcmtk } from './helpers/dcmtk';
import { FindPeers } from './helpers/find-peers';
import { freePort, start, waitForPort } from './helpers/store-harness';

const available = requireDcmtk();
const STUDY_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const random = createPrng(0x5eed24);
const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;

const FAMILY = ['DOE', 'DOEBLER', 'SMITH', 'SMYTHE', "O'NEIL", 'VAN DER BERG', 'LI', 'DOE-SMITH'];
const GIVEN = ['JOHN', 'JANE', 'J', 'ANNA MARIA'];

interface Study {
  PatientName: string;
  PatientID: string;
  StudyDate: string;
  StudyTime: string;
  AccessionNumber: string;
  StudyID: string;
  StudyDescription: string;
  ReferringPhysicianName: string;
  StudyInstanceUID: string;
}

const studies: Study[] = Array.from({ length: 60 }, (_, i) => ({
  PatientName: random() < 0.8 ? `${pick(FAMILY)}^${pick(GIVEN)}` : pick(FAMILY),
  PatientID: pick(['P1', 'P2', 'P10', 'X-1', 'P 3']),
  StudyDate: `20${pick(['19', '20', '23', '24'])}${String(1 + Math.floor(random() * 12)).padStart(2, '0')}${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`,
  StudyTime: pick(['080000', '093000', '120000', '235959', '000001']),
  AccessionNumber: pick(['A1', 'A10', 'A100', 'B1']),
  StudyID: pick(['1', '2', 'S1']),
  StudyDescription: pick(['CT HEAD', 'MR KNEE', 'CHEST', 'HEAD CT']),
  ReferringPhysicianName: pick(['WELBY^MARCUS', 'HOUSE^G', 'KILDARE']),
  StudyInstanceUID: `1.2.826.0.1.3680043.9.7433.78.${i}`,
}));

/** A pattern from `text`: up to three characters replaced by, or `*`/`?` inserted. */
function pattern(text: string): string {
  const chars = [...text];
  const n = Math.floor(random() * 4);
  for (let i = 0; i < n; i++) chars.splice(Math.floor(random() * (chars.length + 1)), random() < 0.5 ? 0 : 1, pick(['*', '?']));
  return chars.join('');
}

const KEYS: Array<() => Record<string, string>> = [
  () => ({ PatientName: pick([pattern(pick(FAMILY)), pattern(`${pick(FAMILY)}^${pick(GIVEN)}`), `${pick(FAMILY)}*`, `*${pick(GIVEN)}`, `${pick(FAMILY)}^${pick(GIVEN)}`]) }),
  () => ({ PatientID: pick(['P1', 'P*', '*1', 'P?', 'P 3', '?1', 'P??']) }),
  () => ({ StudyDate: pick(['20240101-20241231', '-20191231', '20230601-', '20240115', '20200101-20200630', '20190101-20201231']) }),
  () => ({ StudyTime: pick(['080000-120000', '-093000', '120000-', '093000', '000000-000001', '120000-235959']) }),
  () => ({ AccessionNumber: pick(['A1', 'A1*', 'A?', '*0', 'B1', 'A??']) }),
  () => ({ StudyDescription: pick(['CT HEAD', 'CT*', '*HEAD', 'HEAD*', '*E*', 'MR KNEE']) }),
  () => ({ ReferringPhysicianName: pick(['WELBY*', 'WELBY^MARCUS', '*^G', 'KILDARE', 'HOUSE^?']) }),
  () => ({ StudyID: pick(['1', 'S*', '?', '2']) }),
  () => ({ StudyInstanceUID: Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(studies).StudyInstanceUID).join('\\') }),
];

/** Series-level attributes of each study's series (consistent across a series' instances). */
const seriesOf = studies.map((s) =>
  Array.from({ length: 1 + Math.floor(random() * 3) }, (_, k) => ({
    SeriesInstanceUID: `${s.StudyInstanceUID}.${k + 1}`,
    Modality: pick(['CT', 'MR', 'SR']),
    SeriesNumber: (k + 1) * pick([1, 10]),
    instances: 1 + Math.floor(random() * 2),
  })),
);

const SERIES_KEYS: Array<(study: number) => Record<string, string>> = [
  () => ({ Modality: pick(['CT', 'MR', 'C?', '*R', 'SR']) }),
  () => ({ SeriesNumber: pick(['1', '10', '2', '30']) }),
  (study) => ({ SeriesInstanceUID: seriesOf[study]!.map((x) => x.SeriesInstanceUID).filter(() => random() < 0.6).join('\\') }),
];
const IMAGE_KEYS: Array<(series: string) => Record<string, string>> = [
  () => ({ InstanceNumber: pick(['1', '2']) }),
  (series) => ({ SOPInstanceUID: `${series}.${pick([1, 2, 3])}` }),
];

let root: string;
let stopQr: (() => Promise<number>) | undefined;
const peers = new FindPeers(STUDY_FIND);
let dcmtk: Association;
let netdicom: Association;

const UNIQUE_KEY = { STUDY: 'StudyInstanceUID', SERIES: 'SeriesInstanceUID', IMAGE: 'SOPInstanceUID' } as const;

/** The unique keys of the entities `keys` matches at `level`, sorted. */
async function matches(assoc: Association, level: keyof typeof UNIQUE_KEY, keys: Record<string, string>): Promise<string[]> {
  const unique = UNIQUE_KEY[level];
  const uids: string[] = [];
  for await (const r of assoc.cFind({ QueryRetrieveLevel: level, [unique]: '', ...keys }, { model: 'study' })) {
    if (r.category === 'Pending') uids.push(String(r.identifier![unique]));
    else expect(r.status).toBe(0);
  }
  return uids.sort();
}

beforeAll(async () => {
  if (!available) return;
  root = mkdtempSync(path.join(tmpdir(), 'netdicom-find-diff-'));
  mkdirSync(path.join(root, 'files'));
  mkdirSync(path.join(root, 'db'));
  const files = studies.flatMap((s, i) =>
    seriesOf[i]!.flatMap(({ instances, ...series }) =>
      Array.from({ length: instances }, (_, k) => {
        const sop = `${series.SeriesInstanceUID}.${k + 1}`;
        const ds = { ...s, ...series, SOPClassUID: CT, SOPInstanceUID: sop, InstanceNumber: k + 1 };
        const file = path.join(root, 'files', `${sop}.dcm`);
        writeFileSync(file, Buffer.concat(writePart10({ sopClassUid: CT, sopInstanceUid: sop, transferSyntaxUid: EXPLICIT, dataset: encodeDataset(ds, EXPLICIT) })));
        return file;
      }),
    ),
  );
  const port = await freePort();
  writeFileSync(path.join(root, 'dcmqrscp.cfg'), [
    `NetworkTCPPort = ${port}`, 'MaxPDUSize = 16384', 'MaxAssociations = 4',
    'HostTable BEGIN', 'HostTable END', 'VendorTable BEGIN', 'VendorTable END',
    'AETable BEGIN', `DQR ${path.join(root, 'db')} RW (200, 1024mb) ANY`, 'AETable END', '',
  ].join('\n'));
  const qr = start('dcmqrscp', ['-c', path.join(root, 'dcmqrscp.cfg')]);
  await waitForPort(port, qr);
  const load = start('storescu', ['-aec', 'DQR', '127.0.0.1', String(port), ...files]);
  expect((await load.exited).code, load.output()).toBe(0);
  let netdicomPort: number;
  ({ port: netdicomPort, stop: stopQr } = await startQrscp(['--dir', path.join(root, 'files'), '-aet', 'NQR']));
  dcmtk = await peers.associate(port, 'DQR');
  netdicom = await peers.associate(netdicomPort, 'NQR');
});

afterAll(() => peers.close(stopQr, root));

describe.runIf(available)('C-FIND matching: netdicom qrscp against DCMTK dcmqrscp', () => {
  /** Runs each query on both sides; returns how many entities matched in all and how many queries matched none. */
  async function compare(level: keyof typeof UNIQUE_KEY, queries: Array<Record<string, string>>): Promise<{ matched: number; empty: number }> {
    let matched = 0;
    let empty = 0;
    for (const keys of queries) {
      const expected = await matches(dcmtk, level, keys);
      expect([keys, await matches(netdicom, level, keys)]).toEqual([keys, expected]);
      matched += expected.length;
      if (expected.length === 0) empty++;
    }
    return { matched, empty };
  }

  it('answers 150 random study-level queries with the same studies', async () => {
    const queries = Array.from({ length: 150 }, () => {
      const keys: Record<string, string> = {};
      const n = 1 + Math.floor(random() * 3);
      for (let k = 0; k < n; k++) Object.assign(keys, pick(KEYS)());
      return keys;
    });
    const { matched, empty } = await compare('STUDY', queries);
    // The queries must discriminate: neither everything nor nothing, most of the time.
    expect(matched).toBeGreaterThan(150);
    expect(empty).toBeLessThan(120);
  });

  it('answers 60 series-level and 60 image-level queries with the same series and instances', async () => {
    const seriesQueries = Array.from({ length: 60 }, () => {
      const study = Math.floor(random() * studies.length);
      const keys: Record<string, string> = { StudyInstanceUID: studies[study]!.StudyInstanceUID };
      for (let k = 0; k < 1 + Math.floor(random() * 2); k++) Object.assign(keys, pick(SERIES_KEYS)(study));
      return keys;
    });
    const series = await compare('SERIES', seriesQueries);
    const imageQueries = Array.from({ length: 60 }, () => {
      const study = Math.floor(random() * studies.length);
      const seriesUid = pick(seriesOf[study]!).SeriesInstanceUID;
      const keys: Record<string, string> = { StudyInstanceUID: studies[study]!.StudyInstanceUID, SeriesInstanceUID: seriesUid };
      Object.assign(keys, pick(IMAGE_KEYS)(seriesUid));
      return keys;
    });
    const images = await compare('IMAGE', imageQueries);
    expect([series.matched > 30, series.empty < 50, images.matched > 20, images.empty < 50]).toEqual([true, true, true, true]);
  });
});
