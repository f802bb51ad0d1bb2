/**
 * Basic Annotation Box SOP Class (PS3.4 H.4.4): created with the film box per Annotation Display
 * Format ID when the class is negotiated, then N-SET by the SCU. Memory pipes here; print-tcp
 * reruns this file over TCP.
 */
import { describe, expect, it } from 'vitest';
import { PrintClass, printFilmJob, printScp, type PrintedFilm } from '../../src/services/print';
import type { Dataset } from '../../src/scu/types';
import { pair, problemsIn, via } from './n-helpers';
import { filmSessionRef, grayImage, printerAe, printScuAe } from './print-helpers';

const formats = { LABEL: 1, TWO: 2 };
const g = { context: PrintClass.grayscaleMeta };
const a = { context: PrintClass.annotationBox };

describe(`annotation boxes (${via()})`, () => {
  it('printFilmJob: the film box lists 2 annotation boxes for format TWO; their texts are printed with the film', async () => {
    const printed: PrintedFilm[] = [];
    const p = await pair(printerAe(), printScp({ annotationFormats: formats, onPrint: (f) => void printed.push(...f) }), printScuAe());
    const result = await printFilmJob(p.scu, [grayImage()], { filmBox: { AnnotationDisplayFormatID: 'TWO' }, annotations: ['PATIENT^A', 'R'] });
    expect(result.status).toBe(0);
    const boxes = printed[0]!.annotationBoxes;
    expect(boxes.map((b) => [b.SOPClassUID, b.AnnotationPosition, b.TextString])).toEqual([
      [PrintClass.annotationBox, 1, 'PATIENT^A'],
      [PrintClass.annotationBox, 2, 'R'],
    ]);
    const sets = p.sentByScu.filter((c) => c.RequestedSOPClassUID === PrintClass.annotationBox);
    expect(sets).toHaveLength(2);
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
    await p.scu.release();
  });

  it('statuses: unknown format 0x0106 (2010,0030); Annotation Position missing 0x0120, out of range 0x0106; other attributes 0x0105; no annotation boxes without the class', async () => {
    const p = await pair(printerAe(), printScp({ annotationFormats: formats }), printScuAe());
    const session = (await p.scu.nCreate(PrintClass.filmSession, undefined, {}, g)).sopInstanceUid!;
    const base = { ...filmSessionRef(session), ImageDisplayFormat: 'STANDARD\\1,1' };
    const unknown = await p.scu.nCreate(PrintClass.filmBox, undefined, { ...base, AnnotationDisplayFormatID: 'FOUR' }, g);
    expect([unknown.status, unknown.command.OffendingElement]).toEqual([0x0106, [0x20100030]]);
    // No format ID: the first configured one (LABEL, one box).
    const box = await p.scu.nCreate(PrintClass.filmBox, undefined, base, g);
    const refs = box.dataset!.ReferencedBasicAnnotationBoxSequence as Dataset[];
    expect(refs).toHaveLength(1);
    const uid = String(refs[0]!.ReferencedSOPInstanceUID);
    const missing = await p.scu.nSet(PrintClass.annotationBox, uid, { TextString: 'X' }, a);
    expect([missing.status, missing.command.AttributeIdentifierList, missing.command.OffendingElement]).toEqual([0x0120, [0x20300010], [0x20300010]]);
    const outside = await p.scu.nSet(PrintClass.annotationBox, uid, { AnnotationPosition: 2, TextString: 'X' }, a);
    expect([outside.status, outside.command.OffendingElement]).toEqual([0x0106, [0x20300010]]);
    expect((await p.scu.nSet(PrintClass.annotationBox, uid, { AnnotationPosition: 1, TextString: 'X' }, a)).status).toBe(0);
    // Only Annotation Position and Text String may be set (PS3.4 Table H.4-13).
    const other = await p.scu.nSet(PrintClass.annotationBox, uid, { AnnotationPosition: 1, TextString: 'Y', SOPInstanceUID: '7.7' }, a);
    expect([other.status, other.command.OffendingElement]).toEqual([0x0105, [0x00080018]]);
    expect((await p.scu.nSet(PrintClass.annotationBox, '1.2.404', { AnnotationPosition: 1 }, a)).status).toBe(0x0112);
    await p.scu.release();

    // Without the Basic Annotation Box context the film box has none (PS3.4 Table H.4-6).
    const q = await pair(printerAe(), printScp({ annotationFormats: formats }), printScuAe([PrintClass.grayscaleMeta]));
    const s2 = (await q.scu.nCreate(PrintClass.filmSession, undefined, {}, g)).sopInstanceUid!;
    const plain = await q.scu.nCreate(PrintClass.filmBox, undefined, { ...filmSessionRef(s2), ImageDisplayFormat: 'STANDARD\\1,1', AnnotationDisplayFormatID: 'TWO' }, g);
    expect(plain.status).toBe(0);
    expect(plain.dataset!.ReferencedBasicAnnotationBoxSequence).toBeUndefined();
    expect((await q.scu.nDelete(PrintClass.filmSession, s2, g)).status).toBe(0);
    await expect(printFilmJob(q.scu, [grayImage()], { annotations: ['X'] })).rejects.toThrow(/0 annotation boxes for 1/);
    await q.scu.release();
  });
});
