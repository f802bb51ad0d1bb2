/**
 * Basic Grayscale / Color Print Management (PS3.4 Annex H): film session, film box, image box
 * and printer through the meta SOP class contexts (commands name the component SOP classes,
 * PS3.4 H.3). The film session lives as long as its association (PS3.4 H.4.1).
 */
import type { Association } from '../association';
import type { NAnswer, NRequest, RequestContext, ScpHandlers } from '../scp/types';
import type { NCallOptions } from '../scu/n-services';
import type { Dataset } from '../scu/types';
import { generateUid } from '../uids/generate';
import { applyModifications, nGetAnswer, stringValue } from './n-attributes';

/** Print Management SOP classes (PS3.4 H.3-H.5). */
export const PrintClass = {
  grayscaleMeta: '1.2.840.10008.5.1.1.9',
  colorMeta: '1.2.840.10008.5.1.1.18',
  filmSession: '1.2.840.10008.5.1.1.1',
  filmBox: '1.2.840.10008.5.1.1.2',
  grayscaleImageBox: '1.2.840.10008.5.1.1.4',
  colorImageBox: '1.2.840.10008.5.1.1.4.1',
  printer: '1.2.840.10008.5.1.1.16',
} as const;
/** Printer well-known SOP Instance (PS3.6 Table A-1). */
export const PRINTER_INSTANCE = '1.2.840.10008.5.1.1.17';

/** One film box ready to print: its attributes and its image boxes in position order. */
export interface PrintedFilm {
  readonly filmSession: Dataset;
  readonly filmBox: Dataset;
  readonly imageBoxes: Dataset[];
}

export interface PrintScpOptions {
  /** Printer attributes for N-GET (default: PrinterStatus NORMAL). */
  printer?: Dataset;
  /** Prints films (film box or film session N-ACTION); a returned non-zero status is the answer. */
  onPrint?(films: PrintedFilm[], ctx: RequestContext): void | number | Promise<void | number>;
}

interface FilmBox {
  attributes: Dataset;
  imageBoxes: string[];
}
interface Session {
  uid: string;
  attributes: Dataset;
  filmBoxes: Map<string, FilmBox>;
  imageBoxes: Map<string, Dataset>;
}

/** Columns × rows of a STANDARD\C,R Image Display Format (PS3.3 C.13.8), or undefined. */
export function imageBoxCount(format: string | undefined): number | undefined {
  const m = /^STANDARD\\(\d+),(\d+)$/.exec(format ?? '');
  return m ? Number(m[1]) * Number(m[2]) : undefined;
}

/**
 * SCP handlers for Basic Grayscale and Color Print Management (PS3.4 H.4): N-CREATE/N-SET/
 * N-DELETE/N-ACTION of film session and film box, N-SET of image boxes, N-GET of the printer.
 * Statuses: 0xC600 printing a session without film boxes, 0xB602/0xB603 empty pages, 0x0112
 * unknown instances, 0x0106 an unsupported Image Display Format.
 */
