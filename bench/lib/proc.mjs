/**
 * Child processes for the bench: spawn with a registry (so every process we start is killed on
 * exit, by pid), wait for a listening port, sample peak RSS (VmHWM) from /proc.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const live = new Set();
const cleanups = [];

/** Runs `fn` when the bench is interrupted (after the children are killed), e.g. to remove temp files. */
export function onInterrupt(fn) {
  cleanups.push(fn);
}

/** Kills every child still running (SIGKILL, by pid). Called on exit and on signals. */
export function killAll() {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
  live.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    for (const fn of cleanups) {
      try {
        fn();
      } catch {}
    }
    process.exit(130);
  });
}

/** DCMTK waits ~40 ms on delayed ACKs unless Nagle is off (issue 8). */
export const DCMTK_ENV = { ...process.env, TCP_NODELAY: '1' };

/** A free TCP port on 127.0.0.1 (bind 0, read, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A KiB field of /proc/PID/status; 0 once the process has gone. */
function statusKib(pid, field) {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Peak resident set (VmHWM, KiB) of a live process; 0 once it has gone. */
export const vmHwm = (pid) => statusKib(pid, 'VmHWM');

/**
 * Private resident memory (RssAnon, KiB) of a live process; 0 once it has gone. VmHWM also counts
 * the executable's own code pages as they are touched (file-backed and shared: ~41 MiB of a Node
 * process's RSS is node's binary), so a sampled RssAnon is what the transfer itself holds.
 */
export const rssAnon = (pid) => statusKib(pid, 'RssAnon');

/** PIDs of the children of `pid` (DCMTK --fork children), from /proc. */
function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Starts a process. Returns { child, exited (Promise<{code, signal, ms, output}>), peakKib() }.
 * Peak RSS is sampled every 20 ms (and read once more before exit is reported) for the process
 * and its direct children, so a forking SCP reports its largest child.
 */
export function start(cmd, args, { env, cwd, sampleRss = false, stdin = 'ignore' } = {}) {
  const t0 = performance.now();
  const child = spawn(cmd, args, { env: env ?? process.env, cwd, stdio: [stdin, 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, vmHwm(child.pid));
    for (const c of childrenOf(child.pid)) peak = Math.max(peak, vmHwm(c));
  };
  const timer = sampleRss ? setInterval(sample, 20) : null;
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      const ms = performance.now() - t0;
      if (timer) clearInterval(timer);
      live.delete(child);
      // stdio may still hold the last bytes: wait for close.
      child.once('close', () => resolve({ code, signal, ms, output }));
      if (child.stdout.closed && child.stderr.closed) resolve({ code, signal, ms, output });
    });
    child.on('error', (e) => {
      live.delete(child);
      resolve({ code: -1, signal: null, ms: performance.now() - t0, output: String(e) });
    });
  });
  return {
    child,
    exited,
    output: () => output,
    /** Peak RSS in KiB seen so far (samples once more now). */
    peakKib() {
      if (sampleRss) sample();
      return peak;
    },
  };
}

/** Runs a process to completion; throws with its output when it fails. */
export async function run(cmd, args, options = {}) {
  const p = start(cmd, args, options);
  const r = await p.exited;
  if (r.code !== 0 && !options.allowFailure) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code ?? r.signal}:\n${r.output.slice(-2000)}`);
  }
  return { ...r, peakKib: p.peakKib() };
}

/** True once something LISTENs on 127.0.0.1:`port` (read from /proc/net/tcp, no connection made). */
function listening(port) {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  try {
    const lines = readFileSync('/proc/net/tcp', 'utf8').split('\n');
    return lines.some((l) => {
      const f = l.trim().split(/\s+/);
      return f[1]?.endsWith(hex) && f[3] === '0A';
    });
  } catch {
    return false;
  }
}

/** Waits until `port` is listening (or the process died). */
export async function waitListening(proc, port, timeoutMs = 10000) {
  const deadline = performance.now() + timeoutMs;
  let dead = false;
  proc.exited.then(() => (dead = true));
  while (!listening(port)) {
    if (dead) throw new Error(`server exited before listening on ${port}:\n${proc.output().slice(-2000)}`);
    if (performance.now() > deadline) throw new Error(`server did not listen on ${port} within ${timeoutMs} ms:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Stops a server we started (SIGTERM, then SIGKILL after 2 s); returns its peak RSS in KiB. */
export async function stop(proc) {
  const peak = proc.peakKib();
  if (proc.child.exitCode === null && proc.child.signalCode === null) {
    proc.child.kill('SIGTERM');
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 2000);
    await proc.exited;
    clearTimeout(timer);
  }
  return peak;
}
