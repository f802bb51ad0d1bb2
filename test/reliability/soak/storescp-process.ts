/**
 * Soak helpers: the real CLI (`node bin/netdicom.mjs storescp ... --stats S`, from dist/) as a
 * child process whose `stats {json}` lines are parsed, instance data sets made on the fly with
 * their SHA-256, and the check of a stored Part 10 file against what was sent.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/netdicom.mjs', import.meta.url));
export const MiB = 1024 * 1024;
export const CT = '1.2.840.10008.5.1.4.1.1.2';
export const EXPLICIT = '1.2.840.10008.1.2.1';
export const TEMP_SUFFIX = '.netdicom-part';

/** One `stats {json}` line of `storescp --stats`. */
export interface ScpStats {
  pid: number;
  rss: number;
  peakRss: number;
  heapUsed: number;
  arrayBuffers: number;
  fds: number | null;
  eventLoopDelayMs: { p50: number; p99: number; max: number; samples: number } | null;
  address: string;
  associations: number;
  stored: number;
  failed: number;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function until(cond: () => boolean, ms: number, step = 10): Promise<boolean> {
  const end = performance.now() + ms;
  while (!cond() && performance.now() < end) await sleep(step);
  return cond();
}

/** A fresh directory under the OS temp dir; every one is removed by {@link removeTempDirs}. */
const dirs: string[] = [];
export function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), `netdicom-soak-${prefix}-`));
  dirs.push(d);
  return d;
}
export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Final (`*.dcm`) and temporary names in a directory. */
export function listing(names: readonly string[]): { final: string[]; temp: string[]; other: string[] } {
  const real = names.filter((n) => n !== '.' && n !== '..');
  return {
    final: real.filter((n) => n.endsWith('.dcm')),
    temp: real.filter((n) => n.endsWith(TEMP_SUFFIX)),
    other: real.filter((n) => !n.endsWith('.dcm') && !n.endsWith(TEMP_SUFFIX)),
  };
}
export const listDir = (dir: string) => listing(readdirSync(dir));

/** Whether `unshare -rm` can mount a tmpfs here (user + mount namespace). */
export function canMountTmpfs(): boolean {
  const probe = tempDir('probe');
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$0" && touch "$0/x"', probe], { stdio: 'ignore', timeout: 5000 });
  return r.status === 0;
}

export interface StartOptions {
  /** Output directory (-od). */
  dir: string;
  /** More storescp arguments. */
  args?: string[];
  /** Run as `unshare -rm sh -c 'mount -t tmpfs -o OPTIONS tmpfs DIR && node ... ; echo --ls--; ls -a DIR'`. */
  tmpfs?: string;
}

/** `netdicom storescp` as a child process on 127.0.0.1 and a free port. */
export class StoreScp {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  /** Every stats line, oldest first. */
  readonly history: ScpStats[] = [];
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<void>;
  private readonly waiters = new Set<() => void>();

  /** Children still running (killed by {@link killAllScps} after a failed test). */
  static readonly live = new Set<StoreScp>();

