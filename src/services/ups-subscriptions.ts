/**
 * UPS subscription states (PS3.4 CC.2.3, Table CC.2.3-2): per UPS instance and AE, Not Subscribed /
 * Subscribed with Lock / Subscribed w/o Lock; per AE a Global Subscription state, with or without
 * Deletion Lock, optionally filtered by matching keys (Filtered Global Subscription, CC.2.3.3.1).
 */
import type { Dataset } from '../scu/types';
import { matchesQuery } from './query-matching';

/** A global subscription of one AE. */
export interface UpsGlobalSubscription {
  readonly deletionLock: boolean;
  /** Matching keys of a Filtered Global Subscription (C-FIND matching, PS3.4 CC.2.8.3); none: every UPS. */
  readonly filter?: Dataset;
}

/** The subscription table of a UPS SCP. Methods return the UPS instances that need an initial State Report. */
export class UpsSubscriptions {
  /** UPS SOP Instance UID → AE title → Deletion Lock. */
  private readonly instances = new Map<string, Map<string, boolean>>();
  private readonly globals = new Map<string, UpsGlobalSubscription>();

  /** Subscribe `ae` to one UPS (with or without lock): always followed by an initial State Report. */
  subscribe(uid: string, ae: string, deletionLock: boolean): void {
    this.of(uid).set(ae, deletionLock);
  }

  /** Unsubscribe `ae` from one UPS; its Global Subscription State does not change. */
  unsubscribe(uid: string, ae: string): void {
    this.instances.get(uid)?.delete(ae);
  }

  /**
   * Global (or filtered global) subscription: every existing UPS the AE is not subscribed to (and
   * that matches the filter) becomes subscribed with the global lock; existing instance
   * subscriptions keep their lock. Returns the newly subscribed UPSs when the lock is set (they get
   * an initial State Report; without lock they do not, CC.2.4.3).
   */
  subscribeGlobally(ae: string, subscription: UpsGlobalSubscription, existing: Iterable<[string, Dataset]>): string[] {
    this.globals.set(ae, subscription);
    const added: string[] = [];
    for (const [uid, instance] of existing) {
      const subs = this.of(uid);
      if (subs.has(ae) || !this.matches(subscription, instance)) continue;
      subs.set(ae, subscription.deletionLock);
      added.push(uid);
    }
    return subscription.deletionLock ? added : [];
  }

  /** Unsubscribe globally: no Global Subscription and no instance subscriptions left (all locks released). */
  unsubscribeGlobally(ae: string): void {
    this.globals.delete(ae);
    for (const subs of this.instances.values()) subs.delete(ae);
  }

  /** Suspend Global Subscription: no new instances, existing instance subscriptions stay. */
  suspendGlobal(ae: string): void {
    this.globals.delete(ae);
  }

  /** A UPS was created: AEs with a matching Global Subscription are subscribed (and get an initial State Report). */
  created(uid: string, instance: Dataset): string[] {
    const subs = this.of(uid);
    for (const [ae, g] of this.globals) if (this.matches(g, instance)) subs.set(ae, g.deletionLock);
    return [...subs.keys()];
  }

  /** AE titles subscribed to `uid`. */
  subscribers(uid: string): string[] {
    return [...(this.instances.get(uid)?.keys() ?? [])];
  }

  /** Each subscriber of `uid` with its Deletion Lock. */
  subscriptionsOf(uid: string): Array<{ aeTitle: string; deletionLock: boolean }> {
    return [...(this.instances.get(uid) ?? [])].map(([aeTitle, deletionLock]) => ({ aeTitle, deletionLock }));
  }

  /** Whether any AE holds a Deletion Lock on `uid`. */
  locked(uid: string): boolean {
    return [...(this.instances.get(uid)?.values() ?? [])].some(Boolean);
  }

  /** The Global Subscription of each AE. */
  globalSubscriptions(): ReadonlyMap<string, UpsGlobalSubscription> {
    return this.globals;
  }

  /** Every AE subscribed globally or to any UPS (the addressees of an SCP Status Change). */
  allSubscribers(): Set<string> {
    const all = new Set(this.globals.keys());
    for (const subs of this.instances.values()) for (const ae of subs.keys()) all.add(ae);
    return all;
  }

  /** Forget a deleted UPS. */
  remove(uid: string): void {
    this.instances.delete(uid);
  }

  private of(uid: string): Map<string, boolean> {
    let subs = this.instances.get(uid);
    if (!subs) this.instances.set(uid, (subs = new Map()));
    return subs;
  }

  private matches(g: UpsGlobalSubscription, instance: Dataset): boolean {
    return !g.filter || matchesQuery(instance, g.filter);
  }
}
