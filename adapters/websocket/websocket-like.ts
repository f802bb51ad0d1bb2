/**
 * The part of the WHATWG `WebSocket` interface this adapter uses. Browsers, Node ≥ 22's global
 * and the `ws` package's client class all fit it, so any of them can be injected.
 */

/** `WebSocket.readyState` values (WHATWG HTML §10.3). */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

/** The events we listen to, reduced to the fields we read. */
export interface WebSocketEventMap {
  open: unknown;
  /** `data` is an ArrayBuffer for binary messages (binaryType 'arraybuffer'), a string for text. */
  message: { readonly data: unknown };
  /** `message` is set by the `ws` package (e.g. "Unexpected server response: 403"), not by browsers. */
  error: { readonly message?: string; readonly error?: unknown };
  close: { readonly code: number; readonly reason: string; readonly wasClean: boolean };
}

/** A WebSocket instance as far as this adapter is concerned. */
export interface WebSocketLike {
  binaryType: string;
  readonly bufferedAmount: number;
  readonly readyState: number;
  readonly protocol: string;
  /** Extensions the server accepted (e.g. `permessage-deflate`); '' when none. */
  readonly extensions?: string;
  send(data: ArrayBufferView | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  addEventListener<K extends keyof WebSocketEventMap>(type: K, listener: (event: WebSocketEventMap[K]) => void): void;
  removeEventListener<K extends keyof WebSocketEventMap>(type: K, listener: (event: WebSocketEventMap[K]) => void): void;
}

/** A WebSocket class: `new WebSocket(url, protocols)`. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;
