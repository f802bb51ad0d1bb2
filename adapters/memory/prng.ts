/**
 * A tiny seeded PRNG (mulberry32) so chunked test runs are reproducible.
 * Not for anything security-related.
 */
export function createPrng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits `bytes` into views whose sizes are drawn uniformly from [min, max] (the last may be shorter). */
export function splitRandomly(bytes: Uint8Array, min: number, max: number, next: () => number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.byteLength; ) {
    const size = min + Math.floor(next() * (max - min + 1));
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return pieces;
}
