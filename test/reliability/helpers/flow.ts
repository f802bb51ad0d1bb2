/**
 * Helpers for the flow-control, retrieve-fault and timer-leak cases (reliability.md §3.4 S-11,
 * §3.6 D-04…D-09, §3.7 T-10, §3.8 P-09…P-13, §3.9 C-09): a forced GC for heap figures, raw
 * P-DATA streams written with the socket's back-pressure, and a decoder for the SCP's answers.
 */
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { decodeCommand } from '../../../src/dimse/command-set';
import type { Command } from '../../../src/dimse/types';
import type { Association } from '../../../src/association';
import { concat, pdata } from './scp';
import type { TcpPeer } from './tcp-peer';

export const MiB = 1024 * 1024;
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;

/** heapUsed + arrayBuffers after two full collections (bytes). */
export async function settledHeap(): Promise<{ heapUsed: number; arrayBuffers: number; rss: number }> {
  for (let i = 0; i < 2; i++) {
    collect();
    await sleep(10);
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, rss: m.rss };
}

/**
 * Runs `run` while sampling `external` (which includes every ArrayBuffer) after a forced GC every
 * `everyMs`: the peak growth of what is retained, garbage not yet collected excluded.
 */
export async function peakRetained<T>(run: () => Promise<T>, everyMs = 200): Promise<{ result: T; peakBytes: number }> {
  const level = () => {
    collect();
    return process.memoryUsage().external;
  };
  const start = level();
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, level() - start)), everyMs);
  try {
    const result = await run();
    peak = Math.max(peak, level() - start);
    return { result, peakBytes: peak };
  } finally {
    clearInterval(timer);
  }
}

/** Waits until `cond()` holds or `ms` pass; resolves with its last value. */
export async function until(cond: () => boolean, ms: number, step = 5): Promise<boolean> {
  const end = performance.now() + ms;
  while (!cond() && performance.now() < end) await sleep(step);
  return cond();
}

/**
 * Writes `count` PDUs made by `make(i)` to `socket`, `batch` at a time, waiting for 'drain' when
 * the socket's buffer is full, so the writer itself holds at most one batch. Stops when `stalledMs`
 * pass without a drain (the receiver stopped reading) or the socket ends. Resolves with how many
 * were written.
 */
export async function writeWithBackPressure(
  socket: net.Socket,
  count: number,
  make: (i: number) => Uint8Array,
  options: { batch?: number; stalledMs?: number } = {},
): Promise<{ written: number; stalled: boolean }> {
  const batch = options.batch ?? 256;
  let written = 0;
  while (written < count) {
    if (socket.destroyed || socket.writableEnded) return { written, stalled: false };
    const parts: Uint8Array[] = [];
    const n = Math.min(batch, count - written);
    for (let i = 0; i < n; i++) parts.push(make(written + i));
    const ok = socket.write(concat(...parts));
    written += n;
    if (!ok) {
      const drained = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => (cleanup(), resolve(false)), options.stalledMs ?? 30_000);
        const onDrain = () => (cleanup(), resolve(true));
        const onClose = () => (cleanup(), resolve(true));
        const cleanup = () => {
          clearTimeout(timer);
          socket.off('drain', onDrain);
          socket.off('close', onClose);
        };
        socket.once('drain', onDrain);
        socket.once('close', onClose);
      });
      if (!drained) return { written, stalled: true };
    }
  }
  return { written, stalled: false };
}

/** The commands (and data set bytes) of every DIMSE message in P-DATA PDUs, in order. */
export class ResponseReader {
  readonly messages: { command: Command; dataset: Uint8Array | null }[] = [];
  private commandParts: Uint8Array[] = [];
  private dataParts: Uint8Array[] = [];
  private pending: Command | null = null;

  /** Feeds one P-DATA-TF PDU (whole, with its 6-byte header). */
  push(pdu: Uint8Array): void {
    const view = new DataView(pdu.buffer, pdu.byteOffset, pdu.byteLength);
    for (let off = 6; off < pdu.length; ) {
      const len = view.getUint32(off);
      const mch = pdu[off + 5]!;
      const data = pdu.subarray(off + 6, off + 4 + len);
      off += 4 + len;
      if (mch & 1) {
        this.commandParts.push(data);
        if (mch & 2) {
          const command = decodeCommand(concat(...this.commandParts));
          this.commandParts = [];
          if (command.CommandDataSetType === 0x0101) this.messages.push({ command, dataset: null });
          else this.pending = command;
        }
      } else {
        this.dataParts.push(data);
        if (mch & 2) {
          this.messages.push({ command: this.pending!, dataset: concat(...this.dataParts) });
          this.pending = null;
          this.dataParts = [];
        }
      }
    }
  }

  /** Takes every P-DATA the peer has received so far; returns how many messages are known. */
  drain(peer: TcpPeer): number {
    while (peer.pdus[0]?.type === 0x04) this.push(peer.pdus.shift()!.bytes);
    return this.messages.length;
  }
}

/** The SCP-side provider's queue of received, not yet taken messages (white-box, for "bounded queueing"). */
export function queuedMessages(association: Association): number {
  return (association.dimse as unknown as { queue: unknown[] }).queue.length;
}

/** One P-DATA PDU holding a whole command (PCID `pcid`). */
export function commandPdu(pcid: number, command: Uint8Array): Uint8Array {
  return pdata([pcid, 0x03, command]);
}
