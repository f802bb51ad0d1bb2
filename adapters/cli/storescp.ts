/**
 * `netdicom storescp PORT [-od DIR]`: a Storage SCP writing each instance as a Part 10 file
 * (adapters/node/fs-store: temp name, fsync, rename once complete) into DIR (default: the current
 * directory, as DCMTK's storescp), or discarding with --ignore.
 * Serves until SIGINT/SIGTERM: the first closes gracefully, a second aborts what is running.
 * `--stats S` prints a `stats {json}` line every S seconds and at exit (for the soak tests).
 */
import { readdirSync } from 'node:fs';
import { ApplicationEntity } from '../../src/ae';
import type { Logger } from '../../src/logger';
import type { Listener } from '../../src/transport';
import { storageSopClasses } from '../../src/uids/sop-classes';
import { TransferSyntax, transferSyntaxes } from '../../src/uids/transfer-syntax';
import { createFsStore, FILE_EXTENSION } from '../node/fs-store';
import { RECEIVER_RECLAIM_BYTES, setSocketReclaim } from '../node/reclaim';
import { formatMB } from './progress';
import type { FileIoOptions } from '../node/sync-read';
import {
  aeTitleOption, dimseTimeoutOption, formatHelp, intOption, IO_OPTION, ioMode, listener, logSettings, maxPduOption, optionValue, parseArgv, parsePort, positionals, secondsOption,
  STORE_OPTIONS, storeTlsSettings, UsageError, type OptionSpec,
} from './args';
import { consoleIo, ExitCode, fail, stopSignals, type AppIo } from './io';

const VERIFICATION = '1.2.840.10008.1.1';

/** Every known transfer syntax, uncompressed ones first: instances are stored as they come. */
export function storeTransferSyntaxes(): string[] {
  const first = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRBigEndian];
  const rest = transferSyntaxes().map((t) => t.uid).filter((uid) => !first.includes(uid as never));
  return [...first, ...rest];
}

/** What storescp runs with, after argument parsing. */
export interface StoreScpConfig {
  outputDir?: string;
  /** File writes: synchronous (default) or through the thread pool ({@link FileIoOptions.io}). */
  io?: FileIoOptions['io'];
  ignore: boolean;
  aeTitle: string;
  maxPdu: number;
  acceptAny: boolean;
  /** `-fe`: file names end in this instead of `.dcm`. */
  extension?: string;
  /** Waiting for a response (C-ECHO/C-STORE SCPs never do; kept for DCMTK's -td), ms; default the library's. */
  dimseTimeoutMs?: number;
  debug: boolean;
  quiet: boolean;
  /** Concurrent associations allowed (default 100); connections waiting for their RQ: twice that. */
  maxAssociations?: number;
  /** ARTIM: connect → complete A-ASSOCIATE-RQ, ms (default 30 s). */
  artimTimeoutMs?: number;
  /** Print a `stats {json}` line (memory, fds, event-loop delay, counts) this often, at start and at exit. */
  statsIntervalMs?: number;
  /** Opens the TCP or TLS listener. */
  listen(): Promise<Listener>;
  /** Resolves when the process is asked to stop; `force` on a second request. */
  stopSignal: { graceful: Promise<void>; force: Promise<void> };
  out(line: string): void;
  err(line: string): void;
  logger: Logger;
}

