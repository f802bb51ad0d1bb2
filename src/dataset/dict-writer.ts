/**
 * A hand-written writer for Implicit VR Little Endian and Explicit VR Little and Big Endian data
 * sets (PS3.5 §7.1, §7.3, A.1–A.3) from dcmjs's element dictionary
 * (`DicomMetaDictionary.denaturalizeDataset` output). It writes the same bytes as dcmjs's
 * `DicomMessage.write` (tags sorted, sequences and items of undefined length, text as UTF-8, the
 * same padding and length checks) into one growing buffer, instead of a WriteBufferStream per
 * element, which dominates dcmjs's cost for small data sets.
 * Where they differ, on purpose: text beyond ASCII is written in the character set the data set
 * names (charset-encoder.ts) or, when the set lacks a character or none is named, as UTF-8
 * declared ISO_IR 192 (utf8-declaration.ts); dcmjs writes UTF-8 under any label.
 *
 * Bulk values (OB, OW, OF, OD, UN) are written from exactly the bytes of each view given (dcmjs
 * writes from the start of the view's whole ArrayBuffer, and only the first of several values),
 * and Pixel Data of an encapsulated transfer syntax as fragments (PS3.5 A.4; dcmjs, which is
 * given Explicit VR Little Endian for those syntaxes, would write it native). In Big Endian,
 * OW/OF/OD values are given in little-endian order, as netdicom's API has them, and written with
 * each word swapped (dcmjs writes them as they stand).
 *
 * For anything it cannot write exactly like dcmjs (other VRs, values dcmjs would reject),
 * `writeDict` returns undefined and the caller uses dcmjs.
 */
import type { DcmjsDict, DcmjsVr } from 'dcmjs';
import { bytesOf, swappedWords } from './bulk-values';
import { textEncodingFor, type TextEncoding } from './charset-encoder';
import { charsetKey } from './charset-terms';
import { dcmjs } from './dcmjs-module';
import { BYTES, KINDS, LENGTH32, NUMBER, NUMBERS, PERSON_NAME, SEQUENCE, TEXT, UID, type Kind } from './dict-vr';
import { personNameText } from './person-name';
import { isAscii, withUtf8Declared } from './utf8-declaration';

const UNDEFINED = 0xffffffff;
const CHARSET_KEY = '00080005';
const PIXEL_DATA = '7FE00010';
const BACKSLASH = 0x5c;
const MAX_DEPTH = 64;

/** The kind of AT here (dict-vr.ts leaves AT out: the reader reads a single one only). */
const AT = 0;

const DECLINE = Symbol('decline');
function decline(): never {
  throw DECLINE;
}

const vrs = new Map<string, DcmjsVr>();
function vrOf(type: string): DcmjsVr {
  let vr = vrs.get(type);
  if (!vr) vrs.set(type, (vr = dcmjs().data.ValueRepresentation.createByTypeString(type)));
  return vr;
}

const utf8 = new TextEncoder();
const TAG_KEY = /^[0-9A-Fa-f]{8}$/;

/**
 * `dict` encoded in Implicit VR Little Endian or Explicit VR in either byte order, or undefined
 * when dcmjs should write it instead (which then produces the bytes or the error).
 * `encapsulated`: the transfer syntax encapsulates Pixel Data (each of its values one frame).
 */
