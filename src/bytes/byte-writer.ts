/**
 * Growable big-endian writer for PDUs and items (PS3.8 §9.3). Length fields are reserved first
 * and patched once the content is written, as pg-protocol's writer does for its headers.
 */
import { asciiInto } from './text';

/** Appends big-endian integers and byte runs; `finish()` returns a view of what was written. */
export class ByteWriter {
  private buf: Uint8Array;
  private dv: DataView;
  private pos = 0;

  /** @param capacity initial size; pass the exact size when known to avoid regrowth. */
  constructor(capacity = 256) {
    this.buf = new Uint8Array(Math.max(capacity, 16));
    this.dv = new DataView(this.buf.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // Doubling keeps appends amortised O(1).
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  /** Appends one byte. */
  uint8(value: number): this {
    this.ensure(1);
    this.dv.setUint8(this.pos++, value);
    return this;
  }

  /** Appends a big-endian 16-bit unsigned integer. */
  uint16(value: number): this {
    this.ensure(2);
    this.dv.setUint16(this.pos, value);
    this.pos += 2;
    return this;
  }

  /** Appends a big-endian 32-bit unsigned integer. */
  uint32(value: number): this {
    this.ensure(4);
    this.dv.setUint32(this.pos, value);
    this.pos += 4;
    return this;
  }

  /** Appends a copy of `value` (one bulk copy, no per-byte loop). */
  bytes(value: Uint8Array): this {
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /**
   * Appends `text` one byte per character, as `encodeAscii` encodes it (RangeError naming `what`
   * for a character above FFH), without an array of its own: UIDs, hundreds per association.
   */
  ascii(text: string, what: string): this {
    this.ensure(text.length);
    asciiInto(text, this.buf, this.pos, what);
    this.pos += text.length;
    return this;
  }

  /** `n` zero bytes (reserved fields are sent as 00H, PS3.8 §9.3). */
  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  /** Writes a placeholder 2-byte length and returns its position for `patchUint16`. */
  reserveUint16(): number {
    const at = this.pos;
    this.uint16(0);
    return at;
  }

  /** Writes a placeholder 4-byte length and returns its position for `patchUint32`. */
  reserveUint32(): number {
    const at = this.pos;
    this.uint32(0);
    return at;
  }

  /** Sets the 2-byte length at `at` to the number of bytes written after it. */
  patchUint16(at: number): void {
    const length = this.pos - at - 2;
    if (length > 0xffff) throw new RangeError(`item too long for a 2-byte length: ${length}`);
    this.dv.setUint16(at, length);
  }

  /** Sets the 4-byte length at `at` to the number of bytes written after it. */
  patchUint32(at: number): void {
    this.dv.setUint32(at, this.pos - at - 4);
  }

  /** The bytes written (a view; the writer must not be used afterwards). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
