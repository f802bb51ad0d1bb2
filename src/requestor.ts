/**
 * Association establishment as the requestor (PS3.8 §7.1, PS3.7 Annex D): builds the RQ,
 * waits for AC/RJ under the ACSE timeout, and returns the established Association.
 */
import { DICOM_APPLICATION_CONTEXT, type RequestedContext } from './acse/contexts';
import { contextsFromAc, proposeContexts } from './acse/negotiate';
import { Association } from './association';
import { Channel, receiveLimits } from './channel';
import { CommandField } from './dimse/types';
import type { AeOptions } from './options';
import { checkAeTitle } from './bytes/text';
import { effectiveMaxPduLength } from './pdu/decode';
import { encodePdu } from './pdu/encode';
import { AssociationRejectedError, NegotiationError } from './errors';
import { emit } from './telemetry';
import type { AssociateAcPdu, AssociateRqPdu, UserIdentityRq, SopClassExtendedNegotiation, SopClassCommonExtendedNegotiation } from './pdu/types';
import type { IncomingMessage } from './dimse/reassemble';
import { isRequestMessage, serveRequests } from './scp/dispatch';
import { hasGetInProgress } from './scu/retrieve';
import type { ScpHandlers } from './scp/types';
import type { Transport } from './transport';

/** Per-association options of the requestor. */
export interface AssociateOptions {
  /** The peer's AE title. Default 'ANY-SCP'; an empty or invalid one is a RangeError (PS3.5 AE VR). */
  calledAeTitle?: string;
  /** Overrides the AE's own title for this association. */
  callingAeTitle?: string;
  /** Cancels association establishment (the transport is aborted). */
  signal?: AbortSignal;
  /** Contexts to propose instead of the AE's requested contexts. */
  contexts?: readonly RequestedContext[];
  /** User identity negotiation (PS3.7 D.3.3.7). */
  userIdentity?: UserIdentityRq;
  /** SOP class extended negotiation items (56H). */
  extendedNegotiations?: readonly SopClassExtendedNegotiation[];
  /** SOP class common extended negotiation items (57H). */
  commonExtendedNegotiations?: readonly SopClassCommonExtendedNegotiation[];
  /**
   * Serve the peer's requests on this association in the background while we use it as SCU,
   * e.g. the N-EVENT-REPORT of Storage Commitment (PS3.4 J.3.3) or UPS (PS3.4 CC.2.4), or
   * requests on contexts where we negotiated the SCP role. Responses to our own requests still
   * go to the call that waits for them. C-STORE-RQs go to `cStore` too (with the SCP role for
   * the storage class the acceptor may send them at any time, PS3.7 D.3.3.4; without it they are
   * refused with 0x0122), except while one of our C-GETs is in progress: then they are its
   * sub-operations and go to its `onStore` (PS3.4 C.4.3).
   */
  handlers?: ScpHandlers;
}

/** Smallest maximum PDU length that carries a PDV with a 2-byte fragment (item header 6 + 2). */
const MIN_USABLE_PDU = 8;

