/**
 * C-FIND matching (PS3.4 C.2.2.2) against DCMTK's dcmqrscp as a reference: the same 60 generated
 * studies go into both (dcmqrscp loaded by DCMTK storescu, netdicom qrscp reading the files), and
 * 150 seeded random STUDY-level queries must return the same StudyInstanceUIDs from each:
 * wild cards (`*`, `?`) in PN, LO, SH and CS keys, date and time ranges (open at either end),
 * UID lists, and combinations of two or three keys.
 *
 * Left out on purpose, where netdicom answers differently from dcmqrscp 3.6.7 within the
 * standard (measured with a wider generator, scratch qrdiff/run.mjs): PN keys match regardless of
 * case and of trailing component delimiters (C.2.2.2.1 allows it; dcmqrscp compares the bytes),
 * a time of reduced precision ("12") is the range it stands for, `""` matches empty values
 * (C.2.2.2.1.1, later than 3.6.7), and a list in a non-UID key matches any of its values.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrng } from '../../adapters/memory/prng';
import { connectTcp } from '../../adapters/node';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { encodeDataset } from '../../src/dataset/codec';
import { writePart10 } from '../../src/dataset/part10';
import { CT, EXPLICIT, startQrscp } from '../unit/helpers/qr-fixtures';
import { requireDcmtk } from './helpers/dcmtk';
import { freePort, killAll, start, waitForPort } from './helpers/store-harness';

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

let root: string;
let stopQr: (() => Promise<number>) | undefined;
const associations: Association[] = [];
let dcmtk: Association;
let netdicom: Association;

async function associate(port: number, calledAeTitle: string): Promise<Association> {
  const scu = new ApplicationEntity({ aeTitle: 'DIFF' }).addRequestedContext(STUDY_FIND);
  const assoc = await scu.associate(await connectTcp({ host: '127.0.0.1', port }), { calledAeTitle });
  associations.push(assoc);
  return assoc;
}

async function studyUids(assoc: Association, keys: Record<string, string>): Promise<string[]> {
  const uids: string[] = [];
  for await (const r of assoc.cFind({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', ...keys }, { model: 'study' })) {
    if (r.category === 'Pending') uids.push(String(r.identifier!.StudyInstanceUID));
    else expect(r.status).toBe(0);
  }
  return uids.sort();
}

beforeAll(async () => {
  if (!available) return;
  root = mkdtempSync(path.join(tmpdir(), 'netdicom-find-diff-'));
  mkdirSync(path.join(root, 'files'));
  mkdirSync(path.join(root, 'db'));
  const files = studies.map((s, i) => {
    const sop = `${s.StudyInstanceUID}.1.1`;
    const ds = { ...s, SOPClassUID: CT, SOPInstanceUID: sop, SeriesInstanceUID: `${s.StudyInstanceUID}.1`, Modality: 'CT', SeriesNumber: 1, InstanceNumber: 1 };
    const file = path.join(root, 'files', `s${i}.dcm`);
    writeFileSync(file, Buffer.concat(writePart10({ sopClassUid: CT, sopInstanceUid: sop, transferSyntaxUid: EXPLICIT, dataset: encodeDataset(ds, EXPLICIT) })));
    return file;
  });
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
  dcmtk = await associate(port, 'DQR');
  netdicom = await associate(netdicomPort, 'NQR');
});

afterAll(async () => {
  await Promise.all(associations.map((a) => a.release().catch(() => undefined)));
  await stopQr?.();
  await killAll();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.runIf(available)('C-FIND matching: netdicom qrscp against DCMTK dcmqrscp', () => {
  it('answers 150 random study-level queries with the same studies', async () => {
    let matched = 0;
    let empty = 0;
    for (let i = 0; i < 150; i++) {
      const keys: Record<string, string> = {};
      const n = 1 + Math.floor(random() * 3);
      for (let k = 0; k < n; k++) Object.assign(keys, pick(KEYS)());
      const expected = await studyUids(dcmtk, keys);
      expect([keys, await studyUids(netdicom, keys)]).toEqual([keys, expected]);
      matched += expected.length;
      if (expected.length === 0) empty++;
    }
    // The queries must discriminate: neither everything nor nothing, most of the time.
    expect(matched).toBeGreaterThan(150);
    expect(empty).toBeLessThan(120);
  });
});
