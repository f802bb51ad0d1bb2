/**
 * A file's bytes from an offset to its end as a web ReadableStream, read from disk one chunk per
 * pull, so memory follows the consumer's pace. The file is opened on the first pull, not before:
 * a C-GET can queue thousands of these without holding thousands of descriptors.
 */
import { open, type FileHandle } from 'node:fs/promises';

/** Chunk size: large views mean few copies downstream. */
const STREAM_CHUNK = 1024 * 1024;

/** Streams `file` from `offset`; `onBytes` reports each chunk read (progress bars). */
export function fileStream(file: string, offset: number, onBytes?: (n: number) => void): ReadableStream<Uint8Array> {
  let handle: FileHandle | undefined;
  let position = offset;
  let end = Infinity;
  const closeHandle = async () => {
    const h = handle;
    handle = undefined;
    await h?.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!handle) {
          handle = await open(file, 'r');
          end = (await handle.stat()).size;
        }
        // Sized to what is left: a 64 KiB instance must not cost a zero-filled 1 MiB buffer per read.
        const size = Math.min(STREAM_CHUNK, end - position);
        if (size <= 0) {
          await closeHandle();
          controller.close();
          return;
        }
        // A fresh buffer each time: downstream keeps views of it until the PDUs are written.
        const chunk = new Uint8Array(size);
        const { bytesRead } = await handle.read(chunk, 0, size, position);
        if (bytesRead === 0) {
          // The file shrank since it was opened: end here, the data set is what was read.
          await closeHandle();
          controller.close();
          return;
        }
        position += bytesRead;
        onBytes?.(bytesRead);
        controller.enqueue(bytesRead === size ? chunk : chunk.subarray(0, bytesRead));
      },
      cancel: closeHandle,
    },
    { highWaterMark: 0 },
  );
}
