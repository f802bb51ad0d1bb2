/**
 * A hand-written writer for Implicit and Explicit VR Little Endian data sets (PS3.5 §7.1, A.1,
 * A.2) from dcmjs's element dictionary (`DicomMetaDictionary.denaturalizeDataset` output). It
 * writes the same bytes as dcmjs's `DicomMessage.write` (tags sorted, sequences and items of
 * undefined length, text as UTF-8, the same padding and length checks) into one growing buffer,
 * instead of a WriteBufferStream per element, which dominates dcmjs's cost for small data sets.
 *
 * For anything it cannot write exactly like dcmjs (other VRs, values dcmjs would reject),
 * `writeDict` returns undefined and the caller uses dcmjs.
 */
import { data as dcmjsData, type DcmjsDict, type DcmjsVr } from 'dcmjs';
import { ASCII, BYTES, KINDS, LENGTH32, NUMBER, NUMBERS, PERSON_NAME, SEQUENCE, UID, type Kind } from './dict-vr';

const { ValueRepresentation } = dcmjsData;

const UNDEFINED = 0xffffffff;
const BACKSLASH = 0x5c;
const MAX_DEPTH = 64;

const DECLINE = Symbol('decline');
function decline(): never {
  throw DECLINE;
}

const vrs = new Map<string, DcmjsVr>();
function vrOf(type: string): DcmjsVr {
  let vr = vrs.get(type);
  if (!vr) vrs.set(type, (vr = ValueRepresentation.createByTypeString(type)));
  return vr;
}

const utf8 = new TextEncoder();
const TAG_KEY = /^[0-9A-Fa-f]{8}$/;

/**
 * `dict` encoded in Implicit or Explicit VR Little Endian, or undefined when dcmjs should write
 * it instead (which then produces the bytes or the error).
 */
export function writeDict(dict: DcmjsDict, implicit: boolean): Uint8Array | undefined {
  try {
    const sink = new Sink();
    writeDataset(sink, dict, implicit, 0);
    return sink.bytes.slice(0, sink.length);
  } catch {
    return undefined;
  }
}

function writeDataset(sink: Sink, dict: DcmjsDict, implicit: boolean, depth: number): void {
  if (depth > MAX_DEPTH || typeof dict !== 'object' || dict === null) decline();
  for (const key of Object.keys(dict).sort()) {
    if (!TAG_KEY.test(key)) decline();
    const element = dict[key]!;
    const type = element.vr;
    const kind = KINDS.get(type);
    // BYTES (OB/OW/OF/OD) are read here but left to dcmjs on write: encapsulation, fragments.
    if (kind === undefined || kind === BYTES) decline();
    if (element._rawValue !== undefined) decline(); // dcmjs would compare it with Value first
    const group = parseInt(key.slice(0, 4), 16);
    const elem = parseInt(key.slice(4), 16);
    sink.u16(group);
    sink.u16(elem);
    if (kind === SEQUENCE) {
      if (implicit) sink.u32(UNDEFINED);
      else sink.vr('SQ', true, UNDEFINED);
      writeItems(sink, element.Value, implicit, depth);
      continue;
    }
    const body = valueBytes(kind, type, element.Value);
    const long = LENGTH32.has(type);
    if (implicit) sink.u32(body.length);
    else if (long || body.length >= 0x10000) sink.vr(long ? type : 'UN', true, body.length); // dcmjs: big values as UN
    else sink.vr(type, false, body.length);
    sink.put(body);
  }
}

/** SequenceOfItems.writeBytes: each item of undefined length, then a Sequence Delimitation Item. */
function writeItems(sink: Sink, value: unknown, implicit: boolean, depth: number): void {
  if (value) {
    const items = value as ArrayLike<DcmjsDict>;
    for (let i = 0; i < items.length; i++) {
      sink.u16(0xfffe);
      sink.u16(0xe000);
      sink.u32(UNDEFINED);
      writeDataset(sink, items[i]!, implicit, depth + 1);
      sink.u16(0xfffe);
      sink.u16(0xe00d);
      sink.u32(0);
    }
  }
  sink.u16(0xfffe);
  sink.u16(0xe0dd);
  sink.u32(0);
}

