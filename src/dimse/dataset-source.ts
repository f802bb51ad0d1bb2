/**
 * Where the bytes of an outgoing data set come from: a buffer, or a stream read as it goes
 * so that a large instance is never held in memory whole.
 */
import type { PDataTfPdu } from '../pdu/types';
import { joinInPlace } from '../bytes/in-place';

/**
 * Encoded data set bytes, or a stream/iterable of them. Chunks are sent as views, not copies: a
 * source must leave a chunk's bytes alone once it has yielded it (a {@link RecyclingChunks} source
 * gets each one back when it may reuse it).
 */
export type DatasetBytes = Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * A data set source that reuses the memory of the chunks it yields (a file read into the same few
 * buffers): the sender calls `recycle(chunk)` once no byte of `chunk` is referenced any more,
 * i.e. sent and handed to the operating system. A sender that cannot tell (in-memory pipes, web
 * streams) never calls it, and the source keeps allocating. Node's `fileChunks` is one.
 *
 * Give one as a C-STORE input's `data` (`association.cStore({ ..., data: source })`); over Node
 * TCP and TLS each chunk comes back once sent. It is the sending side's counterpart of
 * `request.chunks({ lent: true })` and `request.releaseChunk()` on the receiving side.
 */
export interface RecyclingChunks extends AsyncIterable<Uint8Array> {
  recycle(chunk: Uint8Array): void;
  /**
   * Optional: the whole data set when all of it is in memory already (a file read in one go),
   * taken instead of iterating, and counted as the one iteration; undefined otherwise (the sender
   * then iterates). A sender sends it like a buffer, without a promise per fragment, and recycles
   * it once flushed.
   */
  takeWhole?(): Uint8Array | undefined;
}

/** Whether `source` offers {@link RecyclingChunks.recycle}. */
export function isRecycling(source: DatasetBytes): source is RecyclingChunks {
  return typeof (source as Partial<RecyclingChunks>).recycle === 'function' && Symbol.asyncIterator in source;
}

/**
 * Gives a {@link RecyclingChunks} source its chunks back: each chunk pulled is remembered with
 * where it ends in the data set; once the PDUs sent hold every byte up to that end and the
 * transport has flushed them, the chunk is recycled. Counting bytes rather than chunks is what
 * makes it safe: the fragmenter holds a fragment back and the PDU packer a partial PDU, so a
 * chunk's last bytes may leave well after the next chunk was pulled. Nobody waits for a release:
 * the sender goes on (a source with no buffer back yet takes new memory; the sender's write
 * back-pressure bounds how many are out), and the next message is not held up by this one's flush.
 */
export class ChunkRecycler {
  private readonly held: { chunk: Uint8Array; end: number }[] = [];
  private pulled = 0;
  private sent = 0;
  /** A flush is being waited for; when it comes, the chunks due by then are recycled and it looks again. */
  private releasing = false;

  constructor(
    private readonly source: RecyclingChunks,
    private readonly flushed: () => Promise<void> | undefined,
  ) {}

  /** The source's chunks, each noted as it is pulled. */
  async *chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    for await (const chunk of this.source) {
      this.pulled += chunk.byteLength;
      this.held.push({ chunk, end: this.pulled });
      yield chunk;
    }
  }

  /** Notes the data set bytes of a PDU about to be sent. */
  noteSent(pdu: PDataTfPdu): void {
    const pdvs = pdu.pdvs;
    for (let i = 0; i < pdvs.length; i++) if (!pdvs[i]!.isCommand) this.sent += pdvs[i]!.data.byteLength;
  }

  /** Notes a run of data set bytes about to be sent (DimseProviderOptions.sendRun). */
  noteSentRun(byteLength: number): void {
    this.sent += byteLength;
  }

  /** Recycles the chunks whose bytes have all been sent, once the transport has flushed them (now or later). */
  release(): void {
    if (this.releasing) return;
    const upTo = this.sent;
    if (this.held.length === 0 || this.held[0]!.end > upTo) return;
    const wait = this.flushed();
    if (!wait) return this.recycleUpTo(upTo);
    this.releasing = true;
    void wait.then(() => {
      this.releasing = false;
      this.recycleUpTo(upTo);
      this.release(); // chunks sent while waiting
    });
  }

  private recycleUpTo(end: number): void {
    while (this.held.length > 0 && this.held[0]!.end <= end) this.source.recycle(this.held.shift()!.chunk);
  }
}

/**
 * Yields fragments of at most `size` bytes with a flag telling whether it is the last one. A chunk
 * of at least `size` bytes is cut into views, its tail sent as a shorter fragment (PDVs need not be
 * full, PS3.8 §9.3.5), so large chunks are never copied; smaller chunks are joined (copied) into
 * fragments of `size`, so a stream of small chunks does not become a stream of small PDUs.
 * With `runs`, the fragments of a large chunk but its last come as one view instead, for a
 * consumer that cuts it into those same fragments itself (a run of PDUs written at once: one step
 * per chunk rather than per PDU); the last is held back as every fragment is, to be flagged.
 */
