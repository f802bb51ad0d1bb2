/**
 * A hand-written reader for Implicit and Explicit VR Little Endian data sets and Explicit VR Big
 * Endian ones (PS3.5 §7.1, A.1–A.3) that produces exactly the element dictionary dcmjs's
 * `DicomMessage._read` would (`{ "GGGGEEEE": { vr, Value } }`), without dcmjs's per-element
 * stream and tag objects, which dominate the cost of small data sets such as C-FIND identifiers.
 * Values go through dcmjs's own value representations (trimming, splitting, number parsing,
 * person names), so they match.
 *
 * It only reads what it can read exactly like dcmjs; for anything else (other VRs, odd lengths,
 * unsupported character sets, malformed nesting) `readDict` returns undefined and the caller
 * uses dcmjs. Deliberate differences, where dcmjs gets the text wrong or gives up:
 * - sequence items read their text in the enclosing data set's character set unless they name
 *   their own (dcmjs reads them as Latin-1; PS3.3 C.12.1.1.2 says items inherit it);
 * - a multi-valued Specific Character Set (ISO 2022 code extensions, iso2022.ts) is read, where
 *   dcmjs throws, and so is ISO_IR 203 (ISO 8859-15), which dcmjs does not know (charset-terms.ts);
 * - ST, UT and UR values are not split on backslashes (PS3.5 §6.4: one value; dcmjs splits them),
 *   a UR value loses its trailing spaces (its pad byte; dcmjs keeps it), and each value of a
 *   multi-valued AE, CS, LO or SH loses the spaces around it (dcmjs trims only the whole text).
 * dcmjs-io.ts makes dcmjs's own reader agree on all but the second.
 */
import type { DcmjsDict, DcmjsDictEntry, DcmjsVr } from 'dcmjs';
import { decodeAscii, decodeNative, hasRemappedChars, NON_ASCII } from '../bytes/text';
import { dcmjs } from './dcmjs-module';
import { charsetTerm } from './charset-terms';
import { iso2022Decoder, type Iso2022Decoder } from './iso2022';
import { personNamesOf } from './person-name';
import { ASCII, BYTES, KINDS, LENGTH32, NUMBER, NUMBERS, PADDED_TEXT, PERSON_NAME, SEQUENCE, SINGLE_VALUED_TEXT, tagKey, TEXT, UID, type Kind } from './dict-vr';

const UNDEFINED = 0xffffffff;
const ITEM = 0xfffee000;
const SEQUENCE_END = 0xfffee0dd;
const CHARSET = 0x00080005;
const MAX_DEPTH = 64;
/** Data sets up to this size are decoded to text once (larger ones value by value: no big string kept alive by slices). */
const WHOLE_TEXT_LIMIT = 16 * 1024;
const UID_CHARS = /^[0-9.]*$/;
const NOT_UID_CHARS = /[^0-9.]/g;

/** Thrown inside the reader to hand the data set to dcmjs. */
const DECLINE = Symbol('decline');
function decline(): never {
  throw DECLINE;
}

const decoders = new Map<string, TextDecoder>();
function decoderFor(label: string): TextDecoder {
  let d = decoders.get(label);
  if (!d) decoders.set(label, (d = new TextDecoder(label)));
  return d;
}
/** dcmjs reads text with TextDecoder('latin1') until (0008,0005) says otherwise. */
const DEFAULT_DECODER = 'latin1';

/** How a data set's text values are decoded: one TextDecoder, or ISO 2022 code extensions. */
type TextDecoding = TextDecoder | Iso2022Decoder;
const ESC_CHAR = '\x1b';

const vrs = new Map<string, DcmjsVr>();
function vrOf(type: string): DcmjsVr {
  let vr = vrs.get(type);
  if (!vr) vrs.set(type, (vr = dcmjs().data.ValueRepresentation.createByTypeString(type)));
  return vr;
}

const unformatted = new Map<string, boolean>();
/** Whether dcmjs's VR leaves a value as read (no applyFormatting of its own: DA, DT, AS, UR…). */
function keepsValueAsRead(type: string): boolean {
  let keeps = unformatted.get(type);
  if (keeps === undefined) {
    const base = (dcmjs().data.ValueRepresentation as unknown as { prototype: DcmjsVr }).prototype.applyFormatting;
    unformatted.set(type, (keeps = vrOf(type).applyFormatting === base));
  }
  return keeps;
}

