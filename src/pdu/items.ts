/**
 * Variable items of A-ASSOCIATE-RQ/AC (PS3.8 §9.3.2.1–9.3.3.3): application context (10H),
 * presentation context RQ (20H) / AC (21H) with abstract (30H) and transfer (40H) syntax
 * sub-items, and the item walker shared with the user information item (user-info.ts).
 * Every item is type (1), reserved (1), item-length (2, big endian), value.
 */
import type { ByteReader } from '../bytes/byte-reader';
import type { ByteWriter } from '../bytes/byte-writer';
import { decodeUidIn } from '../bytes/text';
import { ITEM_TYPE, PDU_ERROR_CODE as E } from './constants';
import type { PresentationContextAc, PresentationContextRq } from './types';

/** One item as found by `readItems`: its type, its value as a child reader, its absolute offset. */
export interface ItemView {
  readonly type: number;
  readonly offset: number;
  readonly value: ByteReader;
}

/**
 * Walks the items filling `r` to its end (PS3.8 §9.3.1). An item whose length runs past its
 * container raises ITEM_OVERRUN; a partial item header raises FIELD_TRUNCATED.
 */
export function* readItems(r: ByteReader, container: string): Generator<ItemView> {
  while (r.remaining > 0) {
    const offset = r.offset;
    // Field names are built for an error only: an A-ASSOCIATE-RQ has hundreds of items.
    if (r.remaining < ITEM_HEADER_LENGTH) truncatedHeader(r, container);
    const type = r.uint8(ITEM_HEADER);
    r.skip(1, ITEM_HEADER);
    const length = r.uint16(ITEM_HEADER);
    if (length > r.remaining) {
      r.fail(E.ITEM_OVERRUN, `${container}: item ${hex(type)} length ${length} overruns its container (${r.remaining} left)`, offset);
    }
    yield { type, offset, value: r.reader(length, ITEM_HEADER) };
  }
}

/** Item-type (1), reserved (1), item-length (2). */
const ITEM_HEADER_LENGTH = 4;
/** The label of header reads that cannot fail (their bytes were checked first). */
const ITEM_HEADER = 'item header';

/** FIELD_TRUNCATED for the first header field that is not all there, named as it is read. */
function truncatedHeader(r: ByteReader, container: string): never {
  r.uint8(`${container}: item-type`);
  r.skip(1, `${container}: reserved`);
  r.uint16(`${container}: item-length`);
  throw new Error('unreachable: an item header shorter than 4 bytes was read whole');
}

/** Reads a 2-byte length then a child reader over that many bytes, which must fit (PS3.7 D.3.3). */
export function lengthPrefixedReader(r: ByteReader, field: string): ByteReader {
  const at = r.offset;
  const length = r.uint16(`${field} length`);
  if (length > r.remaining) {
    r.fail(E.ITEM_OVERRUN, `${field} length ${length} overruns its item (${r.remaining} left)`, at);
  }
  return r.reader(length, field);
}

/** Reads a 2-byte length then that many bytes as a view. */
export function readLengthPrefixed(r: ByteReader, field: string): Uint8Array {
  return lengthPrefixedReader(r, field).rest();
}

/** Presentation-context-ID must be odd, 1..255 (PS3.8 §9.3.2.2, §9.3.5.1). */
export function checkContextId(r: ByteReader, id: number, offset: number): void {
  if (id % 2 === 0) {
    r.fail(E.INVALID_CONTEXT_ID, `presentation-context-ID ${id} is not odd`, offset);
  }
}

/** Application context item value: the context name UID (PS3.8 §9.3.2.1). */
export function decodeApplicationContext(item: ItemView): string {
  return item.value.restAs(decodeUidIn);
}

