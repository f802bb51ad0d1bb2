/**
 * `cStore(input, { allowConversion: true })` with `data` given as a stream (a ReadableStream or
 * an async iterable) in an uncompressed syntax the peer did not accept: the stream is read whole,
 * up to the association's maxDatasetLength (past it: DimseError 'DATASET_TOO_LARGE', the stream
 * cancelled), then converted like a buffer. In its own accepted syntax a stream is still sent as
 * it is read (not held, so not limited); deflated data is never converted. Over memory pairs.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import { decodeDataset } from '../../src/dataset/codec';
import type { DatasetBytes } from '../../src/dimse/dataset-source';
import { DimseError, NegotiationError } from '../../src/errors';
import type { StoreRequest } from '../../src/scp/types';
import { isConvertibleSyntax, type StoreInput } from '../../src/scu/store';
import { CT_IMAGE_STORAGE as CT, ctDataset, EXPLICIT_LE, IMPLICIT_LE } from '../helpers/ct-instance';

const EXPLICIT_BE = '1.2.840.10008.1.2.2';
const DEFLATED = '1.2.840.10008.1.2.1.99';
/** Small enough that the 64x64 test image (8 KiB of pixels) is over it, large enough for a 16x16 one. */
const LIMIT = 4096;

/**
 * An SCU (maxDatasetLength {@link LIMIT}) proposing CT Image Storage in the three uncompressed
 * syntaxes and deflated, and an SCP accepting it in `accepted` only; `received` lists each C-STORE.
 */
async function pair(accepted: string[]) {
  const received: { uid: string; ts: string; bytes: Uint8Array }[] = [];
  const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(CT, accepted);
  const scu = new ApplicationEntity({ aeTitle: 'SCU', maxDatasetLength: LIMIT }).addRequestedContext(CT, [EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE, DEFLATED]);
  const [a, b] = createMemoryPair();
  const cStore = async (rq: StoreRequest) => {
    received.push({ uid: rq.sopInstanceUid, ts: rq.transferSyntax, bytes: await rq.bytes() });
    return 0;
  };
  void scp.handle(b, { cStore });
  const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
  return { assoc, received };
}

/** `bytes` as a ReadableStream of `size`-byte chunks, pulled one by one; what was pulled and whether it was cancelled, and why. */
function chunkedStream(bytes: Uint8Array, size: number) {
  const state = { pulled: 0, cancelled: false, reason: undefined as unknown };
  const pull = (c: ReadableStreamDefaultController<Uint8Array>) => {
    if (state.pulled >= bytes.byteLength) return c.close();
    c.enqueue(bytes.slice(state.pulled, state.pulled + size));
    state.pulled += size;
  };
  const cancel = (reason: unknown) => {
    state.cancelled = true;
    state.reason = reason;
  };
  const stream = new ReadableStream<Uint8Array>({ pull, cancel }, { highWaterMark: 0 });
  return { stream, state };
}

/** `bytes` as an async generator of `size`-byte chunks; what it yielded and whether its finally ran. */
function chunkedIterable(bytes: Uint8Array, size: number) {
  const state = { yielded: 0, closed: false };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      for (let o = 0; o < bytes.byteLength; o += size) {
        state.yielded += size;
        yield bytes.slice(o, o + size);
      }
    } finally {
      state.closed = true;
    }
  }
  return { iterable: chunks(), state };
}

/** A CT instance given as already-encoded `data`. */
const input = (uid: string, ts: string, data: DatasetBytes): StoreInput => ({
  sopClassUid: CT,
  sopInstanceUid: uid,
  transferSyntaxUid: ts,
  data,
});