const entries = new Map<number, DcmjsDictEntry | null>();
/** dcmjs's DicomMessage.lookupTag, cached by tag number. */
function lookup(tag: number): DcmjsDictEntry | null {
  let e = entries.get(tag);
  if (e === undefined) {
    const key = tagKey(tag);
    e = dcmjs().data.DicomMetaDictionary.dictionary[`(${key.slice(0, 4)},${key.slice(4)})`] ?? null;
    entries.set(tag, e);
  }
  return e;
}

const keys = new Map<number, string>();
function keyOf(tag: number): string {
  let k = keys.get(tag);
  if (k === undefined) keys.set(tag, (k = tagKey(tag)));
  return k;
}

/**
 * The dcmjs element dictionary of `bytes` (Implicit or Explicit VR Little Endian, or Explicit VR
 * Big Endian), or undefined when dcmjs should read it instead. Bulk values are the bytes as they
 * stand, as dcmjs gives them (the codec puts OW/OF/OD in little-endian order afterwards).
 */
export function readDict(bytes: Uint8Array, implicit: boolean, littleEndian = true): DcmjsDict | undefined {
  try {
    return new DictReader(bytes, implicit, littleEndian).dataset(0, bytes.length, 0, decoderFor(DEFAULT_DECODER));
  } catch (e) {
    if (e === DECLINE) return undefined;
    // Anything unexpected also goes to dcmjs, which then fails (or not) in its own way.
    return undefined;
  }
}

class DictReader {
  private readonly dv: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    /** Implicit VR; also set while reading a UN value of undefined length (see unknownSequence). */
    private implicit: boolean,
    private readonly le: boolean,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private u16(off: number, end: number): number {
    if (off + 2 > end) decline();
    return this.dv.getUint16(off, this.le);
  }

  private u32(off: number, end: number): number {
    if (off + 4 > end) decline();
    return this.dv.getUint32(off, this.le);
  }

  /** A small data set's bytes as text, one char per byte: its string values are slices of it. */
  private text: string | undefined;
  private textIsLatin1 = false;

  /**
   * Bytes as Latin-1 code points, one per byte (dcmjs's readAsciiString). A small data set (a
   * C-FIND identifier) is decoded once, natively, and each value sliced from it: one decoder call
   * instead of one per value. windows-1252 (which TextDecoder gives for 'latin1') keeps one char
   * per byte, so offsets hold; a value with bytes 80H–9FH is decoded again, exactly.
   */
  private latin1(off: number, length: number): string {
    if (length <= 0) return '';
    if (this.bytes.length > WHOLE_TEXT_LIMIT) return decodeAscii(this.bytes.subarray(off, off + length));
    if (this.text === undefined) {
      this.text = decodeNative(this.bytes);
      this.textIsLatin1 = !hasRemappedChars(this.text);
    }
    const value = this.text.slice(off, off + length);
    return this.textIsLatin1 || !hasRemappedChars(value) ? value : decodeAscii(this.bytes.subarray(off, off + length));
  }

