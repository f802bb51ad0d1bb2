/**
 * The argv parser of every `netdicom` app, with DCMTK/pynetdicom spellings: positional
 * `ADDR PORT` (SCPs: `PORT`), `-aet`, `-aec`, `--max-pdu`, `-ta/-td/-tn/-to` in seconds, `-q`,
 * `-v`, `-d`, `-ll`, `--tls-cert/--tls-key/--tls-ca`, `-h`. Each app adds its own options; the
 * help text is generated from the same table, so every option is described. Also here: typed option values,
 * TLS dialing/listening from the options, the parse-with-help wrapper and the Query/Retrieve
 * options (information model switches, `-k` keys).
 */
import type { FileIoOptions } from '../node/sync-read';
import { readFileSync } from 'node:fs';
import { aeTitleProblem } from '../../src/bytes/text';
import type { AeOptions } from '../../src/options';
import { consoleLogger, silentLogger, type Logger } from '../../src/logger';
import type { QueryModel } from '../../src/scu/query-models';
import type { Listener, Transport } from '../../src/transport';
// The transports only: the node/index barrel would also load the Q/R SCP (and the data set codec).
import { connectTcp, listenTcp } from '../node/tcp';
import { connectTls, listenTls } from '../node/tls';
import type { AppIo } from './io';

/** One option: its canonical name, aliases, the value's placeholder (absent for switches) and help. */
export interface OptionSpec {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** Placeholder shown in the help, e.g. 'N' or 'FILE'. Absent: a switch. */
  readonly value?: string;
  readonly help: string;
}

/** Bad usage: the message is the one-line reason; exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The result of {@link parseArgv}: positionals in order, option values by canonical name. */
export interface ParsedArgv {
  readonly positionals: string[];
  /** Every value given, in order (the last one wins for single-valued options). */
  readonly values: Map<string, string[]>;
  readonly switches: Set<string>;
}

/** `-td`: as in DCMTK, no DIMSE timeout unless given (the library's own default is 30 s). */
const DIMSE_TIMEOUT_OPTION: OptionSpec = {
  name: '--dimse-timeout', aliases: ['-td'], value: 'S', help: 'DIMSE timeout in seconds (waiting for a response; default and 0: unlimited, as DCMTK)',
};
/** `-to`: DCMTK's timeout for connection requests. */
const CONNECT_TIMEOUT_OPTION: OptionSpec = {
  name: '--timeout', aliases: ['-to'], value: 'S', help: 'connect timeout in seconds (TCP connect and TLS handshake; default: -tn, else unlimited)',
};

/** Options every networked app accepts. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { name: '--help', aliases: ['-h'], help: 'print this help text and exit' },
  { name: '--verbose', aliases: ['-v'], help: 'verbose mode: also print what the library logs (association accepted, rejected, ...)' },
  { name: '--debug', aliases: ['-d'], help: 'debug mode: print PDU and DIMSE dumps (implies -v)' },
  { name: '--quiet', aliases: ['-q'], help: 'quiet mode: print no progress, only errors' },
  { name: '--log-level', aliases: ['-ll'], value: 'LEVEL', help: 'fatal or error (as -q), warn (default), info (as -v), debug or trace (as -d)' },
  { name: '--aetitle', aliases: ['-aet'], value: 'AET', help: 'our (calling / own) AE title' },
  { name: '--max-pdu', aliases: ['-pdu'], value: 'N', help: 'largest P-DATA PDU we receive, in bytes (4096..16777216, 0 = no limit; default 16384)' },
  { name: '--acse-timeout', aliases: ['-ta'], value: 'S', help: 'ACSE timeout in seconds (association and release; default 30)' },
  DIMSE_TIMEOUT_OPTION,
  { name: '--network-timeout', aliases: ['-tn'], value: 'S', help: 'network timeout in seconds (idle association; also the connect unless -to; default 60)' },
  CONNECT_TIMEOUT_OPTION,
  { name: '--tls-cert', value: 'FILE', help: 'TLS: our certificate (PEM); SCPs need it with --tls-key to listen with TLS' },
  { name: '--tls-key', value: 'FILE', help: 'TLS: our private key (PEM)' },
  { name: '--tls-ca', value: 'FILE', help: 'TLS: CA certificate(s) to trust (PEM); SCPs then require client certificates' },
];

/** `--io sync|async`: how an app reads and writes files ({@link FileIoOptions.io}). */
export const IO_OPTION: OptionSpec = {
  name: '--io',
  value: 'MODE',
  help: "file reads and writes: 'sync' (default; each call a bounded page-cache copy) or 'async' (the thread pool: for slow or network file systems)",
};

