/**
 * An established association: the user API for DIMSE operations (SCU calls) plus release and
 * abort. Created by {@link ApplicationEntity.associate} (requestor) or by the SCP side (acceptor).
 */
import type { NegotiatedContext } from './acse/contexts';
import { negotiatedWindow } from './acse/negotiate';
import { explainNegotiation, type NegotiationReport } from './acse/explain';
import type { Channel, CloseInfo } from './channel';
import { AssociationAbortedError, NegotiationError } from './errors';
import { withoutStack } from './without-stack';
import type { AeOptions } from './options';
import type { AssociateAcPdu, AssociateRqPdu, PDataTfPdu, Pdv } from './pdu/types';
import { DimseProvider, type DimseProviderOptions } from './dimse/provider';
import { DimseTelemetry, emit, type AssociationIdentity, type NetEventBase } from './telemetry';
import { describeCommand } from './dimse/messages';
import type { DatasetBytes } from './dimse/dataset-source';
import type { Command } from './dimse/types';
import { cEcho } from './scu/echo';
import { cStore, type StoreInput, type StoreOptions } from './scu/store';
import { cFind, type FindOptions, type FindResult } from './scu/find';
import { cGet, cMove, type RetrieveOptions, type RetrieveProgress } from './scu/retrieve';
import * as n from './scu/n-services';
import type { CallOptions, Dataset, DimseResponse } from './scu/types';

export type { CloseInfo } from './channel';

/**
 * One established association (PS3.8 §7.1), seen from our side. A requestor gets it from
 * {@link ApplicationEntity.associate}; an acceptor's SCP handlers see it as `ctx.association`
 * (and in the `accepted` notification). It sends DIMSE requests (`cEcho`, `cStore`, `cFind`,
 * `cGet`, `cMove`, `nGet`, `nSet`, ...) on contexts where we may act as SCU, tells what was
 * negotiated (`contexts`, `findContext`, `explain()`), exposes the lower-level provider as
 * `dimse`, and ends with `release()` (A-RELEASE) or `abort()` (A-ABORT); `closed` settles then.
 *
 * @example
 * ```ts
 * const assoc = await scu.associate(await connectTcp({ host: '127.0.0.1', port: 11112 }), { calledAeTitle: 'QR' });
 * for await (const r of assoc.cFind({ QueryRetrieveLevel: 'STUDY', PatientName: 'DOE*' }, { model: 'study' })) {
 *   if (r.category === 'Pending') console.log(r.identifier?.StudyInstanceUID);
 * }
 * await assoc.release();
 * ```
 */
export class Association {
  /** Which side we are. */
  readonly role: 'requestor' | 'acceptor';
  /** The A-ASSOCIATE-RQ as sent or received. */
  readonly request: AssociateRqPdu;
  /** The A-ASSOCIATE-AC as sent or received. */
  readonly accept: AssociateAcPdu;
  /** Every proposed context with its result and roles. */
  readonly contexts: readonly NegotiatedContext[];
  /** The DIMSE service provider (lower-level API: sendMsg/getMsg/peekMsg). */
  readonly dimse: DimseProvider;
  /** Settles (never rejects) when the association has ended and the transport is closed. */
  readonly closed: Promise<CloseInfo>;
  /** Resolved options of the application entity that owns this association. */
  readonly options: AeOptions;
  /** Where the transport goes. */
  readonly remoteAddress?: string;

  /**
   * @internal Set by the SCP serve loop: a promise while operations are being performed, so a
   * peer's A-RELEASE-RQ is answered after their responses (undefined when none is running).
   */
  operationsDone: (() => Promise<void> | undefined) | null = null;

  /** @internal Set by the SCP serve loop: whether requests of the peer are being performed (or queued). */
  performing: (() => boolean) | null = null;

  private messageIdCounter = 0;
  private ended: CloseInfo | null = null;

