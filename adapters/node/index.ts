/**
 * netdicom for Node.js: TCP and TLS transports for the core (entry `netdicom/node`).
 */
export { connectTcp, listenTcp, type TcpConnectOptions, type TcpListenOptions } from './tcp';
export { connectTls, listenTls, type TlsConnectOptions, type TlsListenOptions } from './tls';
export type { NodeListener } from './listener';
export type { DialOptions } from './connect';
export { socketTransport, type SocketTransportOptions } from './socket-transport';
export { setSocketReclaim, DEFAULT_RECLAIM_BYTES } from './reclaim';
export { storeInputFromFile, type StoreFileInput, type StoreFileOptions } from './store-file';
export { createFsStore, safeFileName, type FsStore, type FsStoreOptions, type StoredInfo } from './fs-store';
export { createQrScp, QrDatabase, qrHandlers, parseDestinations, loadDestinations, INDEX_FILE, type QrScp, type QrScpOptions, type QrLevel, type MoveDestinationEntry } from './qr';