/** The value of `--io`, checked; undefined when not given. */
export function ioMode(value: string | undefined): FileIoOptions['io'] {
  if (value === undefined || value === 'sync' || value === 'async') return value;
  throw new UsageError(`--io must be 'sync' or 'async', not '${value}'`);
}

/** Options of SCU apps only. */
export const SCU_OPTIONS: readonly OptionSpec[] = [
  { name: '--called-aetitle', aliases: ['-aec', '--call'], value: 'AET', help: "the peer's (called) AE title (default ANY-SCP)" },
];

/** The entries of {@link COMMON_OPTIONS} with these names, in this order. */
export function commonOptions(...names: readonly string[]): OptionSpec[] {
  return names.map((name) => {
    const spec = COMMON_OPTIONS.find((o) => o.name === name);
    if (!spec) throw new Error(`no common option ${name}`);
    return spec;
  });
}

/**
 * Options storescu and storescp share (DCMTK's storescu/storescp spellings): the common ones
 * they take, `--tls` (TLS with the system's CAs), `--tls-insecure` (SCU: no server certificate
 * check) and `--tls-require-client` (SCP: client certificates required; `--tls-ca` alone does not).
 */
export const STORE_OPTIONS: readonly OptionSpec[] = [
  ...commonOptions('--aetitle', '--max-pdu', '--verbose', '--debug', '--quiet', '--log-level'),
  { name: '--tls', help: 'use TLS (trusting the system CAs unless --tls-ca)' },
  ...commonOptions('--tls-ca', '--tls-cert', '--tls-key'),
  { name: '--tls-insecure', help: 'TLS: do not verify the server certificate (SCU)' },
  { name: '--tls-require-client', help: 'TLS: require a client certificate signed by --tls-ca (SCP)' },
  ...commonOptions('--help'),
];

/** Parses `argv` against `specs`. Throws {@link UsageError} for unknown options or missing values. */
export function parseArgv(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgv {
  const byFlag = new Map<string, OptionSpec>();
  for (const spec of specs) for (const flag of [spec.name, ...(spec.aliases ?? [])]) byFlag.set(flag, spec);
  const parsed: ParsedArgv = { positionals: [], values: new Map(), switches: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      parsed.positionals.push(...argv.slice(i + 1));
      break;
    }
    // '-' and '+' alone and negative numbers are positionals; any other '+word' is a flag as in
    // DCMTK (+r, +xs): an unknown one is refused like an unknown '-word', not taken as a path.
    if (!/^[-+]./.test(arg) || /^-\d/.test(arg)) {
      parsed.positionals.push(arg);
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = byFlag.get(flag);
    if (!spec) throw new UsageError(`unknown option ${flag}`);
    if (!spec.value) {
      if (eq > 0) throw new UsageError(`option ${flag} takes no value`);
      parsed.switches.add(spec.name);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`option ${flag} needs a value (${spec.value})`);
    parsed.values.set(spec.name, [...(parsed.values.get(spec.name) ?? []), value]);
  }
  return parsed;
}

/** The last value of an option. */
export function optionValue(p: ParsedArgv, name: string): string | undefined {
  return p.values.get(name)?.at(-1);
}

/** An integer option within [min, max] (default: any ≥ 0), or `fallback`. */
export function intOption(p: ParsedArgv, name: string, fallback: number, min = 0, max = Infinity): number {
  const raw = optionValue(p, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new UsageError(`${name} must be an integer ${max === Infinity ? `≥ ${min}` : `in ${min}..${max}`}, got '${raw}'`);
  }
  return n;
}

/**
 * An AE title option (PS3.5 AE VR: 1-16 characters, not only spaces, printable ASCII but
 * backslash), or `fallback` when not given.
 */
export function aeTitleOption(p: ParsedArgv, name: string, fallback: string, what = 'AE title'): string {
  const value = optionValue(p, name) ?? fallback;
  if (value.trim().length === 0 || value.length > 16) throw new UsageError(`${what} must be 1-16 characters, got '${value}'`);
  // Checked here too: the ApplicationEntity would refuse it later, as a failure (exit 1), not a usage error.
  const problem = aeTitleProblem(value, what);
  if (problem) throw new UsageError(problem);
  return value;
}

/** `--max-pdu`: 0 (no limit, PS3.8 D.1) or 4096..16 MiB, in every app; undefined when not given. */
export function maxPduOption(p: ParsedArgv): number | undefined {
  const raw = optionValue(p, '--max-pdu');
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || (n !== 0 && (n < 4096 || n > 16 * 1024 * 1024))) {
    throw new UsageError(`--max-pdu must be 0 (no limit) or an integer in 4096..16777216, got '${raw}'`);
  }
  return n;
}