  /** @internal Use ApplicationEntity.associate or serve. */
  constructor(
    private readonly channel: Channel,
    init: {
      role: 'requestor' | 'acceptor';
      request: AssociateRqPdu;
      accept: AssociateAcPdu;
      contexts: readonly NegotiatedContext[];
      options: AeOptions;
      remoteAddress?: string;
      streamDataset?: (contextId: number, command: Command) => boolean;
    },
  ) {
    this.role = init.role;
    this.request = init.request;
    this.accept = init.accept;
    this.contexts = init.contexts;
    this.options = init.options;
    this.remoteAddress = init.remoteAddress;
    const accepted = new Set(init.contexts.filter((c) => c.result === 0).map((c) => c.id));
    // DIMSE asks this of every command that announces a data set: the input watch counts them.
    const input = new PeerInput();
    const streamDataset = (contextId: number, command: Command): boolean => {
      input.announced++;
      return init.streamDataset?.(contextId, command) ?? false;
    };
    const peerInfo = init.role === 'requestor' ? init.accept.userInformation : init.request.userInformation;
    const logger = init.options.logger;
    this.dimse = new DimseProvider({
      sendPdu: (pdu) => channel.ul.writePData(pdu),
      sendRun: (contextId, data, fragment, endsMessage) => channel.ul.writePDataRun(contextId, data, fragment, endsMessage),
      sendNow: () => channel.ul.sendPDataNow(),
      flushed: channel.ul.tellsFlushed ? () => channel.ul.pDataFlushed() : undefined,
      release: channel.ul.releaseInput,
      peerMaxPduLength: peerInfo.maxLength ?? 0,
      fallbackMaxPduLength: Math.max(init.options.maxPduLength, 16384),
      dimseTimeoutMs: init.options.dimseTimeoutMs,
      maxInvoked: negotiatedWindow(init.role, init.request, init.accept).maxInvoked,
      onDiscard: (m) => logger.debug(`dropping response to message ${m.command.MessageIDBeingRespondedTo}: nobody waits for it any more`),
      // PS3.7 leaves the peer's state unknown after a DIMSE timeout: A-ABORT, like pynetdicom (reliability.md T-06).
      onDimseTimeout: (error) => {
        logger.warn(`aborting: ${error.message}`);
        this.dimse.fail(new AssociationAbortedError(`association aborted after a DIMSE timeout: ${error.message}`, { source: 0, reason: 0 }, { cause: error }));
        void this.channel.abort(0, 0);
      },
      onMessageBroken: (error) => {
        if (this.ended) return; // the association failed first: that is the story
        const why = error instanceof Error ? error.message : String(error);
        logger.warn(`aborting: a data set could not be sent whole: ${why}`);
        this.dimse.fail(new AssociationAbortedError(`association aborted: a data set could not be sent whole: ${why}`, { source: 0, reason: 0 }, { cause: error }));
        void this.channel.abort(0, 0);
      },
      maxCommandLength: init.options.maxCommandLength,
      maxDatasetLength: init.options.maxDatasetLength,
      isAcceptedContext: (id) => accepted.has(id),
      streamDataset,
      onMessage: messageHook(init.options, () => this.eventBase()),
    });
    // The handlers go through locals, never as `channel.onX = () => …`: V8 allocates a function
    // literal assigned straight to a property in old space (it expects a method), and such a
    // closure keeps its young context, the whole association, through every young-generation GC
    // until a full one (~30 KiB promoted per association; test/unit/gc-retention.test.ts).
    const onPData = (pdu: PDataTfPdu) => {
      input.next(pdu.pdvs);
      const held = this.dimse.receivePrimitive(pdu);
      if (!held) return;
      input.held = true;
      return held.finally(() => (input.held = false));
    };
    channel.onPData = onPData;
    const established = Date.now();
    const onEnd = (info: CloseInfo) => {
      this.ended = info;
      const observe = init.options.observe;
      if (observe) {
        emit(observe, {
          ...this.eventBase(),
          ...this.identity(),
          type: info.reason === 'released' ? 'association-released' : 'association-aborted',
          durationMs: Date.now() - established,
          ...(info.error && { error: info.error.message }),
        });
      }
      this.dimse.fail(info.error ?? withoutStack(() => new AssociationAbortedError(`association ${info.reason}`)));
    };
    channel.onEnd = onEnd;
    // A peer's A-RELEASE-RQ is answered once the operations we perform for it have answered.
    const onPeerRelease = () => this.operationsDone?.();
    channel.onPeerRelease = onPeerRelease;
    // Not idle while we perform the peer's requests or await responses to ours (network timeout),
    // unless the peer stopped inside a message we are reading: a C-STORE whose data set does not
    // come is the peer stalling, whatever its handler waits for (reliability.md T-03/T-04).
    const isBusy = () => !(input.insideMessage && !input.held) && (this.dimse.requests.size > 0 || this.performing?.() === true);
    channel.isBusy = isBusy;
    this.closed = channel.ended;
    // The transport may have ended between the A-ASSOCIATE-AC and here (an A-ABORT in the chunk of
    // the AC, a reset as the acceptor's AC went out): onEnd came too late to be told, so tell it
    // now, or the association would look established for ever (PS3.8 AA-3/AA-4).
    const endedAlready = channel.endedWith;
    if (endedAlready) onEnd(endedAlready);
    else channel.establish();
  }

