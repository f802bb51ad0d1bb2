/**
 * Basic Grayscale / Color Print Management SCP (PS3.4 Annex H): film session, film box, image
 * boxes and printer through the meta SOP class contexts (commands name the component SOP classes,
 * PS3.4 H.3), and the optional classes on their own contexts: Print Job, Presentation LUT, Basic
 * Annotation Box and Printer Configuration Retrieval. The film session and the Presentation LUTs
 * live as long as their association (PS3.4 H.4.1.2.1.3, H.4.9.2.1.3).
 */
import type { Association } from '../association';
import type { NAnswer, NRequest, RequestContext, ScpHandlers } from '../scp/types';
import type { Dataset } from '../scu/types';
import { applyModifications, namingTags, nGetAnswer, stringValue, tagForKeyword } from './n-attributes';
import { addFilmBox, clampDensity, deleteFilmBox, imageBoxCount, isEmpty, newState, snapshot, type AssociationPrintState, type FilmBox, type Session } from './print-film';
import { checkImageBoxSet, type ImageBoxSize } from './print-image';
import { checkPresentationLut } from './print-lut';
import { PrintJobQueue, type PrintedFilm, type PrintJobOptions } from './print-job';
import { printerConfiguration, printerConfigurationAnswer, PrinterState, type PrinterReport, type PrinterStatusChange } from './print-printer';
import { PrintClass, PrintStatus, REFERENCED_PRINT_JOB_SEQUENCE, type PrinterStatus } from './print-uids';

export * from './print-uids';
export * from './print-scu';
export * from './print-events';
export { imageBoxCount } from './print-film';
export { checkPrintImage, type ImageBoxSize, type PrintCheck } from './print-image';
export { checkPresentationLut } from './print-lut';
export type { PrintedFilm, PrintJob, PrintJobOptions } from './print-job';
export type { PrinterReport, PrinterStatusChange } from './print-printer';

/**
 * Options of {@link printScp}, all optional: the printer's attributes and configuration, what
 * printing does (`onPrint`, Print Job), annotation formats, image box size and density limits,
 * film session printing, and how long to wait for an SCU to answer an N-EVENT-REPORT (PS3.4 Annex H).
 */
export interface PrintScpOptions {
  /** Printer attributes for N-GET (default: PrinterStatus NORMAL, PrinterName 'netdicom'). */
  printer?: Dataset;
  /** Accepts films (film box or film session N-ACTION) before the answer; a returned non-zero status is the answer. */
  onPrint?(films: PrintedFilm[], ctx: RequestContext): void | number | Promise<void | number>;
  /**
   * Print Job SOP Class (PS3.4 H.4.5). Used on associations that negotiated it: each print
   * creates a job, returned in Referenced Print Job Sequence, printed by `execute` in turn and
   * reported by N-EVENT-REPORT. Without the class, printing is `onPrint` alone.
   */
  printJob?: PrintJobOptions;
  /** Printer Configuration Sequence item attributes (PS3.4 Table H.4-26) over the defaults. */
  printerConfiguration?: Dataset;
  /** Annotation Display Format ID → number of Basic Annotation Boxes (default { ANNOTATION: 1 }; the first is the default). */
  annotationFormats?: Readonly<Record<string, number>>;
  /** The largest image an image box takes; larger ones follow Requested Decimate/Crop Behavior (0xB609, 0xB60A, 0xC603). */
  imageBoxSize?: ImageBoxSize;
  /** The printer's density range (hundredths of OD): Min/Max Density beyond it are clamped with 0xB605. */
  densityRange?: { min: number; max: number };
  /**
   * Film session N-ACTION: 'collated' (default); 'uncollated' prints copies uncollated (0xB601 with
   * more than one copy); 'unsupported' refuses it (0x0211) and a new film box while one is
   * unprinted (0xC616).
   */
  filmSessionPrint?: 'collated' | 'uncollated' | 'unsupported';
  /** How long to wait for an SCU to confirm a print job or printer N-EVENT-REPORT (default 10 s). */
  eventTimeoutMs?: number;
}

