/**
 * Hand-written codec for DIMSE command sets (PS3.7 §6.3, §9.3, §10.3, Annex E).
 * A command set is group 0000 encoded in Implicit VR Little Endian, always (PS3.7 §6.3.1).
 * No dcmjs here: this runs for every message.
 */
import { DimseError } from '../errors';
import type { Command } from './types';

/** Default upper bound for an encoded command set; real ones are a few hundred bytes. */
export const DEFAULT_MAX_COMMAND_LENGTH = 64 * 1024;

type Vr = 'UI' | 'US' | 'UL' | 'AE' | 'LO' | 'AT';
type Key = keyof Command;

/** Group 0000 element descriptors (PS3.7 Table E.1-1), in ascending tag order. */
const ELEMENTS: ReadonlyArray<readonly [element: number, key: Key, vr: Vr]> = [
  [0x0002, 'AffectedSOPClassUID', 'UI'],
  [0x0003, 'RequestedSOPClassUID', 'UI'],
  [0x0100, 'CommandField', 'US'],
  [0x0110, 'MessageID', 'US'],
  [0x0120, 'MessageIDBeingRespondedTo', 'US'],
  [0x0600, 'MoveDestination', 'AE'],
  [0x0700, 'Priority', 'US'],
  [0x0800, 'CommandDataSetType', 'US'],
  [0x0900, 'Status', 'US'],
  [0x0901, 'OffendingElement', 'AT'],
  [0x0902, 'ErrorComment', 'LO'],
  [0x0903, 'ErrorID', 'US'],
  [0x1000, 'AffectedSOPInstanceUID', 'UI'],
  [0x1001, 'RequestedSOPInstanceUID', 'UI'],
  [0x1002, 'EventTypeID', 'US'],
  [0x1005, 'AttributeIdentifierList', 'AT'],
  [0x1008, 'ActionTypeID', 'US'],
  [0x1020, 'NumberOfRemainingSuboperations', 'US'],
  [0x1021, 'NumberOfCompletedSuboperations', 'US'],
  [0x1022, 'NumberOfFailedSuboperations', 'US'],
  [0x1023, 'NumberOfWarningSuboperations', 'US'],
  [0x1030, 'MoveOriginatorApplicationEntityTitle', 'AE'],
  [0x1031, 'MoveOriginatorMessageID', 'US'],
];

const BY_ELEMENT = new Map(ELEMENTS.map((e) => [e[0], e] as const));

/** The (0000,eeee) element number and VR of a Command property, for describe/validate helpers. */
export function commandElement(key: keyof Command): { element: number; vr: Vr } | undefined {
  const e = ELEMENTS.find((x) => x[1] === key);
  return e ? { element: e[0], vr: e[2] } : undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const hex4 = (n: number): string => n.toString(16).padStart(4, '0').toUpperCase();
const tagName = (el: number): string => `(0000,${hex4(el)})`;

function invalid(message: string): DimseError {
  return new DimseError('COMMAND_INVALID', message);
}

/** Encoded value bytes of one element, padded to even length (PS3.5 §6.2: UI pads with NUL, AE/LO with space). */
function encodeValue(element: number, vr: Vr, value: unknown): Uint8Array {
  switch (vr) {
    case 'US': {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff) {
        throw invalid(`${tagName(element)} US value out of range: ${String(value)}`);
      }
      return new Uint8Array([value & 0xff, value >>> 8]);
    }
    case 'AT': {
      if (!Array.isArray(value)) throw invalid(`${tagName(element)} AT value must be an array of tags`);
      const out = new Uint8Array(value.length * 4);
      const dv = new DataView(out.buffer);
      value.forEach((tag: unknown, i) => {
        if (typeof tag !== 'number' || !Number.isInteger(tag) || tag < 0 || tag > 0xffffffff) {
          throw invalid(`${tagName(element)} AT value ${i} is not a 32-bit tag: ${String(tag)}`);
        }
        // AT is a pair of US: group then element, each little endian (PS3.5 §6.2).
        dv.setUint16(i * 4, tag >>> 16, true);
        dv.setUint16(i * 4 + 2, tag & 0xffff, true);
      });
      return out;
    }
    default: {
      if (typeof value !== 'string') throw invalid(`${tagName(element)} ${vr} value must be a string`);
      const raw = asciiBytes(value) ?? encoder.encode(value);
      if (raw.length % 2 === 0) return raw;
      const out = new Uint8Array(raw.length + 1);
      out.set(raw);
      out[raw.length] = vr === 'UI' ? 0x00 : 0x20;
      return out;
    }
  }
}

/**
 * Encode a command set as Implicit VR Little Endian group 0000 (PS3.7 §6.3.1, §E.1):
 * Command Group Length (0000,0000) UL first, then every present element in ascending tag order.
 * Throws DimseError('COMMAND_INVALID') for values that cannot be encoded.
 */
