/**
 * A DICOM Part 10 file on disk as the input of a C-STORE: what `association.cStore()` needs,
 * read with as few system calls and copies as the file allows.
 */
import { readPart10Identity } from '../../src/dataset/meta';
import type { RecyclingChunks } from '../../src/dimse/dataset-source';
import { lendFileBuffer, recycleFileBuffer } from './file-buffers';
import { fileChunks, type FileChunks } from './file-stream';
import { withFile, type FileIoOptions } from './sync-read';

/** A file's identity from its File Meta Information and its data set, ready for `cStore()`. */
export interface StoreFileInput {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  /**
   * The data set, to be sent once: read into memory when the file fits in one read, else read
   * from disk as it is sent. Its buffers go back to a pool once the socket has sent them, for the
   * next file, so a second `cStore()` of the same input is refused: read the file again to resend.
   */
  readonly data: RecyclingChunks;
  /** The file's size in bytes. */
  readonly size: number;
}

/** Options for {@link storeInputFromFile}. */
export interface StoreFileOptions extends FileIoOptions {
  /** Files up to this size are read whole in one read; larger ones stream the rest. Default 1 MiB. */
  readonly wholeUpTo?: number;
  /** Called with each number of data set bytes read (progress bars). */
  readonly onBytes?: (n: number) => void;
}

const DEFAULT_WHOLE_UP_TO = 1024 * 1024;

/**
 * Opens `path`, a DICOM Part 10 file, and returns the input for `association.cStore()`:
 *
 * ```js
 * const rsp = await assoc.cStore(await storeInputFromFile('image.dcm'));
 * ```
 *
 * One open and one read of up to `wholeUpTo` bytes (default 1 MiB) give both the meta group and,
 * for most instances, the whole data set; the file is closed before this resolves. The rest of a
 * larger file is read as it is sent (the file is opened again at the first read), so a 1 GiB
 * instance is never held in memory. Reads are synchronous unless `options.io` is `'async'`
 * ({@link FileIoOptions.io}). Rejects when the file cannot be read or is not a Part 10 file (no
 * "DICM" prefix, no SOP class, instance or transfer syntax in its meta group).
 */
export async function storeInputFromFile(path: string, options: StoreFileOptions = {}): Promise<StoreFileInput> {
  const whole = Math.max(options.wholeUpTo ?? DEFAULT_WHOLE_UP_TO, 132);
  const { head, size } = await withFile(path, options.io, async (f) => {
    const size = Math.min(f.size, whole);
    const first = lendFileBuffer(size).subarray(0, size); // a spare may be larger
    return { head: first.subarray(0, await f.read(first, 0)), size: f.size };
  });
  const { datasetOffset, ...uids } = readPart10Identity(head); // by hand: no data set codec (dcmjs) needed
  const identity = { ...uids, size };
  const dataset = head.subarray(datasetOffset);
  options.onBytes?.(dataset.byteLength);
  if (head.byteLength >= size) return { ...identity, data: sendOnce([dataset]) };
  // Larger than one read (or a short read): what was read goes first, the rest from where it stopped.
  return { ...identity, data: thenRest(dataset, path, head.byteLength, options) };
}

/**
 * `first`, then the file from `position` (opened at that point; closed at its end or on
 * `return()`); every chunk, `first` too, goes back to the pool when recycled.
 */
function thenRest(first: Uint8Array, path: string, position: number, options: StoreFileOptions): RecyclingChunks {
  const rest = fileChunks(path, position, options);
  return sendOnce(first.byteLength > 0 ? [first] : [], rest);
}

/**
 * `chunks`, then `rest`, for one iteration: a second one throws rather than send bytes that may by
 * then belong to another file (recycled), or nothing (a file read to its end).
 */
function sendOnce(chunks: Uint8Array[], rest?: FileChunks): RecyclingChunks {
  let sent = false;
  const once = () => {
    if (sent) throw new Error('this storeInputFromFile() input was sent already: read the file again to send it again');
    sent = true;
  };
  async function* all(): AsyncGenerator<Uint8Array, void, undefined> {
    yield* chunks;
    if (rest) yield* rest; // reports its reads to options.onBytes
  }
  return {
    [Symbol.asyncIterator]: () => {
      once();
      return all();
    },
    recycle: recycleFileBuffer,
    // A file read whole is one chunk: sent like a buffer, without a generator step per fragment.
    takeWhole: () => {
      if (rest || chunks.length !== 1) return undefined;
      once();
      return chunks[0];
    },
  };
}
