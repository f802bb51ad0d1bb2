/**
 * The built CLI end to end: `netdicom storescu` → `netdicom storescp` over 127.0.0.1 with a folder
 * of generated Part 10 files and one non-DICOM file. Needs `npm run build` (npm test does it);
 * skipped while the CLI entry (bin/netdicom.mjs → dist/cli.js) does not exist yet.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readPart10 } from '../../src/dataset/codec';
import { sha256 } from '../helpers/bytes';
import { EXPLICIT_LE, IMPLICIT_LE, MR_IMAGE_STORAGE, ctPart10 } from '../helpers/ct-instance';
import { NETDICOM_BIN, freePort, killAll, netdicom, waitForPort } from '../interop/helpers/store-harness';

const built = existsSync(NETDICOM_BIN);
let work: string;
let src: string;
const sent = new Map<string, string>();

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'netdicom-cli-store-'));
  src = path.join(work, 'src');
  mkdirSync(path.join(src, 'nested'), { recursive: true });
  for (let i = 1; i <= 10; i++) {
    const uid = `1.2.826.0.1.3680043.9.7433.8.${i}`;
    const { file, dataset } = ctPart10({
      sopInstanceUid: uid,
      transferSyntaxUid: i % 2 ? EXPLICIT_LE : IMPLICIT_LE,
      sopClassUid: i > 7 ? MR_IMAGE_STORAGE : undefined,
      rows: 16 * i,
      seed: i,
    });
    writeFileSync(path.join(src, i > 5 ? 'nested' : '', `${i}.dcm`), file);
    sent.set(uid, sha256(dataset));
  }
  writeFileSync(path.join(src, 'readme.txt'), 'not DICOM');
});
afterEach(killAll);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!built)('netdicom storescu → netdicom storescp (spawned CLI)', () => {
  it('sends a folder recursively; data sets arrive identical; exit 0; non-DICOM skipped', async () => {
    const out = path.join(work, 'out');
    const port = await freePort();
    const scp = netdicom(['storescp', String(port), '-od', out, '-aet', 'CLISCP', '--bind', '127.0.0.1']);
    await waitForPort(port, scp);
    const scu = netdicom(['storescu', '127.0.0.1', String(port), src, '-r', '-aec', 'CLISCP', '-aet', 'CLISCU']);
    const { code } = await scu.exited;
    expect(code, scu.output()).toBe(0);
    expect(scu.output()).toMatch(/skipping .*readme\.txt/);
    expect(scu.output()).toMatch(/sent 10\/10 files \(1 skipped\)/);
    scp.child.kill('SIGTERM');
    expect((await scp.exited).code, scp.output()).toBe(0);
    expect(scp.output().match(/^stored /gm)).toHaveLength(10);
    const files = readdirSync(out);
    expect(files).toHaveLength(10);
    for (const f of files) {
      const p = readPart10(new Uint8Array(readFileSync(path.join(out, f))));
      expect(sha256(p.dataset), f).toBe(sent.get(p.sopInstanceUid));
    }
  });

  it('exit 1 when files fail (nobody listening), 2 on bad usage', async () => {
    const port = await freePort();
    const scu = netdicom(['storescu', '127.0.0.1', String(port), src, '-r', '-q']);
    expect((await scu.exited).code).toBe(1);
    expect(scu.output()).toMatch(/sent 0\/10 files \(10 failed, 1 skipped\)/);
    const bad = netdicom(['storescu', '127.0.0.1']);
    expect((await bad.exited).code).toBe(2);
    const scp = netdicom(['storescp', String(port)]);
    expect((await scp.exited).code).toBe(2);
  });

  it('--io async on both sides (thread-pool reads and writes): data sets arrive identical; a bad --io is a usage error', async () => {
    const out = path.join(work, 'out-async');
    const port = await freePort();
    const scp = netdicom(['storescp', String(port), '-od', out, '--io', 'async', '--bind', '127.0.0.1', '-q']);
    await waitForPort(port, scp);
    const scu = netdicom(['storescu', '127.0.0.1', String(port), src, '-r', '--io', 'async', '-q']);
    expect((await scu.exited).code, scu.output()).toBe(0);
    scp.child.kill('SIGTERM');
    expect((await scp.exited).code, scp.output()).toBe(0);
    const files = readdirSync(out);
    expect(files).toHaveLength(10);
    for (const f of files) {
      const p = readPart10(new Uint8Array(readFileSync(path.join(out, f))));
      expect(sha256(p.dataset), f).toBe(sent.get(p.sopInstanceUid));
    }
    for (const app of [['storescu', '127.0.0.1', String(port), src], ['storescp', String(port), '--ignore']]) {
      const bad = netdicom([...app, '--io', 'fast']);
      expect((await bad.exited).code).toBe(2);
      expect(bad.output()).toMatch(/--io must be 'sync' or 'async', not 'fast'/);
    }
  });

  it('--ignore receives and discards', async () => {
    const port = await freePort();
    const scp = netdicom(['storescp', String(port), '--ignore', '--bind', '127.0.0.1', '-q']);
    await waitForPort(port, scp);
    const scu = netdicom(['storescu', '127.0.0.1', String(port), path.join(src, '1.dcm'), path.join(src, '2.dcm')]);
    expect((await scu.exited).code, scu.output()).toBe(0);
    scp.child.kill('SIGINT');
    expect((await scp.exited).code).toBe(0);
  });
});