/** Runs storescp; resolves with the exit code once closed. */
export async function runStoreScp(config: StoreScpConfig): Promise<number> {
  if (!config.ignore && !config.outputDir) {
    config.err('storescp: -od DIR is required (or --ignore)');
    return ExitCode.usage;
  }
  const log = (line: string) => {
    if (!config.quiet) config.out(line);
  };
  const counts = { stored: 0, failed: 0 };
  const store = createFsStore({
    directory: config.outputDir ?? '.',
    ignore: config.ignore,
    io: config.io,
    ...(config.extension !== undefined && { fileExtension: config.extension }),
    onStored: (i) => {
      counts.stored++;
      log(`${i.path ? 'stored' : 'received'} ${i.sopInstanceUid} from ${i.callingAeTitle.trim()} (${formatMB(i.bytes)})${i.path ? ` -> ${i.path}` : ''}`);
    },
    onFailed: (i) => {
      counts.failed++;
      config.err(`failed ${i.sopInstanceUid}: status 0x${i.status.toString(16)} ${String((i.error as Error)?.message ?? i.error)}`);
    },
  });
  if (!config.ignore) {
    const swept = store.sweep();
    if (swept > 0) log(`removed ${swept} temporary file(s) left by an earlier run`);
  }
  const syntaxes = storeTransferSyntaxes();
  const ae = new ApplicationEntity({
    aeTitle: config.aeTitle,
    maxPduLength: config.maxPdu,
    logger: config.logger,
    debug: config.debug,
    ...(config.artimTimeoutMs !== undefined && { artimTimeoutMs: config.artimTimeoutMs }),
    ...(config.dimseTimeoutMs !== undefined && { dimseTimeoutMs: config.dimseTimeoutMs }),
  });
  ae.addSupportedContext(VERIFICATION);
  if (config.acceptAny) ae.acceptAnyStorage(syntaxes);
  else for (const uid of storageSopClasses()) ae.addSupportedContext(uid, syntaxes);
  const listener = await config.listen();
  const warn = (m: string) => config.err(`storescp: ${m}`);
  const server = ae.serve(
    listener,
    {
      cStore: store.cStore,
      aborted: (a, error) => log(`association with ${a.remoteAddress ?? 'peer'} aborted${error ? `: ${error.message}` : ''}`),
    },
    { maxAssociations: config.maxAssociations, logger: { debug() {}, info() {}, warn, error: warn } },
  );
  log(`storescp: listening on ${listener.address} as ${config.aeTitle}${config.ignore ? ' (discarding)' : `, writing to ${store.directory}`}`);
  const stats = config.statsIntervalMs ? statsPrinter(config.statsIntervalMs, (l) => config.out(l), () => ({ address: listener.address, associations: server.associations.size, ...counts })) : undefined;
  await config.stopSignal.graceful;
  log('storescp: closing (running associations finish; signal again to abort them)');
  await Promise.race([server.close(), config.stopSignal.force.then(() => server.close({ force: true }))]);
  stats?.stop();
  return 0;
}

/**
 * Prints `stats {json}` now, every `intervalMs` and on stop(): pid, RSS and peak RSS, heap,
 * arrayBuffers, open fds (Linux /proc/self/fd), event-loop delay since start (p50/p99/max ms
 * beyond the 10 ms sampling timer of perf_hooks.monitorEventLoopDelay) and whatever `extra` returns.
 */
function statsPrinter(intervalMs: number, out: (line: string) => void, extra: () => object): { stop(): void } {
  // node:perf_hooks only with --stats: a receiver without it does not carry the module.
  const { monitorEventLoopDelay } = process.getBuiltinModule('node:perf_hooks');
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  // The histogram records when each 10 ms timer fired; the delay is what exceeds the 10 ms.
  const ms = (ns: number) => Math.max(0, Math.round(ns / 1e4 - 1000) / 100);
  const print = () => {
    const m = process.memoryUsage();
    let fds: number | null = null;
    try {
      fds = readdirSync('/proc/self/fd').length;
    } catch {
      // not Linux
    }
    const eventLoopDelayMs = delay.count > 0 ? { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), samples: delay.count } : null;
    out(`stats ${JSON.stringify({ pid: process.pid, rss: m.rss, peakRss: process.resourceUsage().maxRSS * 1024, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, fds, eventLoopDelayMs, ...extra() })}`);
  };
  print();
  const timer = setInterval(print, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      print();
      delay.disable();
    },
  };
}

const USAGE = `usage: netdicom storescp PORT [-od DIR | --ignore] [-aet TITLE] [--max-pdu N] [--accept-any|-pm]
       [-fe EXT] [--bind HOST] [--max-associations N] [-ta S] [-td S] [--stats S]
       [--tls-cert F --tls-key F [--tls-ca F] [--tls-require-client]] [-q|-v|-d|-ll LEVEL]`;

const DESCRIPTION = [
  'Storage SCP: receives DICOM instances with C-STORE until interrupted, each streamed to a temporary',
  'file in DIR (default: the current directory) and renamed into place before success is answered',
  '(or discarded with --ignore). Files are written as they arrive, always bit-preserving (+B).',
  'exit codes: 0 stopped by a signal, 1 failed, 2 usage, 3 cannot listen',
].join('\n');

