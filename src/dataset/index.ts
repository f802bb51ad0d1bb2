/** Data set codec (dcmjs-backed) and Part 10 helpers (PS3.5, PS3.10). */
export * from './codec';
export { loadDatasetCodec } from './lazy';
export { deflateRaw, inflateRaw, DEFAULT_MAX_INFLATED_LENGTH } from './deflate';
