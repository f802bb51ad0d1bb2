/**
 * Harness of the I-01 differential run (reliability.md §3.15): sends one hostile vector to an SCP
 * on 127.0.0.1 through the scripted TCP peer of the reliability suite and records what came back
 * (every PDU, the time to the first one, how and when the connection closed) and whether a canary
 * association (fresh connection, C-ECHO, release) started at the same moment was served while the
 * hostile connection was still open. Also: summaries of PDUs for the matrix, and DCMTK SCP
 * processes that can be killed and restarted after a vector that breaks them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeCommand } from '../../../src/dimse/command-set';
import { CommandField } from '../../../src/dimse/types';
import { canary, REL_RQ } from '../../reliability/helpers/scp';
import { TcpPeer, toHex, type RawPdu } from '../../reliability/helpers/tcp-peer';
import { freePort, waitForPort } from './dcmtk';

/** What the decision table of reliability.md §2.4 says netdicom answers. */
export type Expect =
  /** Exactly this PDU (hex), then FIN. `afterResponse`: a P-DATA response may precede it (F-06). */
  | { readonly pdu: string; readonly afterResponse?: boolean }
  /** No PDU at all, the connection closed (FIN). */
  | { readonly none: true }
  /** A-ASSOCIATE-AC with presentation context 1 accepted; the association goes on. */
  | { readonly ac: true }
  /** A DIMSE response (first P-DATA) with this Status; the association goes on. */
  | { readonly status: number; readonly command: keyof typeof CommandField };

export interface Vector {
  /** Catalogue ID (reliability.md §3.2–3.6) and a short label. */
  readonly id: string;
  readonly what: string;
  /** An A-ASSOCIATE-RQ sent first (its AC is awaited and not part of the answer). */
  readonly setup?: Uint8Array;
  /** The hostile bytes, or a script that sends them. */
  readonly send: Uint8Array | ((peer: TcpPeer) => void | Promise<void>);
  /** The vector ends the connection itself (FIN/RST/A-ABORT from the peer): the canary cannot be "during". */
  readonly peerEnds?: boolean;
  readonly expect: Expect;
  /** netdicom's bound on the time to the answer (ms); R2 over TCP: 200. */
  readonly withinMs?: number;
  /** DCMTK program that can answer this vector class (storescp has no C-FIND SCP). */
  readonly dcmtk: 'storescp' | 'dcmqrscp';
  /** Builds large inputs before the clock starts. */
  readonly prepare?: () => void;
}

export type CloseKind = 'FIN' | 'RST' | 'none' | 'peer';

export interface CanaryResult {
  readonly ok: boolean;
  /** Latency of the whole canary (connect, associate, C-ECHO, release), ms. */
  readonly ms: number;
  /** Finished before the hostile connection ended (served meanwhile, not after). */
  readonly during: boolean;
  readonly error?: string;
}

export interface Observation {
  /** Set when the setup RQ was not accepted (what came instead). */
  readonly setupFailed?: string;
  /** The setup's A-ASSOCIATE-AC, summarised (which contexts were accepted). */
  readonly setupAc?: string;
  /** Every PDU after the vector was sent. */
  readonly pdus: RawPdu[];
  /** Summaries of `pdus` (see {@link describePdus}). */
  readonly answers: string[];
  /** ms from sending the vector to the first PDU, or to the close when no PDU came; null: neither within the cap. */
  readonly answerMs: number | null;
  readonly close: CloseKind;
  /** ms from sending the vector to the close (null when none). */
  readonly closeMs: number | null;
  readonly canary: CanaryResult;
  /** Neither a PDU nor a close within the answer cap. */
  readonly stalled: boolean;
  /** Filled by the caller: the SCP process had to be restarted (stalled / crashed). */
  note?: string;
}

