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

/** Parsed on first use: ~5,000 lines, a few milliseconds. */
function load(): Tables {
  if (tables) return tables;
  const byKeyword = new Map<string, Entry>();
  const byTag = new Map<number, string>();
  const byRepeatingTag = new Map<number, string>();
  for (const line of DICTIONARY_TABLE.split('\n')) {
    if (line.length < 12) continue;
    const [tagText, vr, keyword] = line.split(' ');
    const repeating = tagText.slice(2, 4) === 'xx';
    const tag = parseInt(repeating ? `${tagText.slice(0, 2)}00${tagText.slice(4)}` : tagText, 16);
    byKeyword.set(keyword, { tag, vr });
    (repeating ? byRepeatingTag : byTag).set(tag, keyword);
  }
  return (tables = { byKeyword, byTag, byRepeatingTag });
}

/** The VR of the attribute named `keyword` (PS3.6), or undefined when unknown. Ambiguous VRs ('US or SS') give the first. */
export function vrOf(keyword: string): string | undefined {
  return load().byKeyword.get(keyword)?.vr.slice(0, 2);
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
