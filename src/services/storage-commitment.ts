/**
 * Storage Commitment Push Model (PS3.4 Annex J): the SCU asks with N-ACTION (Action Type 1,
 * Request Storage Commitment) and the SCP reports with N-EVENT-REPORT (Event Type 1 all
 * committed, 2 failures exist), on the same association or on one it opens to the SCU with
 * role reversal (PS3.4 J.3.3: the SCP as requestor proposes the SCP role for the class).
 */
import type { Association } from '../association';
import type { NRequest, RequestContext, ScpHandlers } from '../scp/types';
import type { NCallOptions, NResult } from '../scu/n-services';
import type { Dataset } from '../scu/types';
import { generateUid } from '../uids/generate';
import { stringValue } from './n-attributes';

/** Storage Commitment Push Model SOP Class (PS3.4 J.3). */
export const STORAGE_COMMITMENT_SOP_CLASS = '1.2.840.10008.1.20.1';
/** Its well-known SOP Instance (PS3.6 Table A-1). */
export const STORAGE_COMMITMENT_INSTANCE = '1.2.840.10008.1.20.1.1';

/** An instance to commit: Referenced SOP Class/Instance UID. */
export interface SopReference {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
}

/** A reference the SCP could not commit, with its Failure Reason (0008,1197) (PS3.4 J.3.3.1.1). */
export interface FailedReference extends SopReference {
  /** e.g. 0x0110 processing failure, 0x0112 no such object instance, 0x0122 class not supported, 0x0119 class/instance conflict, 0x0131 duplicate transaction UID, 0x0213 resource limitation. */
  readonly failureReason: number;
}

/** The outcome of a commitment request as the N-EVENT-REPORT carries it. */
export interface CommitmentResult {
  readonly transactionUid: string;
  /** 1: all committed; 2: failures exist (PS3.4 J.3.3.1). */
  readonly eventTypeId: number;
  readonly committed: SopReference[];
  readonly failed: FailedReference[];
  readonly retrieveAeTitle?: string;
}

const toItem = (r: SopReference) => ({ ReferencedSOPClassUID: r.sopClassUid, ReferencedSOPInstanceUID: r.sopInstanceUid });
const items = (ds: Dataset | null, key: string): Dataset[] => (Array.isArray(ds?.[key]) ? (ds![key] as Dataset[]) : []);
const fromItem = (i: Dataset): SopReference => ({
  sopClassUid: stringValue(i, 'ReferencedSOPClassUID') ?? '',
  sopInstanceUid: stringValue(i, 'ReferencedSOPInstanceUID') ?? '',
});

/** The N-EVENT-REPORT Event Information of a result (PS3.4 Table J.3-2). */
export function commitmentEventInformation(result: Omit<CommitmentResult, 'eventTypeId'>): { eventTypeId: number; information: Dataset } {
  const information: Dataset = { TransactionUID: result.transactionUid };
  if (result.retrieveAeTitle) information.RetrieveAETitle = result.retrieveAeTitle;
  if (result.committed.length > 0) information.ReferencedSOPSequence = result.committed.map(toItem);
  if (result.failed.length > 0) {
    information.FailedSOPSequence = result.failed.map((f) => ({ ...toItem(f), FailureReason: f.failureReason }));
  }
  return { eventTypeId: result.failed.length > 0 ? 2 : 1, information };
}

/** Reads a commitment result from an N-EVENT-REPORT's Event Information. */
export function parseCommitmentResult(eventTypeId: number, information: Dataset | null): CommitmentResult {
  return {
    transactionUid: stringValue(information, 'TransactionUID') ?? '',
    eventTypeId,
    committed: items(information, 'ReferencedSOPSequence').map(fromItem),
    failed: items(information, 'FailedSOPSequence').map((i) => ({ ...fromItem(i), failureReason: Number(i.FailureReason ?? 0x0110) })),
    ...(stringValue(information, 'RetrieveAETitle') && { retrieveAeTitle: stringValue(information, 'RetrieveAETitle') }),
  };
}

/**
 * SCU: N-ACTION Request Storage Commitment (PS3.4 J.3.2) with a new Transaction UID (or the one
 * given). The result comes later as an N-EVENT-REPORT: see {@link storageCommitmentResults}.
 */
export async function requestStorageCommitment(
  association: Association,
  references: readonly SopReference[],
  options: NCallOptions & { transactionUid?: string } = {},
): Promise<NResult & { transactionUid: string }> {
  const transactionUid = options.transactionUid ?? generateUid();
  const response = await association.nAction(STORAGE_COMMITMENT_SOP_CLASS, STORAGE_COMMITMENT_INSTANCE, 1, {
    TransactionUID: transactionUid,
    ReferencedSOPSequence: references.map(toItem),
  }, options);
  return { ...response, transactionUid };
}

/**
 * SCU: collects commitment reports. Put `handlers` into the association's handlers (same
 * association: `associate(t, { handlers })`) and/or into the AE that accepts the SCP's report
 * association (with `addSupportedContext(STORAGE_COMMITMENT_SOP_CLASS, ts, { scpRole: true })`);
 * `wait(transactionUid)` resolves when that transaction's report arrives (even if it came first).
 */
