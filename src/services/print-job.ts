/**
 * Print Job SOP Class on the SCP side (PS3.4 H.4.5): a job per print N-ACTION holding a copy of
 * the films, one printer queue that prints jobs in turn, N-GET of a job, and the N-EVENT-REPORTs
 * of its execution status (PENDING, PRINTING, DONE, FAILURE) on the association that made it.
 */
import type { Association } from '../association';
import type { Logger } from '../logger';
import type { Dataset } from '../scu/types';
import { generateUid } from '../uids/generate';
import { sendReport } from './print-report';
import { PrintClass, PrintJobEvent, type ExecutionStatus } from './print-uids';

/** One film box ready to print: its attributes and its image boxes in position order. */
export interface PrintedFilm {
  readonly filmSession: Dataset;
  readonly filmBox: Dataset;
  readonly imageBoxes: Dataset[];
  /** Basic Annotation Boxes of the film box, in creation order (PS3.4 H.4.4). */
  readonly annotationBoxes: Dataset[];
  /** The Presentation LUTs the film box or its image boxes reference, by SOP Instance UID. */
  readonly presentationLuts: Readonly<Record<string, Dataset>>;
}

/** A print job as `execute` sees it. */
export interface PrintJob {
  readonly uid: string;
  readonly films: readonly PrintedFilm[];
  /** The Print Job attributes an N-GET returns (PS3.4 Table H.4-15). */
  readonly attributes: Readonly<Dataset>;
}

/** Print Job support of a print SCP. */
export interface PrintJobOptions {
  /**
   * Prints a job, after the N-ACTION response, while its status is PRINTING. Resolving ends it
   * DONE; `{ failure }` ends it FAILURE with that Execution Status Info (a PS3.3 C.13.9.1 term,
   * e.g. 'FILM JAM'); throwing ends it FAILURE with 'PRINTER DOWN'. Jobs print one at a time.
   */
  execute?(job: PrintJob): void | { failure: string } | Promise<void | { failure: string }>;
  /** At most this many jobs not yet DONE/FAILURE; a print beyond it fails with 0xC601/0xC602. */
  queueLimit?: number;
  /** Told of each job N-EVENT-REPORT sent: the SCU's status, or why it could not be sent. */
  onEvent?(uid: string, status: ExecutionStatus, outcome: { status?: number; error?: Error }): void;
}

interface Job extends PrintJob {
  readonly attributes: Dataset;
  readonly association: Association;
  /** The job's N-EVENT-REPORTs, one after the other. */
  events: Promise<void>;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const dicomDate = (d: Date) => `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`;
const dicomTime = (d: Date) => `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;

/** The printer's queue of print jobs (one per print SCP, shared by its associations). */
export class PrintJobQueue {
  private readonly jobs = new Map<string, Job>();
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: PrintJobOptions,
    private readonly printerName: () => string,
    /** How long to wait for the SCU to confirm a job N-EVENT-REPORT. */
    private readonly eventTimeoutMs: number,
  ) {}

  /** Whether another job would exceed `queueLimit`. */
  get full(): boolean {
    const limit = this.options.queueLimit;
    if (limit === undefined) return false;
    let open = 0;
    for (const job of this.jobs.values()) if (job.attributes.ExecutionStatus === 'PENDING' || job.attributes.ExecutionStatus === 'PRINTING') open++;
    return open >= limit;
  }

  /** The attributes of a job that still exists (jobs are deleted once DONE/FAILURE is confirmed). */
  get(uid: string): Dataset | undefined {
    return this.jobs.get(uid)?.attributes;
  }

  /**
   * Creates a PENDING job for `films` (PS3.4 H.4.1.2.4.3). Call `start` once the N-ACTION
   * response is sent, so that the job's first N-EVENT-REPORT follows it.
   */
  create(films: PrintedFilm[], association: Association, session: Dataset): string {
    const uid = generateUid();
    const now = new Date();
    const attributes: Dataset = {
      ExecutionStatus: 'PENDING',
      ExecutionStatusInfo: 'QUEUED',
      PrintPriority: session.PrintPriority ?? 'MED',
      CreationDate: dicomDate(now),
      CreationTime: dicomTime(now),
      PrinterName: this.printerName(),
      Originator: association.peerAeTitle.trim(),
      ...(session.FilmSessionLabel !== undefined && { FilmSessionLabel: session.FilmSessionLabel }),
    };
    this.jobs.set(uid, { uid, films, attributes, association, events: Promise.resolve() });
    return uid;
  }

  /** Reports PENDING, then queues the job for printing. */
  start(uid: string, logger: Logger): void {
    const job = this.jobs.get(uid);
    if (!job) return;
    this.report(job, 'PENDING', logger);
    this.tail = this.tail.then(() => this.run(job, logger)).catch(() => undefined);
  }

  private async run(job: Job, logger: Logger): Promise<void> {
    this.update(job, 'PRINTING', 'NORMAL', logger);
    let failure: string | undefined;
    try {
      const outcome = await this.options.execute?.(job);
      failure = outcome && typeof outcome === 'object' ? outcome.failure : undefined;
    } catch (error) {
      logger.warn(`print job ${job.uid} failed: ${(error as Error)?.message ?? error}`);
      failure = 'PRINTER DOWN';
    }
    this.update(job, failure === undefined ? 'DONE' : 'FAILURE', failure ?? 'NORMAL', logger);
    // Deleted once the SCU has confirmed DONE/FAILURE (PS3.4 H.4.5.2.1.2), or the report failed.
    void job.events.then(() => this.jobs.delete(job.uid));
  }

  private update(job: Job, status: ExecutionStatus, info: string, logger: Logger): void {
    job.attributes.ExecutionStatus = status;
    job.attributes.ExecutionStatusInfo = info;
    this.report(job, status, logger);
  }

  /** Queues the job's N-EVENT-REPORT on the association that created it, while that lasts (H.4.5.2.1.2). */
  private report(job: Job, status: ExecutionStatus, logger: Logger): void {
    const information: Dataset = { ExecutionStatusInfo: job.attributes.ExecutionStatusInfo, PrinterName: job.attributes.PrinterName };
    if (job.attributes.FilmSessionLabel !== undefined) information.FilmSessionLabel = job.attributes.FilmSessionLabel;
    const send = async () => {
      if (!job.association.isEstablished) throw new Error('the association that created the job has ended');
      const report = { sopClassUid: PrintClass.printJob, sopInstanceUid: job.uid, eventTypeId: PrintJobEvent[status], information, context: PrintClass.printJob };
      return sendReport(job.association, report, this.eventTimeoutMs);
    };
    job.events = job.events
      .then(send)
      .then(
        (rsp) => this.options.onEvent?.(job.uid, status, { status: rsp.status }),
        (error: Error) => {
          logger.debug(`print job ${job.uid} ${status} not reported: ${error.message}`);
          this.options.onEvent?.(job.uid, status, { error });
        },
      )
      // A throwing onEvent must not stop the job's later reports.
      .catch(() => undefined);
  }
}
