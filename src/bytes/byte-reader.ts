/**
 * Bounds-checked big-endian cursor over a Uint8Array (PS3.8 §9.3: every PDU field is big endian).
 * Running out of bytes never yields a RangeError: it throws a ProtocolError that names the field
 * and carries the A-ABORT to send, (2, 6) invalid-PDU-parameter-value (PS3.8 Table 9-26).
 */
import { ProtocolError } from '../errors';
import { readUint16, readUint32 } from './big-endian';

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

/**
 * A cursor over `bytes[start, end)`. Child readers (`reader()`) share the parent's bytes with a
 * narrower window: no view, DataView or copy per item, of which an A-ASSOCIATE-RQ has hundreds.
 */
export class ByteReader {
  private pos: number;
  private readonly end: number;
  readonly pduType: number | undefined;
  /** Absolute offset inside the PDU of `bytes[start]`, minus `start`: offset = base + pos. */
  private readonly base: number;

  constructor(
    private readonly bytes: Uint8Array,
    context: ReaderContext = {},
    start = 0,
    end = bytes.length,
  ) {
    this.pos = start;
    this.end = end;
    this.pduType = context.pduType;
    this.base = (context.baseOffset ?? 0) - start;
  }

  /** Absolute offset inside the PDU of the next byte to read. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.end - this.pos;
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
    if (n > this.end - this.pos) {
      this.fail('FIELD_TRUNCATED', `${field}: needs ${n} byte(s), ${this.remaining} left`);
    }
  }

  /** Reads one byte; `field` names it in the error if absent. */
  uint8(field: string): number {
    this.need(1, field);
    return this.bytes[this.pos++]!;
  }

  /** Reads a big-endian 16-bit unsigned integer. */
  uint16(field: string): number {
    this.need(2, field);
    const at = this.pos;
    this.pos = at + 2;
    return readUint16(this.bytes, at);
  }

  /** Reads a big-endian 32-bit unsigned integer. */
  uint32(field: string): number {
    this.need(4, field);
    const at = this.pos;
    this.pos = at + 4;
    return readUint32(this.bytes, at);
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

  /** Everything left, through `decode(bytes, start, end)`: text without a view of its own. */
  restAs<T>(decode: (bytes: Uint8Array, start: number, end: number) => T): T {
    const start = this.pos;
    this.pos = this.end;
    return decode(this.bytes, start, this.end);
  }

  /** Skips `n` bytes (reserved fields: present but never tested, PS3.8 §9.3). */
  skip(n: number, field: string): void {
    this.need(n, field);
    this.pos += n;
  }

  /** A child reader over the next `n` bytes (an item's value), with offsets kept absolute. */
  reader(n: number, field: string): ByteReader {
    this.need(n, field);
    const start = this.pos;
    this.pos += n;
    return new ByteReader(this.bytes, { pduType: this.pduType, baseOffset: this.base + start }, start, start + n);
  }
}
