/**
 * The built CLI end to end: `netdicom storescu` → `netdicom storescp` over 127.0.0.1 with a folder
 * of generated Part 10 files and one non-DICOM file; the exit codes of the README (2 usage,
 * 3 network, 4 rejected, 5 timeout); a closed stdout. Needs `npm run build` (npm test does it);
 * skipped while the CLI entry (bin/netdicom.mjs → dist/cli.js) does not exist yet.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
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
    const scu = netdicom(['storescu', '127.0.0.1', String(port), src, '+r', '-nh', '-aec', 'CLISCP', '-aet', 'CLISCU']);
    const { code } = await scu.exited;
    expect(code, scu.output()).toBe(0);
    expect(scu.output()).toMatch(/warning: skipping .*readme\.txt/);
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

  // Was: every DICOM file still sent. DCMTK's storescu halts at an input it cannot read unless -nh, and so does netdicom's now.
  it('without -nh the non-DICOM file halts the run before anything is sent: exit 1', async () => {
    const port = await freePort();
    const scp = netdicom(['storescp', String(port), '--ignore', '--bind', '127.0.0.1']);
    await waitForPort(port, scp);
    const scu = netdicom(['storescu', '127.0.0.1', String(port), src, '+r', '-q']);
    expect((await scu.exited).code, scu.output()).toBe(1);
    expect(scu.output()).toMatch(/storescu: error: skipping .*readme\.txt/);
    expect(scu.output()).toMatch(/storescu: halted: nothing sent/);
    scp.child.kill('SIGTERM');
    expect((await scp.exited).code).toBe(0);
    expect(scp.output()).not.toMatch(/^received /m);
  });

  it('exit 3 when no file could be sent (nobody listening), 2 on bad usage', async () => {
    const port = await freePort();
    // -nh: the non-DICOM file alone would halt the run (exit 1) before the connect is tried.
    const scu = netdicom(['storescu', '127.0.0.1', String(port), src, '+r', '-nh', '-q']);
    expect((await scu.exited).code).toBe(3);
    expect(scu.output()).toMatch(/sent 0\/10 files \(10 failed, 1 skipped\)/);
    const bad = netdicom(['storescu', '127.0.0.1']);
    expect((await bad.exited).code).toBe(2);
    // Was `storescp PORT` (no -od): -od defaults to the current directory now, as in DCMTK.
    const scp = netdicom(['storescp', '-od']);
    expect((await scp.exited).code).toBe(2);
  });

  it('--io async on both sides (thread-pool reads and writes): data sets arrive identical; a bad --io is a usage error', async () => {
    const out = path.join(work, 'out-async');
    const port = await freePort();
    const scp = netdicom(['storescp', String(port), '-od', out, '--io', 'async', '--bind', '127.0.0.1', '-q']);
    await waitForPort(port, scp);
    const scu = netdicom(['storescu', '127.0.0.1', String(port), src, '+r', '-nh', '--io', 'async', '-q']);
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

  it("exit codes as the README says: 3 refused, 4 rejected, 5 timeouts (-ta; -tn bounds the TLS connect), 2 bad PORT or AE title", async () => {
    const file = path.join(src, '1.dcm');
    const refused = netdicom(['storescu', '127.0.0.1', String(await freePort()), file]);
    expect((await refused.exited).code, refused.output()).toBe(3);
    expect(refused.output()).toMatch(/ECONNREFUSED/);

    const echoPort = await freePort();
    const echo = netdicom(['echoscp', String(echoPort), '-aet', 'MYSCP', '--require-called-aet']);
    await waitForPort(echoPort, echo);
    const rejected = netdicom(['storescu', '127.0.0.1', String(echoPort), file, '-aec', 'OTHER']);
    expect((await rejected.exited).code, rejected.output()).toBe(4);
    echo.child.kill('SIGTERM');

    // A peer that accepts the connection and never answers: -ta ends the association request;
    // with TLS the handshake never completes, and -tn ends the connect.
    const silent = await silentServer();
    try {
      const started = Date.now();
      const acse = netdicom(['storescu', '127.0.0.1', String(silent.port), file, '-ta', '1']);
      const tls = netdicom(['storescu', '127.0.0.1', String(silent.port), file, '--tls', '-tn', '1']);
      const codes = await Promise.all([acse, tls].map((p) => bounded(p, 10000)));
      expect(codes, acse.output() + tls.output()).toEqual([5, 5]);
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      silent.close();
    }

    for (const args of [
      ['storescu', '127.0.0.1', '99999', file],
      ['storescu', '127.0.0.1', '104', file, '-aet', 'SEVENTEEN-CHARS-X'],
      ['storescp', '99999', '--ignore'],
      ['storescp', '0', '--ignore', '--tls'],
      ['storescp', '0', '--ignore', '--max-associations', '0'],
    ]) {
      const bad = netdicom(args);
      expect((await bad.exited).code, `${args.join(' ')}: ${bad.output()}`).toBe(2);
      expect(bad.output().trim().split('\n'), bad.output()).toHaveLength(1);
    }
  });

  it('a reader that goes away (EPIPE, as `storescu … | head -1`): no crash, every file sent, exit 0', async () => {
    const port = await freePort();
    const scp = netdicom(['storescp', String(port), '--ignore', '--bind', '127.0.0.1']);
    await waitForPort(port, scp);
    const files = Array.from({ length: 5 }, (_, i) => path.join(src, `${i + 1}.dcm`));
    const { code, stderr } = await withClosedStdout(['storescu', '127.0.0.1', String(port), ...files]);
    expect(stderr).not.toMatch(/Unhandled|EPIPE/);
    expect(code, stderr).toBe(0);
    scp.child.kill('SIGTERM');
    expect((await scp.exited).code).toBe(0);
    expect(scp.output().match(/^received /gm)).toHaveLength(5);
  });
});

/** A TCP server on 127.0.0.1 that accepts connections and never writes or reads. */
async function silentServer(): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.pause();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** The exit code of `p`, or 'hung' after `ms` (then killed by killAll). */
async function bounded(p: ReturnType<typeof netdicom>, ms: number): Promise<number | null | 'hung'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), ms)));
  const result = await Promise.race([p.exited.then((e) => e.code), hung]);
  clearTimeout(timer);
  return result;
}

/**
 * Runs `netdicom <args>` with stdout a pipe whose reading end is closed before the first line:
 * every write to stdout then fails with EPIPE.
 */
async function withClosedStdout(args: string[], timeoutMs = 15000): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [NETDICOM_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  clearTimeout(timer);
  return { code, stderr };
}
