/**
 * DIMSE-N interop with DCMTK. DCMTK has no generic N-GET/N-ACTION tool, but its Basic Grayscale
 * Print SCP (dcmprscp) is a real DIMSE-N peer: our print SCU (printFilm, printer N-GET) talks to
 * it through the Basic Grayscale Print Management Meta SOP Class and it stores the print job.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectTcp } from '../../adapters/node';
import { ApplicationEntity } from '../../src/ae';
import { PRINTER_INSTANCE, PrintClass, printFilm } from '../../src/services/print';
import { freePort, killAll, start, waitForPort } from './helpers/store-harness';

const CONFIG = '/etc/dcmtk/dcmpstat.cfg';
const available = existsSync('/usr/bin/dcmprscp') && existsSync(CONFIG);

afterAll(killAll);

describe.runIf(available)('DCMTK dcmprscp (print SCP)', () => {
  it('N-GET printer, then film session → film box → image box → print → delete', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'netdicom-print-'));
    const port = await freePort();
    for (const sub of ['spool', 'db', 'log']) mkdirSync(path.join(dir, sub));
    // The shipped config, with the IHEFULL printer on our port and its directories in `dir`.
    const config = readFileSync(CONFIG, 'latin1')
      .replace(/^Port = 10005$/m, `Port = ${port}`)
      .replace(/^Directory = spool$/m, `Directory = ${dir}/spool`)
      .replace(/^Directory = database$/m, `Directory = ${dir}/db`)
      .replace(/^LogDirectory = log$/m, `LogDirectory = ${dir}/log`);
    writeFileSync(path.join(dir, 'dcmpstat.cfg'), config);
    const scp = start('dcmprscp', ['-c', path.join(dir, 'dcmpstat.cfg'), '-p', 'IHEFULL']);
    await waitForPort(port, scp);

    const ae = new ApplicationEntity({ aeTitle: 'NETDICOM' }).addRequestedContext(PrintClass.grayscaleMeta);
    const association = await ae.associate(await connectTcp({ host: '127.0.0.1', port }), { calledAeTitle: 'IHEFULL' });
    const printer = await association.nGet(PrintClass.printer, PRINTER_INSTANCE, [], { context: PrintClass.grayscaleMeta });
    expect(printer.status).toBe(0);
    expect(printer.dataset).toMatchObject({ PrinterStatus: 'NORMAL' });
    const image = {
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
    const status = await printFilm(association, [image, image], { filmBox: { ImageDisplayFormat: 'STANDARD\\1,2' } });
    expect(status).toBe(0);
    await association.release();
    // dcmprscp stores the print job as a Stored Print object and its Hardcopy Grayscale images.
    const stored = readdirSync(path.join(dir, 'db'));
    expect(stored.some((f) => f.startsWith('SP_'))).toBe(true);
    expect(stored.filter((f) => f.startsWith('HG_')).length).toBe(2);
  });
});
