/**
 * Abstract syntaxes per service class, one list for each of pynetdicom's pre-built
 * `*PresentationContexts` (Verification, Storage, Query/Retrieve, Worklist, ... RT Machine
 * Verification) plus the classes pynetdicom groups elsewhere (Inventory, Storage Management).
 * `ae.addRequestedContext(uid)` per entry, or {@link presentationContextsFor} to merge lists.
 */
import { storageSopClasses } from '../uids/sop-classes';
import { ServiceContexts } from './service-contexts';

/** At most 128 presentation contexts in one A-ASSOCIATE-RQ (PS3.8 §9.3.2.2: odd IDs 1-255). */
const MAX_CONTEXTS = 128;

/** Non-Patient Object Storage classes (PS3.4 Annex GG): hanging protocols, palettes, implant templates, protocols, inventories. */
const NON_PATIENT_OBJECT = [
  '1.2.840.10008.5.1.4.38.1',
  '1.2.840.10008.5.1.4.39.1',
  '1.2.840.10008.5.1.4.43.1',
  '1.2.840.10008.5.1.4.44.1',
  '1.2.840.10008.5.1.4.45.1',
  '1.2.840.10008.5.1.4.1.1.200.1',
  '1.2.840.10008.5.1.4.1.1.200.3',
  '1.2.840.10008.5.1.4.1.1.200.7',
  '1.2.840.10008.5.1.4.1.1.201.1',
];
/** Media Storage Directory Storage (PS3.4 Annex I): DICOMDIRs. */
const MEDIA_STORAGE = ['1.2.840.10008.1.3.10'];

/** Every current (not retired) Storage SOP class, patient objects only (PS3.4 Annex B). */
const ALL_STORAGE = storageSopClasses().filter((uid) => !NON_PATIENT_OBJECT.includes(uid) && !MEDIA_STORAGE.includes(uid));

/** Orders UIDs split into numbers component by component (1.2.10 after 1.2.9), so lists read in registry order. */
const byUidParts = (x: readonly number[], y: readonly number[]) => {
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] === undefined) return -1;
    if (y[i] === undefined) return 1;
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return 0;
};

const IOD = '1.2.840.10008.5.1.4.1.1.';
/**
 * Storage families in the order the 128-class selection takes them: the everyday images first,
 * then RT, structured reports and documents, derived objects, visible light, waveforms,
 * presentation states; the rest (ophthalmic measurements, DICOS, DICONDE...) last.
 */
const STORAGE_PRIORITY = [
  `${IOD}1`, `${IOD}2`, `${IOD}4`, `${IOD}3.`, `${IOD}6.`, `${IOD}7`, `${IOD}12.`, `${IOD}13.`, `${IOD}20`,
  `${IOD}128`, `${IOD}130`, `${IOD}481.`, '1.2.840.10008.5.1.4.34.', `${IOD}88.`, `${IOD}104.`, `${IOD}66`,
  `${IOD}30`, `${IOD}67`, `${IOD}77.`, `${IOD}9.`, `${IOD}11.`,
];
// "1.2.840.10008.5.1.4.1.1.1" must not swallow 1.1.10..., so a family is the prefix plus "." or the exact UID.
const inFamily = (uid: string, prefix: string) => (prefix.endsWith('.') ? uid.startsWith(prefix) : uid === prefix || uid.startsWith(`${prefix}.`));
const rank = (uid: string) => {
  const i = STORAGE_PRIORITY.findIndex((p) => inFamily(uid, p));
  return i < 0 ? STORAGE_PRIORITY.length : i;
};
/**
 * `uids` by family rank, then in registry order. Each UID's key is worked out once, not in every
 * comparison: this runs when the module loads, and a comparator that ranked and split both UIDs
 * each time cost every process ~10 ms at start (and work for the optimizing compiler).
 */
