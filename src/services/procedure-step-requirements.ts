/**
 * Attribute requirements of the procedure step services (MPPS PS3.4 Table F.7.2-1, UPS Table
 * CC.2.5-3) checked on naturalized data sets: Type 1 (a value) or Type 2 (present, may be empty),
 * at the top level or inside every item of a sequence, alone or as one of several (Type 1C); and
 * which status an N-CREATE that misses them gets.
 */
import type { Dataset } from '../scu/types';
import { tagForKeyword } from './n-attributes';

/** One required attribute. */
export interface AttributeRequirement {
  /**
   * Keywords from the top level down: enclosing sequences, then the attribute, e.g.
   * `['PerformedSeriesSequence', 'ProtocolName']`. A nested requirement applies to every item.
   */
  readonly path: readonly string[];
  /** `value`: present and not empty (a sequence: at least one item); `present`: may be empty. */
  readonly need: 'value' | 'present';
  /**
   * Type 1C, one of several: other keywords beside the attribute (same item) that meet the
   * requirement instead, e.g. Long Code Value or URN Code Value for Code Value (PS3.3 Table 8.8-1).
   */
  readonly or?: readonly string[];
  /**
   * Type 1C on a sibling: required only where one of these keywords has a value in the same item,
   * e.g. Coding Scheme Designator when Code Value or Long Code Value is present.
   */
  readonly when?: readonly string[];
}

/** A Type 1 requirement (`need: 'value'`) on the attribute at `path`, keywords from the top level down. */
export function value(...path: string[]): AttributeRequirement {
  return { path, need: 'value' };
}

/** Which rows of a code sequence macro {@link codeItems} checks in each item. */
export interface CodeMacro {
  /** Code Meaning (0008,0104) Type 1 (`mandatory`), or not checked (`optional`). */
  readonly meaning: 'mandatory' | 'optional';
  /** Whether the macro includes Equivalent Code Sequence (0008,0121), whose items are checked alike. */
  readonly equivalent: boolean;
}

/**
 * The N-CREATE rows of a code sequence macro for the items of the code sequence at `sequence`
 * (keywords from the top level down), and, when the macro includes it, for the items of each
 * item's Equivalent Code Sequence: Code Value, Long Code Value or URN Code Value (1C, one of them),
 * Coding Scheme Designator when Code Value or Long Code Value is there (1C), and Code Meaning (1)
 * where the macro makes it mandatory (the Code Value Macros of PS3.4 Table F.7.2-1, and the UPS
 * Code Sequence Macro, Table CC.2.5-2a). Coding Scheme Version (1C: when the
 * designator alone is ambiguous) is left to the application: the SCP cannot tell. A sequence sent
 * empty or left out has no item to check.
 */
export function codeItems(sequence: readonly string[], macro: CodeMacro): AttributeRequirement[] {
  const paths = macro.equivalent ? [[...sequence], [...sequence, 'EquivalentCodeSequence']] : [[...sequence]];
  return paths.flatMap((path) => [
    { path: [...path, 'CodeValue'], need: 'value' as const, or: ['LongCodeValue', 'URNCodeValue'] },
    { path: [...path, 'CodingSchemeDesignator'], need: 'value' as const, when: ['CodeValue', 'LongCodeValue'] },
    ...(macro.meaning === 'mandatory' ? [{ path: [...path, 'CodeMeaning'], need: 'value' as const }] : []),
  ]);
}

/** Whether a naturalized value is non-empty (dcmjs gives `''` or `[]` for empty elements). */
export function hasValue(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.some(hasValue);
  if (typeof value === 'object') return Object.keys(value).some((k) => !k.startsWith('_'));
  return true;
}

/** The requirements `dataset` does not meet, in the order given. */
export function unmetRequirements(dataset: Dataset, requirements: readonly AttributeRequirement[]): AttributeRequirement[] {
  return requirements.filter((r) => !meets(dataset, r, r.need));
}

/** The requirements an N-CREATE Attribute List does not meet, with the status that names them. */
export interface MissingAttributes {
  /** 0x0120 Missing Attribute (PS3.7 C.5.13) or 0x0121 Missing Attribute Value (C.5.14). */
  readonly status: 0x0120 | 0x0121;
  readonly unmet: AttributeRequirement[];
}

/**
 * The requirements whose attribute is absent (0x0120), else those present without a value
 * (0x0121); undefined when all are met. Absent comes first: it is the SCU's bigger omission.
 */
export function missingAttributes(dataset: Dataset, requirements: readonly AttributeRequirement[]): MissingAttributes | undefined {
  const unmet = unmetRequirements(dataset, requirements);
  if (unmet.length === 0) return undefined;
  const absent = unmet.filter((r) => !meets(dataset, r, 'present'));
  return absent.length > 0 ? { status: 0x0120, unmet: absent } : { status: 0x0121, unmet };
}

/** Whether `ds` meets `r` from `r.path[depth]` down, judged by `need` (the requirement's own, or 'present' to tell absent from empty). */
function meets(ds: Dataset, r: AttributeRequirement, need: 'value' | 'present', depth = 0): boolean {
  const head = r.path[depth];
  if (head === undefined) return true;
  if (depth === r.path.length - 1) {
    if (r.when && !r.when.some((k) => hasValue(ds[k]))) return true;
    return [head, ...(r.or ?? [])].some((k) => (need === 'present' ? ds[k] !== undefined : hasValue(ds[k])));
  }
  const sequence = ds[head];
  // A missing or empty sequence is its own requirement; its items' requirements then hold vacuously.
  const items = Array.isArray(sequence) ? (sequence.filter((v) => v !== null && typeof v === 'object') as Dataset[]) : [];
  return items.every((item) => meets(item, r, need, depth + 1));
}

/** `(0040,0340)>(0018,1030)`: a requirement's path as tags, for Error Comments (64 characters at most). */
export function pathText(path: readonly string[]): string {
  return path
    .map((k) => {
      const tag = tagForKeyword(k);
      if (tag === undefined) return k;
      const hex = tag.toString(16).toUpperCase().padStart(8, '0');
      return `(${hex.slice(0, 4)},${hex.slice(4)})`;
    })
    .join('>');
}

/**
 * The innermost tag of each requirement, for the Attribute Identifier List (0000,1005) and Offending
 * Element (0000,0901): each tag once, in first-seen order (Code Value missing in two code sequences
 * is one tag).
 */
export function offendingTags(requirements: readonly AttributeRequirement[]): number[] {
  const tags = requirements.map((r) => tagForKeyword(r.path[r.path.length - 1]!)).filter((t): t is number => t !== undefined);
  return [...new Set(tags)];
}