export function storageCommitmentResults(): {
  handlers: Pick<ScpHandlers, 'nEventReport'>;
  wait(transactionUid: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<CommitmentResult>;
} {
  const arrived = new Map<string, CommitmentResult>();
  const waiting = new Map<string, (r: CommitmentResult) => void>();
  return {
    handlers: {
      nEventReport(request) {
        if (request.sopClassUid !== STORAGE_COMMITMENT_SOP_CLASS) return { status: 0x0118 };
        if (request.typeId !== 1 && request.typeId !== 2) return { status: 0x0113 };
        const result = parseCommitmentResult(request.typeId, request.dataset);
        // Deliver once our response is sent, so a caller that releases next does not overtake it.
        const deliver = () => {
          const waiter = waiting.get(result.transactionUid);
          if (waiter) waiter(result);
          else arrived.set(result.transactionUid, result);
        };
        return { status: 0x0000, afterResponse: deliver };
      },
    },
    wait(transactionUid, options = {}) {
      const ready = arrived.get(transactionUid);
      if (ready) {
        arrived.delete(transactionUid);
        return Promise.resolve(ready);
      }
      return new Promise((resolve, reject) => {
        const timer = options.timeoutMs !== undefined
          ? setTimeout(() => finish(() => reject(new Error(`no storage commitment report for ${transactionUid} within ${options.timeoutMs} ms`))), options.timeoutMs)
          : undefined;
        const onAbort = () => finish(() => reject(options.signal!.reason));
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiting.delete(transactionUid);
          options.signal?.removeEventListener('abort', onAbort);
          settle();
        };
        options.signal?.addEventListener('abort', onAbort, { once: true });
        waiting.set(transactionUid, (r) => finish(() => resolve(r)));
      });
    },
  };
}

/** A commitment request as the SCP's `commit` sees it. */
export interface CommitmentRequest {
  readonly transactionUid: string;
  readonly references: SopReference[];
  readonly peerAeTitle: string;
}

/**
 * Options of {@link storageCommitmentScp}: `commit`, which takes responsibility for the requested
 * instances and says which failed, and where the N-EVENT-REPORT with the result goes: on the
 * request's association or on a new one with role reversal (PS3.4 J.3.3).
 */
export interface StorageCommitmentScpOptions {
  /**
   * Takes responsibility for the instances (e.g. checks they are stored safely); says which failed.
   * If it throws or rejects, every instance is reported failed with 0x0110 (processing failure).
   */
  commit(request: CommitmentRequest, ctx: RequestContext): { failed?: FailedReference[]; retrieveAeTitle?: string } | Promise<{ failed?: FailedReference[]; retrieveAeTitle?: string }>;
  /**
   * Opens an association to the SCU for the report (PS3.4 J.3.3: role reversal; propose the
   * class with `{ scuRole: false, scpRole: true }`). Used when `reportOn` is 'new', or when the
   * request's association has ended by the time the result is ready. Released after the report.
   */
  openReportAssociation?(peerAeTitle: string): Promise<Association>;
  /** Where to send the report. Default 'same' (falls back to a new association when it has ended). */
  reportOn?: 'same' | 'new';
  /** Told about each report sent (its status) or a failure to send it. */
  onReport?(result: CommitmentResult, outcome: { status?: number; error?: Error }): void;
}

/**
 * SCP: an N-ACTION handler (PS3.4 J.3.2) that validates the request, answers at once, then runs
 * `commit` and sends the N-EVENT-REPORT (PS3.4 J.3.3).
 */
export function storageCommitmentScp(options: StorageCommitmentScpOptions): Pick<ScpHandlers, 'nAction'> {
  return {
    nAction(request: NRequest, ctx: RequestContext) {
      if (request.sopClassUid !== STORAGE_COMMITMENT_SOP_CLASS) return { status: 0x0118 };
      if (request.sopInstanceUid !== STORAGE_COMMITMENT_INSTANCE) return { status: 0x0112 };
      if (request.typeId !== 1) return { status: 0x0123 };
      const transactionUid = stringValue(request.dataset, 'TransactionUID');
      const references = items(request.dataset, 'ReferencedSOPSequence').map(fromItem);
      if (!transactionUid) return { status: 0x0120, offendingElement: [0x00081195] };
      if (references.length === 0) return { status: 0x0120, offendingElement: [0x00081199] };
      return {
        status: 0x0000,
        afterResponse: () => report(options, { transactionUid, references, peerAeTitle: ctx.peerAeTitle }, ctx),
      };
    },
  };
}

async function report(options: StorageCommitmentScpOptions, request: CommitmentRequest, ctx: RequestContext): Promise<void> {
  let outcome: { failed?: FailedReference[]; retrieveAeTitle?: string };
  try {
    outcome = await options.commit(request, ctx);
  } catch (error) {
    // The N-ACTION was answered Success: the SCU still waits for a report (PS3.4 J.3.3), so it gets one.
    ctx.association.options.logger.error(`storage commitment ${request.transactionUid} failed: ${(error as Error)?.message ?? error}`);
    outcome = { failed: request.references.map((r) => ({ ...r, failureReason: 0x0110 })) };
  }
  const failed = outcome.failed ?? [];
  const isFailed = (r: SopReference) => failed.some((f) => f.sopInstanceUid === r.sopInstanceUid);
  const partial = { transactionUid: request.transactionUid, committed: request.references.filter((r) => !isFailed(r)), failed, retrieveAeTitle: outcome.retrieveAeTitle };
  const { eventTypeId, information } = commitmentEventInformation(partial);
  const result: CommitmentResult = { ...partial, eventTypeId };
  const useNew = options.reportOn === 'new' || !ctx.association.isEstablished;
  try {
    if (useNew && !options.openReportAssociation) throw new Error('storage commitment: no way to open a report association');
    const association = useNew ? await options.openReportAssociation!(request.peerAeTitle) : ctx.association;
    try {
      const rsp = await association.nEventReport(STORAGE_COMMITMENT_SOP_CLASS, STORAGE_COMMITMENT_INSTANCE, eventTypeId, information);
      options.onReport?.(result, { status: rsp.status });
    } finally {
      if (useNew) await association.release().catch(() => association.abort());
    }
  } catch (error) {
    options.onReport?.(result, { error: error as Error });
    throw error;
  }
}
