/**
 * `netdicom storescp PORT -od DIR`: a Storage SCP writing each instance as a Part 10 file
 * (adapters/node/fs-store: temp name, fsync, rename once complete), or discarding with --ignore.
 * Serves until SIGINT/SIGTERM: the first closes gracefully, a second aborts what is running.
 * `--stats S` prints a `stats {json}` line every S seconds and at exit (for the soak tests).
 */
import { readdirSync } from 'node:fs';
import { ApplicationEntity } from '../../src/ae';
import { consoleLogger, silentLogger, type Logger } from '../../src/logger';
import type { Listener } from '../../src/transport';
import { storageSopClasses } from '../../src/uids/sop-classes';
import { TransferSyntax, transferSyntaxes } from '../../src/uids/transfer-syntax';
import { createFsStore } from '../node/fs-store';
import { RECEIVER_RECLAIM_BYTES, setSocketReclaim } from '../node/reclaim';
import { formatMB } from './progress';
import type { FileIoOptions } from '../node/sync-read';
import {
  aeTitleOption, formatHelp, intOption, IO_OPTION, ioMode, listener, optionValue, parseArgv, parsePort, positionals, secondsOption, STORE_OPTIONS, storeTlsSettings, UsageError, type OptionSpec,
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

const USAGE = `usage: netdicom storescp PORT (-od DIR | --ignore) [-aet TITLE] [--max-pdu N] [--accept-any]
       [--bind HOST] [--max-associations N] [-ta|--acse-timeout S] [--stats S]
       [--tls-cert F --tls-key F [--tls-ca F] [--tls-require-client]] [-d] [-q]`;

const DESCRIPTION = [
  'Storage SCP: receives DICOM instances with C-STORE until interrupted, each streamed to a temporary',
  'file in DIR and renamed into place before success is answered (or discarded with --ignore).',
  'exit codes: 0 stopped by a signal, 1 failed, 2 usage, 3 cannot listen',
].join('\n');

const OPTIONS: readonly OptionSpec[] = [
  ...STORE_OPTIONS,
  { name: '--output-directory', aliases: ['-od'], value: 'DIR', help: 'write received instances to DIR' },
  { name: '--ignore', help: 'receive and discard (no files)' },
  { name: '--accept-any', help: 'accept every storage SOP class, also ones not in the registry' },
  { name: '--bind', value: 'HOST', help: 'address to listen on (default 0.0.0.0)' },
  { name: '--max-associations', value: 'N', help: 'concurrent associations, at least 1 (default 100)' },
  { name: '--acse-timeout', aliases: ['-ta'], value: 'S', help: 'ARTIM: connect to complete A-ASSOCIATE-RQ, in seconds (default 30)' },
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
    const outputDir = optionValue(p, '--output-directory');
    // Here, not in runStoreScp: a usage error must come before the TLS files are read.
    if (!p.switches.has('--ignore') && !outputDir) throw new UsageError('-od DIR is required (or --ignore)');
    const debug = p.switches.has('--debug');
    return await runStoreScp({
      outputDir,
      io: fileIo,
      ignore: p.switches.has('--ignore'),
      aeTitle: aeTitleOption(p, '--aetitle', 'STORESCP'),
      maxPdu: intOption(p, '--max-pdu', 16384),
      acceptAny: p.switches.has('--accept-any'),
      // 0 would refuse every association: at least 1.
      maxAssociations: intOption(p, '--max-associations', 100, 1),
      artimTimeoutMs: secondsOption(p, '--acse-timeout'),
      statsIntervalMs: secondsOption(p, '--stats'),
      debug,
      quiet: p.switches.has('--quiet'),
      // DCMTK's storescp listens on every interface; so do we unless told otherwise.
      listen: listener({ tls: storeTlsSettings(p) }, optionValue(p, '--bind') ?? '0.0.0.0', port),
      stopSignal: stop,
      out: (l) => io.out(l),
      err: (l) => io.err(l),
      logger: debug ? consoleLogger({ verbose: true, prefix: 'storescp' }) : silentLogger,
    });
  } catch (error) {
    return fail('storescp', io, error);
  } finally {
    stop?.dispose();
  }
}
