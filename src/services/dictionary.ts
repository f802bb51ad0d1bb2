/**
 * Data dictionary look-ups (PS3.6): keyword ↔ tag and the VR of an attribute, for query
 * matching (PS3.4 C.2.2.2 depends on the VR) and for command-line keys like `(0010,0010)`.
 * The table is generated from dcmjs's dictionary (see dictionary-table.ts) so that these
 * look-ups do not load dcmjs, which a process that only moves data sets never needs.
 */
import { DICTIONARY_TABLE } from './dictionary-table';

interface Entry {
  readonly tag: number;
  readonly vr: string;
}

interface Tables {
  readonly byKeyword: Map<string, Entry>;
  readonly byTag: Map<number, string>;
  /** Repeating groups (50xx, 60xx, 7Fxx): keyed by the group's first number and the element. */
  readonly byRepeatingTag: Map<number, string>;
}

let tables: Tables | undefined;

/** Parsed on first use: ~5,000 lines, 10-30 ms in a process that has not warmed up yet. */
function load(): Tables {
  if (tables) return tables;
  const byKeyword = new Map<string, Entry>();
  const byTag = new Map<number, string>();
  const byRepeatingTag = new Map<number, string>();
  const text = DICTIONARY_TABLE;
  // Each line: "GGGGEEEE VR Keyword\n". Read by offsets, not split(): cheaper in cold code.
  for (let start = text.indexOf('\n') + 1; start < text.length; ) {
    const end = text.indexOf('\n', start);
    const keyword = text.slice(start + 12, end);
    const vr = text.slice(start + 9, start + 11);
    const repeating = text.charCodeAt(start + 2) === 0x78; // 'x': group 50xx, 60xx, 7Fxx
    const tag = parseInt(repeating ? `${text.slice(start, start + 2)}00${text.slice(start + 4, start + 8)}` : text.slice(start, start + 8), 16);
    byKeyword.set(keyword, { tag, vr });
    (repeating ? byRepeatingTag : byTag).set(tag, keyword);
    start = end + 1;
  }
  return (tables = { byKeyword, byTag, byRepeatingTag });
}

const KEYWORD = /^[A-Za-z0-9_]+$/;
const foundVrs = new Map<string, string>();
let misses = 0;

/**
 * The VR of the attribute named `keyword` (PS3.6), or undefined when unknown. Ambiguous VRs ('US or SS') give the first.
 * Query matching needs a handful of these: each is found by searching the table text (tens of µs)
 * rather than parsing all of it; only after many unknown keywords is the whole table parsed.
 */
export function vrOf(keyword: string): string | undefined {
  if (tables) return tables.byKeyword.get(keyword)?.vr;
  const known = foundVrs.get(keyword);
  if (known !== undefined) return known;
  if (!KEYWORD.test(keyword)) return undefined;
  if (misses > 64) return load().byKeyword.get(keyword)?.vr;
  const at = DICTIONARY_TABLE.indexOf(` ${keyword}\n`);
  if (at < 0) {
    misses++;
    return undefined;
  }
  const vr = DICTIONARY_TABLE.slice(at - 2, at);
  foundVrs.set(keyword, vr);
  return vr;
}

/** The keyword of a tag given as a number (0x00100010) or text ('(0010,0010)', '00100010', '0010,0010'). */
export function keywordOf(tag: number | string): string | undefined {
  const hex = typeof tag === 'number' ? tag.toString(16).padStart(8, '0') : tag.replace(/[(),\s]/g, '');
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) return undefined;
  const value = parseInt(hex, 16);
  const { byTag, byRepeatingTag } = load();
  return byTag.get(value) ?? byRepeatingTag.get((value & 0xff00ffff) >>> 0);
}

/** The tag number of `keyword`, or undefined when unknown. */
export function tagOf(keyword: string): number | undefined {
  return load().byKeyword.get(keyword)?.tag;
}
