/**
 * Telemetry: typed events for associations (PS3.8 §7.1-7.3: A-ASSOCIATE, A-RELEASE, A-ABORT),
 * DIMSE messages (PS3.7 §9, §10) and PDUs (PS3.8 §9.3), given to `AeOptions.observe`. Nothing
 * here runs, and nothing is allocated, when no observer is set: the hooks are only installed
 * when one is.
 */
import { serviceOf } from './dimse/messages';
import { statusCategory, type DimseService } from './dimse/status';
import type { Command } from './dimse/types';
import { encodePdu } from './pdu/encode';
import type { Pdu } from './pdu/types';

/** Receives every event of an application entity's associations. Must not throw (errors are ignored). */
export type NetObserver = (event: NetEvent) => void;

/** Fields every event has. */
export interface NetEventBase {
  /** Date.now() when it happened. */
  readonly time: number;
  /** Identifies the association (unique within the process). */
  readonly associationId: number;
  /** Our side of the association. */
  readonly side: 'requestor' | 'acceptor';
}

/** Who talks to whom. */
export interface AssociationIdentity {
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly remoteAddress?: string;
}

/**
 * One telemetry event, given to the {@link NetObserver} set as `AeOptions.observe`. `type` tells
 * which: an association requested, accepted, rejected, released or aborted (PS3.8 §7.1-7.3), a
 * DIMSE request or response sent or received (PS3.7 §9, §10), or a PDU (PS3.8 §9.3).
 */
export type NetEvent =
  | (NetEventBase & AssociationIdentity & { readonly type: 'association-requested'; readonly proposedContexts: number })
  | (NetEventBase &
      AssociationIdentity & {
        readonly type: 'association-accepted';
        readonly acceptedContexts: number;
        readonly proposedContexts: number;
        /** From the A-ASSOCIATE-RQ to the AC. */
        readonly durationMs: number;
      })
  | (NetEventBase &
      AssociationIdentity & {
        readonly type: 'association-rejected';
        readonly result: number;
        readonly source: number;
        readonly reason: number;
        readonly durationMs: number;
      })
  | (NetEventBase &
      AssociationIdentity & {
        readonly type: 'association-released' | 'association-aborted';
        /** How long the association was established; for one that failed during negotiation (requestor), since the A-ASSOCIATE-RQ. */
        readonly durationMs: number;
        readonly error?: string;
      })
  | (NetEventBase & {
      readonly type: 'dimse-request';
      readonly direction: 'sent' | 'received';
      readonly service: DimseService | 'C-CANCEL';
      /** For a C-CANCEL, the Message ID of the request it cancels (PS3.7 §9.3: it has no Message ID of its own). */
      readonly messageId: number;
      readonly contextId: number;
      readonly sopClassUid?: string;
      /** Data set bytes, when known (not for a received data set that is streamed to the handler). */
      readonly bytes?: number;
    })
  | (NetEventBase & {
      readonly type: 'dimse-response';
      readonly direction: 'sent' | 'received';
      readonly service: DimseService;
      readonly messageId: number;
      readonly contextId: number;
      readonly status: number;
      readonly category: string;
      readonly bytes?: number;
      /** Sent request → this response received (SCU), or request received → this response sent (SCP). */
      readonly latencyMs?: number;
    })
  | (NetEventBase & { readonly type: 'pdu'; readonly direction: 'sent' | 'received'; readonly pduType: Pdu['type']; readonly bytes: number });

let nextId = 0;

/** A new association ID for events. */
export function newAssociationId(): number {
  return ++nextId;
}

/** Calls the observer, never letting it break the association. */
export function emit(observer: NetObserver, event: NetEvent): void {
  try {
    observer(event);
  } catch {
    // An observer's failure is its own business.
  }
}

/** Encoded length of a PDU: computed for P-DATA-TF (PS3.8 §9.3.5: 6-byte header, 6 bytes per PDV), encoded otherwise (rare PDUs). */
export function pduLength(pdu: Pdu): number {
  if (pdu.type === 'P-DATA-TF') {
    if (pdu.wireLength !== undefined) return pdu.wireLength;
    let n = 6;
    for (const pdv of pdu.pdvs) n += 6 + pdv.data.length;
    return n;
  }
  return encodePdu(pdu).length;
}

/**
 * DIMSE events of one association, with request → response latency keyed by Message ID (ours
 * for sent requests, the peer's for received ones; PS3.7 §9.3 Message ID Being Responded To).
 */
export class DimseTelemetry {
  private readonly sent = new Map<number, number>();
  private readonly received = new Map<number, number>();

  constructor(
    private readonly observer: NetObserver,
    private readonly base: () => NetEventBase,
  ) {}

  /** A message went out ('sent') or came in ('received'). */
  message(direction: 'sent' | 'received', contextId: number, command: Command, bytes: number | undefined): void {
    const field = command.CommandField;
    const now = performance.now();
    if ((field & 0x8000) === 0) {
      // A C-CANCEL-RQ has only Message ID Being Responded To (PS3.7 §9.3): the operation it cancels.
      const messageId = (field === 0x0fff ? command.MessageIDBeingRespondedTo : command.MessageID) ?? 0;
      const service = field === 0x0fff ? 'C-CANCEL' : serviceOf(field);
      if (!service) return;
      if (service !== 'C-CANCEL') (direction === 'sent' ? this.sent : this.received).set(messageId, now);
      const sopClassUid = command.AffectedSOPClassUID ?? command.RequestedSOPClassUID;
      emit(this.observer, { ...this.base(), type: 'dimse-request', direction, service, messageId, contextId, ...(sopClassUid && { sopClassUid }), ...(bytes !== undefined && { bytes }) });
      return;
    }
    const service = serviceOf(field);
    if (!service) return;
    const messageId = command.MessageIDBeingRespondedTo ?? 0;
    const status = command.Status ?? 0xc000;
    const category = statusCategory(status);
    // Our response answers their request and vice versa.
    const starts = direction === 'received' ? this.sent : this.received;
    const started = starts.get(messageId);
    if (category !== 'Pending') starts.delete(messageId);
    emit(this.observer, {
      ...this.base(),
      type: 'dimse-response',
      direction,
      service,
      messageId,
      contextId,
      status,
      category,
      ...(bytes !== undefined && { bytes }),
      ...(started !== undefined && { latencyMs: now - started }),
    });
  }
}