  /** Identifies this association in telemetry events (unique within the process). */
  get id(): number {
    return this.channel.id;
  }

  private eventBase(): NetEventBase {
    return { time: Date.now(), associationId: this.channel.id, side: this.role };
  }

  private identity(): AssociationIdentity {
    return { callingAeTitle: this.request.callingAeTitle.trim(), calledAeTitle: this.request.calledAeTitle.trim(), ...(this.remoteAddress && { remoteAddress: this.remoteAddress }) };
  }

  /** Our AE title. */
  get localAeTitle(): string {
    return this.role === 'requestor' ? this.request.callingAeTitle : this.request.calledAeTitle;
  }
  /** The peer's AE title. */
  get peerAeTitle(): string {
    return this.role === 'requestor' ? this.request.calledAeTitle : this.request.callingAeTitle;
  }
  /** True until the association is released or aborted. */
  get isEstablished(): boolean {
    return this.ended === null;
  }
  /** Accepted contexts only. */
  get acceptedContexts(): NegotiatedContext[] {
    return this.contexts.filter((c) => c.result === 0);
  }

  /** The next Message ID (1..65535, wrapping), skipping IDs `inUse` says are still outstanding. */
  nextMessageId(inUse?: (id: number) => boolean): number {
    for (let tries = 0; tries < 0xffff; tries++) {
      this.messageIdCounter = (this.messageIdCounter % 0xffff) + 1;
      if (!inUse?.(this.messageIdCounter)) break;
    }
    return this.messageIdCounter;
  }

  /**
   * The service-class-application-information agreed for `sopClassUid` by SOP Class Extended
   * Negotiation (PS3.7 D.3.3.5): the acceptor's reply in the A-ASSOCIATE-AC, on either side;
   * undefined when it sent none (the options are not supported). Its bytes are defined per
   * service class, e.g. for C-FIND (PS3.4 C.5.1.1) byte 1 relational queries, byte 2 combined
   * date-time matching.
   */
  extendedNegotiation(sopClassUid: string): Uint8Array | undefined {
    return this.accept.userInformation.extendedNegotiations?.find((e) => e.sopClassUid === sopClassUid)?.info;
  }

  /**
   * The negotiated asynchronous operations window from our side (PS3.7 D.3.3.3): how many requests
   * we may have outstanding (`maxInvoked`) and how many of the peer's we perform at once
   * (`maxPerformed`); 0 = unlimited. 1/1 when no window item was exchanged.
   */
  get asyncOps(): { maxInvoked: number; maxPerformed: number } {
    return negotiatedWindow(this.role, this.request, this.accept);
  }

