/**
 * storescu / storescp argument handling in process (storescuMain / storescpMain): help, usage
 * errors (exit 2 and one line, as in the other apps; bad option values too), files that cannot be
 * read (exit 1, one line), every flag spelling accepted, TLS option checks.
 * Nothing listens: a run that gets past the arguments ends with "nothing to send" (storescu) or a
 * TLS/port error (storescp).
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { storescpMain } from '../../adapters/cli/storescp';
import { storescuMain } from '../../adapters/cli/storescu';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'store-cli-args-'));
  mkdirSync(path.join(dir, 'nested'));
  writeFileSync(path.join(dir, 'nested', 'readme.txt'), 'not DICOM');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function capture(main: (argv: readonly string[]) => Promise<number>, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const code = await main(argv);
  vi.restoreAllMocks();
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const scu = (...argv: string[]) => capture(storescuMain, argv);
const scp = (...argv: string[]) => capture(storescpMain, argv);
type Main = (...argv: string[]) => ReturnType<typeof capture>;
type Cases = ReadonlyArray<readonly [readonly string[], RegExp]>;

/** Each argv is a usage error: exit 2 and one line, `<app>: <reason>`, without the usage text. */
async function expectUsageErrors(run: Main, app: string, cases: Cases) {
  for (const [argv, reason] of cases) {
    const r = await run(...argv);
    expect(r.code, argv.join(' ')).toBe(2);
    expect(r.err).toMatch(reason);
    expect(r.err.split('\n'), argv.join(' ')).toEqual([expect.stringMatching(new RegExp(`^${app}: `))]);
    expect(r.err).not.toContain('usage:');
  }
}

/** Each argv fails with exit `code` and one line matching its reason. */
async function expectBadValues(run: Main, code: number, cases: Cases) {
  for (const [argv, reason] of cases) {
    const r = await run(...argv);
    expect(r.code, argv.join(' ')).toBe(code);
    expect(r.err, argv.join(' ')).toMatch(reason);
    expect(r.err.split('\n')).toHaveLength(1);
  }
}

describe('storescu arguments', () => {
  it('--help / -h print the usage and exit 0', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await scu(flag);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^usage: netdicom storescu ADDR PORT PATH/);
      // DCMTK's -nh: without it the first failure halts (see cli-dcmtk-flags.test.ts).
      expect(r.out).toMatch(/-nh, --no-halt +do not halt at the first failure; skipped inputs .* are warnings/);
    }
  });

  it('usage errors exit 2 with one line, the reason', async () => {
    await expectUsageErrors(scu, 'storescu', [
      [['127.0.0.1', '104'], /missing PATH$/],
      [['--bogus', '127.0.0.1', '104', dir], /unknown option --bogus/],
      [['127.0.0.1', '104', dir, '-aet'], /option -aet needs a value/],
      // An unknown '+word' is an unknown option, as an unknown '-word' (it was taken as a PATH).
      [['127.0.0.1', '104', '+bogus', dir], /unknown option \+bogus$/],
    ]);
  });

  it('bad option values are usage errors: exit 2 with one line (README: 2 usage)', async () => {
    await expectBadValues(scu, 2, [
      [['127.0.0.1', '0', dir], /^storescu: PORT must be 1-65535, got '0'$/],
      [['127.0.0.1', 'x', dir], /^storescu: PORT must be 1-65535, got 'x'$/],
      [['127.0.0.1', '99999', dir], /^storescu: PORT must be 1-65535, got '99999'$/],
      [['127.0.0.1', '104', dir, '-aet', 'SEVENTEEN-CHARS-X'], /^storescu: AE title must be 1-16 characters, got 'SEVENTEEN-CHARS-X'$/],
      [['127.0.0.1', '104', dir, '-aec', '   '], /^storescu: called AE title must be 1-16 characters/],
      [['127.0.0.1', '104', dir, '--async-ops', '0'], /^storescu: --async-ops must be .*1\.\.65535.*0/],
      [['127.0.0.1', '104', dir, '--max-pdu', 'big'], /^storescu: --max-pdu must be .*big/],
      // DCMTK's storescu broke on an advertised max PDU of 5: 0 (no limit) or 4096..16 MiB.
      [['127.0.0.1', '104', dir, '-pdu', '5'], /^storescu: --max-pdu must be 0 \(no limit\) or an integer in 4096\.\.16777216, got '5'$/],
      [['127.0.0.1', '104', dir, '-pdu', '16777217'], /^storescu: --max-pdu must be .*16777217/],
      [['127.0.0.1', '104', dir, '-ta', '0'], /^storescu: --acse-timeout .*positive number of seconds.*0/],
    ]);
  });

  it('a TLS file that cannot be read exits 1 with one line', async () => {
    await expectBadValues(scu, 1, [[['127.0.0.1', '104', dir, '--tls-ca', path.join(dir, 'missing.pem')], /^storescu: ENOENT/]]);
  });

  it('every option spelling is accepted (the run gets as far as finding no DICOM files)', async () => {
    // -nh: the nested non-DICOM file is skipped rather than halting the run.
    const r = await scu('127.0.0.1', '104', dir, '-r', '--recurse', '+r', '--no-recurse', '+sd', '--scan-directories', '-aet', 'ME', '--aetitle=ME', '-aec', 'YOU',
      '--call', 'YOU', '--max-pdu', '0', '-pdu', '32768', '--max-pdu=65536', '-ta', '5', '-td', '5', '-tn', '5', '-to', '5', '--acse-timeout=1.5', '--dimse-timeout', '2',
      '-td', '0', '--network-timeout', '3', '--timeout', '4', '--allow-conversion', '--async-ops', '4', '-d', '--debug', '-v', '--verbose', '-ll', 'trace',
      '--log-level=warn', '-q', '--quiet', '--tls-insecure', '-nh', '--no-halt');
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/storescu: nothing to send$/);
  });
});

