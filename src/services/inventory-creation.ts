/**
 * Storage Management Service Class, Inventory Creation SOP Class (PS3.4 Annex KK): the SCU asks
 * a repository, with N-ACTION on the well-known Storage Management instance, to produce an
 * Inventory of the studies it holds (Initiate 11), and may ask for its status (12), cancel (13),
 * pause (14) or resume (15) it. The SCP reports progress and the end with N-EVENT-REPORTs
 * (Inventory Status 12; Terminated with Instances 11 / without Instances 13), matched to the
 * request by Transaction UID, like storage commitment. SCP handler and SCU helpers.
 */
import type { Association } from '../association';
import type { NRequest, RequestContext, ScpHandlers } from '../scp/types';
import type { NCallOptions, NResult } from '../scu/n-services';
import type { Dataset } from '../scu/types';
import { generateUid } from '../uids/generate';
import { stringValue } from './n-attributes';

/** Inventory Creation SOP Class (PS3.4 KK.2). */
export const INVENTORY_CREATION_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.201.5';
/** The well-known Storage Management SOP Instance every request and report names (PS3.4 KK.1.3.2). */
export const STORAGE_MANAGEMENT_INSTANCE = '1.2.840.10008.5.1.4.1.1.201.1.1';

/** N-ACTION Action Type IDs (PS3.4 KK.2.2.1, Table KK.2-1). */
export const InventoryAction = { Initiate: 11, RequestStatus: 12, Cancel: 13, Pause: 14, Resume: 15 } as const;
/** N-EVENT-REPORT Event Type IDs (PS3.4 KK.2.3.1, Table KK.2-2). */
export const InventoryEvent = { TerminatedWithInstances: 11, Status: 12, TerminatedWithoutInstances: 13 } as const;

/** Inventory Level (0008,0403) (PS3.3 C.38.3): which records the Inventory holds. */
export type InventoryLevel = 'STUDY' | 'SERIES' | 'INSTANCE';

/**
 * Transaction Status (0008,0417), the Enumerated Values of PS3.3 C.38.3 (Table C.38.3-1):
 * PROCESSING while the Inventory is produced, PAUSED after Pause, and the terminal COMPLETE,
 * FAILURE, CANCELED (PS3.4 KK.2.3.2). There is no PENDING or IN PROGRESS.
 */
export type InventoryTransactionStatus = 'PROCESSING' | 'PAUSED' | 'COMPLETE' | 'FAILURE' | 'CANCELED';

/** One N-EVENT-REPORT about an inventory, as the SCU receives it. */
export interface InventoryReport {
  readonly transactionUid: string;
  readonly eventTypeId: number;
  /** Transaction Status (0008,0417). */
  readonly transactionStatus?: string;
  /** The whole Event Information (Retrieve AE Title / URL, Referenced SOP Instance UID of the root Inventory...). */
  readonly information: Dataset;
}

/** What an inventory producer is given. */
export interface InventoryJob {
  readonly transactionUid: string;
  /** The Initiate request: Scope of Inventory Sequence, Inventory Level, Inventory Purpose... */
  readonly request: Dataset;
  /** Aborts on Cancel. */
  readonly signal: AbortSignal;
  /** True after a Pause until the Resume (PS3.4 KK.2: production is PAUSED). */
  readonly paused: boolean;
  /**
   * Resolves at once while not paused, otherwise on Resume; rejects with the cancel reason once
   * canceled. A producer awaits it between steps so that a Pause really stops production.
   */
  resumed(): Promise<void>;
  /** Sends an Inventory Status report (event 12) with this Transaction Status (normally PROCESSING, see {@link InventoryTransactionStatus}) and optional comment. */
  status(transactionStatus: string, comment?: string): Promise<void>;
}

/**
 * Options of {@link inventoryCreationScp}: `produce`, which builds the Inventory for an Initiate
 * request, the Transaction Status reported while it runs, and a hook told of each report (PS3.4 Annex KK).
 */