  /**
   * Elements in [start, end) as dcmjs's _read does on a stream of exactly those bytes, text in
   * `inherited` (the enclosing data set's character set) until (0008,0005) names another.
   */
  dataset(start: number, end: number, depth: number, inherited: TextDecoding): DcmjsDict {
    if (depth > MAX_DEPTH) decline();
    const dict: DcmjsDict = {};
    let decoder = inherited;
    let off = start;
    while (off < end) {
      const tag = ((this.u16(off, end) << 16) | this.u16(off + 2, end)) >>> 0;
      off += 4;
      let type: string;
      let length: number;
      if (this.implicit) {
        length = this.u32(off, end);
        off += 4;
        const entry = lookup(tag);
        if (entry) type = entry.vr;
        else if (length === UNDEFINED) type = 'SQ';
        else if (tag === 0x7fe00010) type = 'OW';
        else if ((tag >>> 16) % 2 === 1 && (tag & 0xffff) < 0x100 && (tag & 0xffff) > 0) type = 'LO'; // private creator
        else type = 'UN'; // private data elements: bytes, as dcmjs reads them
      } else {
        if (off + 2 > end) decline();
        type = String.fromCharCode(this.bytes[off]!, this.bytes[off + 1]!);
        off += 2;
        if (LENGTH32.has(type)) {
          length = this.u32(off + 2, end);
          off += 6;
        } else {
          length = this.u16(off, end);
          off += 2;
        }
        if (type === 'UN' && length === UNDEFINED) {
          // A sequence encoded in Implicit VR Little Endian (PS3.5 §6.2.2), as DCMTK and pydicom
          // read it; dcmjs cannot read it at all.
          const [items, next] = this.unknownSequence(off, end, depth, decoder);
          dict[keyOf(tag)] = { vr: 'SQ', Value: items };
          off = next;
          continue;
        }
        if (type === 'UN' && lookup(tag)) decline(); // dcmjs reads it again in the dictionary's VR
      }
      let values: unknown[];
      if (type === 'AT') {
        // One tag, as dcmjs's Tag.readTag gives it (group << 16 | element); lists go to dcmjs.
        if (length !== 4 || off + 4 > end) decline();
        dict[keyOf(tag)] = { vr: type, Value: [((this.u16(off, end) << 16) | this.u16(off + 2, end)) >>> 0] };
        off += 4;
        continue;
      }
      const kind = KINDS.get(type);
      if (kind === undefined) decline();
      if (kind === SEQUENCE) {
        [values, off] = this.sequence(off, length, end, depth, decoder);
      } else {
        if (length === UNDEFINED || off + length > end) decline();
        values = this.values(kind, type, off, length, decoder);
        off += length;
      }
      if (tag === CHARSET) {
        // dcmjs switches its text decoder and reports the data set as UTF-8 from here on.
        const first = values[0];
        if (typeof first !== 'string') decline();
        if (values.length > 1) {
          decoder = iso2022Decoder(values as string[]) ?? decline();
        } else {
          const term = charsetTerm(first);
          if (term === undefined) decline(); // dcmjs then names the term in its error
          decoder = decoderFor(term.decoder);
        }
        values = ['ISO_IR 192'];
      }
      // dcmjs wraps each element in addTagAccessors, which only PN elements need (their Value gets accessors).
      const element: { vr: string; Value?: unknown[] } = type === 'PN' ? dcmjs().data.ValueRepresentation.addTagAccessors({ vr: type }) : { vr: type };
      element.Value = values;
      dict[keyOf(tag)] = element;
    }
    return dict;
  }

  /** One non-sequence element's values, as dcmjs's _readTag returns them. */
  private values(kind: Kind, type: string, off: number, length: number, decoder: TextDecoding): unknown[] {
    const vr = vrOf(type);
    if (kind === NUMBER) {
      const { size, get } = NUMBERS.get(type)!;
      if (length === 0) return [vr.defaultValue];
      if (length % size !== 0) decline(); // dcmjs would read across the next element
      const out: number[] = [];
      for (let o = off; o < off + length; o += size) out.push(get(this.dv, o, this.le));
      return out;
    }
    if (kind === BYTES) return [this.bytes.slice(off, off + length).buffer];
    let text: string;
    if (kind === ASCII) text = this.latin1(off, length);
    else if (kind === UID) text = this.latin1(off, length > 0 && this.bytes[off + length - 1] === 0 ? length - 1 : length);
    else {
      // ASCII bytes read the same through any of the decoders used here (windows-1252, UTF-8).
      text = this.latin1(off, length);
      // ISO 2022 escapes are ASCII bytes, and so is all JIS X 0208 text: hence the ESC test.
      if (NON_ASCII.test(text) || (text.includes(ESC_CHAR) && 'decodeName' in decoder)) {
        const bytes = this.bytes.subarray(off, off + length);
        text = kind === PERSON_NAME && 'decodeName' in decoder ? decoder.decodeName(bytes) : decoder.decode(bytes);
      }
      // PN: readPaddedEncodedString drops one trailing pad space.
      if (kind === PERSON_NAME && !(text.length && text[text.length - 1] !== ' ')) text = text.slice(0, -1);
    }
    // UR: trailing spaces are not part of the value (PS3.5 §6.2; dcmjs keeps the pad byte).
    if (type === 'UR') return [text.trimEnd()];
    if (!text.includes('\\')) {
      // The common single values, formatted as dcmjs's VRs would, without their calls.
      if (kind === UID) return [UID_CHARS.test(text) ? text : text.replace(NOT_UID_CHARS, '')];
      if (PADDED_TEXT.has(type)) return [text.trim()];
      if (keepsValueAsRead(type)) return [text];
    }
    // PN: applyFormatting's pnStringToObject, every value an object of its non-empty groups.
    if (kind === PERSON_NAME) return personNamesOf(text);
    // What the VR's readBytes returns: CS, DS and IS split there; UI only when it has a backslash.
    let raw: unknown = text;
    if (type === 'CS' || type === 'DS' || type === 'IS' || (kind === UID && text.includes('\\'))) raw = vr.dropPadByte(text.split('\\'));
    const value = vr.applyFormatting(raw);
    // LT, ST, UT and UR hold one value: a backslash in them is text (PS3.5 §6.4; dcmjs splits all but LT).
    if (SINGLE_VALUED_TEXT.has(type)) return Array.isArray(value) ? value : [value];
    if (kind === TEXT || kind === ASCII || kind === UID) {
      const values = typeof value === 'string' ? vr.dropPadByte(value.split('\\')) : (value as unknown[]);
      // AE, CS, LO, SH: spaces around each value are padding (PS3.5 Table 6.2-1); dcmjs trims the whole text only.
      return PADDED_TEXT.has(type) ? values.map((v) => (typeof v === 'string' ? v.trim() : v)) : values;
    }
    return value as unknown[];
  }

