/**
 * Text written with ISO 2022 code extensions, for a data set whose Specific Character Set
 * (0008,0005) has several values (`\ISO 2022 IR 87`, `ISO 2022 IR 13\ISO 2022 IR 87`,
 * `\ISO 2022 IR 149`, `\ISO 2022 IR 58`, …): the inverse of iso2022.ts. Each character goes
 * into the first set named that has it, an escape sequence designating that set before it
 * (PS3.5 §6.1.2.5, PS3.3 C.12.1.1.2). At each delimiter (CR, LF, TAB, FF, the backslash between
 * values and, in person names, `^` and `=`) and at the end of a value, G0 is switched back to
 * value 1's set and G1 counts as value 1's again (§6.1.2.5.3), which gives the standard's
 * examples (PS3.5 H.3.1, H.3.2, I.2, J.2) byte for byte.
 */
import { doubleByteTable, singleByteTable, type CharsetTable } from './charset-tables';
import { charsetTerm } from './charset-terms';

const ESC = 0x1b;

interface CodeSet {
  /** Invoked in G0 (7-bit bytes 21H–7EH) or G1 (A1H–FEH). */
  readonly g: 0 | 1;
  /** The escape sequence that designates it, ESC included. */
  readonly escape: readonly number[];
  /** Two bytes per character. */
  readonly double: boolean;
  readonly table: () => CharsetTable;
}

const esc = (s: string): number[] => [ESC, ...Array.from(s, (c) => c.charCodeAt(0))];
/** The 94×94 area of an EUC code, rows `leads`. */
const ROWS_94 = [[0xa1, 0xfe]] as const;

/** The sets of PS3.3 Table C.12-4 that a character may be written in, by defined term. */
const CODE_SETS: Readonly<Record<string, CodeSet>> = {
  'ISO 2022 IR 13': { g: 1, escape: esc(')I'), double: false, table: () => singleByteTable('shift_jis', 0xa1, 0xdf) },
  // JIS X 0208 proper (rows 1–8, 16–84), as EUC-JP pairs: without the vendor rows a JIS reader may lack.
  'ISO 2022 IR 87': { g: 0, escape: esc('$B'), double: true, table: () => doubleByteTable('euc-jp', [[0xa1, 0xa8], [0xb0, 0xf4]], ROWS_94) },
  'ISO 2022 IR 159': { g: 0, escape: esc('$(D'), double: true, table: () => doubleByteTable('euc-jp', ROWS_94, ROWS_94, 0x8f) },
  'ISO 2022 IR 149': { g: 1, escape: esc('$)C'), double: true, table: () => doubleByteTable('euc-kr', ROWS_94, ROWS_94) },
  // GB 2312's rows (A1–A9 symbols, B0–F7 hanzi) in GBK's decoder.
  'ISO 2022 IR 58': { g: 1, escape: esc('$)A'), double: true, table: () => doubleByteTable('gbk', [[0xa1, 0xa9], [0xb0, 0xf7]], ROWS_94) },
};
/** ISO 8859 parts and TIS 620 in G1: ESC - F. */
const SINGLE_BYTE_FINALS: Readonly<Record<string, string>> = {
  'ISO 2022 IR 100': 'A', 'ISO 2022 IR 101': 'B', 'ISO 2022 IR 109': 'C', 'ISO 2022 IR 110': 'D', 'ISO 2022 IR 144': 'L',
  'ISO 2022 IR 127': 'G', 'ISO 2022 IR 126': 'F', 'ISO 2022 IR 138': 'H', 'ISO 2022 IR 148': 'M', 'ISO 2022 IR 203': 'b', 'ISO 2022 IR 166': 'T',
};

function codeSet(term: string): CodeSet | null | undefined {
  if (term === '' || term === 'ISO 2022 IR 6') return null; // ASCII: nothing to designate
  const set = CODE_SETS[term];
  if (set) return set;
  const final = SINGLE_BYTE_FINALS[term];
  if (final === undefined) return undefined;
  const { decoder, range } = charsetTerm(term)!;
  const [from, to] = range as readonly [number, number];
  return { g: 1, escape: esc(`-${final}`), double: false, table: () => singleByteTable(decoder, from, to) };
}

