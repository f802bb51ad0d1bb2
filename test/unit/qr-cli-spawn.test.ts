/**
 * The query/retrieve apps spawned as users run them (`node bin/netdicom.mjs …`, needs dist/ from
 * `npm run build`, which `npm test` runs first): qrscp serving, findscu/getscu/movescu against it,
 * exit codes and one-line reasons, a closed stdout, qrscp's shutdown; every process is killed in
 * teardown. 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeArchive } from './helpers/qr-fixtures';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/netdicom.mjs');
const children = new Set<ChildProcess>();

function netdicom(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => (children.delete(child), resolve(code))));
  return { child, output: () => out, exited };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let root: string;
let port: number;
let server: ReturnType<typeof netdicom>;

beforeAll(async () => {
  if (!existsSync(new URL('../../dist/cli.js', import.meta.url))) throw new Error('dist/cli.js is missing: run `npm run build`');
  root = mkdtempSync(path.join(tmpdir(), 'qr-spawn-'));
  writeArchive(path.join(root, 'archive'));
  port = await freePort();
  const movePort = await freePort();
  server = netdicom(['qrscp', String(port), '--dir', path.join(root, 'archive'), '--bind', '127.0.0.1', '-aet', 'QRSCP', '--no-fsync', '--move-destination', `MOVER=127.0.0.1:${movePort}`]);
  const deadline = Date.now() + 15000;
  while (!/listening on/.test(server.output())) {
    if (Date.now() > deadline || server.child.exitCode !== null) throw new Error(`qrscp did not start:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  process.env.QR_SPAWN_MOVE_PORT = String(movePort);
}, 30000);

afterAll(async () => {
  server?.child.kill('SIGTERM');
  const code = await Promise.race([server?.exited, new Promise((r) => setTimeout(() => r('timeout'), 8000))]);
  for (const c of children) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
  expect(code).toBe(0);
});

describe('netdicom qrscp / findscu / getscu / movescu (spawned)', () => {
  it('qrscp reports the index; findscu prints the matches and exits 0', async () => {
    expect(server.output()).toMatch(/qrscp: 7 instance\(s\) indexed/);
    const p = netdicom(['findscu', '127.0.0.1', String(port), '-S', '-k', 'QueryRetrieveLevel=STUDY', '-k', 'PatientName=ROE*', '-k', 'StudyInstanceUID']);
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain('# Match 1');
    expect(p.output()).toContain('[1.2.9.3]');
    expect(p.output()).not.toContain('# Match 2');
  });

  it('getscu -od writes the retrieved files', async () => {
    const od = path.join(root, 'got');
    const p = netdicom(['getscu', '127.0.0.1', String(port), '-S', '-q', '-od', od, '-k', 'QueryRetrieveLevel=SERIES', '-k', 'StudyInstanceUID=1.2.9.1', '-k', 'SeriesInstanceUID=1.2.9.1.1']);
    expect(await p.exited, p.output()).toBe(0);
    expect(readdirSync(od).sort()).toEqual(['1.2.9.1.1.1.dcm', '1.2.9.1.1.2.dcm']);
  });

  it('movescu --store receives; a bad destination and bad usage give one line and non-zero', async () => {
    const od = path.join(root, 'moved');
    const movePort = process.env.QR_SPAWN_MOVE_PORT!;
    const ok = netdicom(['movescu', '127.0.0.1', String(port), '-S', '-aet', 'MOVER', '--store', '--store-port', movePort, '-od', od, '-k', 'StudyInstanceUID=1.2.9.2']);
    expect(await ok.exited, ok.output()).toBe(0);
    expect(readdirSync(od)).toEqual(['1.2.9.2.1.1.dcm']);
    const bad = netdicom(['movescu', '127.0.0.1', String(port), '-S', '-aem', 'NOWHERE', '-k', 'StudyInstanceUID=1.2.9.2']);
    expect(await bad.exited).toBe(1);
    expect(bad.output().trim().split('\n')).toHaveLength(1);
    expect(bad.output()).toMatch(/0xA801/);
    const usage = netdicom(['findscu', '127.0.0.1']);
    expect(await usage.exited).toBe(2);
    expect(usage.output().trim()).toBe('findscu: missing PORT');
  });

  it('findscu whose reader goes away (EPIPE, as `findscu … | head -1`): no crash, the query completes, exit 0', async () => {
    const child = spawn(process.execPath, [BIN, 'findscu', '127.0.0.1', String(port), '-S', '-k', 'QueryRetrieveLevel=IMAGE', '-k', 'StudyInstanceUID=1.2.9.3', '-k', 'SeriesInstanceUID=1.2.9.3.1', '-k', 'SOPInstanceUID'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.stdout!.destroy(); // every write to stdout now fails with EPIPE
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => (children.delete(child), resolve(c))));
    expect(stderr).not.toMatch(/Unhandled|EPIPE/);
    expect(code, stderr).toBe(0);
  });

  it('an idle qrscp exits within a second of SIGINT', async () => {
    const archive = path.join(root, 'archive-sigint');
    writeArchive(archive);
    const qr = netdicom(['qrscp', '0', '--dir', archive, '--bind', '127.0.0.1', '--no-fsync']);
    const deadline = Date.now() + 15000;
    while (!/listening on/.test(qr.output())) {
      if (Date.now() > deadline || qr.child.exitCode !== null) throw new Error(`qrscp did not start:\n${qr.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const started = Date.now();
    qr.child.kill('SIGINT');
    expect(await qr.exited, qr.output()).toBe(0);
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
