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
  /** Aborting: C-CANCEL where the service has one (C-FIND/GET/MOVE), otherwise A-ABORT. */
  signal?: AbortSignal;
  /** Overrides the DIMSE timeout for this call (ms). */
  timeoutMs?: number;
  /** Priority (0000,0700). Default medium. */
  priority?: 'low' | 'medium' | 'high';
}
