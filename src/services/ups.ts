/**
 * Unified Procedure Step SCP (PS3.4 Annex CC): Push (N-CREATE, N-ACTION request cancel, N-GET),
 * Pull (C-FIND, N-GET, N-SET, N-ACTION change state), Watch (N-ACTION subscribe/unsubscribe,
 * N-GET, C-FIND) and Event (N-EVENT-REPORT to subscribers), with the state rules of CC.1.1
 * (SCHEDULED → IN PROGRESS → COMPLETED | CANCELED) and the statuses of CC.2.
 */
import type { Association } from '../association';
import type { NAnswer, NRequest, RequestContext, ScpHandlers } from '../scp/types';
import type { Dataset } from '../scu/types';
import { applyModifications, nGetAnswer, stringValue } from './n-attributes';
import { matchesQuery, projectResponse } from './query-matching';
import { UpsAction, UpsClass, UpsEvent, UPS_GLOBAL_SUBSCRIPTION, UPS_FILTERED_GLOBAL_SUBSCRIPTION } from './ups-scu';

export interface UpsScpOptions {
  /** UPS instances by SOP Instance UID (default: a new in-memory map). */
  store?: Map<string, Dataset>;
  /** Opens an association to a subscriber we have no open association with (events, PS3.4 CC.2.4.3.1). */
  openEventAssociation?(aeTitle: string): Promise<Association>;
  /** Told about failures to deliver an event. */
  onEventError?(aeTitle: string, error: Error): void;
}

interface Subscription {
  global: boolean;
  instances: Set<string>;
}

const FINAL = new Set(['COMPLETED', 'CANCELED']);