export interface Caps {
  /** Wait for the first PDU or the close. */
  readonly answerMs: number;
  /** After an A-ABORT / RJ / RP: wait for the close. */
  readonly closeMs: number;
  /** After a P-DATA / AC: quiet time that ends the answer. */
  readonly quietMs: number;
  /** Canary: its own connect/ACSE/DIMSE timeout (longer than answer + close + hold, so a serial SCP can serve it after). */
  readonly canaryMs: number;
  /** A hostile connection still open after the answer is held this long for the canary, then ended. */
  readonly holdMs: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `v` against 127.0.0.1:`port` and records the answer, the close and the canary. */
export async function observe(port: number, v: Vector, caps: Caps): Promise<Observation> {
  v.prepare?.();
  const peer = await TcpPeer.connect(port, '127.0.0.1');
  try {
    let setupAc: string | undefined;
    if (v.setup) {
      peer.send(v.setup);
      const ac = await peer.nextPdu(caps.answerMs);
      if (ac?.type === 0x02) setupAc = describePdus([ac])[0];
      if (!ac || ac.type !== 0x02) {
        const got = ac ? describePdus([ac])[0]! : `no AC (${peer.closedBy ?? 'silent'})`;
        return { setupFailed: got, pdus: [], answers: [], answerMs: null, close: 'none', closeMs: null, stalled: false, canary: { ok: false, ms: 0, during: false, error: 'not run' } };
      }
    }
    const sentAt = peer.now();
    const canaryRun: Promise<{ ok: boolean; ms: number; at: number; error?: string }> = canary(port, caps.canaryMs).then(
      (ms) => ({ ok: true, ms, at: peer.now() }),
      (e: Error) => ({ ok: false, ms: peer.now() - sentAt, at: peer.now(), error: e.message }),
    );
    if (typeof v.send === 'function') await v.send(peer);
    else peer.send(v.send);

    const pdus: RawPdu[] = [];
    for (;;) {
      const last = pdus.at(-1);
      const waitMs = !last ? sentAt + caps.answerMs - peer.now() : [0x03, 0x06, 0x07].includes(last.type) ? caps.closeMs : caps.quietMs;
      const pdu = await peer.nextPdu(Math.max(0, waitMs));
      if (!pdu) break;
      pdus.push(pdu);
    }
    const closedByServer = peer.closedBy !== null;
    const close: CloseKind = !closedByServer ? 'none' : v.peerEnds && peer.closedBy === 'local' ? 'peer' : peer.closedBy === 'fin' ? 'FIN' : peer.closedBy === 'reset' ? 'RST' : 'peer';
    const closeMs = closedByServer ? peer.closedAt - sentAt : null;
    const answerMs = pdus.length ? pdus[0]!.at - sentAt : closeMs;

    // Hold the hostile connection a little while the canary runs (a concurrent SCP serves it now),
    // then end it — with A-RELEASE-RQ when the association goes on — so that a serial SCP can serve
    // the canary afterwards ("after close"); a canary that fails even then means the SCP is stuck.
    const stalled = pdus.length === 0 && !closedByServer;
    let hostileEnd = closedByServer ? peer.closedAt : Infinity;
    if (!closedByServer) {
      await Promise.race([canaryRun, sleep(caps.holdMs)]);
      hostileEnd = peer.now();
      if (pdus.length > 0 && [0x02, 0x04].includes(pdus.at(-1)!.type)) {
        peer.send(REL_RQ);
        await peer.waitFor(() => peer.closedBy !== null || peer.pdus.length > 0, 1000);
      }
      peer.destroy();
    }
    const c = await canaryRun;
    return {
      setupAc,
      pdus,
      answers: describePdus(pdus),
      answerMs,
      close,
      closeMs,
      stalled,
      canary: { ok: c.ok, ms: c.ms, during: c.ok && c.at < hostileEnd, error: c.error },
    };
  } finally {
    peer.destroy();
  }
}

const commandNames = new Map<number, string>(Object.entries(CommandField).map(([k, v]) => [v, k]));

/** Short readable forms of PDUs: "A-ABORT (2,6)", "AC [1:0 3:3]", "C-ECHO-RSP 0x0000", ... */
export function describePdus(pdus: readonly RawPdu[]): string[] {
  const out: string[] = [];
  let command: Uint8Array[] = [];
  for (const { bytes } of pdus) {
    const type = bytes[0]!;
    if (type === 0x02) {
      const results: string[] = [];
      for (let off = 74; off + 4 <= bytes.length; ) {
        const len = (bytes[off + 2]! << 8) | bytes[off + 3]!;
        if (bytes[off] === 0x21) results.push(`${bytes[off + 4]}:${bytes[off + 6]}`);
        off += 4 + len;
      }
      out.push(`AC [${results.join(' ')}]`);
    } else if (type === 0x03 && bytes.length === 10) out.push(`RJ (${bytes[7]},${bytes[8]},${bytes[9]})`);
    else if (type === 0x05 && bytes.length === 10) out.push('RELEASE-RQ');
    else if (type === 0x06 && bytes.length === 10) out.push('RELEASE-RP');
    else if (type === 0x07 && bytes.length === 10) out.push(`A-ABORT (${bytes[8]},${bytes[9]})`);
    else if (type === 0x04) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let off = 6; off + 6 <= bytes.length; ) {
        const len = view.getUint32(off);
        const mch = bytes[off + 5]!;
        if (mch & 1) {
          command.push(bytes.subarray(off + 6, off + 4 + len));
          if (mch & 2) {
            try {
              const total = new Uint8Array(command.reduce((n, p) => n + p.length, 0));
              let at = 0;
              for (const p of command) (total.set(p, at), (at += p.length));
              const cmd = decodeCommand(total);
              const name = commandNames.get(cmd.CommandField) ?? `command ${cmd.CommandField.toString(16)}H`;
              out.push(cmd.Status === undefined ? name : `${name} 0x${cmd.Status.toString(16).padStart(4, '0')}`);
            } catch (e) {
              out.push(`P-DATA (undecodable command: ${(e as Error).message})`);
            }
            command = [];
          }
        } else if (mch & 2) out.push('data set');
        off += 4 + len;
      }
    } else out.push(`PDU ${type.toString(16).padStart(2, '0')}H (${bytes.length} bytes)`);
  }
  return out;
}

