/**
 * dcmjs's own stream-based reader and writer: the general path for what the hand-written dict
 * reader/writer leave (big endian, other VRs, encapsulated pixel data, odd input), and the
 * reference they are tested against. The reader is made to agree with the dict reader where
 * dcmjs gets text wrong: items inherit the character set, ST/UT/UR values are not split, UR has
 * no trailing pad, each value of a multi-valued AE/CS/LO/SH is trimmed.
 */
import type { DcmjsDict } from 'dcmjs';
import { dcmjs } from './dcmjs-module';
import { PADDED_TEXT, SINGLE_VALUED_TEXT } from './dict-vr';

/** dcmjs's element dictionary of an encoded data set in one of its three native syntaxes. */
export function dcmjsRead(plain: Uint8Array, syntax: string, littleEndian: boolean): DcmjsDict {
  const { DicomMessage, ReadBufferStream } = dcmjs().data;
  const stream = new ReadBufferStream(exactBuffer(plain), littleEndian, { noCopy: false }) as unknown as SubStreams;
  stream.more = itemsInheritDecoder;
  const dict = quietly(() => DicomMessage._read(stream, syntax, { ignoreErrors: false, untilTag: null, includeUntilTagValue: false }));
  return tidyText(dict);
}


/**
 * `dict` with text values as the dict reader gives them (in place, at every depth): ST, UT and UR
 * values dcmjs split joined again (it never splits LT), UR's pad dropped, each AE/CS/LO/SH value
 * trimmed.
 */
function tidyText(dict: DcmjsDict): DcmjsDict {
  for (const key of Object.keys(dict)) {
    const element = dict[key]!;
    const value = element.Value;
    if (!Array.isArray(value)) continue;
    if (element.vr === 'SQ') for (const item of value) tidyText(item as DcmjsDict);
    else if (value.length > 1 && SINGLE_VALUED_TEXT.has(element.vr) && value.every((v) => typeof v === 'string')) element.Value = [value.join('\\')];
    else if (value.length > 1 && PADDED_TEXT.has(element.vr)) element.Value = value.map((v) => (typeof v === 'string' ? v.trim() : v));
    if (element.vr === 'UR' && typeof element.Value?.[0] === 'string') element.Value = [(element.Value[0] as string).trimEnd()];
  }
  return dict;
}

/** What dcmjs's ReadBufferStream offers for reading an item: a sub-stream of the next `n` bytes. */
interface SubStreams {
  decoder: unknown;
  setDecoder(decoder: unknown): void;
  more(n: number): SubStreams;
}

/**
 * dcmjs reads each sequence item from `stream.more(n)`, a new stream that decodes text as
 * Latin-1 whatever the enclosing data set's (0008,0005) said. Items take their parent's character
 * set (PS3.3 C.12.1.1.2), so this `more`, set on the reader's own stream (dcmjs's prototype stays
 * as it is), hands the decoder on, and itself to the sub-stream for items within items.
 */
function itemsInheritDecoder(this: SubStreams, n: number): SubStreams {
  const proto = Object.getPrototypeOf(this) as SubStreams;
  const child = proto.more.call(this, n);
  child.setDecoder(this.decoder);
  child.more = itemsInheritDecoder;
  return child;
}

/** An element dictionary encoded by dcmjs in one of its three native syntaxes. */
export function dcmjsWrite(dict: DcmjsDict, syntax: string, littleEndian: boolean): Uint8Array {
  const { DicomMessage, WriteBufferStream } = dcmjs().data;
  return quietly(() => {
    const stream = new WriteBufferStream(4096, littleEndian);
    DicomMessage.write(dict, stream, syntax, { allowInvalidVRLength: false });
    return new Uint8Array(stream.getBuffer(0, stream.size));
  });
}

/** Bulk VRs, and 'ox' (the dictionary's "OB or OW", which dcmjs writes as OW). */
const BULK_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'UN', 'ox']);

/**
 * `dict` with every bulk value an ArrayBuffer of exactly its bytes, for dcmjs's writer, which
 * writes a view's whole ArrayBuffer from its start (a Node Buffer from the pool, a subarray) and,
 * in a native encoding, only the first of several values: those are joined into one (`native`).
 * Copies only what changes; `dict` (which may share arrays with the caller's data set) is left alone.
 */
