/**
 * `netdicom proxy --listen PORT [--host 127.0.0.1] --target NAME=HOST:PORT … [--allow-origin ORIGIN …]
 * [--allow-missing-origin] [--allowed-host HOST:PORT …] [--static DIR] [--max-connections N]
 * [--idle-timeout MS] [--verbose]`: the WebSocket-to-TCP proxy of adapters/websocket-proxy.
 * `ws://HOST:PORT/NAME` reaches the DICOM peer configured for NAME, and nothing else.
 * Serves until SIGINT/SIGTERM (or `stop` resolves).
 */
import { createDicomProxy, type DicomProxyOptions, type ProxyTarget } from '../websocket-proxy/index';
import { formatHelp, optionValue, parseArgv, type OptionSpec, type ParsedArgv } from './args';
import { consoleIo, signalled, type AppIo } from './io';

/** Where the app writes. */
/** Where the proxy app writes (the apps' {@link AppIo}). */
export type ProxyIo = AppIo;

/** Hooks for tests and embedding. */
export interface ProxyRunOptions {
  /** Resolves when the proxy should stop; default: the first SIGINT or SIGTERM. */
  readonly stop?: Promise<void>;
  /** Called once listening, with the bound `host:port`. */
  onListening?(address: string): void;
}

const USAGE =
  'usage: netdicom proxy --listen PORT [--host 127.0.0.1] --target NAME=HOST:PORT … [--allow-origin ORIGIN …] ' +
  '[--allow-missing-origin] [--allowed-host HOST:PORT …] [--static DIR] [--max-connections N] [--idle-timeout MS] [--verbose]';

/** `pacs=127.0.0.1:11112` (or `pacs=[::1]:11112`) → ['/pacs', target]. */
export function parseTarget(text: string): [string, ProxyTarget] {
  const match = /^([A-Za-z0-9_~-][A-Za-z0-9._~-]*)=(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(text);
  if (!match) throw new Error(`--target must look like NAME=HOST:PORT (e.g. pacs=127.0.0.1:11112), got ${JSON.stringify(text)}`);
  const port = Number(match[3]);
  if (port < 1 || port > 65535) throw new Error(`--target port out of range: ${match[3]}`);
  return [`/${match[1]}`, { host: match[2]!.replace(/^\[|\]$/g, ''), port }];
}

function int(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new Error(`${name} must be a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

const OPTIONS: readonly OptionSpec[] = [
  { name: '--listen', value: 'PORT', help: 'port to listen on (0: any free port); required' },
  { name: '--host', value: 'HOST', help: 'address to bind (default 127.0.0.1)' },
  { name: '--target', value: 'NAME=HOST:PORT', help: 'ws://…/NAME reaches the DICOM peer HOST:PORT (repeat; at least one)' },
  { name: '--allow-origin', value: 'ORIGIN', help: "page origin allowed to connect (repeat; '*' for any; default: same origin)" },
  { name: '--allow-missing-origin', help: 'allow clients that send no Origin header (non-browsers)' },
  { name: '--allowed-host', value: 'HOST:PORT', help: 'Host header to accept besides the loopback names (repeat)' },
  { name: '--static', value: 'DIR', help: 'also serve the files of DIR over HTTP' },
  { name: '--max-connections', value: 'N', help: 'open connections at most (default 64)' },
  { name: '--idle-timeout', value: 'MS', help: 'close both sides after this long without traffic (default 60000)' },
  { name: '--verbose', help: 'log connections' },
  { name: '--help', aliases: ['-h'], help: 'print this help text and exit' },
];

/** Parses the command line into proxy options. Throws with a readable message on mistakes. */
export function proxyOptions(argv: readonly string[], log?: (line: string) => void): DicomProxyOptions {
  return optionsFrom(parseArgv(argv, OPTIONS), log);
}

function optionsFrom(p: ParsedArgv, log?: (line: string) => void): DicomProxyOptions {
  if (p.positionals.length > 0) throw new Error(`unexpected argument ${JSON.stringify(p.positionals[0])}`);
  const port = int(optionValue(p, '--listen'), '--listen');
  if (port === undefined || port > 65535) throw new Error(`--listen PORT is required (0..65535)`);
  const targets = p.values.get('--target') ?? [];
  if (targets.length === 0) throw new Error(`at least one --target NAME=HOST:PORT is required`);
  const origins = p.values.get('--allow-origin');
  return {
    targets: Object.fromEntries(targets.map(parseTarget)),
    allowOrigins: origins?.includes('*') ? '*' : origins,
    allowMissingOrigin: p.switches.has('--allow-missing-origin'),
    allowedHosts: p.values.get('--allowed-host'),
    staticDir: optionValue(p, '--static'),
    maxConnections: int(optionValue(p, '--max-connections'), '--max-connections'),
    idleTimeoutMs: int(optionValue(p, '--idle-timeout'), '--idle-timeout'),
    host: optionValue(p, '--host') ?? '127.0.0.1',
    port,
    log: p.switches.has('--verbose') ? log : undefined,
  };
}

/** Runs the proxy until stopped; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function proxyMain(argv: readonly string[], io: ProxyIo = consoleIo, run: ProxyRunOptions = {}): Promise<number> {
  let options: DicomProxyOptions;
  try {
    const parsed = parseArgv(argv, OPTIONS);
    if (parsed.switches.has('--help')) {
      io.out(formatHelp(USAGE.replace(/^usage: /, ''), 'WebSocket-to-TCP proxy: lets web pages reach the DICOM peers named here, and nothing else.', OPTIONS));
      return 0;
    }
    options = optionsFrom(parsed, io.out);
  } catch (error) {
    io.err(`proxy: ${(error as Error).message}`);
    return 2;
  }
  let proxy;
  try {
    proxy = await createDicomProxy(options);
  } catch (error) {
    io.err(`proxy: ${(error as Error).message}`);
    return 1;
  }
  for (const [path, t] of Object.entries(options.targets)) io.out(`proxy: ws://${proxy.address}${path} -> ${t.host}:${t.port}`);
  if (options.staticDir) io.out(`proxy: serving ${options.staticDir} at ${proxy.url}/`);
  run.onListening?.(proxy.address);
  await (run.stop ?? signalled());
  await proxy.close();
  return 0;
}

