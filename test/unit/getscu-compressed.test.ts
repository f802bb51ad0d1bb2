/**
 * getscu and compressed archives: a C-GET SCP can send an instance only on a context accepted in
 * the instance's own transfer syntax, so getscu proposes compressed syntaxes (each on a context of
 * its own, ahead of the uncompressed one) when asked: +xy/--prefer-jpeg8 … +xa/--accept-all,
 * --accept-ts UID. Against netdicom qrscp over TCP on 127.0.0.1, holding a JPEG Baseline CT.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getscu } from '../../adapters/cli/getscu';
import { STORAGE_SYNTAX_OPTIONS, storageContexts } from '../../adapters/cli/retrieve-scu';
import { parseArgv } from '../../adapters/cli/args';
import { readPart10 } from '../../src/dataset/codec';
import { sha256 } from '../helpers/bytes';
import { CT_IMAGE_STORAGE, ctPart10, encapsulatedPart10, EXPLICIT_LE, JPEG_BASELINE } from '../helpers/ct-instance';
import { startQrscp } from './helpers/qr-fixtures';

const STUDY = '1.2.826.0.1.3680043.9.7433.1.1';
const PLAIN_UID = '1.2.826.0.1.3680043.9.7433.20.1';
const JPEG_UID = '1.2.826.0.1.3680043.9.7433.20.2';
const jpeg = encapsulatedPart10({ sopInstanceUid: JPEG_UID, sopClassUid: CT_IMAGE_STORAGE });
const plain = ctPart10({ sopInstanceUid: PLAIN_UID, transferSyntaxUid: EXPLICIT_LE });

function io() {
  const lines: string[] = [];
  return { lines, sink: { out: (l: string) => void lines.push(l), err: (l: string) => void lines.push(l) } };
}

let root: string;
let port: number;
let stop: () => Promise<number>;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'getscu-compressed-'));
  mkdirSync(path.join(root, 'archive'));
  writeFileSync(path.join(root, 'archive', 'plain.dcm'), plain.file);
  writeFileSync(path.join(root, 'archive', 'jpeg.dcm'), jpeg.file);
  ({ port, stop } = await startQrscp(['--dir', path.join(root, 'archive'), '-aet', 'QRSCP']));
});
afterAll(async () => {
  expect(await stop()).toBe(0);
  rmSync(root, { recursive: true, force: true });
});

const get = async (od: string, ...flags: string[]) => {
  const out = io();
  const code = await getscu(['127.0.0.1', String(port), '-aec', 'QRSCP', '-S', '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${STUDY}`, '-od', path.join(root, od), ...flags], out.sink);
  return { code, output: out.lines.join('\n') };
};

describe('getscu against a qrscp holding a JPEG Baseline instance', () => {
  it('by default (uncompressed only) the JPEG sub-operation fails and getscu exits 1', async () => {
    const r = await get('default');
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/1 completed, 1 failed/);
    expect(r.output).toContain(JPEG_UID);
    expect(readdirSync(path.join(root, 'default'))).toEqual([`${PLAIN_UID}.dcm`]);
  });

  for (const flags of [['+xy'], ['--prefer-jpeg8'], ['+xa'], ['--accept-ts', JPEG_BASELINE]]) {
    it(`${flags.join(' ')}: both arrive, the JPEG one byte for byte in its own transfer syntax`, async () => {
      const od = `got-${flags[0]!.replace(/\W/g, '')}`;
      const r = await get(od, ...flags);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/2 completed, 0 failed/);
      expect(readdirSync(path.join(root, od)).sort()).toEqual([`${PLAIN_UID}.dcm`, `${JPEG_UID}.dcm`].sort());
      const back = readPart10(readFileSync(path.join(root, od, `${JPEG_UID}.dcm`)));
      expect(back.transferSyntaxUid).toBe(JPEG_BASELINE);
      expect(sha256(back.dataset)).toBe(sha256(jpeg.dataset));
    });
  }

  it('a bad --accept-ts is a usage error (exit 2, one line)', async () => {
    const r = await get('bad', '--accept-ts', 'JPEG');
    expect(r.code).toBe(2);
    expect(r.output).toBe("getscu: --accept-ts needs a transfer syntax UID, got 'JPEG'");
  });

  it('--help lists the transfer syntax switches', async () => {
    const out = io();
    expect(await getscu(['--help'], out.sink)).toBe(0);
    for (const flag of ['+xs', '--prefer-lossless', '+xy', '--prefer-jpeg8', '+xa', '--accept-all', '--accept-ts']) expect(out.lines.join('\n')).toContain(flag);
  });
});

describe('storageContexts', () => {
  const classesOf = (contexts: ReturnType<typeof storageContexts>) => new Set(contexts.map((c) => c.abstractSyntax));

  it('uncompressed only: 127 classes, one [Explicit, Implicit VR LE] context each', () => {
    const contexts = storageContexts([]);
    expect(contexts).toHaveLength(127);
    expect(classesOf(contexts).size).toBe(127);
    expect(contexts.every((c) => c.transferSyntaxes.join() === '1.2.840.10008.1.2.1,1.2.840.10008.1.2')).toBe(true);
  });

  it('one compressed syntax: a context of its own for each image class, uncompressed for every class that fits', () => {
    const contexts = storageContexts([JPEG_BASELINE]);
    expect(contexts.length).toBeLessThanOrEqual(127);
    const ct = contexts.filter((c) => c.abstractSyntax === CT_IMAGE_STORAGE).map((c) => c.transferSyntaxes);
    expect(ct).toEqual([[JPEG_BASELINE], ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2']]);
    expect(contexts.filter((c) => c.transferSyntaxes[0] === JPEG_BASELINE)).toHaveLength(18);
    expect(classesOf(contexts).size).toBe(127 - 18);
  });

  it('every syntax (+xa): whole groups for the first image classes; each common class keeps an uncompressed context', () => {
    const all = ['1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91',
      '1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.81', '1.2.840.10008.1.2.5', '1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2.4.57'];
    const contexts = storageContexts(all);
    expect(contexts).toHaveLength(127);
    expect(contexts.filter((c) => c.abstractSyntax === CT_IMAGE_STORAGE)).toHaveLength(11);
    const compressedClasses = classesOf(contexts.filter((c) => c.transferSyntaxes.length === 1));
    expect(compressedClasses.size).toBe(9);
    for (const uid of compressedClasses) expect(contexts.filter((c) => c.abstractSyntax === uid)).toHaveLength(11);
    // The 28 common classes and 9 more keep their uncompressed context.
    expect(contexts.filter((c) => c.transferSyntaxes.length === 2)).toHaveLength(37);
  });
});

it("the parser takes a known '+' word as an option and refuses an unknown one, as an unknown '-' word (DCMTK's +r, +xs)", () => {
  const parsed = parseArgv(['+xy', '+', 'x'], STORAGE_SYNTAX_OPTIONS);
  expect([...parsed.switches]).toEqual(['--prefer-jpeg8']);
  expect(parsed.positionals).toEqual(['+', 'x']);
  expect(() => parseArgv(['+notaflag', 'x'], STORAGE_SYNTAX_OPTIONS)).toThrow('unknown option +notaflag');
});
