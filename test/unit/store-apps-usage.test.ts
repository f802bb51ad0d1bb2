/**
 * Usage errors of storescu and storescp go the way of the other apps (echoscu, findscu, getscu,
 * movescu, qrscp; README "Command line"): exactly one line on stderr, `<app>: <reason>`, nothing on
 * stdout, exit code 2 (ExitCode.usage), and before any file is read, any connection made or
 * anything listens. In process, through the `io` argument (nothing spawned, nothing listens).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { echoscu } from '../../adapters/cli/echoscu';
import { ExitCode, type AppIo } from '../../adapters/cli/io';
import { storescpMain } from '../../adapters/cli/storescp';
import { storescuMain } from '../../adapters/cli/storescu';
import { DEFAULT_RECLAIM_BYTES, setSocketReclaim } from '../../adapters/node/reclaim';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'store-apps-usage-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// storescp sets the receiver's reclaim interval once its PORT is parsed: give it back to the next file.
afterEach(() => setSocketReclaim(DEFAULT_RECLAIM_BYTES));

type Main = (argv: readonly string[], io: AppIo) => Promise<number>;

async function run(main: Main, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: AppIo = { out: (line) => void out.push(line), err: (line) => void err.push(line) };
  const code = await main(argv, io);
  return { code, out, err };
}

/** `argv` is a usage error: exit 2, nothing on stdout, and stderr is exactly `line` (one line). */
async function expectUsageError(main: Main, argv: string[], line: string) {
  const r = await run(main, argv);
  // toEqual([line]) with a one-line `line`: one stderr call, and no newline inside it.
  expect(r.err, argv.join(' ')).toEqual([line]);
  expect(r.out, argv.join(' ')).toEqual([]);
  expect(r.code, argv.join(' ')).toBe(ExitCode.usage);
}

describe('the convention, as the other apps follow it', () => {
  it('echoscu: an unknown option is one line, "echoscu: <reason>", exit 2', async () => {
    await expectUsageError(echoscu, ['--bogus', '127.0.0.1', '104'], 'echoscu: unknown option --bogus');
    expect(ExitCode.usage).toBe(2);
  });
});

describe('through the netdicom dispatcher (main), as `npx netdicom` runs them', () => {
  it("storescu, storescp and proxy report to the dispatcher's io, not to the console", async () => {
    const { main } = await import('../../adapters/cli/index');
    await expectUsageError((argv, io) => main(['storescu', ...argv], io), ['--bogus', '127.0.0.1', '104', 'x.dcm'], 'storescu: unknown option --bogus');
    await expectUsageError((argv, io) => main(['storescp', ...argv], io), ['--bogus', '104'], 'storescp: unknown option --bogus');
    await expectUsageError((argv, io) => main(['proxy', ...argv], io), ['--listen', '8080'], 'proxy: at least one --target NAME=HOST:PORT is required');
  });
});

describe('--help', () => {
  it('storescp --help describes every option, as storescu --help does', async () => {
    for (const [main, flags] of [
      [storescpMain, ['-od', '--ignore', '--accept-any', '--bind', '--max-associations', '-ta', '--stats', '--tls-cert', '--tls-require-client', '--max-pdu', '-aet']],
      [storescuMain, ['-aet', '-aec', '--max-pdu', '--allow-conversion', '-nh', '--io']],
    ] as const) {
      const r = await run(main, ['--help']);
      expect(r.code).toBe(0);
      const text = r.out.join('\n');
      expect(text).toMatch(/^usage: netdicom store/);
      expect(text).toContain('options:');
      for (const flag of flags) expect(text, flag).toContain(flag);
    }
  });
});

describe('storescu usage errors: one line, exit 2', () => {
  const file = () => path.join(dir, 'a.dcm');

  it('an unknown option', async () => {
    await expectUsageError(storescuMain, ['--bogus', '127.0.0.1', '104', file()], 'storescu: unknown option --bogus');
  });

  it('a missing argument: positionals, and an option value', async () => {
    await expectUsageError(storescuMain, [], 'storescu: missing ADDR PORT PATH');
    await expectUsageError(storescuMain, ['127.0.0.1', '104'], 'storescu: missing PATH');
    await expectUsageError(storescuMain, ['127.0.0.1', '104', file(), '-aet'], 'storescu: option -aet needs a value (AET)');
  });

  it('a bad number', async () => {
    await expectUsageError(storescuMain, ['127.0.0.1', '104', file(), '--async-ops', '0'], "storescu: --async-ops must be an integer in 1..65535, got '0'");
    await expectUsageError(storescuMain, ['127.0.0.1', '104', file(), '-ta', 'soon'], "storescu: --acse-timeout needs a positive number of seconds, got 'soon'");
  });

  it('a bad port', async () => {
    await expectUsageError(storescuMain, ['127.0.0.1', 'x', file()], "storescu: PORT must be 1-65535, got 'x'");
  });

  it('a bad --io mode and a switch given a value', async () => {
    await expectUsageError(storescuMain, ['127.0.0.1', '104', file(), '--io', 'mmap'], "storescu: --io must be 'sync' or 'async', not 'mmap'");
    await expectUsageError(storescuMain, ['127.0.0.1', '104', file(), '--debug=1'], 'storescu: option --debug takes no value');
  });

  it('an AE title with a backslash (PS3.5 AE VR) is a usage error too, not a failure later', async () => {
    const r = await run(storescuMain, ['127.0.0.1', '104', file(), '-aet', 'A\\B']);
    expect(r.code).toBe(ExitCode.usage);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^storescu: AE title "A\\\\B" has "\\\\": only printable ASCII other than backslash/);
  });
});

describe('storescp usage errors: one line, exit 2, before anything listens', () => {
  it('an unknown option', async () => {
    await expectUsageError(storescpMain, ['0', '--ignore', '--nope'], 'storescp: unknown option --nope');
  });

  it('a missing argument: PORT, an option value; and one argument too many', async () => {
    await expectUsageError(storescpMain, ['--ignore'], 'storescp: missing PORT');
    await expectUsageError(storescpMain, ['0', '-od'], 'storescp: option -od needs a value (DIR)');
    await expectUsageError(storescpMain, ['0', '1', '--ignore'], "storescp: unexpected argument '1'");
  });

  it('a bad number', async () => {
    await expectUsageError(storescpMain, ['0', '--ignore', '--max-associations', 'many'], "storescp: --max-associations must be an integer ≥ 1, got 'many'");
    await expectUsageError(storescpMain, ['0', '--ignore', '--stats', '-1'], "storescp: --stats needs a positive number of seconds, got '-1'");
  });

  it('a bad port', async () => {
    await expectUsageError(storescpMain, ['70000', '--ignore'], "storescp: PORT must be 0-65535, got '70000'");
  });

  it('a usage error is found before the TLS files are read (usage 2, not ENOENT 1)', async () => {
    const missing = path.join(dir, 'missing.pem');
    await expectUsageError(storescpMain, ['0', '-pdu', '5', '--tls-cert', missing, '--tls-key', missing], "storescp: --max-pdu must be 0 (no limit) or an integer in 4096..16777216, got '5'");
  });

  it('an AE title with a control character is a usage error, not a failure of the AE (exit 1)', async () => {
    const r = await run(storescpMain, ['0', '--ignore', '-aet', 'SCP\tX']);
    expect(r.code).toBe(ExitCode.usage);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^storescp: AE title "SCP\\tX" has "\\t"/);
  });
});
