/**
 * netdicom for Node.js: TCP and TLS transports for the core (entry `netdicom/node`).
 */
import { loadDcmjsOnFirstUse } from './dcmjs-loader';

// The Q/R SCP decodes Part 10 files and worklist items synchronously, also for an application
// that imports only this entry.
loadDcmjsOnFirstUse();

export { connectTcp, listenTcp, type TcpConnectOptions, type TcpListenOptions } from './tcp';
export { connectTls, listenTls, type TlsConnectOptions, type TlsListenOptions } from './tls';
export type { NodeListener } from './listener';
export type { DialOptions } from './connect';
export { socketTransport, type SocketTransportOptions } from './socket-transport';
export { setSocketReclaim, DEFAULT_RECLAIM_BYTES } from './reclaim';
export { storeInputFromFile, type StoreFileInput, type StoreFileOptions } from './store-file';
export { createFsStore, safeFileName, type FsStore, type FsStoreOptions, type StoredInfo } from './fs-store';
export { createQrScp, QrDatabase, qrHandlers, queryExtendedNegotiation, parseDestinations, loadDestinations, INDEX_FILE, type QrScp, type QrScpOptions, type QrLevel, type MoveDestinationEntry } from './qr';
