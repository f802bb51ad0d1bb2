/**
 * What `netdicom/node` resolves to outside Node.js (the `default` export condition).
 * The TCP/TLS adapters need `node:net`/`node:tls`; in a browser use the memory or
 * WebSocket transports from `netdicom` instead.
 */
throw new Error('netdicom/node needs Node.js (it uses node:net and node:tls); in the browser use the WebSocket or memory transport from "netdicom"');

export {};
