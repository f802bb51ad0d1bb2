/**
 * Socket reads into reused memory ("lent" reads).
 *
 * By default Node reads every chunk of a socket into new memory, which the garbage collector frees
 * later: on a large transfer that allocation, its page faults and cold caches cost about as much as
 * the kernel's copy itself (bench: 'data' events ~0.7 GB/s against ~3 GB/s into a reused buffer).
 * Here a socket reads into 64 KiB buffers (512 KiB while it is behind) from a process-wide pool
 * instead (Node's `onread`). Each chunk is lent to the core, which hands its bytes back with
 * {@link releaseLentBytes} as it is done with them: PDU headers when parsed, command sets when
 * decoded, data set fragments when a consumer that asked for lent chunks (the fs-store) has written
 * them. A buffer returns to the pool only when every byte of it has come back; bytes never handed
 * back keep their buffer out of the pool and the garbage collector frees it as usual, so a consumer
 * that keeps chunks is always safe.
 *
 * Node offers `onread` on client sockets only. An accepted (server) socket is re-created around
 * its handle with `onread` ({@link lendingServerSocket}): that goes through Node internals
 * (`socket._handle`, the undocumented `handle` option), is checked for, and falls back to the
 * socket as accepted when anything is missing.
 */
import net from 'node:net';
import { Slab } from '../../src/bytes/slab';
import { socketReclaimer } from './reclaim';

/** Bytes per read buffer: Node's own read size. Every socket holds one, for its next read. */
export const LENT_BUFFER_BYTES = 64 * 1024;
/**
 * Bytes per read buffer of a socket whose last read filled its buffer (a receiver that is behind,
 * e.g. the SCP of a large instance): it then takes what the kernel holds in an eighth of the
 * reads, and each read opens the TCP window by more at once (on loopback the receiver's read also
 * runs the sender's transmit, the window update's ACK), so fewer, larger reads cost less, most of
 * all in a fresh process, where each read's JavaScript still runs cold.
 * Measured: one 256 MiB instance at 128 KiB PDUs, both processes warm, 64 → 256 KiB: ~236 → ~194
 * ms (medians of 16 passes each); fresh processes, 256 → 512 KiB: ~0.35 → ~0.31 s (7 alternating
 * runs each); 1 MiB gained little more and held ~4 MiB more in the SCP of a 1 GiB instance (512
 * KiB: ~2 MiB); many 512 KiB files unchanged. A socket goes back to the small size once a read
 * fits it, so idle and chatty connections hold 64 KiB each.
 *
 * At most COPY_FRACTION × LENT_BUFFER_BYTES: a read that a large buffer copies out (see
 * COPY_FRACTION) must also fit the small size and so end the large mode; with larger buffers, reads
 * between the two sizes were copied one after another (1 MiB: ~50 MB copied of 1 GiB).
 */
export const LARGE_LENT_BUFFER_BYTES = 512 * 1024;
/** Free buffers kept for reuse, per size (process-wide, all sockets): 2 + 8 MiB at most. */
const MAX_POOLED = 32;
/**
 * A receiver that is behind holds up to ~16 large reads at once (a 1 MiB PDU spans three, and
 * reads go on while the handler catches up). A large buffer that finds the pool full is dropped,
 * by then usually in V8's old generation, so only a full collection frees it, and the next burst
 * makes new ones: with 8 pooled, an SCP receiving 256 MiB instances at 1 MiB PDUs, one association
 * after another, grew from 62–65 to 78–86 MiB over 12 associations; with 16 it stays at ~70 MiB
 * (the same with a file store). Throughput within noise.
 */
const MAX_POOLED_LARGE = 16;
/**
 * Reads shorter than this are copied out and their buffer goes straight back: commands, responses,
 * association PDUs and hostile scraps then hold a few bytes each, not a 64 KiB buffer apiece until
 * the garbage collector finds them (Node shrinks its own reads so too).
 */
const SMALL_READ = 8 * 1024;
/** Where small reads are copied: shared blocks, not an ArrayBuffer of their own each (bytes/slab.ts). */
const smallReads = new Slab(64 * 1024);
/**
 * Reads of up to an eighth of their buffer are copied out (from SMALL_READ up into memory of their
 * own): a lent buffer never holds less than an eighth of its size in live bytes.
 */
const COPY_FRACTION = 8;

const pool: Uint8Array[] = [];
const largePool: Uint8Array[] = [];
/** Buffers lent out, by their memory: how many of their bytes are still out. Weak: a buffer never handed back is collected. */
const leases = new WeakMap<ArrayBufferLike, { buffer: Uint8Array; out: number }>();
/**
 * Leases not yet handed back in full. While none is out (chatty traffic, whose small reads are
 * copied), a release has nothing to look up and skips reading `.buffer`, a call into V8's C++. A
 * lease never handed back keeps this above 0: releases then look up as before.
 */
let leasesOut = 0;

/** Poisons a buffer as it returns to the pool (tests: a byte read after its release shows up). */
let poison: ((buffer: Uint8Array) => void) | null = null;

/** For tests: fill every buffer returning to the pool with `byte` (null: off). */
export function poisonReleasedReads(byte: number | null): void {
  poison = byte === null ? null : (buffer) => buffer.fill(byte);
}

/**
 * Counters for tests: buffers made (and their bytes), buffers reused, lent buffers handed back
 * whole (`returned`), bytes of reads copied out, leases handed back more bytes than they lent (a
 * bug), and leases out now.
 */
export const lentReadStats = {
  made: 0, madeBytes: 0, reused: 0, returned: 0, copied: 0, overReleased: 0,
  get out(): number {
    return leasesOut;
  },
};

