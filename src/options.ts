/**
 * Application entity options and their defaults (see shared/reliability.md §5 for why these values).
 */
import type { Logger } from './logger';
import type { NetObserver } from './telemetry';

/**
 * Options of an {@link ApplicationEntity}: AE title, PDU and data set size limits, the ACSE, DIMSE,
 * network and ARTIM timeouts, implementation identity, asynchronous operations window, logging and
 * telemetry. `new ApplicationEntity({...})` takes any subset and fills in the rest from
 * {@link DEFAULT_AE_OPTIONS}; the resolved values are `ae.options` and `association.options`.
 */
export interface AeOptions {
  /** Our AE title (1-16 characters). Default 'NETDICOM'. */
  aeTitle: string;
  /** Largest P-DATA-TF we accept, advertised in 51H: 4096..16 MiB, or 0 = unlimited (up to that 16 MiB). Default 16384. */
  maxPduLength: number;
  /** Largest A-ASSOCIATE-RQ/AC accepted. Default 1 MiB. */
  associatePduMax: number;
  /** ACSE timeout: waiting for A-ASSOCIATE-AC/RJ and A-RELEASE-RP (ms). Default 30000. */
  acseTimeoutMs: number;
  /** DIMSE timeout: waiting for a response (ms). Default 30000; Infinity waits for ever. */
  dimseTimeoutMs: number;
  /** Network timeout: an established association with no traffic this long is aborted (ms). Default 60000; Infinity disables. */
  networkTimeoutMs: number;
  /** Per-PDU read deadline: a PDU not received whole this long after its first byte is aborted, A-ABORT (0,0) (ms). Default 30000; 0 or Infinity disables. */
  pduReadTimeoutMs: number;
  /** ARTIM timeout (PS3.8 §9.1.5): waiting for the A-ASSOCIATE-RQ, and for the peer to close (ms). Default 30000. */
  artimTimeoutMs: number;
  /** After we send A-ABORT/RJ/RP, wait at most this long for the peer to close (ms). Default 1000. */
  abortLingerMs: number;
  /** Largest command set accepted (bytes). Default 64 KiB. */
  maxCommandLength: number;
  /** Largest data set held in memory for non-streamed messages (bytes). Default 16 MiB. */
  maxDatasetLength: number;
  /** Implementation Class UID sent in 52H. */
  implementationClassUid: string;
  /** Implementation Version Name sent in 55H (≤ 16 characters). */
  implementationVersionName: string;
  /** Asynchronous operations window we offer/accept (PS3.7 D.3.3.3); default 1/1 (no window item sent). */
  asyncOps: { maxInvoked: number; maxPerformed: number };
  /** Where diagnostics go. Default: silent. */
  logger: Logger;
  /** Log readable PDU and DIMSE dumps at debug level. */
  debug: boolean;
  /** Receives typed association, DIMSE and PDU events (see telemetry.ts). Unset: no cost. */
  observe?: NetObserver;
}

/** netdicom's implementation class UID (a 2.25 UUID-derived root, PS3.5 Annex B.2). */
export const IMPLEMENTATION_CLASS_UID = '2.25.106583904771389417213645374616331412385';
/** netdicom's implementation version name. */
export const IMPLEMENTATION_VERSION_NAME = 'NETDICOM_010';

/**
 * The value of every {@link AeOptions} field not given to `new ApplicationEntity(...)`, except the
 * logger (silent by default). Frozen.
 */
export const DEFAULT_AE_OPTIONS: Readonly<Omit<AeOptions, 'logger'>> = Object.freeze({
  aeTitle: 'NETDICOM',
  maxPduLength: 16384,
  associatePduMax: 1024 * 1024,
  acseTimeoutMs: 30000,
  dimseTimeoutMs: 30000,
  networkTimeoutMs: 60000,
  pduReadTimeoutMs: 30000,
  artimTimeoutMs: 30000,
  abortLingerMs: 1000,
  maxCommandLength: 64 * 1024,
  maxDatasetLength: 16 * 1024 * 1024,
  implementationClassUid: IMPLEMENTATION_CLASS_UID,
  implementationVersionName: IMPLEMENTATION_VERSION_NAME,
  asyncOps: { maxInvoked: 1, maxPerformed: 1 },
  debug: false,
});
