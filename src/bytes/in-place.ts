/**
 * Joining a received data set's fragments inside the buffer they arrived in, instead of copying
 * them into new memory. A data set comes as PDV fragments separated by a PDV header (6 bytes) or a
 * PDU header and a PDV header (12): when a transport gives up its read buffers (a WebSocket
 * message is a fresh ArrayBuffer nobody else holds), sliding each fragment back over the headers
 * before it makes the data set contiguous where it lies.
 *
 * Why: fresh memory can cost far more than a copy. In headless Chromium on this project's VMs a
 * new 64 KiB Uint8Array written once costs 300–700 µs (first touches of new pages), sliding the
 * same bytes within a buffer ~1.4 µs; a page retrieving 64 KiB instances with C-GET spent a
 * quarter to a third of its time making them contiguous (bench/HISTORY.md, twenty-first session).
 */

/** Read buffers a transport gave up: nobody but the core holds or reads them. */
const givenUp = new WeakSet<ArrayBufferLike>();

/**
 * Marks `buffer` as the core's to rearrange: the transport that read it keeps no reference and
 * no one else sees it (a WebSocket message's own ArrayBuffer). Anything else is copied as usual.
 */
export function giveUpReadBuffer(buffer: ArrayBufferLike): void {
  givenUp.add(buffer);
}

/** At most a PDU header (6) and a PDV header (6) lie between two fragments of one data set. */
const MAX_GAP = 12;

/**
 * `chunks` (two or more fragments of one data set, in order, that no caller has seen) joined in
 * the buffer they share, as one view of it; undefined when they cannot be: not all in one given-up
 * buffer, out of order, or further apart than framing (so only headers already parsed are
 * overwritten, never bytes someone may still read).
 */
export function joinInPlace(chunks: readonly Uint8Array[]): Uint8Array | undefined {
  const first = chunks[0]!;
  const buffer = first.buffer;
  if (!givenUp.has(buffer)) return undefined;
  let end = first.byteOffset + first.byteLength;
  for (let i = 1; i < chunks.length; i++) {
    const chunk = chunks[i]!;
    if (chunk.buffer !== buffer || chunk.byteOffset < end || chunk.byteOffset - end > MAX_GAP) return undefined;
    end = chunk.byteOffset + chunk.byteLength;
  }
  const whole = new Uint8Array(buffer);
  let at = first.byteOffset + first.byteLength;
  for (let i = 1; i < chunks.length; i++) {
    const chunk = chunks[i]!;
    whole.copyWithin(at, chunk.byteOffset, chunk.byteOffset + chunk.byteLength);
    at += chunk.byteLength;
  }
  return new Uint8Array(buffer, first.byteOffset, at - first.byteOffset);
}
