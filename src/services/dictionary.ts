/**
 * Data dictionary look-ups (PS3.6): keyword ↔ tag and the VR of an attribute, for query
 * matching (PS3.4 C.2.2.2 depends on the VR) and for command-line keys like `(0010,0010)`.
 * Backed by dcmjs's dictionary, which the dataset codec already ships.
 */
import { data as dcmjsData } from 'dcmjs';

interface Entry {
  readonly tag: string;
  readonly vr: string;
  readonly name: string;
}

// dcmjs.d.ts types only what the codec uses; these two tables are part of dcmjs's public API.
const dictionary = dcmjsData.DicomMetaDictionary as unknown as {
  dictionary: Record<string, Entry | undefined>;
  nameMap: Record<string, Entry | undefined>;
};

/** The VR of the attribute named `keyword` (PS3.6), or undefined when unknown. Ambiguous VRs ('US or SS') give the first. */
export function vrOf(keyword: string): string | undefined {
  const vr = dictionary.nameMap[keyword]?.vr;
  return vr?.slice(0, 2);
}

/** The keyword of a tag given as a number (0x00100010) or text ('(0010,0010)', '00100010', '0010,0010'). */
export function keywordOf(tag: number | string): string | undefined {
  const hex = typeof tag === 'number' ? tag.toString(16).padStart(8, '0') : tag.replace(/[(),\s]/g, '');
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) return undefined;
  const key = `(${hex.slice(0, 4)},${hex.slice(4)})`.toUpperCase();
  return dictionary.dictionary[key]?.name;
}

/** The tag number of `keyword`, or undefined when unknown. */
export function tagOf(keyword: string): number | undefined {
  const tag = dictionary.nameMap[keyword]?.tag;
  if (!tag) return undefined;
  const hex = tag.replace(/[(),]/g, '');
  return /^[0-9A-Fa-f]{8}$/.test(hex) ? parseInt(hex, 16) : undefined;
}
