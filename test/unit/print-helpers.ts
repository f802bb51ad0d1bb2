/**
 * Shared pieces of the print tests (print-*.test.ts): images, AEs with the print contexts, a gate
 * that holds a print job in PRINTING, and polling for a state reached asynchronously.
 */
import type { Dataset } from '../../src/scu/types';
import { PrintClass } from '../../src/services/print';
import { ServiceContexts } from '../../src/services/service-contexts';
import { ae } from './n-helpers';

/** A valid 8-bit MONOCHROME2 image of `rows` × `columns` for a Basic Grayscale Image Sequence. */
export const grayImage = (rows = 2, columns = 2, value = 1): Dataset => ({
  SamplesPerPixel: 1,
  PhotometricInterpretation: 'MONOCHROME2',
  Rows: rows,
  Columns: columns,
  BitsAllocated: 8,
  BitsStored: 8,
  HighBit: 7,
  PixelRepresentation: 0,
  PixelData: [new Uint8Array(rows * columns).fill(value).buffer],
});

/** A valid 8-bit RGB image for a Basic Color Image Sequence. */
export const colorImage = (rows = 2, columns = 2): Dataset => ({
  ...grayImage(rows, columns),
  SamplesPerPixel: 3,
  PhotometricInterpretation: 'RGB',
  PlanarConfiguration: 0,
  PixelData: [new Uint8Array(rows * columns * 3).fill(7).buffer],
});

/** The printer AE: every print class of PS3.4 H (ServiceContexts.print) and Verification. */
export const printerAe = () => {
  const a = ae('PRINTER').addSupportedContext('1.2.840.10008.1.1');
  for (const uid of ServiceContexts.print) a.addSupportedContext(uid);
  return a;
};

/** An SCU AE proposing `classes` (default: every print class). */
export const printScuAe = (classes: readonly string[] = ServiceContexts.print, title = 'SCU') => {
  const a = ae(title);
  for (const uid of classes) a.addRequestedContext(uid);
  return a;
};

/** The meta class alone: no optional class negotiated. */
export const metaOnly = [PrintClass.grayscaleMeta];

/** A promise released by the test (holds a print job in PRINTING). */
export function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/** Retries `probe` until it returns true (the SCP reaches some states after its response). */
export async function eventually(probe: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The Referenced Film Session Sequence a film box N-CREATE needs. */
export const filmSessionRef = (uid: string) => ({
  ReferencedFilmSessionSequence: [{ ReferencedSOPClassUID: PrintClass.filmSession, ReferencedSOPInstanceUID: uid }],
});
