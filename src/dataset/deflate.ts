/**
 * Raw DEFLATE (RFC 1951, no zlib header) for the Deflated Explicit VR Little Endian transfer
 * syntax (PS3.5 §A.5), with a cap on the inflated size so a small hostile payload cannot
 * exhaust memory.
 */
import { Inflate, deflateRaw as pakoDeflateRaw } from 'pako';
import { DimseError } from '../errors';
import { evenLength } from './even-length';

/** Default cap on an inflated data set. */
export const DEFAULT_MAX_INFLATED_LENGTH = 512 * 1024 * 1024;

/**
 * Raw-deflate `bytes` (PS3.5 A.5: the data set after the meta group, no zlib header), padded with
 * one 00H to even length as A.5 asks: a PDV must be of even length (PS3.8 Annex E), and DCMTK
 * aborts on an odd one. Inflating stops at the end of the stream, so the pad is never read.
 */
export function deflateRaw(bytes: Uint8Array): Uint8Array {
  const deflated = pakoDeflateRaw(bytes);
  return deflated.length & 1 ? evenLength(deflated) : deflated;
}

/**
 * Inflate raw-deflated bytes; throws DimseError('DATASET_DECODE_FAILED') on corrupt input or
 * when the output would exceed `maxLength`.
 */
export function inflateRaw(bytes: Uint8Array, maxLength = DEFAULT_MAX_INFLATED_LENGTH): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inflator = new Inflate({ raw: true, chunkSize: 64 * 1024 });
  // A local first, not `inflator.onData = () => …`: see test/unit/retention-patterns.test.ts.
  const onData = (chunk: Uint8Array): void => {
    total += chunk.length;
    // Stop early instead of after the whole bomb has been expanded.
    if (total > maxLength) {
      throw new DimseError('DATASET_DECODE_FAILED', `inflated data set exceeds ${maxLength} bytes`);
    }
    // pako may hand out a view of a buffer it keeps writing to: keep our own copy then.
    chunks.push(chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice());
  };
  inflator.onData = onData;
  inflator.push(bytes, true);
  if (inflator.err || !inflator.ended) {
    throw new DimseError('DATASET_DECODE_FAILED', `deflated data set is corrupt: ${inflator.msg || inflator.err}`);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