/** The first PDU's bytes in hex (all of a 10-byte one; else its header and length). */
export function firstPduHex(o: Observation): string {
  const p = o.pdus[0];
  if (!p) return '—';
  return p.bytes.length <= 10 ? toHex(p.bytes) : `${toHex(p.bytes.subarray(0, 6))} … (${p.bytes.length} bytes)`;
}

/** A DCMTK SCP run as a child process in its own process group (dcmqrscp forks a child per association), restartable. */
export class DcmtkScp {
  child: ChildProcess | null = null;
  port = 0;
  starts = 0;
  /** Process group IDs of every process this instance started (each is checked to be gone). */
  readonly groups: number[] = [];
  private out = '';
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'netdicom-differential-'));

  constructor(
    readonly program: 'storescp' | 'dcmqrscp',
    readonly aeTitle = 'NETDICOM',
  ) {}

  /** Starts (or restarts) the program on 127.0.0.1 and a free port; resolves when it accepts connections. */
  async start(): Promise<number> {
    await this.stop();
    this.port = await freePort();
    // dcmqrscp forks per association: its single-process mode (-s) segfaults after the first
    // association in 3.6.7, so the default (fork) is used; storescp runs single-process (its default).
    const args =
      this.program === 'storescp' ? ['-aet', this.aeTitle, '-od', this.dir, String(this.port)] : ['+xd', '-c', this.config(), String(this.port)];
    const child = spawn(this.program, args, { env: { ...process.env, TCP_NODELAY: '1' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.out = '';
    child.stdout!.on('data', (d) => (this.out += d));
    child.stderr!.on('data', (d) => (this.out += d));
    child.on('error', (e) => (this.out += String(e)));
    if (child.pid) this.groups.push(child.pid);
    this.starts++;
    await waitForPort('127.0.0.1', this.port, 10000);
    return this.port;
  }

  /** What the program printed since its last start. */
  output(): string {
    return this.out;
  }

  /** Whether the process has exited by itself (crash or error), and how. */
  exited(): string | null {
    const c = this.child;
    if (!c || (c.exitCode === null && c.signalCode === null)) return null;
    return c.signalCode ? `died of ${c.signalCode}` : `exited ${c.exitCode}`;
  }

  /** Kills the process and everything it forked (SIGKILL to its process group), and waits for its exit. */
  async stop(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (!c?.pid) return;
    const exited = c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()));
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      // the group is already gone
    }
    await exited;
    for (let i = 0; i < 100 && groupAlive(c.pid); i++) await sleep(20);
  }

  /** Stops the process and removes its directory. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A dcmqrscp configuration: one storage area for our AE title, any peer. */
  private config(): string {
    const file = path.join(this.dir, 'dcmqrscp.cfg');
    const db = path.join(this.dir, 'db');
    mkdirSync(db, { recursive: true });
    writeFileSync(
      file,
      [
        `NetworkTCPPort = ${this.port}`,
        'MaxPDUSize = 16384',
        'MaxAssociations = 16',
        'HostTable BEGIN',
        'HostTable END',
        'VendorTable BEGIN',
        'VendorTable END',
        'AETable BEGIN',
        `${this.aeTitle} ${db} RW (10, 64mb) ANY`,
        'AETable END',
        '',
      ].join('\n'),
    );
    return file;
  }
}

/** Whether any process of group `pgid` is still alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
