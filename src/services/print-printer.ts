/**
 * The printer on the SCP side: Printer SOP Class N-GET and N-EVENT-REPORT (PS3.4 H.4.6) to every
 * association using the printer, and Printer Configuration Retrieval N-GET (H.4.11).
 */
import type { Association } from '../association';
import type { NAnswer } from '../scp/types';
import type { Dataset } from '../scu/types';
import { nGetAnswer, stringValue } from './n-attributes';
import { sendReport } from './print-report';
import { PRINTER_CONFIGURATION_INSTANCE, PRINTER_INSTANCE, PrintClass, PrinterEvent, type PrinterStatus } from './print-uids';

/** What a printer status change carries besides the status (PS3.4 Table H.4-16). */
export interface PrinterStatusChange {
  /** Printer Status Info (2110,0020): a PS3.3 C.13.9.1 term, e.g. 'SUPPLY LOW' (default 'NORMAL'). */
  info?: string;
  filmDestination?: string;
}

/** The outcome of one printer N-EVENT-REPORT: the SCU's status, or why it was not sent. */
export interface PrinterReport {
  readonly association: Association;
  readonly status?: number;
  readonly error?: Error;
}

/** Contexts a printer event can go on: the Printer SOP Class, or a meta SOP class it belongs to. */
const PRINTER_CONTEXTS = [PrintClass.printer, PrintClass.grayscaleMeta, PrintClass.colorMeta];

/** The printer's attributes and the associations using it. */
export class PrinterState {
  readonly attributes: Dataset;
  private readonly users = new Set<Association>();

  constructor(attributes: Dataset | undefined) {
    this.attributes = { PrinterStatus: 'NORMAL', PrinterStatusInfo: 'NORMAL', PrinterName: 'netdicom', ...attributes };
  }

  get name(): string {
    return stringValue(this.attributes, 'PrinterName') ?? '';
  }

  /** Notes an association that uses the printer (it will get printer events). */
  use(association: Association): void {
    if (association.isEstablished && !this.users.has(association) && contextFor(association)) this.users.add(association);
  }

  forget(association: Association): void {
    this.users.delete(association);
  }

  /** N-GET of the well-known Printer instance. */
  nGet(sopInstanceUid: string, tags: readonly number[]): NAnswer {
    if (sopInstanceUid !== PRINTER_INSTANCE) return { status: 0x0112 };
    return nGetAnswer(this.attributes, tags, { sopClassUid: PrintClass.printer, sopInstanceUid: PRINTER_INSTANCE });
  }

  /**
   * Sets Printer Status (and Printer Status Info) and sends the N-EVENT-REPORT (Event Type
   * 1 NORMAL, 2 WARNING, 3 FAILURE) to every association using the printer (PS3.4 H.4.6.2.1.2).
   */
  async setStatus(status: PrinterStatus, change: PrinterStatusChange = {}, timeoutMs = 10_000): Promise<PrinterReport[]> {
    const info = change.info ?? 'NORMAL';
    this.attributes.PrinterStatus = status;
    this.attributes.PrinterStatusInfo = info;
    // Normal carries no Event Information (PS3.4 Table H.4-16).
    const information: Dataset | null = status === 'NORMAL' ? null : {
      PrinterStatusInfo: info,
      PrinterName: this.attributes.PrinterName,
      ...(change.filmDestination !== undefined && { FilmDestination: change.filmDestination }),
    };
    for (const a of this.users) if (!a.isEstablished) this.users.delete(a);
    const targets = [...this.users];
    return Promise.all(targets.map(async (association): Promise<PrinterReport> => {
      try {
        const report = { sopClassUid: PrintClass.printer, sopInstanceUid: PRINTER_INSTANCE, eventTypeId: PrinterEvent[status], information, context: contextFor(association)! };
        const rsp = await sendReport(association, report, timeoutMs);
        return { association, status: rsp.status };
      } catch (error) {
        return { association, error: error as Error };
      }
    }));
  }
}

/** The accepted context on which we may send printer events to this peer, if any. */
function contextFor(association: Association): string | undefined {
  return PRINTER_CONTEXTS.find((cls) => association.acceptedContexts.some((c) => c.abstractSyntax === cls && association.mayActAs(c, 'scp')));
}

/**
 * The Printer Configuration Sequence item (PS3.4 Table H.4-26): defaults describing this SCP,
 * overridden by `configuration`.
 */
export function printerConfiguration(printer: PrinterState, supported: readonly string[], configuration: Dataset = {}): Dataset {
  return {
    SOPClassesSupported: [...supported],
    MaximumMemoryAllocation: 0,
    MemoryBitDepth: 16,
    PrintingBitDepth: 12,
    MediaInstalledSequence: [{ ItemNumber: 1, MediumType: 'BLUE FILM', FilmSizeID: '14INX17IN', MinDensity: 20, MaxDensity: 320 }],
    OtherMediaAvailableSequence: [],
    SupportedImageDisplayFormatsSequence: [
      { ImageDisplayFormat: 'STANDARD\\1,1', FilmOrientation: 'PORTRAIT', FilmSizeID: '14INX17IN', PrinterResolutionID: 'STANDARD', PrinterPixelSpacing: [0.1, 0.1], RequestedImageSizeFlag: 'NO' },
    ],
    DefaultPrinterResolutionID: 'STANDARD',
    DefaultMagnificationType: 'REPLICATE',
    OtherMagnificationTypesAvailable: ['BILINEAR', 'CUBIC', 'NONE'],
    DefaultSmoothingType: 'NONE',
    OtherSmoothingTypesAvailable: [],
    ConfigurationInformationDescription: 'none',
    MaximumCollatedFilms: 1,
    DecimateCropResult: 'FAIL',
    Manufacturer: stringValue(printer.attributes, 'Manufacturer') ?? 'netdicom',
    ManufacturerModelName: stringValue(printer.attributes, 'ManufacturerModelName') ?? 'netdicom print SCP',
    PrinterName: printer.name,
    ...configuration,
  };
}

/** N-GET of the well-known Printer Configuration Retrieval instance (PS3.4 H.4.11.2.2). */
export function printerConfigurationAnswer(sopInstanceUid: string, tags: readonly number[], item: Dataset): NAnswer {
  if (sopInstanceUid !== PRINTER_CONFIGURATION_INSTANCE) return { status: 0x0112 };
  return nGetAnswer({ PrinterConfigurationSequence: [item] }, tags, { sopClassUid: PrintClass.printerConfiguration, sopInstanceUid: PRINTER_CONFIGURATION_INSTANCE });
}
