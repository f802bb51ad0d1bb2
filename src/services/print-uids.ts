/**
 * Print Management identifiers (PS3.4 Annex H): SOP classes, well-known instances, event type
 * IDs and the statuses of H.4. Shared by the print SCP and SCU modules.
 */
import type { StatusMeanings } from './service-statuses';

/** Print Management SOP classes (PS3.4 H.3-H.4). */
export const PrintClass = {
  grayscaleMeta: '1.2.840.10008.5.1.1.9',
  colorMeta: '1.2.840.10008.5.1.1.18',
  filmSession: '1.2.840.10008.5.1.1.1',
  filmBox: '1.2.840.10008.5.1.1.2',
  grayscaleImageBox: '1.2.840.10008.5.1.1.4',
  colorImageBox: '1.2.840.10008.5.1.1.4.1',
  printer: '1.2.840.10008.5.1.1.16',
  /** Optional (H.4.5): created by a print N-ACTION, N-GET and N-EVENT-REPORT. */
  printJob: '1.2.840.10008.5.1.1.14',
  /** Optional (H.4.4): created with the film box, N-SET. */
  annotationBox: '1.2.840.10008.5.1.1.15',
  /** Optional (H.4.9): N-CREATE, N-DELETE; referenced from film boxes and image boxes. */
  presentationLut: '1.2.840.10008.5.1.1.23',
  /** Optional (H.4.11): N-GET of the well-known instance. */
  printerConfiguration: '1.2.840.10008.5.1.1.16.376',
} as const;

/** Printer well-known SOP Instance (PS3.6 Table A-1). */
export const PRINTER_INSTANCE = '1.2.840.10008.5.1.1.17';
/** Printer Configuration Retrieval well-known SOP Instance (PS3.4 H.4.11.4). */
export const PRINTER_CONFIGURATION_INSTANCE = '1.2.840.10008.5.1.1.17.376';

/**
 * The data set keyword of Referenced Print Job Sequence (2100,0500), the Action Reply of a print
 * N-ACTION (PS3.4 H.4.1.2.4.1). dcmjs knows the tag only under its retired PS3.6 keyword.
 */
export const REFERENCED_PRINT_JOB_SEQUENCE = 'RETIRED_ReferencedPrintJobSequencePullStoredPrint';

/** Print Job Execution Status (2100,0020) by N-EVENT-REPORT Event Type ID (PS3.4 Table H.4-14). */
export const PrintJobEvent = { PENDING: 1, PRINTING: 2, DONE: 3, FAILURE: 4 } as const;
/** A Print Job Execution Status (2100,0020): 'PENDING', 'PRINTING', 'DONE' or 'FAILURE' (keys of {@link PrintJobEvent}). */
export type ExecutionStatus = keyof typeof PrintJobEvent;

/** Printer Status (2110,0010) by N-EVENT-REPORT Event Type ID (PS3.4 Table H.4-16). */
export const PrinterEvent = { NORMAL: 1, WARNING: 2, FAILURE: 3 } as const;
/** A Printer Status (2110,0010): 'NORMAL', 'WARNING' or 'FAILURE' (keys of {@link PrinterEvent}), as `setPrinterStatus` takes it. */
export type PrinterStatus = keyof typeof PrinterEvent;

/** The Print Management specific statuses (PS3.4 H.4.1-H.4.9). 0xBxxx are warnings, 0xCxxx failures. */
export const PrintStatus = {
  /** Film session N-CREATE/N-SET: Memory Allocation not supported. */
  MemoryAllocationNotSupported: 0xb600,
  /** Film session N-ACTION: collation of copies not supported (the films are printed uncollated). */
  CollationNotSupported: 0xb601,
  /** Film session N-ACTION: no image in any image box (empty page). */
  EmptyFilmSession: 0xb602,
  /** Film box N-ACTION: no image in any image box (empty page). */
  EmptyFilmBox: 0xb603,
  /** Image box N-SET / N-ACTION: image larger than the image box, demagnified. */
  ImageDemagnified: 0xb604,
  /** Min Density or Max Density outside the printer's range: its own limit is used. */
  DensityOutOfRange: 0xb605,
  /** Image larger than the image box, cropped to fit. */
  ImageCropped: 0xb609,
  /** Image larger than the image box, decimated to fit. */
  ImageDecimated: 0xb60a,
  /** Film session N-ACTION: the session has no film box. */
  NoFilmBox: 0xc600,
  /** Film session N-ACTION: no Print Job created, the print queue is full. */
  SessionPrintQueueFull: 0xc601,
  /** Film box N-ACTION: no Print Job created, the print queue is full. */
  FilmBoxPrintQueueFull: 0xc602,
  /** Image box N-SET / N-ACTION: image larger than the image box. */
  ImageTooLarge: 0xc603,
  /** Image box N-SET: not enough memory in the printer to store the image. */
  InsufficientMemory: 0xc605,
  /** Film box N-CREATE: an earlier film box is not printed and film session N-ACTION is not supported. */
  UnprintedFilmBox: 0xc616,
} as const;

/** Meanings of {@link PrintStatus} for `describeServiceStatus(status, PRINT_STATUS_MEANINGS)`. */
export const PRINT_STATUS_MEANINGS: StatusMeanings = {
  0xb600: 'Warning: memory allocation not supported',
  0xb601: 'Warning: film session printing (collation) not supported',
  0xb602: 'Warning: film session has no image in any image box (empty page)',
  0xb603: 'Warning: film box has no image in any image box (empty page)',
  0xb604: 'Warning: image larger than the image box, demagnified',
  0xb605: 'Warning: Min/Max Density outside the printer range, its limits used',
  0xb609: 'Warning: image larger than the image box, cropped to fit',
  0xb60a: 'Warning: image larger than the image box, decimated to fit',
  0xc600: 'Failure: film session has no film box',
  0xc601: 'Failure: no print job created for the film session, print queue full',
  0xc602: 'Failure: no print job created for the film box, print queue full',
  0xc603: 'Failure: image larger than the image box',
  0xc605: 'Failure: insufficient memory in the printer to store the image',
  0xc613: 'Failure: combined print image larger than the image box',
  0xc616: 'Failure: an earlier film box is not printed and film session printing is not supported',
};
