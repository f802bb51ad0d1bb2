/**
 * netdicom's WebSocket-to-TCP proxy (entry `netdicom/proxy`, Node only): lets a browser page
 * reach DICOM peers that an operator put on an allow-list. Uses the `ws` package.
 */
export { createDicomProxy, type DicomProxy } from './proxy';
export type { DicomProxyOptions, ProxyTarget } from './options';
export { resolveStatic } from './static-files';
