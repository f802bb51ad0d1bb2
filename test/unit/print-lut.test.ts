/**
 * Presentation LUT SOP Class (PS3.4 H.4.9): N-CREATE (shape or LUT sequence) and N-DELETE on its
 * own context, referenced from film boxes and image boxes; the statuses of bad LUTs and bad
 * references. Memory pipes here; print-tcp reruns this file over TCP.
 */
import { describe, expect, it } from 'vitest';
import { CommandField } from '../../src/dimse/types';
import {
  PrintClass, createPresentationLut, deletePresentationLut, printFilmJob, printScp, type PrintedFilm,
} from '../../src/services/print';
import type { Dataset } from '../../src/scu/types';
import { pair, problemsIn, via } from './n-helpers';
import { filmSessionRef, grayImage, printerAe, printScuAe } from './print-helpers';

const lutSequence = (entries: number, bits: number, length = entries) => ({
  PresentationLUTSequence: [{ LUTDescriptor: [entries, 0, bits], LUTExplanation: 'GAMMA', LUTData: Array.from({ length }, (_, i) => i * 4) }],
});
const g = { context: PrintClass.grayscaleMeta };
const lutRef = (uid: string) => ({ ReferencedPresentationLUTSequence: [{ ReferencedSOPClassUID: PrintClass.presentationLut, ReferencedSOPInstanceUID: uid }] });

