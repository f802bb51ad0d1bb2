/**
 * Buffers that files are read into before they are sent, handed back by the sender once the
 * socket has flushed them (ChunkRecycler), so a sender of many files reads each into warm memory
 * (new memory per file cost ~80 page faults per 512 KiB file). New buffers are counted for the
 * prompt reclaim of dead ones (reclaim.ts).
 */
import { socketReclaimer } from './reclaim';

/** Buffers kept for reuse: a sender holds about three (being cut, held back, being flushed) plus one read ahead. */
const MAX_SPARE = 4;
/** Sizes are rounded up to this, so files of similar size share buffers. */
const SIZE_STEP = 64 * 1024;

// Buffers out with consumers, by their memory (weakly: a consumer that keeps or drops a chunk
// without handing it back must not make us hold it), and handed-back ones ready for the next read.
const lent = new WeakMap<ArrayBuffer, Uint8Array>();
const spare: Uint8Array[] = [];

/**
 * `n` bytes of new memory, not zero-filled (a read overwrites them; callers expose only what was
 * read), as a plain Uint8Array: Buffer's slice() semantics differ from Uint8Array's.
 */
export function freshBytes(n: number): Uint8Array {
  socketReclaimer.note(n); // garbage once dropped, like a socket read's buffer (reclaim.ts)
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/** A buffer of at least `size` bytes to read a file into: the smallest spare one that fits, else new memory. */
export function lendFileBuffer(size: number): Uint8Array {
  let best = -1;
  for (let i = 0; i < spare.length; i++) {
    if (spare[i]!.byteLength >= size && (best < 0 || spare[i]!.byteLength < spare[best]!.byteLength)) best = i;
  }
  const buffer = best >= 0 ? spare.splice(best, 1)[0]! : freshBytes(size < SIZE_STEP ? size : Math.ceil(size / SIZE_STEP) * SIZE_STEP);
  lent.set(buffer.buffer as ArrayBuffer, buffer);
  return buffer;
}

/**
 * Takes back a chunk of a buffer {@link lendFileBuffer} gave out (any view of it), once no byte of
 * it is referenced any more; anything else, or a buffer already handed back, is ignored. When the
 * spares are full, a larger buffer replaces the smallest, so they grow to the files being sent.
 */
export function recycleFileBuffer(chunk: Uint8Array): void {
  const whole = lent.get(chunk.buffer as ArrayBuffer);
  if (!whole || !lent.delete(chunk.buffer as ArrayBuffer)) return;
  if (spare.length < MAX_SPARE) {
    spare.push(whole);
    return;
  }
  let smallest = 0;
  for (let i = 1; i < spare.length; i++) if (spare[i]!.byteLength < spare[smallest]!.byteLength) smallest = i;
  if (spare[smallest]!.byteLength < whole.byteLength) spare[smallest] = whole;
}