  /**
   * An accepted context for `abstractSyntax` on which we may send requests (`'scu'`) or receive them
   * (`'scp'`), optionally with a given transfer syntax. Throws NegotiationError when there is none.
   */
  findContext(abstractSyntax: string, options: { as?: 'scu' | 'scp'; transferSyntax?: string } = {}): NegotiatedContext {
    const as = options.as ?? 'scu';
    // A loop over all contexts, not `acceptedContexts.find`: every SCU request calls this, and the
    // getter makes a new array each time.
    let found: NegotiatedContext | undefined;
    for (const c of this.contexts) {
      if (c.result !== 0 || c.abstractSyntax !== abstractSyntax || !this.mayActAs(c, as)) continue;
      if (options.transferSyntax !== undefined && c.transferSyntax !== options.transferSyntax) continue;
      found = c;
      break;
    }
    if (!found) {
      throw new NegotiationError(
        `no accepted presentation context for ${abstractSyntax}${options.transferSyntax ? ` with ${options.transferSyntax}` : ''} where we act as ${as.toUpperCase()}`,
      );
    }
    return found;
  }

  /** Why each context and role was accepted or rejected, PDU sizes and window (see acse/explain). */
  explain(): NegotiationReport {
    return explainNegotiation(this.role, this.request, this.accept, this.contexts);
  }

  /** Whether we may act as SCU (send requests) or SCP (answer them) on a context. */
  mayActAs(context: NegotiatedContext, as: 'scu' | 'scp'): boolean {
    const requestorRole = this.role === 'requestor' ? as : as === 'scu' ? 'scp' : 'scu';
    return requestorRole === 'scu' ? context.requestorIsScu : context.requestorIsScp;
  }

  /** C-ECHO (PS3.7 §9.1.5): verifies the peer answers. */
  cEcho(options?: CallOptions): Promise<DimseResponse> {
    return cEcho(this, options);
  }
  /** C-STORE (PS3.7 §9.1.1): sends one instance. */
  cStore(input: StoreInput, options?: StoreOptions): Promise<DimseResponse> {
    return cStore(this, input, options);
  }
  /** C-FIND (PS3.7 §9.1.2): yields each match; breaking out or aborting the signal sends C-CANCEL. */
  cFind(query: Dataset, options: FindOptions): AsyncGenerator<FindResult> {
    return cFind(this, query, options);
  }
  /** C-GET (PS3.7 §9.1.3): yields progress while the peer sends C-STORE sub-operations on this association. */
  cGet(query: Dataset, options: RetrieveOptions): AsyncGenerator<RetrieveProgress> {
    return cGet(this, query, options);
  }
  /** C-MOVE (PS3.7 §9.1.4): asks the peer to send matches to `destination`; yields progress. */
  cMove(query: Dataset, destination: string, options: RetrieveOptions): AsyncGenerator<RetrieveProgress> {
    return cMove(this, query, destination, options);
  }
  /** N-GET (PS3.7 §10.1.2). */
  nGet(sopClassUid: string, sopInstanceUid: string, attributes?: number[], options?: n.NCallOptions): Promise<n.NResult> {
    return n.nGet(this, sopClassUid, sopInstanceUid, attributes, options);
  }
  /** N-SET (PS3.7 §10.1.3). */
  nSet(sopClassUid: string, sopInstanceUid: string, modifications: Dataset, options?: n.NCallOptions): Promise<n.NResult> {
    return n.nSet(this, sopClassUid, sopInstanceUid, modifications, options);
  }
  /** N-ACTION (PS3.7 §10.1.4). */
  nAction(sopClassUid: string, sopInstanceUid: string, actionTypeId: number, information?: Dataset | null, options?: n.NCallOptions): Promise<n.NResult> {
    return n.nAction(this, sopClassUid, sopInstanceUid, actionTypeId, information ?? null, options);
  }
  /** N-CREATE (PS3.7 §10.1.5). Leave the instance UID undefined to let the SCP assign it. */
  nCreate(sopClassUid: string, sopInstanceUid: string | undefined, attributes?: Dataset | null, options?: n.NCallOptions): Promise<n.NResult> {
    return n.nCreate(this, sopClassUid, sopInstanceUid, attributes ?? null, options);
  }
  /** N-DELETE (PS3.7 §10.1.6). */
  nDelete(sopClassUid: string, sopInstanceUid: string, options?: n.NCallOptions): Promise<n.NResult> {
    return n.nDelete(this, sopClassUid, sopInstanceUid, options);
  }
  /** N-EVENT-REPORT (PS3.7 §10.1.1). */
  nEventReport(sopClassUid: string, sopInstanceUid: string, eventTypeId: number, information?: Dataset | null, options?: n.NCallOptions): Promise<n.NResult> {
    return n.nEventReport(this, sopClassUid, sopInstanceUid, eventTypeId, information ?? null, options);
  }

