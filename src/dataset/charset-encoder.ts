/**
 * Text values in the character set a data set names in (0008,0005), for the dict writer: ISO 8859
 * parts, TIS 620, JIS X 0201 katakana, GBK and GB18030's two-byte codes, and ISO 2022 code
 * extensions (iso2022-encoder.ts), as pydicom and DCMTK write them. A character the set does not
 * have makes `encode` return undefined; the writer then writes the whole data set as UTF-8 and
 * says so (utf8-declaration.ts).
 */
import { doubleByteTable, singleByteTable, type CharsetTable } from './charset-tables';
import { charsetTerm } from './charset-terms';
import { iso2022Encoder } from './iso2022-encoder';

/** How text beyond ASCII is written for one (0008,0005) value. */
export interface TextEncoding {
  /** ISO 8859-1: each char is its own byte (the writer copies it without a table). */
  readonly latin1: boolean;
  /** One text value (a PN value when `name`) in the set, or undefined when a character is not in it. */
  encode(text: string, name: boolean): Uint8Array | undefined;
}

/** GBK's two-byte area (GB18030's too, whose four-byte codes are not written: UTF-8 instead). */
const GBK_LEADS = [[0x81, 0xfe]] as const;
const GBK_TRAILS = [[0x40, 0x7e], [0x80, 0xfe]] as const;

function tableEncoding(table: () => CharsetTable): TextEncoding {
  return {
    latin1: false,
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
        if (code === undefined) return undefined;
        if (code > 0xff) out.push(code >> 8, code & 0xff);
        else out.push(code);
      }
      return Uint8Array.from(out);
    },
  };
}

const encodings = new Map<string, TextEncoding | null>();

/**
 * How to write text beyond ASCII under a (0008,0005) value (a string or the list of its values),
 * or undefined for UTF-8: no value, ISO_IR 192, the default repertoire, or a term not known.
 */
export function textEncodingFor(charset: unknown): TextEncoding | undefined {
  if (charset === undefined) return undefined; // the common case, every write
  const terms = Array.isArray(charset) ? charset : [charset];
  if (!terms.every((t): t is string => typeof t === 'string')) return undefined;
  const key = terms.join('\\');
  let encoding = encodings.get(key);
  if (encoding === undefined) encodings.set(key, (encoding = build(terms) ?? null));
  return encoding ?? undefined;
}

function build(terms: readonly string[]): TextEncoding | undefined {
  if (terms.length > 1) {
    const iso2022 = iso2022Encoder(terms);
    return iso2022 && { latin1: false, encode: iso2022.encode };
  }
  const term = terms.length ? charsetTerm(terms[0]!) : undefined;
  const range = term?.range;
  if (!term || !range) return undefined;
  if (range === 'double') return tableEncoding(() => doubleByteTable('gbk', GBK_LEADS, GBK_TRAILS));
  const encoding = tableEncoding(() => singleByteTable(term.decoder, range[0], range[1]));
  return term.decoder === 'latin1' ? { ...encoding, latin1: true } : encoding;
}
