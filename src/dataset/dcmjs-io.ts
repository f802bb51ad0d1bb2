/**
 * dcmjs's own stream-based reader and writer: the general path for what the hand-written dict
 * reader/writer leave (big endian, other VRs, encapsulated pixel data, odd input), and the
 * reference they are tested against. The reader is made to agree with the dict reader where
 * dcmjs gets text wrong: items inherit the character set, ST/UT/UR values are not split, UR has
 * no trailing pad, each value of a multi-valued AE/CS/LO/SH is trimmed, an empty person name in
 * a list keeps its place.
 */
import type { DcmjsDict } from 'dcmjs';
import { exactBuffer } from './bulk-values';
import { dcmjs } from './dcmjs-module';
import { PADDED_TEXT, SINGLE_VALUED_TEXT } from './dict-vr';
import { personNamesOf } from './person-name';

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
 * trimmed, person names read again from the text dcmjs keeps when it dropped empty values.
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
    if (element.vr === 'PN' && typeof element._rawValue === 'string' && element._rawValue.includes('\\')) {
      const names = personNamesOf(element._rawValue);
      if (names.length !== value.length) element.Value = names;
    }
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
