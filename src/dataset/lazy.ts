/**
 * The data set codec as the library's own services use it: loaded on first need. The codec
 * brings dcmjs (~1.3 MB of JavaScript, a few hundred ms to load), which an association that
 * never encodes or decodes a data set (C-ECHO, `netdicom echoscu`) should not pay for.
 *
 * A service awaits `loadCodec()` where it starts (an async point), then calls the synchronous
 * functions below anywhere. The package's public `encodeDataset`/`decodeDataset` (codec.ts)
 * import dcmjs directly and stay synchronous; importing codec.ts also makes it available here.
 */
import type { Dataset, DecodeOptions, Part10 } from './codec';

/** What the services need from codec.ts. */
export interface Codec {
  encodeDataset(dataset: Dataset, transferSyntaxUid: string): Uint8Array;
  encodeDatasetForSending(dataset: Dataset, transferSyntaxUid: string): Uint8Array;
  decodeDataset(bytes: Uint8Array, transferSyntaxUid: string, options?: DecodeOptions): Dataset;
  readPart10(bytes: Uint8Array): Part10;
}

let codec: Codec | undefined;
let loading: Promise<Codec> | undefined;

/** Called by codec.ts when it is evaluated. */
export function provideCodec(c: Codec): void {
  codec = c;
}

/** Loads the codec (once); resolves at once when it is loaded already. */
export function loadCodec(): Promise<Codec> {
  if (codec) return Promise.resolve(codec);
  return (loading ??= import('./codec').then(() => codec!));
}

function loaded(): Codec {
  // A service that forgot `await loadCodec()`: a bug in netdicom, not in the caller.
  if (!codec) throw new Error('netdicom internal error: data set codec used before loadCodec()');
  return codec;
}

/** codec.ts encodeDataset; needs `await loadCodec()` first. */
export function encodeDataset(dataset: Dataset, transferSyntaxUid: string): Uint8Array {
  return loaded().encodeDataset(dataset, transferSyntaxUid);
}

/** codec.ts encodeDatasetForSending (for a data set sent and dropped); needs `await loadCodec()` first. */
export function encodeDatasetForSending(dataset: Dataset, transferSyntaxUid: string): Uint8Array {
  return loaded().encodeDatasetForSending(dataset, transferSyntaxUid);
}

/** codec.ts decodeDataset; needs `await loadCodec()` first. */
export function decodeDataset(bytes: Uint8Array, transferSyntaxUid: string, options?: DecodeOptions): Dataset {
  return loaded().decodeDataset(bytes, transferSyntaxUid, options);
}

/** codec.ts readPart10; needs `await loadCodec()` first. */
export function readPart10(bytes: Uint8Array): Part10 {
  return loaded().readPart10(bytes);
}
