/**
 * Bounds-checked big-endian cursor over a Uint8Array (PS3.8 §9.3: every PDU field is big endian).
 * Running out of bytes never yields a RangeError: it throws a ProtocolError that names the field
 * and carries the A-ABORT to send, (2, 6) invalid-PDU-parameter-value (PS3.8 Table 9-26).
 */
import { ProtocolError } from '../errors';

/** Where a reader sits inside the PDU, so errors can report the PDU type and an absolute offset. */
export interface ReaderContext {
  /** PDU type byte (01H..07H) of the PDU being read. */
  readonly pduType?: number;
  /** Absolute offset of `bytes[0]` inside the PDU, header included. */
  readonly baseOffset?: number;
}

/**
 * Builds the ProtocolError the codec raises: A-ABORT source 2 (service-provider) with
 * `reason` (default 6, invalid-PDU-parameter-value; PS3.8 §9.3.8, Table 9-26).
 */
export function pduError(
  code: string,
  message: string,
  details: { pduType?: number; offset?: number } = {},
  reason = 6,
): ProtocolError {
  const where = details.offset === undefined ? '' : ` at offset ${details.offset}`;
  return new ProtocolError(code, `${message}${where}`, { source: 2, reason }, details);
}

/** DataView cursor; `view()`/`reader()` return subarrays (no copies). */
export class ByteReader {
  private readonly dv: DataView;
  private pos = 0;
  readonly pduType: number | undefined;
  private readonly base: number;

  constructor(
    readonly bytes: Uint8Array,
    context: ReaderContext = {},
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pduType = context.pduType;
    this.base = context.baseOffset ?? 0;
  }

  /** Absolute offset inside the PDU of the next byte to read. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /**
   * Throws the codec's ProtocolError, reporting `at` (an absolute offset, default the current
   * one) and A-ABORT (2, `reason`).
   */
  fail(code: string, message: string, at = this.offset, reason = 6): never {
    throw pduError(code, message, { pduType: this.pduType, offset: at }, reason);
  }

  /** Throws FIELD_TRUNCATED unless `n` more bytes are present. */
  need(n: number, field: string): void {
    if (n > this.remaining) {
      this.fail('FIELD_TRUNCATED', `${field}: needs ${n} byte(s), ${this.remaining} left`);
    }
  }

  /** Reads one byte; `field` names it in the error if absent. */
  uint8(field: string): number {
    this.need(1, field);
    return this.dv.getUint8(this.pos++);
  }

  /** Reads a big-endian 16-bit unsigned integer. */
  uint16(field: string): number {
    this.need(2, field);
    const value = this.dv.getUint16(this.pos);
    this.pos += 2;
    return value;
  }

  /** Reads a big-endian 32-bit unsigned integer. */
  uint32(field: string): number {
    this.need(4, field);
    const value = this.dv.getUint32(this.pos);
    this.pos += 4;
    return value;
  }

  /** The next `n` bytes as a view into the same buffer. */
  view(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Everything left, as a view. */
  rest(): Uint8Array {
    return this.view(this.remaining, 'rest');
  }

  /** Skips `n` bytes (reserved fields: present but never tested, PS3.8 §9.3). */
  skip(n: number, field: string): void {
    this.need(n, field);
    this.pos += n;
  }

  /** A child reader over the next `n` bytes (an item's value), with offsets kept absolute. */
  reader(n: number, field: string): ByteReader {
    const start = this.offset;
    return new ByteReader(this.view(n, field), { pduType: this.pduType, baseOffset: start });
  }
}
