/**
 * releaseLentBytes with nothing lent: chatty traffic (every read small, so copied) hands back
 * views that were never lent, and the release must not look them up (`.buffer` is a call into
 * V8's C++ per view). Isolated: the count of leases out is process-wide.
 */
import { describe, expect, it, vi } from 'vitest';
import { LENT_BUFFER_BYTES, LentReads, lentReadStats, releaseLentBytes } from '../../adapters/node/lent-reads';

/** A view whose `.buffer` is watched. */
function watched(bytes: Uint8Array): { view: Uint8Array; reads: () => number } {
  const read = vi.fn(() => bytes.buffer);
  const view = bytes.subarray(0);
  Object.defineProperty(view, 'buffer', { get: read });
  return { view, reads: () => read.mock.calls.length };
}

/** A read of `bytes` bytes through a socket's lent buffers: the chunk the core gets. */
function lentRead(bytes: number): Uint8Array {
  const reads = new LentReads();
  let chunk!: Uint8Array;
  reads.attach((c) => (chunk = c));
  const buffer = reads.onread.buffer as () => Uint8Array;
  (reads.onread.callback as (n: number, b: Uint8Array) => boolean)(bytes, buffer());
  return chunk;
}

describe('releaseLentBytes', () => {
  it('does not look up views while no lease is out, and does again while one is', () => {
    expect(lentReadStats.out).toBe(0);
    const small = lentRead(100); // copied out: no lease
    expect(lentReadStats.out).toBe(0);
    const idle = watched(small);
    releaseLentBytes(idle.view);
    expect(idle.reads()).toBe(0);

    const large = lentRead(LENT_BUFFER_BYTES); // lent
    expect(lentReadStats.out).toBe(1);
    const busy = watched(small);
    releaseLentBytes(busy.view);
    expect(busy.reads()).toBeGreaterThan(0);

    releaseLentBytes(large); // every byte back: the lease ends
    expect(lentReadStats.out).toBe(0);
    const after = watched(small);
    releaseLentBytes(after.view);
    expect(after.reads()).toBe(0);
  });
});
