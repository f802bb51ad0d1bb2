/**
 * The data set codec as the library's own services use it: loaded on first need, with dcmjs
 * (dcmjs-module.ts: ~1.3 MB of JavaScript, ~100–160 ms to load), which an association that never
 * encodes or decodes a data set (C-ECHO, `netdicom echoscu`) should not pay for.
 *
 * A service awaits `loadCodec()` where it starts (an async point), then calls the synchronous
 * functions below anywhere. The package's public `encodeDataset`/`decodeDataset` (codec.ts) stay
 * synchronous: the package's entries make dcmjs available to them (dcmjs-module.ts).
 */
import type { Dataset, DecodeOptions, Part10 } from './codec';
import { loadDcmjs } from './dcmjs-module';

/** What the services need from codec.ts. */
export interface Codec {
  encodeDataset(dataset: Dataset, transferSyntaxUid: string): Uint8Array;
  encodeDatasetForSending(dataset: Dataset, transferSyntaxUid: string): Uint8Array;
  decodeDataset(bytes: Uint8Array, transferSyntaxUid: string, options?: DecodeOptions): Dataset;
  readPart10(bytes: Uint8Array): Part10;
}

let codec: Codec | undefined;
let loaded: Promise<Codec> | undefined;

/** Called by codec.ts when it is evaluated. */
export function provideCodec(c: Codec): void {
  codec = c;
}

/** Loads the codec and dcmjs (once); the same resolved promise after that. */
export function loadCodec(): Promise<Codec> {
  return (loaded ??= Promise.all([import('./codec'), loadDcmjs()]).then(() => codec!));
}

/**
 * Loads the data set codec (dcmjs) now. Under Node, `netdicom` loads it when a data set is first
 * encoded or decoded (~100 ms, once), so that a process that only moves data sets never pays for
 * it; a server that answers queries can call this at start-up so that its first query does not
 * wait. Elsewhere (browsers, bundlers) dcmjs comes with the package, and this only loads the
 * codec's own module if nothing has yet.
 */
export async function loadDatasetCodec(): Promise<void> {
  await loadCodec();
}

function ready(): Codec {
  // A service that forgot `await loadCodec()`: a bug in netdicom, not in the caller.
  if (!codec) throw new Error('netdicom internal error: data set codec used before loadCodec()');
  return codec;
}

/** codec.ts encodeDataset; needs `await loadCodec()` first. */
export function encodeDataset(dataset: Dataset, transferSyntaxUid: string): Uint8Array {
  return ready().encodeDataset(dataset, transferSyntaxUid);
}

/** codec.ts encodeDatasetForSending (for a data set sent and dropped); needs `await loadCodec()` first. */
export function encodeDatasetForSending(dataset: Dataset, transferSyntaxUid: string): Uint8Array {
  return ready().encodeDatasetForSending(dataset, transferSyntaxUid);
}

/** codec.ts decodeDataset; needs `await loadCodec()` first. */
export function decodeDataset(bytes: Uint8Array, transferSyntaxUid: string, options?: DecodeOptions): Dataset {
  return ready().decodeDataset(bytes, transferSyntaxUid, options);
}

/** codec.ts readPart10; needs `await loadCodec()` first. */
export function readPart10(bytes: Uint8Array): Part10 {
  return ready().readPart10(bytes);
}