describe('storescu arguments (one parser for every app)', () => {
  it("+r / --recurse recurses; -r is DCMTK's --no-recurse (the default): the nested file is not read", async () => {
    for (const flag of ['+r', '--recurse']) {
      const r = await scu('127.0.0.1', '104', dir, flag);
      expect(r.err, flag).toMatch(/skipping .*readme\.txt/);
    }
    for (const flags of [['-r'], ['--no-recurse'], []]) expect((await scu('127.0.0.1', '104', dir, ...flags)).err, flags.join()).not.toMatch(/readme\.txt/);
  });

  it("'--' ends the options: what follows is a path even when it looks like one", async () => {
    const r = await scu('127.0.0.1', '104', '--', '-r', '+r');
    expect(r.code).toBe(1);
    // The first one missing halts the run (DCMTK's default): nothing is sent.
    expect(r.err).toMatch(/no such file or directory: -r$/m);
    expect(r.err).toMatch(/halted: nothing sent/);
  });

  it('a switch given a value is a usage error', async () => {
    const r = await scu('127.0.0.1', '104', dir, '--debug=1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/option --debug takes no value/);
  });
});

describe('storescp arguments', () => {
  it('--help prints the usage and exits 0', async () => {
    const r = await scp('-h');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage: netdicom storescp PORT/);
  });

  it('usage errors exit 2 with one line, the reason', async () => {
    await expectUsageErrors(scp, 'storescp', [
      [[], /missing PORT$/],
      [['104', '105'], /unexpected argument '105'$/],
      [['104', '--nope'], /unknown option --nope/],
      [['104', '-od'], /option -od needs a value/],
      // `storescp -od x +B 21112` said "unexpected argument": now +B is an option and +word unknown ones are refused.
      [['104', '--ignore', '+Bogus'], /unknown option \+Bogus$/],
      [['104', '-fe', 'a/b'], /-fe EXT must be up to 16 letters, digits/],
    ]);
  });

  it('bad option values are usage errors: exit 2 with one line, before anything listens', async () => {
    await expectBadValues(scp, 2, [
      [['70000', '--ignore'], /^storescp: PORT must be 0-65535, got '70000'$/],
      [['99999', '--ignore'], /^storescp: PORT must be 0-65535, got '99999'$/],
      [['0', '--ignore', '-aet', 'SEVENTEEN-CHARS-X'], /^storescp: AE title must be 1-16 characters/],
      [['0', '--ignore', '--max-associations', 'many'], /^storescp: --max-associations must be .*many/],
      [['0', '--ignore', '--max-associations', '0'], /^storescp: --max-associations must be an integer ≥ 1, got '0'$/],
      [['0', '--ignore', '--stats', '-1'], /^storescp: --stats .*positive number of seconds/],
      [['0', '--ignore', '-pdu', '5'], /^storescp: --max-pdu must be 0 \(no limit\) or an integer in 4096\.\.16777216, got '5'$/],
      [['0', '--ignore', '-td', 'x'], /^storescp: --dimse-timeout .*positive number of seconds/],
      [['0', '--ignore', '-ll', 'loud'], /^storescp: --log-level must be one of fatal, error, warn, info, debug, trace, got 'loud'$/],
      [['0', '--ignore', '--tls'], /^storescp: .*--tls-cert and --tls-key/],
      [['0', '--ignore', '--tls-ca', path.join(dir, 'ca.pem')], /^storescp: .*--tls-cert and --tls-key/],
    ]);
  });

  it('a TLS file that cannot be read exits 1 with one line', async () => {
    await expectBadValues(scp, 1, [
      [['0', '--ignore', '--tls-cert', path.join(dir, 'missing.pem'), '--tls-key', path.join(dir, 'missing.pem')], /^storescp: ENOENT/],
    ]);
  });
});
