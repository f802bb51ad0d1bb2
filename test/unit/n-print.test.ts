/**
 * Basic Grayscale / Color Print Management (PS3.4 Annex H) over memory pairs: component SOP
 * classes on meta SOP class contexts, film session → film box → image boxes → print → delete.
 */
import { describe, expect, it } from 'vitest';
import { CommandField } from '../../src/dimse/types';
import { PRINTER_INSTANCE, PrintClass, imageBoxCount, printFilm, printScp, type PrintedFilm } from '../../src/services/print';
import { ae, pair, problemsIn, via } from './n-helpers';

const image = (n: number) => ({ SamplesPerPixel: 1, PhotometricInterpretation: 'MONOCHROME2', Rows: 2, Columns: 2, BitsAllocated: 8, BitsStored: 8, HighBit: 7, PixelRepresentation: 0, PixelData: [new Uint8Array([n, n, n, n]).buffer] });
const printerAe = () => ae('PRINTER').addSupportedContext(PrintClass.grayscaleMeta).addSupportedContext(PrintClass.colorMeta);

describe(`print management (${via()})`, () => {
  it('printFilm: session, film box with two image boxes, N-SETs, print, delete — all on the meta context', async () => {
    const printed: PrintedFilm[][] = [];
    const p = await pair(printerAe(), printScp({ onPrint: (f) => void printed.push(f) }), ae('SCU').addRequestedContext(PrintClass.grayscaleMeta));
    const status = await printFilm(p.scu, [image(1), image(2)], { filmBox: { ImageDisplayFormat: 'STANDARD\\2,1', FilmOrientation: 'PORTRAIT' } });
    expect(status).toBe(0);
    expect(printed).toHaveLength(1);
    const [film] = printed[0]!;
    // ST: one value, its backslash included (PS3.5 §6.4).
    expect(film!.filmBox).toMatchObject({ ImageDisplayFormat: 'STANDARD\\2,1', FilmOrientation: 'PORTRAIT' });
    expect(film!.imageBoxes.map((b) => b.ImageBoxPosition)).toEqual([1, 2]);
    expect(film!.imageBoxes.every((b) => Array.isArray(b.BasicGrayscaleImageSequence))).toBe(true);
    expect(film!.filmSession).toMatchObject({ NumberOfCopies: 1 });
    // Every command names a component class while the context is the meta class.
    const classes = p.sentByScu.map((c) => c.AffectedSOPClassUID ?? c.RequestedSOPClassUID);
    expect(classes).toEqual([PrintClass.filmSession, PrintClass.filmBox, PrintClass.grayscaleImageBox, PrintClass.grayscaleImageBox, PrintClass.filmBox, PrintClass.filmSession]);
    expect(p.sentByScu.map((c) => c.CommandField)).toEqual([
      CommandField['N-CREATE-RQ'], CommandField['N-CREATE-RQ'], CommandField['N-SET-RQ'], CommandField['N-SET-RQ'], CommandField['N-ACTION-RQ'], CommandField['N-DELETE-RQ'],
    ]);
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
    await p.scu.release();
  });

  it('color print uses Basic Color Image Boxes; printer N-GET on the well-known instance', async () => {
    let printed: PrintedFilm[] = [];
    const p = await pair(printerAe(), printScp({ onPrint: (f) => void (printed = f) }), ae('SCU').addRequestedContext(PrintClass.colorMeta));
    expect(await printFilm(p.scu, [{ ...image(3), SamplesPerPixel: 3, PhotometricInterpretation: 'RGB', PlanarConfiguration: 0, PixelData: [new Uint8Array(12).fill(3).buffer] }], { color: true })).toBe(0);
    expect(printed[0]!.imageBoxes[0]!.SOPClassUID).toBe(PrintClass.colorImageBox);
    const printer = await p.scu.nGet(PrintClass.printer, PRINTER_INSTANCE, [0x21100010], { context: PrintClass.colorMeta });
    expect(printer.status).toBe(0);
    expect(printer.dataset).toMatchObject({ PrinterStatus: 'NORMAL', SOPInstanceUID: PRINTER_INSTANCE });
    await p.scu.release();
  });

  it('statuses: 0xC600 printing a session without film boxes, 0xB603 empty film box, 0x0106 bad display format, 0x0112 unknown box', async () => {
    const p = await pair(printerAe(), printScp(), ae('SCU').addRequestedContext(PrintClass.grayscaleMeta));
    const o = { context: PrintClass.grayscaleMeta };
    const session = await p.scu.nCreate(PrintClass.filmSession, undefined, {}, o);
    expect(session.status).toBe(0);
    expect((await p.scu.nAction(PrintClass.filmSession, session.sopInstanceUid!, 1, null, o)).status).toBe(0xc600);
    const ref = { ReferencedFilmSessionSequence: [{ ReferencedSOPClassUID: PrintClass.filmSession, ReferencedSOPInstanceUID: session.sopInstanceUid }] };
    const bad = await p.scu.nCreate(PrintClass.filmBox, undefined, { ...ref, ImageDisplayFormat: 'ROW\\2' }, o);
    expect(bad.status).toBe(0x0106);
    expect(bad.command.OffendingElement).toEqual([0x20100010]);
    const box = await p.scu.nCreate(PrintClass.filmBox, undefined, { ...ref, ImageDisplayFormat: 'STANDARD\\2,2' }, o);
    expect((box.dataset!.ReferencedImageBoxSequence as unknown[]).length).toBe(4);
    expect((await p.scu.nAction(PrintClass.filmBox, box.sopInstanceUid!, 1, null, o)).status).toBe(0xb603);
    expect((await p.scu.nSet(PrintClass.grayscaleImageBox, '1.2.404', { ImageBoxPosition: 1 }, o)).status).toBe(0x0112);
    expect((await p.scu.nDelete(PrintClass.filmBox, box.sopInstanceUid!, o)).status).toBe(0);
    expect((await p.scu.nAction(PrintClass.filmBox, box.sopInstanceUid!, 1, null, o)).status).toBe(0x0112);
    await p.scu.release();
    expect(imageBoxCount('STANDARD\\3,4')).toBe(12);
  });
});
