/**
 * An open WebSocket for tests of the WebSocket transport without a network: the listener plumbing
 * of the WHATWG interface, and `emit` for the test (or a subclass) to play the peer. Subclasses
 * decide what `send` and `close` do.
 */
import { ReadyState, type WebSocketEventMap, type WebSocketLike } from '../../adapters/websocket/websocket-like';

export abstract class FakeWebSocket implements WebSocketLike {
  binaryType = 'arraybuffer';
  bufferedAmount = 0;
  readyState: number = ReadyState.OPEN;
  readonly protocol = 'binary';
  private readonly listeners = new Map<string, Set<(event: never) => void>>();

  abstract send(data: ArrayBufferView | ArrayBuffer): void;

  close(): void {
    this.readyState = ReadyState.CLOSED;
  }
  addEventListener<K extends keyof WebSocketEventMap>(type: K, listener: (event: WebSocketEventMap[K]) => void): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(listener as (event: never) => void);
  }
  removeEventListener<K extends keyof WebSocketEventMap>(type: K, listener: (event: WebSocketEventMap[K]) => void): void {
    this.listeners.get(type)?.delete(listener as (event: never) => void);
  }
  /** Dispatches `event` to the listeners of `type`, as the browser would. */
  emit<K extends keyof WebSocketEventMap>(type: K, event: WebSocketEventMap[K]): void {
    for (const l of [...(this.listeners.get(type) ?? [])]) (l as (e: WebSocketEventMap[K]) => void)(event);
  }
  /** The peer or the network ends the connection with `code`. */
  closeWith(code: number, reason = ''): void {
    this.readyState = ReadyState.CLOSED;
    this.emit('close', { code, reason, wasClean: code === 1000 });
  }
}

/** The bytes of a send() argument, copied (send() copies). */
export function sentBytes(data: ArrayBufferView | ArrayBuffer): Uint8Array {
  return (data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).slice();
}