/** The print SCP: its handlers, plus the printer's status control. */
export interface PrintScp extends Pick<ScpHandlers, 'nCreate' | 'nSet' | 'nGet' | 'nAction' | 'nDelete' | 'accepted' | 'released' | 'aborted'> {
  /**
   * Changes Printer Status and reports it by N-EVENT-REPORT (1 NORMAL, 2 WARNING, 3 FAILURE) to
   * every association using the printer (PS3.4 H.4.6.2.1); resolves with each SCU's answer.
   */
  setPrinterStatus(status: PrinterStatus, change?: PrinterStatusChange): Promise<PrinterReport[]>;
}

/** Print classes this SCP implements (Printer Configuration's SOP Classes Supported). */
const SUPPORTED = [
  PrintClass.filmSession, PrintClass.filmBox, PrintClass.grayscaleImageBox, PrintClass.colorImageBox, PrintClass.printer,
  PrintClass.printJob, PrintClass.annotationBox, PrintClass.presentationLut, PrintClass.printerConfiguration,
];
const REF_FILM_SESSION = 0x20100500;
const IMAGE_DISPLAY_FORMAT = 0x20100010;
const ANNOTATION_FORMAT = 0x20100030;
const ANNOTATION_POSITION = 0x20300010;

/**
 * What an N-SET may change, by SOP class: film session PS3.4 H.4.1.2.2.1 (its N-CREATE list, Table
 * H.4-2), film box Table H.4-7, image boxes Tables H.4-10 / H.4-11, annotation box Table H.4-13.
 * Anything else (layout, references, identity) is refused 0x0105 "No such attribute" (H.2.4), so
 * a print never uses a film box whose Image Display Format or SOP Instance UID an N-SET rewrote.
 */
const SETTABLE: Readonly<Record<string, ReadonlySet<string>>> = {
  [PrintClass.filmSession]: new Set(['NumberOfCopies', 'PrintPriority', 'MediumType', 'FilmDestination', 'FilmSessionLabel', 'MemoryAllocation', 'OwnerID']),
  [PrintClass.filmBox]: new Set([
    'MagnificationType', 'MaxDensity', 'ConfigurationInformation', 'ReferencedPresentationLUTSequence', 'SmoothingType', 'BorderDensity',
    'EmptyImageDensity', 'MinDensity', 'Trim', 'Illumination', 'ReflectedAmbientLight', 'ICCProfile',
  ]),
  [PrintClass.grayscaleImageBox]: new Set([
    'ImageBoxPosition', 'BasicGrayscaleImageSequence', 'Polarity', 'MagnificationType', 'SmoothingType', 'MinDensity', 'MaxDensity',
    'ConfigurationInformation', 'RequestedImageSize', 'RequestedDecimateCropBehavior', 'ReferencedPresentationLUTSequence',
  ]),
  [PrintClass.colorImageBox]: new Set(['ImageBoxPosition', 'BasicColorImageSequence', 'Polarity', 'MagnificationType', 'SmoothingType', 'RequestedImageSize', 'RequestedDecimateCropBehavior']),
  [PrintClass.annotationBox]: new Set(['AnnotationPosition', 'TextString']),
};
/**
 * 0x0105 naming the attributes an N-SET of `sopClassUid` may not change (Specific Character Set
 * only describes the encoding), in the Attribute Identifier List (PS3.7 C.5.17) and, as before, in
 * Offending Element.
 */
const notSettable = (sopClassUid: string, modifications: Dataset): NAnswer | undefined => {
  const allowed = SETTABLE[sopClassUid]!;
  const others = Object.keys(modifications).filter((k) => !k.startsWith('_') && k !== 'SpecificCharacterSet' && !allowed.has(k));
  if (others.length === 0) return undefined;
  const tags = others.map((k) => tagForKeyword(k) ?? (/^[0-9A-Fa-f]{8}$/.test(k) ? parseInt(k, 16) : undefined)).filter((t) => t !== undefined);
  return { status: 0x0105, ...namingTags(tags), errorComment: `not settable: ${others.join(', ')}` };
};

