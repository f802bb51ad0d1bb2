/**
 * Running DCMTK and the netdicom CLI as child processes for interop tests: spawn with
 * TCP_NODELAY=1, wait for a port or a line, collect output, kill everything in teardown.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

/** The netdicom launcher (needs `npm run build`). */
export const NETDICOM_BIN = fileURLToPath(new URL('../../../bin/netdicom.mjs', import.meta.url));

/** DCMTK's version line, or null when the tools are not installed. */
export function dcmtkVersion(): string | null {
  const r = spawnSync('echoscu', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return /v(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1] ?? 'unknown';
}

/**
 * Call at the top of an interop file: with DCMTK missing, fail loudly under CI and skip with a
 * warning elsewhere. Returns whether the suite can run.
 */
export function requireDcmtk(): boolean {
  if (dcmtkVersion()) return true;
  const message = 'DCMTK (echoscu, storescp, ...) is not installed: the interop suite cannot run (apt-get install dcmtk)';
  if (process.env.CI) throw new Error(message);
  console.warn(`\n!!! ${message}; SKIPPING interop tests !!!\n`);
  return false;
}

/** A running child with its collected output. */
export interface Proc {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  kill(): Promise<void>;
}

const running = new Set<Proc>();

/** Starts `cmd` with TCP_NODELAY=1 (DCMTK reads it to disable Nagle) and collects stdout+stderr. */
export function start(cmd: string, args: readonly string[]): Proc {
  const child = spawn(cmd, args, { env: { ...process.env, TCP_NODELAY: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (e) => {
      text += String(e);
      resolve(-1);
    });
    child.on('close', (code) => resolve(code));
  });
  const proc: Proc = {
    child,
    output: () => text,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
      running.delete(proc);
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

/** Runs `cmd` to completion (bounded by `timeoutMs`). */
export async function run(cmd: string, args: readonly string[], timeoutMs = 30000): Promise<{ code: number | null; output: string }> {
  const p = start(cmd, args);
  const timer = setTimeout(() => void p.kill(), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, output: p.output() };
}

/** Kills every child still running (call in afterEach/afterAll). */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill()));
}

/** A port that was free a moment ago on `host`. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => s.once('error', reject).listen(0, host, resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** Waits until something accepts TCP connections on host:port. */
export async function waitForPort(host: string, port: number, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `proc` printed something matching `pattern`; returns the match. */
export async function waitForOutput(proc: Proc, pattern: RegExp, timeoutMs = 10000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = proc.output().match(pattern);
    if (m) return m;
    if (Date.now() > deadline || proc.child.exitCode !== null) {
      throw new Error(`no output matching ${pattern} (exit ${proc.child.exitCode}):\n${proc.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether DCMTK's tools can connect to IPv6 addresses (3.6.7 cannot: "Illegal service parameter"). */
export async function dcmtkSupportsIpv6(): Promise<boolean> {
  const s = net.createServer((c) => c.destroy());
  try {
    await new Promise<void>((resolve, reject) => s.once('error', reject).listen(0, '::1', resolve));
  } catch {
    return false;
  }
  let connected = false;
  s.on('connection', () => (connected = true));
  await run('echoscu', ['-to', '2', '::1', String((s.address() as net.AddressInfo).port)], 5000);
  s.close();
  return connected;
}