const OPTIONS: readonly OptionSpec[] = [
  ...STORE_OPTIONS,
  { name: '--output-directory', aliases: ['-od'], value: 'DIR', help: 'write received instances to DIR (default .)' },
  { name: '--ignore', help: 'receive and discard (no files)' },
  { name: '--accept-any', aliases: ['-pm', '--promiscuous'], help: 'accept every storage SOP class, also ones not in the registry' },
  { name: '--bit-preserving', aliases: ['+B'], help: "write data sets exactly as received (DCMTK's +B; always so here)" },
  { name: '--filename-extension', aliases: ['-fe'], value: 'EXT', help: 'file names <SOP Instance UID>EXT instead of <SOP Instance UID>.dcm' },
  { name: '--bind', value: 'HOST', help: 'address to listen on (default 0.0.0.0)' },
  { name: '--max-associations', value: 'N', help: 'concurrent associations, at least 1 (default 100)' },
  { name: '--acse-timeout', aliases: ['-ta'], value: 'S', help: 'ARTIM: connect to complete A-ASSOCIATE-RQ, in seconds (default 30)' },
  { name: '--dimse-timeout', aliases: ['-td'], value: 'S', help: 'DIMSE timeout in seconds (default and 0: unlimited, as DCMTK)' },
  { name: '--stats', value: 'S', help: 'print a stats {json} line every S seconds and at exit' },
  IO_OPTION,
];

/**
 * `netdicom storescp ...`: parses `argv` (after the app name), serves until SIGINT/SIGTERM; resolves
 * with the exit code. A usage error is one line on `io.err` (`storescp: <reason>`) and exit 2, as in
 * the other apps; every option is checked before a file is read or anything listens.
 */
export async function storescpMain(argv: readonly string[], io: AppIo = consoleIo): Promise<number> {
  let stop: ReturnType<typeof stopSignals> | undefined;
  try {
    const p = parseArgv(argv, OPTIONS);
    if (p.switches.has('--help')) {
      io.out(formatHelp(USAGE.slice('usage: '.length), DESCRIPTION, OPTIONS));
      return ExitCode.ok;
    }
    const [portText] = positionals(p, ['PORT']);
    const fileIo = ioMode(optionValue(p, '--io'));
    // This process only receives: it may collect its read buffers more often (reclaim.ts).
    setSocketReclaim(RECEIVER_RECLAIM_BYTES);
    stop = stopSignals();
    const port = parsePort(portText, true);
    // DCMTK's default: the current directory.
    const outputDir = optionValue(p, '--output-directory') ?? '.';
    // Here, not in runStoreScp: a usage error must come before the TLS files are read.
    if (!outputDir) throw new UsageError('-od needs a directory');
    const extension = optionValue(p, '--filename-extension');
    // Names from the network never leave DIR; neither may one we build from EXT.
    if (extension !== undefined && !FILE_EXTENSION.test(extension)) throw new UsageError(`-fe EXT must be up to 16 letters, digits, '.', '_' or '-', got '${extension}'`);
    const { debug, quiet, logger } = logSettings(p, 'storescp');
    return await runStoreScp({
      outputDir,
      io: fileIo,
      ignore: p.switches.has('--ignore'),
      aeTitle: aeTitleOption(p, '--aetitle', 'STORESCP'),
      maxPdu: maxPduOption(p) ?? 16384,
      acceptAny: p.switches.has('--accept-any'),
      extension,
      dimseTimeoutMs: dimseTimeoutOption(p),
      // 0 would refuse every association: at least 1.
      maxAssociations: intOption(p, '--max-associations', 100, 1),
      artimTimeoutMs: secondsOption(p, '--acse-timeout'),
      statsIntervalMs: secondsOption(p, '--stats'),
      debug,
      quiet,
      // DCMTK's storescp listens on every interface; so do we unless told otherwise.
      listen: listener({ tls: storeTlsSettings(p) }, optionValue(p, '--bind') ?? '0.0.0.0', port),
      stopSignal: stop,
      out: (l) => io.out(l),
      err: (l) => io.err(l),
      logger,
    });
  } catch (error) {
    return fail('storescp', io, error);
  } finally {
    stop?.dispose();
  }
}
