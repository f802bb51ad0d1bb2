/**
 * The PS3.4 Annex H statuses the print SCP gives (H.4.1-H.4.3): image box pixel checks and image
 * size (0xC603, 0xB609, 0xB60A), densities (0xB605), memory allocation (0xB600), collation and
 * film session printing (0xB601, 0x0211, 0xC616), empty pages, and missing or bad mandatory
 * attributes (0x0120/0x0106 with Offending Element, 0x0120 also with the Attribute Identifier
 * List). Memory pipes here; print-tcp reruns this file.
 */
import { describe, expect, it } from 'vitest';
import { PRINT_STATUS_MEANINGS, PrintClass, PrintStatus, printScp, type PrintedFilm, type PrintScpOptions } from '../../src/services/print';
import { describeServiceStatus } from '../../src/services/service-statuses';
import type { Association } from '../../src/association';
import type { Dataset } from '../../src/scu/types';
import { pair, via } from './n-helpers';
import { colorImage, filmSessionRef, grayImage, printerAe, printScuAe } from './print-helpers';

const g = { context: PrintClass.grayscaleMeta };

/** A session with one film box of `format` on a fresh pair; image box UIDs in position order. */
async function filmBox(options: PrintScpOptions = {}, format = 'STANDARD\\1,1', extra: Dataset = {}) {
  const printed: PrintedFilm[] = [];
  const p = await pair(printerAe(), printScp({ ...options, onPrint: (f) => void printed.push(...f) }), printScuAe([PrintClass.grayscaleMeta, PrintClass.colorMeta]));
  const session = (await p.scu.nCreate(PrintClass.filmSession, undefined, {}, g)).sopInstanceUid!;
  const box = await p.scu.nCreate(PrintClass.filmBox, undefined, { ...filmSessionRef(session), ImageDisplayFormat: format, ...extra }, g);
  const boxes = ((box.dataset?.ReferencedImageBoxSequence ?? []) as Dataset[]).map((r) => String(r.ReferencedSOPInstanceUID));
  return { p, scu: p.scu, session, box, boxes, printed };
}
const setImage = (scu: Association, uid: string, image: Dataset | null, extra: Dataset = {}) =>
  scu.nSet(PrintClass.grayscaleImageBox, uid, { ImageBoxPosition: 1, BasicGrayscaleImageSequence: image ? [image] : [], ...extra }, g);
const outcome = (r: { status: number; command: { OffendingElement?: number[] } }) => [r.status, r.command.OffendingElement];
/** A 0x0120 answer names its tags in the Attribute Identifier List (PS3.7 C.5.13) and in Offending Element. */
const named = (r: { status: number; command: { AttributeIdentifierList?: number[]; OffendingElement?: number[] } }) =>
  [r.status, r.command.AttributeIdentifierList, r.command.OffendingElement];

