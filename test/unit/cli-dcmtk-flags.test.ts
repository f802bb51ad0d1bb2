/**
 * The CLI tools against DCMTK 3.6.7's spellings and defaults (a review's findings): no DIMSE timeout
 * unless -td, unknown `+word` options refused, -v/-ll/-to/--call/--move, query files for
 * findscu/getscu/movescu and findscu -X, movescu +P and its default -aem, storescp's -od default,
 * +B, -pm, -td and -fe, storescu's data sets without File Meta Information, the -pdu range and
 * halting at the first failure. In process over 127.0.0.1; storescp and console output (-v) through
 * the built CLI (`npm run build`).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { COMMON_OPTIONS, commonSettings, logSettings, maxPduOption, parseArgv, SCU_OPTIONS, UsageError } from '../../adapters/cli/args';
import { echoscu } from '../../adapters/cli/echoscu';
import { findscu } from '../../adapters/cli/findscu';
import { getscu } from '../../adapters/cli/getscu';
import { movescu } from '../../adapters/cli/movescu';
import { storescuMain } from '../../adapters/cli/storescu';
import { listenTcp, type NodeListener } from '../../adapters/node';
import { ApplicationEntity } from '../../src/ae';
import { encodeDataset, readPart10, writePart10, type Dataset } from '../../src/dataset/codec';
import { DEFAULT_AE_OPTIONS } from '../../src/options';
import { CT_IMAGE_STORAGE, EXPLICIT_LE, IMPLICIT_LE, ctDataset, ctPart10 } from '../helpers/ct-instance';
import { generateTestPki, type TestPki } from '../interop/helpers/certs';
import { NETDICOM_BIN, freePort, killAll, waitForPort } from '../interop/helpers/store-harness';
import { startQrscp, writeArchive } from './helpers/qr-fixtures';

const built = existsSync(NETDICOM_BIN) && existsSync(new URL('../../dist/cli.js', import.meta.url));
const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';

let root: string;
let qr: { port: number; stop(): Promise<number> };
let movePort: number;
let pki: TestPki;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'cli-dcmtk-flags-'));
  writeArchive(path.join(root, 'archive'));
  movePort = await freePort();
  qr = await startQrscp(['--dir', path.join(root, 'archive'), '-aet', 'QRSCP', '--move-destination', `MOVESCU=127.0.0.1:${movePort}`]);
  pki = generateTestPki();
});
afterEach(killAll);
afterAll(async () => {
  expect(await qr.stop()).toBe(0);
  pki.dispose();
  rmSync(root, { recursive: true, force: true });
});

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, sink: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) } };
}

/** A fresh directory under the test's root. */
function dir(name: string): string {
  const d = path.join(root, name);
  mkdirSync(d, { recursive: true });
  return d;
}

/** Part 10 bytes of `dataset` in Explicit VR LE. */
function part10Of(dataset: Dataset, sopClassUid: string, sopInstanceUid: string): Uint8Array {
  return Buffer.concat(writePart10({ transferSyntaxUid: EXPLICIT_LE, sopClassUid, sopInstanceUid, dataset: encodeDataset(dataset, EXPLICIT_LE) }));
}

/** A storage SCP in process that answers each C-STORE with `status(uid)` and counts the requests. */
async function storageScp(status: (sopInstanceUid: string) => number = () => 0, syntaxes?: string[]) {
  const seen: { uid: string; transferSyntax: string }[] = [];
  const ae = new ApplicationEntity({ aeTitle: 'SCP' });
  if (syntaxes) ae.addSupportedContext(CT_IMAGE_STORAGE, syntaxes);
  else ae.acceptAnyStorage();
  const listener: NodeListener = await listenTcp({ host: '127.0.0.1', port: 0 });
  const server = ae.serve(listener, {
    cStore: (rq, ctx) => {
      seen.push({ uid: rq.sopInstanceUid, transferSyntax: ctx.transferSyntax });
      return status(rq.sopInstanceUid);
    },
  });
  return { port: listener.port, seen, close: () => server.close({ force: true }) };
}

/** A TCP server on 127.0.0.1 that accepts connections and never answers (a TLS handshake with it never ends). */
async function silentServer() {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => void sockets.add(s.on('error', () => {})));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => (sockets.forEach((s) => s.destroy()), server.close()) };
}

