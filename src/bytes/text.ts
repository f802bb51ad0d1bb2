/**
 * ASCII (ISO 646 G0) text in PDU fields: AE titles (PS3.8 Table 9-11, 16 bytes, space padded)
 * and UIDs in items (PS3.8 Annex F, item length = string length, no padding).
 */
import { keptBytesMatch } from './recent-text';

/** Fixed width of the Called/Calling AE title fields (PS3.8 Table 9-11). */
export const AE_TITLE_LENGTH = 16;

const SPACE = 0x20;
const NUL = 0x00;

/**
 * Characters of `text` as bytes, one byte each. Chars 80H–FFH are written as-is so whatever
 * `decodeAscii` produced (e.g. an RQ's AE titles echoed in the AC) encodes back byte-exact;
 * anything above FFH throws RangeError. Whether text is valid ISO 646 is the caller's check.
 */
export function encodeAscii(text: string, what = 'text'): Uint8Array {
  const out = new Uint8Array(text.length);
  asciiInto(text, out, 0, what);
  return out;
}

/**
 * {@link encodeAscii} into `out` at `at` (which must have room), without an array of its own.
 * Short strings only (AE titles, UIDs, names); payloads never pass here.
 */
export function asciiInto(text: string, out: Uint8Array, at: number, what: string): void {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) throw new RangeError(`${what} has a character that is not one byte: ${JSON.stringify(text)}`);
    out[at + i] = code;
  }
}

// WHATWG's 'latin1' label is windows-1252: the same as Latin-1 except at 80H–9FH, where it gives
// characters above FFH. Native decoding is ~4x faster than fromCharCode for short strings before
// the JIT has optimised anything, and still faster after.
const windows1252 = new TextDecoder('latin1');
const BEYOND_LATIN1 = /[^\0-\xff]/;

/** A character outside ASCII: such text is decoded again with the data set's character set or UTF-8. */
export const NON_ASCII = /[^\0-\x7f]/;

/**
 * Bytes as text, natively, one char per byte; in a browser, bytes 80H–9FH come out as other
 * characters (see {@link hasRemappedChars}). Offsets into the text are offsets into the bytes.
 */
export function decodeNative(bytes: Uint8Array): string {
  return windows1252.decode(bytes);
}

/** Whether text from {@link decodeNative} has a byte 80H–9FH that windows-1252 remapped. */
export function hasRemappedChars(text: string): boolean {
  return BEYOND_LATIN1.test(text);
}

/** Bytes as a string, one char per byte (latin-1 so every byte value maps to one char). */
export function decodeAscii(bytes: Uint8Array): string {
  const text = decodeNative(bytes);
  return hasRemappedChars(text) ? byteChars(bytes) : text;
}

/** One char per byte, for the rare text with bytes 80H–9FH. */
function byteChars(bytes: Uint8Array): string {
  let out = '';
  // Chunked to keep fromCharCode's argument count small; `apply`, not a spread (a spread walks the
  // typed array's iterator).
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return out;
}

/** AE title field: 16 bytes, space padded (PS3.8 Table 9-11). Throws RangeError if longer. */
export function encodeAeTitle(title: string): Uint8Array {
  if (title.length > AE_TITLE_LENGTH) {
    throw new RangeError(`AE title longer than ${AE_TITLE_LENGTH} characters: ${JSON.stringify(title)}`);
  }
  const out = new Uint8Array(AE_TITLE_LENGTH).fill(SPACE);
  out.set(encodeAscii(title, 'AE title'));
  return out;
}

/**
 * Why `title` is not a valid AE title, or undefined when it is (PS3.5 AE VR, PS3.8 Table 9-11):
 * 1-16 characters of the default repertoire (printable ASCII) other than backslash, not all
 * spaces. Checked locally before anything is sent: the encoder would otherwise pad '' to 16
 * spaces or send Latin-1 bytes a peer cannot match.
 */
