/**
 * Query identifiers from command-line keys (DCMTK/pynetdicom style `-k`): `Keyword=value`,
 * `(gggg,eeee)=value`, `Keyword` alone (a return key, empty value), sequence items as
 * `Sequence[0].Keyword=value`, over the data sets of query files when given (DCMTK's
 * `[dcmfile-in...]`); and readable printing of the identifiers that come back.
 */
import { readFileSync } from 'node:fs';
import type { Dataset } from '../../src/dataset/codec';
import { loadCodec, type Codec } from '../../src/dataset/lazy';
import { hasPart10Prefix } from './part10-file';
import { keywordOf, tagOf, vrOf } from '../../src/services/dictionary';
import { UsageError } from './args';
import { bareDatasetSyntax } from './bare-dataset';

/** Turns one `-k` key into a keyword, throwing with a reason when unknown. */
function keywordFor(name: string): string {
  const trimmed = name.trim();
  if (/^\(?[0-9a-fA-F]{4},?[0-9a-fA-F]{4}\)?$/.test(trimmed)) {
    const keyword = keywordOf(trimmed);
    if (!keyword) throw new UsageError(`unknown tag ${trimmed}`);
    return keyword;
  }
  if (!vrOf(trimmed)) throw new UsageError(`unknown attribute keyword '${trimmed}'`);
  return trimmed;
}

/**
 * Builds an identifier from `-k` keys. A later key for the same attribute replaces an earlier
 * one; a backslash in a value separates values (a UID list, PS3.4 C.2.2.2.2).
 */
export function buildQuery(keys: readonly string[], defaults: Dataset = {}): Dataset {
  const query: Dataset = { ...defaults };
  for (const key of keys) {
    const eq = key.indexOf('=');
    const pathText = eq < 0 ? key : key.slice(0, eq);
    const value = eq < 0 ? '' : key.slice(eq + 1);
    const steps = pathText.split('.').map((s) => /^(.+?)(?:\[(\d+)\])?$/.exec(s.trim()));
    if (steps.some((s) => !s)) throw new UsageError(`bad key '${key}'`);
    let target = query;
    steps.forEach((step, i) => {
      const keyword = keywordFor(step![1]!);
      const last = i === steps.length - 1;
      if (!last || step![2] !== undefined) {
        if (vrOf(keyword) !== 'SQ') throw new UsageError(`'${keyword}' is not a sequence in key '${key}'`);
        const items = Array.isArray(target[keyword]) ? (target[keyword] as Dataset[]) : (target[keyword] = []) as Dataset[];
        const index = Number(step![2] ?? 0);
        while (items.length <= index) items.push({});
        if (!last) target = items[index]!;
        return;
      }
      target[keyword] = vrOf(keyword) === 'SQ' ? [] : value.includes('\\') ? value.split('\\') : value;
    });
  }
  return query;
}

/**
 * The queries to send: one per query file (Part 10, or a data set without File Meta Information as
 * DCMTK reads them), each over `defaults` and under the `-k` keys, which override or add to the
 * file's attributes as in DCMTK; without files, one query from the keys alone.
 */
export async function buildQueries(files: readonly string[], keys: readonly string[], defaults: Dataset = {}): Promise<Dataset[]> {
  if (files.length === 0) return [buildQuery(keys, defaults)];
  const codec = await loadCodec();
  return files.map((file) => buildQuery(keys, { ...defaults, ...readQueryFile(codec, file) }));
}

function readQueryFile(codec: Codec, file: string): Dataset {
  try {
    const bytes = new Uint8Array(readFileSync(file));
    if (hasPart10Prefix(bytes)) {
      const part10 = codec.readPart10(bytes);
      return codec.decodeDataset(part10.dataset, part10.transferSyntaxUid);
    }
    return codec.decodeDataset(bytes, bareDatasetSyntax(bytes));
  } catch (error) {
    throw new Error(`cannot read query file ${file}: ${(error as Error).message}`);
  }
}

/** A value as text: PN by its components, several values joined by `\`, binary as its size. */
function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(text).join('\\');
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return `(${(value as ArrayBuffer).byteLength} bytes)`;
  if (typeof value === 'object') {
    const pn = value as { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
    return [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? ''].join('=').replace(/=+$/, '');
  }
  return String(value);
}

function tagText(keyword: string): string {
  const tag = tagOf(keyword);
  if (tag === undefined) return '(????,????)';
  const hex = tag.toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

/** One identifier as lines `(gggg,eeee) VR Keyword  value`, sequences indented item by item. */
export function formatIdentifier(ds: Dataset, indent = ''): string[] {
  const lines: string[] = [];
  const keys = Object.keys(ds).filter((k) => !k.startsWith('_')).sort((a, b) => (tagOf(a) ?? 0) - (tagOf(b) ?? 0));
  for (const key of keys) {
    const vr = vrOf(key) ?? '??';
    const value = ds[key];
    if (vr === 'SQ' && Array.isArray(value)) {
      lines.push(`${indent}${tagText(key)} SQ ${key} (${value.length} item${value.length === 1 ? '' : 's'})`);
      value.forEach((item, i) => {
        lines.push(`${indent}  > item ${i + 1}`);
        lines.push(...formatIdentifier(item as Dataset, `${indent}    `));
      });
    } else {
      lines.push(`${indent}${tagText(key)} ${vr} ${key.padEnd(32)} ${text(value) === '' ? '(empty)' : `[${text(value)}]`}`);
    }
  }
  return lines;
}

/** A DIMSE status as `0xC000 (Failure: comment)`. */
export function statusText(status: number, category: string, comment?: string): string {
  return `0x${status.toString(16).toUpperCase().padStart(4, '0')} (${category}${comment ? `: ${comment}` : ''})`;
}
