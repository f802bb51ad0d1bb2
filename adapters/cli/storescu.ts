/**
 * `netdicom storescu ADDR PORT PATH…`: sends DICOM Part 10 files (folders with -r) to a Storage
 * SCP. Only each file's meta header is read to plan the presentation contexts; data sets are
 * streamed from disk as they are sent. A failed file is reported and the rest go on; the exit
 * code is 1 when any file failed or any input was skipped (missing, not DICOM; unless --no-halt),
 * and the association's failure code (3 network, 4 rejected, 5 timeout, ...) when none was sent
 * for want of one.
 */
import { formatNegotiation } from '../../src/acse/explain';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { consoleLogger, silentLogger, type Logger } from '../../src/logger';
import type { Transport } from '../../src/transport';
import { listFiles, readPart10Header, type Part10Header } from './part10-file';
import { ProgressBar, type ProgressSink } from './progress';
import { planBatches, sendFiles } from './store-sender';
import type { FileIoOptions } from '../node/sync-read';
import {
  aeTitleOption, commonOptions, dialer, formatHelp, intOption, IO_OPTION, ioMode, optionValue, parseArgv, parsePort, secondsOption, STORE_OPTIONS, storeTlsSettings, UsageError, type OptionSpec,
} from './args';
import { consoleIo, describeFailure, ExitCode, fail, type AppIo } from './io';

/** What storescu runs with, after argument parsing. */
export interface StoreScuConfig {
  paths: string[];
  recursive: boolean;
  aeTitle: string;
  calledAeTitle: string;
  maxPdu: number;
  allowConversion: boolean;
  /** Skipped inputs (missing paths, non-DICOM files) are warnings, not failures (DCMTK's --no-halt). */
  noHalt?: boolean;
  /** C-STOREs in flight per association when the peer agrees (PS3.7 D.3.3.3); default 1. */
  asyncOps?: number;
  /** File reads: synchronous (default) or through the thread pool ({@link FileIoOptions.io}). */
  io?: FileIoOptions['io'];
  debug: boolean;
  quiet: boolean;
  /** ACSE / DIMSE / network timeouts in ms, when given. */
  acseTimeoutMs?: number;
  dimseTimeoutMs?: number;
  networkTimeoutMs?: number;
  /** Opens a TCP or TLS connection to the peer. */
  connect(): Promise<Transport>;
  /** Where the progress bar goes (drawn only when it is a TTY). */
  progress: ProgressSink;
  out(line: string): void;
  err(line: string): void;
  logger: Logger;
}

/** Runs storescu; resolves with the exit code. */
export async function runStoreScu(config: StoreScuConfig): Promise<number> {
  if (config.paths.length === 0) {
    config.err('storescu: no files given');
    return ExitCode.usage;
  }
  let skipped = 0;
  const warn = (m: string) => {
    skipped++;
    config.err(`storescu: ${config.noHalt ? 'warning' : 'error'}: ${m}`);
  };
  const headers: Part10Header[] = [];
  for (const file of await listFiles(config.paths, config.recursive, warn)) {
    try {
      headers.push(await readPart10Header(file, { io: config.io }));
    } catch (error) {
      warn(`skipping ${file}: not a DICOM Part 10 file (${(error as Error).message})`);
    }
  }
  if (headers.length === 0) {
    config.err('storescu: nothing to send');
    return 1;
  }
  const totalBytes = headers.reduce((n, h) => n + h.size - h.datasetOffset, 0);
  const bar = new ProgressBar(config.progress, headers.length, totalBytes, config.progress.isTTY === true && !config.quiet);
  const say = (line: string) => bar.log(line, config.err);
  const results = await sendFiles(planBatches(headers), {
    makeAe: (contexts) => {
      const ae = new ApplicationEntity({
        aeTitle: config.aeTitle,
        maxPduLength: config.maxPdu,
        logger: config.logger,
        debug: config.debug,
        ...(config.acseTimeoutMs !== undefined && { acseTimeoutMs: config.acseTimeoutMs }),
        ...(config.dimseTimeoutMs !== undefined && { dimseTimeoutMs: config.dimseTimeoutMs }),
        ...(config.networkTimeoutMs !== undefined && { networkTimeoutMs: config.networkTimeoutMs }),
        ...(config.asyncOps !== undefined && config.asyncOps !== 1 && { asyncOps: { maxInvoked: config.asyncOps, maxPerformed: 1 } }),
      });
      for (const c of contexts) ae.addRequestedContext(c.abstractSyntax, c.transferSyntaxes);
      return ae;
    },
    connect: config.connect,
    associate: { calledAeTitle: config.calledAeTitle },
    allowConversion: config.allowConversion,
    asyncOps: config.asyncOps,
    io: config.io,
    ...(config.debug && { onAssociation: (a: Association) => say(formatNegotiation(a.explain())) }),
    onBytes: (n) => bar.addBytes(n),
    onResult: (r) => {
      if (!r.ok) say(`storescu: failed ${r.file.path} (${r.file.sopInstanceUid}): ${r.error}`);
      else if (r.status !== 0) say(`storescu: ${r.file.path}: warning status 0x${r.status!.toString(16).padStart(4, '0')}`);
      else if (!config.quiet && config.progress.isTTY !== true) config.out(`sent ${r.file.path}`);
      bar.fileDone(r.ok, r.file.size - r.file.datasetOffset);
    },
  });
  bar.clear();
  const failed = results.filter((r) => !r.ok);
  if (!config.quiet || failed.length > 0 || (skipped > 0 && !config.noHalt)) config.out(bar.summary(skipped));
  // None sent for want of an association: exit as its failure says (3 network, 4 rejected, 5 timeout, ...).
  const unassociated = failed.find((r) => r.associationError !== undefined);
  if (unassociated && failed.length === results.length) return describeFailure(unassociated.associationError).code;
  // As DCMTK's storescu: an input that could not be read fails the run unless --no-halt.
  return failed.length > 0 || (skipped > 0 && !config.noHalt) ? ExitCode.failed : ExitCode.ok;
}

