/**
 * Text in character sets with ISO 2022 code extensions: a multi-valued Specific Character Set
 * (0008,0005) such as `\ISO 2022 IR 87` (Japanese), `\ISO 2022 IR 149` (Korean) or
 * `\ISO 2022 IR 58` (Chinese), where escape sequences in a value switch between the sets named
 * (PS3.3 C.12.1.1.2, PS3.5 §6.1.2.5, examples in PS3.5 Annexes H, I and J).
 *
 * Each run between escape sequences is decoded with a web-platform TextDecoder: the 94×94 sets
 * of G0 (JIS X 0208, JIS X 0212) as EUC-JP after setting the high bits, the G1 sets with the
 * decoder of the matching 8-bit code (EUC-KR, GBK, ISO 8859-x), half-width katakana as Shift_JIS.
 * The sets named in value 1 (or ASCII) are in force again at the start of a value and, while a
 * one-byte set is in G0, at each delimiter the standard lists (§6.1.2.5.3): CR, LF, TAB, FF, the
 * backslash between values and, in person names, `^` and `=`.
 */

/** What is in G0 (bytes 21H–7EH). */
const ASCII = 0;
const JIS_X0208 = 1;
const JIS_X0212 = 2;
type G0 = typeof ASCII | typeof JIS_X0208 | typeof JIS_X0212;

/** What is in G1 (bytes A1H–FEH): a TextDecoder label for an ASCII-compatible 8-bit code, or none. */
type G1 = string | undefined;

interface Designation {
  g0?: G0;
  g1?: G1;
}

/** Half-width katakana (JIS X 0201, ISO-IR 13) as the single bytes of Shift_JIS. */
const KATAKANA = 'shift_jis';

/** The escape sequences of PS3.3 Tables C.12-3 and C.12-4 (bytes after ESC) and what each designates. */
const ESCAPES: ReadonlyArray<readonly [number[], Designation]> = [
  [[0x28, 0x42], { g0: ASCII }], // ESC ( B   ISO-IR 6
  [[0x28, 0x4a], { g0: ASCII }], // ESC ( J   ISO-IR 14, JIS X 0201 Romaji (read as ASCII, as Shift_JIS does)
  [[0x29, 0x49], { g1: KATAKANA }], // ESC ) I   ISO-IR 13, JIS X 0201 Katakana
  [[0x24, 0x42], { g0: JIS_X0208 }], // ESC $ B   ISO-IR 87
  [[0x24, 0x40], { g0: JIS_X0208 }], // ESC $ @   ISO-IR 42, its predecessor
  [[0x24, 0x28, 0x44], { g0: JIS_X0212 }], // ESC $ ( D  ISO-IR 159
  [[0x24, 0x29, 0x43], { g1: 'euc-kr' }], // ESC $ ) C  ISO-IR 149, KS X 1001
  [[0x24, 0x29, 0x41], { g1: 'gbk' }], // ESC $ ) A  ISO-IR 58, GB 2312
  [[0x2d, 0x41], { g1: 'latin1' }], // ESC - A   ISO-IR 100 (windows-1252, as for ISO_IR 100 elsewhere)
  [[0x2d, 0x42], { g1: 'iso-8859-2' }], // ISO-IR 101
  [[0x2d, 0x43], { g1: 'iso-8859-3' }], // ISO-IR 109
  [[0x2d, 0x44], { g1: 'iso-8859-4' }], // ISO-IR 110
  [[0x2d, 0x4c], { g1: 'iso-8859-5' }], // ISO-IR 144
  [[0x2d, 0x47], { g1: 'iso-8859-6' }], // ISO-IR 127
  [[0x2d, 0x46], { g1: 'iso-8859-7' }], // ISO-IR 126
  [[0x2d, 0x48], { g1: 'iso-8859-8' }], // ISO-IR 138
  [[0x2d, 0x4d], { g1: 'iso-8859-9' }], // ISO-IR 148
  [[0x2d, 0x62], { g1: 'iso-8859-15' }], // ISO-IR 203
  [[0x2d, 0x54], { g1: 'windows-874' }], // ISO-IR 166, TIS 620
];

/** What each defined term puts in G0/G1 when it is value 1 (the state every value starts in). */
const INITIAL: Readonly<Record<string, Designation>> = {
  '': {},
  'ISO 2022 IR 6': {},
  'ISO 2022 IR 13': { g1: KATAKANA },
  'ISO 2022 IR 87': {},
  'ISO 2022 IR 159': {},
  'ISO 2022 IR 149': {},
  'ISO 2022 IR 58': {},
  'ISO 2022 IR 100': { g1: 'latin1' },
  'ISO 2022 IR 101': { g1: 'iso-8859-2' },
  'ISO 2022 IR 109': { g1: 'iso-8859-3' },
  'ISO 2022 IR 110': { g1: 'iso-8859-4' },
  'ISO 2022 IR 144': { g1: 'iso-8859-5' },
  'ISO 2022 IR 127': { g1: 'iso-8859-6' },
  'ISO 2022 IR 126': { g1: 'iso-8859-7' },
  'ISO 2022 IR 138': { g1: 'iso-8859-8' },
  'ISO 2022 IR 148': { g1: 'iso-8859-9' },
  'ISO 2022 IR 203': { g1: 'iso-8859-15' },
  'ISO 2022 IR 166': { g1: 'windows-874' },
};

