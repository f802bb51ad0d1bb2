/**
 * The film session hierarchy of one association on the print SCP (PS3.4 H.4.1-H.4.4, H.4.9):
 * film session → film boxes → image boxes and annotation boxes, plus the association's
 * Presentation LUTs, and the copy of it a print makes (H.4.1.2.4.3).
 */
import type { Dataset } from '../scu/types';
import { generateUid } from '../uids/generate';
import type { PrintedFilm } from './print-job';
import { PresentationLuts, referencedLut } from './print-lut';
import { PrintClass, PrintStatus } from './print-uids';

export interface FilmBox {
  readonly uid: string;
  readonly attributes: Dataset;
  readonly imageBoxes: string[];
  readonly annotationBoxes: string[];
  /** Printed by a film box or film session N-ACTION (for 0xC616). */
  printed: boolean;
}

export interface Session {
  readonly uid: string;
  readonly attributes: Dataset;
  readonly filmBoxes: Map<string, FilmBox>;
  /** Image boxes and annotation boxes by SOP Instance UID, with the film box they belong to. */
  readonly boxes: Map<string, { readonly attributes: Dataset; readonly film: FilmBox }>;
}

/** What the SCP keeps per association. */
export interface AssociationPrintState {
  session?: Session;
  readonly luts: PresentationLuts;
}

export function newState(): AssociationPrintState {
  return { luts: new PresentationLuts() };
}

/** Columns × rows of a STANDARD\C,R Image Display Format (PS3.3 C.13.8), or undefined. */
export function imageBoxCount(format: string | undefined): number | undefined {
  const m = /^STANDARD\\(\d+),(\d+)$/.exec(format ?? '');
  return m ? Number(m[1]) * Number(m[2]) : undefined;
}

/** Creates a film box with `images` image boxes of `imageBoxClass` and `annotations` annotation boxes. */
export function addFilmBox(session: Session, uid: string, attributes: Dataset, imageBoxClass: string, images: number, annotations: number): FilmBox {
  const film: FilmBox = { uid, attributes: { ...attributes, SOPInstanceUID: uid }, imageBoxes: [], annotationBoxes: [], printed: false };
  for (let i = 0; i < images; i++) {
    const box = generateUid();
    session.boxes.set(box, { attributes: { SOPClassUID: imageBoxClass, SOPInstanceUID: box, ImageBoxPosition: i + 1 }, film });
    film.imageBoxes.push(box);
  }
  for (let i = 0; i < annotations; i++) {
    const box = generateUid();
    session.boxes.set(box, { attributes: { SOPClassUID: PrintClass.annotationBox, SOPInstanceUID: box }, film });
    film.annotationBoxes.push(box);
  }
  session.filmBoxes.set(uid, film);
  return film;
}

/** Deletes a film box and its image and annotation boxes. */
export function deleteFilmBox(session: Session, film: FilmBox): void {
  for (const uid of [...film.imageBoxes, ...film.annotationBoxes]) session.boxes.delete(uid);
  session.filmBoxes.delete(film.uid);
}

/**
 * A copy of films to print: later N-SETs replace attributes of the working hierarchy, never
 * mutate them, so copying each data set's top level is enough (PS3.4 H.4.1.2.4.3).
 */
export function snapshot(state: AssociationPrintState, session: Session, films: Iterable<FilmBox>): PrintedFilm[] {
  return [...films].map((film) => {
    const imageBoxes = film.imageBoxes.map((u) => ({ ...session.boxes.get(u)!.attributes }));
    const presentationLuts: Record<string, Dataset> = {};
    for (const ds of [film.attributes, ...imageBoxes]) {
      const uid = referencedLut(ds);
      const lut = uid ? state.luts.get(uid) : undefined;
      if (uid && lut) presentationLuts[uid] = lut;
    }
    return {
      filmSession: { ...session.attributes },
      filmBox: { ...film.attributes },
      imageBoxes,
      annotationBoxes: film.annotationBoxes.map((u) => ({ ...session.boxes.get(u)!.attributes })),
      presentationLuts,
    };
  });
}

/** True when no image box of the films holds an image (an empty page, 0xB602/0xB603). */
export function isEmpty(films: readonly PrintedFilm[]): boolean {
  const hasImage = (b: Dataset) => [b.BasicGrayscaleImageSequence, b.BasicColorImageSequence].some((s) => Array.isArray(s) ? s.length > 0 : s !== undefined && s !== null);
  return films.every((f) => !f.imageBoxes.some(hasImage));
}

/**
 * Holds Min Density / Max Density to the printer's range: out of range values become its limits
 * and the answer is 0xB605 (PS3.4 H.4.2.2.1.2). Mutates `ds`.
 */
export function clampDensity(ds: Dataset, range: { min: number; max: number } | undefined): number | undefined {
  if (!range) return undefined;
  const set = (v: unknown) => v !== undefined && v !== null;
  const low = set(ds.MinDensity) && Number(ds.MinDensity) < range.min;
  const high = set(ds.MaxDensity) && Number(ds.MaxDensity) > range.max;
  if (low) ds.MinDensity = range.min;
  if (high) ds.MaxDensity = range.max;
  return low || high ? PrintStatus.DensityOutOfRange : undefined;
}
