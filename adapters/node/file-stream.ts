/**
 * A file's bytes from an offset to its end, read as they are sent (fileChunks), into buffers a
 * sender can hand back, and read ahead of need (readAhead).
 */
import type { RecyclingChunks } from '../../src/dimse/dataset-source';
import type { Prefetchable } from '../../src/scp/prefetch';
import { lendFileBuffer, recycleFileBuffer } from './file-buffers';
import { openFile, type FileIoOptions } from './sync-read';

/** Chunk size: large views mean few copies downstream, and a synchronous read blocks for one copy at most. */
const STREAM_CHUNK = 1024 * 1024;

/**
 * Reads `file` from `offset` to its end, one chunk of at most 1 MiB per `next()`, so memory
 * follows the consumer's pace. An async iterable rather than a web stream: Node 20 spends tens of
 * µs making each ReadableStream transferable, which a C-GET of small instances would pay once per
 * instance. The file is opened at the first `next()` (never, if nobody iterates: a C-GET can queue
 * thousands without holding thousands of descriptors) and closed at the end, on a read error and on
 * `return()`. With `options.io` `'sync'` (the default) a read blocks the event loop for one copy of
 * at most 1 MiB (from the page cache for a local file); `'async'` reads through fs/promises, for
 * slow disks and network file systems ({@link FileIoOptions.io}).
 */
export function fileChunks(file: string, offset: number, options: FileChunksOptions = {}): FileChunks {
  async function* read(): AsyncGenerator<Uint8Array, void, undefined> {
    const f = await openFile(file, options.io);
    try {
      let position = offset;
      while (position < f.size) {
        // Sized to what is left: a 64 KiB instance must not cost a 1 MiB buffer per read. New
        // memory unless the sender recycled a chunk: it keeps views of it until the PDUs are written.
        const size = Math.min(STREAM_CHUNK, f.size - position);
        const buffer = lendFileBuffer(size);
        const bytesRead = await f.read(buffer.subarray(0, size), position);
        if (bytesRead === 0) return; // the file shrank since it was opened
        position += bytesRead;
        options.onBytes?.(bytesRead);
        yield buffer.byteLength === bytesRead ? buffer : buffer.subarray(0, bytesRead);
      }
    } finally {
      await f.close();
    }
  }
  return Object.assign(read(), { recycle: recycleFileBuffer });
}

/** Options for {@link fileChunks}. */
export interface FileChunksOptions extends FileIoOptions {
  /** Called with the size of each chunk read (progress bars). */
  readonly onBytes?: (n: number) => void;
}

/**
 * {@link fileChunks}'s result: an async generator whose chunks a sender that knows when they have
 * left (a Node socket's flush) hands back with `recycle()`, so a large file is read into the same
 * few buffers instead of new memory for every megabyte.
 */
export type FileChunks = AsyncGenerator<Uint8Array, void, undefined> & RecyclingChunks;

/**
 * `chunks` with its first chunk read ahead: the read starts in the event loop's next check phase
 * (after what this tick sends has reached the kernel), or at the first `next()` if that comes
 * sooner. A sender that reads the next file this way while the current one is sent and answered
 * keeps the read out of the gap between two C-STOREs. `return()` closes the file even when
 * iteration never started.
 */
export function readAhead(chunks: FileChunks): FileChunks {
  const ahead = readAheadOnRequest(chunks);
  ahead.prefetch();
  return ahead;
}

/**
 * `chunks` that start reading ahead when `prefetch()` is called, as {@link readAhead} does at once:
 * the core's C-GET/C-MOVE calls it for the next sub-operation while the current one is answered
 * (src/scp/prefetch.ts), so a retrieve of many instances does not open them all at the start.
 */
export function readAheadOnRequest(chunks: FileChunks): FileChunks & Prefetchable {
  let first: Promise<IteratorResult<Uint8Array, void>> | undefined;
  const start = () => (first ??= chunks.next());
  let asked = false;
  const prefetch = () => {
    if (asked) return;
    asked = true;
    setImmediate(() => {
      if (!first) start().catch(() => {}); // a failure reaches whoever iterates; never unhandled
    });
  };
  async function* all(): AsyncGenerator<Uint8Array, void, undefined> {
    const result = await start();
    if (result.done) return;
    yield result.value;
    yield* chunks;
  }
  const outer = all();
  const endOuter = outer.return.bind(outer);
  return Object.assign(outer, {
    // An outer generator that never started would not pass return() on: close the file first.
    return: async (value?: void) => {
      await chunks.return();
      return endOuter(value);
    },
    recycle: (chunk: Uint8Array) => chunks.recycle(chunk),
    prefetch,
  });
}
