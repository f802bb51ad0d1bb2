/**
 * Unified Procedure Step SCP (PS3.4 Annex CC): Push (N-CREATE, Request Cancel, N-GET), Pull
 * (C-FIND, N-GET, N-SET, Change State), Watch ((un)subscribe, suspend, N-GET, C-FIND, Request
 * Cancel), Query (C-FIND) and Event (N-EVENT-REPORTs to subscribers, sent after the response that
 * caused them, on the subscriber's open association when it has one).
 */
import type { Association } from '../association';
import type { NAnswer, NRequest, RequestContext, ScpHandlers } from '../scp/types';
import type { Dataset } from '../scu/types';
import { generateUid } from '../uids/generate';
import { nGetAnswer } from './n-attributes';
import { compileQuery } from './query-matching';
import { UpsEventSender, type UpsDeliveryOptions } from './ups-delivery';
import { scpStatusInfo } from './ups-event-info';
import { UPS_GLOBAL_SUBSCRIPTION, UpsAction, UpsClass, UpsEvent } from './ups-scu';
import { UpsWorklist, type UpsOutcome, type UpsPendingEvent, type UpsWorklistOptions } from './ups-worklist';

/**
 * Options of {@link upsScp}: the worklist (instance store, Final State requirements, deletion locks,
 * subscriptions, Worklist Label, cancel hook), how events reach subscribers without an open
 * association, and the AEs told of SCP status changes besides the subscribers (PS3.4 CC.2.4.3).
 */
export interface UpsScpOptions extends UpsWorklistOptions, UpsDeliveryOptions {
  /** AEs told of SCP Status Changes besides the subscribers (the fallback list of PS3.4 CC.2.4.3). */
  fallbackAeTitles?: readonly string[];
}

/** The status of an operation the SCP application performs itself. */
export interface UpsResult {
  readonly status: number;
  readonly errorComment?: string;
}

const ALL = Object.values(UpsClass) as string[];
/** The UPS SOP classes each operation belongs to (PS3.4 Tables CC.2-1 to CC.2-5). */
const SERVICE_GROUP: Record<'N-CREATE' | 'N-SET' | 'N-GET', readonly string[]> = {
  'N-CREATE': [UpsClass.push],
  'N-SET': [UpsClass.pull],
  'N-GET': [UpsClass.push, UpsClass.pull, UpsClass.watch],
};
const ACTION_GROUP: Record<number, readonly string[]> = {
  [UpsAction.changeState]: [UpsClass.pull],
  [UpsAction.requestCancel]: [UpsClass.push, UpsClass.watch],
  [UpsAction.subscribe]: [UpsClass.watch],
  [UpsAction.unsubscribe]: [UpsClass.watch],
  [UpsAction.suspendGlobal]: [UpsClass.watch],
};

/**
 * The UPS SCP: `handlers` to serve (spread into ScpHandlers), the instances (`store`), the
 * subscription table, and what the SCP application itself may do (CC.2.1.3, CC.2.5.3, CC.2.6.3):
 * create, update and change the state of UPSs, announce SCP status changes, delete finished UPSs.
 */
