/**
 * Large P-DATA-TF PDUs that arrive split over several network chunks, decoded where they lie:
 * PDV data become views of the chunks instead of one copy of the whole PDU (PS3.8 §9.3.5).
 * A PDV cut by a chunk boundary is given as consecutive PDVs of the same context and type; only
 * the last piece carries the last-fragment flag, so DIMSE reassembly sees the same bytes in the
 * same order. Anything unusual returns null and the caller decodes a copy the ordinary way, so
 * malformed input meets exactly the same checks and errors.
 */
import { PDU_HEADER_LENGTH } from './constants';
import type { PDataTfPdu, Pdv } from './types';

/** PDV item header inside a P-DATA-TF: item-length (4), presentation-context-ID (1), message control header (1). */
const PDV_HEADER = 6;

/** Decodes a whole P-DATA-TF given as `pieces` (views that together hold exactly `total` bytes); null to fall back. */
export function decodePDataInPlace(pieces: readonly Uint8Array[], total: number): PDataTfPdu | null {
  const cursor = new PieceCursor(pieces);
  cursor.skip(PDU_HEADER_LENGTH);
  let left = total - PDU_HEADER_LENGTH;
  if (left === 0) return null;
  const pdvs: Pdv[] = [];
  const header = new Uint8Array(PDV_HEADER);
  while (left > 0) {
    if (left < PDV_HEADER) return null;
    cursor.copy(header);
    const length = ((header[0]! << 24) | (header[1]! << 16) | (header[2]! << 8) | header[3]!) >>> 0;
    if (length < 2 || length > left - 4) return null;
    const contextId = header[4]!;
    if (contextId % 2 === 0) return null;
    const isCommand = (header[5]! & 1) !== 0;
    const isLast = (header[5]! & 2) !== 0;
    const parts = cursor.views(length - 2);
    if (parts.length === 0) pdvs.push({ contextId, isCommand, isLast, data: new Uint8Array(0) });
    for (let i = 0; i < parts.length; i++) pdvs.push({ contextId, isCommand, isLast: isLast && i === parts.length - 1, data: parts[i]! });
    left -= 4 + length;
  }
  return { type: 'P-DATA-TF', pdvs, wireLength: total };
}

/** Reads forward through a list of views. */
class PieceCursor {
  private index = 0;
  private offset = 0;
  constructor(private readonly pieces: readonly Uint8Array[]) {}

  skip(n: number): void {
    this.views(n);
  }

  /** Fills `out` (a small header), copying across piece boundaries. */
  copy(out: Uint8Array): void {
    let filled = 0;
    const parts = this.views(out.length);
    for (let i = 0; i < parts.length; i++) {
      out.set(parts[i]!, filled);
      filled += parts[i]!.length;
    }
  }

  /** The next `n` bytes as views (one per piece they touch). */
  views(n: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (n > 0) {
      const piece = this.pieces[this.index]!;
      const take = Math.min(n, piece.length - this.offset);
      out.push(piece.subarray(this.offset, this.offset + take));
      this.offset += take;
      n -= take;
      if (this.offset === piece.length) {
        this.index++;
        this.offset = 0;
      }
    }
    return out;
  }
}
