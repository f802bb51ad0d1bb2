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
  const closeHandle = async () => {
    const h = handle;
    handle = undefined;
    await h?.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        handle ??= await open(file, 'r');
        // A fresh buffer each time: downstream keeps views of it until the PDUs are written.
        const chunk = new Uint8Array(STREAM_CHUNK);
        const { bytesRead } = await handle.read(chunk, 0, STREAM_CHUNK, position);
        if (bytesRead === 0) {
          await closeHandle();
          controller.close();
          return;
        }
        position += bytesRead;
        onBytes?.(bytesRead);
        controller.enqueue(chunk.subarray(0, bytesRead));
      },
      cancel: closeHandle,
    },
    { highWaterMark: 0 },
  );
}
