/**
 * Modality Worklist C-FIND (PS3.4 K.6, matching per C.2.2.2) against DCMTK's wlmscpfs as a
 * reference: the same 50 generated worklist items go into both (files in wlmscpfs's data folder,
 * and the folder `netdicom qrscp --worklist` reads), and 120 seeded random queries (keys at the
 * top level and in the Scheduled Procedure Step Sequence item: wild cards, date and time ranges,
 * station AE titles, modalities) must return the same items from each.
 *
 * Left out on purpose, where the two differ (measured with a wider generator): wlmscpfs matches
 * Patient ID and Scheduled Station AE Title by single value only (a wild card finds nothing there,
 * where netdicom applies wild card matching as for any LO or AE key), and it matches a date range and a time range given
 * together as one date-time range, which PS3.4 C.2.2.2.5 asks only with Extended Negotiation
 * (netdicom matches each on its own, as the standard says without it). That combined matching is
 * compared on its own: wlmscpfs against netdicom's matching with `combinedDateTime`, which qrscp
 * applies to a Q/R C-FIND that negotiated it (closed ranges: with an open bound wlmscpfs matches
 * date and time on their own again).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrng } from '../../adapters/memory/prng';
import type { Association } from '../../src/association';
import { encodeDataset } from '../../src/dataset/codec';
import { writePart10 } from '../../src/dataset/part10';
import type { Dataset } from '../../src/scu/types';
import { EXPLICIT, startQrscp } from '../unit/helpers/qr-fixtures';
import { requireDcmtk } from './helpers/dcmtk';
import { compileQuery } from '../../src/services/query-matching';
import { FindPeers } from './helpers/find-peers';
import { freePort, start, waitForPort } from './helpers/store-harness';

const available = requireDcmtk();
const WORKLIST_FIND = '1.2.840.10008.5.1.4.31';
const random = createPrng(0x3a11f1);
const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;

const FAMILY = ['DOE', 'DOEBLER', 'SMITH', 'SMYTHE', 'LI', 'VAN DER BERG'];
const GIVEN = ['JOHN', 'JANE', 'J'];
const STATIONS = ['CT01', 'CT02', 'MR01', 'US_1'];
const PHYSICIANS = ['WELBY^MARCUS', 'HOUSE^G', 'KILDARE'];

const items: Dataset[] = Array.from({ length: 50 }, (_, i) => ({
  SpecificCharacterSet: 'ISO_IR 100',
  PatientName: `${pick(FAMILY)}^${pick(GIVEN)}`,
  PatientID: pick(['P1', 'P2', 'P10', 'X-1']),
  PatientBirthDate: pick(['19700101', '19851231', '']),
  PatientSex: pick(['M', 'F', 'O']),
  AccessionNumber: `ACC${i}`,
  RequestedProcedureID: pick(['RP1', 'RP2', 'RP10']),
  RequestedProcedureDescription: pick(['CT HEAD', 'MR KNEE', 'CHEST']),
  StudyInstanceUID: `1.2.826.0.1.3680043.9.7433.80.${i}`,
  ReferringPhysicianName: pick(PHYSICIANS),
  ScheduledProcedureStepSequence: [
    {
      Modality: pick(['CT', 'MR', 'US']),
      ScheduledStationAETitle: pick(STATIONS),
      ScheduledProcedureStepStartDate: `2024${pick(['01', '02', '03'])}${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`,
      ScheduledProcedureStepStartTime: pick(['080000', '093000', '120000', '235959']),
      ScheduledPerformingPhysicianName: pick(PHYSICIANS),
      ScheduledProcedureStepDescription: pick(['HEAD', 'KNEE', 'CHEST PA']),
      ScheduledProcedureStepID: `SPS${i}`,
    },
  ],
}));

/** One query: top-level keys, and keys for the Scheduled Procedure Step item. */
function query(): { top: Dataset; step: Dataset } {
  const top: Dataset = {};
  const step: Dataset = {};
  const keys: Array<() => void> = [
    () => (top.PatientName = pick([`${pick(FAMILY)}*`, `${pick(FAMILY)}^${pick(GIVEN)}`, `*^J*`, `D?E*`])),
    () => (top.PatientID = pick(['P1', 'P10', 'X-1'])), // wlmscpfs: single values only
    () => (top.AccessionNumber = pick(['ACC1', 'ACC1*', 'ACC?', '*5'])),
    () => (step.Modality = pick(['CT', 'MR', 'US'])),
    () => (step.ScheduledStationAETitle = pick(STATIONS)), // wlmscpfs: single values only
    () => (step.ScheduledProcedureStepStartDate = pick(['20240101-20240131', '20240215', '-20240201', '20240301-', '20240110-20240220'])),
    () => (step.ScheduledProcedureStepStartTime = pick(['080000-100000', '-093000', '120000-', '235959'])),
    () => (step.ScheduledPerformingPhysicianName = pick(['WELBY*', 'HOUSE^G', 'KILDARE'])),
  ];
  for (let k = 0; k < 1 + Math.floor(random() * 3); k++) pick(keys)();
  // A date range and a time range together: wlmscpfs matches them as one date-time range, which
  // PS3.4 C.2.2.2.5 asks only with Extended Negotiation; netdicom matches each on its own.
  if (step.ScheduledProcedureStepStartDate && step.ScheduledProcedureStepStartTime) delete step.ScheduledProcedureStepStartTime;
  return { top, step };
}