export interface InventoryCreationScpOptions {
  /**
   * Produces the Inventory. Resolves with the Event Information of "Terminated with Instances"
   * (at least Retrieve AE Title or Retrieve URL, and the root Inventory's Referenced SOP
   * Class/Instance UID); rejects for "Terminated without Instances" with FAILURE. Pause and
   * Resume only take effect where it awaits `job.resumed()`.
   */
  produce(job: InventoryJob, ctx: RequestContext): Promise<Dataset>;
  /**
   * Transaction Status sent for Request Status and Resume while producing. Default 'PROCESSING',
   * the Enumerated Value for a running production (PS3.3 C.38.3, Table C.38.3-1).
   */
  runningStatus?: string;
  /** Told about each report sent, or a failure to send one. */
  onReport?(report: InventoryReport, result: { status?: number; error?: Error }): void;
}

interface Job {
  readonly controller: AbortController;
  status: string;
  paused: boolean;
  ended: boolean;
  /** Producers waiting in `resumed()`. */
  readonly resumers: Array<() => void>;
}

/**
 * What the producer sees of its job. A class, not an object literal with a getter: V8 keeps such
 * literals (and what they reach) in the old generation (test/unit/retention-patterns.test.ts).
 */
class ProducerView implements InventoryJob {
  constructor(
    readonly transactionUid: string,
    readonly request: Dataset,
    private readonly job: Job,
    /** Sends an Inventory Status report (event 12). */
    private readonly report: (transactionStatus: string, comment?: string) => Promise<void>,
  ) {}

  get signal(): AbortSignal {
    return this.job.controller.signal;
  }

  get paused(): boolean {
    return this.job.paused;
  }

  resumed(): Promise<void> {
    return whenResumed(this.job);
  }

  status(transactionStatus: string, comment?: string): Promise<void> {
    this.job.status = transactionStatus;
    return this.report(transactionStatus, comment);
  }
}

