/**
 * Person Name values between their DICOM text (`A^B=I=P\…`, PS3.5 §6.2.1) and dcmjs's JSON-model
 * objects (`{ Alphabetic, Ideographic, Phonetic }`), as dcmjs's dicomJson helpers convert them,
 * without the RegExp built on every call and the object spreads (every C-FIND response has a
 * name or two, read or written per match), except that an empty value keeps its place in a list
 * (`A\\B` is three values, the second `{}`; dcmjs drops it and moves the third up).
 */

const VALUE_DELIMITER = '\\';
const GROUP_DELIMITER = '=';

/** A PN value's component groups, as dcmjs's JSON model holds them. */
export interface PersonNameGroups {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

/** dcmjs's `pnStringToObject(text)` for a string: each value's non-empty groups, `{}` for an empty value in a list. */
export function personNamesOf(text: string): PersonNameGroups[] {
  const out: PersonNameGroups[] = [];
  if (text === '') return out;
  const values = text.split(VALUE_DELIMITER);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value === '') {
      out.push({});
      continue;
    }
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
 * dcmjs's `pnObjectToString(value)`: a string as it is; otherwise each value (an object's three
 * groups joined by `=`, trailing `=` dropped; a string as it is; '', null or undefined empty)
 * joined by backslashes, an empty value keeping its place (dcmjs drops it). Returns undefined for
 * anything else (numbers, booleans: the caller declines and dcmjs writes what it writes).
 */
export function personNameText(value: unknown): string | undefined {
  if (typeof value === 'string' || value instanceof String) return String(value);
  const list: unknown[] = Array.isArray(value) ? value : [value];
  let out = '';
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    let text: string;
    if (v === null || v === undefined) text = '';
    else if (typeof v === 'string' || v instanceof String) text = String(v);
    else if (typeof v === 'object') text = groupsText(v as Record<string, unknown>);
    else return undefined;
    out = i === 0 ? text : out + VALUE_DELIMITER + text;
  }
  return out;
}

function groupsText(v: Record<string, unknown>): string {
  const text = [v.Alphabetic ?? '', v.Ideographic ?? '', v.Phonetic ?? ''].join(GROUP_DELIMITER);
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d) end--; // '=': the /=*$/ dcmjs strips
  return end === text.length ? text : text.slice(0, end);
}
