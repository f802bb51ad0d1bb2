/**
 * Positional reads of a file on disk, synchronous by default: open, fstat, read and close as
 * plain calls on the event loop, or through fs/promises when asked. Shared by the file stream
 * that sends a data set and the readers of Part 10 headers.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** How a file is read: see {@link FileIoOptions.io}. */
export type FileIo = 'sync' | 'async';

/** How files are read from disk. */
export interface FileIoOptions {
  /**
   * `'sync'` (the default): open, fstat, read and close are synchronous calls on the event loop.
   * On a local file in the page cache each costs a few µs, a read also the copy of its bytes (at
   * most 1 MiB per call), where every fs/promises call costs a thread-pool hop and a promise
   * (~60–100 µs measured): for small instances those hops, not the bytes, bound how many files
   * per second are sent. The price: while the kernel waits for a cold disk or a network file
   * system, the whole process waits, every association with it.
   *
   * `'async'`: every call goes through fs/promises on libuv's thread pool, so a slow disk or a
   * network file system (NFS, SMB) never blocks the event loop; choose it for those.
   */
  readonly io?: FileIo;
}

/** An open file: its size and modification time at open, positional reads, and close. */
export interface OpenFile {
  readonly size: number;
  readonly mtimeMs: number;
  /** Reads up to `into.byteLength` bytes at `position`; resolves with how many (0 at the end). */
  read(into: Uint8Array, position: number): Promise<number>;
  /** Closes the file; later calls do nothing. */
  close(): Promise<void>;
}

/** Opens `file` for reading and learns its size; rejects as fs.open does when it cannot. */
export async function openFile(file: string, io: FileIo = 'sync'): Promise<OpenFile> {
  if (io === 'async') {
    const handle = await open(file, 'r');
    let stats;
    try {
      stats = await handle.stat();
    } catch (error) {
      await handle.close();
      throw error;
    }
    let closed = false;
    return {
      size: stats.size,
      mtimeMs: stats.mtimeMs,
      read: async (into, position) => (await handle.read(into, 0, into.byteLength, position)).bytesRead,
      close: async () => {
        if (closed) return;
        closed = true;
        await handle.close();
      },
    };
  }
  let fd = openSync(file, 'r');
  let stats;
  try {
    stats = fstatSync(fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return {
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    read: async (into, position) => readSync(fd, into, 0, into.byteLength, position),
    close: async () => {
      if (fd < 0) return;
      const f = fd;
      fd = -1;
      closeSync(f);
    },
  };
}

/** Opens `file`, hands it to `use` and closes it however `use` ends. */
export async function withFile<T>(file: string, io: FileIo | undefined, use: (f: OpenFile) => Promise<T>): Promise<T> {
  const f = await openFile(file, io);
  try {
    return await use(f);
  } finally {
    await f.close();
  }
}