/** InventoryJob.resumed(): now, on Resume, or rejected on Cancel. */
function whenResumed(job: Job): Promise<void> {
  const signal = job.controller.signal;
  if (signal.aborted) return Promise.reject(signal.reason);
  if (!job.paused) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    job.resumers.push(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/**
 * SCP: the N-ACTION handler of Inventory Creation (PS3.4 KK.2.2). Every action needs a
 * Transaction UID (0x0120); Initiate needs Inventory Level (0x0120) and a new Transaction UID
 * (0x0111 when in use); the others need a known one (0x0115 otherwise). Reports go on the
 * association of the request (the SCU's N-EVENT-REPORT handlers: {@link inventoryReports}).
 */
export function inventoryCreationScp(options: InventoryCreationScpOptions): Pick<ScpHandlers, 'nAction'> {
  const jobs = new Map<string, Job>();
  // PS3.3 C.38.3 (Table C.38.3-1): PROCESSING is the Transaction Status of a running production.
  const running = options.runningStatus ?? ('PROCESSING' satisfies InventoryTransactionStatus);
  const send = async (ctx: RequestContext, report: InventoryReport) => {
    try {
      const rsp = await ctx.association.nEventReport(INVENTORY_CREATION_SOP_CLASS, STORAGE_MANAGEMENT_INSTANCE, report.eventTypeId, report.information);
      options.onReport?.(report, { status: rsp.status });
    } catch (error) {
      options.onReport?.(report, { error: error as Error });
    }
  };
  const statusReport = (uid: string, status: string, comment?: string): InventoryReport => ({
    transactionUid: uid,
    eventTypeId: InventoryEvent.Status,
    transactionStatus: status,
    information: { TransactionUID: uid, TransactionStatus: status, ...(comment !== undefined && { TransactionStatusComment: comment }) },
  });
  return {
    nAction(request: NRequest, ctx: RequestContext) {
      if (request.sopClassUid !== INVENTORY_CREATION_SOP_CLASS) return { status: 0x0118 };
      if (request.sopInstanceUid !== STORAGE_MANAGEMENT_INSTANCE) return { status: 0x0112 };
      const info = request.dataset ?? {};
      const uid = stringValue(info, 'TransactionUID');
      if (!uid) return { status: 0x0120, offendingElement: [0x00081195] };
      const job = jobs.get(uid);
      switch (request.typeId) {
        case InventoryAction.Initiate: {
          if (job) return { status: 0x0111, errorComment: 'Transaction UID already in use' };
          if (!stringValue(info, 'InventoryLevel')) return { status: 0x0120, offendingElement: [0x00080403] };
          const started: Job = { controller: new AbortController(), status: running, paused: false, ended: false, resumers: [] };
          jobs.set(uid, started);
          return { status: 0x0000, afterResponse: () => produce(uid, info, started, ctx) };
        }
        case InventoryAction.RequestStatus:
          if (!job) return { status: 0x0115, errorComment: 'unknown Transaction UID' };
          return { status: 0x0000, afterResponse: () => send(ctx, statusReport(uid, job.status)) };
        case InventoryAction.Cancel:
          if (!job || job.ended) return { status: 0x0115, errorComment: 'unknown or ended transaction' };
          return { status: 0x0000, afterResponse: () => job.controller.abort(new Error('canceled by the SCU')) };
        case InventoryAction.Pause:
        case InventoryAction.Resume: {
          if (!job || job.ended) return { status: 0x0115, errorComment: 'unknown or ended transaction' };
          const pause = request.typeId === InventoryAction.Pause;
          job.paused = pause;
          // PAUSED after Pause, back to PROCESSING after Resume (PS3.3 C.38.3, Table C.38.3-1).
          job.status = pause ? ('PAUSED' satisfies InventoryTransactionStatus) : running;
          const afterResponse = async () => {
            await send(ctx, statusReport(uid, job.status));
            // The producer goes on once PROCESSING is reported (unless paused again meanwhile).
            if (!job.paused) for (const resume of job.resumers.splice(0)) resume();
          };
          return { status: 0x0000, afterResponse };
        }
        default:
          return { status: 0x0123 };
      }
    },
  };

  async function produce(uid: string, request: Dataset, job: Job, ctx: RequestContext): Promise<void> {
    const signal = job.controller.signal;
    let report: InventoryReport;
    try {
      const producer = new ProducerView(uid, request, job, (status, comment) => send(ctx, statusReport(uid, status, comment)));
      const result = await options.produce(producer, ctx);
      if (signal.aborted) throw signal.reason;
      report = {
        transactionUid: uid,
        eventTypeId: InventoryEvent.TerminatedWithInstances,
        transactionStatus: 'COMPLETE',
        information: { ...result, TransactionUID: uid, TransactionStatus: 'COMPLETE' },
      };
    } catch (error) {
      // Terminal states without instances: CANCELED after a Cancel, FAILURE otherwise (PS3.4 KK.2.3.2).
      const status = signal.aborted ? 'CANCELED' : 'FAILURE';
      const comment = String((error as Error)?.message ?? error).slice(0, 64);
      report = {
        transactionUid: uid,
        eventTypeId: InventoryEvent.TerminatedWithoutInstances,
        transactionStatus: status,
        information: { TransactionUID: uid, TransactionStatus: status, TransactionStatusComment: comment },
      };
    }
    job.ended = true;
    job.status = report.transactionStatus!;
    await send(ctx, report);
  }
}

/**
 * SCU: N-ACTION Initiate (PS3.4 KK.2.2.2) under a new Transaction UID (or the one given).
 * `request` holds Inventory Level and Scope of Inventory Sequence (empty: every study).
 */
export async function initiateInventory(
  association: Association,
  request: Dataset & { InventoryLevel: InventoryLevel },
  options: NCallOptions & { transactionUid?: string } = {},
): Promise<NResult & { transactionUid: string }> {
  const transactionUid = options.transactionUid ?? generateUid();
  const info: Dataset = { ScopeOfInventorySequence: [], ...request, TransactionUID: transactionUid };
  const response = await association.nAction(INVENTORY_CREATION_SOP_CLASS, STORAGE_MANAGEMENT_INSTANCE, InventoryAction.Initiate, info, options);
  return { ...response, transactionUid };
}

/** SCU: N-ACTION Request Status (12), Cancel (13; `retainInstances` default false), Pause (14) or Resume (15) of a transaction. */
export function controlInventory(
  association: Association,
  action: 'status' | 'cancel' | 'pause' | 'resume',
  transactionUid: string,
  options: NCallOptions & { retainInstances?: boolean } = {},
): Promise<NResult> {
  const typeId = { status: InventoryAction.RequestStatus, cancel: InventoryAction.Cancel, pause: InventoryAction.Pause, resume: InventoryAction.Resume }[action];
  const info: Dataset = { TransactionUID: transactionUid, ...(action === 'cancel' && { RetainInstances: options.retainInstances ? 'YES' : 'NO' }) };
  return association.nAction(INVENTORY_CREATION_SOP_CLASS, STORAGE_MANAGEMENT_INSTANCE, typeId, info, options);
}

/**
 * SCU: collects inventory reports. Put `handlers` into the association's handlers;
 * `next(uid)` resolves with that transaction's next report (queued when it came first),
 * `done(uid)` with its terminal one (event 11 or 13).
 */
export function inventoryReports(): {
  handlers: Pick<ScpHandlers, 'nEventReport'>;
  next(transactionUid: string, options?: { timeoutMs?: number }): Promise<InventoryReport>;
  done(transactionUid: string, options?: { timeoutMs?: number }): Promise<InventoryReport>;
} {
  const queued = new Map<string, InventoryReport[]>();
  const waiting = new Map<string, Array<(r: InventoryReport) => void>>();
  const next = (uid: string, options: { timeoutMs?: number } = {}) => {
    const ready = queued.get(uid)?.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise<InventoryReport>((resolve, reject) => {
      const list = waiting.get(uid) ?? [];
      waiting.set(uid, list);
      const take = (r: InventoryReport) => {
        clearTimeout(timer);
        resolve(r);
      };
      const timer = options.timeoutMs !== undefined
        ? setTimeout(() => {
            list.splice(list.indexOf(take), 1);
            reject(new Error(`no inventory report for ${uid} within ${options.timeoutMs} ms`));
          }, options.timeoutMs)
        : undefined;
      list.push(take);
    });
  };
  return {
    handlers: {
      nEventReport(request) {
        if (request.sopClassUid !== INVENTORY_CREATION_SOP_CLASS) return { status: 0x0118 };
        if (!Object.values(InventoryEvent).includes(request.typeId as 11)) return { status: 0x0113 };
        const information = request.dataset ?? {};
        const transactionUid = stringValue(information, 'TransactionUID');
        if (!transactionUid) return { status: 0x0120, offendingElement: [0x00081195] };
        const report: InventoryReport = {
          transactionUid,
          eventTypeId: request.typeId!,
          transactionStatus: stringValue(information, 'TransactionStatus'),
          information,
        };
        // Deliver once our response is sent, so a caller that releases next does not overtake it.
        const deliver = () => {
          const waiter = waiting.get(transactionUid)?.shift();
          if (waiter) waiter(report);
          else queued.set(transactionUid, [...(queued.get(transactionUid) ?? []), report]);
        };
        return { status: 0x0000, afterResponse: deliver };
      },
    },
    next,
    async done(uid, options) {
      for (;;) {
        const report = await next(uid, options);
        if (report.eventTypeId !== InventoryEvent.Status) return report;
      }
    },
  };
}
