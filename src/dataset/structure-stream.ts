/**
 * The structural check of structure.ts for a data set that arrives in chunks and is never held
 * whole (a streamed C-STORE written to disk): every element, item and delimiter must be complete
 * when the data set ends (reliability.md D-10). A data set cut mid-element would otherwise be
 * stored, and reported stored, as a file no reader can parse.
 *
 * Reads element and item headers only; a value is skipped by its length (no per-byte work on bulk
 * data), a value of defined length without looking inside, a sequence or item of undefined length
 * by walking its items and elements up to their delimiters.
 */
import { DimseError } from '../errors';
import { LONG_VRS } from './structure';

const UNDEFINED = 0xffffffff;
const MAX_DEPTH = 64;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQUENCE_END = 0xfffee0dd;

/** Where the walker is: the elements of a data set or item, or the items of a sequence. */
interface Frame {
  readonly items: boolean;
  /** Inside an item of undefined length (its elements end at an Item Delimitation Item). */
  readonly inItem: boolean;
  /** Explicit VR: false inside a UN value of undefined length (Implicit VR LE, PS3.5 §6.2.2). */
  readonly explicitVr: boolean;
}

function fail(message: string): never {
  throw new DimseError('DATASET_DECODE_FAILED', message);
}

/** Checks a data set's structure chunk by chunk; throws DimseError('DATASET_DECODE_FAILED'). */
export class StructureWalker {
  private readonly stack: Frame[];
  /** Bytes of the current value still to come. */
  private skip = 0;
  /** A header split across chunks (at most 12 bytes). */
  private readonly carry = new Uint8Array(12);
  private carried = 0;
  /** Offset of the next header in the data set, for messages. */
  private offset = 0;

  constructor(
    explicitVr: boolean,
    private readonly littleEndian: boolean,
  ) {
    this.stack = [{ items: false, inItem: false, explicitVr }];
  }

  /** Walks `chunk`, the next bytes of the data set. */
  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        this.offset += n;
        at += n;
      } else if (this.carried === 0 && chunk.length - at >= 12) {
        at += this.header(chunk, at); // a whole header is in this chunk (the usual case)
      } else {
        // A header at a chunk's edge: gathered byte by byte, at most 12 bytes per edge.
        this.carry[this.carried++] = chunk[at++]!;
        if (this.carried >= 8 && this.carried === this.headerLength(this.carry, 0)) {
          this.carried = 0;
          this.header(this.carry, 0);
        }
      }
    }
  }

  /** Throws unless the data set ended on an element boundary outside every undefined length. */
  finish(): void {
    if (this.skip > 0) fail(`data set truncated: ${this.skip} bytes of a value missing at offset ${this.offset}`);
    if (this.carried > 0) fail(`data set truncated inside a header at offset ${this.offset}`);
    if (this.stack.length > 1) fail(`data set ends inside a ${this.top().items ? 'sequence' : 'item'} of undefined length`);
  }

  private top(): Frame {
    return this.stack[this.stack.length - 1]!;
  }

  private u16(bytes: Uint8Array, at: number): number {
    return this.littleEndian ? bytes[at]! | (bytes[at + 1]! << 8) : (bytes[at]! << 8) | bytes[at + 1]!;
  }

  private u32(bytes: Uint8Array, at: number): number {
    const high = this.u16(bytes, this.littleEndian ? at + 2 : at);
    const low = this.u16(bytes, this.littleEndian ? at : at + 2);
    return high * 0x10000 + low;
  }

  /** 12 for an explicit VR with a 32-bit length (PS3.5 §7.1.2), else 8 (items and delimiters have no VR). */
  private headerLength(bytes: Uint8Array, at: number): number {
    const frame = this.top();
    if (frame.items || !frame.explicitVr || this.u16(bytes, at) === 0xfffe) return 8;
    return LONG_VRS.has(String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!)) ? 12 : 8;
  }

  /** Reads the header at `at` (all of it is there) and returns its length. */
  private header(bytes: Uint8Array, at: number): number {
    const size = this.headerLength(bytes, at);
    this.offset += size;
    const tag = this.u32tag(bytes, at);
    const frame = this.top();
    if (frame.items) {
      const length = this.u32(bytes, at + 4);
      if (tag === SEQUENCE_END) this.stack.pop();
      else if (tag !== ITEM) fail(`expected an item at offset ${this.offset - size}`);
      else if (length === UNDEFINED) this.enter({ items: false, inItem: true, explicitVr: frame.explicitVr });
      else this.skip = length;
      return size;
    }
    if (tag >>> 16 === 0xfffe) {
      if (tag !== ITEM_END || !frame.inItem) fail(`unexpected item tag at offset ${this.offset - size}`);
      this.stack.pop();
      return size;
    }
    const length = size === 12 ? this.u32(bytes, at + 8) : frame.explicitVr ? this.u16(bytes, at + 6) : this.u32(bytes, at + 4);
    if (length !== UNDEFINED) this.skip = length;
    else this.enter({ items: true, inItem: false, explicitVr: frame.explicitVr && !(bytes[at + 4] === 0x55 && bytes[at + 5] === 0x4e) }); // UN
    return size;
  }

  private u32tag(bytes: Uint8Array, at: number): number {
    return this.u16(bytes, at) * 0x10000 + this.u16(bytes, at + 2);
  }

  private enter(frame: Frame): void {
    if (this.stack.length > MAX_DEPTH) fail(`data set nests sequences deeper than ${MAX_DEPTH}`);
    this.stack.push(frame);
  }
}
