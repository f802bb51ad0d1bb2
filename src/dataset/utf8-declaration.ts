/**
 * Text values the named character set cannot hold (or, with no set named, any beyond ASCII) are
 * written as UTF-8 (dcmjs writes all text so), so such a data set must say so with (0008,0005) Specific Character Set "ISO_IR 192" (PS3.3
 * C.12.1.1.2, PS3.5 §6.1.2.3). Without it a receiver reads those bytes in the default repertoire,
 * or in the set the caller named (say ISO_IR 100), and "Müller" arrives as "MÃ¼ller".
 *
 * Sequence items without (0008,0005) of their own take the enclosing data set's; items that name
 * one are relabelled too, since their text is written as UTF-8 as well.
 */
import type { DcmjsDict } from 'dcmjs';
import { KINDS, PERSON_NAME, SEQUENCE, TEXT } from './dict-vr';
import { personNameText } from './person-name';

const CHARSET_KEY = '00080005';
const UTF8_TERM = 'ISO_IR 192';

/** Whether `dict` names UTF-8 (and only UTF-8) in its own (0008,0005). */
function declaresUtf8(dict: DcmjsDict): boolean {
  const value = dict[CHARSET_KEY]?.Value;
  return Array.isArray(value) && value.length === 1 && typeof value[0] === 'string' && value[0].trim() === UTF8_TERM;
}

/**
 * `dict` with (0008,0005) "ISO_IR 192" at its top level and in every item that names a character
 * set of its own. Copies only what changes; `dict` itself (maybe the caller's) is left alone.
 */
export function withUtf8Declared(dict: DcmjsDict): DcmjsDict {
  return relabel(dict, true);
}

function relabel(dict: DcmjsDict, top: boolean): DcmjsDict {
  let out = dict;
  if (top ? !declaresUtf8(dict) : CHARSET_KEY in dict && !declaresUtf8(dict)) {
    out = { ...dict, [CHARSET_KEY]: { vr: 'CS', Value: [UTF8_TERM] } };
  }
  for (const key of Object.keys(out)) {
    const element = out[key]!;
    if (element.vr !== 'SQ' || !Array.isArray(element.Value)) continue;
    const items = element.Value as unknown[];
    const relabelled = items.map((item) => (item && typeof item === 'object' ? relabel(item as DcmjsDict, false) : item));
    if (relabelled.every((item, i) => item === items[i])) continue;
    if (out === dict) out = { ...dict };
    out[key] = { ...element, Value: relabelled };
  }
  return out;
}

/** Whether any text value (LO LT SH ST UC UT PN), at any depth, has a character beyond ASCII. */
export function hasNonAsciiText(dict: DcmjsDict): boolean {
  for (const key of Object.keys(dict)) {
    const element = dict[key];
    if (!element) continue;
    const kind = KINDS.get(element.vr);
    const value = element.Value as unknown;
    if (kind === SEQUENCE) {
      if (Array.isArray(value) && value.some((item) => item && typeof item === 'object' && hasNonAsciiText(item as DcmjsDict))) return true;
    } else if (kind === PERSON_NAME) {
      const text = personNameText(value);
      if (text !== undefined && !isAscii(text)) return true;
    } else if (kind === TEXT) {
      const values = Array.isArray(value) ? value : [value];
      if (values.some((v) => typeof v === 'string' && !isAscii(v))) return true;
    }
  }
  return false;
}

/** True when every UTF-16 code unit of `s` is ASCII. */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
