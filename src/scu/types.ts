/**
 * Types shared by the SCU operations.
 */
import type { Command } from '../dimse/types';

/** A data set as dcmjs "naturalized" JSON: DICOM keywords as keys (e.g. `{ PatientName: 'DOE^J' }`). */
export type Dataset = Record<string, unknown>;

/** Status categories of PS3.7 Annex C. */
export type StatusCategory = 'Success' | 'Warning' | 'Failure' | 'Cancel' | 'Pending';

/** A DIMSE response as the SCU sees it. A failure status is a value, not an exception. */
export interface DimseResponse {
  /** Status (0000,0900). */
  readonly status: number;
  readonly category: StatusCategory;
  /** The whole response command set (ErrorComment, OffendingElement, counts, ...). */
  readonly command: Command;
}

/** Options every SCU call takes. */
export interface CallOptions {
  /**
   * Gives up on the call. C-FIND/GET/MOVE send C-CANCEL and read on to the final response. The
   * other services have no cancel: the call rejects at once with the signal's reason and the
   * association goes on; the request keeps its slot in the asynchronous operations window until
   * its late response comes (then dropped) or the DIMSE timeout (which aborts the association, as
   * for any call); with no DIMSE timeout (Infinity) the slot is freed at once, as nothing else
   * would free it. Only a request still being sent (a large C-STORE to a slow peer) is given up
   * with an A-ABORT: it cannot be taken back part-way.
   */
  signal?: AbortSignal;
  /**
   * Overrides the DIMSE timeout for this call (ms): how long the response may take, and how long
   * the request's send may go without progress, i.e. without the transport draining what it holds
   * (up to about 1 MiB; a peer that stopped reading). Past it the call rejects with a
   * TimeoutError and the association is aborted.
   */
  timeoutMs?: number;
  /** Priority (0000,0700). Default medium. */
  priority?: 'low' | 'medium' | 'high';
}
