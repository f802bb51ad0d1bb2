/**
 * A DICOM Part 10 file on disk as the input of a C-STORE: what `association.cStore()` needs,
 * read with as few system calls and copies as the file allows.
 */
import { readPart10Identity } from '../../src/dataset/meta';
import type { DatasetBytes } from '../../src/dimse/dataset-source';
import { fileChunks, freshBytes, type FileChunks } from './file-stream';
import { withFile, type FileIoOptions } from './sync-read';

/** A file's identity from its File Meta Information and its data set, ready for `cStore()`. */
export interface StoreFileInput {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  /** The data set: in memory when the file fits in one read, else read from disk as it is sent (an async iterable). */
  readonly data: DatasetBytes;
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
    const buffer = freshBytes(Math.min(f.size, whole));
    return { head: buffer.subarray(0, await f.read(buffer, 0)), size: f.size };
  });
  const { datasetOffset, ...uids } = readPart10Identity(head); // by hand: no data set codec (dcmjs) needed
  const identity = { ...uids, size };
  const dataset = head.subarray(datasetOffset);
  options.onBytes?.(dataset.byteLength);
  if (head.byteLength >= size) return { ...identity, data: dataset };
  // Larger than one read (or a short read): what was read goes first, the rest from where it stopped.
  return { ...identity, data: thenRest(dataset, path, head.byteLength, options) };
}

/**
 * `first`, then the file from `position` (opened at that point; closed at its end or on
 * `return()`); the file's chunks can be recycled ({@link fileChunks}), `first` is just dropped.
 */
function thenRest(first: Uint8Array, path: string, position: number, options: StoreFileOptions): FileChunks {
  const rest = fileChunks(path, position, options);
  async function* all(): AsyncGenerator<Uint8Array, void, undefined> {
    if (first.byteLength > 0) yield first;
    yield* rest; // reports its reads to options.onBytes
  }
  return Object.assign(all(), { recycle: (chunk: Uint8Array) => rest.recycle(chunk) });
}
