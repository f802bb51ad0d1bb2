/**
 * Deflated data sets made even (PS3.5 A.5: the deflated stream is padded with one 00H to even
 * length): a PDV must be of even length (PS3.8 Annex E), and DCMTK aborts the association on an
 * odd one. Inflating stops at the end of the stream, so the pad is never read. No pako here: the
 * store path imports it.
 */
import { iterate } from '../dimse/dataset-source';

/** `bytes` with one 00H after them (a copy). */
export function evenLength(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/**
 * A deflated data set given to be sent, made even as deflateRaw makes its own: a file written by
 * a tool that left the stream odd would otherwise go out as an odd PDV. A stream is read through
 * (its chunks are not recycled then: deflated files are small and rare).
 */
export function evenDeflated(data: Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): Uint8Array | AsyncIterable<Uint8Array> {
  if (data instanceof Uint8Array) return data.length & 1 ? evenLength(data) : data;
  return padStream(data);
}

async function* padStream(data: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of iterate(data)) {
    total += chunk.length;
    yield chunk;
  }
  if (total & 1) yield new Uint8Array(1);
}