/** Sends an A-ASSOCIATE-RQ over `transport` and returns the association once accepted. */
export async function requestAssociation(
  transport: Transport,
  contexts: readonly RequestedContext[],
  options: AeOptions,
  params: AssociateOptions = {},
): Promise<Association> {
  let rq: AssociateRqPdu;
  let channel: Channel;
  try {
    rq = buildRequest(contexts, options, params);
    // Encoded once here only to throw every encoding error (a UID that is not ASCII, an item over
    // 64 KiB) before the channel exists; a few µs per association.
    encodePdu(rq);
    channel = new Channel(transport, 'requestor', options);
  } catch (error) {
    // Nothing was sent and no channel owns the transport yet: without this it would stay open.
    closeQuietly(transport);
    throw error;
  }
  const observe = options.observe;
  const started = observe ? Date.now() : 0;
  const identity = () => ({
    time: Date.now(),
    associationId: channel.id,
    side: 'requestor' as const,
    callingAeTitle: rq.callingAeTitle.trim(),
    calledAeTitle: rq.calledAeTitle.trim(),
    ...(transport.info.remote && { remoteAddress: transport.info.remote }),
  });
  // Every association that was 'requested' ends with an event, or telemetry spans never end.
  const failed = (error: unknown) => {
    if (!observe) return;
    const durationMs = Date.now() - started;
    if (error instanceof AssociationRejectedError) {
      const { result, source, reason } = error;
      emit(observe, { ...identity(), type: 'association-rejected', result, source, reason, durationMs });
    } else {
      emit(observe, { ...identity(), type: 'association-aborted', durationMs, error: (error as Error)?.message ?? String(error) });
    }
  };
  if (observe) emit(observe, { ...identity(), type: 'association-requested', proposedContexts: rq.presentationContexts.length });
  let ac: AssociateAcPdu;
  try {
    ac = await channel.requestAssociation(rq, params.signal);
  } catch (error) {
    failed(error);
    throw error;
  }
  const peerMax = ac.userInformation.maxLength ?? 0;
  if (peerMax > 0 && peerMax < MIN_USABLE_PDU) {
    // No PDV could ever be sent (reliability.md H-01): abort now rather than fail on the first send.
    await channel.abort(0, 0);
    const error = new NegotiationError(`the peer's maximum PDU length ${peerMax} leaves no room for a PDV (at least ${MIN_USABLE_PDU} needed)`);
    failed(error);
    throw error;
  }
  const ids = ac.presentationContexts.map((pc) => pc.id);
  if (new Set(ids).size !== ids.length) {
    // Two answers for one presentation-context-ID (reliability.md H-02): which one holds cannot be
    // known, so neither is trusted. A-ABORT (0,0), as the acceptor answers an RQ repeating an ID (N-11).
    await channel.abort(0, 0);
    const error = new NegotiationError('the A-ASSOCIATE-AC answers a presentation-context-ID twice');
    failed(error);
    throw error;
  }
  const negotiated = contextsFromAc(rq, ac);
  if (observe) {
    const acceptedContexts = negotiated.filter((c) => c.result === 0).length;
    emit(observe, { ...identity(), type: 'association-accepted', acceptedContexts, proposedContexts: negotiated.length, durationMs: Date.now() - started });
  }
  options.logger.info(
    `association accepted by ${rq.calledAeTitle}: ${negotiated.filter((c) => c.result === 0).length}/${negotiated.length} contexts`,
  );
  const association = new Association(channel, {
    role: 'requestor',
    request: rq,
    accept: ac,
    contexts: negotiated,
    options,
    remoteAddress: transport.info.remote,
    streamDataset: (_, command) => command.CommandField === CommandField['C-STORE-RQ'],
  });
  if (params.handlers) {
    const isStore = (m: IncomingMessage) => m.command.CommandField === CommandField['C-STORE-RQ'];
    void serveRequests(association, params.handlers, (m) => isRequestMessage(m) && !(isStore(m) && hasGetInProgress(association)));
  }
  return association;
}

/** The A-ASSOCIATE-RQ; throws RangeError for invalid local input (AE titles, more than 128 contexts). */
function buildRequest(contexts: readonly RequestedContext[], options: AeOptions, params: AssociateOptions): AssociateRqPdu {
  // Absent means 'ANY-SCP' (as DCMTK); an explicit '' would go out as 16 spaces, which no peer matches.
  const calledAeTitle = params.calledAeTitle ?? 'ANY-SCP';
  const callingAeTitle = params.callingAeTitle ?? options.aeTitle;
  checkAeTitle(calledAeTitle, 'called AE title');
  checkAeTitle(callingAeTitle, 'calling AE title');
  const { contexts: proposed, roles } = proposeContexts(params.contexts ?? contexts);
  const window = options.asyncOps;
  return {
    type: 'A-ASSOCIATE-RQ',
    protocolVersion: 1,
    calledAeTitle,
    callingAeTitle,
    applicationContextName: DICOM_APPLICATION_CONTEXT,
    presentationContexts: proposed,
    userInformation: {
      // What our reader enforces (for maxPduLength 0, the cap), as the acceptor advertises it.
      maxLength: effectiveMaxPduLength(receiveLimits(options)),
      implementationClassUid: options.implementationClassUid,
      implementationVersionName: options.implementationVersionName,
      // The window item is sent only when it differs from the default 1/1 (PS3.7 D.3.3.3).
      ...((window.maxInvoked !== 1 || window.maxPerformed !== 1) && { asyncOps: window }),
      roleSelections: roles,
      extendedNegotiations: params.extendedNegotiations ?? [],
      commonExtendedNegotiations: params.commonExtendedNegotiations ?? [],
      ...(params.userIdentity && { userIdentityRq: params.userIdentity }),
    },
  };
}

function closeQuietly(transport: Transport): void {
  try {
    transport.abort();
  } catch {
    // Already gone.
  }
}
