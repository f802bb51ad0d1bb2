/**
 * Text values in the character set a data set names in (0008,0005), for the dict writer: ISO 8859
 * parts, TIS 620, JIS X 0201 katakana, GBK, GB18030 (all of Unicode), and ISO 2022 code
 * extensions (iso2022-encoder.ts), as pydicom and DCMTK write them. A character the set does not
 * have makes `encode` return undefined; the writer then writes the whole data set as UTF-8 and
 * says so (utf8-declaration.ts).
 */
import { doubleByteTable, gb18030FourByteTable, singleByteTable, type CharsetTable } from './charset-tables';
import { charsetTerm } from './charset-terms';
import { iso2022Encoder } from './iso2022-encoder';

/** How text beyond ASCII is written for one (0008,0005) value. */
export interface TextEncoding {
  /** One text value (a PN value when `name`) in the set, or undefined when a character is not in it. */
  encode(text: string, name: boolean): Uint8Array | undefined;
}

/** GBK's two-byte area (GB18030's too, which also has four-byte codes for everything else). */
const GBK_LEADS = [[0x81, 0xfe]] as const;
const GBK_TRAILS = [[0x40, 0x7e], [0x80, 0xfe]] as const;

/** A character's GB18030 four-byte code, or undefined if it has a shorter one. */
function gb18030FourBytes(c: number): number[] | undefined {
  if (c >= 0x10000) {
    // Planes 1–16: the linear pointer from 189000 (GB18030 / WHATWG's decoder), four bytes from it.
    let pointer = c - 0x10000 + 189000;
    const b4 = pointer % 10;
    pointer = (pointer - b4) / 10;
    const b3 = pointer % 126;
    pointer = (pointer - b3) / 126;
    const b2 = pointer % 10;
    const b1 = (pointer - b2) / 10;
    return [b1 + 0x81, b2 + 0x30, b3 + 0x81, b4 + 0x30];
  }
  const code = gb18030FourByteTable().get(c);
  return code === undefined ? undefined : [code >>> 24, (code >> 16) & 0xff, (code >> 8) & 0xff, code & 0xff];
}

function tableEncoding(table: () => CharsetTable, beyond?: (c: number) => number[] | undefined): TextEncoding {
  return {
    encode: (text) => {
      const codes = table();
      const out: number[] = [];
      for (const char of text) {
        const c = char.codePointAt(0)!;
        if (c < 0x80) {
          out.push(c);
          continue;
        }
        const code = codes.get(c);
        if (code === undefined) {
          const more = beyond?.(c);
          if (!more) return undefined;
          out.push(...more);
        } else if (code > 0xff) out.push(code >> 8, code & 0xff);
        else out.push(code);
      }
      return Uint8Array.from(out);
    },
  };
}

/** Encodings by (0008,0005) value. Bounded: the values come from data sets, maybe a peer's. */
const encodings = new Map<string, TextEncoding>();
const MAX_ENCODINGS = 64;

/**
 * How to write text beyond ASCII under a (0008,0005) value (a string or the list of its values),
 * or undefined for UTF-8: no value, ISO_IR 192, the default repertoire, or a term not known.
 */
export function textEncodingFor(charset: unknown): TextEncoding | undefined {
  if (charset === undefined) return undefined; // the common case, every write
  // One value (the usual case, already a list of one after denaturalizing): no string built.
  const key = Array.isArray(charset) ? (charset.length === 1 ? charset[0] : charset.every((t) => typeof t === 'string') ? charset.join('\\') : undefined) : charset;
  if (typeof key !== 'string') return undefined;
  let encoding = encodings.get(key);
  if (encoding === undefined) {
    encoding = build(key.split('\\')); // no term known (UTF-8, none, or not a defined term): cheap, not kept
    if (encoding) {
      if (encodings.size >= MAX_ENCODINGS) encodings.clear();
      encodings.set(key, encoding);
    }
  }
  return encoding;
}

function build(terms: readonly string[]): TextEncoding | undefined {
  if (terms.length > 1) {
    const iso2022 = iso2022Encoder(terms);
    return iso2022 && { encode: iso2022.encode };
  }
  const term = terms.length ? charsetTerm(terms[0]!) : undefined;
  const range = term?.range;
  if (!term || !range) return undefined;
  // The table from the set's own decoder: Node's 'gbk' (ICU) and 'gb18030' differ at a few codes.
  if (range === 'double') return tableEncoding(() => doubleByteTable(term.decoder, GBK_LEADS, GBK_TRAILS), term.decoder === 'gb18030' ? gb18030FourBytes : undefined);
  return tableEncoding(() => singleByteTable(term.decoder, range[0], range[1]));
}
