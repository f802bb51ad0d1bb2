/**
 * Printer SOP Class N-EVENT-REPORT (PS3.4 H.4.6.2.1: NORMAL 1, WARNING 2, FAILURE 3, to every
 * association using the printer) and Printer Configuration Retrieval N-GET (H.4.11). Memory pipes
 * here; print-tcp reruns this file over TCP.
 */
import { describe, expect, it } from 'vitest';
import { CommandField } from '../../src/dimse/types';
import {
  PRINTER_CONFIGURATION_INSTANCE, PRINTER_INSTANCE, PrintClass, PrinterEvent, getPrinter, getPrinterConfiguration, printEvents, printScp,
} from '../../src/services/print';
import type { Dataset } from '../../src/scu/types';
import { pair, problemsIn, via } from './n-helpers';
import { eventually, printerAe, printScuAe } from './print-helpers';

describe(`printer status and configuration (${via()})`, () => {
  it('setPrinterStatus reports WARNING, FAILURE, NORMAL to every association using the printer, and N-GET follows', async () => {
    const scp = printScp({ printer: { PrinterName: 'DRYVIEW' } });
    const [ea, eb, ec] = [printEvents(), printEvents(), printEvents()];
    // A prints (meta context); B only watches the printer (Printer SOP Class alone, PS3.4 H.3.1); C uses no print class.
    const a = await pair(printerAe(), scp, printScuAe([PrintClass.grayscaleMeta], 'A'), { handlers: ea.handlers });
    const b = await pair(printerAe(), scp, printScuAe([PrintClass.printer], 'B'), { handlers: eb.handlers });
    const c = await pair(printerAe(), scp, printScuAe(['1.2.840.10008.1.1'], 'C'), { handlers: ec.handlers });
    expect((await getPrinter(b.scu, [0x21100010])).dataset).toMatchObject({ PrinterStatus: 'NORMAL' });

    const warning = await scp.setPrinterStatus('WARNING', { info: 'SUPPLY LOW', filmDestination: 'BIN_1' });
    expect(warning.map((r) => [r.association.peerAeTitle.trim(), r.status])).toEqual([['A', 0], ['B', 0]]);
    // Delivered once each SCU's confirmation is on its way.
    await eventually(() => ea.printerEvents.length === 1 && eb.printerEvents.length === 1);
    for (const event of [ea.printerEvents[0], eb.printerEvents[0]]) {
      expect(event).toMatchObject({ status: 'WARNING', printerStatusInfo: 'SUPPLY LOW', information: { PrinterName: 'DRYVIEW', FilmDestination: 'BIN_1' } });
    }
    const got = await getPrinter(a.scu, [0x21100010, 0x21100020]);
    expect(got.dataset).toMatchObject({ PrinterStatus: 'WARNING', PrinterStatusInfo: 'SUPPLY LOW', SOPInstanceUID: PRINTER_INSTANCE });

    const next = eb.nextPrinterEvent({ timeoutMs: 15_000 });
    await scp.setPrinterStatus('FAILURE', { info: 'FILM JAM' });
    expect(await next).toMatchObject({ status: 'FAILURE', printerStatusInfo: 'FILM JAM' });
    await scp.setPrinterStatus('NORMAL');
    await eventually(() => ea.printerEvents.length === 3 && eb.printerEvents.length === 3);
    expect(ea.printerEvents.map((e) => e.status)).toEqual(['WARNING', 'FAILURE', 'NORMAL']);
    expect(eb.printerEvents.map((e) => e.status)).toEqual(['WARNING', 'FAILURE', 'NORMAL']);
    expect(ec.printerEvents).toEqual([]);

    const sent = (p: typeof a) => p.sentByScp.filter((x) => x.CommandField === CommandField['N-EVENT-REPORT-RQ']);
    expect(sent(a).map((x) => [x.AffectedSOPClassUID, x.AffectedSOPInstanceUID, x.EventTypeID, x.CommandDataSetType])).toEqual([
      [PrintClass.printer, PRINTER_INSTANCE, PrinterEvent.WARNING, 0x0000],
      [PrintClass.printer, PRINTER_INSTANCE, PrinterEvent.FAILURE, 0x0000],
      // NORMAL carries no Event Information (PS3.4 Table H.4-16).
      [PrintClass.printer, PRINTER_INSTANCE, PrinterEvent.NORMAL, 0x0101],
    ]);
    expect(sent(c)).toEqual([]);
    expect(problemsIn([...a.sentByScp, ...b.sentByScp, ...a.sentByScu, ...b.sentByScu])).toEqual([]);

    // A released association is no longer told.
    await b.scu.release();
    await b.served;
    const after = await scp.setPrinterStatus('WARNING', { info: 'CALIBRATING' });
    expect(after.map((r) => r.association.peerAeTitle.trim())).toEqual(['A']);
    await Promise.all([a.scu.release(), c.scu.release()]);
  });

  it('Printer Configuration Retrieval: N-GET of the well-known instance; attribute selection; unknown instance 0x0112', async () => {
    const scp = printScp({ printer: { PrinterName: 'DRYVIEW', Manufacturer: 'ACME' }, printerConfiguration: { MaximumCollatedFilms: 4 } });
    const p = await pair(printerAe(), scp, printScuAe([PrintClass.grayscaleMeta, PrintClass.printerConfiguration]));
    const all = await getPrinterConfiguration(p.scu);
    expect(all.status).toBe(0);
    expect(all.dataset).toMatchObject({ SOPClassUID: PrintClass.printerConfiguration, SOPInstanceUID: PRINTER_CONFIGURATION_INSTANCE });
    const item = (all.dataset!.PrinterConfigurationSequence as Dataset[])[0]!;
    expect(item.SOPClassesSupported).toEqual(expect.arrayContaining([PrintClass.filmSession, PrintClass.printJob, PrintClass.presentationLut, PrintClass.annotationBox]));
    expect(item).toMatchObject({ PrinterName: 'DRYVIEW', Manufacturer: 'ACME', MaximumCollatedFilms: 4, DefaultMagnificationType: 'REPLICATE' });
    expect((item.MediaInstalledSequence as Dataset[])[0]).toMatchObject({ MediumType: 'BLUE FILM', FilmSizeID: '14INX17IN' });
    const one = await getPrinterConfiguration(p.scu, [0x2000001e]);
    expect(Object.keys(one.dataset!).filter((k) => !k.startsWith('_')).sort()).toEqual(['PrinterConfigurationSequence', 'SOPClassUID', 'SOPInstanceUID']);
    const unknown = await p.scu.nGet(PrintClass.printerConfiguration, '1.2.3.4', [], { context: PrintClass.printerConfiguration });
    expect(unknown.status).toBe(0x0112);
    // An attribute the instance does not have: warning 0x0107 naming it.
    const missing = await getPrinterConfiguration(p.scu, [0x00100010]);
    expect(missing.status).toBe(0x0107);
    expect(missing.command.OffendingElement).toEqual([0x00100010]);
    expect((await p.scu.nGet(PrintClass.printer, '1.2.3.4', [], { context: PrintClass.grayscaleMeta })).status).toBe(0x0112);
    await p.scu.release();
  });
});