/** The UPS SCP: handlers to spread into ScpHandlers, plus its store and an event sender for the application. */
export function upsScp(options: UpsScpOptions = {}) {
  const store = options.store ?? new Map<string, Dataset>();
  const transactions = new Map<string, string>();
  const subscriptions = new Map<string, Subscription>();
  const associations = new Map<string, Association>();

  /** Sends an event about `uid` to every subscriber (PS3.4 CC.2.4). */
  async function notify(uid: string, eventTypeId: number, information: Dataset, only?: string): Promise<void> {
    const targets = [...subscriptions].filter(([ae, s]) => (only === undefined || ae === only) && (s.global || s.instances.has(uid)));
    await Promise.all(targets.map(([ae]) => deliver(ae, uid, eventTypeId, information)));
  }

  async function deliver(aeTitle: string, uid: string, eventTypeId: number, information: Dataset): Promise<void> {
    try {
      const open = associations.get(aeTitle);
      const usable = open?.isEstablished && open.acceptedContexts.some((c) => c.abstractSyntax === UpsClass.event && open.mayActAs(c, 'scp'));
      if (usable) {
        await open.nEventReport(UpsClass.event, uid, eventTypeId, information);
        return;
      }
      if (!options.openEventAssociation) throw new Error(`no association to ${aeTitle} for UPS events`);
      const association = await options.openEventAssociation(aeTitle);
      try {
        await association.nEventReport(UpsClass.event, uid, eventTypeId, information);
      } finally {
        await association.release().catch(() => association.abort());
      }
    } catch (error) {
      options.onEventError?.(aeTitle, error as Error);
    }
  }

  const stateReport = (instance: Dataset): Dataset => ({
    ProcedureStepState: instance.ProcedureStepState,
    InputReadinessState: instance.InputReadinessState ?? 'READY',
  });
  const remember = (ctx: RequestContext) => associations.set(ctx.peerAeTitle.trim(), ctx.association);

  function create(request: NRequest, ctx: RequestContext): NAnswer {
    remember(ctx);
    if (request.sopClassUid !== UpsClass.push) return { status: 0x0118 };
    if (store.has(request.sopInstanceUid)) return { status: 0x0111 };
    const attributes = request.dataset ?? {};
    if (stringValue(attributes, 'ProcedureStepState') !== 'SCHEDULED') return { status: 0xc309, offendingElement: [0x00741000] };
    const instance: Dataset = { ...attributes, SOPClassUID: UpsClass.push, SOPInstanceUID: request.sopInstanceUid };
    delete instance.TransactionUID;
    store.set(request.sopInstanceUid, instance);
    // Global subscribers hear of new instances (PS3.4 CC.2.4).
    return { status: 0x0000, afterResponse: () => notify(request.sopInstanceUid, UpsEvent.stateReport, stateReport(instance)) };
  }

  function set(request: NRequest, ctx: RequestContext): NAnswer {
    remember(ctx);
    const instance = store.get(request.sopInstanceUid);
    if (!instance) return { status: 0xc307 };
    const state = stringValue(instance, 'ProcedureStepState');
    if (FINAL.has(state ?? '')) return { status: 0xc300 };
    const modifications = { ...(request.dataset ?? {}) };
    const tuid = stringValue(modifications, 'TransactionUID');
    if (state === 'IN PROGRESS' && tuid !== transactions.get(request.sopInstanceUid)) return { status: 0xc301 };
    if ('ProcedureStepState' in modifications) return { status: 0xc303, offendingElement: [0x00741000] };
    delete modifications.TransactionUID;
    applyModifications(instance, modifications);
    const progress = 'ProcedureStepProgressInformationSequence' in modifications;
    return {
      status: 0x0000,
      ...(progress && {
        afterResponse: () => notify(request.sopInstanceUid, UpsEvent.progressReport, {
          ProcedureStepProgressInformationSequence: instance.ProcedureStepProgressInformationSequence,
        }),
      }),
    };
  }

  function changeState(uid: string, info: Dataset): NAnswer {
    const instance = store.get(uid);
    if (!instance) return { status: 0xc307 };
    const from = stringValue(instance, 'ProcedureStepState');
    const to = stringValue(info, 'ProcedureStepState');
    const tuid = stringValue(info, 'TransactionUID');
    if (to === 'SCHEDULED') return { status: 0xc303 };
    if (to === 'IN PROGRESS') {
      if (from === 'IN PROGRESS') return { status: 0xc302 };
      if (from !== 'SCHEDULED') return { status: 0xc300 };
      if (!tuid) return { status: 0xc301 };
      transactions.set(uid, tuid);
    } else if (to === 'COMPLETED' || to === 'CANCELED') {
      if (from === to) return { status: to === 'COMPLETED' ? 0xb306 : 0xb304 };
      if (from === 'SCHEDULED') return { status: 0xc310 };
      if (from !== 'IN PROGRESS') return { status: 0xc300 };
      if (tuid !== transactions.get(uid)) return { status: 0xc301 };
      transactions.delete(uid);
    } else {
      return { status: 0x0106, offendingElement: [0x00741000] };
    }
    instance.ProcedureStepState = to;
    return { status: 0x0000, afterResponse: () => notify(uid, UpsEvent.stateReport, stateReport(instance)) };
  }

  function requestCancel(uid: string, info: Dataset, ctx: RequestContext): NAnswer {
    const instance = store.get(uid);
    if (!instance) return { status: 0xc307 };
    const state = stringValue(instance, 'ProcedureStepState');
    if (state === 'CANCELED') return { status: 0xb304 };
    if (state === 'COMPLETED') return { status: 0xc311 };
    if (state === 'SCHEDULED') {
      // Nobody performs it yet: the SCP cancels it itself (PS3.4 CC.2.2).
      instance.ProcedureStepState = 'CANCELED';
      return { status: 0x0000, afterResponse: () => notify(uid, UpsEvent.stateReport, stateReport(instance)) };
    }
    const requested = { ...info, RequestingAE: info.RequestingAE ?? ctx.peerAeTitle.trim() };
    return { status: 0x0000, afterResponse: () => notify(uid, UpsEvent.cancelRequested, requested) };
  }

  function subscribe(uid: string, info: Dataset, ctx: RequestContext, typeId: number): NAnswer {
    const aeTitle = (stringValue(info, 'ReceivingAE') ?? ctx.peerAeTitle).trim();
    const global = uid === UPS_GLOBAL_SUBSCRIPTION || uid === UPS_FILTERED_GLOBAL_SUBSCRIPTION;
    if (!global && !store.has(uid)) return { status: 0xc307 };
    const current = subscriptions.get(aeTitle) ?? { global: false, instances: new Set<string>() };
    if (typeId === UpsAction.subscribe) {
      if (global) current.global = true;
      else current.instances.add(uid);
      subscriptions.set(aeTitle, current);
      const initial = global ? [...store.keys()] : [uid];
      // An initial State Report for each instance subscribed to (PS3.4 CC.2.3).
      return { status: 0x0000, afterResponse: async () => { for (const u of initial) await notify(u, UpsEvent.stateReport, stateReport(store.get(u)!), aeTitle); } };
    }
    if (global) {
      current.global = false;
      if (typeId === UpsAction.unsubscribe) current.instances.clear();
    } else current.instances.delete(uid);
    return { status: 0x0000 };
  }

  const handlers = {
    nCreate: create,
    nSet: set,
    nGet(request: NRequest, ctx: RequestContext): NAnswer {
      remember(ctx);
      const instance = store.get(request.sopInstanceUid);
      if (!instance) return { status: 0xc307 };
      return nGetAnswer(instance, request.attributes, { sopClassUid: request.sopClassUid, sopInstanceUid: request.sopInstanceUid });
    },
    nAction(request: NRequest, ctx: RequestContext): NAnswer {
      remember(ctx);
      const info = request.dataset ?? {};
      switch (request.typeId) {
        case UpsAction.changeState:
          return changeState(request.sopInstanceUid, info);
        case UpsAction.requestCancel:
          return requestCancel(request.sopInstanceUid, info, ctx);
        case UpsAction.subscribe:
        case UpsAction.unsubscribe:
        case UpsAction.suspendGlobal:
          return subscribe(request.sopInstanceUid, info, ctx, request.typeId);
        default:
          return { status: 0x0123 };
      }
    },
    /** C-FIND on the Pull, Watch or Query classes (PS3.4 CC.2.8): the Transaction UID is never returned. */
    *cFind(request: { identifier: Dataset }) {
      for (const instance of store.values()) {
        if (matchesQuery(instance, request.identifier)) yield projectResponse(instance, request.identifier);
      }
    },
  } satisfies Partial<ScpHandlers>;

  return { handlers, store, notify, subscriptions };
}
