/**
 * DIMSE-N interop with DCMTK. DCMTK has no generic N-GET/N-ACTION tool, but its print tools are
 * real DIMSE-N peers. Our print SCU (printFilm, printer N-GET, Presentation LUT) talks to its
 * Basic Grayscale Print SCP (dcmprscp), which stores each print as a Stored Print object; its print
 * SCU (dcmprscu) sends such a Stored Print to our print SCP (printScp) with a Presentation LUT and
 * an annotation box, and answers our printer N-EVENT-REPORT. Neither DCMTK tool negotiates the
 * Print Job or Printer Configuration Retrieval SOP classes, so those are tested netdicom ↔ netdicom.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectTcp, listenTcp } from '../../adapters/node';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import {
  PRINTER_INSTANCE, PrintClass, deletePresentationLut, printFilm, printFilmJob, printScp,
  type PrintedFilm, type PrinterReport,
} from '../../src/services/print';
import { ServiceContexts } from '../../src/services/service-contexts';
import type { Dataset } from '../../src/scu/types';
import { run } from './helpers/dcmtk';
import { freePort, killAll, start, waitForPort } from './helpers/store-harness';

const CONFIG = '/etc/dcmtk/dcmpstat.cfg';
const available = existsSync('/usr/bin/dcmprscp') && existsSync('/usr/bin/dcmprscu') && existsSync(CONFIG);

const made: string[] = [];
afterAll(async () => {
  await killAll();
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const image: Dataset = {
  SamplesPerPixel: 1,
  PhotometricInterpretation: 'MONOCHROME2',
  Rows: 8,
  Columns: 8,
  BitsAllocated: 8,
  BitsStored: 8,
  HighBit: 7,
  PixelRepresentation: 0,
  PixelData: [new Uint8Array(64).map((_, i) => i * 4).buffer],
};

/**
 * A directory with the shipped dcmpstat.cfg: the IHEFULL printer (dcmprscp) on `port`, and a
 * PRINTER entry NETPRINT for dcmprscu pointing at our SCP on `ourPort` (Presentation LUT and
 * Basic Annotation Box on).
 */
function configure(port: number, ourPort = 0): { dir: string; config: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'netdicom-print-'));
  made.push(dir);
  for (const sub of ['spool', 'db', 'log']) mkdirSync(path.join(dir, sub));
  const netprint = [
    '[NETPRINT]', 'Aetitle = NETPRINT', 'Description = netdicom print SCP', 'Hostname = 127.0.0.1', `Port = ${ourPort}`, 'Type = PRINTER',
    'DisplayFormat=1,1\\1,2', 'Supports12Bit = true', 'SupportsPresentationLUT = true', 'PresentationLUTMatchRequired = false',
    'PresentationLUTPreferSCPRendering = true', 'Annotation = 1\\ANNOTATION', '',
  ].join('\n');
  const text = readFileSync(CONFIG, 'latin1')
    .replace(/^Port = 10005$/m, `Port = ${port}`)
    .replace(/^Directory = spool$/m, `Directory = ${dir}/spool`)
    .replace(/^Directory = database$/m, `Directory = ${dir}/db`)
    .replace(/^LogDirectory = log$/m, `LogDirectory = ${dir}/log`)
    .replace(/^\[IHEFULL\]$/m, `${netprint}\n[IHEFULL]`);
  const config = path.join(dir, 'dcmpstat.cfg');
  writeFileSync(config, text);
  return { dir, config };
}

/** dcmprscp as the IHEFULL printer, and an association to it proposing `classes`. */
async function dcmprscp(classes: string[], ourPort = 0): Promise<{ dir: string; config: string; association: Association }> {
  const port = await freePort();
  const { dir, config } = configure(port, ourPort);
  const scp = start('dcmprscp', ['-c', config, '-p', 'IHEFULL']);
  await waitForPort(port, scp);
  const ae = new ApplicationEntity({ aeTitle: 'NETDICOM' });
  for (const uid of classes) ae.addRequestedContext(uid);
  const association = await ae.associate(await connectTcp({ host: '127.0.0.1', port }), { calledAeTitle: 'IHEFULL' });
  return { dir, config, association };
}