export async function* fragmentsOf(
  source: DatasetBytes,
  size: number,
  runs = false,
): AsyncGenerator<{ data: Uint8Array; isLast: boolean }> {
  if (source instanceof Uint8Array) {
    if (source.byteLength === 0) yield { data: source, isLast: true };
    for (let o = 0; o < source.byteLength; o += size) {
      const end = Math.min(o + size, source.byteLength);
      yield { data: source.subarray(o, end), isLast: end === source.byteLength };
    }
    return;
  }
  // Hold one fragment back so the last one can be flagged when the stream ends.
  let pending: Uint8Array | null = null;
  // A fragment being filled from small chunks: a view of the first one until a second must be
  // joined to it (a data set that is one chunk smaller than a fragment is never copied).
  let partial: Uint8Array | null = null;
  let partialOwned = false;
  let partialLength = 0;
  for await (const chunk of iterate(source)) {
    const large = chunk.byteLength >= size;
    if (large && partial) {
      // What small chunks left goes out as it is rather than being topped up from a large one.
      if (pending) yield { data: pending, isLast: false };
      pending = partial.subarray(0, partialLength);
      partial = null;
      partialLength = 0;
    }
    if (large && runs) {
      if (pending) yield { data: pending, isLast: false };
      const lastCut = Math.floor((chunk.byteLength - 1) / size) * size;
      if (lastCut > 0) yield { data: chunk.subarray(0, lastCut), isLast: false };
      pending = chunk.subarray(lastCut);
      continue;
    }
    let offset = 0;
    while (offset < chunk.byteLength) {
      if (large) {
        const end = Math.min(offset + size, chunk.byteLength);
        if (pending) yield { data: pending, isLast: false };
        pending = chunk.subarray(offset, end);
        offset = end;
        continue;
      }
      if (!partial) {
        partial = chunk.subarray(offset); // small: all of it fits
        partialOwned = false;
        partialLength = partial.byteLength;
        break;
      }
      if (!partialOwned) {
        const own = new Uint8Array(size);
        own.set(partial.subarray(0, partialLength));
        partial = own;
        partialOwned = true;
      }
      const take = Math.min(size - partialLength, chunk.byteLength - offset);
      partial.set(chunk.subarray(offset, offset + take), partialLength);
      partialLength += take;
      offset += take;
      if (partialLength === size) {
        if (pending) yield { data: pending, isLast: false };
        pending = partial;
        partial = null;
        partialLength = 0;
      }
    }
  }
  if (partial && partialLength > 0) {
    if (pending) yield { data: pending, isLast: false };
    pending = partial.subarray(0, partialLength);
  }
  yield { data: pending ?? new Uint8Array(0), isLast: true };
}

/** Iterates a ReadableStream with getReader() (async iteration of streams is missing in Safari) or any AsyncIterable. */
export async function* iterate(source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (Symbol.asyncIterator in source && !(typeof (source as ReadableStream).getReader === 'function')) {
    yield* source as AsyncIterable<Uint8Array>;
    return;
  }
  const reader = (source as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value.byteLength > 0) yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** Joins chunks into one buffer (one copy); returns the chunk itself when there is only one. */
export function concatChunks(chunks: readonly Uint8Array[], total?: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const length = total ?? chunks.reduce((n, c) => n + c.byteLength, 0);
  const out = new Uint8Array(length);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/**
 * {@link concatChunks} into memory of its own when the chunks are lent (`release` given: views of a
 * transport's read buffers, DirectTransport.release), which are then handed back.
 */
export function concatOwned(chunks: readonly Uint8Array[], release: ((chunk: Uint8Array) => void) | undefined, total?: number): Uint8Array {
  if (!release) return concatChunks(chunks, total);
  const out = chunks.length === 1 ? chunks[0]!.slice() : concatChunks(chunks, total);
  for (const chunk of chunks) release(chunk);
  return out;
}

/**
 * {@link concatOwned} for the fragments of a data set the core received and no caller has seen:
 * joined where they lie when their transport gave up the buffer they share (a WebSocket message,
 * see bytes/in-place.ts), copied otherwise. The result may then be a view of a larger buffer.
 */
export function concatReceived(chunks: readonly Uint8Array[], release: ((chunk: Uint8Array) => void) | undefined, total?: number): Uint8Array {
  if (!release && chunks.length > 1) {
    const joined = joinInPlace(chunks);
    if (joined) return joined;
  }
  return concatOwned(chunks, release, total);
}