/**
 * G1 after a G0 escape: designated again before its next character. Readers such as DCMTK convert
 * the bytes between two escape sequences with the one set the first of them names, so a run may
 * hold one set beyond ASCII only: a G1 character right after `ESC $ B …` (JIS X 0208 in G0) or
 * after `ESC ( B` would be read in the wrong set. For the same reason a G1 character switches a
 * two-byte G0 back to value 1's set first.
 */
const STALE = Symbol('stale');

const TEXT_DELIMITERS = [0x5c, 0x0d, 0x0a, 0x09, 0x0c];
const NAME_DELIMITERS = [...TEXT_DELIMITERS, 0x5e, 0x3d];

/** Encodes text values into the sets of a multi-valued Specific Character Set. */
export interface Iso2022Encoder {
  /** One value's bytes, or undefined when a character is in none of the sets named. */
  encode(text: string, name: boolean): Uint8Array | undefined;
}

/** The encoder for a multi-valued (0008,0005), or undefined when a value is no defined term for code extensions. */
export function iso2022Encoder(terms: readonly string[]): Iso2022Encoder | undefined {
  const first = terms[0]?.trim().replace(/^ISO_IR /, 'ISO 2022 IR ');
  if (first === undefined) return undefined;
  const initial = codeSet(first);
  if (initial === undefined || (initial && (initial.g !== 1 || initial.double))) return undefined; // value 1: a one-byte set
  const sets: CodeSet[] = initial ? [initial] : [];
  for (const term of terms.slice(1)) {
    const set = codeSet(term.trim());
    if (set === undefined) return undefined;
    if (set && !sets.includes(set)) sets.push(set);
  }
  // Value 1 ISO 2022 IR 13 puts JIS X 0201's romaji in G0 (ESC ( J), as PS3.5 H.3.2 writes it back.
  const initialG0 = first === 'ISO 2022 IR 13' ? esc('(J') : esc('(B');
  return {
    encode: (text, name) => encode(text, name ? NAME_DELIMITERS : TEXT_DELIMITERS, sets, initial ?? undefined, initialG0),
  };
}

function encode(text: string, delimiters: readonly number[], sets: readonly CodeSet[], initialG1: CodeSet | undefined, initialG0: readonly number[]): Uint8Array | undefined {
  const out: number[] = [];
  let g0: CodeSet | undefined; // a two-byte set in G0, or undefined for value 1's one-byte set
  let g1: CodeSet | typeof STALE | undefined = initialG1;
  for (const char of text) {
    const c = char.codePointAt(0)!;
    if (c < 0x80) {
      if (c === ESC) return undefined; // would read as an escape sequence
      if (g0) {
        g1 = designateG0(out, initialG0, g1); // before a delimiter, as before any one-byte character
        g0 = undefined;
      }
      if (delimiters.includes(c)) g1 = initialG1;
      out.push(c);
      continue;
    }
    const found = lookup(c, g1 === STALE ? undefined : g1, g0, sets);
    if (!found) return undefined;
    const [set, code] = found;
    if (set.g === 1) {
      if (g0) {
        g1 = designateG0(out, initialG0, g1); // no two-byte G0 in a run with G1 bytes (STALE)
        g0 = undefined;
      }
      if (set !== g1) {
        out.push(...set.escape);
        g1 = set;
      }
    } else if (set !== g0) {
      g1 = designateG0(out, set.escape, g1);
      g0 = set;
    }
    const high = set.g === 1 ? 0x80 : 0;
    if (set.double) out.push(((code >> 8) & 0x7f) | high, (code & 0x7f) | high);
    else out.push(code);
  }
  if (g0) out.push(...initialG0);
  return Uint8Array.from(out);
}

/** Writes a G0 escape; returns G1's state after it: undesignated until its next escape (see STALE). */
function designateG0(out: number[], escape: readonly number[], g1: CodeSet | typeof STALE | undefined): CodeSet | typeof STALE | undefined {
  out.push(...escape);
  return g1 ? STALE : undefined;
}

/** The set (those in force first, then in the order named) that has `c`, and its code there. */
function lookup(c: number, g1: CodeSet | undefined, g0: CodeSet | undefined, sets: readonly CodeSet[]): [CodeSet, number] | undefined {
  for (const set of [g1, g0]) {
    const code = set?.table().get(c);
    if (code !== undefined) return [set!, code];
  }
  for (const set of sets) {
    const code = set.table().get(c);
    if (code !== undefined) return [set, code];
  }
  return undefined;
}