/** Presentation context item of an RQ (20H, PS3.8 Table 9-13). Unknown sub-items are skipped. */
export function decodePresentationContextRq(r: ByteReader): PresentationContextRq {
  const idOffset = r.offset;
  const id = r.uint8('presentation-context-ID');
  checkContextId(r, id, idOffset);
  r.skip(3, 'presentation context: reserved');
  let abstractSyntax: string | undefined;
  const transferSyntaxes: string[] = [];
  for (const item of readItems(r, 'presentation context (RQ)')) {
    if (item.type === ITEM_TYPE.ABSTRACT_SYNTAX) {
      if (abstractSyntax !== undefined) duplicate(item, 'abstract syntax');
      abstractSyntax = item.value.restAs(decodeUidIn);
    } else if (item.type === ITEM_TYPE.TRANSFER_SYNTAX) {
      transferSyntaxes.push(item.value.restAs(decodeUidIn));
    }
  }
  return { id, abstractSyntax: abstractSyntax ?? '', transferSyntaxes };
}

/** Presentation context item of an AC (21H, PS3.8 Table 9-18). The result byte is not range-checked. */
export function decodePresentationContextAc(r: ByteReader): PresentationContextAc {
  const idOffset = r.offset;
  const id = r.uint8('presentation-context-ID');
  checkContextId(r, id, idOffset);
  r.skip(1, 'presentation context: reserved');
  const result = r.uint8('presentation context: result/reason');
  r.skip(1, 'presentation context: reserved');
  let transferSyntax: string | undefined;
  for (const item of readItems(r, 'presentation context (AC)')) {
    if (item.type !== ITEM_TYPE.TRANSFER_SYNTAX) continue;
    if (transferSyntax !== undefined) duplicate(item, 'transfer syntax');
    transferSyntax = item.value.restAs(decodeUidIn);
  }
  return { id, result, transferSyntax: transferSyntax ?? '' };
}

/** Raises DUPLICATE_SUB_ITEM for a sub-item allowed only once. */
export function duplicate(item: ItemView, what: string): never {
  return item.value.fail(E.DUPLICATE_SUB_ITEM, `second ${what} sub-item ${hex(item.type)}`, item.offset);
}

/** Writes item header + value; the 2-byte length is patched after `body` (PS3.8 §9.3.2). */
export function writeItem(w: ByteWriter, type: number, body: (w: ByteWriter) => void): void {
  w.uint8(type).uint8(0);
  const at = w.reserveUint16();
  body(w);
  w.patchUint16(at);
}

/** Writes an item whose value is a UID without padding (PS3.8 Annex F). */
export function writeUidItem(w: ByteWriter, type: number, uid: string): void {
  if (uid.length > 0xffff) throw new RangeError(`item too long for a 2-byte length: ${uid.length}`);
  w.uint8(type).uint8(0).uint16(uid.length).ascii(uid, 'UID');
}

/** Application context item (10H, PS3.8 Table 9-12). */
export function writeApplicationContext(w: ByteWriter, name: string): void {
  writeUidItem(w, ITEM_TYPE.APPLICATION_CONTEXT, name);
}

/** Presentation context RQ item (20H, PS3.8 Table 9-13). */
export function writePresentationContextRq(w: ByteWriter, pc: PresentationContextRq): void {
  writeItem(w, ITEM_TYPE.PRESENTATION_CONTEXT_RQ, (v) => {
    v.uint8(pc.id).zeros(3);
    writeUidItem(v, ITEM_TYPE.ABSTRACT_SYNTAX, pc.abstractSyntax);
    for (const ts of pc.transferSyntaxes) writeUidItem(v, ITEM_TYPE.TRANSFER_SYNTAX, ts);
  });
}

/**
 * Presentation context AC item (21H, PS3.8 Table 9-18). The transfer syntax sub-item is written
 * only when `transferSyntax` is non-empty (its value is not tested when result ≠ 0).
 */
export function writePresentationContextAc(w: ByteWriter, pc: PresentationContextAc): void {
  writeItem(w, ITEM_TYPE.PRESENTATION_CONTEXT_AC, (v) => {
    v.uint8(pc.id).uint8(0).uint8(pc.result).uint8(0);
    if (pc.transferSyntax !== '') writeUidItem(v, ITEM_TYPE.TRANSFER_SYNTAX, pc.transferSyntax);
  });
}

/** "51H" style hex for messages. */
export function hex(n: number): string {
  return `${n.toString(16).toUpperCase().padStart(2, '0')}H`;
}