const dump = (file: string) => execFileSync('dcmdump', [file], { encoding: 'latin1' });
const files = (dir: string, prefix: string) => readdirSync(path.join(dir, 'db')).filter((f) => f.startsWith(prefix)).map((f) => path.join(dir, 'db', f));

describe.runIf(available)('DCMTK print tools (dcmprscp as SCP, dcmprscu as SCU)', () => {
  it('dcmprscp: N-GET printer, then film session → film box → image box → print → delete', async () => {
    const { dir, association } = await dcmprscp([PrintClass.grayscaleMeta]);
    const printer = await association.nGet(PrintClass.printer, PRINTER_INSTANCE, [], { context: PrintClass.grayscaleMeta });
    expect(printer.status).toBe(0);
    expect(printer.dataset).toMatchObject({ PrinterStatus: 'NORMAL' });
    const status = await printFilm(association, [image, image], { filmBox: { ImageDisplayFormat: 'STANDARD\\1,2' } });
    expect(status).toBe(0);
    await association.release();
    // dcmprscp stores the print job as a Stored Print object and its Hardcopy Grayscale images.
    expect(files(dir, 'SP_')).toHaveLength(1);
    expect(files(dir, 'HG_')).toHaveLength(2);
  });

  it('dcmprscp: Presentation LUT N-CREATE (shape, LUT sequence) on its context, referenced from the film box and stored with the print; N-DELETE; unknown references refused', async () => {
    const { dir, association } = await dcmprscp([PrintClass.grayscaleMeta, PrintClass.presentationLut]);
    const shape = await printFilmJob(association, [image], { filmBox: { ImageDisplayFormat: 'STANDARD\\1,1' }, presentationLut: { PresentationLUTShape: 'LIN OD' } });
    expect(shape.status).toBe(0);
    expect(shape.presentationLutUid).toBeTruthy();
    const table = { PresentationLUTSequence: [{ LUTDescriptor: [256, 0, 12], LUTData: Array.from({ length: 256 }, (_, i) => i * 16) }] };
    const sequence = await printFilmJob(association, [image], { filmBox: { ImageDisplayFormat: 'STANDARD\\1,1' }, presentationLut: table });
    expect(sequence.status).toBe(0);
    // Both LUTs were deleted at the end of printFilmJob: a second N-DELETE finds nothing.
    expect((await deletePresentationLut(association, shape.presentationLutUid!)).status).toBe(0x0112);
    // A LUT that was never created cannot be referenced.
    const session = await association.nCreate(PrintClass.filmSession, undefined, {}, { context: PrintClass.grayscaleMeta });
    const box = await association.nCreate(PrintClass.filmBox, undefined, {
      ImageDisplayFormat: 'STANDARD\\1,1',
      ReferencedFilmSessionSequence: [{ ReferencedSOPClassUID: PrintClass.filmSession, ReferencedSOPInstanceUID: session.sopInstanceUid }],
      ReferencedPresentationLUTSequence: [{ ReferencedSOPClassUID: PrintClass.presentationLut, ReferencedSOPInstanceUID: '1.2.826.0.1.3680043.404' }],
    }, { context: PrintClass.grayscaleMeta });
    expect(box.category).toBe('Failure');
    await association.nDelete(PrintClass.filmSession, session.sopInstanceUid!, { context: PrintClass.grayscaleMeta });
    await association.release();

    const stored = files(dir, 'SP_').map(dump).join('\n');
    expect(stored).toMatch(/\(2050,0020\) CS \[LIN OD\]/);
    expect(stored).toMatch(/\(0028,3002\) US 256\\0\\12/);
    expect(stored.match(/\(2050,0500\) SQ/g)).toHaveLength(2);
  });

  it('dcmprscu prints a Stored Print to our SCP: Presentation LUT, annotation box text, copies and label, film box and film session N-ACTION; it answers our printer N-EVENT-REPORT', async () => {
    const ourPort = await freePort();
    // A Stored Print made by dcmprscp from our print, with an annotation added for dcmprscu to send.
    const { dir, config, association } = await dcmprscp([PrintClass.grayscaleMeta, PrintClass.presentationLut], ourPort);
    expect((await printFilmJob(association, [image, image], { filmBox: { ImageDisplayFormat: 'STANDARD\\1,2' }, presentationLut: { PresentationLUTShape: 'LIN OD' } })).status).toBe(0);
    await association.release();
    const [storedPrint] = files(dir, 'SP_') as [string];
    execFileSync('dcmodify', ['-nb', '-i', '(2130,0050)[0].(0008,0018)=1.2.826.0.1.3680043.10.1', '-i', '(2130,0050)[0].(2030,0010)=1', '-i', '(2130,0050)[0].(2030,0020)=NETDICOM TEST', storedPrint]);

    const printed: { via: string; films: PrintedFilm[] }[] = [];
    const reports: PrinterReport[][] = [];
    const scp = printScp({
      printer: { PrinterName: 'NETPRINTER' },
      async onPrint(films, ctx) {
        printed.push({ via: String(ctx.command.RequestedSOPClassUID), films });
        // dcmprscu waits for the N-ACTION response: a printer event now reaches it (PS3.4 H.4.6.2.1).
        reports.push(await scp.setPrinterStatus('WARNING', { info: 'SUPPLY LOW' }));
      },
    });
    const printerAe = new ApplicationEntity({ aeTitle: 'NETPRINT' });
    for (const uid of ServiceContexts.print) printerAe.addSupportedContext(uid);
    const server = printerAe.serve(await listenTcp({ host: '127.0.0.1', port: ourPort }), scp);
    try {
      const filmBoxPrint = await run('dcmprscu', ['-c', config, '-p', 'NETPRINT', '--copies', '2', '--label', 'NETLABEL', storedPrint], 30_000);
      expect(filmBoxPrint.code, filmBoxPrint.output).toBe(0);
      const sessionPrint = await run('dcmprscu', ['-c', config, '-p', 'NETPRINT', '--session-print', storedPrint], 30_000);
      expect(sessionPrint.code, sessionPrint.output).toBe(0);
    } finally {
      await server.close({ force: true });
    }

    expect(printed.map((p) => p.via)).toEqual([PrintClass.filmBox, PrintClass.filmSession]);
    const [film] = printed[0]!.films as [PrintedFilm];
    expect(film.filmSession).toMatchObject({ NumberOfCopies: 2, FilmSessionLabel: 'NETLABEL' });
    expect(film.imageBoxes).toHaveLength(2);
    for (const box of film.imageBoxes) {
      const [sent] = box.BasicGrayscaleImageSequence as [Dataset];
      expect(sent).toMatchObject({ Rows: 8, Columns: 8, PhotometricInterpretation: 'MONOCHROME2' });
    }
    // The film box references the Presentation LUT dcmprscu created on its context: the Stored
    // Print's LIN OD, left to the printer (PresentationLUTPreferSCPRendering).
    const lutUid = String((film.filmBox.ReferencedPresentationLUTSequence as Dataset[])[0]!.ReferencedSOPInstanceUID);
    expect(film.presentationLuts[lutUid]).toMatchObject({ PresentationLUTShape: 'LIN OD' });
    expect(film.annotationBoxes).toEqual([expect.objectContaining({ AnnotationPosition: 1, TextString: 'NETDICOM TEST' })]);
    expect(printed[1]!.films).toHaveLength(1);
    // DCMTK confirmed each printer event with Success.
    expect(reports.map((r) => r.map((x) => x.status))).toEqual([[0], [0]]);
  });
});
