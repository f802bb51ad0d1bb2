/**
 * netdicom/memory: in-memory transports for tests, demos and the browser.
 * Web-platform APIs only, deterministic, no sockets.
 */
export {
  createMemoryPair,
  MemoryTransport,
  DEFAULT_MEMORY_HIGH_WATER_MARK,
  type MemoryPairOptions,
} from './pair';
export { createMemoryListener, type MemoryListener, type MemoryListenerOptions } from './listener';
