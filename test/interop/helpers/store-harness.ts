/**
 * Process harness for the storage interop tests: free loopback ports, spawning DCMTK tools and the
 * built `netdicom` CLI with captured output, waiting for a port, and killing everything at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The built CLI entry (run `npm run build` first; NETDICOM_CLI overrides it). */
export const NETDICOM_BIN = process.env.NETDICOM_CLI ?? path.join(ROOT, 'bin', 'netdicom.mjs');

/** A spawned process with its output and exit. */
export interface Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

const running = new Set<ChildProcess>();

/** Spawns `command`; DCMTK gets TCP_NODELAY=1 (it otherwise waits on Nagle for small PDUs). */
export function start(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(command, args, { env: { ...process.env, TCP_NODELAY: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, exited, output: () => out };
}

/** Runs the built CLI: `netdicom <args>`. */
export function netdicom(args: string[]): Proc {
  return start(process.execPath, [NETDICOM_BIN, ...args]);
}

/** Kills every process still running (teardown). */
export async function killAll(): Promise<void> {
  const waits = [...running].map((c) => new Promise<void>((r) => {
    if (c.exitCode !== null || c.signalCode !== null) return r();
    c.once('exit', () => r());
    c.kill('SIGKILL');
  }));
  await Promise.all(waits);
}

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on 127.0.0.1:port (or rejects after `timeoutMs`). */
export async function waitForPort(port: number, proc?: Proc, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
      throw new Error(`process exited before listening:\n${proc.output()}`);
    }
    if (Date.now() > deadline) throw new Error(`nothing listening on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