export function printScp(options: PrintScpOptions = {}): Pick<ScpHandlers, 'nCreate' | 'nSet' | 'nGet' | 'nAction' | 'nDelete'> {
  const sessions = new WeakMap<Association, Session>();
  const printer = options.printer ?? { PrinterStatus: 'NORMAL', PrinterStatusInfo: 'NORMAL', PrinterName: 'netdicom' };
  const films = (s: Session, boxes: Iterable<FilmBox>): PrintedFilm[] =>
    [...boxes].map((b) => ({ filmSession: s.attributes, filmBox: b.attributes, imageBoxes: b.imageBoxes.map((u) => s.imageBoxes.get(u)!) }));
  const isEmpty = (f: PrintedFilm[]) => f.every((x) => x.imageBoxes.every((i) => !i.BasicGrayscaleImageSequence && !i.BasicColorImageSequence));
  const print = async (f: PrintedFilm[], empty: number, ctx: RequestContext): Promise<NAnswer> => {
    const refused = await options.onPrint?.(f, ctx);
    return { status: refused || (isEmpty(f) ? empty : 0x0000) };
  };

  return {
    nCreate(request, ctx) {
      const session = sessions.get(ctx.association);
      const attributes = request.dataset ?? {};
      if (request.sopClassUid === PrintClass.filmSession) {
        if (session) return { status: 0x0111 };
        sessions.set(ctx.association, { uid: request.sopInstanceUid, attributes: { ...attributes, SOPInstanceUID: request.sopInstanceUid }, filmBoxes: new Map(), imageBoxes: new Map() });
        return { status: 0x0000 };
      }
      if (request.sopClassUid !== PrintClass.filmBox) return { status: 0x0118 };
      if (!session) return { status: 0x0110, errorComment: 'no film session' };
      // dcmjs splits text at backslashes even for ST, so join the parts back.
      const format = attributes.ImageDisplayFormat;
      const count = imageBoxCount(Array.isArray(format) ? format.join('\\') : stringValue(attributes, 'ImageDisplayFormat'));
      if (count === undefined) return { status: 0x0106, offendingElement: [0x20100010] };
      const imageBoxClass = ctx.abstractSyntax === PrintClass.colorMeta ? PrintClass.colorImageBox : PrintClass.grayscaleImageBox;
      const imageBoxes = Array.from({ length: count }, (_, i) => {
        const uid = generateUid();
        session.imageBoxes.set(uid, { SOPClassUID: imageBoxClass, SOPInstanceUID: uid, ImageBoxPosition: i + 1 });
        return uid;
      });
      session.filmBoxes.set(request.sopInstanceUid, { attributes: { ...attributes, SOPInstanceUID: request.sopInstanceUid }, imageBoxes });
      // The response lists the image boxes the SCU is to fill (PS3.4 H.4.2.2.1).
      return {
        status: 0x0000,
        dataset: {
          ...attributes,
          ReferencedImageBoxSequence: imageBoxes.map((uid) => ({ ReferencedSOPClassUID: imageBoxClass, ReferencedSOPInstanceUID: uid })),
        },
      };
    },
    nSet(request, ctx) {
      const session = sessions.get(ctx.association);
      const target = findTarget(session, request);
      if (!target) return { status: 0x0112 };
      applyModifications(target, request.dataset ?? {});
      return { status: 0x0000 };
    },
    nGet(request) {
      if (request.sopClassUid !== PrintClass.printer) return { status: 0x0118 };
      if (request.sopInstanceUid !== PRINTER_INSTANCE) return { status: 0x0112 };
      return nGetAnswer(printer, request.attributes, { sopClassUid: PrintClass.printer, sopInstanceUid: PRINTER_INSTANCE });
    },
    async nAction(request, ctx) {
      const session = sessions.get(ctx.association);
      if (request.typeId !== 1) return { status: 0x0123 };
      if (!session) return { status: 0x0112 };
      if (request.sopClassUid === PrintClass.filmSession && request.sopInstanceUid === session.uid) {
        if (session.filmBoxes.size === 0) return { status: 0xc600 };
        return print(films(session, session.filmBoxes.values()), 0xb602, ctx);
      }
      const box = request.sopClassUid === PrintClass.filmBox ? session.filmBoxes.get(request.sopInstanceUid) : undefined;
      if (!box) return { status: 0x0112 };
      return print(films(session, [box]), 0xb603, ctx);
    },
    nDelete(request, ctx) {
      const session = sessions.get(ctx.association);
      if (!session) return { status: 0x0112 };
      if (request.sopClassUid === PrintClass.filmSession && request.sopInstanceUid === session.uid) {
        sessions.delete(ctx.association);
        return { status: 0x0000 };
      }
      const box = request.sopClassUid === PrintClass.filmBox ? session.filmBoxes.get(request.sopInstanceUid) : undefined;
      if (!box) return { status: 0x0112 };
      for (const uid of box.imageBoxes) session.imageBoxes.delete(uid);
      session.filmBoxes.delete(request.sopInstanceUid);
      return { status: 0x0000 };
    },
  };
}

function findTarget(session: Session | undefined, request: NRequest): Dataset | undefined {
  if (!session) return undefined;
  switch (request.sopClassUid) {
    case PrintClass.filmSession:
      return request.sopInstanceUid === session.uid ? session.attributes : undefined;
    case PrintClass.filmBox:
      return session.filmBoxes.get(request.sopInstanceUid)?.attributes;
    case PrintClass.grayscaleImageBox:
    case PrintClass.colorImageBox:
      return session.imageBoxes.get(request.sopInstanceUid);
    default:
      return undefined;
  }
}

/**
 * SCU: prints one film (PS3.4 H.4): N-CREATE film session and film box, N-SET each image box
 * with `images` (Basic Grayscale/Color Image Sequence items: pixel module attributes), N-ACTION
 * print, N-DELETE the session. Returns the print N-ACTION's status. Throws when a step fails.
 */
export async function printFilm(
  association: Association,
  images: Dataset[],
  options: NCallOptions & { color?: boolean; filmSession?: Dataset; filmBox?: Dataset } = {},
): Promise<number> {
  const meta = options.color ? PrintClass.colorMeta : PrintClass.grayscaleMeta;
  const call = { ...options, context: meta };
  const session = await association.nCreate(PrintClass.filmSession, undefined, { NumberOfCopies: 1, ...options.filmSession }, call);
  const sessionUid = check(session, 'film session N-CREATE').sopInstanceUid!;
  try {
    const box = await association.nCreate(PrintClass.filmBox, undefined, {
      ImageDisplayFormat: `STANDARD\\1,${Math.max(1, images.length)}`,
      ...options.filmBox,
      ReferencedFilmSessionSequence: [{ ReferencedSOPClassUID: PrintClass.filmSession, ReferencedSOPInstanceUID: sessionUid }],
    }, call);
    const boxes = (check(box, 'film box N-CREATE').dataset?.ReferencedImageBoxSequence ?? []) as Dataset[];
    const sequence = options.color ? 'BasicColorImageSequence' : 'BasicGrayscaleImageSequence';
    for (const [i, image] of images.entries()) {
      const ref = boxes[i];
      if (!ref) throw new Error(`print: the film box has ${boxes.length} image boxes for ${images.length} images`);
      const set = await association.nSet(String(ref.ReferencedSOPClassUID), String(ref.ReferencedSOPInstanceUID), { ImageBoxPosition: i + 1, [sequence]: [image] }, call);
      check(set, 'image box N-SET');
    }
    return (await association.nAction(PrintClass.filmBox, box.sopInstanceUid!, 1, null, call)).status;
  } finally {
    await association.nDelete(PrintClass.filmSession, sessionUid, call).catch(() => undefined);
  }
}

function check<T extends { category: string; status: number }>(result: T, what: string): T {
  if (result.category === 'Failure') throw new Error(`print: ${what} failed with 0x${result.status.toString(16).padStart(4, '0')}`);
  return result;
}