describe('allowConversion of a data set given as a stream', () => {
  it('a ReadableStream and an async iterable in Explicit VR LE, and a stream in Explicit VR BE, reach an Implicit-VR-only SCP converted, losslessly', async () => {
    const { assoc, received } = await pair([IMPLICIT_LE]);
    const le = ctDataset({ sopInstanceUid: '1.2.20.1', transferSyntaxUid: EXPLICIT_LE });
    const be = ctDataset({ sopInstanceUid: '1.2.20.3', transferSyntaxUid: EXPLICIT_BE });
    const asStream = chunkedStream(le, 100);
    const asIterable = chunkedIterable(ctDataset({ sopInstanceUid: '1.2.20.2', transferSyntaxUid: EXPLICIT_LE }), 77);
    const beStream = chunkedStream(be, 64);
    expect((await assoc.cStore(input('1.2.20.1', EXPLICIT_LE, asStream.stream), { allowConversion: true })).status).toBe(0);
    expect((await assoc.cStore(input('1.2.20.2', EXPLICIT_LE, asIterable.iterable), { allowConversion: true })).status).toBe(0);
    expect((await assoc.cStore(input('1.2.20.3', EXPLICIT_BE, beStream.stream), { allowConversion: true })).status).toBe(0);
    expect(received.map((r) => [r.uid, r.ts])).toEqual([1, 2, 3].map((n) => [`1.2.20.${n}`, IMPLICIT_LE]));
    const original = decodeDataset(le, EXPLICIT_LE);
    expect(decodeDataset(received[0]!.bytes, IMPLICIT_LE)).toEqual(original);
    expect(decodeDataset(received[1]!.bytes, IMPLICIT_LE)).toEqual({ ...original, SOPInstanceUID: '1.2.20.2' });
    expect(decodeDataset(received[2]!.bytes, IMPLICIT_LE)).toEqual({ ...original, SOPInstanceUID: '1.2.20.3' });
    // Read to their ends, not cancelled.
    expect([asStream.state.cancelled, beStream.state.cancelled, asIterable.state.closed]).toEqual([false, false, true]);
    await assoc.release();
  });

  it('a stream over maxDatasetLength fails with DimseError DATASET_TOO_LARGE and is cancelled, read no further; nothing is sent, the association goes on', async () => {
    const { assoc, received } = await pair([IMPLICIT_LE]);
    const large = ctDataset({ sopInstanceUid: '1.2.21.1', rows: 64, columns: 64 });
    expect(large.byteLength).toBeGreaterThan(2 * LIMIT);
    const { stream, state } = chunkedStream(large, 1000);
    const error = await assoc.cStore(input('1.2.21.1', EXPLICIT_LE, stream), { allowConversion: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DimseError);
    expect(error).toMatchObject({ code: 'DATASET_TOO_LARGE' });
    expect((error as Error).message).toContain(`${LIMIT} bytes`);
    expect(state.cancelled).toBe(true);
    expect(state.reason).toBe(error);
    expect(state.pulled).toBe(5000); // stopped at the first chunk past the limit
    // The same as an async iterable: its return() runs its finally.
    const it = chunkedIterable(large, 1000);
    await expect(assoc.cStore(input('1.2.21.2', EXPLICIT_LE, it.iterable), { allowConversion: true })).rejects.toMatchObject({ name: 'DimseError', code: 'DATASET_TOO_LARGE' });
    expect([it.state.closed, it.state.yielded]).toEqual([true, 5000]);
    // Nothing went out; the association is still usable.
    expect(received).toEqual([]);
    expect((await assoc.cStore(input('1.2.21.3', EXPLICIT_LE, chunkedStream(ctDataset({ sopInstanceUid: '1.2.21.3' }), 500).stream), { allowConversion: true })).status).toBe(0);
    expect(received.map((r) => [r.uid, r.ts])).toEqual([['1.2.21.3', IMPLICIT_LE]]);
    await assoc.release();
  });

  it('without allowConversion a stream still fails with a NegotiationError, unread', async () => {
    const { assoc, received } = await pair([IMPLICIT_LE]);
    const { stream, state } = chunkedStream(ctDataset({ sopInstanceUid: '1.2.22.1' }), 100);
    await expect(assoc.cStore(input('1.2.22.1', EXPLICIT_LE, stream))).rejects.toBeInstanceOf(NegotiationError);
    expect([stream.locked, state.pulled, state.cancelled]).toEqual([false, 0, false]);
    const it = chunkedIterable(ctDataset({ sopInstanceUid: '1.2.22.2' }), 100);
    await expect(assoc.cStore(input('1.2.22.2', EXPLICIT_LE, it.iterable))).rejects.toBeInstanceOf(NegotiationError);
    expect(it.state.yielded).toBe(0);
    expect(received).toEqual([]);
    await assoc.release();
  });

  it('deflated data is never converted: a NegotiationError, the stream unread', async () => {
    const { assoc } = await pair([IMPLICIT_LE]);
    const { stream, state } = chunkedStream(new Uint8Array(100), 10);
    await expect(assoc.cStore(input('1.2.23.1', DEFLATED, stream), { allowConversion: true })).rejects.toBeInstanceOf(NegotiationError);
    expect([stream.locked, state.pulled]).toEqual([false, 0]);
    await assoc.release();
  });

  it('isConvertibleSyntax names the syntaxes allowConversion converts between: the three uncompressed ones, not deflated nor compressed', () => {
    expect([IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE].map(isConvertibleSyntax)).toEqual([true, true, true]);
    expect([DEFLATED, '1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.1.98', ''].map(isConvertibleSyntax)).toEqual([false, false, false, false]);
  });

  it('in its own accepted syntax a stream goes as it is read: not held, so not limited by maxDatasetLength', async () => {
    const { assoc, received } = await pair([EXPLICIT_LE, IMPLICIT_LE]);
    const large = ctDataset({ sopInstanceUid: '1.2.24.1', rows: 64, columns: 64 });
    const { stream } = chunkedStream(large, 1000);
    expect((await assoc.cStore(input('1.2.24.1', EXPLICIT_LE, stream), { allowConversion: true })).status).toBe(0);
    expect(received.map((r) => [r.uid, r.ts])).toEqual([['1.2.24.1', EXPLICIT_LE]]);
    expect(received[0]!.bytes).toEqual(large);
    await assoc.release();
  });
});