describe(`presentation LUT (${via()})`, () => {
  it('printFilmJob: N-CREATE the LUT on its context, reference it from the film box, print carries it, N-DELETE last', async () => {
    const printed: PrintedFilm[] = [];
    const p = await pair(printerAe(), printScp({ onPrint: (f) => void printed.push(...f) }), printScuAe());
    const result = await printFilmJob(p.scu, [grayImage()], { presentationLut: { PresentationLUTShape: 'LIN OD' } });
    expect(result.status).toBe(0);
    const uid = result.presentationLutUid!;
    expect(printed[0]!.filmBox.ReferencedPresentationLUTSequence).toMatchObject([{ ReferencedSOPInstanceUID: uid }]);
    expect(printed[0]!.presentationLuts[uid]).toMatchObject({ PresentationLUTShape: 'LIN OD' });
    const classes = p.sentByScu.map((c) => [c.CommandField, c.AffectedSOPClassUID ?? c.RequestedSOPClassUID]);
    expect(classes[0]).toEqual([CommandField['N-CREATE-RQ'], PrintClass.presentationLut]);
    expect(classes.at(-1)).toEqual([CommandField['N-DELETE-RQ'], PrintClass.presentationLut]);
    expect(p.sentByScp.filter((c) => (c.Status ?? 0) !== 0)).toEqual([]);
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
    await p.scu.release();
  });

  it('a LUT sequence of 256 × 12 bits or 4096 × 16 bits is accepted; each bad one is refused naming the attribute', async () => {
    const p = await pair(printerAe(), printScp(), printScuAe());
    expect((await createPresentationLut(p.scu, lutSequence(256, 12))).status).toBe(0);
    expect((await createPresentationLut(p.scu, lutSequence(4096, 16))).status).toBe(0);
    expect((await createPresentationLut(p.scu, { PresentationLUTShape: 'IDENTITY' })).status).toBe(0);
    const refused = async (ds: Dataset) => {
      const r = await createPresentationLut(p.scu, ds);
      return [r.status, r.command.OffendingElement];
    };
    expect(await refused(lutSequence(255, 12))).toEqual([0x0106, [0x00283002]]);
    expect(await refused(lutSequence(256, 8))).toEqual([0x0106, [0x00283002]]);
    expect(await refused(lutSequence(256, 12, 200))).toEqual([0x0106, [0x00283006]]);
    expect(await refused({ PresentationLUTShape: 'INVERSE' })).toEqual([0x0106, [0x20500020]]);
    expect(await refused({ ...lutSequence(256, 12), PresentationLUTShape: 'IDENTITY' })).toEqual([0x0106, [0x20500010, 0x20500020]]);
    expect(await refused({})).toEqual([0x0120, [0x20500010, 0x20500020]]);
    // PS3.7 C.5.13: the Attribute Identifier List names them too.
    expect((await createPresentationLut(p.scu, {})).command.AttributeIdentifierList).toEqual([0x20500010, 0x20500020]);
    const noDescriptor = lutSequence(256, 12);
    delete (noDescriptor.PresentationLUTSequence as Dataset[])[0]!.LUTDescriptor;
    const short = await createPresentationLut(p.scu, noDescriptor);
    expect([short.status, short.command.AttributeIdentifierList, short.command.OffendingElement]).toEqual([0x0120, [0x00283002], [0x00283002]]);
    await p.scu.release();
  });

  it('Implicit VR Little Endian: LUT Data arrives without its VR and is still counted right', async () => {
    const implicit = ['1.2.840.10008.1.2'];
    const scu = printScuAe([PrintClass.grayscaleMeta]).addRequestedContext(PrintClass.presentationLut, implicit);
    const p = await pair(printerAe(), printScp(), scu);
    expect(p.scu.findContext(PrintClass.presentationLut).transferSyntax).toBe(implicit[0]);
    expect((await createPresentationLut(p.scu, lutSequence(256, 12))).status).toBe(0);
    expect((await createPresentationLut(p.scu, lutSequence(256, 12, 255))).status).toBe(0x0106);
    await p.scu.release();
  });

  it('references: unknown or deleted LUT refused (0x0106 naming (2050,0500)) in film box N-CREATE/N-SET and image box N-SET; a film keeps a LUT deleted after it was referenced', async () => {
    const printed: PrintedFilm[] = [];
    const p = await pair(printerAe(), printScp({ onPrint: (f) => void printed.push(...f) }), printScuAe());
    const lut = (await createPresentationLut(p.scu, { PresentationLUTShape: 'IDENTITY' })).sopInstanceUid!;
    const other = (await createPresentationLut(p.scu, lutSequence(256, 10))).sopInstanceUid!;
    const session = (await p.scu.nCreate(PrintClass.filmSession, undefined, {}, g)).sopInstanceUid!;
    const base = { ...filmSessionRef(session), ImageDisplayFormat: 'STANDARD\\1,1' };
    const unknown = await p.scu.nCreate(PrintClass.filmBox, undefined, { ...base, ...lutRef('1.2.404') }, g);
    expect([unknown.status, unknown.command.OffendingElement]).toEqual([0x0106, [0x20500500]]);
    const box = await p.scu.nCreate(PrintClass.filmBox, undefined, { ...base, ...lutRef(lut) }, g);
    expect(box.status).toBe(0);
    const image = (box.dataset!.ReferencedImageBoxSequence as Dataset[])[0]!;
    const setImage = (extra: Dataset) =>
      p.scu.nSet(PrintClass.grayscaleImageBox, String(image.ReferencedSOPInstanceUID), { ImageBoxPosition: 1, BasicGrayscaleImageSequence: [grayImage()], ...extra }, g);
    expect((await setImage(lutRef('1.2.404'))).status).toBe(0x0106);
    expect((await setImage(lutRef(other))).status).toBe(0);
    expect((await p.scu.nSet(PrintClass.filmBox, box.sopInstanceUid!, lutRef('1.2.405'), g)).status).toBe(0x0106);

    // N-DELETE: no new references to it, but the film box made before still prints with it (PS3.4 H.4.9.2.2.2).
    expect((await deletePresentationLut(p.scu, lut)).status).toBe(0);
    expect((await deletePresentationLut(p.scu, lut)).status).toBe(0x0112);
    expect((await p.scu.nCreate(PrintClass.filmBox, undefined, { ...base, ...lutRef(lut) }, g)).status).toBe(0x0106);
    expect((await p.scu.nAction(PrintClass.filmBox, box.sopInstanceUid!, 1, null, g)).status).toBe(0);
    expect(Object.keys(printed[0]!.presentationLuts).sort()).toEqual([lut, other].sort());
    expect(printed[0]!.presentationLuts[other]).toMatchObject({ PresentationLUTSequence: [{ LUTDescriptor: [256, 0, 10], LUTExplanation: 'GAMMA' }] });
    await p.scu.release();
  });
});
