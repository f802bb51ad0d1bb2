/**
 * A small argv parser for the `netdicom` apps, with DCMTK/pynetdicom spellings: positional
 * `ADDR PORT` (SCPs: `PORT`), `-aet`, `-aec`, `--max-pdu`, `-ta/-td/-tn` in seconds, `-d`, `-q`,
 * `--tls-cert/--tls-key/--tls-ca`, `-h`. Each app adds its own options; the help text is
 * generated from the same table, so every option is described.
 */
import { readFileSync } from 'node:fs';
import type { AeOptions } from '../../src/options';
import { consoleLogger, silentLogger } from '../../src/logger';
import type { Listener, Transport } from '../../src/transport';
import { connectTcp, connectTls, listenTcp, listenTls } from '../node/index';

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

/** Options every networked app accepts. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { name: '--help', aliases: ['-h'], help: 'print this help text and exit' },
  { name: '--debug', aliases: ['-d'], help: 'debug mode: print PDU and DIMSE dumps' },
  { name: '--quiet', aliases: ['-q'], help: 'quiet mode: print no progress, only errors' },
  { name: '--aetitle', aliases: ['-aet'], value: 'AET', help: 'our (calling / own) AE title' },
  { name: '--max-pdu', aliases: ['-pdu'], value: 'N', help: 'largest P-DATA PDU we receive, in bytes (4096..16777216, default 16384)' },
  { name: '--acse-timeout', aliases: ['-ta'], value: 'S', help: 'ACSE timeout in seconds (association and release; default 30)' },
  { name: '--dimse-timeout', aliases: ['-td'], value: 'S', help: 'DIMSE timeout in seconds (waiting for a response; default 30)' },
  { name: '--network-timeout', aliases: ['-tn'], value: 'S', help: 'network timeout in seconds (connect, idle association; default 60)' },
  { name: '--tls-cert', value: 'FILE', help: 'TLS: our certificate (PEM); SCPs need it with --tls-key to listen with TLS' },
  { name: '--tls-key', value: 'FILE', help: 'TLS: our private key (PEM)' },
  { name: '--tls-ca', value: 'FILE', help: 'TLS: CA certificate(s) to trust (PEM); SCPs then require client certificates' },
];

/** Options of SCU apps only. */
export const SCU_OPTIONS: readonly OptionSpec[] = [
  { name: '--called-aetitle', aliases: ['-aec'], value: 'AET', help: "the peer's (called) AE title (default ANY-SCP)" },
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
    // '-' alone and negative numbers are positionals, not flags; '+' words only when an option
    // is spelled so (DCMTK's +xs, +r), else they are positionals too.
    const plusFlag = arg.startsWith('+') && byFlag.has(arg);
    if ((!arg.startsWith('-') && !plusFlag) || arg === '-' || /^-\d/.test(arg)) {
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

/** An integer option within [min, max], or `fallback`. */
export function intOption(p: ParsedArgv, name: string, fallback: number, min: number, max: number): number {
  const raw = optionValue(p, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new UsageError(`${name} must be an integer in ${min}..${max}, got '${raw}'`);
  return n;
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

/** What the common options mean, ready for ApplicationEntity, the dialer and the listener. */
export interface CommonSettings {
  readonly ae: Partial<AeOptions>;
  readonly calledAeTitle: string;
  readonly debug: boolean;
  readonly quiet: boolean;
  /** Network timeout in ms (also used to bound the TCP/TLS connect). */
  readonly networkTimeoutMs?: number;
  readonly tls: { readonly cert?: string; readonly key?: string; readonly ca?: string } | null;
}

function seconds(p: ParsedArgv, name: string): number | undefined {
  const raw = optionValue(p, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} needs a positive number of seconds, got '${raw}'`);
  return n * 1000;
}

/** Interprets the common options. `defaultAeTitle` is the app's own name, as in DCMTK (ECHOSCU, ...). */
export function commonSettings(p: ParsedArgv, defaultAeTitle: string): CommonSettings {
  const aeTitle = optionValue(p, '--aetitle') ?? defaultAeTitle;
  if (aeTitle.trim().length === 0 || aeTitle.length > 16) throw new UsageError(`AE title must be 1-16 characters, got '${aeTitle}'`);
  const calledAeTitle = optionValue(p, '--called-aetitle') ?? 'ANY-SCP';
  if (calledAeTitle.trim().length === 0 || calledAeTitle.length > 16) throw new UsageError(`called AE title must be 1-16 characters, got '${calledAeTitle}'`);
  const debug = p.switches.has('--debug');
  const quiet = p.switches.has('--quiet');
  const maxPdu = optionValue(p, '--max-pdu') === undefined ? undefined : intOption(p, '--max-pdu', 16384, 4096, 16 * 1024 * 1024);
  const [acse, dimse, network] = [seconds(p, '--acse-timeout'), seconds(p, '--dimse-timeout'), seconds(p, '--network-timeout')];
  const [cert, key, ca] = ['--tls-cert', '--tls-key', '--tls-ca'].map((n) => optionValue(p, n));
  if (Boolean(cert) !== Boolean(key)) throw new UsageError('--tls-cert and --tls-key go together');
  const logger = debug ? consoleLogger({ verbose: true, prefix: defaultAeTitle.toLowerCase() }) : silentLogger;
  return {
    ae: {
      aeTitle,
      ...(maxPdu !== undefined && { maxPduLength: maxPdu }),
      ...(acse !== undefined && { acseTimeoutMs: acse }),
      ...(dimse !== undefined && { dimseTimeoutMs: dimse }),
      ...(network !== undefined && { networkTimeoutMs: network }),
      logger,
      debug,
    },
    calledAeTitle,
    debug,
    quiet,
    networkTimeoutMs: network,
    tls: cert || key || ca ? { cert, key, ca } : null,
  };
}

const pem = (file: string | undefined) => (file ? readFileSync(file) : undefined);

/** Connects as the settings say (TCP, or TLS when any --tls-* option is given). */
export function dialFor(s: CommonSettings, host: string, port: number): Promise<Transport> {
  const timeoutMs = s.networkTimeoutMs;
  if (!s.tls) return connectTcp({ host, port, timeoutMs });
  return connectTls({ host, port, timeoutMs, ca: pem(s.tls.ca), cert: pem(s.tls.cert), key: pem(s.tls.key) });
}

/** Listens as the settings say; TLS needs --tls-cert and --tls-key, and --tls-ca turns on client certificates. */
export function listenFor(s: CommonSettings, host: string, port: number): Promise<Listener & { port: number }> {
  if (!s.tls) return listenTcp({ host, port });
  if (!s.tls.cert || !s.tls.key) throw new UsageError('a TLS SCP needs --tls-cert and --tls-key');
  return listenTls({ host, port, cert: pem(s.tls.cert)!, key: pem(s.tls.key)!, ca: pem(s.tls.ca), requestCert: Boolean(s.tls.ca) });
}

/** The help text: usage line, description, then every option with its aliases and placeholder. */
export function formatHelp(usage: string, description: string, specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => [[...(s.aliases ?? []), s.name].join(', ') + (s.value ? ` ${s.value}` : ''), s.help] as const);
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  return [`usage: ${usage}`, '', description, '', 'options:', ...rows.map(([f, h]) => `  ${f.padEnd(width)}${h}`)].join('\n');
}