function nextBuffer(large: boolean): Uint8Array {
  const reused = large ? largePool.pop() : pool.pop();
  if (reused) {
    lentReadStats.reused++;
    return reused;
  }
  lentReadStats.made++;
  const size = large ? LARGE_LENT_BUFFER_BYTES : LENT_BUFFER_BYTES;
  lentReadStats.madeBytes += size;
  // New memory, garbage once dropped: counted like Node's own read buffers (reclaim.ts).
  socketReclaimer.note(size);
  // Its own ArrayBuffer (never a slice of Node's shared pool): the lease is keyed by it.
  return new Uint8Array(size);
}

/** A buffer back in its pool, if there is room. */
function toPool(buffer: Uint8Array): void {
  if (buffer.byteLength === LENT_BUFFER_BYTES) {
    if (pool.length < MAX_POOLED) pool.push(buffer);
  } else if (largePool.length < MAX_POOLED_LARGE) largePool.push(buffer);
}

/**
 * Hands back `count` bytes (default: all of `view`) of a chunk some socket lent: its memory may be
 * read into again once all of it is back. Views of anything else are ignored. Each byte must come
 * back at most once; a buffer that gets more back than it lent is never reused.
 */
export function releaseLentBytes(view: Uint8Array, count = view.byteLength): void {
  if (leasesOut === 0) return;
  const lease = leases.get(view.buffer);
  if (!lease) return;
  lease.out -= count;
  if (lease.out > 0) return;
  leases.delete(view.buffer);
  leasesOut--;
  if (lease.out < 0) {
    lentReadStats.overReleased++;
    return;
  }
  lentReadStats.returned++;
  poison?.(lease.buffer);
  toPool(lease.buffer);
}

/**
 * The read side of one socket in lent mode: Node's `onread` option, plus the delivery of each
 * chunk to whoever listens (chunks that come before a listener wait, in order).
 */
export class LentReads {
  private deliver: ((chunk: Uint8Array) => void) | null = null;
  private early: Uint8Array[] = [];
  /** Whether the next read gets a large buffer (see LARGE_LENT_BUFFER_BYTES). */
  private large = false;
  /** The buffer Node holds for this socket's next read, not read into yet (see {@link closed}). */
  private waiting: Uint8Array | null = null;

  /** For `net.connect({ onread })` / `new net.Socket({ onread })`. */
  readonly onread: net.OnReadOpts = {
    buffer: (): Uint8Array => (this.waiting = nextBuffer(this.large)),
    callback: (bytes: number, buffer: Uint8Array): boolean => {
      this.waiting = null; // read into: lent or copied below, no longer the socket's spare
      // A full buffer: more is waiting, read more at once next time; a read that fits the small size: back to it.
      if (bytes === buffer.byteLength) this.large = true;
      else if (bytes <= LENT_BUFFER_BYTES) this.large = false;
      let chunk: Uint8Array;
      if (bytes < SMALL_READ || bytes * COPY_FRACTION <= buffer.byteLength) {
        chunk = bytes < SMALL_READ ? smallReads.take(bytes) : new Uint8Array(bytes);
        chunk.set(buffer.subarray(0, bytes));
        lentReadStats.copied += bytes;
        socketReclaimer.note(bytes); // new memory (or slab blocks), garbage once the views are
        toPool(buffer);
      } else {
        chunk = buffer.subarray(0, bytes);
        leases.set(buffer.buffer, { buffer, out: bytes });
        leasesOut++;
      }
      if (this.deliver) this.deliver(chunk);
      else this.early.push(chunk);
      return true; // pausing is the transport's socket.pause()
    },
  };

  /**
   * The socket has closed (no read can come any more): the buffer it held for its next read goes
   * back to the pool. Without this every connection cost a new buffer (zero-filled, page-faulted
   * and counted towards a forced collection): associate + echo + release cycles spent ~9 % of the
   * SCP's time making them.
   */
  closed(): void {
    // No chunk can come any more: forget the consumer (Node 26 keeps a closed socket, and so this
    // object, reachable until a full garbage collection).
    this.deliver = null;
    this.early = [];
    const spare = this.waiting;
    this.waiting = null;
    if (!spare) return;
    poison?.(spare);
    toPool(spare);
  }

  /** Delivers chunks (those waiting first) to `deliver` from now on. */
  attach(deliver: (chunk: Uint8Array) => void): void {
    this.deliver = deliver;
    for (const chunk of this.early.splice(0)) deliver(chunk);
  }
}

interface SocketInternals {
  _handle?: { useUserBuffer?: unknown; readStart?: unknown } | null;
}

/**
 * An accepted socket (from a server with `pauseOnConnect`, not yet read from) re-created around
 * the same connection so that it reads into lent buffers. Null when this Node does not look as
 * expected; the caller then uses `socket` as it is.
 */
export function lendingServerSocket(socket: net.Socket): { socket: net.Socket; reads: LentReads } | null {
  const internals = socket as unknown as SocketInternals;
  const handle = internals._handle;
  if (!handle || typeof handle.useUserBuffer !== 'function' || typeof handle.readStart !== 'function') return null;
  const reads = new LentReads();
  let lending: net.Socket;
  try {
    lending = new net.Socket({ handle, onread: reads.onread } as net.SocketConstructorOpts);
  } catch {
    return null;
  }
  // The accepted socket no longer owns the connection: forget the handle, then let it go quietly.
  internals._handle = null;
  socket.on('error', () => {});
  socket.destroy();
  return { socket: lending, reads };
}
