/**
 * The print SCU's side of N-EVENT-REPORT (PS3.4 H.4.5.2.1, H.4.6.2.1): print job execution
 * status (1 PENDING, 2 PRINTING, 3 DONE, 4 FAILURE) and printer status (1 NORMAL, 2 WARNING,
 * 3 FAILURE), as the SCP sends them on the association that prints.
 */
import type { ScpHandlers } from '../scp/types';
import type { Dataset } from '../scu/types';
import { stringValue } from './n-attributes';
import { PrintClass, PrinterEvent, PrintJobEvent, type ExecutionStatus, type PrinterStatus } from './print-uids';

/** One print job N-EVENT-REPORT. */
export interface PrintJobStatusEvent {
  readonly printJobUid: string;
  readonly status: ExecutionStatus;
  /** Execution Status Info (2100,0030), e.g. 'QUEUED', 'NORMAL', 'FILM JAM'. */
  readonly executionStatusInfo?: string;
  /** The whole Event Information (Film Session Label, Printer Name...). */
  readonly information: Dataset | null;
}

/** One printer N-EVENT-REPORT. */
export interface PrinterStatusEvent {
  readonly status: PrinterStatus;
  /** Printer Status Info (2110,0020), absent for NORMAL. */
  readonly printerStatusInfo?: string;
  readonly information: Dataset | null;
}

/** Options of {@link printEvents}. */
export interface PrintEventListeners {
  onJob?(event: PrintJobStatusEvent): void;
  onPrinter?(event: PrinterStatusEvent): void;
}

/** Waits for a wanted value with an optional timeout and abort signal. */
export interface PrintWaitOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

const nameOf = <K extends string>(table: Record<K, number>, id: number | undefined) => (Object.keys(table) as K[]).find((k) => table[k] === id);

/**
 * SCU: receives print job and printer events. Put `handlers` into the association's handlers
 * (`associate(t, { handlers })`); `waitForJob(uid)` resolves with the job's events once DONE or
 * FAILURE arrives (even if it came first), `nextPrinterEvent()` with the next printer event.
 */
export function printEvents(listeners: PrintEventListeners = {}): {
  handlers: Pick<ScpHandlers, 'nEventReport'>;
  jobEvents(printJobUid: string): readonly PrintJobStatusEvent[];
  waitForJob(printJobUid: string, options?: PrintWaitOptions): Promise<PrintJobStatusEvent[]>;
  readonly printerEvents: readonly PrinterStatusEvent[];
  nextPrinterEvent(options?: PrintWaitOptions): Promise<PrinterStatusEvent>;
} {
  const jobs = new Map<string, PrintJobStatusEvent[]>();
  const printerEvents: PrinterStatusEvent[] = [];
  const waiters = new Set<() => boolean>();
  const wake = () => {
    for (const w of waiters) if (w()) waiters.delete(w);
  };
  /** Resolves with `check()`'s first defined value, checked now and after each event. */
  const waitFor = <T>(check: () => T | undefined, what: string, options: PrintWaitOptions = {}): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = options.timeoutMs !== undefined ? setTimeout(() => done(() => reject(new Error(`no ${what} within ${options.timeoutMs} ms`))), options.timeoutMs) : undefined;
      const onAbort = () => done(() => reject(options.signal!.reason));
      const done = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(waiter);
        options.signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const waiter = () => {
        const value = check();
        if (value === undefined) return false;
        done(() => resolve(value));
        return true;
      };
      if (waiter()) return;
      options.signal?.addEventListener('abort', onAbort, { once: true });
      waiters.add(waiter);
    });

  return {
    handlers: {
      nEventReport(request) {
        if (request.sopClassUid === PrintClass.printJob) {
          const status = nameOf(PrintJobEvent, request.typeId);
          if (!status) return { status: 0x0113 };
          const event: PrintJobStatusEvent = {
            printJobUid: request.sopInstanceUid,
            status,
            ...(stringValue(request.dataset, 'ExecutionStatusInfo') !== undefined && { executionStatusInfo: stringValue(request.dataset, 'ExecutionStatusInfo') }),
            information: request.dataset,
          };
          // Delivered once our response is sent, so a caller that releases next does not overtake it.
          return {
            status: 0x0000,
            afterResponse: () => {
              jobs.set(event.printJobUid, [...(jobs.get(event.printJobUid) ?? []), event]);
              listeners.onJob?.(event);
              wake();
            },
          };
        }
        if (request.sopClassUid === PrintClass.printer) {
          const status = nameOf(PrinterEvent, request.typeId);
          if (!status) return { status: 0x0113 };
          const info = stringValue(request.dataset, 'PrinterStatusInfo');
          const event: PrinterStatusEvent = { status, ...(info !== undefined && { printerStatusInfo: info }), information: request.dataset };
          return {
            status: 0x0000,
            afterResponse: () => {
              printerEvents.push(event);
              listeners.onPrinter?.(event);
              wake();
            },
          };
        }
        return { status: 0x0118 };
      },
    },
    jobEvents: (uid) => jobs.get(uid) ?? [],
    waitForJob(uid, options) {
      const final = () => {
        const events = jobs.get(uid);
        return events?.some((e) => e.status === 'DONE' || e.status === 'FAILURE') ? [...events] : undefined;
      };
      return waitFor(final, `final event of print job ${uid}`, options);
    },
    printerEvents,
    nextPrinterEvent(options) {
      const seen = printerEvents.length;
      return waitFor(() => printerEvents[seen], 'printer event', options);
    },
  };
}