export function upsScp(options: UpsScpOptions = {}) {
  const worklist = new UpsWorklist(options);
  const sender = new UpsEventSender(options);

  const deliver = async (events: readonly UpsPendingEvent[]) => {
    await Promise.all(events.map((e) => sender.send(e.to, e.uid, e.eventTypeId, e.information)));
  };
  const answer = (o: UpsOutcome): NAnswer => ({
    status: o.status,
    ...(o.errorComment !== undefined && { errorComment: o.errorComment }),
    ...(o.offendingElement !== undefined && { offendingElement: o.offendingElement }),
    ...(o.attributeIdentifierList !== undefined && { attributeIdentifierList: o.attributeIdentifierList }),
    ...(o.events.length > 0 && { afterResponse: () => deliver(o.events) }),
  });
  const performed = async (o: UpsOutcome): Promise<UpsResult> => {
    await deliver(o.events);
    return { status: o.status, ...(o.errorComment !== undefined && { errorComment: o.errorComment }) };
  };
  /** 0x0118 for a class that is neither UPS Push nor the context's; 0x0211 for an operation outside the context's group. */
  const refusal = (request: NRequest, ctx: RequestContext, group: readonly string[] | undefined): NAnswer | undefined => {
    sender.track(ctx.association);
    if (!ALL.includes(ctx.abstractSyntax) || (request.sopClassUid !== UpsClass.push && request.sopClassUid !== ctx.abstractSyntax)) return { status: 0x0118 };
    if (group && !group.includes(ctx.abstractSyntax)) return { status: 0x0211 };
    return undefined;
  };

  const handlers = {
    /** Every association is a path for its peer's events while it is open. */
    accepted(association: Association) {
      sender.track(association);
    },
    nCreate(request: NRequest, ctx: RequestContext): NAnswer {
      return refusal(request, ctx, SERVICE_GROUP['N-CREATE']) ?? answer(worklist.create(request.sopInstanceUid, request.dataset ?? {}, ctx.association.localAeTitle));
    },
    nSet(request: NRequest, ctx: RequestContext): NAnswer {
      return refusal(request, ctx, SERVICE_GROUP['N-SET']) ?? answer(worklist.update(request.sopInstanceUid, request.dataset ?? {}));
    },
    nGet(request: NRequest, ctx: RequestContext): NAnswer {
      const refused = refusal(request, ctx, SERVICE_GROUP['N-GET']);
      if (refused) return refused;
      const instance = worklist.store.get(request.sopInstanceUid);
      if (!instance) return { status: 0xc307 };
      // The Transaction UID is kept apart from the instance: N-GET never returns it (CC.2.7.3).
      return nGetAnswer(instance, request.attributes, { sopClassUid: UpsClass.push, sopInstanceUid: request.sopInstanceUid });
    },
    nAction(request: NRequest, ctx: RequestContext): NAnswer {
      const refused = refusal(request, ctx, undefined);
      if (refused) return refused;
      const type = request.typeId ?? 0;
      if (!ACTION_GROUP[type]?.includes(ctx.abstractSyntax)) return { status: 0x0123 };
      const info = request.dataset ?? {};
      const peer = ctx.peerAeTitle.trim();
      switch (type) {
        case UpsAction.changeState:
          return answer(worklist.changeState(request.sopInstanceUid, String(info.ProcedureStepState ?? '').trim(), info.TransactionUID as string | undefined, peer));
        case UpsAction.requestCancel:
          return answer(worklist.requestCancel(request.sopInstanceUid, info, peer));
        default:
          return answer(worklist.subscription(type, request.sopInstanceUid, info, peer));
      }
    },
    /** C-FIND on UPS Pull, Watch or Query (PS3.4 CC.2.8): the Transaction UID is never returned. */
    *cFind(request: { identifier: Dataset }) {
      const query = compileQuery(request.identifier);
      for (const instance of worklist.store.values()) {
        if (query.matches(instance)) yield query.project(instance);
      }
    },
  } satisfies Partial<ScpHandlers>;

  return {
    handlers,
    store: worklist.store,
    /** The subscription table (PS3.4 Table CC.2.3-2). */
    subscriptions: worklist.subscriptions,
    /** The SCP creates a UPS itself (CC.2.5.3): global subscribers are subscribed and told as for an N-CREATE. */
    create(uid: string, attributes: Dataset): Promise<UpsResult> {
      return performed(worklist.create(uid, { ProcedureStepState: 'SCHEDULED', ...attributes }, options.worklistLabel ?? 'UPS'));
    },
    /**
     * The SCP updates a UPS itself (CC.2.6.3), without Transaction UID and with the attributes an
     * N-SET may not touch; subscribers get the events an N-SET causes. A COMPLETED or CANCELED UPS
     * may be corrected too (C300 is for the SCU's N-SET), as long as it still meets its Final State
     * requirements (else C304, nothing changes).
     */
    update(uid: string, modifications: Dataset): Promise<UpsResult> {
      return performed(worklist.update(uid, modifications, true));
    },
    /**
     * The SCP changes the state itself, as the performer (CC.2.1.3): IN PROGRESS records
     * `transactionUid` (default: a new UID); COMPLETED / CANCELED use the recorded one and need the
     * Final State requirements. Subscribers get the State Report.
     */
    setState(uid: string, state: 'IN PROGRESS' | 'COMPLETED' | 'CANCELED', transactionUid?: string): Promise<UpsResult> {
      const tuid = state === 'IN PROGRESS' ? (transactionUid ?? generateUid()) : worklist.transactionOf(uid);
      // The SCP's own change is judged by state alone: COMPLETED on a SCHEDULED UPS is C310, not C301.
      return performed(worklist.changeState(uid, state, tuid, undefined, true));
    },
    /** Sends one event about `uid` to each of its subscribers. */
    notify(uid: string, eventTypeId: number, information: Dataset): Promise<void> {
      return deliver(worklist.subscriptions.subscribers(uid).map((to) => ({ to, uid, eventTypeId, information })));
    },
    /** SCP Status Change (event 4) to every subscriber and fallback AE: RESTARTED with list statuses, or GOING DOWN. */
    announce(status: 'RESTARTED' | 'GOING DOWN', lists: { subscriptionList?: 'WARM START' | 'COLD START'; upsList?: 'WARM START' | 'COLD START' } = {}): Promise<void> {
      const to = new Set([...worklist.subscriptions.allSubscribers(), ...(options.fallbackAeTitles ?? [])]);
      const information = scpStatusInfo(status, lists.subscriptionList, lists.upsList);
      return deliver([...to].map((ae) => ({ to: ae, uid: UPS_GLOBAL_SUBSCRIPTION, eventTypeId: UpsEvent.scpStatusChange, information })));
    },
    /** Deletes the COMPLETED / CANCELED UPSs nobody holds a Deletion Lock on; returns their UIDs. */
    purge(): string[] {
      const uids = worklist.deletable();
      for (const uid of uids) worklist.delete(uid);
      return uids;
    },
  };
}
