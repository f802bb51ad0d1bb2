/**
 * The WebSocket transport's fast path (Transport.direct, adapters/websocket): writes glued into
 * full messages in one reused buffer, input held in order until a sink is attached or while it is
 * paused, the end after everything before it, a failure dropping what was not delivered.
 */
import { describe, expect, it } from 'vitest';
import { websocketTransport } from '../../adapters/websocket/websocket-transport';
import { ReadyState } from '../../adapters/websocket/websocket-like';
import { concatChunks } from '../../src/dimse/dataset-source';
import type { ByteSink } from '../../src/transport';
import { pattern } from '../helpers/bytes';
import { FakeWebSocket, sentBytes } from '../helpers/fake-websocket';

/** An open WebSocket the test drives: it keeps a copy of each message sent, and delivers what the test says. */
class DrivenWebSocket extends FakeWebSocket {
  readonly sent: Uint8Array[] = [];

  send(data: ArrayBufferView | ArrayBuffer): void {
    this.sent.push(sentBytes(data));
  }
  /** The peer sends one binary message. */
  deliver(bytes: number[]): void {
    this.emit('message', { data: new Uint8Array(bytes).buffer });
  }
}

/** A sink that writes down what it gets. */
function recorder(): ByteSink & { log: string[] } {
  const log: string[] = [];
  return { log, data: (c) => log.push(`data ${[...c].join(',')}`), end: () => log.push('end'), error: (e) => log.push(`error ${(e as Error).message}`) };
}


describe('WebSocket transport fast path: writes', () => {
  it('glues headers and data views into full messages, the rest in one last message, bytes in order', () => {
    const ws = new DrivenWebSocket();
    const { direct } = websocketTransport(ws, 'ws://127.0.0.1/test', { maxMessageBytes: 1000 });
    const parts = [pattern(12, 1), pattern(2500, 2), pattern(12, 3), pattern(700, 4)];
    direct!.write(parts);
    expect(ws.sent.map((m) => m.byteLength)).toEqual([1000, 1000, 1000, 224]);
    expect(concatChunks(ws.sent)).toEqual(concatChunks(parts));
    // The glue buffer is reused: a second run is sent as its own messages, the first unchanged.
    direct!.write([pattern(10, 5)]);
    expect(ws.sent.at(-1)).toEqual(pattern(10, 5));
    expect(concatChunks(ws.sent.slice(0, 4))).toEqual(concatChunks(parts));
  });

  it('reuses one glue buffer where send() copies (browsers), and gives each message its own where an extension is negotiated', () => {
    const buffersSent = (extensions: string) => {
      const ws = Object.assign(new DrivenWebSocket(), { extensions });
      const buffers: ArrayBufferLike[] = [];
      const send = ws.send.bind(ws);
      ws.send = (data) => (buffers.push((data as Uint8Array).buffer), send(data));
      const { direct } = websocketTransport(ws, 'ws://127.0.0.1/test', { maxMessageBytes: 1000 });
      direct!.write([pattern(2500, 1)]);
      direct!.write([pattern(10, 2)]);
      expect(ws.sent.map((m) => m.byteLength)).toEqual([1000, 1000, 500, 10]);
      expect(concatChunks(ws.sent)).toEqual(concatChunks([pattern(2500, 1), pattern(10, 2)]));
      return new Set(buffers).size;
    };
    expect(buffersSent('')).toBe(1);
    expect(buffersSent('permessage-deflate')).toBe(4);
  });

  it('keeps none of the caller\u2019s chunks (flushed) and waits only above the high-water mark (drained)', async () => {
    const ws = new DrivenWebSocket();
    const { direct } = websocketTransport(ws, 'ws://127.0.0.1/test', { writeHighWaterMark: 100, pollMs: 1 });
    direct!.write([pattern(50)]);
    expect(direct!.flushed?.()).toBeUndefined();
    expect(direct!.drained()).toBeUndefined();
    ws.bufferedAmount = 500;
    const waiting = direct!.drained();
    expect(waiting).toBeInstanceOf(Promise);
    ws.bufferedAmount = 0;
    await waiting;
  });

  it('a write after the peer closed goes to the sink as a failure, not an exception', () => {
    const ws = new DrivenWebSocket();
    const { direct } = websocketTransport(ws, 'ws://127.0.0.1/test');
    const sink = recorder();
    direct!.receive(sink);
    ws.readyState = ReadyState.CLOSED;
    expect(() => direct!.write([pattern(10)])).not.toThrow();
    expect(sink.log).toEqual([expect.stringMatching(/^error WebSocket to .* is closed/)]);
  });
});

/** A transport whose sink is attached, then paused, then given message [1]. */
function pausedSink() {
  const ws = new DrivenWebSocket();
  const { direct } = websocketTransport(ws, 'ws://127.0.0.1/test');
  const sink = recorder();
  direct!.receive(sink);
  direct!.pause();
  ws.deliver([1]);
  return { ws, direct: direct!, sink };
}

describe('WebSocket transport fast path: input', () => {
  it('what came before the sink was attached is delivered first, in order', () => {
    const ws = new DrivenWebSocket();
    const { direct } = websocketTransport(ws, 'ws://127.0.0.1/test');
    ws.deliver([1]);
    ws.deliver([2]);
    const sink = recorder();
    direct!.receive(sink);
    ws.deliver([3]);
    expect(sink.log).toEqual(['data 1', 'data 2', 'data 3']);
  });

  it('pause holds messages and the end until resume, which delivers them in order', () => {
    const { ws, direct, sink } = pausedSink();
    ws.deliver([2]);
    ws.closeWith(1000);
    expect(sink.log).toEqual([]);
    direct.resume();
    expect(sink.log).toEqual(['data 1', 'data 2', 'end']);
  });

  it('a sink that pauses while being fed gets the rest on the next resume', () => {
    const ws = new DrivenWebSocket();
    const { direct } = websocketTransport(ws, 'ws://127.0.0.1/test');
    const log: string[] = [];
    direct!.pause();
    ws.deliver([1]);
    ws.deliver([2]);
    direct!.receive({ data: (c) => (log.push(`data ${c[0]}`), direct!.pause()), end: () => log.push('end'), error: () => log.push('error') });
    expect(log).toEqual(['data 1']);
    direct!.resume();
    expect(log).toEqual(['data 1', 'data 2']);
  });

  it('a failure drops what was held and reaches the sink at once', () => {
    const { ws, direct, sink } = pausedSink();
    ws.deliver([2]);
    ws.closeWith(1011);
    expect(sink.log).toEqual([expect.stringMatching(/^error .*code 1011/)]);
    ws.deliver([3]);
    direct.resume();
    expect(sink.log.length).toBe(1);
  });

  it('the streams still work for a consumer that takes the readable instead', async () => {
    const ws = new DrivenWebSocket();
    const transport = websocketTransport(ws, 'ws://127.0.0.1/test');
    ws.deliver([1, 2]);
    const reader = transport.readable.getReader();
    ws.deliver([3]);
    ws.closeWith(1000);
    const got: number[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) got.push(...r.value);
    expect(got).toEqual([1, 2, 3]);
  });
});
