/**
 * The UPS worklist an SCP manages (PS3.4 CC.2): instances, Transaction UIDs, performers and
 * subscriptions, with the state rules and statuses of each operation. Each operation returns its
 * status and the events it causes; the caller sends them once the response is out.
 */
import type { Dataset } from '../scu/types';
import { identityRefusal, namingTags, notAllowedAnswer, stringValue, tagForKeyword } from './n-attributes';
import { hasValue, offendingTags, pathText } from './procedure-step-requirements';
import { assignedInfos, cancelRequestedInfo, progressItem, progressReportInfo, stateReportInfo } from './ups-event-info';
import { createProblems, invalidEnumerated, unmetFinalState, UPS_FINAL_STATE, UPS_SET_NOT_ALLOWED, type UpsFinalStateRequirement } from './ups-requirements';
import { UPS_FILTERED_GLOBAL_SUBSCRIPTION, UPS_GLOBAL_SUBSCRIPTION, UpsAction, UpsClass, UpsEvent } from './ups-scu';
import { UpsStatus } from './ups-status';
import { UpsSubscriptions } from './ups-subscriptions';
import { decideChange, type UpsState } from './ups-transitions';

/** One N-EVENT-REPORT to send: to `to`, about UPS `uid`. */
export interface UpsPendingEvent {
  readonly to: string;
  readonly uid: string;
  readonly eventTypeId: number;
  readonly information: Dataset;
}

/** The result of one operation: the response fields and the events to send after it. */
export interface UpsOutcome {
  readonly status: number;
  readonly errorComment?: string;
  readonly offendingElement?: number[];
  /** Attribute Identifier List (0000,1005): the tags of a 0x0120 / 0x0121 answer (see namingTags). */
  readonly attributeIdentifierList?: number[];
  readonly events: UpsPendingEvent[];
}

/** Policies of the worklist (PS3.4 CC.2.3.3, CC.2.2.3, CC.4.2). */
export interface UpsWorklistOptions {
  /** UPS instances by SOP Instance UID (default: a new in-memory map). */
  store?: Map<string, Dataset>;
  /** Final State requirements checked before COMPLETED / CANCELED (default UPS_FINAL_STATE). */
  finalState?: readonly UpsFinalStateRequirement[];
  /** Grant Deletion Locks (default true); false answers B301 and subscribes without lock. */
  deletionLocks?: boolean;
  /** Accept subscriptions (default true); false answers C315. */
  eventReports?: boolean;
  /** Whether an AE may be a Receiving AE (default: any); false answers C308. */
  knownAe?(aeTitle: string): boolean;
  /** Worklist Label (0074,1202) given to a UPS created without one (default: the SCP's AE title). */
  worklistLabel?: string;
  /**
   * Told of each Request UPS Cancel of an IN PROGRESS UPS before subscribers are: a returned
   * status refuses it, e.g. UpsStatus.performerRefusesCancel when the SCP performs the step itself.
   */
  onCancelRequest?(uid: string, information: Dataset, requestingAe: string): number | void;
}

