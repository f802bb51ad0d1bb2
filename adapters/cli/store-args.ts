/**
 * Argument parsing and network glue shared by storescu and storescp (DCMTK-style short options):
 * a small parser, the --tls-* options, and the stop signal (SIGINT/SIGTERM).
 */
import { readFileSync } from 'node:fs';
import { connectTcp, connectTls, listenTcp, listenTls } from '../node';
import type { Listener, Transport } from '../../src/transport';

/** Parsed arguments: positionals in order, options by their canonical name. */
export interface Parsed {
  positionals: string[];
  values: Map<string, string>;
  flags: Set<string>;
}

/** Spec: option name (and aliases) → whether it takes a value. */
export type Spec = Record<string, { value: boolean; aliases?: string[] }>;

/** Options both apps accept. */
export const COMMON_SPEC: Spec = {
  '--aetitle': { value: true, aliases: ['-aet'] },
  '--max-pdu': { value: true, aliases: ['-pdu'] },
  '--debug': { value: false, aliases: ['-d'] },
  '--quiet': { value: false, aliases: ['-q'] },
  '--tls': { value: false },
  '--tls-ca': { value: true },
  '--tls-cert': { value: true },
  '--tls-key': { value: true },
  '--tls-insecure': { value: false },
  '--tls-require-client': { value: false },
  '--help': { value: false, aliases: ['-h'] },
};

/** Parses `argv`; throws a message for an unknown option or a missing value. */
export function parseArgs(argv: readonly string[], spec: Spec): Parsed {
  const byName = new Map<string, [string, boolean]>();
  for (const [name, s] of Object.entries(spec)) for (const n of [name, ...(s.aliases ?? [])]) byName.set(n, [name, s.value]);
  const parsed: Parsed = { positionals: [], values: new Map(), flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      parsed.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const key = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const found = byName.get(key);
    if (!found) throw new Error(`unknown option ${arg}`);
    const [name, takesValue] = found;
    if (!takesValue) parsed.flags.add(name);
    else if (eq > 0 && key !== arg) parsed.values.set(name, arg.slice(eq + 1));
    else if (i + 1 < argv.length) parsed.values.set(name, argv[++i]!);
    else throw new Error(`option ${arg} needs a value`);
  }
  return parsed;
}

/** A positive integer option, or the default. */
export function intOption(p: Parsed, name: string, fallback: number): number {
  const raw = p.values.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}

/** Seconds option → ms, or undefined. */
export function secondsOption(p: Parsed, name: string): number | undefined {
  const raw = p.values.get(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!(n > 0)) throw new Error(`${name} must be a positive number of seconds, got ${raw}`);
  return n * 1000;
}

const pem = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file));
const wantsTls = (p: Parsed) => p.flags.has('--tls') || [...p.values.keys()].some((k) => k.startsWith('--tls-'));

/** A dialer for TCP, or TLS with any --tls-* option. */
export function dialer(p: Parsed, host: string, port: number): () => Promise<Transport> {
  if (!wantsTls(p)) return () => connectTcp({ host, port });
  const ca = pem(p.values.get('--tls-ca'));
  const cert = pem(p.values.get('--tls-cert'));
  const key = pem(p.values.get('--tls-key'));
  const rejectUnauthorized = !p.flags.has('--tls-insecure');
  return () => connectTls({ host, port, ca, cert, key, rejectUnauthorized });
}

/** A listener for TCP, or TLS when --tls-cert/--tls-key are given. */
export function listener(p: Parsed, host: string, port: number): () => Promise<Listener> {
  if (!wantsTls(p)) return () => listenTcp({ host, port });
  const cert = pem(p.values.get('--tls-cert'));
  const key = pem(p.values.get('--tls-key'));
  if (!cert || !key) throw new Error('TLS listening needs --tls-cert and --tls-key');
  const ca = pem(p.values.get('--tls-ca'));
  const requestCert = p.flags.has('--tls-require-client');
  return () => listenTls({ host, port, cert, key, ca, requestCert, rejectUnauthorized: requestCert });
}

/** Resolves `graceful` on the first SIGINT/SIGTERM and `force` on the second. */
export function stopSignals(): { graceful: Promise<void>; force: Promise<void>; dispose(): void } {
  let count = 0;
  let graceful!: () => void;
  let force!: () => void;
  const g = new Promise<void>((r) => (graceful = r));
  const f = new Promise<void>((r) => (force = r));
  const on = () => (++count === 1 ? graceful() : force());
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return {
    graceful: g,
    force: f,
    dispose() {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}