  private constructor(readonly child: ChildProcess) {
    StoreScp.live.add(this);
    const lines = (into: string[], onLine?: (l: string) => void) => {
      let rest = '';
      return (chunk: Buffer) => {
        const parts = (rest + chunk.toString('utf8')).split('\n');
        rest = parts.pop()!;
        for (const l of parts) {
          into.push(l);
          onLine?.(l);
        }
        this.poke();
      };
    };
    child.stdout!.on('data', lines(this.stdout, (l) => {
      if (l.startsWith('stats ')) this.history.push(JSON.parse(l.slice(6)) as ScpStats);
    }));
    child.stderr!.on('data', lines(this.stderr));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        StoreScp.live.delete(this);
        this.poke();
        resolve();
      }),
    );
  }

  static async start(options: StartOptions): Promise<StoreScp> {
    const scpArgs = ['storescp', '0', '--bind', '127.0.0.1', '-od', options.dir, '-q', '--stats', '0.2', ...(options.args ?? [])];
    const child = options.tmpfs
      ? spawn('unshare', ['-rm', 'sh', '-c', `d="$1"; b="$2"; shift 2; mount -t tmpfs -o ${options.tmpfs} tmpfs "$d" && "$0" "$b" "$@"; echo --ls--; ls -a "$d"`, process.execPath, options.dir, BIN, ...scpArgs], {
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn(process.execPath, [BIN, ...scpArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    const scp = new StoreScp(child);
    if (!(await scp.waitFor(() => scp.history.length > 0 || scp.exit !== null, 30_000)) || scp.history.length === 0) {
      child.kill('SIGKILL');
      throw new Error(`storescp did not start: ${scp.stderr.join('\n')} ${scp.stdout.join('\n')}`);
    }
    return scp;
  }

  /** The latest stats line. */
  get stats(): ScpStats {
    return this.history[this.history.length - 1]!;
  }
  get port(): number {
    return Number(this.history[0]!.address.split(':').pop());
  }
  /** The node process (not the `unshare`/`sh` wrapper). */
  get pid(): number {
    return this.history[0]!.pid;
  }

  /** Waits for a stats line printed after now that satisfies `cond` (default: any). */
  async freshStats(cond: (s: ScpStats) => boolean = () => true, ms = 10_000): Promise<ScpStats> {
    const from = this.history.length;
    const ok = await this.waitFor(() => this.history.slice(from).some(cond), ms);
    if (!ok) throw new Error(`no stats line matched within ${ms} ms; last: ${JSON.stringify(this.stats)}`);
    return this.history.slice(from).find(cond)!;
  }

  kill(signal: NodeJS.Signals): void {
    process.kill(this.pid, signal);
  }

  /** SIGTERM (graceful close), waits for the exit; returns the final stats line. */
  async stop(ms = 15_000): Promise<ScpStats> {
    if (!this.exit) this.kill('SIGTERM');
    if (!(await this.waitFor(() => this.exit !== null, ms))) {
      this.child.kill('SIGKILL');
      process.kill(this.pid, 'SIGKILL');
      throw new Error('storescp did not exit after SIGTERM');
    }
    return this.stats;
  }

  /** For a tmpfs run, after {@link stop}: the names `ls -a` printed for the output directory. */
  tmpfsListing(): ReturnType<typeof listing> {
    const at = this.stdout.indexOf('--ls--');
    if (at < 0) throw new Error('no directory listing in the output');
    return listing(this.stdout.slice(at + 1).filter((l) => l.length > 0));
  }

  waitFor(cond: () => boolean, ms: number): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!cond()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(cond());
      }, ms);
      this.waiters.add(check);
    });
  }

  private poke(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** SIGKILLs every storescp a failed test left running (call from afterAll). */
export function killAllScps(): void {
  for (const scp of StoreScp.live) {
    if (scp.history.length > 0) {
      try {
        process.kill(scp.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    scp.child.kill('SIGKILL');
  }
}

/** UI element, Explicit VR Little Endian, value padded with NUL to an even length. */
function ui(group: number, element: number, value: string): Uint8Array {
  const v = value.length % 2 ? `${value}\0` : value;
  const out = new Uint8Array(8 + v.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, group, true);
  dv.setUint16(2, element, true);
  out[4] = 0x55; // U
  out[5] = 0x49; // I
  dv.setUint16(6, v.length, true);
  for (let i = 0; i < v.length; i++) out[8 + i] = v.charCodeAt(i);
  return out;
}

/**
 * An Explicit VR LE data set of about `bytes` bytes: SOP Class and Instance UIDs, then (7FE0,0010)
 * OB filled with random bytes (so a swapped or misplaced chunk changes the hash).
 */
export function makeDataset(uid: string, bytes: number): { data: Uint8Array; sha: string } {
  const a = ui(0x0008, 0x0016, CT);
  const b = ui(0x0008, 0x0018, uid);
  const pixels = Math.max(2, (bytes - a.length - b.length - 12) & ~1);
  const data = new Uint8Array(a.length + b.length + 12 + pixels);
  data.set(a, 0);
  data.set(b, a.length);
  const at = a.length + b.length;
  const dv = new DataView(data.buffer);
  dv.setUint16(at, 0x7fe0, true);
  dv.setUint16(at + 2, 0x0010, true);
  data[at + 4] = 0x4f; // O
  data[at + 5] = 0x42; // B
  dv.setUint32(at + 8, pixels, true);
  data.set(randomBytes(pixels), at + 12);
  return { data, sha: sha256(data) };
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** SHA-256 of the data set inside a Part 10 file (after the preamble, DICM and the whole group 0002), or null if it is not one. */
export function datasetSha(file: string): string | null {
  const bytes = readFileSync(file);
  if (bytes.length < 144 || bytes.toString('latin1', 128, 132) !== 'DICM') return null;
  // (0002,0000) UL: tag 4 + VR 2 + length 2 + value 4, value = bytes of the rest of group 0002.
  if (bytes.readUInt16LE(132) !== 0x0002 || bytes.readUInt16LE(134) !== 0x0000) return null;
  const start = 144 + bytes.readUInt32LE(140);
  if (start > bytes.length) return null;
  return sha256(bytes.subarray(start));
}

/** UIDs unique to this process and run. */
let uidCounter = 0;
const UID_ROOT = `1.2.826.0.1.3680043.9.7433.99.${process.pid}.${Date.now() % 1e9}`;
export function nextUid(): string {
  return `${UID_ROOT}.${++uidCounter}`;
}

/** p-th percentile (0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const mib = (n: number) => (n / MiB).toFixed(1);
