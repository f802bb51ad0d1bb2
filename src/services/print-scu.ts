/**
 * Print Management SCU helpers (PS3.4 H.4): print one film, and the optional classes on their
 * own contexts: Presentation LUT N-CREATE/N-DELETE, Print Job and Printer Configuration N-GET.
 */
import type { Association } from '../association';
import type { NCallOptions, NResult } from '../scu/n-services';
import type { Dataset } from '../scu/types';
import { stringValue } from './n-attributes';
import { PRINTER_CONFIGURATION_INSTANCE, PRINTER_INSTANCE, PrintClass, REFERENCED_PRINT_JOB_SEQUENCE } from './print-uids';

/** Options of {@link printFilm} and {@link printFilmJob}. */
export interface PrintFilmOptions extends NCallOptions {
  /** Basic Color Print Management (RGB images) instead of grayscale. */
  color?: boolean;
  /** Film session N-CREATE attributes (default NumberOfCopies 1). */
  filmSession?: Dataset;
  /** Film box N-CREATE attributes (default Image Display Format STANDARD\1,N for N images). */
  filmBox?: Dataset;
  /** Further image box N-SET attributes for every image, e.g. Polarity or Requested Decimate/Crop Behavior. */
  imageBox?: Dataset;
  /** A Presentation LUT to N-CREATE first and reference from the film box, e.g. `{ PresentationLUTShape: 'LIN OD' }`. */
  presentationLut?: Dataset;
  /** Texts for the film box's Basic Annotation Boxes, in Annotation Position order (needs that class negotiated). */
  annotations?: readonly string[];
}

/** What {@link printFilmJob} did. */
export interface PrintFilmResult {
  /** The print N-ACTION's status. */
  readonly status: number;
  /** The Print Job the SCP created, when it supports the Print Job SOP Class (PS3.4 H.4.2.2.4.1). */
  readonly printJobUid?: string;
  readonly filmSessionUid: string;
  readonly filmBoxUid: string;
  readonly presentationLutUid?: string;
}

/**
 * SCU: prints one film (PS3.4 H.4): [N-CREATE a Presentation LUT,] N-CREATE film session and film
 * box, N-SET each image box with `images` (Basic Grayscale/Color Image Sequence items: pixel
 * module attributes) [and each annotation box], N-ACTION print, then N-DELETE the session [and
 * the LUT]. Throws when a step other than the print fails.
 */
export async function printFilmJob(association: Association, images: Dataset[], options: PrintFilmOptions = {}): Promise<PrintFilmResult> {
  const meta = options.color ? PrintClass.colorMeta : PrintClass.grayscaleMeta;
  const call = { ...options, context: meta };
  const lutUid = options.presentationLut ? check(await createPresentationLut(association, options.presentationLut, options), 'Presentation LUT N-CREATE').sopInstanceUid! : undefined;
  try {
    const session = await association.nCreate(PrintClass.filmSession, undefined, { NumberOfCopies: 1, ...options.filmSession }, call);
    const filmSessionUid = check(session, 'film session N-CREATE').sopInstanceUid!;
    try {
      const box = await association.nCreate(PrintClass.filmBox, undefined, {
        ImageDisplayFormat: `STANDARD\\1,${Math.max(1, images.length)}`,
        ...options.filmBox,
        ReferencedFilmSessionSequence: [{ ReferencedSOPClassUID: PrintClass.filmSession, ReferencedSOPInstanceUID: filmSessionUid }],
        ...(lutUid && { ReferencedPresentationLUTSequence: [{ ReferencedSOPClassUID: PrintClass.presentationLut, ReferencedSOPInstanceUID: lutUid }] }),
      }, call);
      const filmBoxUid = check(box, 'film box N-CREATE').sopInstanceUid!;
      const sequence = options.color ? 'BasicColorImageSequence' : 'BasicGrayscaleImageSequence';
      await setEach(box.dataset, 'ReferencedImageBoxSequence', images, (image, i) => ({ ...options.imageBox, ImageBoxPosition: i + 1, [sequence]: [image] }), association, call, 'image box');
      await setEach(box.dataset, 'ReferencedBasicAnnotationBoxSequence', options.annotations ?? [], (text, i) => ({ AnnotationPosition: i + 1, TextString: text }), association, { ...options, context: PrintClass.annotationBox }, 'annotation box');
      const printed = await association.nAction(PrintClass.filmBox, filmBoxUid, 1, null, call);
      const printJobUid = printJobOf(printed.dataset);
      return { status: printed.status, filmSessionUid, filmBoxUid, ...(printJobUid && { printJobUid }), ...(lutUid && { presentationLutUid: lutUid }) };
    } finally {
      await association.nDelete(PrintClass.filmSession, filmSessionUid, call).catch(() => undefined);
    }
  } finally {
    if (lutUid) await deletePresentationLut(association, lutUid, options).catch(() => undefined);
  }
}