export function encodeCommand(cmd: Command): Uint8Array {
  const parts: Array<[number, Uint8Array]> = [];
  let groupLength = 0;
  for (const [element, key, vr] of ELEMENTS) {
    const value = cmd[key];
    if (value === undefined || value === null) continue;
    const bytes = encodeValue(element, vr, value);
    parts.push([element, bytes]);
    groupLength += 8 + bytes.length; // tag (4) + 32-bit length (4) + value
  }
  if (cmd.CommandField === undefined) throw invalid('CommandField (0000,0100) is required');
  if (cmd.CommandDataSetType === undefined) throw invalid('CommandDataSetType (0000,0800) is required');

  const out = new Uint8Array(12 + groupLength);
  const dv = new DataView(out.buffer);
  // (0000,0000) UL, length 4, value = bytes following this element.
  dv.setUint32(0, 0x00000000, true);
  dv.setUint32(4, 4, true);
  dv.setUint32(8, groupLength, true);
  let off = 12;
  for (const [element, bytes] of parts) {
    dv.setUint16(off, 0x0000, true);
    dv.setUint16(off + 2, element, true);
    dv.setUint32(off + 4, bytes.length, true);
    out.set(bytes, off + 8);
    off += 8 + bytes.length;
  }
  return out;
}

/** Strip trailing NUL and space padding (PS3.5 §6.2). Leading spaces are significant only for AE, kept. */
function trimPadding(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0x00 || s.charCodeAt(end - 1) === 0x20)) end--;
  return s.slice(0, end);
}

/**
 * Decode an Implicit VR Little Endian group 0000 command set (PS3.7 §6.3.1, Annex E).
 * Elements may come in any order; unknown and retired group 0000 elements are skipped; the
 * group length value is not trusted, but every element must fit in `bytes`.
 * Throws DimseError('COMMAND_INVALID') on overruns, a non-0000 group, a bad value length,
 * a missing CommandField/CommandDataSetType, or more than `maxLength` bytes.
 */
export function decodeCommand(bytes: Uint8Array, maxLength = DEFAULT_MAX_COMMAND_LENGTH): Command {
  if (bytes.length > maxLength) {
    throw invalid(`command set is ${bytes.length} bytes, more than the ${maxLength} allowed`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cmd: Record<string, unknown> = {};
  let off = 0;
  while (off < bytes.length) {
    if (off + 8 > bytes.length) {
      throw invalid(`truncated element header at offset ${off} (${bytes.length - off} bytes left)`);
    }
    const group = dv.getUint16(off, true);
    const element = dv.getUint16(off + 2, true);
    const length = dv.getUint32(off + 4, true);
    if (group !== 0x0000) {
      throw invalid(`element (${hex4(group)},${hex4(element)}) at offset ${off} is not in group 0000`);
    }
    const start = off + 8;
    if (length > bytes.length - start) {
      throw invalid(`${tagName(element)} at offset ${off}: length ${length} overruns the ${bytes.length}-byte command set`);
    }
    const desc = BY_ELEMENT.get(element);
    if (desc && length > 0) cmd[desc[1]] = decodeValue(dv, bytes, start, length, element, desc[2], off);
    off = start + length;
  }
  if (cmd.CommandField === undefined) throw invalid('command set has no CommandField (0000,0100)');
  if (cmd.CommandDataSetType === undefined) throw invalid('command set has no CommandDataSetType (0000,0800)');
  return cmd as unknown as Command;
}

function decodeValue(
  dv: DataView,
  bytes: Uint8Array,
  start: number,
  length: number,
  element: number,
  vr: Vr,
  off: number,
): unknown {
  switch (vr) {
    case 'US':
      if (length !== 2) throw invalid(`${tagName(element)} at offset ${off}: US length ${length}, expected 2`);
      return dv.getUint16(start, true);
    case 'UL':
      if (length !== 4) throw invalid(`${tagName(element)} at offset ${off}: UL length ${length}, expected 4`);
      return dv.getUint32(start, true);
    case 'AT': {
      if (length % 4 !== 0) throw invalid(`${tagName(element)} at offset ${off}: AT length ${length} is not a multiple of 4`);
      const tags: number[] = [];
      for (let p = start; p < start + length; p += 4) {
        tags.push(((dv.getUint16(p, true) << 16) | dv.getUint16(p + 2, true)) >>> 0);
      }
      return tags;
    }
    default:
      return trimPadding(asciiString(bytes, start, length) ?? decoder.decode(bytes.subarray(start, start + length)));
  }
}

/** Command strings are short UIDs and AE titles: ASCII without the TextEncoder/Decoder call cost. Null when not ASCII. */
function asciiBytes(value: string): Uint8Array | null {
  if (value.length > 256) return null;
  const out = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0x7f) return null;
    out[i] = c;
  }
  return out;
}

function asciiString(bytes: Uint8Array, start: number, length: number): string | null {
  if (length > 256) return null;
  let s = '';
  for (let i = start; i < start + length; i++) {
    const c = bytes[i]!;
    if (c > 0x7f) return null;
    s += String.fromCharCode(c);
  }
  return s;
}
