/**
 * storescu → storescp in one process over 127.0.0.1 TCP (the CLI glue aside): files arrive with
 * identical data sets, non-DICOM files and missing paths are skipped (exit 1 unless noHalt, as
 * DCMTK's storescu), failures set the exit code, shutdown is clean.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runStoreScp } from '../../adapters/cli/storescp';
import { runStoreScu, type StoreScuConfig } from '../../adapters/cli/storescu';
import { formatMB } from '../../adapters/cli/progress';
import { ApplicationEntity } from '../../src/ae';
import { connectTcp, listenTcp, type NodeListener } from '../../adapters/node';
import { readPart10 } from '../../src/dataset/codec';
import { silentLogger } from '../../src/logger';
import { sha256 } from '../helpers/bytes';
import { EXPLICIT_LE, IMPLICIT_LE, MR_IMAGE_STORAGE, ctPart10 } from '../helpers/ct-instance';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'netdicom-apps-'));
  dirs.push(d);
  return d;
}

async function startScp(outputDir: string) {
  let stop!: () => void;
  const graceful = new Promise<void>((r) => (stop = r));
  let listener!: NodeListener;
  const lines: string[] = [];
  const exit = runStoreScp({
    outputDir,
    ignore: false,
    aeTitle: 'STORESCP',
    maxPdu: 16384,
    acceptAny: false,
    debug: false,
    quiet: false,
    listen: async () => (listener = await listenTcp({ host: '127.0.0.1', port: 0 })),
    stopSignal: { graceful, force: new Promise(() => {}) },
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    logger: silentLogger,
  });
  while (!listener) await new Promise((r) => setTimeout(r, 5));
  return { port: listener.port, lines, stop: async () => (stop(), exit) };
}

function scuConfig(port: number, paths: string[], extra: Partial<StoreScuConfig> = {}) {
  const out: string[] = [];
  const config: StoreScuConfig = {
    paths,
    recursive: true,
    aeTitle: 'STORESCU',
    calledAeTitle: 'STORESCP',
    maxPdu: 16384,
    allowConversion: false,
    debug: false,
    quiet: false,
    connect: () => connectTcp({ host: '127.0.0.1', port }),
    progress: { write: () => true, isTTY: false },
    out: (l) => out.push(l),
    err: (l) => out.push(l),
    logger: silentLogger,
    ...extra,
  };
  return { config, out };
}

describe('storescu → storescp (in process, TCP)', () => {
  it('sends a folder tree; data sets arrive identical; non-DICOM skipped', async () => {
    const src = tempDir();
    mkdirSync(path.join(src, 'sub'));
    const sent = new Map<string, string>();
    for (let i = 1; i <= 8; i++) {
      const uid = `1.2.826.0.1.3680043.9.7433.5.${i}`;
      const { file, dataset } = ctPart10({
        sopInstanceUid: uid,
        transferSyntaxUid: i % 2 ? EXPLICIT_LE : IMPLICIT_LE,
        sopClassUid: i > 6 ? MR_IMAGE_STORAGE : undefined,
        rows: 32 * i,
      });
      writeFileSync(path.join(src, i > 4 ? 'sub' : '', `${i}.dcm`), file);
      sent.set(uid, sha256(dataset));
    }
    writeFileSync(path.join(src, 'notes.txt'), 'hello');
    const od = path.join(tempDir(), 'out');
    const scp = await startScp(od);
    const { config, out } = scuConfig(scp.port, [src], { noHalt: true });
    expect(await runStoreScu(config)).toBe(0);
    expect(out.some((l) => /warning: skipping .*notes\.txt/.test(l))).toBe(true);
    expect(out.at(-1)).toMatch(/^sent 8\/8 files \(1 skipped\)/);
    expect(await scp.stop()).toBe(0);
    const files = readdirSync(od);
    expect(files).toHaveLength(8);
    for (const f of files) {
      const p = readPart10(new Uint8Array(readFileSync(path.join(od, f))));
      expect(sha256(p.dataset)).toBe(sent.get(p.sopInstanceUid));
      expect(p.meta.SourceApplicationEntityTitle).toBe('STORESCU');
    }
    expect(scp.lines.filter((l) => l.startsWith('stored '))).toHaveLength(8);
  });

  it('the summary counts the bytes of the files that went through, not of one read ahead and refused', async () => {
    const src = tempDir();
    const sizes: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const { file, dataset } = ctPart10({ sopInstanceUid: `1.2.826.0.1.3680043.9.7433.6.${i}`, rows: 256 * i, columns: 256 });
      writeFileSync(path.join(src, `${i}.dcm`), file);
      sizes.push(dataset.length);
    }
    // An SCP that refuses the second instance (storescu reads it ahead while the first is answered).
    const scp = new ApplicationEntity({ aeTitle: 'STORESCP' }).acceptAnyStorage();
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
    const server = scp.serve(listener, { cStore: (rq) => (rq.sopInstanceUid.endsWith('.2') ? 0xa700 : 0) });
    const { config, out } = scuConfig(listener.port, [src]);
    expect(await runStoreScu(config)).toBe(1);
    expect(out.at(-1)).toMatch(new RegExp(`^sent 2/3 files \\(1 failed\\), ${formatMB(sizes[0]! + sizes[2]!).replace('.', '\\.')} in `));
    await server.close();
  });

  it('a missing PATH or a file that is not DICOM: the rest is sent, exit 1 (DCMTK: "cannot access file"); noHalt: exit 0', async () => {
    const src = tempDir();
    for (let i = 1; i <= 2; i++) writeFileSync(path.join(src, `${i}.dcm`), ctPart10({ sopInstanceUid: `1.2.826.0.1.3680043.9.7433.7.${i}` }).file);
    writeFileSync(path.join(src, 'notes.txt'), 'hello');
    const od = path.join(tempDir(), 'out');
    const scp = await startScp(od);
    const missing = path.join(src, 'missing.dcm');
    for (const paths of [[path.join(src, '1.dcm'), missing], [src]]) {
      const strict = scuConfig(scp.port, paths);
      expect(await runStoreScu(strict.config), strict.out.join('\n')).toBe(1);
      expect(strict.out.some((l) => /^storescu: error: (no such file or directory: .*missing\.dcm|skipping .*notes\.txt)/.test(l))).toBe(true);
      expect(strict.out.at(-1)).toMatch(/^sent \d\/\d files \(1 skipped\)/);
      const lenient = scuConfig(scp.port, paths, { noHalt: true });
      expect(await runStoreScu(lenient.config), lenient.out.join('\n')).toBe(0);
      expect(lenient.out.some((l) => /^storescu: warning: /.test(l))).toBe(true);
    }
    expect(await scp.stop()).toBe(0);
    // Every readable file went through each time.
    expect(scp.lines.filter((l) => l.startsWith('stored '))).toHaveLength(6);
  });

  it('exit code 3 (network) when the peer is not there; each file reported', async () => {
    const src = tempDir();
    writeFileSync(path.join(src, 'a.dcm'), ctPart10({ sopInstanceUid: '1.2.3.1' }).file);
    const probe = await listenTcp({ port: 0 });
    const port = probe.port;
    await probe.close();
    const { config, out } = scuConfig(port, [src]);
    expect(await runStoreScu(config)).toBe(3);
    expect(out.some((l) => /failed .*a\.dcm/.test(l))).toBe(true);
    expect(out.at(-1)).toMatch(/^sent 0\/1 files \(1 failed\)/);
  });
});