  /** Sends a raw message: the lower-level escape hatch. */
  send(command: Command, contextId: number, dataset: DatasetBytes | null = null): Promise<void> {
    return this.dimse.sendMsg(command, contextId, dataset);
  }

  /** A-RELEASE: waits for the peer's A-RELEASE-RP (ACSE timeout, then abort). */
  release(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.channel.release(options.signal);
  }

  /** A-ABORT: ends the association at once (service-user source). */
  abort(): Promise<void> {
    return this.channel.abort(0, 0);
  }
}

/**
 * Where the peer's input stands after the P-DATA read so far, for the network timeout: inside a
 * message (a fragment or its data set still to come) or between messages, and whether DIMSE holds
 * it (our consumer catching up). The PDV flags tell, except after a whole command: it ends its
 * message unless it announces a data set, which DIMSE tells `streamDataset` once decoded.
 */
class PeerInput {
  /** True while DIMSE holds input (read back-pressure). */
  held = false;
  /** Commands of the current PDU, so far, that announce a data set. */
  announced = 0;
  /** Inside a message when `announced` exceeds this (-1: always; Infinity: never). */
  private threshold = Infinity;

  /** Called before DIMSE reads a P-DATA-TF's PDVs. */
  next(pdvs: readonly Pdv[]): void {
    const last = pdvs[pdvs.length - 1]!;
    this.announced = 0;
    if (!last.isLast) this.threshold = -1;
    else if (!last.isCommand) this.threshold = Infinity;
    else {
      // Ends with a whole command: a message whose data set follows it in this PDU announced one too.
      let earlier = 0;
      for (let i = 0; i < pdvs.length - 1; i++) if (pdvs[i]!.isCommand && pdvs[i]!.isLast && !pdvs[i + 1]!.isCommand) earlier++;
      this.threshold = earlier;
    }
  }

  get insideMessage(): boolean {
    return this.announced > this.threshold;
  }
}

/** The provider's per-message hook: debug dumps and/or telemetry, or none at all (no cost). */
function messageHook(options: AeOptions, base: () => NetEventBase): DimseProviderOptions['onMessage'] {
  const logger = options.logger;
  const dump = options.debug
    ? (dir: 'sent' | 'received', id: number, command: Command) => logger.debug(`${dir === 'sent' ? 'Sending' : 'Received'} on context ${id}:\n${describeCommand(command)}`)
    : undefined;
  const telemetry = options.observe ? new DimseTelemetry(options.observe, base) : undefined;
  if (!telemetry) return dump;
  return (dir, id, command, bytes) => {
    dump?.(dir, id, command);
    telemetry.message(dir, id, command, bytes);
  };
}
