/**
 * netdicom over WebSockets (entry `netdicom/websocket`, also in the browser bundle): a client
 * transport that reaches a DICOM peer through a WebSocket-to-TCP proxy. Web platform only.
 */
export { connectWebSocket, type WebSocketConnectOptions } from './connect';
export { websocketTransport, describeClose, ABORT_CLOSE_CODE, type WebSocketTransportOptions } from './websocket-transport';
export { ReadyState, type WebSocketConstructor, type WebSocketLike, type WebSocketEventMap } from './websocket-like';