const FINAL = new Set(['COMPLETED', 'CANCELED']);
/** PS3.16 CID 9300: used when the SCP cancels a SCHEDULED UPS and the request gave no reason code. */
const UNSPECIFIED_REASON = { CodeValue: '110513', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Discontinued for unspecified reason' };
const ok = (events: UpsPendingEvent[] = []): UpsOutcome => ({ status: 0, events });
const fail = (status: number, errorComment?: string, offendingElement?: number[]): UpsOutcome => ({
  status,
  events: [],
  ...(errorComment !== undefined && { errorComment }),
  ...(offendingElement !== undefined && { offendingElement }),
});
/**
 * 0x0120 Missing Attribute / 0x0121 Missing Attribute Value: the tags in the Attribute Identifier
 * List (PS3.7's field for 0x0120, C.5.13) and in Offending Element, as before (namingTags).
 */
const missing = (status: 0x0120 | 0x0121, named: number[], errorComment?: string): UpsOutcome => ({
  status,
  events: [],
  ...(errorComment !== undefined && { errorComment }),
  ...namingTags(named),
});

/** The state of every UPS, and what each UPS operation does to it. */
export class UpsWorklist {
  readonly store: Map<string, Dataset>;
  readonly subscriptions = new UpsSubscriptions();
  /** The Transaction UID of each UPS that went IN PROGRESS; kept after the final state (Table CC.1.1-2). */
  private readonly transactions = new Map<string, string>();
  /** The AE that claimed each UPS (the performing SCU), for Request UPS Cancel. */
  private readonly performers = new Map<string, string>();

  constructor(private readonly options: UpsWorklistOptions = {}) {
    this.store = options.store ?? new Map();
  }

  /** N-CREATE (CC.2.5): a new SCHEDULED UPS; global subscribers are subscribed and told. */
  create(uid: string, attributes: Dataset, scpAeTitle: string): UpsOutcome {
    if (this.store.has(uid)) return fail(0x0111);
    // Procedure Step State is Type 1 (Table CC.2.5-3): missing 0x0120, empty 0x0121; C309 is for another value.
    if (!('ProcedureStepState' in attributes)) return missing(0x0120, [0x00741000]);
    if (!hasValue(attributes.ProcedureStepState)) return missing(0x0121, [0x00741000]);
    if (stringValue(attributes, 'ProcedureStepState') !== 'SCHEDULED') return fail(UpsStatus.notScheduled, undefined, [0x00741000]);
    const problem = createProblems(attributes);
    if (problem) {
      const comment = problem.keywords.join(', ').slice(0, 64);
      if (problem.status === 0x0120 || problem.status === 0x0121) return missing(problem.status, tags(problem.keywords), comment);
      return fail(problem.status, comment, tags(problem.keywords));
    }
    const instance: Dataset = { ...attributes, SOPClassUID: UpsClass.push, SOPInstanceUID: uid };
    // Transaction UID is 2/2 and empty at creation: the lock is set by the IN PROGRESS change only.
    delete instance.TransactionUID;
    if (!hasValue(instance.WorklistLabel)) instance.WorklistLabel = this.options.worklistLabel ?? scpAeTitle.trim();
    if (!hasValue(instance.ScheduledProcedureStepModificationDateTime)) instance.ScheduledProcedureStepModificationDateTime = dicomDateTime();
    this.store.set(uid, instance);
    const subscribers = this.subscriptions.created(uid, instance);
    return ok(this.toEach(subscribers, uid, [[UpsEvent.stateReport, stateReportInfo(instance)], ...assignedInfos(instance).map((i) => [UpsEvent.assigned, i] as const)]));
  }

  /**
   * N-SET (CC.2.6): refused on a final UPS (C300), with a Transaction UID on a SCHEDULED one
   * (C310), without the recorded one on an IN PROGRESS one (C301); a SOP Class/Instance UID
   * other than the UPS's is 0x0106 naming it; the state is not set this way (C303 / 0x0106); an
   * attribute Table CC.2.5-3 marks "Not allowed" for N-SET (UPS_SET_NOT_ALLOWED, e.g. Patient's
   * Name) is 0x0106 naming it. A refused N-SET changes nothing. `bySCP` skips the C300, Transaction
   * UID and "Not allowed" checks: the SCP itself updates and may correct any attribute, also after
   * completion (CC.2.6.3); a COMPLETED / CANCELED UPS must still meet its Final State
   * requirements afterwards (else C304 naming the first one unmet, nothing changes).
   */
  update(uid: string, modifications: Dataset, bySCP = false): UpsOutcome {
    const instance = this.store.get(uid);
    if (!instance) return fail(UpsStatus.noSuchUps);
    const state = stringValue(instance, 'ProcedureStepState');
    const final = FINAL.has(state ?? '');
    // CC.2.6.3: "The SCP shall refuse set requests on a COMPLETED or CANCELED UPS", yet "may itself
    // modify any Attributes ... to correct Attribute Values after completion of the procedure".
    if (final && !bySCP) return fail(UpsStatus.mayNoLongerBeUpdated);
    const tuid = nonEmpty(stringValue(modifications, 'TransactionUID'));
    if (!bySCP && state === 'SCHEDULED' && tuid !== undefined) return fail(UpsStatus.notInProgress, 'a SCHEDULED UPS is set without Transaction UID');
    if (!bySCP && state === 'IN PROGRESS' && tuid !== this.transactions.get(uid)) return fail(UpsStatus.wrongTransactionUid);
    // Every UPS is a UPS Push instance (CC.3.1): answering Success while ignoring another identity would mislead the SCU.
    const renamed = identityRefusal(modifications, { sopClassUid: UpsClass.push, sopInstanceUid: uid });
    if (renamed) return fail(renamed.status, renamed.errorComment, renamed.offendingElement);
    if ('ProcedureStepState' in modifications) {
      if (stringValue(modifications, 'ProcedureStepState') === 'SCHEDULED') return fail(UpsStatus.scheduledOnlyByCreate);
      return fail(0x0106, 'the state changes by N-ACTION Change UPS State only', [0x00741000]);
    }
    // CC.2.6.4 names no status for these: 0x0106 Invalid Attribute Value (PS3.7 C.5.11) naming them
    // in Offending Element, as the MPPS and RT Machine Verification SCPs do. (dcm4chee-arc answers
    // 0x0105 No Such Attribute with an Attribute Identifier List, though C.5.17 means a tag it does
    // not know; pynetdicom leaves N-SET checks to the handler.)
    const notAllowed = bySCP ? undefined : notAllowedAnswer(modifications, UPS_SET_NOT_ALLOWED, 'not allowed in a UPS N-SET (PS3.4 Table CC.2.5-3)');
    if (notAllowed) return fail(notAllowed.status, notAllowed.errorComment, notAllowed.offendingElement);
    const invalid = invalidEnumerated(modifications);
    if (invalid.length > 0) return fail(0x0106, invalid.join(', '), tags(invalid));
    const changes: Dataset = {};
    for (const k of Object.keys(modifications)) {
      // The lock and the identity are not attributes an N-SET changes.
      if (!k.startsWith('_') && k !== 'TransactionUID' && k !== 'SOPClassUID' && k !== 'SOPInstanceUID') changes[k] = modifications[k];
    }
    if (final) {
      // A correction after completion keeps what the final state needed (CC.2.5.1.1, Table CC.2.5-3).
      const unmet = unmetFinalState({ ...instance, ...changes }, state as 'COMPLETED' | 'CANCELED', this.finalState);
      if (unmet.length > 0) return fail(UpsStatus.finalStateNotMet, `final state: ${pathText(unmet[0]!.path)} missing`, offendingTags(unmet));
    }
    const before = watched(instance);
    Object.assign(instance, changes);
    if (state === 'SCHEDULED' && !('ScheduledProcedureStepModificationDateTime' in changes)) instance.ScheduledProcedureStepModificationDateTime = dicomDateTime();
    const after = watched(instance);
    const events: Array<readonly [number, Dataset]> = [];
    if (after.readiness !== before.readiness) events.push([UpsEvent.stateReport, stateReportInfo(instance)]);
    if (after.progress !== before.progress) events.push([UpsEvent.progressReport, progressReportInfo(instance)]);
    if (after.assigned !== before.assigned) for (const info of assignedInfos(instance)) events.push([UpsEvent.assigned, info]);
    return ok(this.toEach(this.subscriptions.subscribers(uid), uid, events));
  }

  /**
   * Change UPS State (CC.2.1, Table CC.1.1-2). `performerAe` is recorded when the UPS goes IN
   * PROGRESS; COMPLETED / CANCELED need the Final State requirements (C304 names the first one unmet).
   * `bySCP` skips the Transaction UID check (the SCP itself performs the step).
   */
  changeState(uid: string, to: string, transactionUid: string | undefined, performerAe?: string, bySCP = false): UpsOutcome {
    const instance = this.store.get(uid);
    if (!instance) return fail(UpsStatus.noSuchUps);
    const from = (stringValue(instance, 'ProcedureStepState') ?? 'SCHEDULED') as UpsState;
    const tuid = nonEmpty(transactionUid);
    const decision = decideChange(from, this.transactions.get(uid), to, tuid, bySCP);
    if (!decision.to) return fail(decision.status, decision.errorComment);
    if (decision.to === 'COMPLETED' || decision.to === 'CANCELED') {
      const unmet = unmetFinalState(instance, decision.to, this.finalState);
      if (unmet.length > 0) return fail(UpsStatus.finalStateNotMet, `final state: ${pathText(unmet[0]!.path)} missing`, offendingTags(unmet));
    } else {
      this.transactions.set(uid, tuid!);
      if (performerAe !== undefined) this.performers.set(uid, performerAe);
      else this.performers.delete(uid);
    }
    instance.ProcedureStepState = decision.to;
    return ok(this.toEach(this.subscriptions.subscribers(uid), uid, [[UpsEvent.stateReport, stateReportInfo(instance)]]));
  }

  /**
   * Request UPS Cancel (CC.2.2): a SCHEDULED UPS is canceled by the SCP (IN PROGRESS, then
   * CANCELED, with the Final State attributes filled from the request); for an IN PROGRESS one the
   * subscribers hear of the request, unless the performer cannot be told (C312) or the application
   * refuses (onCancelRequest); COMPLETED C311, CANCELED B304.
   */
  requestCancel(uid: string, information: Dataset, requestingAe: string): UpsOutcome {
    const instance = this.store.get(uid);
    if (!instance) return fail(UpsStatus.noSuchUps);
    const state = stringValue(instance, 'ProcedureStepState');
    if (state === 'COMPLETED') return fail(UpsStatus.completedCannotCancel);
    if (state === 'CANCELED') return { status: UpsStatus.alreadyCanceled, events: [] };
    if (state === 'SCHEDULED') return this.cancelScheduled(uid, instance, information);
    const refused = this.options.onCancelRequest?.(uid, information, requestingAe);
    if (refused) return fail(refused);
    const subscribers = this.subscriptions.subscribers(uid);
    const performer = this.performers.get(uid);
    if (performer === undefined ? subscribers.length === 0 : !subscribers.includes(performer)) {
      return fail(UpsStatus.performerUnreachable, performer === undefined ? 'nobody is subscribed' : `${performer} is not subscribed`);
    }
    return ok(this.toEach(subscribers, uid, [[UpsEvent.cancelRequested, cancelRequestedInfo(information, requestingAe)]]));
  }

  /** Subscribe / Unsubscribe / Suspend Global Subscription (CC.2.3, Table CC.2.3-2). */
  subscription(action: number, uid: string, information: Dataset, callingAe: string): UpsOutcome {
    const ae = (nonEmpty(stringValue(information, 'ReceivingAE')) ?? callingAe).trim();
    const global = uid === UPS_GLOBAL_SUBSCRIPTION || uid === UPS_FILTERED_GLOBAL_SUBSCRIPTION;
    if (action === UpsAction.subscribe && this.options.eventReports === false) return fail(UpsStatus.eventsNotSupported);
    if (action === UpsAction.subscribe && this.options.knownAe && !this.options.knownAe(ae)) return fail(UpsStatus.unknownReceivingAe, ae);
    if (action === UpsAction.suspendGlobal && !global) return fail(UpsStatus.actionNotAppropriate, 'suspend applies to the global subscription');
    if (!global && !this.store.has(uid)) return fail(UpsStatus.noSuchUps);
    if (action === UpsAction.unsubscribe) {
      if (global) this.subscriptions.unsubscribeGlobally(ae);
      else this.subscriptions.unsubscribe(uid, ae);
      return ok();
    }
    if (action === UpsAction.suspendGlobal) {
      this.subscriptions.suspendGlobal(ae);
      return ok();
    }
    const wanted = stringValue(information, 'DeletionLock')?.trim().toUpperCase() === 'TRUE';
    const lock = wanted && this.options.deletionLocks !== false;
    let initial: string[];
    if (global) {
      const filter = uid === UPS_FILTERED_GLOBAL_SUBSCRIPTION ? matchingKeys(information) : undefined;
      initial = this.subscriptions.subscribeGlobally(ae, { deletionLock: lock, ...(filter && { filter }) }, this.store);
    } else {
      this.subscriptions.subscribe(uid, ae, lock);
      initial = [uid];
    }
    const events = initial.map((u) => ({ to: ae, uid: u, eventTypeId: UpsEvent.stateReport, information: stateReportInfo(this.store.get(u)!) }));
    return { status: wanted && !lock ? UpsStatus.deletionLockNotGranted : 0, events };
  }

  /** The Transaction UID recorded for `uid` when it went IN PROGRESS. */
  transactionOf(uid: string): string | undefined {
    return this.transactions.get(uid);
  }

  /** COMPLETED / CANCELED UPSs that no subscriber holds a Deletion Lock on (PS3.4 CC.2.1.3): may be deleted. */
  deletable(): string[] {
    return [...this.store].filter(([uid, ds]) => FINAL.has(stringValue(ds, 'ProcedureStepState') ?? '') && !this.subscriptions.locked(uid)).map(([uid]) => uid);
  }

  /** Deletes one UPS and everything kept about it. */
  delete(uid: string): void {
    this.store.delete(uid);
    this.transactions.delete(uid);
    this.performers.delete(uid);
    this.subscriptions.remove(uid);
  }

  private get finalState(): readonly UpsFinalStateRequirement[] {
    return this.options.finalState ?? UPS_FINAL_STATE;
  }

  /** The SCP cancels a SCHEDULED UPS itself: IN PROGRESS, then CANCELED, meeting the Final State requirements. */
  private cancelScheduled(uid: string, instance: Dataset, information: Dataset): UpsOutcome {
    const progress: Dataset = { ...progressItem(instance) };
    if (!hasValue(progress.ProcedureStepCancellationDateTime)) progress.ProcedureStepCancellationDateTime = dicomDateTime();
    if (hasValue(information.ReasonForCancellation)) progress.ReasonForCancellation = information.ReasonForCancellation;
    if (hasValue(information.ProcedureStepDiscontinuationReasonCodeSequence)) {
      progress.ProcedureStepDiscontinuationReasonCodeSequence = information.ProcedureStepDiscontinuationReasonCodeSequence;
    } else if (!hasValue(progress.ProcedureStepDiscontinuationReasonCodeSequence)) {
      progress.ProcedureStepDiscontinuationReasonCodeSequence = [UNSPECIFIED_REASON];
    }
    if (hasValue(information.ContactURI)) {
      const contact: Dataset = { ContactURI: information.ContactURI, ...(hasValue(information.ContactDisplayName) && { ContactDisplayName: information.ContactDisplayName }) };
      progress.ProcedureStepCommunicationsURISequence = [...asItems(progress.ProcedureStepCommunicationsURISequence), contact];
    }
    const candidate: Dataset = { ...instance, ProcedureStepProgressInformationSequence: [progress] };
    const unmet = unmetFinalState(candidate, 'CANCELED', this.finalState);
    if (unmet.length > 0) return fail(0x0110, `cannot cancel: ${pathText(unmet[0]!.path)} missing`);
    Object.assign(instance, candidate, { ProcedureStepState: 'IN PROGRESS' });
    const inProgress = stateReportInfo(instance);
    instance.ProcedureStepState = 'CANCELED';
    return ok(this.toEach(this.subscriptions.subscribers(uid), uid, [[UpsEvent.stateReport, inProgress], [UpsEvent.stateReport, stateReportInfo(instance)]]));
  }

  private toEach(aes: readonly string[], uid: string, events: ReadonlyArray<readonly [number, Dataset]>): UpsPendingEvent[] {
    return aes.flatMap((to) => events.map(([eventTypeId, information]) => ({ to, uid, eventTypeId, information })));
  }
}

/** The values whose change triggers an event after an N-SET (CC.2.4.3). */
function watched(instance: Dataset) {
  const p = progressItem(instance);
  return {
    readiness: stringValue(instance, 'InputReadinessState'),
    progress: JSON.stringify([p.ProcedureStepProgress, p.ProcedureStepProgressDescription, p.ProcedureStepCommunicationsURISequence]),
    assigned: JSON.stringify([instance.ScheduledStationNameCodeSequence, instance.ScheduledHumanPerformersSequence]),
  };
}

/** The matching keys of a Filtered Global Subscription: the action information besides its own two attributes. */
function matchingKeys(information: Dataset): Dataset {
  const keys: Dataset = {};
  for (const [k, v] of Object.entries(information)) if (!k.startsWith('_') && k !== 'ReceivingAE' && k !== 'DeletionLock') keys[k] = v;
  return keys;
}

/** DT value for now, local time (YYYYMMDDHHMMSS). */
export function dicomDateTime(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

const nonEmpty = (s: string | undefined) => (s === undefined || s.trim() === '' ? undefined : s.trim());
const asItems = (v: unknown): Dataset[] => (Array.isArray(v) ? (v as Dataset[]) : []);
/** Tags of keywords, or of the innermost keyword of `A>B` paths (createProblems), each once, in first-seen order. */
const tags = (keywords: readonly string[]) => [
  ...new Set(keywords.map((k) => tagForKeyword(k.slice(k.lastIndexOf('>') + 1))).filter((t): t is number => t !== undefined)),
];