/** `-td` in ms: Infinity when not given or 0 (DCMTK's default "unlimited"; DCMTK itself refuses 0). */
export function dimseTimeoutOption(p: ParsedArgv): number {
  const raw = optionValue(p, '--dimse-timeout');
  if (raw !== undefined && raw.trim() !== '' && Number(raw) === 0) return Infinity;
  return secondsOption(p, '--dimse-timeout') ?? Infinity;
}

/** How much the app prints: `-q`, `-v`, `-d` and DCMTK's `-ll LEVEL` mapped onto them. */
export interface LogSettings {
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly debug: boolean;
  /** The library's logger: silent, info and up (-v), or everything with PDU/DIMSE dumps (-d). */
  readonly logger: Logger;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** The log settings of the options; `prefix` names the app in logged lines. */
export function logSettings(p: ParsedArgv, prefix: string): LogSettings {
  const level = optionValue(p, '--log-level');
  if (level !== undefined && !LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${level}'`);
  const debug = p.switches.has('--debug') || level === 'debug' || level === 'trace';
  const verbose = debug || p.switches.has('--verbose') || level === 'info';
  const quiet = p.switches.has('--quiet') || level === 'fatal' || level === 'error';
  const logger = verbose ? consoleLogger({ verbose: debug, prefix }) : silentLogger;
  return { quiet, verbose, debug, logger };
}

/** A positive number of seconds as ms, or undefined when not given. */
export function secondsOption(p: ParsedArgv, name: string): number | undefined {
  const raw = optionValue(p, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} needs a positive number of seconds, got '${raw}'`);
  return n * 1000;
}

/** A port positional (1-65535; 0 allowed for SCPs: any free port). */
export function parsePort(text: string | undefined, allowZero = false): number {
  const n = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || n > 65535 || (n === 0 && !allowZero)) {
    throw new UsageError(`PORT must be ${allowZero ? '0' : '1'}-65535, got '${text ?? ''}'`);
  }
  return n;
}

/** Exactly `names.length` positionals, or a UsageError naming what is missing. */
export function positionals(p: ParsedArgv, names: readonly string[]): string[] {
  if (p.positionals.length < names.length) throw new UsageError(`missing ${names.slice(p.positionals.length).join(' ')}`);
  if (p.positionals.length > names.length) throw new UsageError(`unexpected argument '${p.positionals[names.length]}'`);
  return p.positionals;
}

/** `ADDR PORT [QUERYFILE...]` of findscu, getscu, movescu (DCMTK's `peer port [dcmfile-in...]`). */
export function queryPositionals(p: ParsedArgv): string[] {
  return p.positionals.length < 2 ? positionals(p, ['ADDR', 'PORT']) : p.positionals;
}

/** TLS files (PEM paths) and checks, from the --tls-* options. */
export interface TlsSettings {
  readonly cert?: string;
  readonly key?: string;
  readonly ca?: string;
  /** SCU: accept any server certificate (--tls-insecure). */
  readonly insecure?: boolean;
  /** SCP: require client certificates. Default: when a CA is given. */
  readonly requireClient?: boolean;
}

/** How to dial and listen: TCP when `tls` is null; `connectTimeoutMs` (else `networkTimeoutMs`) bounds the connect. */
export interface NetSettings {
  readonly networkTimeoutMs?: number;
  /** `-to`: the connect and TLS handshake only. */
  readonly connectTimeoutMs?: number;
  readonly tls: TlsSettings | null;
}

/** What the common options mean, ready for ApplicationEntity, the dialer and the listener. */
export interface CommonSettings extends NetSettings {
  readonly ae: Partial<AeOptions>;
  readonly calledAeTitle: string;
  readonly debug: boolean;
  readonly verbose: boolean;
  readonly quiet: boolean;
}

/**
 * The TLS settings of storescu/storescp ({@link STORE_OPTIONS}): TLS with `--tls` or any
 * `--tls-ca/--tls-cert/--tls-key`; client certificates required only with `--tls-require-client`.
 */
export function storeTlsSettings(p: ParsedArgv): TlsSettings | null {
  const [cert, key, ca] = ['--tls-cert', '--tls-key', '--tls-ca'].map((n) => optionValue(p, n));
  if (!p.switches.has('--tls') && cert === undefined && key === undefined && ca === undefined) return null;
  return { cert, key, ca, insecure: p.switches.has('--tls-insecure'), requireClient: p.switches.has('--tls-require-client') };
}

/** Interprets the common options. `defaultAeTitle` is the app's own name, as in DCMTK (ECHOSCU, ...). */
export function commonSettings(p: ParsedArgv, defaultAeTitle: string): CommonSettings {
  const aeTitle = aeTitleOption(p, '--aetitle', defaultAeTitle);
  const calledAeTitle = aeTitleOption(p, '--called-aetitle', 'ANY-SCP', 'called AE title');
  const { debug, verbose, quiet, logger } = logSettings(p, defaultAeTitle.toLowerCase());
  const maxPdu = maxPduOption(p);
  const [acse, network, connect] = [secondsOption(p, '--acse-timeout'), secondsOption(p, '--network-timeout'), secondsOption(p, '--timeout')];
  const [cert, key, ca] = ['--tls-cert', '--tls-key', '--tls-ca'].map((n) => optionValue(p, n));
  if (Boolean(cert) !== Boolean(key)) throw new UsageError('--tls-cert and --tls-key go together');
  return {
    ae: {
      aeTitle,
      ...(maxPdu !== undefined && { maxPduLength: maxPdu }),
      ...(acse !== undefined && { acseTimeoutMs: acse }),
      dimseTimeoutMs: dimseTimeoutOption(p),
      ...(network !== undefined && { networkTimeoutMs: network }),
      logger,
      debug,
    },
    calledAeTitle,
    debug,
    verbose,
    quiet,
    networkTimeoutMs: network,
    connectTimeoutMs: connect,
    tls: cert || key || ca ? { cert, key, ca } : null,
  };
}

const pem = (file: string | undefined) => (file ? readFileSync(file) : undefined);

/** A connect function as the settings say (TCP, or TLS); the PEM files are read now, so a missing one fails here. */
export function dialer(s: NetSettings, host: string, port: number): () => Promise<Transport> {
  const timeoutMs = s.connectTimeoutMs ?? s.networkTimeoutMs;
  if (!s.tls) return () => connectTcp({ host, port, timeoutMs });
  const [ca, cert, key] = [pem(s.tls.ca), pem(s.tls.cert), pem(s.tls.key)];
  const rejectUnauthorized = !s.tls.insecure;
  return () => connectTls({ host, port, timeoutMs, ca, cert, key, rejectUnauthorized });
}

/** Connects as the settings say (TCP, or TLS when any --tls-* option is given). */
export function dialFor(s: NetSettings, host: string, port: number): Promise<Transport> {
  return dialer(s, host, port)();
}

/**
 * A listen function as the settings say; TLS needs --tls-cert and --tls-key (checked and read
 * now) and asks for client certificates when `requireClient` (default: with --tls-ca).
 */
export function listener(s: NetSettings, host: string, port: number): () => Promise<Listener & { port: number }> {
  if (!s.tls) return () => listenTcp({ host, port });
  if (!s.tls.cert || !s.tls.key) throw new UsageError('a TLS SCP needs --tls-cert and --tls-key');
  const [cert, key, ca] = [pem(s.tls.cert)!, pem(s.tls.key)!, pem(s.tls.ca)];
  const requestCert = s.tls.requireClient ?? Boolean(s.tls.ca);
  return () => listenTls({ host, port, cert, key, ca, requestCert });
}

/** Listens as the settings say (see {@link listener}). */
export function listenFor(s: NetSettings, host: string, port: number): Promise<Listener & { port: number }> {
  return listener(s, host, port)();
}

/** The help text: usage line, description, then every option with its aliases and placeholder. */
export function formatHelp(usage: string, description: string, specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => [[...(s.aliases ?? []), s.name].join(', ') + (s.value ? ` ${s.value}` : ''), s.help] as const);
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  return [`usage: ${usage}`, '', description, '', 'options:', ...rows.map(([f, h]) => `  ${f.padEnd(width)}${h}`)].join('\n');
}

/** Parsed arguments with the common settings, and accessors by canonical option name. */
export interface AppArgs {
  readonly argv: ParsedArgv;
  readonly settings: CommonSettings;
  has(name: string): boolean;
  all(name: string): string[];
  last(name: string): string | undefined;
}

/** Parses argv; null when --help was printed. Throws UsageError with the reason for bad usage. */
export function parseAppArgs(argv: readonly string[], options: readonly OptionSpec[], app: string, usage: string, description: string, io: AppIo): AppArgs | null {
  const parsed = parseArgv(argv, options);
  if (parsed.switches.has('--help')) {
    io.out(formatHelp(usage, description, options));
    return null;
  }
  return {
    argv: parsed,
    settings: commonSettings(parsed, app.toUpperCase()),
    has: (name) => parsed.switches.has(name),
    all: (name) => parsed.values.get(name) ?? [],
    last: (name) => parsed.values.get(name)?.at(-1),
  };
}

/**
 * Query/Retrieve information models: -P patient root (default), -S study root, -O patient/study
 * only. Patient Root is the default of DCMTK's getscu and movescu and of pynetdicom's findscu,
 * getscu and movescu (DCMTK's findscu defaults to the worklist model; we follow pynetdicom there).
 */
export const MODEL_OPTIONS: readonly OptionSpec[] = [
  { name: '--patient', aliases: ['-P'], help: 'Patient Root information model (default)' },
  { name: '--study', aliases: ['-S'], help: 'Study Root information model' },
  { name: '--psonly', aliases: ['-O'], help: 'Patient/Study Only information model (retired)' },
];
/** -W: Modality Worklist (findscu). */
export const WORKLIST_OPTION: OptionSpec = { name: '--worklist', aliases: ['-W'], help: 'Modality Worklist information model' };
export const KEY_OPTION: OptionSpec = {
  name: '--key', aliases: ['-k'], value: 'KEY[=VALUE]',
  help: 'query key: keyword or (gggg,eeee), Sequence[0].Keyword for items; no value = return key (repeat)',
};

/** The information model the switches chose; `patient` by default (see {@link MODEL_OPTIONS}). */
export function modelOf(args: AppArgs, allowed: readonly QueryModel[]): QueryModel {
  const chosen = (['patient', 'study', 'psonly', 'worklist'] as const).filter((m) => args.has(`--${m}`));
  if (chosen.length > 1) throw new UsageError(`choose one information model, got ${chosen.join(' and ')}`);
  const model = chosen[0] ?? 'patient';
  if (!allowed.includes(model)) throw new UsageError(`the ${model} model is not available here`);
  return model;
}
