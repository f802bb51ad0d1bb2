/**
 * Person Name values between their DICOM text (`A^B=I=P\…`, PS3.5 §6.2.1) and dcmjs's JSON-model
 * objects (`{ Alphabetic, Ideographic, Phonetic }`), exactly as dcmjs's dicomJson helpers convert
 * them, without the RegExp built on every call and the object spreads: every C-FIND response has
 * a name or two, read or written per match.
 */

const VALUE_DELIMITER = '\\';
const GROUP_DELIMITER = '=';

/** A PN value's component groups, as dcmjs's JSON model holds them. */
export interface PersonNameGroups {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

/** dcmjs's `pnStringToObject(text)` for a string: each non-empty value's non-empty groups. */
export function personNamesOf(text: string): PersonNameGroups[] {
  const out: PersonNameGroups[] = [];
  const values = text.split(VALUE_DELIMITER);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value === '') continue;
    const groups = value.split(GROUP_DELIMITER);
    const name: PersonNameGroups = {};
    if (groups[0]) name.Alphabetic = groups[0];
    if (groups[1]) name.Ideographic = groups[1];
    if (groups[2]) name.Phonetic = groups[2];
    out.push(name);
  }
  return out;
}

/**
 * dcmjs's `pnObjectToString(value)`: a string as it is; otherwise each truthy value (an object's
 * three groups joined by `=`, trailing `=` dropped; a string as it is) joined by backslashes.
 * Returns undefined for anything else dcmjs would turn into a non-string (the caller declines).
 */
export function personNameText(value: unknown): string | undefined {
  if (typeof value === 'string' || value instanceof String) return String(value);
  const list: unknown[] = Array.isArray(value) ? value : [value];
  let out = '';
  let first = true;
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (!v) continue; // dcmjs filters falsy values out
    let text: string;
    if (typeof v === 'string' || v instanceof String) text = String(v);
    else if (typeof v === 'object') text = groupsText(v as Record<string, unknown>);
    else return undefined; // dcmjs would write "" for a number: left to it
    out = first ? text : out + VALUE_DELIMITER + text;
    first = false;
  }
  return out;
}

function groupsText(v: Record<string, unknown>): string {
  const text = [v.Alphabetic ?? '', v.Ideographic ?? '', v.Phonetic ?? ''].join(GROUP_DELIMITER);
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d) end--; // '=': the /=*$/ dcmjs strips
  return end === text.length ? text : text.slice(0, end);
}