describe(`print statuses (${via()})`, () => {
  it('image box N-SET: each wrong pixel description is refused naming its attribute; a valid 12-bit image is taken', async () => {
    const { scu, boxes, p } = await filmBox();
    const [uid] = boxes as [string];
    const bad = async (change: Dataset) => outcome(await setImage(scu, uid, { ...grayImage(), ...change }));
    expect(await bad({ SamplesPerPixel: 3 })).toEqual([0x0106, [0x00280002]]);
    expect(await bad({ PhotometricInterpretation: 'RGB' })).toEqual([0x0106, [0x00280004]]);
    expect(await bad({ BitsStored: 10, HighBit: 9 })).toEqual([0x0106, [0x00280100, 0x00280101]]);
    expect(await bad({ HighBit: 6 })).toEqual([0x0106, [0x00280102]]);
    expect(await bad({ PixelRepresentation: 1 })).toEqual([0x0106, [0x00280103]]);
    // (An odd length would come padded to even: 2 bytes for a 2x2 image is short either way.)
    expect(await bad({ PixelData: [new Uint8Array(2).buffer] })).toEqual([0x0106, [0x7fe00010]]);
    expect(await bad({ PixelData: [new Uint8Array(6).buffer] })).toEqual([0x0106, [0x7fe00010]]);
    const noRows = { ...grayImage() };
    delete noRows.Rows;
    expect(named(await setImage(scu, uid, noRows))).toEqual([0x0120, [0x00280010], [0x00280010]]);
    // 12 bits stored in 16 (PS3.3 C.13.5.1).
    const twelve = { ...grayImage(2, 2), BitsAllocated: 16, BitsStored: 12, HighBit: 11, PixelData: [new Uint8Array(8).buffer] };
    expect((await setImage(scu, uid, twelve)).status).toBe(0);
    // Position and polarity; a color image on a grayscale box.
    expect(outcome(await setImage(scu, uid, grayImage(), { ImageBoxPosition: 2 }))).toEqual([0x0106, [0x20200010]]);
    expect(named(await scu.nSet(PrintClass.grayscaleImageBox, uid, { BasicGrayscaleImageSequence: [grayImage()] }, g))).toEqual([0x0120, [0x20200010], [0x20200010]]);
    expect(outcome(await setImage(scu, uid, grayImage(), { Polarity: 'SIDEWAYS' }))).toEqual([0x0106, [0x20200020]]);
    const colorOnGray = await scu.nSet(PrintClass.grayscaleImageBox, uid, { ImageBoxPosition: 1, BasicColorImageSequence: [colorImage()] }, g);
    expect(outcome(colorOnGray)).toEqual([0x0105, [0x20200111]]);
    expect(colorOnGray.command.AttributeIdentifierList).toEqual([0x20200111]);
    expect(named(await scu.nSet(PrintClass.grayscaleImageBox, uid, { ImageBoxPosition: 1 }, g))).toEqual([0x0120, [0x20200110], [0x20200110]]);
    await p.scu.release();
  });

  it('color image boxes need RGB, 3 samples and a Planar Configuration', async () => {
    const p = await pair(printerAe(), printScp(), printScuAe([PrintClass.colorMeta]));
    const c = { context: PrintClass.colorMeta };
    const session = (await p.scu.nCreate(PrintClass.filmSession, undefined, {}, c)).sopInstanceUid!;
    const box = await p.scu.nCreate(PrintClass.filmBox, undefined, { ...filmSessionRef(session), ImageDisplayFormat: 'STANDARD\\1,1' }, c);
    const ref = (box.dataset!.ReferencedImageBoxSequence as Dataset[])[0]!;
    expect(ref.ReferencedSOPClassUID).toBe(PrintClass.colorImageBox);
    const set = (image: Dataset) => p.scu.nSet(PrintClass.colorImageBox, String(ref.ReferencedSOPInstanceUID), { ImageBoxPosition: 1, BasicColorImageSequence: [image] }, c);
    const noPlanar = { ...colorImage() };
    delete noPlanar.PlanarConfiguration;
    expect(named(await set(noPlanar))).toEqual([0x0120, [0x00280006], [0x00280006]]);
    expect(outcome(await set({ ...colorImage(), PlanarConfiguration: 2 }))).toEqual([0x0106, [0x00280006]]);
    expect(outcome(await set({ ...grayImage(), PlanarConfiguration: 0 }))).toEqual([0x0106, [0x00280002]]);
    expect((await set(colorImage())).status).toBe(0);
    await p.scu.release();
  });

  it('an image larger than the image box: 0xC603 by default or with FAIL, 0xB609 cropped, 0xB60A decimated, 0xC603 decimating with magnification NONE', async () => {
    const { scu, boxes, p, printed, box } = await filmBox({ imageBoxSize: { rows: 4, columns: 4 } });
    const [uid] = boxes as [string];
    const big = grayImage(4, 8);
    expect((await setImage(scu, uid, big)).status).toBe(PrintStatus.ImageTooLarge);
    expect((await setImage(scu, uid, big, { RequestedDecimateCropBehavior: 'FAIL' })).status).toBe(PrintStatus.ImageTooLarge);
    expect((await setImage(scu, uid, big, { RequestedDecimateCropBehavior: 'DECIMATE', MagnificationType: 'NONE' })).status).toBe(PrintStatus.ImageTooLarge);
    expect((await setImage(scu, uid, big, { RequestedDecimateCropBehavior: 'DECIMATE' })).status).toBe(PrintStatus.ImageDecimated);
    expect((await setImage(scu, uid, big, { RequestedDecimateCropBehavior: 'CROP' })).status).toBe(PrintStatus.ImageCropped);
    expect((await setImage(scu, uid, grayImage(4, 4))).status).toBe(0);
    // A refused image leaves the box as it was; a warning stores it.
    await setImage(scu, uid, big, { RequestedDecimateCropBehavior: 'CROP' });
    await setImage(scu, uid, grayImage(8, 8));
    expect((await scu.nAction(PrintClass.filmBox, box.sopInstanceUid!, 1, null, g)).status).toBe(0);
    expect(printed[0]!.imageBoxes[0]!).toMatchObject({ RequestedDecimateCropBehavior: 'CROP', BasicGrayscaleImageSequence: [{ Rows: 4, Columns: 8 }] });
    await p.scu.release();
  });

  it('density out of the printer range: 0xB605 and the printer limit kept (film box N-CREATE/N-SET, image box N-SET)', async () => {
    const { scu, box, boxes, p, printed } = await filmBox({ densityRange: { min: 20, max: 300 } }, 'STANDARD\\1,1', { MinDensity: 10, MaxDensity: 250 });
    expect(box.status).toBe(PrintStatus.DensityOutOfRange);
    expect(box.dataset).toMatchObject({ MinDensity: 20, MaxDensity: 250 });
    expect((await scu.nSet(PrintClass.filmBox, box.sopInstanceUid!, { MaxDensity: 400 }, g)).status).toBe(PrintStatus.DensityOutOfRange);
    expect((await scu.nSet(PrintClass.filmBox, box.sopInstanceUid!, { MaxDensity: 280 }, g)).status).toBe(0);
    expect((await setImage(scu, boxes[0]!, grayImage(), { MaxDensity: 999 })).status).toBe(PrintStatus.DensityOutOfRange);
    await scu.nAction(PrintClass.filmBox, box.sopInstanceUid!, 1, null, g);
    expect(printed[0]!.filmBox).toMatchObject({ MinDensity: 20, MaxDensity: 280 });
    expect(printed[0]!.imageBoxes[0]).toMatchObject({ MaxDensity: 300 });
    await p.scu.release();
  });

  it('film session: 0xB600 for Memory Allocation; 0xC600 with no film box; 0xB602 empty page; 0xB603 after erasing the only image', async () => {
    const p = await pair(printerAe(), printScp(), printScuAe([PrintClass.grayscaleMeta]));
    const session = await p.scu.nCreate(PrintClass.filmSession, undefined, { MemoryAllocation: 4096 }, g);
    expect(session.status).toBe(PrintStatus.MemoryAllocationNotSupported);
    const uid = session.sopInstanceUid!;
    expect((await p.scu.nSet(PrintClass.filmSession, uid, { MemoryAllocation: 1 }, g)).status).toBe(PrintStatus.MemoryAllocationNotSupported);
    expect((await p.scu.nSet(PrintClass.filmSession, uid, { NumberOfCopies: 2 }, g)).status).toBe(0);
    expect((await p.scu.nAction(PrintClass.filmSession, uid, 1, null, g)).status).toBe(PrintStatus.NoFilmBox);
    const box = await p.scu.nCreate(PrintClass.filmBox, undefined, { ...filmSessionRef(uid), ImageDisplayFormat: 'STANDARD\\1,1' }, g);
    expect((await p.scu.nAction(PrintClass.filmSession, uid, 1, null, g)).status).toBe(PrintStatus.EmptyFilmSession);
    const image = String((box.dataset!.ReferencedImageBoxSequence as Dataset[])[0]!.ReferencedSOPInstanceUID);
    expect((await setImage(p.scu, image, grayImage())).status).toBe(0);
    expect((await p.scu.nAction(PrintClass.filmSession, uid, 1, null, g)).status).toBe(0);
    // A zero-length image sequence erases the image (PS3.4 H.4.3.1.2.1.3).
    expect((await setImage(p.scu, image, null)).status).toBe(0);
    expect((await p.scu.nAction(PrintClass.filmBox, box.sopInstanceUid!, 1, null, g)).status).toBe(PrintStatus.EmptyFilmBox);
    expect((await p.scu.nAction(PrintClass.filmBox, box.sopInstanceUid!, 2, null, g)).status).toBe(0x0123);
    await p.scu.release();
  });

  it('N-SET changes only what PS3.4 H.4 lets it (Tables H.4-2, H.4-7, H.4-10, H.4-13): anything else is 0x0105 naming it, and nothing changes', async () => {
    const { p, scu, session, box, boxes, printed } = await filmBox();
    const film = box.sopInstanceUid!;
    // Film box: layout, the film session reference and the identity belong to N-CREATE.
    const layout = await scu.nSet(PrintClass.filmBox, film, { ImageDisplayFormat: 'STANDARD\\2,2', ...filmSessionRef('9.9'), SOPInstanceUID: '7.7', MagnificationType: 'CUBIC' }, g);
    expect(outcome(layout)).toEqual([0x0105, [0x20100010, 0x20100500, 0x00080018]]);
    expect((await scu.nSet(PrintClass.filmBox, film, { MagnificationType: 'CUBIC', Trim: 'YES', BorderDensity: 'WHITE', SpecificCharacterSet: 'ISO_IR 100' }, g)).status).toBe(0);
    // Film session: its N-CREATE attributes (H.4.1.2.2.1), not e.g. a Film Box reference or another UID.
    const identity = await scu.nSet(PrintClass.filmSession, session, { NumberOfCopies: 3, SOPInstanceUID: '7.8' }, g);
    expect(outcome(identity)).toEqual([0x0105, [0x00080018]]);
    // PS3.7 C.5.17: No Such Attribute names the tags in the Attribute Identifier List (and, as before, Offending Element).
    expect(identity.command.AttributeIdentifierList).toEqual([0x00080018]);
    expect((await scu.nSet(PrintClass.filmSession, session, { NumberOfCopies: 2, FilmSessionLabel: 'L' }, g)).status).toBe(0);
    // Image box: not the film box's attributes, nor its own identity.
    expect(outcome(await setImage(scu, boxes[0]!, grayImage(), { ImageDisplayFormat: 'STANDARD\\1,2', SOPClassUID: PrintClass.colorImageBox }))).toEqual([0x0105, [0x20100010, 0x00080016]]);
    expect((await setImage(scu, boxes[0]!, grayImage(), { Polarity: 'REVERSE', MinDensity: 20 })).status).toBe(0);
    expect((await scu.nAction(PrintClass.filmBox, film, 1, null, g)).status).toBe(0);
    const [printedFilm] = printed as [PrintedFilm];
    expect(printedFilm.filmBox).toMatchObject({ ImageDisplayFormat: 'STANDARD\\1,1', SOPInstanceUID: film, MagnificationType: 'CUBIC', Trim: 'YES' });
    expect(printedFilm.filmBox.ReferencedFilmSessionSequence).toEqual([expect.objectContaining({ ReferencedSOPInstanceUID: session })]);
    expect(printedFilm.filmSession).toMatchObject({ SOPInstanceUID: session, NumberOfCopies: 2, FilmSessionLabel: 'L' });
    expect(printedFilm.imageBoxes).toEqual([expect.objectContaining({ SOPClassUID: PrintClass.grayscaleImageBox, Polarity: 'REVERSE' })]);
    expect(printedFilm.imageBoxes[0]!.ImageDisplayFormat).toBeUndefined();
    await p.scu.release();
  });

  it('film box N-CREATE: missing or wrong Referenced Film Session Sequence, missing Image Display Format, no film session', async () => {
    const p = await pair(printerAe(), printScp(), printScuAe([PrintClass.grayscaleMeta]));
    expect((await p.scu.nCreate(PrintClass.filmBox, undefined, { ImageDisplayFormat: 'STANDARD\\1,1' }, g)).status).toBe(0x0110);
    const uid = (await p.scu.nCreate(PrintClass.filmSession, undefined, {}, g)).sopInstanceUid!;
    expect((await p.scu.nCreate(PrintClass.filmSession, undefined, {}, g)).status).toBe(0x0111);
    expect(named(await p.scu.nCreate(PrintClass.filmBox, undefined, { ImageDisplayFormat: 'STANDARD\\1,1' }, g))).toEqual([0x0120, [0x20100500], [0x20100500]]);
    // Not for 0x0106: the list belongs to the attribute-list statuses only.
    expect(named(await p.scu.nCreate(PrintClass.filmBox, undefined, { ...filmSessionRef('1.2.404'), ImageDisplayFormat: 'STANDARD\\1,1' }, g))).toEqual([0x0106, undefined, [0x20100500]]);
    expect(named(await p.scu.nCreate(PrintClass.filmBox, undefined, filmSessionRef(uid), g))).toEqual([0x0120, [0x20100010], [0x20100010]]);
    // Operations the classes do not have.
    expect((await p.scu.nCreate(PrintClass.printJob, undefined, {}, g)).status).toBe(0x0211);
    expect((await p.scu.nCreate('1.2.3.4', undefined, {}, g)).status).toBe(0x0118);
    await p.scu.release();
  });

  it("filmSessionPrint 'unsupported': film session N-ACTION 0x0211, a second film box 0xC616 until the first is printed; 'uncollated': 0xB601 with copies", async () => {
    const { scu, session, box, boxes, p } = await filmBox({ filmSessionPrint: 'unsupported' });
    await setImage(scu, boxes[0]!, grayImage());
    expect((await scu.nAction(PrintClass.filmSession, session, 1, null, g)).status).toBe(0x0211);
    const next = { ...filmSessionRef(session), ImageDisplayFormat: 'STANDARD\\1,1' };
    expect((await scu.nCreate(PrintClass.filmBox, undefined, next, g)).status).toBe(PrintStatus.UnprintedFilmBox);
    expect((await scu.nAction(PrintClass.filmBox, box.sopInstanceUid!, 1, null, g)).status).toBe(0);
    expect((await scu.nCreate(PrintClass.filmBox, undefined, next, g)).status).toBe(0);
    await p.scu.release();

    const u = await filmBox({ filmSessionPrint: 'uncollated' });
    await setImage(u.scu, u.boxes[0]!, grayImage());
    expect((await u.scu.nAction(PrintClass.filmSession, u.session, 1, null, g)).status).toBe(0);
    await u.scu.nSet(PrintClass.filmSession, u.session, { NumberOfCopies: 3 }, g);
    expect((await u.scu.nAction(PrintClass.filmSession, u.session, 1, null, g)).status).toBe(PrintStatus.CollationNotSupported);
    expect(u.printed).toHaveLength(2);
    await u.scu.release();
  });

  it('every PrintStatus has a meaning', () => {
    for (const code of Object.values(PrintStatus)) expect(PRINT_STATUS_MEANINGS[code]).toBeTruthy();
    expect(describeServiceStatus(0xc603, PRINT_STATUS_MEANINGS)).toMatch(/larger than the image box/);
  });
});