/** The value field of a non-sequence element, padded to even length, as dcmjs's writeBytes does. */
function valueBytes(kind: Kind, type: string, value: unknown): Uint8Array {
  const vr = vrOf(type);
  if (kind === NUMBER) return numberBytes(type, value);
  let strings: unknown[];
  if (kind === PERSON_NAME) {
    const s = pnObjectToString(value);
    if (typeof s !== 'string' && !(s instanceof String)) decline();
    if (vr.checkLength && !vr.checkLength(s)) decline(); // a component over 64 characters: dcmjs throws
    strings = [String(s)];
  } else {
    strings = value === null || value === undefined || value === '' ? [] : Array.isArray(value) ? value : [value];
    // DS and IS format numbers; after denaturalizeDataset they are strings already.
    if (vr.convertToString) strings = strings.map((v) => vr.convertToString!(v));
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const s of strings) {
    if (typeof s !== 'string') decline();
    const b = kind === ASCII || kind === UID ? latin1Bytes(s) : utf8.encode(s);
    if (kind !== PERSON_NAME) checkLength(vr, s, b.length);
    parts.push(b);
    total += b.length;
  }
  if (parts.length > 1) total += parts.length - 1;
  const out = new Uint8Array(total + (total & 1));
  let off = 0;
  parts.forEach((p, i) => {
    if (i > 0) out[off++] = BACKSLASH;
    out.set(p, off);
    off += p.length;
  });
  if (total & 1) out[off] = kind === UID ? 0x00 : 0x20;
  return out;
}

/** ValueRepresentation.writeBytes's checks: over-long values make dcmjs throw (text VRs only log). */
function checkLength(vr: DcmjsVr, value: string, byteLength: number): void {
  if (vr.checkLength) {
    if (!vr.checkLength(value)) decline();
  } else if (vr.maxCharLength) {
    // dcmjs logs and writes it anyway.
  } else if (vr.maxLength && byteLength > vr.maxLength) {
    decline();
  }
}

/** US SS UL SL FL FD, with dcmjs's toInt/toFloat conversion of each value. */
function numberBytes(type: string, value: unknown): Uint8Array {
  const { size, set } = NUMBERS.get(type)!;
  const values = value === null || value === undefined || value === '' ? [] : Array.isArray(value) ? value : [value];
  const out = new Uint8Array(values.length * size);
  const dv = new DataView(out.buffer);
  const float = type === 'FL' || type === 'FD';
  values.forEach((v: unknown, i) => {
    if (typeof v !== 'string' && typeof v !== 'number') decline();
    let n: number;
    if (float) n = typeof v === 'string' ? parseFloat(v) : v;
    else {
      if (Number.isNaN(Number(v))) decline(); // toInt throws "Not a number"
      n = typeof v === 'string' ? parseInt(v) : v;
    }
    set(dv, i * size, n);
  });
  return out;
}

/**
 * dcmjs's dicomJson.pnObjectToString (0.52), copied: importing dcmjs's `utilities` would pull its
 * SR and segmentation helpers into the browser bundle. A PN value (strings, String objects,
 * { Alphabetic, Ideographic, Phonetic }, or an array of them) as a Part 5 string.
 */
function pnObjectToString(value: unknown): unknown {
  if (typeof value === 'string' || value instanceof String) return value;
  const values = Array.isArray(value) ? value : [value];
  return values
    .filter(Boolean)
    .map((v: unknown) => {
      if (v === undefined || typeof v === 'string' || v instanceof String) return v;
      const pn = v as { Alphabetic?: unknown; Ideographic?: unknown; Phonetic?: unknown };
      return [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? ''].join('=').replace(/=*$/, '');
    })
    .join('\\');
}

/** Each UTF-16 code unit as one byte, modulo 256 (dcmjs's writeAsciiString via DataView.setUint8). */
function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A growing little-endian byte buffer. */
class Sink {
  bytes = new Uint8Array(512);
  length = 0;
  private dv = new DataView(this.bytes.buffer);

  private room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.dv = new DataView(next.buffer);
  }

  u16(v: number): void {
    this.room(2);
    this.dv.setUint16(this.length, v, true);
    this.length += 2;
  }

  u32(v: number): void {
    this.room(4);
    this.dv.setUint32(this.length, v, true);
    this.length += 4;
  }

  /** Explicit VR header after the tag: VR, then a 16-bit length or 2 reserved bytes and a 32-bit one. */
  vr(type: string, long: boolean, length: number): void {
    this.room(2);
    this.bytes[this.length++] = type.charCodeAt(0);
    this.bytes[this.length++] = type.charCodeAt(1);
    if (long) {
      this.u16(0);
      this.u32(length);
    } else {
      this.u16(length);
    }
  }

  put(b: Uint8Array): void {
    this.room(b.length);
    this.bytes.set(b, this.length);
    this.length += b.length;
  }
}
