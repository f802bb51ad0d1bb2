/**
 * UID registry for SOP classes (PS3.6 Table A-1, PS3.4 service classes): lookups by UID and
 * keyword, and human-readable names for any UID netdicom prints.
 */
import { META, N_SERVICE, QUERY_RETRIEVE, REAL_TIME, STORAGE, VERIFICATION, WELL_KNOWN_INSTANCES } from './sop-class-data';
import { transferSyntax } from './transfer-syntax';

/** How a SOP class is used on the network (its PS3.4 service class family). */
export type SopClassKind =
  | 'verification'
  | 'storage'
  | 'query-retrieve'
  | 'n-service'
  | 'meta'
  | 'real-time'
  | 'well-known-instance';

/** One registry entry (PS3.6 Table A-1). */
export interface SopClassInfo {
  readonly uid: string;
  readonly name: string;
  /** PS3.6 keyword, e.g. "CTImageStorage". */
  readonly keyword: string;
  readonly kind: SopClassKind;
  readonly retired?: boolean;
}

type Rows = ReadonlyArray<readonly [string, string, string, ('r' | undefined)?]>;
type KeywordMap<T extends Rows> = { readonly [R in T[number] as R[1]]: R[0] };
type AllRows =
  | typeof VERIFICATION
  | typeof STORAGE
  | typeof QUERY_RETRIEVE
  | typeof N_SERVICE
  | typeof META
  | typeof REAL_TIME
  | typeof WELL_KNOWN_INSTANCES;

const GROUPS: ReadonlyArray<readonly [SopClassKind, Rows]> = [
  ['verification', VERIFICATION],
  ['storage', STORAGE],
  ['query-retrieve', QUERY_RETRIEVE],
  ['n-service', N_SERVICE],
  ['meta', META],
  ['real-time', REAL_TIME],
  ['well-known-instance', WELL_KNOWN_INSTANCES],
];

const REGISTRY: readonly SopClassInfo[] = GROUPS.flatMap(([kind, rows]) =>
  rows.map(([uid, keyword, name, r]): SopClassInfo => ({ uid, keyword, name, kind, ...(r ? { retired: true } : {}) })),
);
const BY_UID: ReadonlyMap<string, SopClassInfo> = new Map(REGISTRY.map((e) => [e.uid, e]));

/**
 * Keyword -> UID constants for every SOP class, meta SOP class and well-known SOP instance of
 * PS3.6 Table A-1, e.g. `SopClass.Verification`, `SopClass.CTImageStorage`,
 * `SopClass.StudyRootQueryRetrieveInformationModelFind`.
 */
export const SopClass = Object.freeze(Object.fromEntries(REGISTRY.map((e) => [e.keyword, e.uid]))) as KeywordMap<AllRows>;

/** The registry entry for a UID (PS3.6 Table A-1), or undefined. */
export function sopClass(uid: string): SopClassInfo | undefined {
  return BY_UID.get(uid);
}

/** Every registry entry, optionally of one kind. */
export function sopClasses(kind?: SopClassKind): SopClassInfo[] {
  return kind ? REGISTRY.filter((e) => e.kind === kind) : [...REGISTRY];
}

/** True when `uid` is a Storage SOP class (PS3.4 Annex B and the other C-STORE-able objects), retired ones included. */
export function isStorageSopClass(uid: string): boolean {
  return BY_UID.get(uid)?.kind === 'storage';
}

/** The UIDs of the Storage SOP classes; current ones only unless `includeRetired` (PS3.4 B.5). */
export function storageSopClasses(options: { includeRetired?: boolean } = {}): string[] {
  return REGISTRY.filter((e) => e.kind === 'storage' && (options.includeRetired || !e.retired)).map((e) => e.uid);
}

/** DICOM Application Context Name (PS3.7 Annex A.2.1). */
export const DICOM_APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

/**
 * A readable name for a UID: SOP classes and instances, transfer syntaxes, the application
 * context name (PS3.6 Table A-1). Falls back to the UID itself.
 */
export function uidName(uid: string): string {
  if (uid === DICOM_APPLICATION_CONTEXT) return 'DICOM Application Context Name';
  return BY_UID.get(uid)?.name ?? transferSyntax(uid)?.name ?? uid;
}