const negotiated = (association: Association, cls: string) => association.acceptedContexts.some((c) => c.abstractSyntax === cls);
/** The worse of two statuses: a failure over a warning over success. */
const worst = (...statuses: (number | undefined)[]) => statuses.reduce<number>((w, s) => (s === undefined || s === 0 ? w : w === 0 || (s >= 0xc000 && w < 0xc000) ? s : w), 0);

/**
 * SCP handlers for Basic Grayscale and Color Print Management (PS3.4 H.4) with the optional
 * Print Job, Presentation LUT, Basic Annotation Box and Printer Configuration Retrieval classes.
 * Statuses as PS3.4 H.4 gives them: 0xB600-0xB60A warnings, 0xC600-0xC616 failures (see
 * {@link PrintStatus}), 0x0106/0x0120 with Offending Element for bad or missing attributes (0x0120
 * also with the Attribute Identifier List), 0x0112 unknown instances.
 */
export function printScp(options: PrintScpOptions = {}): PrintScp {
  const states = new WeakMap<Association, AssociationPrintState>();
  const printer = new PrinterState(options.printer);
  const jobs = new PrintJobQueue(options.printJob ?? {}, () => printer.name, options.eventTimeoutMs ?? 10_000);
  const formats = options.annotationFormats ?? { ANNOTATION: 1 };
  const stateOf = (ctx: RequestContext) => {
    printer.use(ctx.association);
    let state = states.get(ctx.association);
    if (!state) states.set(ctx.association, (state = newState()));
    return state;
  };

  /** Prints `boxes`: onPrint, then a Print Job when the class was negotiated. */
  const print = async (state: AssociationPrintState, session: Session, boxes: FilmBox[], statuses: { empty: number; full: number; warning?: number }, ctx: RequestContext): Promise<NAnswer> => {
    const withJob = negotiated(ctx.association, PrintClass.printJob);
    if (withJob && jobs.full) return { status: statuses.full };
    const films = snapshot(state, session, boxes);
    const refused = await options.onPrint?.(films, ctx);
    if (refused) return { status: refused };
    for (const box of boxes) box.printed = true;
    const status = worst(isEmpty(films) ? statuses.empty : 0, statuses.warning);
    if (!withJob) return { status };
    const uid = jobs.create(films, ctx.association, session.attributes);
    return {
      status,
      dataset: { [REFERENCED_PRINT_JOB_SEQUENCE]: [{ ReferencedSOPClassUID: PrintClass.printJob, ReferencedSOPInstanceUID: uid }] },
      afterResponse: () => jobs.start(uid, ctx.association.options.logger),
    };
  };

  const createFilmBox = (state: AssociationPrintState, session: Session | undefined, request: NRequest, ctx: RequestContext): NAnswer => {
    if (!session) return { status: 0x0110, errorComment: 'no film session' };
    const attributes = { ...request.dataset };
    const ref = (attributes.ReferencedFilmSessionSequence as Dataset[] | undefined)?.[0];
    // PS3.7 C.5.13: Missing Attribute names the tag in the Attribute Identifier List (and Offending Element).
    if (!ref) return { status: 0x0120, ...namingTags([REF_FILM_SESSION]) };
    if (stringValue(ref, 'ReferencedSOPInstanceUID') !== session.uid) return { status: 0x0106, offendingElement: [REF_FILM_SESSION] };
    // ST: one value, backslash included ("STANDARD\\C,R"); a caller's array of its parts is joined back.
    const format = attributes.ImageDisplayFormat;
    if (format === undefined || format === null) return { status: 0x0120, ...namingTags([IMAGE_DISPLAY_FORMAT]) };
    const count = imageBoxCount(Array.isArray(format) ? format.join('\\') : String(format));
    if (count === undefined) return { status: 0x0106, offendingElement: [IMAGE_DISPLAY_FORMAT] };
    if (options.filmSessionPrint === 'unsupported' && [...session.filmBoxes.values()].some((b) => !b.printed)) return { status: PrintStatus.UnprintedFilmBox };
    const lut = state.luts.checkReference(attributes);
    if (lut) return lut;
    // Annotation boxes only when the class was negotiated (PS3.4 Table H.4-6).
    const annotated = negotiated(ctx.association, PrintClass.annotationBox);
    const formatId = stringValue(attributes, 'AnnotationDisplayFormatID') ?? Object.keys(formats)[0];
    const annotations = annotated ? formats[formatId ?? ''] : 0;
    if (annotations === undefined) return { status: 0x0106, offendingElement: [ANNOTATION_FORMAT] };
    const density = clampDensity(attributes, options.densityRange);
    const imageBoxClass = ctx.abstractSyntax === PrintClass.colorMeta ? PrintClass.colorImageBox : PrintClass.grayscaleImageBox;
    const film = addFilmBox(session, request.sopInstanceUid, attributes, imageBoxClass, count, annotations);
    const refs = (uids: string[], cls: string) => uids.map((uid) => ({ ReferencedSOPClassUID: cls, ReferencedSOPInstanceUID: uid }));
    // The response lists the boxes the SCU is to fill (PS3.4 H.4.2.2.1.3).
    return {
      status: density ?? 0x0000,
      dataset: {
        ...attributes,
        ReferencedImageBoxSequence: refs(film.imageBoxes, imageBoxClass),
        ...(annotated && { ReferencedBasicAnnotationBoxSequence: refs(film.annotationBoxes, PrintClass.annotationBox) }),
      },
    };
  };

  const setBox = (state: AssociationPrintState, session: Session, request: NRequest): NAnswer => {
    const entry = session.boxes.get(request.sopInstanceUid);
    if (!entry || entry.attributes.SOPClassUID !== request.sopClassUid) return { status: 0x0112 };
    const modifications = { ...request.dataset };
    const refused = notSettable(request.sopClassUid, modifications);
    if (refused) return refused;
    if (request.sopClassUid === PrintClass.annotationBox) {
      const position = Number(stringValue(modifications, 'AnnotationPosition'));
      if (modifications.AnnotationPosition === undefined) return { status: 0x0120, ...namingTags([ANNOTATION_POSITION]) };
      if (!(position >= 1 && position <= entry.film.annotationBoxes.length)) return { status: 0x0106, offendingElement: [ANNOTATION_POSITION] };
      applyModifications(entry.attributes, modifications);
      return { status: 0x0000 };
    }
    const lut = state.luts.checkReference(modifications);
    if (lut) return lut;
    const magnificationType = stringValue(entry.attributes, 'MagnificationType') ?? stringValue(entry.film.attributes, 'MagnificationType');
    const check = checkImageBoxSet(entry.attributes, modifications, { size: options.imageBoxSize, magnificationType });
    // Warnings (0xBxxx) store the image; anything else refuses it.
    if (check && (check.status < 0xb000 || check.status >= 0xc000)) return check;
    const density = clampDensity(modifications, options.densityRange);
    applyModifications(entry.attributes, modifications);
    return { ...check, status: worst(check?.status, density) };
  };

  return {
    nCreate(request, ctx) {
      const state = stateOf(ctx);
      const attributes = request.dataset ?? {};
      switch (request.sopClassUid) {
        case PrintClass.filmSession: {
          if (state.session) return { status: 0x0111 };
          state.session = { uid: request.sopInstanceUid, attributes: { ...attributes, SOPInstanceUID: request.sopInstanceUid }, filmBoxes: new Map(), boxes: new Map() };
          // We do not reserve memory (PS3.4 Table H.4.1.2.1.2-1).
          return { status: attributes.MemoryAllocation !== undefined ? PrintStatus.MemoryAllocationNotSupported : 0x0000 };
        }
        case PrintClass.filmBox:
          return createFilmBox(state, state.session, request, ctx);
        case PrintClass.presentationLut: {
          const bad = checkPresentationLut(attributes);
          if (bad) return bad;
          if (state.luts.get(request.sopInstanceUid)) return { status: 0x0111 };
          state.luts.create(request.sopInstanceUid, { ...attributes, SOPInstanceUID: request.sopInstanceUid });
          return { status: 0x0000, dataset: attributes };
        }
        default:
          return { status: SUPPORTED.includes(request.sopClassUid as never) ? 0x0211 : 0x0118 };
      }
    },
    nSet(request, ctx) {
      const state = stateOf(ctx);
      const session = state.session;
      if (!session) return { status: 0x0112 };
      switch (request.sopClassUid) {
        case PrintClass.filmSession: {
          if (request.sopInstanceUid !== session.uid) return { status: 0x0112 };
          const refused = notSettable(request.sopClassUid, request.dataset ?? {});
          if (refused) return refused;
          applyModifications(session.attributes, request.dataset ?? {});
          return { status: request.dataset?.MemoryAllocation !== undefined ? PrintStatus.MemoryAllocationNotSupported : 0x0000 };
        }
        case PrintClass.filmBox: {
          const film = session.filmBoxes.get(request.sopInstanceUid);
          if (!film) return { status: 0x0112 };
          const modifications = { ...request.dataset };
          const refused = notSettable(request.sopClassUid, modifications) ?? state.luts.checkReference(modifications);
          if (refused) return refused;
          const density = clampDensity(modifications, options.densityRange);
          applyModifications(film.attributes, modifications);
          return { status: density ?? 0x0000 };
        }
        case PrintClass.grayscaleImageBox:
        case PrintClass.colorImageBox:
        case PrintClass.annotationBox:
          return setBox(state, session, request);
        default:
          return { status: 0x0112 };
      }
    },
    nGet(request, ctx) {
      printer.use(ctx.association);
      switch (request.sopClassUid) {
        case PrintClass.printer:
          return printer.nGet(request.sopInstanceUid, request.attributes);
        case PrintClass.printerConfiguration:
          return printerConfigurationAnswer(request.sopInstanceUid, request.attributes, printerConfiguration(printer, SUPPORTED, options.printerConfiguration));
        case PrintClass.printJob: {
          const job = jobs.get(request.sopInstanceUid);
          if (!job) return { status: 0x0112 };
          return nGetAnswer(job, request.attributes, { sopClassUid: PrintClass.printJob, sopInstanceUid: request.sopInstanceUid });
        }
        default:
          return { status: SUPPORTED.includes(request.sopClassUid as never) ? 0x0211 : 0x0118 };
      }
    },
    async nAction(request, ctx) {
      const state = stateOf(ctx);
      const session = state.session;
      if (request.typeId !== 1) return { status: 0x0123 };
      if (!session) return { status: 0x0112 };
      if (request.sopClassUid === PrintClass.filmSession && request.sopInstanceUid === session.uid) {
        if (options.filmSessionPrint === 'unsupported') return { status: 0x0211 };
        if (session.filmBoxes.size === 0) return { status: PrintStatus.NoFilmBox };
        const copies = Number(session.attributes.NumberOfCopies ?? 1);
        const uncollated = options.filmSessionPrint === 'uncollated' && copies > 1 ? PrintStatus.CollationNotSupported : undefined;
        return print(state, session, [...session.filmBoxes.values()], { empty: PrintStatus.EmptyFilmSession, full: PrintStatus.SessionPrintQueueFull, warning: uncollated }, ctx);
      }
      const film = request.sopClassUid === PrintClass.filmBox ? session.filmBoxes.get(request.sopInstanceUid) : undefined;
      if (!film) return { status: 0x0112 };
      return print(state, session, [film], { empty: PrintStatus.EmptyFilmBox, full: PrintStatus.FilmBoxPrintQueueFull }, ctx);
    },
    nDelete(request, ctx) {
      const state = stateOf(ctx);
      if (request.sopClassUid === PrintClass.presentationLut) return { status: state.luts.delete(request.sopInstanceUid) ? 0x0000 : 0x0112 };
      const session = state.session;
      if (!session) return { status: 0x0112 };
      if (request.sopClassUid === PrintClass.filmSession && request.sopInstanceUid === session.uid) {
        state.session = undefined;
        return { status: 0x0000 };
      }
      const film = request.sopClassUid === PrintClass.filmBox ? session.filmBoxes.get(request.sopInstanceUid) : undefined;
      if (!film) return { status: 0x0112 };
      deleteFilmBox(session, film);
      return { status: 0x0000 };
    },
    accepted: (association) => printer.use(association),
    released: (association) => printer.forget(association),
    aborted: (association) => printer.forget(association),
    setPrinterStatus: (status, change) => printer.setStatus(status, change, options.eventTimeoutMs),
  };
}