export function writeDict(dict: DcmjsDict, implicit: boolean, allocate: (n: number) => Uint8Array = (n) => new Uint8Array(n), encapsulated = false, littleEndian = true): Uint8Array | undefined {
  if (implicit && !littleEndian) return undefined; // no such transfer syntax
  // One buffer reused across calls (the writer is synchronous); a fresh one if a call nests.
  const sink = sharedBusy ? new Sink() : shared;
  const owner = sink === shared;
  if (owner) sharedBusy = true;
  sink.encapsulated = encapsulated;
  sink.littleEndian = littleEndian;
  try {
    // One encoding for the whole data set (readers such as DCMTK's do not switch per item): the
    // set it names where its items name no other and all its text fits, else UTF-8.
    const charset = dict[CHARSET_KEY]?.Value;
    sink.encoding = textEncodingFor(charset);
    sink.charset = charset;
    writeDataset(sink, dict, implicit, 0);
    if (sink.wroteUtf8 || sink.notEncodable || (sink.mixedSets && sink.wroteEncoded)) {
      // Text beyond ASCII goes out as UTF-8: the data set must say so (utf8-declaration.ts).
      const declared = withUtf8Declared(dict);
      if (declared !== dict || sink.encoding) {
        sink.length = 0;
        sink.encoding = undefined;
        writeDataset(sink, declared, implicit, 0);
      }
    }
    const out = allocate(sink.length);
    out.set(sink.bytes.subarray(0, sink.length));
    return out;
  } catch {
    return undefined;
  } finally {
    sink.length = 0;
    sink.encoding = undefined;
    sink.charset = undefined;
    sink.charsetKey = undefined;
    sink.wroteUtf8 = false;
    sink.wroteEncoded = false;
    sink.notEncodable = false;
    sink.mixedSets = false;
    sink.encapsulated = false;
    sink.littleEndian = true;
    if (owner) {
      sharedBusy = false;
      if (shared.bytes.length > 1 << 20) shared = new Sink(); // keep no big buffer alive
    }
  }
}

function writeDataset(sink: Sink, dict: DcmjsDict, implicit: boolean, depth: number): void {
  if (depth > MAX_DEPTH || typeof dict !== 'object' || dict === null) decline();
  // An item naming another set than the data set's ends the pass in that set if there is text beyond ASCII (see writeDict).
  if (sink.encoding && depth > 0 && CHARSET_KEY in dict && setKey(dict[CHARSET_KEY]!.Value) !== (sink.charsetKey ??= setKey(sink.charset))) sink.mixedSets = true;
  const keys = Object.keys(dict).sort();
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (!TAG_KEY.test(key)) decline();
    const element = dict[key]!;
    // 'ox': the dictionary's "OB or OW" (Pixel Data given without a VR), which dcmjs writes as OW.
    const type = element.vr === 'ox' ? 'OW' : element.vr;
    const kind = type === 'AT' ? AT : KINDS.get(type);
    if (kind === undefined) decline();
    if (element._rawValue !== undefined) decline(); // dcmjs would compare it with Value first
    sink.tag(parseInt(key, 16));
    if (kind === AT) {
      writeTags(sink, element.Value, implicit);
      continue;
    }
    if (kind === SEQUENCE) {
      if (implicit) sink.u32(UNDEFINED);
      else sink.vr('SQ', true, UNDEFINED);
      writeItems(sink, element.Value, implicit, depth);
      continue;
    }
    if (kind === BYTES) {
      if (sink.encapsulated && depth === 0 && key.toUpperCase() === PIXEL_DATA) writeFragments(sink, element.Value, implicit);
      else writeBulk(sink, type, element.Value, implicit);
    } else if (kind === NUMBER) writeNumbers(sink, type, element.Value, implicit);
    else writeText(sink, kind, type, element.Value, implicit);
  }
}