/** SCU: {@link printFilmJob}, returning the print N-ACTION's status. */
export async function printFilm(association: Association, images: Dataset[], options: PrintFilmOptions = {}): Promise<number> {
  return (await printFilmJob(association, images, options)).status;
}

/** N-SETs the boxes a film box N-CREATE response lists under `key`, one per value, in order. */
async function setEach<T>(
  created: Dataset | null,
  key: string,
  values: readonly T[],
  modifications: (value: T, index: number) => Dataset,
  association: Association,
  call: NCallOptions,
  what: string,
): Promise<void> {
  const boxes = (Array.isArray(created?.[key]) ? created![key] : []) as Dataset[];
  if (values.length > boxes.length) throw new Error(`print: the film box has ${boxes.length} ${what}es for ${values.length} values`);
  for (const [i, value] of values.entries()) {
    const ref = boxes[i]!;
    const set = await association.nSet(String(ref.ReferencedSOPClassUID), String(ref.ReferencedSOPInstanceUID), modifications(value, i), call);
    check(set, `${what} N-SET`);
  }
}

/** The Print Job SOP Instance UID in a print N-ACTION's Action Reply (Referenced Print Job Sequence), if any. */
export function printJobOf(reply: Dataset | null | undefined): string | undefined {
  const seq = reply?.[REFERENCED_PRINT_JOB_SEQUENCE];
  const item = (Array.isArray(seq) ? seq[0] : seq) as Dataset | undefined;
  return stringValue(item, 'ReferencedSOPInstanceUID');
}

/**
 * SCU: N-CREATE a Presentation LUT (PS3.4 H.4.9.2.1) on its own context; `sopInstanceUid` is its
 * UID. LUT Descriptor and LUT Data of a Presentation LUT Sequence are sent as US unless the
 * item's `_vrMap` says otherwise (their dictionary VR is US or SS / US or OW).
 */
export function createPresentationLut(association: Association, attributes: Dataset, options: NCallOptions = {}): Promise<NResult> {
  const seq = attributes.PresentationLUTSequence;
  const typed = Array.isArray(seq)
    ? { ...attributes, PresentationLUTSequence: seq.map((item: Dataset) => ({ ...item, _vrMap: { LUTDescriptor: 'US', LUTData: 'US', ...(item._vrMap as object | undefined) } })) }
    : attributes;
  return association.nCreate(PrintClass.presentationLut, undefined, typed, { ...options, context: PrintClass.presentationLut });
}

/** SCU: N-DELETE a Presentation LUT (PS3.4 H.4.9.2.2). */
export function deletePresentationLut(association: Association, uid: string, options: NCallOptions = {}): Promise<NResult> {
  return association.nDelete(PrintClass.presentationLut, uid, { ...options, context: PrintClass.presentationLut });
}

/** SCU: N-GET a Print Job (PS3.4 H.4.5.2.2): Execution Status, Execution Status Info, Print Priority... (all when `attributes` is empty). */
export function getPrintJob(association: Association, uid: string, attributes: number[] = [], options: NCallOptions = {}): Promise<NResult> {
  return association.nGet(PrintClass.printJob, uid, attributes, { ...options, context: PrintClass.printJob });
}

/** SCU: N-GET the Printer (PS3.4 H.4.6.2.2) on the Printer context, or else a print meta context. */
export function getPrinter(association: Association, attributes: number[] = [], options: NCallOptions = {}): Promise<NResult> {
  const context = options.context ?? [PrintClass.printer, PrintClass.grayscaleMeta, PrintClass.colorMeta].find((c) => association.acceptedContexts.some((a) => a.abstractSyntax === c));
  return association.nGet(PrintClass.printer, PRINTER_INSTANCE, attributes, { ...options, ...(context && { context }) });
}

/** SCU: N-GET the Printer Configuration Retrieval instance (PS3.4 H.4.11.2.2). */
export function getPrinterConfiguration(association: Association, attributes: number[] = [], options: NCallOptions = {}): Promise<NResult> {
  return association.nGet(PrintClass.printerConfiguration, PRINTER_CONFIGURATION_INSTANCE, attributes, { ...options, context: PrintClass.printerConfiguration });
}

function check<T extends { category: string; status: number }>(result: T, what: string): T {
  if (result.category === 'Failure') throw new Error(`print: ${what} failed with 0x${result.status.toString(16).padStart(4, '0')}`);
  return result;
}