/** Runs the built CLI in `cwd`; resolves with its exit code and output. */
function cliIn(cwd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [NETDICOM_BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe('common options (DCMTK general and network flags)', () => {
  const settings = (...argv: string[]) => commonSettings(parseArgv(argv, [...COMMON_OPTIONS, ...SCU_OPTIONS]), 'ECHOSCU');

  it('no DIMSE timeout unless -td (DCMTK: unlimited); -td 0 is unlimited too; the library keeps 30 s', () => {
    expect(settings().ae.dimseTimeoutMs).toBe(Infinity);
    expect(settings('-td', '0').ae.dimseTimeoutMs).toBe(Infinity);
    expect(settings('-td', '2.5').ae.dimseTimeoutMs).toBe(2500);
    expect(DEFAULT_AE_OPTIONS.dimseTimeoutMs).toBe(30000);
  });

  it('-to/--timeout is the connect timeout, --call the called AE title, --aetitle ours', () => {
    const s = settings('-to', '1.5', '--call', 'PEER', '--aetitle', 'ME');
    expect([s.connectTimeoutMs, s.networkTimeoutMs, s.calledAeTitle, s.ae.aeTitle]).toEqual([1500, undefined, 'PEER', 'ME']);
    expect(settings('--timeout=2').connectTimeoutMs).toBe(2000);
  });

  it('-v, -d, -q and -ll LEVEL map onto quiet / verbose / debug', () => {
    const level = (...argv: string[]) => {
      const { quiet, verbose, debug } = logSettings(parseArgv(argv, COMMON_OPTIONS), 'x');
      return { quiet, verbose, debug };
    };
    expect(level()).toEqual({ quiet: false, verbose: false, debug: false });
    expect(level('-v')).toEqual({ quiet: false, verbose: true, debug: false });
    expect(level('--verbose')).toEqual(level('-ll', 'info'));
    expect(level('-d')).toEqual({ quiet: false, verbose: true, debug: true });
    expect(level('-ll', 'trace')).toEqual(level('--debug'));
    expect(level('-ll', 'debug')).toEqual(level('-d'));
    expect(level('-ll', 'error')).toEqual({ quiet: true, verbose: false, debug: false });
    expect(level('--log-level', 'fatal')).toEqual(level('-q'));
    expect(level('-ll', 'warn')).toEqual(level());
    expect(() => level('-ll', 'loud')).toThrow(/--log-level must be one of fatal, error, warn, info, debug, trace, got 'loud'/);
  });

  it("an unknown '+word' is an unknown option, not a positional; '+' alone and '--' still end up positional", () => {
    expect(() => parseArgv(['127.0.0.1', '104', '+sd'], COMMON_OPTIONS)).toThrow(new UsageError('unknown option +sd'));
    expect(parseArgv(['+', '--', '+x'], COMMON_OPTIONS).positionals).toEqual(['+', '+x']);
  });

  it('--max-pdu: 0 (no limit) or 4096..16 MiB in every app', () => {
    const pdu = (value: string) => maxPduOption(parseArgv(['-pdu', value], COMMON_OPTIONS));
    expect([pdu('0'), pdu('4096'), pdu('131072'), pdu('16777216')]).toEqual([0, 4096, 131072, 16777216]);
    for (const bad of ['5', '4095', '16777217', 'x']) expect(() => pdu(bad)).toThrow(/--max-pdu must be 0 \(no limit\) or an integer in 4096\.\.16777216/);
  });
});

describe('echoscu: -td, -to, -v', () => {
  it('-td S bounds the wait for the C-ECHO response; without it a slow response is waited for', async () => {
    const ae = new ApplicationEntity({ aeTitle: 'SLOW' }).addSupportedContext('1.2.840.10008.1.1');
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
    const server = ae.serve(listener, { cEcho: () => new Promise((r) => setTimeout(() => r(0), 1500)) });
    try {
      const timed = io();
      expect(await echoscu(['-td', '0.5', '127.0.0.1', String(listener.port)], timed.sink), timed.err.join('\n')).toBe(5);
      const patient = io();
      expect(await echoscu(['-td', '0', '127.0.0.1', String(listener.port)], patient.sink), patient.err.join('\n')).toBe(0);
    } finally {
      await server.close({ force: true });
    }
  });

  it('-to bounds the connect: a TLS handshake that never completes ends with exit 5', async () => {
    const silent = await silentServer();
    try {
      const r = io();
      const started = Date.now();
      expect(await echoscu(['-to', '0.5', '--tls-ca', pki.caCert, '127.0.0.1', String(silent.port)], r.sink), r.err.join('\n')).toBe(5);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      silent.close();
    }
  });

  it.skipIf(!built)('-v and -ll info print what the library logs; -ll error is quiet', async () => {
    const ae = new ApplicationEntity({ aeTitle: 'ECHOSCP' }).addSupportedContext('1.2.840.10008.1.1');
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
    const server = ae.serve(listener, {});
    try {
      const port = String(listener.port);
      for (const flags of [['-v'], ['-ll', 'info']]) {
        const r = await cliIn(root, ['echoscu', ...flags, '--call', 'ECHOSCP', '127.0.0.1', port]);
        expect(r.code, r.output).toBe(0);
        expect(r.output).toMatch(/association accepted by ECHOSCP/);
      }
      const plain = await cliIn(root, ['echoscu', '127.0.0.1', port]);
      expect(plain.output).not.toMatch(/association accepted/);
      const quiet = await cliIn(root, ['echoscu', '-ll', 'error', '127.0.0.1', port]);
      expect([quiet.code, quiet.output]).toEqual([0, '']);
    } finally {
      await server.close({ force: true });
    }
  });
});

describe('findscu/getscu/movescu: query files, -X, +P, --move, default -aem', () => {
  /** A Study Root STUDY-level query for P1 (two studies) as a Part 10 file, and as a bare Implicit VR LE data set. */
  function queryFiles(): { part10: string; bare: string } {
    const query = { QueryRetrieveLevel: 'STUDY', PatientID: 'P1', StudyInstanceUID: '', StudyDate: '' };
    const part10 = path.join(root, 'query.dcm');
    writeFileSync(part10, part10Of(query, STUDY_ROOT_FIND, '1.2.3.4.5'));
    const bare = path.join(root, 'query-bare.dcm');
    writeFileSync(bare, encodeDataset(query, IMPLICIT_LE));
    return { part10, bare };
  }
  const studies = (out: string[]) => out.map((l) => (JSON.parse(l) as Dataset).StudyInstanceUID).sort();

  it('findscu ADDR PORT FILE: the file is the query, -k keys override it; a bare data set works too', async () => {
    const { part10, bare } = queryFiles();
    for (const file of [part10, bare]) {
      const a = io();
      expect(await findscu(['127.0.0.1', String(qr.port), '-S', '-aec', 'QRSCP', '--json', file], a.sink), a.err.join('\n')).toBe(0);
      expect(studies(a.out), file).toEqual(['1.2.9.1', '1.2.9.2']);
    }
    const b = io();
    expect(await findscu(['127.0.0.1', String(qr.port), '-S', '--json', part10, '-k', 'PatientID=P2'], b.sink), b.err.join('\n')).toBe(0);
    expect(studies(b.out)).toEqual(['1.2.9.3']);
  });

  it('findscu with two files sends two C-FINDs; -X -od writes rsp0001.dcm… numbered across them', async () => {
    const { part10, bare } = queryFiles();
    const od = dir('extract');
    const r = io();
    expect(await findscu(['127.0.0.1', String(qr.port), '-S', '-q', '-X', '-od', od, part10, bare], r.sink), r.err.join('\n')).toBe(0);
    expect(readdirSync(od).sort()).toEqual(['rsp0001.dcm', 'rsp0002.dcm', 'rsp0003.dcm', 'rsp0004.dcm']);
    const missing = io();
    expect(await findscu(['127.0.0.1', String(qr.port), path.join(root, 'no-such-query.dcm')], missing.sink)).toBe(1);
    expect(missing.err).toEqual([expect.stringMatching(/^findscu: cannot read query file .*no-such-query\.dcm: ENOENT/)]);
  });

  it.skipIf(!built)('findscu -X without -od writes the responses into the current directory, as DCMTK', async () => {
    const { part10 } = queryFiles();
    const cwd = dir('extract-cwd');
    const r = await cliIn(cwd, ['findscu', '127.0.0.1', String(qr.port), '-S', '-X', '-q', part10]);
    expect(r.code, r.output).toBe(0);
    expect(readdirSync(cwd).sort()).toEqual(['rsp0001.dcm', 'rsp0002.dcm']);
  });

  it('getscu ADDR PORT FILE retrieves what the file asks for', async () => {
    const file = path.join(root, 'get.dcm');
    writeFileSync(file, part10Of({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2.9.1' }, '1.2.840.10008.5.1.4.1.2.2.3', '1.2.3.4.6'));
    const od = dir('got');
    const r = io();
    expect(await getscu(['127.0.0.1', String(qr.port), '-S', '-od', od, file], r.sink), r.err.join('\n')).toBe(0);
    expect(readdirSync(od).sort()).toEqual(['1.2.9.1.1.1.dcm', '1.2.9.1.1.2.dcm', '1.2.9.1.2.3.dcm']);
  });

  it('movescu +P N receives the instances; -aem defaults to our own AE title (DCMTK); a query file works', async () => {
    const file = path.join(root, 'move.dcm');
    writeFileSync(file, encodeDataset({ QueryRetrieveLevel: 'SERIES', StudyInstanceUID: '1.2.9.3', SeriesInstanceUID: '1.2.9.3.1' }, IMPLICIT_LE));
    const od = dir('moved');
    const r = io();
    expect(await movescu(['127.0.0.1', String(qr.port), '-S', '-aet', 'MOVESCU', '+P', String(movePort), '-od', od, file], r.sink), r.err.join('\n')).toBe(0);
    expect(readdirSync(od)).toHaveLength(3);
  });

  it('movescu --move is -aem; without either the destination is -aet (qrscp does not know it: 0xA801, exit 1, not a usage error)', async () => {
    for (const argv of [['--move', 'NOBODY'], ['-aet', 'NOBODY2']]) {
      const r = io();
      expect(await movescu(['127.0.0.1', String(qr.port), ...argv, '-k', 'QueryRetrieveLevel=PATIENT', '-k', 'PatientID=P2'], r.sink), r.err.join('\n')).toBe(1);
      expect(r.err).toEqual([expect.stringMatching(/0xA801/)]);
    }
  });
});

describe('storescu: data sets without meta, halting, -td', () => {
  /** A CT instance as a bare data set file (no preamble, no File Meta Information) in `syntax`. */
  function bareFile(name: string, uid: string, syntax: string): { file: string; dataset: Uint8Array } {
    const dataset = ctDataset({ sopInstanceUid: uid, transferSyntaxUid: syntax });
    const file = path.join(root, name);
    writeFileSync(file, dataset);
    return { file, dataset };
  }
  /** Three Part 10 CT files …7.1 to …7.3 in a folder. */
  function threeFiles(): string[] {
    const src = dir('three');
    return [1, 2, 3].map((i) => {
      const file = path.join(src, `${i}.dcm`);
      writeFileSync(file, ctPart10({ sopInstanceUid: `1.2.826.0.1.3680043.9.7433.77.${i}` }).file);
      return file;
    });
  }

  it.skipIf(!built)('storescp: -od defaults to the current directory; +B, -pm, -td, -fe EXT accepted; bare data sets arrive with their identity', async () => {
    const cwd = dir('scp-cwd');
    const port = await freePort();
    // No -od: spawned in `cwd`, where the files must land.
    const args = ['storescp', String(port), '--bind', '127.0.0.1', '+B', '--bit-preserving', '-pm', '--promiscuous', '-td', '5', '-fe', '.img'];
    const child = spawn(process.execPath, [NETDICOM_BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    try {
      await waitForPort(port);
      const implicit = bareFile('bare-implicit', '1.2.826.0.1.3680043.9.7433.78.1', IMPLICIT_LE);
      const explicit = bareFile('bare-explicit', '1.2.826.0.1.3680043.9.7433.78.2', EXPLICIT_LE);
      const r = io();
      expect(await storescuMain(['127.0.0.1', String(port), implicit.file, explicit.file], r.sink), r.err.join('\n') + output).toBe(0);
      child.kill('SIGTERM');
      expect(await exited, output).toBe(0);
      expect(readdirSync(cwd).sort()).toEqual(['1.2.826.0.1.3680043.9.7433.78.1.img', '1.2.826.0.1.3680043.9.7433.78.2.img']);
      for (const [sent, syntax, uid] of [[implicit, IMPLICIT_LE, '78.1'], [explicit, EXPLICIT_LE, '78.2']] as const) {
        const back = readPart10(new Uint8Array(readFileSync(path.join(cwd, `1.2.826.0.1.3680043.9.7433.${uid}.img`))));
        expect([back.sopClassUid, back.sopInstanceUid, back.transferSyntaxUid]).toEqual([CT_IMAGE_STORAGE, `1.2.826.0.1.3680043.9.7433.${uid}`, syntax]);
        expect(Buffer.from(back.dataset).equals(Buffer.from(sent.dataset))).toBe(true);
      }
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a bare data set is converted with --allow-conversion when the peer takes only another syntax', async () => {
    const scp = await storageScp(undefined, [EXPLICIT_LE]);
    try {
      const { file } = bareFile('bare-convert', '1.2.826.0.1.3680043.9.7433.78.3', IMPLICIT_LE);
      const r = io();
      expect(await storescuMain(['127.0.0.1', String(scp.port), '--allow-conversion', file], r.sink), r.err.join('\n')).toBe(0);
      expect(scp.seen).toEqual([{ uid: '1.2.826.0.1.3680043.9.7433.78.3', transferSyntax: EXPLICIT_LE }]);
    } finally {
      await scp.close();
    }
  });

  it('the first failed C-STORE halts the run (DCMTK); -nh sends the rest; exit 1 either way', async () => {
    const files = threeFiles();
    const scp = await storageScp((uid) => (uid.endsWith('.2') ? 0xa700 : 0));
    try {
      const halted = io();
      expect(await storescuMain(['127.0.0.1', String(scp.port), ...files], halted.sink)).toBe(1);
      expect(scp.seen.map((s) => s.uid.at(-1))).toEqual(['1', '2']);
      expect(halted.err.join('\n')).toMatch(/halted at the first failure: 1 file\(s\) not sent/);
      scp.seen.length = 0;
      const goOn = io();
      expect(await storescuMain(['127.0.0.1', String(scp.port), '-nh', ...files], goOn.sink)).toBe(1);
      expect(scp.seen.map((s) => s.uid.at(-1))).toEqual(['1', '2', '3']);
    } finally {
      await scp.close();
    }
  });

  it('an input that cannot be read halts before anything is sent; with -nh the rest is sent, exit 0', async () => {
    const [first] = threeFiles();
    const scp = await storageScp();
    try {
      const missing = path.join(root, 'missing.dcm');
      const halted = io();
      expect(await storescuMain(['127.0.0.1', String(scp.port), first!, missing], halted.sink)).toBe(1);
      expect(halted.err.join('\n')).toMatch(/no such file or directory: .*missing\.dcm[^]*halted: nothing sent/);
      expect(scp.seen).toEqual([]);
      const goOn = io();
      expect(await storescuMain(['127.0.0.1', String(scp.port), '-nh', first!, missing], goOn.sink)).toBe(0);
      expect(scp.seen).toHaveLength(1);
    } finally {
      await scp.close();
    }
  });

  it('-td S bounds the wait for a C-STORE response; by default (unlimited) a slow one is waited for', async () => {
    const [first] = threeFiles();
    const ae = new ApplicationEntity({ aeTitle: 'SLOW' }).acceptAnyStorage();
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
    const server = ae.serve(listener, { cStore: () => new Promise((r) => setTimeout(() => r(0), 1500)) });
    try {
      const timed = io();
      expect(await storescuMain(['127.0.0.1', String(listener.port), '-td', '0.5', first!], timed.sink), timed.err.join('\n')).toBe(1);
      expect(timed.err.join('\n')).toMatch(/no DIMSE response within 500 ms/);
      const patient = io();
      expect(await storescuMain(['127.0.0.1', String(listener.port), first!], patient.sink), patient.err.join('\n')).toBe(0);
    } finally {
      await server.close({ force: true });
    }
  });
});