/** The length field (and in Explicit VR the VR) of a non-sequence element. */
function header(sink: Sink, type: string, length: number, implicit: boolean): void {
  const long = LENGTH32.has(type);
  if (implicit) sink.u32(length);
  else if (long || length >= 0x10000) sink.vr(long ? type : 'UN', true, length); // dcmjs: big values as UN
  else sink.vr(type, false, length);
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

/**
 * A text element (ASCII, UID, TEXT, PERSON_NAME kinds) as dcmjs's writeBytes writes it: values
 * joined by backslashes, text VRs as UTF-8, padded to even length (UI with NUL, others space).
 */
function writeText(sink: Sink, kind: Kind, type: string, value: unknown, implicit: boolean): void {
  const vr = vrOf(type);
  let strings: unknown[];
  if (kind === PERSON_NAME) {
    const s = personNameText(value);
    if (s === undefined) decline();
    // checkLength: a component over 64 characters makes dcmjs throw (none can be, in 64 characters).
    if (s.length > 64 && vr.checkLength && !vr.checkLength(s)) decline();
    strings = [s];
  } else {
    strings = value === null || value === undefined || value === '' ? [] : Array.isArray(value) ? value : [value];
    // DS and IS format numbers; after denaturalizeDataset they are strings already.
    if (vr.convertToString) strings = strings.map((v) => vr.convertToString!(v));
  }
  const n = strings.length;
  let total = n > 1 ? n - 1 : 0;
  let encoded: Uint8Array[] | undefined; // text values beyond ASCII, in the data set's set or UTF-8
  for (let i = 0; i < n; i++) {
    const s = strings[i];
    if (typeof s !== 'string') decline();
    let length = s.length; // ASCII VRs: one byte per code unit; text VRs too while ASCII
    if ((kind === TEXT || kind === PERSON_NAME) && !isAscii(s)) {
      const encoding = sink.encoding;
      if (encoding) {
        sink.wroteEncoded = true;
        const bytes = encoding.encode(s, kind === PERSON_NAME);
        if (bytes) length = ((encoded ??= [])[i] = bytes).length;
        else sink.notEncodable = true; // written as it is; the UTF-8 pass replaces it
      } else {
        length = ((encoded ??= [])[i] = utf8.encode(s)).length;
        sink.wroteUtf8 = true;
      }
    }
    if (kind !== PERSON_NAME) checkLength(vr, s, length);
    total += length;
  }
  header(sink, type, total + (total & 1), implicit);
  for (let i = 0; i < n; i++) {
    if (i > 0) sink.byte(BACKSLASH);
    const bytes = encoded?.[i];
    if (bytes) sink.put(bytes);
    else sink.latin1(strings[i] as string);
  }
  if (total & 1) sink.byte(kind === UID ? 0x00 : 0x20);
}

/** A (0008,0005) value as one string, to tell an item's set from the data set's. */
function setKey(value: unknown): string {
  const terms = Array.isArray(value) ? value : [value];
  const key = terms.map((t) => (typeof t === 'string' ? charsetKey(t.trim()) : '?')).join('\\');
  return terms.length === 1 ? key.replace('iso-2022-ir-', 'iso-ir-') : key; // one value: the same set either way
}

/** ValueRepresentation.writeBytes's checks: over-long values make dcmjs throw (text VRs only log). */
function checkLength(vr: DcmjsVr, value: string, byteLength: number): void {
  if (vr.checkLength) {
    // DA, DT, TM: at most maxLength characters, or rangeMatchingMaxLength with a '-'.
    if (value.length > (vr.maxLength ?? 0) && !vr.checkLength(value)) decline();
  } else if (vr.maxCharLength) {
    // dcmjs logs and writes it anyway.
  } else if (vr.maxLength && byteLength > vr.maxLength) {
    decline();
  }
}

/** The bytes of each value of a bulk element: ArrayBuffers or views of one, exactly as given. */
function bulkParts(value: unknown): Uint8Array[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) decline();
  return value.map((part: unknown) => bytesOf(part) ?? decline());
}

/**
 * OB, OW, OF, OD, UN in a native encoding: all values' bytes as one value, padded with 00H to
 * even length; in Big Endian OW/OF/OD are joined first and then each word swapped.
 */
function writeBulk(sink: Sink, type: string, value: unknown, implicit: boolean): void {
  let parts = bulkParts(value);
  if (!sink.littleEndian) parts = swappedWords(parts, type) ?? parts;
  let total = 0;
  for (const part of parts) total += part.length;
  header(sink, type, total + (total & 1), implicit);
  for (const part of parts) sink.put(part);
  if (total & 1) sink.byte(0);
}

/**
 * Encapsulated Pixel Data (PS3.5 A.4): OB of undefined length, a Basic Offset Table giving each
 * frame's offset, then each frame as one fragment padded to even length, then the Sequence
 * Delimitation Item.
 */
