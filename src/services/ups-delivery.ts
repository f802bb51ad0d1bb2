/**
 * Delivery of UPS N-EVENT-REPORTs to one subscriber AE (PS3.4 CC.2.4.3): on an open association
 * with that AE that accepted the UPS Event SOP Class with us as SCP, else on a new association the
 * application opens. Events to one AE go out one at a time, in the order they happened.
 */
import type { Association } from '../association';
import type { Dataset } from '../scu/types';
import { UpsClass } from './ups-scu';

/** How events reach subscribers that have no usable association with the SCP. */
export interface UpsDeliveryOptions {
  /** Opens an association to `aeTitle` with the UPS Event SOP Class, where we act as SCP (released after each event). */
  openEventAssociation?(aeTitle: string): Promise<Association>;
  /** Told about each event that could not be delivered (the SCP neither queues nor retries, CC.2.4.3). */
  onEventError?(aeTitle: string, error: Error): void;
}

/** Sends UPS events, in order per AE, on the best association available. */
export class UpsEventSender {
  private readonly byAe = new Map<string, Set<Association>>();
  private readonly tracked = new WeakSet<Association>();
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly options: UpsDeliveryOptions = {}) {}

  /** Remembers an association with a peer, as a path for its events while it is open. */
  track(association: Association): void {
    if (this.tracked.has(association)) return;
    this.tracked.add(association);
    const ae = association.peerAeTitle.trim();
    let set = this.byAe.get(ae);
    if (!set) this.byAe.set(ae, (set = new Set()));
    set.add(association);
    void association.closed.then(() => set.delete(association));
  }

  /** Queues one event for `aeTitle`; resolves once it was delivered or reported as failed. */
  send(aeTitle: string, sopInstanceUid: string, eventTypeId: number, information: Dataset): Promise<void> {
    const previous = this.chains.get(aeTitle) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(aeTitle, sopInstanceUid, eventTypeId, information));
    this.chains.set(aeTitle, next);
    void next.then(() => {
      if (this.chains.get(aeTitle) === next) this.chains.delete(aeTitle);
    });
    return next;
  }

  /** An open association with `aeTitle` that accepted UPS Event with us as SCP, most recent first. */
  usableAssociation(aeTitle: string): Association | undefined {
    const open = [...(this.byAe.get(aeTitle) ?? [])].reverse();
    return open.find((a) => a.isEstablished && a.acceptedContexts.some((c) => c.abstractSyntax === UpsClass.event && a.mayActAs(c, 'scp')));
  }

  private async deliver(aeTitle: string, uid: string, eventTypeId: number, information: Dataset): Promise<void> {
    try {
      const open = this.usableAssociation(aeTitle);
      if (open) return await report(open, uid, eventTypeId, information);
      if (!this.options.openEventAssociation) throw new Error(`no association to ${aeTitle} for UPS events`);
      const association = await this.options.openEventAssociation(aeTitle);
      try {
        await report(association, uid, eventTypeId, information);
      } finally {
        await association.release().catch(() => association.abort());
      }
    } catch (error) {
      this.options.onEventError?.(aeTitle, error as Error);
    }
  }
}

/** The Affected SOP Class is UPS Push for every UPS event; the context is UPS Event (CC.2.4.3, CC.3.1). */
async function report(association: Association, uid: string, eventTypeId: number, information: Dataset): Promise<void> {
  const rsp = await association.nEventReport(UpsClass.push, uid, eventTypeId, information, { context: UpsClass.event });
  if (rsp.category === 'Failure') throw new Error(`N-EVENT-REPORT ${eventTypeId} refused with status 0x${rsp.status.toString(16)}`);
}
