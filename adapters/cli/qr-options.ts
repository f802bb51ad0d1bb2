/**
 * Command-line options shared by findscu, getscu, movescu and qrscp (DCMTK spellings):
 * `-aet/-aec/--max-pdu/-ta/-td/-tn/-d/-q/--tls*`, plus each app's own flags. Also opens the
 * TCP/TLS connection or listener the options describe.
 */
import { readFileSync } from 'node:fs';
import { consoleLogger, silentLogger, type Logger } from '../../src/logger';
import type { AeOptions } from '../../src/options';
import type { Listener, Transport } from '../../src/transport';
import { connectTcp, listenTcp } from '../node/tcp';
import { connectTls, listenTls } from '../node/tls';

/** Parsed arguments: positionals, the common options, and the app's own flags. */
export interface ParsedArgs {
  readonly positional: string[];
  readonly ae: Partial<AeOptions>;
  readonly calledAeTitle: string;
  readonly debug: boolean;
  readonly quiet: boolean;
  readonly tls: { readonly ca?: string; readonly cert?: string; readonly key?: string; readonly verify: boolean } | null;
  /** App flags with a value (repeatable: every value kept in order). */
  readonly values: Map<string, string[]>;
  /** App flags without a value that were given. */
  readonly switches: Set<string>;
}

/** An app's own flags: names (with aliases mapped to one name) that take a value, and those that do not. */
export interface FlagSpec {
  readonly values?: Record<string, string>;
  readonly switches?: Record<string, string>;
}

const COMMON_VALUES: Record<string, string> = {
  '-aet': 'aet', '--calling-aet': 'aet', '-aec': 'aec', '--called-aet': 'aec', '--max-pdu': 'max-pdu', '-pdu': 'max-pdu',
  '-ta': 'ta', '--acse-timeout': 'ta', '-td': 'td', '--dimse-timeout': 'td', '-tn': 'tn', '--network-timeout': 'tn',
  '--tls-ca': 'tls-ca', '--tls-cert': 'tls-cert', '--tls-key': 'tls-key',
};
const COMMON_SWITCHES: Record<string, string> = { '-d': 'debug', '--debug': 'debug', '-q': 'quiet', '--quiet': 'quiet', '--tls': 'tls', '--tls-no-verify': 'tls-no-verify' };

/** Parses argv; throws an Error whose message is the one-line reason for bad usage. */
export function parseArgs(argv: readonly string[], spec: FlagSpec, defaults: { aeTitle: string }): ParsedArgs {
  const positional: string[] = [];
  const values = new Map<string, string[]>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const valueName = COMMON_VALUES[flag] ?? spec.values?.[flag];
    const switchName = COMMON_SWITCHES[flag] ?? spec.switches?.[flag];
    if (valueName) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`${flag} needs a value`);
      values.set(valueName, [...(values.get(valueName) ?? []), value]);
    } else if (switchName) switches.add(switchName);
    else if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) throw new Error(`unknown option ${arg}`);
    else positional.push(arg);
  }
  const one = (name: string) => values.get(name)?.at(-1);
  const seconds = (name: string) => {
    const v = one(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`-${name} needs a positive number of seconds, got '${v}'`);
    return n * 1000;
  };
  const maxPdu = one('max-pdu');
  if (maxPdu !== undefined && !/^\d+$/.test(maxPdu)) throw new Error(`--max-pdu needs a byte count, got '${maxPdu}'`);
  const debug = switches.has('debug');
  const quiet = switches.has('quiet');
  const ae: Partial<AeOptions> = {
    aeTitle: one('aet') ?? defaults.aeTitle,
    ...(maxPdu !== undefined && { maxPduLength: Number(maxPdu) }),
    ...(seconds('ta') !== undefined && { acseTimeoutMs: seconds('ta') }),
    ...(seconds('td') !== undefined && { dimseTimeoutMs: seconds('td') }),
    ...(seconds('tn') !== undefined && { networkTimeoutMs: seconds('tn') }),
    logger: debug ? consoleLogger({ verbose: true }) : silentLogger,
    debug,
  };
  const tlsWanted = switches.has('tls') || ['tls-ca', 'tls-cert', 'tls-key'].some((n) => values.has(n));
  const tls = tlsWanted ? { ca: one('tls-ca'), cert: one('tls-cert'), key: one('tls-key'), verify: !switches.has('tls-no-verify') } : null;
  const calledAeTitle = one('aec') ?? 'ANY-SCP';
  for (const name of ['debug', 'quiet', 'tls', 'tls-no-verify']) switches.delete(name);
  for (const name of new Set(Object.values(COMMON_VALUES))) values.delete(name);
  return { positional, ae, calledAeTitle, debug, quiet, tls, values, switches };
}

/** A TCP port from the command line, or an Error with the reason. */
export function parsePort(text: string | undefined, what = 'PORT'): number {
  const port = Number(text);
  if (!text || !/^\d+$/.test(text) || port < 1 || port > 65535) throw new Error(`${what} must be 1-65535, got '${text ?? ''}'`);
  return port;
}

const pem = (file?: string) => (file ? readFileSync(file) : undefined);

/** Opens the connection the arguments describe. */
export function connectFor(args: ParsedArgs, host: string, port: number): Promise<Transport> {
  if (!args.tls) return connectTcp({ host, port });
  return connectTls({ host, port, ca: pem(args.tls.ca), cert: pem(args.tls.cert), key: pem(args.tls.key), rejectUnauthorized: args.tls.verify });
}

/** Opens the listener the arguments describe (TLS needs --tls-cert and --tls-key). */
export function listenFor(args: ParsedArgs, host: string, port: number): Promise<Listener> {
  if (!args.tls) return listenTcp({ host, port });
  if (!args.tls.cert || !args.tls.key) throw new Error('a TLS listener needs --tls-cert and --tls-key');
  return listenTls({ host, port, cert: pem(args.tls.cert)!, key: pem(args.tls.key)!, ca: pem(args.tls.ca), requestCert: Boolean(args.tls.ca) });
}

/** The logger for an app: debug → console, otherwise silent. */
export function loggerFor(args: ParsedArgs): Logger {
  return args.debug ? consoleLogger({ verbose: true }) : silentLogger;
}

/** Where an app writes: stdout lines, stderr lines. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Progress drawing target (stderr). */
  readonly progress?: { write(text: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
}