let root: string;
let stopQr: (() => Promise<number>) | undefined;
const peers = new FindPeers(WORKLIST_FIND);
let dcmtk: Association;
let netdicom: Association;

/** The C-FIND identifier of a query: its keys, and the return keys as universal ones. */
function identifierOf(q: { top: Dataset; step: Dataset }): Dataset {
  return {
    PatientName: '',
    PatientID: '',
    AccessionNumber: '',
    ...q.top,
    ScheduledProcedureStepSequence: [{ Modality: '', ScheduledStationAETitle: '', ScheduledProcedureStepStartDate: '', ScheduledProcedureStepStartTime: '', ScheduledPerformingPhysicianName: '', ...q.step }],
  };
}

/** The accession numbers of the items `q` matches, sorted. */
async function matches(assoc: Association, q: { top: Dataset; step: Dataset }): Promise<string[]> {
  const found: string[] = [];
  for await (const r of assoc.cFind(identifierOf(q), { model: 'worklist' })) {
    if (r.category === 'Pending') found.push(String(r.identifier!.AccessionNumber));
    else expect(r.status).toBe(0);
  }
  return found.sort();
}

beforeAll(async () => {
  if (!available) return;
  root = mkdtempSync(path.join(tmpdir(), 'netdicom-wl-diff-'));
  const wlmDir = path.join(root, 'wlm', 'WLM');
  const netdicomDir = path.join(root, 'wl');
  mkdirSync(wlmDir, { recursive: true });
  mkdirSync(netdicomDir);
  writeFileSync(path.join(wlmDir, 'lockfile'), '');
  items.forEach((item, i) => {
    const uid = `1.2.826.0.1.3680043.9.7433.81.${i}`;
    const file = Buffer.concat(writePart10({ sopClassUid: WORKLIST_FIND, sopInstanceUid: uid, transferSyntaxUid: EXPLICIT, dataset: encodeDataset(item, EXPLICIT) }));
    writeFileSync(path.join(wlmDir, `item${i}.wl`), file);
    writeFileSync(path.join(netdicomDir, `item${i}.wl`), file);
  });
  const port = await freePort();
  const wlm = start('wlmscpfs', ['-dfp', path.join(root, 'wlm'), '-dfr', String(port)]);
  await waitForPort(port, wlm);
  let netdicomPort: number;
  ({ port: netdicomPort, stop: stopQr } = await startQrscp(['--dir', root, '--worklist', netdicomDir, '-aet', 'NWL']));
  dcmtk = await peers.associate(port, 'WLM');
  netdicom = await peers.associate(netdicomPort, 'NWL');
});

afterAll(() => peers.close(stopQr, root));

describe.runIf(available)('Modality Worklist C-FIND: netdicom qrscp against DCMTK wlmscpfs', () => {
  it('answers 120 random worklist queries with the same items', async () => {
    let matched = 0;
    let empty = 0;
    const mismatches: string[] = [];
    for (let i = 0; i < 120; i++) {
      const q = query();
      const expected = await matches(dcmtk, q);
      const actual = await matches(netdicom, q);
      if (actual.join() !== expected.join()) mismatches.push(`${JSON.stringify(q)}: netdicom ${actual.join(' ')}; DCMTK ${expected.join(' ')}`);
      matched += expected.length;
      if (expected.length === 0) empty++;
    }
    expect(mismatches).toEqual([]);
    expect(matched).toBeGreaterThan(120);
    expect(empty).toBeLessThan(100);
  });

  it("matches a date range with a time range as one date-time range, as wlmscpfs does, with compileQuery's combinedDateTime", async () => {
    // Modality Worklist has no extended negotiation for it, so the netdicom side is the matching
    // library itself over the same items (what qrscp does for a Q/R C-FIND that negotiated it).
    // Closed ranges only: with an open bound ('20240301-', '120000-') wlmscpfs 3.6.7 matches date
    // and time each on its own (09:30-08:00 after 1 March then finds nothing), where netdicom reads
    // the range as open on that side: from 1 March 09:30 on.
    const DATES = ['20240101-20240131', '20240110-20240220', '20240115-20240116', '20240128-20240128', '20240201-20240315'];
    const TIMES = ['080000-100000', '093000-080000', '2300-0700', '0800-0930', '1000-1300'];
    const mismatches: string[] = [];
    let matched = 0;
    let differsFromSeparate = 0;
    for (let i = 0; i < 60; i++) {
      const q = query();
      q.step.ScheduledProcedureStepStartDate = pick(DATES);
      q.step.ScheduledProcedureStepStartTime = pick(TIMES);
      const expected = await matches(dcmtk, q);
      const compiled = compileQuery(identifierOf(q), { combinedDateTime: true });
      const actual = items.filter((item) => compiled.matches(item)).map((item) => String(item.AccessionNumber)).sort();
      if (actual.join() !== expected.join()) mismatches.push(`${JSON.stringify(q)}: netdicom ${actual.join(' ')}; DCMTK ${expected.join(' ')}`);
      const separate = items.filter((item) => compileQuery(identifierOf(q)).matches(item)).map((item) => String(item.AccessionNumber)).sort();
      if (separate.join() !== expected.join()) differsFromSeparate++;
      matched += expected.length;
    }
    expect(mismatches).toEqual([]);
    expect(matched).toBeGreaterThan(60);
    expect(differsFromSeparate).toBeGreaterThan(10); // the queries do tell combined from separate matching
  });
});
