/**
 * Small byte arrays carved from shared blocks. A new ArrayBuffer costs V8 an off-heap allocation
 * and its bookkeeping (~1–2 µs each, node micro-benchmark, against ~50 ns for a view), which the
 * hot paths paid per message (encoded commands, C-FIND matches) and per small socket read or
 * spanning PDU. A block is never written again once handed out, so each view stays valid for as
 * long as its holder keeps it; the price is that a long-kept view keeps its whole block alive, so
 * it serves bytes that are soon dropped, and the public encoders keep memory of their own (a
 * caller may rely on `.buffer`).
 */
/** See Slab.nextBlockBytes. */
const FIRST_BLOCK_BYTES = 256;

export class Slab {
  private block = new Uint8Array(0);
  private used = 0;
  /**
   * The next block's size: blocks start small and double up to `blockBytes`, so that a process's
   * first few dozen takes already run the refill branch. A branch that first runs after V8 has
   * optimised a caller deoptimises it and gets it compiled again: with full-size blocks from the
   * start, every fresh SCU and SCP compiled the command encoder twice (~10-25 ms each time).
   */
  private nextBlockBytes = FIRST_BLOCK_BYTES;

  /** `blockBytes`: the shared block size; arrays over a quarter of it get memory of their own. */
  constructor(private readonly blockBytes: number) {}

  /** `n` zeroed bytes (fresh memory, never handed out before). */
  take(n: number): Uint8Array {
    if (n > this.blockBytes / 4) return new Uint8Array(n);
    if (this.used + n > this.block.length) {
      this.block = new Uint8Array(Math.max(this.nextBlockBytes, n));
      this.nextBlockBytes = Math.min(this.nextBlockBytes * 2, this.blockBytes);
      this.used = 0;
    }
    const out = this.block.subarray(this.used, this.used + n);
    // Keep the next view 8-byte aligned, as fresh allocations are.
    this.used += (n + 7) & ~7;
    return out;
  }
}