const USAGE = `usage: netdicom storescu ADDR PORT PATH... [-r] [-aet TITLE] [-aec TITLE] [--max-pdu N]
       [-ta S] [-td S] [-tn S] [--tls] [--tls-ca F] [--tls-cert F] [--tls-key F] [--tls-insecure]
       [--allow-conversion] [--async-ops N] [-nh] [--io sync|async] [-d] [-q]`;

const DESCRIPTION = [
  'Storage SCU: sends DICOM Part 10 files with C-STORE, streaming each from disk. Every readable DICOM',
  "file is sent; a missing PATH or a file that is not DICOM (named, or found in a folder) is reported and,",
  "as in DCMTK's storescu, makes the exit code 1 unless -nh.",
  'exit codes: 0 sent, 1 failed or skipped, 2 usage, 3 network, 4 rejected, 5 timeout, 6 aborted',
].join('\n');

const OPTIONS: readonly OptionSpec[] = [
  ...STORE_OPTIONS,
  { name: '--recurse', aliases: ['-r', '+r'], help: 'send the files in folders and their subfolders' },
  { name: '--call', aliases: ['-aec'], value: 'AET', help: "the peer's (called) AE title (default ANY-SCP)" },
  ...commonOptions('--acse-timeout', '--dimse-timeout', '--network-timeout'),
  { name: '--allow-conversion', help: 'convert between uncompressed transfer syntaxes when the peer accepts no other' },
  { name: '--async-ops', value: 'N', help: 'C-STOREs in flight per association when the peer agrees (1..65535, default 1)' },
  { name: '--no-halt', aliases: ['-nh'], help: 'skipped inputs (missing, not DICOM) are warnings: exit 0 when the rest was sent' },
  IO_OPTION,
];

/**
 * `netdicom storescu ...`: parses `argv` (after the app name) and runs; resolves with the exit code.
 * A usage error is one line on `io.err` (`storescu: <reason>`) and exit 2, as in the other apps;
 * every option is checked before a file is read or a connection made.
 */
export async function storescuMain(argv: readonly string[], io: AppIo = consoleIo): Promise<number> {
  try {
    const p = parseArgv(argv, OPTIONS);
    if (p.switches.has('--help')) {
      io.out(formatHelp(USAGE.slice('usage: '.length), DESCRIPTION, OPTIONS));
      return ExitCode.ok;
    }
    // ADDR PORT PATH…: at least one PATH, named like positionals() names what is missing.
    const required = ['ADDR', 'PORT', 'PATH'];
    if (p.positionals.length < required.length) throw new UsageError(`missing ${required.slice(p.positionals.length).join(' ')}`);
    const [host, portText, ...paths] = p.positionals as [string, string, ...string[]];
    const port = parsePort(portText);
    const debug = p.switches.has('--debug');
    const networkTimeoutMs = secondsOption(p, '--network-timeout');
    return await runStoreScu({
      paths,
      recursive: p.switches.has('--recurse'),
      aeTitle: aeTitleOption(p, '--aetitle', 'STORESCU'),
      calledAeTitle: aeTitleOption(p, '--call', 'ANY-SCP', 'called AE title'),
      maxPdu: intOption(p, '--max-pdu', 16384),
      allowConversion: p.switches.has('--allow-conversion'),
      noHalt: p.switches.has('--no-halt'),
      // 1..65535 C-STOREs in flight (PS3.7 D.3.3.3 Maximum Number Operations Invoked).
      asyncOps: intOption(p, '--async-ops', 1, 1, 0xffff),
      io: ioMode(optionValue(p, '--io')),
      debug,
      quiet: p.switches.has('--quiet'),
      acseTimeoutMs: secondsOption(p, '--acse-timeout'),
      dimseTimeoutMs: secondsOption(p, '--dimse-timeout'),
      networkTimeoutMs,
      // -tn also bounds the connect and TLS handshake, as in the other apps.
      connect: dialer({ tls: storeTlsSettings(p), networkTimeoutMs }, host, port),
      progress: process.stderr,
      out: (l) => io.out(l),
      err: (l) => io.err(l),
      logger: debug ? consoleLogger({ verbose: true, prefix: 'storescu' }) : silentLogger,
    });
  } catch (error) {
    return fail('storescu', io, error);
  }
}
