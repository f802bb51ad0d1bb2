/**
 * DICOM files on disk for storescu: learn a file's SOP class and transfer syntax from its File
 * Meta Information alone (or, for a data set without one, from its first elements), and stream
 * its data set from disk as it is sent.
 */
import { stat } from 'node:fs/promises';
import { PART10_PREFIX, readPart10Identity } from '../../src/dataset/meta';
import { withFile, type FileIoOptions } from '../node/sync-read';
import { walkFiles, type WalkOptions } from '../node/walk';
import { bareDatasetIdentity } from './bare-dataset';

/** What storescu needs to know about a file before sending it (a bare data set has no meta group: offset 0). */
export interface Part10Header {
  readonly path: string;
  /** File size in bytes. */
  readonly size: number;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  /** Where the data set starts (just past the meta group). */
  readonly datasetOffset: number;
}

/** First read: enough for any usual meta group; a larger one is retried with {@link MAX_META}. */
const FIRST_READ = 16 * 1024;
const MAX_META = 1024 * 1024;

/**
 * Reads only the start of `file` (preamble, "DICM", meta group) and returns its identity, or
 * throws with a reason when it is not a DICOM file. Without "DICM" at offset 128 the file is
 * read as a data set without File Meta Information, as DCMTK's storescu does by default (+f; see
 * bare-dataset.ts). Reads synchronously unless `options.io` is `'async'`
 * ({@link FileIoOptions.io}); the result is a promise either way.
 */
export async function readPart10Header(file: string, options: FileIoOptions = {}): Promise<Part10Header> {
  return withFile(file, options.io, async (f) => {
    const { size } = f;
    for (const want of [FIRST_READ, MAX_META]) {
      const length = Math.min(size, want);
      const bytes = new Uint8Array(length);
      const head = bytes.subarray(0, await f.read(bytes, 0));
      try {
        return { path: file, size, ...(hasPart10Prefix(head) ? readPart10Identity(head) : bareIdentity(head)) };
      } catch (error) {
        // An overrun means the meta group is longer than what we read: read more once.
        if (length === size || !/overruns/.test(String((error as Error).message))) throw error;
      }
    }
    throw new Error('File Meta Information larger than 1 MiB');
  });
}

/** Whether `head` has the 128-byte preamble and "DICM" of a Part 10 file. */
export function hasPart10Prefix(head: Uint8Array): boolean {
  return head.length >= 132 && PART10_PREFIX.every((b, i) => head[128 + i] === b);
}

function bareIdentity(head: Uint8Array) {
  try {
    return bareDatasetIdentity(head);
  } catch (error) {
    const reason = (error as Error).message;
    // An overrun keeps its word: the caller reads more.
    throw new Error(/overruns/.test(reason) ? reason : `no "DICM" prefix at offset 128, and not a data set either: ${reason}`);
  }
}

export { fileChunks, readAhead, type FileChunks } from '../node/file-stream';

/**
 * Expands paths into files: files as given, folders listed (recursively with `recursive`),
 * sorted for a stable order; hidden files (names starting with '.') in folders are left out.
 * Missing paths are reported through `warn` and skipped. Symbolic links in folders are followed
 * (a broken one is reported like a missing path; see {@link walkFiles}).
 */
export async function listFiles(paths: readonly string[], recursive: boolean, warn: (m: string) => void): Promise<string[]> {
  const out: string[] = [];
  const options: WalkOptions = {
    recursive,
    // Hidden files in a folder are not instances: an index (.netdicom-qr.sqlite), temporary files.
    skip: (name) => name.startsWith('.'),
    broken: (file) => warn(`no such file or directory: ${file}`),
  };
  for (const p of paths) {
    const info = await stat(p).catch(() => null);
    if (!info) warn(`no such file or directory: ${p}`);
    else if (info.isDirectory()) await walkFiles(p, options, out); // a folder given twice is still listed twice
    else out.push(p);
  }
  return out;
}
