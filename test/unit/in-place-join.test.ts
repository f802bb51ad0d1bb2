/**
 * A received data set joined inside the buffer it arrived in (src/bytes/in-place.ts): only in a
 * buffer its transport gave up, only across framing, never when that could overwrite bytes
 * someone may still read; and end to end, a WebSocket peer's `bytes({ shared: true })` is a view
 * of the message the data set came in, byte-identical to what was sent, while plain `bytes()`
 * still gives a buffer of its own.
 */
import { describe, expect, it } from 'vitest';
import { websocketTransport } from '../../adapters/websocket/websocket-transport';
import { ReadyState } from '../../adapters/websocket/websocket-like';
import { ApplicationEntity } from '../../src/ae';
import type { StoreRequest } from '../../src/scp/types';
import { giveUpReadBuffer, joinInPlace } from '../../src/bytes/in-place';
import { encodeDataset } from '../../src/dataset/codec';
import { concatChunks } from '../../src/dimse/dataset-source';
import { pattern, sha256 } from '../helpers/bytes';
import { FakeWebSocket, sentBytes } from '../helpers/fake-websocket';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';

/** A buffer holding fragments `sizes` with `gaps` framing bytes (0xEE) before each but the first; the fragments' bytes count up. */
function framed(sizes: number[], gaps: number[]): { buffer: ArrayBuffer; chunks: Uint8Array[]; expected: Uint8Array } {
  const total = sizes.reduce((a, b) => a + b, 0);
  const buffer = new ArrayBuffer(8 + total + gaps.reduce((a, b) => a + b, 0) + 8);
  new Uint8Array(buffer).fill(0xee);
  const chunks: Uint8Array[] = [];
  let at = 8;
  let n = 0;
  sizes.forEach((size, i) => {
    if (i > 0) at += gaps[i - 1]!;
    const chunk = new Uint8Array(buffer, at, size);
    for (let k = 0; k < size; k++) chunk[k] = n++ & 0xff;
    chunks.push(chunk);
    at += size;
  });
  const expected = new Uint8Array(total).map((_, k) => k & 0xff);
  return { buffer, chunks, expected };
}

describe('joinInPlace', () => {
  it('joins fragments 6 and 12 bytes apart inside their given-up buffer, as a view of it', () => {
    const { buffer, chunks, expected } = framed([100, 200, 50, 7], [12, 6, 12]);
    giveUpReadBuffer(buffer);
    const joined = joinInPlace(chunks)!;
    expect(joined.buffer).toBe(buffer);
    expect(joined.byteOffset).toBe(8);
    expect(joined).toEqual(expected);
    // Past the last fragment nothing moved: a following PDU is intact.
    expect(new Uint8Array(buffer, 8 + 357 + 30, 8)).toEqual(new Uint8Array(8).fill(0xee));
  });

  it('joins adjacent fragments (nothing to move)', () => {
    const { buffer, chunks, expected } = framed([10, 10], [0]);
    giveUpReadBuffer(buffer);
    expect(joinInPlace(chunks)).toEqual(expected);
  });

  it('leaves a buffer its transport did not give up alone', () => {
    const { buffer, chunks } = framed([100, 200], [12]);
    const before = new Uint8Array(buffer).slice();
    expect(joinInPlace(chunks)).toBeUndefined();
    expect(new Uint8Array(buffer)).toEqual(before);
  });

  it('gives up, untouched, when the fragments are more than framing apart, out of order, overlapping or in two buffers', () => {
    const far = framed([100, 200], [13]);
    const reversed = framed([100, 200], [12]);
    const overlapping = framed([100, 200], [12]);
    const other = framed([100], []);
    for (const f of [far, reversed, overlapping, other]) giveUpReadBuffer(f.buffer);
    const cases: [ArrayBuffer, Uint8Array[]][] = [
      [far.buffer, far.chunks],
      [reversed.buffer, [reversed.chunks[1]!, reversed.chunks[0]!]],
      [overlapping.buffer, [overlapping.chunks[0]!, new Uint8Array(overlapping.buffer, 50, 100)]],
      [other.buffer, [reversed.chunks[0]!, other.chunks[0]!]],
    ];
    for (const [buffer, chunks] of cases) {
      const before = new Uint8Array(buffer).slice();
      expect(joinInPlace(chunks)).toBeUndefined();
      expect(new Uint8Array(buffer)).toEqual(before);
    }
  });
});

/**
 * Two WebSockets joined back to back as a browser and a proxy would be: what one side sends
 * within a turn of the event loop reaches the other as one message, a fresh ArrayBuffer (the
 * proxy joins what TCP gives it in one turn). Every delivered buffer is kept, to be recognised.
 */