const ESC = 0x1b;
/** Delimiters at which value 1's sets are in force again (§6.1.2.5.3); `^` and `=` in names only. */
const TEXT_DELIMITERS = new Set([0x5c, 0x0d, 0x0a, 0x09, 0x0c]);
const NAME_DELIMITERS = new Set([...TEXT_DELIMITERS, 0x5e, 0x3d]);

const decoders = new Map<string, TextDecoder>();
function decoderFor(label: string): TextDecoder {
  let d = decoders.get(label);
  if (!d) decoders.set(label, (d = new TextDecoder(label)));
  return d;
}

/** Decodes the bytes of text values written with ISO 2022 code extensions. */
export interface Iso2022Decoder {
  /** A text value's bytes (LO, SH, ST, LT, UC, UT; backslashes between values). */
  decode(bytes: Uint8Array): string;
  /** A PN value's bytes: `^` and `=` are delimiters too. */
  decodeName(bytes: Uint8Array): string;
}

/**
 * The decoder for a multi-valued Specific Character Set, or undefined when a value is not a
 * defined term for code extensions (value 1 may also be written ISO_IR nnn).
 */
export function iso2022Decoder(terms: readonly string[]): Iso2022Decoder | undefined {
  const first = terms[0]?.trim().replace(/^ISO_IR /, 'ISO 2022 IR ');
  const initial = first === undefined ? undefined : INITIAL[first];
  if (!initial) return undefined;
  for (const term of terms.slice(1)) if (!INITIAL[term.trim()]) return undefined;
  const start = { g0: initial.g0 ?? ASCII, g1: initial.g1 };
  return {
    decode: (bytes) => decode(bytes, start.g0, start.g1, TEXT_DELIMITERS),
    decodeName: (bytes) => decode(bytes, start.g0, start.g1, NAME_DELIMITERS),
  };
}

function decode(bytes: Uint8Array, startG0: G0, startG1: G1, delimiters: ReadonlySet<number>): string {
  let g0 = startG0;
  let g1 = startG1;
  let out = '';
  let runStart = 0;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b === ESC) {
      const escape = escapeAt(bytes, i);
      if (escape) {
        out += decodeRun(bytes.subarray(runStart, i), g0, g1);
        if (escape.designation.g0 !== undefined) g0 = escape.designation.g0;
        if (escape.designation.g1 !== undefined) g1 = escape.designation.g1;
        i += 1 + escape.length;
        runStart = i;
        continue;
      }
    }
    if (g0 !== ASCII && b < 0x80) {
      // A two-byte character of JIS X 0208/0212: its bytes are never delimiters. A lone byte
      // before an escape (malformed) is left for decodeRun to mark, and the escape still counts.
      i += bytes[i + 1] === ESC ? 1 : 2;
      continue;
    }
    if (delimiters.has(b) && (g0 !== startG0 || g1 !== startG1)) {
      out += decodeRun(bytes.subarray(runStart, i), g0, g1);
      g0 = startG0;
      g1 = startG1;
      runStart = i;
    }
    i++;
  }
  return out + decodeRun(bytes.subarray(runStart, Math.min(i, bytes.length)), g0, g1);
}

/** The escape sequence starting at `at` (the ESC), or undefined if it is none of ESCAPES. */
function escapeAt(bytes: Uint8Array, at: number): { length: number; designation: Designation } | undefined {
  for (const [sequence, designation] of ESCAPES) {
    let k = 0;
    while (k < sequence.length && bytes[at + 1 + k] === sequence[k]) k++;
    if (k === sequence.length) return { length: k, designation };
  }
  return undefined;
}

/** One run of bytes under one designation. */
function decodeRun(run: Uint8Array, g0: G0, g1: G1): string {
  if (run.length === 0) return '';
  if (g0 === ASCII) return decoderFor(g1 ?? 'latin1').decode(run);
  // JIS X 0208 / 0212 in G0: as EUC-JP, each byte with its high bit set (0212 after 8FH);
  // half-width katakana from G1 as EUC-JP's 8EH sequences; anything else is not text here.
  const euc = new Uint8Array(run.length * 2);
  let n = 0;
  let out = '';
  for (let i = 0; i < run.length; i++) {
    const b = run[i]!;
    if (b < 0x80) {
      if (g0 === JIS_X0212) euc[n++] = 0x8f;
      euc[n++] = b | 0x80;
      euc[n++] = i + 1 < run.length ? run[++i]! | 0x80 : 0xff;
    } else if (g1 === KATAKANA) {
      euc[n++] = 0x8e;
      euc[n++] = b;
    } else if (g1 !== undefined) {
      // G1 characters while G0 holds a two-byte set (valid ISO 2022, if rare: netdicom switches
      // G0 back first): the bytes of G1's set, in its own decoder.
      let end = i;
      while (end < run.length && run[end]! >= 0x80) end++;
      out += decoderFor('euc-jp').decode(euc.subarray(0, n)) + decoderFor(g1).decode(run.subarray(i, end));
      n = 0;
      i = end - 1;
    } else {
      euc[n++] = 0xff; // U+FFFD
    }
  }
  return out + decoderFor('euc-jp').decode(euc.subarray(0, n));
}
