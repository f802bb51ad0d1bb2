/**
 * The text last decoded from a field, kept with its bytes: a field that repeats its value from
 * message to message (a command's SOP Class UID, the peer's AE title) is compared, not decoded.
 * Decoding a short string natively costs ~1 µs in Node (a call into C++ and a new string); a
 * comparison of ≤ 64 bytes costs a few tens of nanoseconds once optimised.
 */

/** Longest value kept: UIDs are at most 64 bytes; longer text is decoded every time. */
const MAX_KEPT = 64;

export class RecentText {
  /** A copy of the bytes last decoded (the caller's views may be of memory that is reused). */
  private readonly kept = new Uint8Array(MAX_KEPT);
  private keptLength = -1;
  private text = '';

  /**
   * `decode` of `bytes[start, end)`, or the text it gave last time when those bytes are the same
   * as then (no view is made for a repeat).
   */
  decode(bytes: Uint8Array, start: number, end: number, decode: (bytes: Uint8Array) => string): string {
    const n = end - start;
    if (n === this.keptLength && keptBytesMatch(this.kept, bytes, start, n)) return this.text;
    const view = bytes.subarray(start, end);
    const text = decode(view);
    if (n <= MAX_KEPT) {
      this.kept.set(view);
      this.keptLength = n;
      this.text = text;
    }
    return text;
  }
}

/** Whether `kept[0, n)` equals `bytes[start, start + n)`. */
export function keptBytesMatch(kept: Uint8Array, bytes: Uint8Array, start: number, n: number): boolean {
  // From the end: UIDs that differ mostly differ in their last digits.
  for (let i = n - 1; i >= 0; i--) if (bytes[start + i] !== kept[i]) return false;
  return true;
}
