/**
 * `netdicom storescu ADDR PORT PATH…`: sends DICOM files (Part 10, or bare data sets) and folders
 * (subfolders with +r) to a Storage SCP. Only each file's head is read to plan the presentation
 * contexts; data sets are streamed from disk as they are sent. As DCMTK's storescu, the first
 * failure (an input that cannot be read, a store that fails) halts the run unless --no-halt; the
 * exit code is 1 when anything failed, and the association's failure code (3 network, 4 rejected,
 * 5 timeout, ...) when none was sent for want of one.
 */
import { formatNegotiation } from '../../src/acse/explain';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import type { Logger } from '../../src/logger';
import type { Transport } from '../../src/transport';
import { listFiles, readPart10Header, type Part10Header } from './part10-file';
import { ProgressBar, type ProgressSink } from './progress';
import { planBatches, sendFiles } from './store-sender';
import type { FileIoOptions } from '../node/sync-read';
import {
  aeTitleOption, commonOptions, dialer, dimseTimeoutOption, formatHelp, intOption, IO_OPTION, ioMode, logSettings, maxPduOption, optionValue, parseArgv, parsePort, secondsOption, STORE_OPTIONS,
  storeTlsSettings, UsageError, type OptionSpec,
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
  /**
   * Stop at the first failure, an unreadable input (before anything is sent) or a failed store
   * (DCMTK's default; the CLI sets it unless -nh). Default false: every file is tried.
   */
  halt?: boolean;
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
    if (config.halt && skipped > 0) break;
    try {
      headers.push(await readPart10Header(file, { io: config.io }));
    } catch (error) {
      warn(`skipping ${file}: not a DICOM file (${(error as Error).message})`);
    }
  }
  // DCMTK's storescu checks its inputs first and stops at one it cannot read, unless -nh.
  if (config.halt && skipped > 0) {
    config.err('storescu: halted: nothing sent (-nh skips unreadable inputs)');
    return ExitCode.failed;
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
    haltOnFailure: config.halt,
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
  if (results.length < headers.length) config.err(`storescu: halted at the first failure: ${headers.length - results.length} file(s) not sent (-nh sends the rest)`);
  // None sent for want of an association: exit as its failure says (3 network, 4 rejected, 5 timeout, ...).
  const unassociated = failed.find((r) => r.associationError !== undefined);
  if (unassociated && failed.length === results.length) return describeFailure(unassociated.associationError).code;
  // As DCMTK's storescu: an input that could not be read fails the run unless --no-halt.
  return failed.length > 0 || (skipped > 0 && !config.noHalt) ? ExitCode.failed : ExitCode.ok;
}

const USAGE = `usage: netdicom storescu ADDR PORT PATH... [+r] [+sd] [-aet TITLE] [-aec TITLE] [--max-pdu N]
       [-ta S] [-td S] [-tn S] [-to S] [--tls] [--tls-ca F] [--tls-cert F] [--tls-key F] [--tls-insecure]
       [--allow-conversion] [--async-ops N] [-nh] [--io sync|async] [-q|-v|-d|-ll LEVEL]`;

const DESCRIPTION = [
  'Storage SCU: sends DICOM files with C-STORE, streaming each from disk: Part 10 files, or data sets',
  'without File Meta Information (Implicit or Explicit VR Little Endian, as DCMTK reads them). Folders',
  'are scanned (with or without +sd; subfolders with +r). As in DCMTK\'s storescu, the first failure',
  'halts: a missing PATH or a file that is not DICOM (named, or found in a folder) before anything is',
  'sent, a failed C-STORE before the next file; -nh reports them and goes on.',
  'exit codes: 0 sent, 1 failed or skipped, 2 usage, 3 network, 4 rejected, 5 timeout, 6 aborted',
].join('\n');

const OPTIONS: readonly OptionSpec[] = [
  ...STORE_OPTIONS,
  { name: '--scan-directories', aliases: ['+sd'], help: 'send the files in folders (accepted for DCMTK: folders are always scanned)' },
  { name: '--recurse', aliases: ['+r'], help: 'send the files in folders and their subfolders' },
  { name: '--no-recurse', aliases: ['-r'], help: 'only the files directly in a folder (default)' },
  { name: '--call', aliases: ['-aec'], value: 'AET', help: "the peer's (called) AE title (default ANY-SCP)" },
  ...commonOptions('--acse-timeout', '--dimse-timeout', '--network-timeout', '--timeout'),
  { name: '--allow-conversion', help: 'convert between uncompressed transfer syntaxes when the peer accepts no other' },
  { name: '--async-ops', value: 'N', help: 'C-STOREs in flight per association when the peer agrees (1..65535, default 1)' },
  { name: '--no-halt', aliases: ['-nh'], help: 'do not halt at the first failure; skipped inputs (missing, not DICOM) are warnings then' },
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
    const { debug, quiet, logger } = logSettings(p, 'storescu');
    const networkTimeoutMs = secondsOption(p, '--network-timeout');
    const connectTimeoutMs = secondsOption(p, '--timeout');
    const noHalt = p.switches.has('--no-halt');
    return await runStoreScu({
      paths,
      recursive: p.switches.has('--recurse'),
      aeTitle: aeTitleOption(p, '--aetitle', 'STORESCU'),
      calledAeTitle: aeTitleOption(p, '--call', 'ANY-SCP', 'called AE title'),
      maxPdu: maxPduOption(p) ?? 16384,
      allowConversion: p.switches.has('--allow-conversion'),
      noHalt,
      halt: !noHalt,
      // 1..65535 C-STOREs in flight (PS3.7 D.3.3.3 Maximum Number Operations Invoked).
      asyncOps: intOption(p, '--async-ops', 1, 1, 0xffff),
      io: ioMode(optionValue(p, '--io')),
      debug,
      quiet,
      acseTimeoutMs: secondsOption(p, '--acse-timeout'),
      dimseTimeoutMs: dimseTimeoutOption(p),
      networkTimeoutMs,
      // -to bounds the connect and TLS handshake; without it -tn does, as in the other apps.
      connect: dialer({ tls: storeTlsSettings(p), networkTimeoutMs, connectTimeoutMs }, host, port),
      progress: process.stderr,
      out: (l) => io.out(l),
      err: (l) => io.err(l),
      logger,
    });
  } catch (error) {
    return fail('storescu', io, error);
  }
}