export function aeTitleProblem(title: string, what = 'AE title'): string | undefined {
  if (typeof title !== 'string') return `${what} must be a string, got ${typeof title}`;
  if (title.length === 0 || title.length > AE_TITLE_LENGTH) return `${what} must be 1-16 characters, got '${title}'`;
  if (title.trim().length === 0) return `${what} must not be all spaces`;
  const bad = /[^\x20-\x5b\x5d-\x7e]/.exec(title);
  if (bad) return `${what} ${JSON.stringify(title)} has ${JSON.stringify(bad[0])}: only printable ASCII other than backslash is allowed (PS3.5 AE VR)`;
  return undefined;
}

/** Throws a RangeError saying what is wrong with `title` (see {@link aeTitleProblem}). */
export function checkAeTitle(title: string, what = 'AE title'): void {
  const problem = aeTitleProblem(title, what);
  if (problem) throw new RangeError(problem);
}

/** A UID as PS3.5 §9.1 allows it: numeric components without leading zeros, at most 64 characters. */
const UID_FORM = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

/** Throws a RangeError unless `uid` is a valid UID (PS3.5 §9.1). */
export function checkUid(uid: string, what = 'UID'): void {
  if (typeof uid !== 'string' || uid.length > 64 || !UID_FORM.test(uid)) throw new RangeError(`${what} must be a UID (digits and dots, no leading zeros, at most 64 characters), got ${JSON.stringify(uid)}`);
}

/** AE title from its field: leading/trailing spaces are not significant, trailing NULs dropped. */
export function decodeAeTitle(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === SPACE || bytes[end - 1] === NUL)) end--;
  let start = 0;
  while (start < end && bytes[start] === SPACE) start++;
  return decodeAscii(bytes.subarray(start, end));
}

/** UID as sent in an item: the characters only, no padding (PS3.8 Annex F). */
export function encodeUid(uid: string): Uint8Array {
  return encodeAscii(uid, 'UID');
}

/**
 * UID from an item value. Tolerates the NUL (and stray trailing spaces) that some peers pad
 * with, as PS3.5 UI values are padded, although PS3.8 Annex F says not to.
 */
export function decodeUid(bytes: Uint8Array): string {
  return decodeUidIn(bytes, 0, bytes.length);
}

/**
 * {@link decodeUid} of `bytes[start, end)`. UIDs repeat: an A-ASSOCIATE-RQ names the same
 * transfer syntaxes in every presentation context, and a peer proposes the same SOP classes in
 * each association. So the text of recently seen UIDs is kept in a table, in a slot chosen by
 * the length and the last few bytes, and returned when all the bytes match, without a view or a
 * native decode (~0.5 µs each).
 */
export function decodeUidIn(bytes: Uint8Array, start: number, end: number): string {
  while (end > start && (bytes[end - 1] === NUL || bytes[end - 1] === SPACE)) end--;
  const n = end - start;
  if (n > MAX_KEPT_UID) return decodeAscii(bytes.subarray(start, end));
  // The length and the last four characters: where UIDs of one root differ. A few reads, not a
  // loop over every byte, as the first association of a process runs this uncompiled.
  const slot = n < 4 ? n : (n * 7 + bytes[end - 1]! * 31 + bytes[end - 2]! * 17 + bytes[end - 3]! * 5 + bytes[end - 4]!) & (UID_SLOTS - 1);
  const kept = keptUids[slot];
  if (kept !== undefined && kept.length === n && keptBytesMatch(kept, bytes, start, n)) return keptTexts[slot]!;
  const view = bytes.subarray(start, end);
  const text = decodeAscii(view);
  keptUids[slot] = view.slice(); // a copy: the caller's buffer may be reused
  keptTexts[slot] = text;
  return text;
}

/** UIDs are at most 64 characters (PS3.5 §9.1); longer values are decoded every time. */
const MAX_KEPT_UID = 64;
/** Slots of the UID table (a power of two): ≤ 64 KB of kept bytes, whatever a peer sends. */
const UID_SLOTS = 512;
const keptUids: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(UID_SLOTS).fill(undefined);
const keptTexts: Array<string | undefined> = new Array<string | undefined>(UID_SLOTS).fill(undefined);

/**
 * A peer's text (an AE title) for a log line: every character outside printable ASCII, and the
 * backslash, as \xNN, so control bytes cannot forge or garble log lines (reliability.md N-14, A-06).
 */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x5b\x5d-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
