/**
 * Write back-pressure of the WebSocket transport (adapters/websocket/websocket-transport.ts): the
 * WebSocket API has no drain event, so a write waits, polling `bufferedAmount`, until at most
 * `writeHighWaterMark` bytes are queued. Driven by a scripted WebSocket whose queue the test sets.
 */
import { describe, expect, it } from 'vitest';
import { websocketTransport } from '../../adapters/websocket/websocket-transport';
import { FakeWebSocket } from '../helpers/fake-websocket';

const MiB = 1024 * 1024;

/** An open WebSocket that records what is sent and queues it until the test says it has left. */
class ScriptedWebSocket extends FakeWebSocket {
  readonly sent: number[] = [];

  send(data: ArrayBufferView | ArrayBuffer): void {
    this.sent.push(data.byteLength);
    this.bufferedAmount += data.byteLength;
  }
}

/** Settles within `ms`? (true: resolved, 'rejected', or false: still pending). */
async function settledWithin(p: Promise<unknown>, ms: number): Promise<true | 'rejected' | false> {
  let state: true | 'rejected' | false = false;
  p.then(
    () => (state = true),
    () => (state = 'rejected'),
  );
  await new Promise((r) => setTimeout(r, ms));
  return state;
}

describe('WebSocket transport write back-pressure', () => {
  it('sends a write as messages of at most 512 KiB and resolves at once while the queue is at most 4 MiB', async () => {
    const ws = new ScriptedWebSocket();
    const writer = websocketTransport(ws, 'ws://127.0.0.1/test').writable.getWriter();
    await writer.write(new Uint8Array(4 * MiB));
    expect(ws.sent.length).toBe(8);
    expect(Math.max(...ws.sent)).toBe(512 * 1024);
    expect(ws.bufferedAmount).toBe(4 * MiB);
  });

  it('waits while more than 4 MiB is queued, and goes on within a few ms of the queue falling to the mark', async () => {
    const ws = new ScriptedWebSocket();
    const writer = websocketTransport(ws, 'ws://127.0.0.1/test').writable.getWriter();
    const write = writer.write(new Uint8Array(4 * MiB + 1));
    expect(await settledWithin(write, 50)).toBe(false);
    ws.bufferedAmount = 4 * MiB + 1; // some left, not enough
    expect(await settledWithin(write, 30)).toBe(false);
    ws.bufferedAmount = 4 * MiB;
    const t0 = performance.now();
    await write;
    // Polled every 1 ms (timers may be late on a busy machine, but not by a 5 ms poll's worth many times over).
    expect(performance.now() - t0).toBeLessThan(40);
  });

  it('a write waiting on a full queue rejects when the connection drops', async () => {
    const ws = new ScriptedWebSocket();
    const writer = websocketTransport(ws, 'ws://127.0.0.1/test').writable.getWriter();
    const write = writer.write(new Uint8Array(5 * MiB));
    expect(await settledWithin(write, 20)).toBe(false);
    ws.closeWith(1006);
    expect(await settledWithin(write, 20)).toBe('rejected');
    await expect(write).rejects.toThrow(/closed.*1006/);
  });

  it('writeHighWaterMark and pollMs can be set', async () => {
    const ws = new ScriptedWebSocket();
    const writer = websocketTransport(ws, 'ws://127.0.0.1/test', { writeHighWaterMark: 1024, pollMs: 2 }).writable.getWriter();
    const write = writer.write(new Uint8Array(2048));
    expect(await settledWithin(write, 20)).toBe(false);
    ws.bufferedAmount = 1024;
    expect(await settledWithin(write, 30)).toBe(true);
  });
});
