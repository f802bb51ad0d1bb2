/**
 * Sub-operation read-ahead for C-GET/C-MOVE: while one C-STORE sub-operation waits for its
 * response, the next instance's data stream starts reading (for a file: open and first read), so
 * storage latency overlaps the network round trip instead of adding to it. At most one instance
 * is read ahead, one chunk deep: memory stays bounded by one chunk.
 */
import type { StoreInput } from '../scu/store';

/** An instance's data with its first chunk already requested; `cancel()` releases the source. */
class ReadAhead implements AsyncIterable<Uint8Array> {
  private started = false;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly first: Promise<ReadableStreamReadResult<Uint8Array>>,
  ) {
    first.catch(() => undefined); // surfaced when iterated
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    if (this.started) throw new Error('a read-ahead data set can be read once');
    this.started = true;
    let finished = false;
    try {
      for (let r = await this.first; !r.done; r = await this.reader.read()) yield r.value;
      finished = true;
    } finally {
      if (!finished) this.cancel();
    }
  }

  /** Releases the source (closes the file behind it); harmless when it was read to the end. */
  cancel(): Promise<void> {
    return this.reader.cancel().catch(() => undefined);
  }
}

/**
 * A data set source that reads ahead by itself when asked: the platform knows when a read no
 * longer delays what is being sent (Node's `fileChunks` sources start in the next check phase,
 * after the current sub-operation's writes reached the kernel), which the core cannot tell.
 */
export interface Prefetchable {
  prefetch(): void;
}

/**
 * Starts reading `instance`'s data: a {@link Prefetchable} source is asked to, a web stream gets
 * its first chunk requested now; other inputs are returned as they are.
 */
export function readAhead(instance: StoreInput): StoreInput {
  if (!('data' in instance)) return instance;
  const data = instance.data as unknown;
  if (typeof (data as Partial<Prefetchable>).prefetch === 'function') {
    (data as Prefetchable).prefetch();
    return instance;
  }
  if (data instanceof Uint8Array || typeof (data as ReadableStream).getReader !== 'function') return instance;
  const stream = data as ReadableStream<Uint8Array>;
  if (stream.locked) return instance;
  const reader = stream.getReader();
  return { ...instance, data: new ReadAhead(reader, reader.read()) } as StoreInput;
}