  /** The items of a UN value of undefined length, read in Implicit VR Little Endian. */
  private unknownSequence(off: number, end: number, depth: number, decoder: TextDecoding): [DcmjsDict[], number] {
    if (!this.le) decline(); // its items would be little endian inside a big-endian data set
    this.implicit = true;
    try {
      return this.sequence(off, UNDEFINED, end, depth, decoder);
    } finally {
      this.implicit = false;
    }
  }

  /**
   * SequenceOfItems.readBytes, step for step: items of undefined length are measured by dcmjs's
   * scan for the matching Item Delimitation Item; empty items are dropped. Returns the items'
   * dictionaries and the offset after the sequence.
   */
  private sequence(off: number, sqLength: number, end: number, depth: number, decoder: TextDecoding): [DcmjsDict[], number] {
    const items: DcmjsDict[] = [];
    if (sqLength === 0) return [items, off];
    const undefLength = sqLength === UNDEFINED;
    let read = 0;
    for (;;) {
      const tag = ((this.u16(off, end) << 16) | this.u16(off + 2, end)) >>> 0;
      off += 4;
      read += 4;
      if (tag === SEQUENCE_END) {
        this.u32(off, end);
        off += 4;
        break;
      } else if (!undefLength && read === sqLength) {
        break;
      } else if (tag === ITEM) {
        const length = this.u32(off, end);
        off += 4;
        read += 4;
        const undef = length === UNDEFINED;
        let toRead = 0;
        if (undef) {
          let stack = 0;
          for (;;) {
            const g = this.u16(off, end);
            off += 2;
            if (g === 0xfffe) {
              const ge = this.u16(off, end);
              const itemLength = this.u32(off + 2, end);
              off += 2;
              if (ge === 0xe00d) {
                if (itemLength === 0) {
                  stack--;
                  if (stack < 0) {
                    off += 4;
                    read += 8;
                    break;
                  }
                  toRead += 4;
                } else {
                  toRead += 2;
                }
              } else if (ge === 0xe000) {
                toRead += 4;
                if (itemLength === UNDEFINED) stack++;
              } else {
                toRead += 2;
                off -= 2;
              }
            } else {
              toRead += 2;
            }
          }
        } else {
          toRead = length;
        }
        if (toRead) {
          if (undef) off += -toRead - 8;
          if (off < 0 || off + toRead > end) decline();
          items.push(this.dataset(off, off + toRead, depth + 1, decoder));
          off += toRead;
          read += toRead;
          if (undef) off += 8;
        }
        if (!undefLength && read === sqLength) break;
      }
      // Any other tag: dcmjs reads on, four bytes at a time, and so do we.
    }
    return [items, off];
  }
}