function writeFragments(sink: Sink, value: unknown, implicit: boolean): void {
  if (implicit) decline(); // no encapsulated syntax is Implicit VR
  const frames = bulkParts(value);
  sink.vr('OB', true, UNDEFINED);
  sink.u16(0xfffe);
  sink.u16(0xe000);
  sink.u32(frames.length * 4);
  let offset = 0;
  for (const frame of frames) {
    sink.u32(offset);
    offset += 8 + frame.length + (frame.length & 1);
  }
  for (const frame of frames) {
    sink.u16(0xfffe);
    sink.u16(0xe000);
    sink.u32(frame.length + (frame.length & 1));
    sink.put(frame);
    if (frame.length & 1) sink.byte(0);
  }
  sink.u16(0xfffe);
  sink.u16(0xe0dd);
  sink.u32(0);
}

/** AT: each value a tag as a number (group << 16 | element), as dcmjs reads it; written as two 16-bit numbers. */
function writeTags(sink: Sink, value: unknown, implicit: boolean): void {
  const tags = value === null || value === undefined || value === '' ? [] : Array.isArray(value) ? value : [value];
  for (const t of tags) if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > 0xffffffff) decline();
  header(sink, 'AT', tags.length * 4, implicit);
  for (const t of tags as number[]) sink.tag(t);
}

/** US SS UL SL FL FD, with dcmjs's toInt/toFloat conversion of each value. */
function writeNumbers(sink: Sink, type: string, value: unknown, implicit: boolean): void {
  const { size, set } = NUMBERS.get(type)!;
  const values = value === null || value === undefined || value === '' ? [] : Array.isArray(value) ? value : [value];
  const float = type === 'FL' || type === 'FD';
  const numbers = values.map((v: unknown) => {
    if (typeof v !== 'string' && typeof v !== 'number') decline();
    if (float) return typeof v === 'string' ? parseFloat(v) : v;
    if (Number.isNaN(Number(v))) decline(); // toInt throws "Not a number"
    return typeof v === 'string' ? parseInt(v) : v;
  });
  header(sink, type, numbers.length * size, implicit);
  for (const n of numbers) sink.number(set, size, n);
}

/** A growing byte buffer, numbers written in the syntax's byte order. */
class Sink {
  bytes = new Uint8Array(512);
  length = 0;
  /** This pass writes text beyond ASCII in the set the data set names (undefined: UTF-8). */
  encoding: TextEncoding | undefined = undefined;
  /** The data set's (0008,0005) value, and (worked out once an item names a set too) its setKey. */
  charset: unknown = undefined;
  charsetKey: string | undefined = undefined;
  /** Set when a text value beyond ASCII was written as UTF-8. */
  wroteUtf8 = false;
  /** Set when the pass in the named set wrote text beyond ASCII. */
  wroteEncoded = false;
  /** Set when that pass met a character the set does not have (C1 controls included). */
  notEncodable = false;
  /** Set when that pass met an item that names another character set. */
  mixedSets = false;
  /** The transfer syntax encapsulates Pixel Data. */
  encapsulated = false;
  /** The transfer syntax is Little Endian (false: Explicit VR Big Endian). */
  littleEndian = true;
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
    this.dv.setUint16(this.length, v, this.littleEndian);
    this.length += 2;
  }

  u32(v: number): void {
    this.room(4);
    this.dv.setUint32(this.length, v, this.littleEndian);
    this.length += 4;
  }

  /** A data element tag: group, then element. */
  tag(tag: number): void {
    this.u16(tag >>> 16);
    this.u16(tag & 0xffff);
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

  byte(v: number): void {
    this.room(1);
    this.bytes[this.length++] = v;
  }

  put(b: Uint8Array): void {
    this.room(b.length);
    this.bytes.set(b, this.length);
    this.length += b.length;
  }

  /** Each UTF-16 code unit as one byte, modulo 256 (dcmjs's writeAsciiString via DataView.setUint8). */
  latin1(s: string): void {
    this.room(s.length);
    for (let i = 0; i < s.length; i++) this.bytes[this.length++] = s.charCodeAt(i);
  }

  number(set: (dv: DataView, off: number, v: number, le: boolean) => void, size: number, v: number): void {
    this.room(size);
    set(this.dv, this.length, v, this.littleEndian);
    this.length += size;
  }
}

let shared = new Sink();
let sharedBusy = false;
