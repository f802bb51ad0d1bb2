/**
 * netdicom public API (curated). Everything else is internal.
 * Owned by the integration work; adapters and tests may import from src/ paths directly.
 */
export * from './errors';
export type { Transport, TransportInfo, Listener } from './transport';
export type * from './pdu/types';
export * from './dimse/types';