export function withExactBulk(dict: DcmjsDict, native: boolean): DcmjsDict {
  let out = dict;
  for (const key of Object.keys(dict)) {
    const element = dict[key]!;
    const value = element.Value as unknown;
    if (!Array.isArray(value)) continue;
    let next: unknown[] | undefined;
    if (element.vr === 'SQ') {
      const items = value.map((item: unknown) => (item && typeof item === 'object' ? withExactBulk(item as DcmjsDict, native) : item));
      if (items.some((item, i) => item !== value[i])) next = items;
    } else if (BULK_VRS.has(element.vr) && ((native && value.length > 1) || value.some((part) => ArrayBuffer.isView(part)))) {
      const parts = value.map((part: unknown) => (ArrayBuffer.isView(part) ? new Uint8Array(part.buffer, part.byteOffset, part.byteLength) : part));
      next = native && parts.length > 1 && parts.every((p) => p instanceof Uint8Array || p instanceof ArrayBuffer) ? [joined(parts as (Uint8Array | ArrayBuffer)[])] : parts.map((p) => (p instanceof Uint8Array ? exactBuffer(p) : p));
    }
    if (!next) continue;
    if (out === dict) out = { ...dict };
    out[key] = { ...element, Value: next };
  }
  return out;
}

/** Bytes per word of the bulk VRs whose byte order follows the transfer syntax (PS3.5 §7.3). */
const WORD_SIZES: Readonly<Record<string, number>> = { OW: 2, ox: 2, OF: 4, OL: 4, OD: 8, OV: 8 };

/**
 * `dict` with every OW, OF, OL, OD and OV value in the other byte order, as new ArrayBuffers.
 * netdicom's bulk values are little endian whatever the syntax (as in PS3.18's InlineBinary and
 * DCMTK's JSON); dcmjs reads and writes a Big Endian data set's bytes as they stand, so its
 * results and input pass through this. Copies only what changes.
 */
export function withSwappedWords(dict: DcmjsDict): DcmjsDict {
  let out = dict;
  for (const key of Object.keys(dict)) {
    const element = dict[key]!;
    const value = element.Value as unknown;
    if (!Array.isArray(value)) continue;
    let next: unknown[] | undefined;
    if (element.vr === 'SQ') {
      const items = value.map((item: unknown) => (item && typeof item === 'object' ? withSwappedWords(item as DcmjsDict) : item));
      if (items.some((item, i) => item !== value[i])) next = items;
    } else if (WORD_SIZES[element.vr] && value.length > 0) {
      next = value.map((part: unknown) => (part instanceof ArrayBuffer || ArrayBuffer.isView(part) ? swapped(part, WORD_SIZES[element.vr]!) : part));
    }
    if (!next) continue;
    if (out === dict) out = { ...dict };
    out[key] = { ...element, Value: next };
  }
  return out;
}

/**
 * A copy of `part` with each `size`-byte word reversed. An odd length gets its pad byte first, as
 * the writer would add it (so the pad stays last in little-endian order); a trailing partial word
 * stays as it is.
 */
function swapped(part: ArrayBuffer | ArrayBufferView, size: number): ArrayBuffer {
  const from = part instanceof ArrayBuffer ? new Uint8Array(part) : new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
  const to = new Uint8Array(from.length + (from.length & 1));
  to.set(from);
  const end = to.length - (to.length % size);
  for (let i = 0; i < end; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = to[a]!;
      to[a] = to[b]!;
      to[b] = t;
    }
  }
  return to.buffer;
}

/** Several byte runs as one ArrayBuffer. */
function joined(parts: readonly (Uint8Array | ArrayBuffer)[]): ArrayBuffer {
  const views = parts.map((p) => (p instanceof Uint8Array ? p : new Uint8Array(p)));
  const out = new Uint8Array(views.reduce((n, v) => n + v.length, 0));
  let at = 0;
  for (const v of views) {
    out.set(v, at);
    at += v.length;
  }
  return out.buffer;
}

/** An ArrayBuffer holding exactly `bytes` (dcmjs reads `view.buffer` whole, ignoring the view's offset). */
function exactBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer;
  }
  // Uint8Array.prototype.slice copies; a Node Buffer's own slice() would share its (pooled) memory.
  return Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer;
}

/**
 * Runs `fn` with dcmjs's logger silenced: a library must not print to the console, and dcmjs
 * logs every odd element it meets. The previous level is restored, so an application's own
 * dcmjs logging setting is left alone.
 */
export function quietly<T>(fn: () => T): T {
  const { log } = dcmjs();
  const loggers = [log, log.getLogger('validation.dcmjs')];
  const levels = loggers.map((l) => l.getLevel());
  for (const l of loggers) l.setLevel('silent', false);
  try {
    return fn();
  } finally {
    loggers.forEach((l, i) => l.setLevel(levels[i]!, false));
  }
}
