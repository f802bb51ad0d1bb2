/**
 * C-GET/C-MOVE read-ahead (src/scp/prefetch.ts): the next instance's stream starts reading while
 * the current sub-operation waits, yields the same bytes, and is released when the operation ends.
 */
import { describe, expect, it } from 'vitest';
import { iterate } from '../../src/dimse/dataset-source';
import { readAhead } from '../../src/scp/prefetch';
import type { StoreInput } from '../../src/scu/store';

function source(chunks: number[][]) {
  const log: string[] = [];
  let i = 0;
  const data = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        log.push(`pull ${i}`);
        if (i < chunks.length) controller.enqueue(Uint8Array.from(chunks[i++]!));
        else controller.close();
      },
      cancel: () => void log.push('cancel'),
    },
    { highWaterMark: 0 },
  );
  const instance: StoreInput = { sopClassUid: '1.2', sopInstanceUid: '1.2.3', transferSyntaxUid: '1.2.840.10008.1.2.1', data };
  return { instance, log };
}

describe('sub-operation read-ahead', () => {
  it('requests the first chunk at once and then yields every byte in order', async () => {
    const { instance, log } = source([[1, 2], [3], [4, 5, 6]]);
    const ahead = readAhead(instance);
    await new Promise((r) => setTimeout(r, 0));
    expect(log, 'one chunk read ahead, no more').toEqual(['pull 0']);
    const got: number[] = [];
    for await (const chunk of iterate((ahead as { data: AsyncIterable<Uint8Array> }).data)) got.push(...chunk);
    expect(got).toEqual([1, 2, 3, 4, 5, 6]);
    expect(log).not.toContain('cancel');
  });

  it('releases the source when cancelled before it was read (the operation ended)', async () => {
    const { instance, log } = source([[1], [2]]);
    const ahead = readAhead(instance) as { data: { cancel(): Promise<void> } };
    await ahead.data.cancel();
    expect(log).toContain('cancel');
  });

  it('releases the source when the reader stops early', async () => {
    const { instance, log } = source([[1], [2], [3]]);
    const ahead = readAhead(instance) as { data: AsyncIterable<Uint8Array> };
    for await (const _ of ahead.data) break;
    expect(log).toContain('cancel');
  });

  it('asks a source that reads ahead by itself (Prefetchable) instead of wrapping it', () => {
    let asked = 0;
    const data = { prefetch: () => void asked++, async *[Symbol.asyncIterator]() {} };
    const instance = { sopClassUid: '1.2', sopInstanceUid: '1.2.3', transferSyntaxUid: '1.2.840.10008.1.2.1', data } as StoreInput;
    expect(readAhead(instance)).toBe(instance);
    expect(asked).toBe(1);
  });

  it('leaves buffers, Part 10 files and data sets alone', () => {
    const buffer: StoreInput = { sopClassUid: '1.2', sopInstanceUid: '1.2.3', transferSyntaxUid: '1.2.840.10008.1.2.1', data: new Uint8Array(4) };
    const part10: StoreInput = { part10: new Uint8Array(4) };
    expect(readAhead(buffer)).toBe(buffer);
    expect(readAhead(part10)).toBe(part10);
  });
});