const inStorageOrder = (uids: readonly string[]) =>
  uids
    .map((uid) => ({ uid, rank: rank(uid), parts: uid.split('.').map(Number) }))
    .sort((a, b) => a.rank - b.rank || byUidParts(a.parts, b.parts))
    .map((key) => key.uid);

/**
 * Abstract syntaxes per service class (PS3.4 annex in each comment). Names follow pynetdicom's
 * lists: `storage` is a selection that fits one association (128 current Storage classes:
 * the everyday images, RT, SR and documents first), `allStorage` is all of them (more than
 * one association's worth).
 */
export const PresentationContexts = {
  /** A: Verification. */
  verification: ['1.2.840.10008.1.1'],
  /** B: Storage, a selection of 128 classes (one association's worth), see STORAGE_PRIORITY. */
  storage: inStorageOrder(ALL_STORAGE).slice(0, MAX_CONTEXTS),
  /** B: Storage, every current class (split across associations, as storescu does). */
  allStorage: ALL_STORAGE,
  /** I: Media Storage (DICOMDIR). */
  mediaStorage: MEDIA_STORAGE,
  /** GG: Non-Patient Object Storage. */
  nonPatientObject: NON_PATIENT_OBJECT,
  /** C: Query/Retrieve: Patient Root, Study Root, Patient/Study Only (retired) FIND/MOVE/GET, Composite Instance Root, without bulk data, Repository Query. */
  queryRetrieve: [
    '1.2.840.10008.5.1.4.1.2.1.1', '1.2.840.10008.5.1.4.1.2.1.2', '1.2.840.10008.5.1.4.1.2.1.3',
    '1.2.840.10008.5.1.4.1.2.2.1', '1.2.840.10008.5.1.4.1.2.2.2', '1.2.840.10008.5.1.4.1.2.2.3',
    '1.2.840.10008.5.1.4.1.2.3.1', '1.2.840.10008.5.1.4.1.2.3.2', '1.2.840.10008.5.1.4.1.2.3.3',
    '1.2.840.10008.5.1.4.1.2.4.2', '1.2.840.10008.5.1.4.1.2.4.3', '1.2.840.10008.5.1.4.1.2.5.3',
    '1.2.840.10008.5.1.4.1.1.201.6',
  ],
  /** K: Basic Worklist Management (Modality Worklist FIND). */
  basicWorklistManagement: ['1.2.840.10008.5.1.4.31'],
  /** Q: Relevant Patient Information Query (general, breast imaging, cardiac). */
  relevantPatientInformation: ['1.2.840.10008.5.1.4.37.1', '1.2.840.10008.5.1.4.37.2', '1.2.840.10008.5.1.4.37.3'],
  /** V: Substance Administration Query (Product Characteristics, Substance Approval). */
  substanceAdministration: ['1.2.840.10008.5.1.4.41', '1.2.840.10008.5.1.4.42'],
  /** X: Color Palette Query/Retrieve FIND/MOVE/GET. */
  colorPalette: ['1.2.840.10008.5.1.4.39.2', '1.2.840.10008.5.1.4.39.3', '1.2.840.10008.5.1.4.39.4'],
  /** HH: Defined Procedure Protocol Query/Retrieve FIND/MOVE/GET. */
  definedProcedureProtocol: ['1.2.840.10008.5.1.4.20.1', '1.2.840.10008.5.1.4.20.2', '1.2.840.10008.5.1.4.20.3'],
  /** U: Hanging Protocol Query/Retrieve FIND/MOVE/GET. */
  hangingProtocol: ['1.2.840.10008.5.1.4.38.2', '1.2.840.10008.5.1.4.38.3', '1.2.840.10008.5.1.4.38.4'],
  /** BB: Implant Template Query/Retrieve (generic template, assembly template, template group) FIND/MOVE/GET. */
  implantTemplate: [
    '1.2.840.10008.5.1.4.43.2', '1.2.840.10008.5.1.4.43.3', '1.2.840.10008.5.1.4.43.4',
    '1.2.840.10008.5.1.4.44.2', '1.2.840.10008.5.1.4.44.3', '1.2.840.10008.5.1.4.44.4',
    '1.2.840.10008.5.1.4.45.2', '1.2.840.10008.5.1.4.45.3', '1.2.840.10008.5.1.4.45.4',
  ],
  /** II: Protocol Approval Query/Retrieve FIND/MOVE/GET. */
  protocolApproval: ['1.2.840.10008.5.1.4.1.1.200.4', '1.2.840.10008.5.1.4.1.1.200.5', '1.2.840.10008.5.1.4.1.1.200.6'],
  /** JJ: Inventory Query/Retrieve FIND/MOVE/GET. */
  inventory: ['1.2.840.10008.5.1.4.1.1.201.2', '1.2.840.10008.5.1.4.1.1.201.3', '1.2.840.10008.5.1.4.1.1.201.4'],
  /** EE: Display System Management. */
  displaySystem: [...ServiceContexts.displaySystem],
  /** J: Storage Commitment Push Model. */
  storageCommitment: [...ServiceContexts.storageCommitment],
  /** F: Modality Performed Procedure Step, Retrieve, Notification. */
  modalityPerformedProcedureStep: [...ServiceContexts.procedureStep],
  /** F: the same three, under pynetdicom's other name (ProcedureStepPresentationContexts). */
  procedureStep: [...ServiceContexts.procedureStep],
  /** R: Instance Availability Notification. */
  instanceAvailability: [...ServiceContexts.instanceAvailability],
  /** H: Print Management: the meta classes and every component class (film session, film box, image boxes, print job, annotation, printer, printer configuration, presentation LUT). */
  printManagement: [
    '1.2.840.10008.5.1.1.1', '1.2.840.10008.5.1.1.2', '1.2.840.10008.5.1.1.4', '1.2.840.10008.5.1.1.4.1',
    '1.2.840.10008.5.1.1.9', '1.2.840.10008.5.1.1.14', '1.2.840.10008.5.1.1.15', '1.2.840.10008.5.1.1.16',
    '1.2.840.10008.5.1.1.16.376', '1.2.840.10008.5.1.1.18', '1.2.840.10008.5.1.1.23',
  ],
  /** CC: Unified Procedure Step Push, Watch, Pull, Event, Query. */
  unifiedProcedureStep: [...ServiceContexts.unifiedProcedureStep],
  /** S: Media Creation Management. */
  mediaCreationManagement: [...ServiceContexts.mediaCreation],
  /** P: Application Event Logging (Procedural Event Logging, Substance Administration Logging). */
  applicationEventLogging: ['1.2.840.10008.1.40', '1.2.840.10008.1.42'],
  /** DD: RT Machine Verification (conventional, ion). */
  rtMachineVerification: ['1.2.840.10008.5.1.4.34.8', '1.2.840.10008.5.1.4.34.9'],
  /** KK: Storage Management (Inventory Creation). */
  storageManagement: ['1.2.840.10008.5.1.4.1.1.201.5'],
} as const satisfies Record<string, readonly string[]>;

/** A service class name of {@link PresentationContexts}. */
export type ServiceClassName = keyof typeof PresentationContexts;

/**
 * The abstract syntaxes of several service classes, without repeats, in the order given, e.g.
 * `presentationContextsFor('verification', 'storageCommitment', 'rtMachineVerification')`.
 * Throws a RangeError above the 128 contexts one association can carry.
 */
export function presentationContextsFor(...services: ServiceClassName[]): string[] {
  const uids = [...new Set(services.flatMap((s) => PresentationContexts[s]))];
  if (uids.length > MAX_CONTEXTS) {
    throw new RangeError(`${uids.length} abstract syntaxes: one association carries at most ${MAX_CONTEXTS} presentation contexts`);
  }
  return uids;
}
