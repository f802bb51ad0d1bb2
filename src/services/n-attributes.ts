/**
 * Attribute handling shared by the N-service SCPs: answering an N-GET from a stored data set with
 * the Attribute Identifier List (PS3.7 §10.1.2.1.3), applying an N-SET Modification List
 * (PS3.7 §10.1.3.1.3), and refusing the attributes an N-CREATE or N-SET may not carry.
 */
import type { NAnswer } from '../scp/types';
import type { Dataset } from '../scu/types';
import { keywordOf, tagOf } from './dictionary';

/** The data set keyword of a tag (0x00080070 → 'Manufacturer'), or undefined when not in the dictionary. */
export function keywordForTag(tag: number): string | undefined {
  // Tags built with bit operations may be negative (0xFFFE0000 | 0): read them as unsigned.
  return keywordOf(tag >>> 0);
}

/** The tag of a keyword ('Manufacturer' → 0x00080070), or undefined. */
export function tagForKeyword(keyword: string): number | undefined {
  return tagOf(keyword);
}

/** Keys of a naturalized data set that are attributes (dcmjs adds `_vrMap`, `_meta`). */
const attributeKeys = (ds: Dataset) => Object.keys(ds).filter((k) => !k.startsWith('_'));

/**
 * The attributes of `source` that an N-GET asks for: all of them for an empty list (PS3.7
 * §10.1.2.1.3), otherwise those named, plus the tags that `source` does not hold.
 * Sequence attributes are returned whole (the list names top-level tags).
 */
export function selectAttributes(source: Dataset, tags: readonly number[]): { dataset: Dataset; missing: number[] } {
  if (tags.length === 0) {
    const dataset: Dataset = {};
    for (const k of attributeKeys(source)) dataset[k] = source[k];
    return { dataset, missing: [] };
  }
  const dataset: Dataset = {};
  const missing: number[] = [];
  for (const tag of tags) {
    const keyword = keywordForTag(tag);
    if (keyword !== undefined && keyword in source) dataset[keyword] = source[keyword];
    else missing.push(tag);
  }
  return { dataset, missing };
}

/**
 * An N-GET answer from a stored instance: the requested attributes plus SOP Class UID and SOP
 * Instance UID (as PS3.4 EE.4.1 and F.8.2.1 require). Requested attributes the instance does not
 * hold give 0x0107 (warning, attribute list error) naming them in the Attribute Identifier List
 * (PS3.7 C.4.2) and, as before, in Offending Element; the rest is still returned.
 */
export function nGetAnswer(source: Dataset, tags: readonly number[], uids: { sopClassUid: string; sopInstanceUid: string }): NAnswer {
  const { dataset, missing } = selectAttributes(source, tags);
  const identity = new Set([0x00080016, 0x00080018]);
  const unknown = missing.filter((t) => !identity.has(t));
  return {
    status: unknown.length > 0 ? 0x0107 : 0x0000,
    dataset: { ...dataset, SOPClassUID: uids.sopClassUid, SOPInstanceUID: uids.sopInstanceUid },
    ...(unknown.length > 0 && namingTags(unknown)),
  };
}

/**
 * The fields naming `tags` in a 0x0120 Missing Attribute or 0x0121 Missing Attribute Value answer
 * to an N-CREATE or N-SET (and a 0x0107 N-GET warning): the Attribute Identifier List (0000,1005),
 * PS3.7's field for 0x0120 and 0x0107 (C.5.13, C.4.2; for 0x0121, C.5.14 relates the attribute list
 * itself, so the list is an addition there), and Offending Element (0000,0901), which this
 * library's SCPs filled before the list could be sent, so that an SCU reading either finds them. Only N-CREATE, N-SET and
 * N-GET responses carry the list (the serve loop drops it elsewhere with a warning): an N-ACTION or
 * N-EVENT-REPORT answer names the tags in Offending Element alone.
 */
export function namingTags(tags: readonly number[]): Pick<NAnswer, 'attributeIdentifierList' | 'offendingElement'> {
  return { attributeIdentifierList: [...tags], offendingElement: [...tags] };
}

/**
 * The tags of those of `keywords` that `dataset` holds (present, even if empty), in the order of
 * `keywords`; a keyword outside the dictionary is skipped.
 */
function presentTags(dataset: Dataset, keywords: readonly string[]): number[] {
  return keywords.filter((k) => k in dataset).map((k) => tagForKeyword(k)).filter((t): t is number => t !== undefined);
}

/**
 * A refusal (0x0106 Invalid Attribute Value, PS3.7 C.5.11) naming in Offending Element those of
 * `keywords` that `dataset` holds, with `errorComment`; undefined when it holds none. For the
 * attributes a service's table marks "Not allowed" in an N-CREATE or N-SET.
 */
export function notAllowedAnswer(dataset: Dataset, keywords: readonly string[], errorComment: string): NAnswer | undefined {
  const offendingElement = presentTags(dataset, keywords);
  return offendingElement.length > 0 ? { status: 0x0106, offendingElement, errorComment } : undefined;
}

/** SOP Class UID and SOP Instance UID: the instance's identity, named by the command, never by a Modification List. */
const IDENTITY: ReadonlyArray<readonly [keyword: string, tag: number]> = [['SOPClassUID', 0x00080016], ['SOPInstanceUID', 0x00080018]];

/**
 * A refusal (0x0106 Invalid attribute value, Offending Element) when an N-SET Modification List
 * would change the instance's SOP Class UID or SOP Instance UID. The instance is addressed by the
 * command's Requested SOP Class/Instance UID; answering Success while ignoring them would tell the
 * SCU a change was made that was not. The same values repeated are harmless and pass.
 */
export function identityRefusal(modifications: Dataset, uids: { sopClassUid: string; sopInstanceUid: string }): NAnswer | undefined {
  const own: Record<string, string> = { SOPClassUID: uids.sopClassUid, SOPInstanceUID: uids.sopInstanceUid };
  const changed = IDENTITY.filter(([k]) => k in modifications && stringValue(modifications, k)?.trim() !== own[k]).map(([, tag]) => tag);
  if (changed.length === 0) return undefined;
  return { status: 0x0106, offendingElement: changed, errorComment: 'SOP Class/Instance UID cannot be changed' };
}

/**
 * Applies an N-SET Modification List: present values replace, so do empty ones (PS3.7 §10.1.3.1.3).
 * SOP Class UID and SOP Instance UID are never copied (see {@link identityRefusal}).
 */
export function applyModifications(target: Dataset, modifications: Dataset): Dataset {
  for (const k of attributeKeys(modifications)) if (k !== 'SOPClassUID' && k !== 'SOPInstanceUID') target[k] = modifications[k];
  return target;
}

/** The first value of a (naturalized) attribute as a string, or undefined. */
export function stringValue(ds: Dataset | null | undefined, keyword: string): string | undefined {
  const v = ds?.[keyword];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined || first === null ? undefined : String(first);
}