class LinkedWebSocket extends FakeWebSocket {
  peer!: LinkedWebSocket;
  readonly delivered = new Set<ArrayBuffer>();
  private pending: Uint8Array[] = [];

  static pair(): [LinkedWebSocket, LinkedWebSocket] {
    const a = new LinkedWebSocket();
    const b = new LinkedWebSocket();
    a.peer = b;
    b.peer = a;
    return [a, b];
  }
  send(data: ArrayBufferView | ArrayBuffer): void {
    if (this.pending.length === 0) setImmediate(() => this.flush());
    this.pending.push(sentBytes(data));
  }
  private flush(): void {
    // Every pending send is a copy of its own, so the message's buffer is nobody else's.
    const buffer = concatChunks(this.pending.splice(0)).buffer as ArrayBuffer;
    if (this.peer.readyState !== ReadyState.OPEN) return;
    this.peer.delivered.add(buffer);
    this.peer.emit('message', { data: buffer });
  }
  override close(code = 1000, reason = ''): void {
    if (this.readyState === ReadyState.CLOSED) return;
    this.readyState = ReadyState.CLOSED;
    setImmediate(() => {
      this.emit('close', { code, reason, wasClean: true });
      this.peer.close(code, reason);
    });
  }
}

/** One C-STORE of `data` at 4 KiB PDUs between two linked WebSocket transports; what `take` made of the SCP's request. */
async function storeOverWebSocket<T>(data: Uint8Array, take: (request: StoreRequest) => Promise<T>): Promise<{ received: T; delivered: Set<ArrayBuffer> }> {
  const [scuSocket, scpSocket] = LinkedWebSocket.pair();
  let received: T | undefined;
  const scp = new ApplicationEntity({ aeTitle: 'SCP', maxPduLength: 4096 }).addSupportedContext(CT, [EXPLICIT]);
  const served = scp.handle(websocketTransport(scpSocket, 'ws://127.0.0.1/scp'), {
    cStore: async (request) => {
      received = await take(request);
      return 0;
    },
  });
  const scu = new ApplicationEntity({ aeTitle: 'SCU', maxPduLength: 4096 }).addRequestedContext(CT, [EXPLICIT]);
  const association = await scu.associate(websocketTransport(scuSocket, 'ws://127.0.0.1/scu'), { calledAeTitle: 'SCP' });
  const response = await association.cStore({ sopClassUid: CT, sopInstanceUid: '1.2.3.4', transferSyntaxUid: EXPLICIT, data });
  await association.release();
  await served;
  expect(response.status).toBe(0);
  return { received: received as T, delivered: scpSocket.delivered };
}

describe('a data set received over a WebSocket', () => {
  const data = pattern(40_000, 7); // ten PDUs of 4 KiB

  it('bytes({ shared: true }) at 4 KiB PDUs: the data set joined inside the message it came in', async () => {
    const { received, delivered } = await storeOverWebSocket(data, (request) => request.bytes({ shared: true }));
    expect(sha256(received)).toBe(sha256(data));
    // Joined where it arrived: a view of one of the messages, no new memory.
    expect(delivered.has(received.buffer as ArrayBuffer)).toBe(true);
    expect(received.buffer.byteLength).toBeGreaterThan(data.byteLength);
  });

  it('bytes() without the option: a buffer of its own, as before', async () => {
    const { received, delivered } = await storeOverWebSocket(data, (request) => request.bytes());
    expect(sha256(received)).toBe(sha256(data));
    expect(delivered.has(received.buffer as ArrayBuffer)).toBe(false);
    expect(received.buffer.byteLength).toBe(data.byteLength);
  });

  it('dataset() decodes a data set joined in place, values copied out', async () => {
    const pixels = pattern(30_000, 3);
    const sent = { PatientName: 'IN^PLACE', SOPInstanceUID: '1.2.3.4', Rows: 100, Columns: 150, BitsAllocated: 16, PixelData: [pixels.buffer] };
    const { received } = await storeOverWebSocket(encodeDataset(sent, EXPLICIT), (request) => request.dataset());
    expect(received.PatientName).toEqual([{ Alphabetic: 'IN^PLACE' }]);
    expect(received.Rows).toBe(100);
    const value = (received.PixelData as ArrayBuffer[])[0]!;
    expect(new Uint8Array(value)).toEqual(pixels);
    // A value of its own, not a view of the message it came in.
    expect(value.byteLength).toBe(pixels.byteLength);
  });
});
