/**
 * Association establishment as the acceptor (PS3.8 §7.1, §9.3.4; PS3.7 Annex D): applies the
 * AE-title, limit and identity policies, negotiates contexts and roles, then serves requests.
 */
import { DICOM_APPLICATION_CONTEXT, type SupportedContext } from './acse/contexts';
import { answerAsyncOps, answerContexts } from './acse/negotiate';
import { Association } from './association';
import { aeTitleProblem, printable } from './bytes/text';
import { Channel, receiveLimits, type CloseInfo } from './channel';
import { CommandField } from './dimse/types';
import type { Logger } from './logger';
import type { AeOptions } from './options';
import type { AssociateAcPdu, AssociateRqPdu, SopClassExtendedNegotiation, UserIdentityRq } from './pdu/types';
import { effectiveMaxPduLength } from './pdu/decode';
import { serveRequests } from './scp/dispatch';
import type { ScpHandlers } from './scp/types';
import { emit } from './telemetry';
import type { Transport } from './transport';

/** A-ASSOCIATE-RJ result/source/reason triples (PS3.8 Table 9-21). */
export const Reject = {
  noReason: { result: 1, source: 1, reason: 1 },
  applicationContextNotSupported: { result: 1, source: 1, reason: 2 },
  callingAeNotRecognized: { result: 1, source: 1, reason: 3 },
  calledAeNotRecognized: { result: 1, source: 1, reason: 7 },
  protocolVersionNotSupported: { result: 1, source: 2, reason: 2 },
  temporaryCongestion: { result: 2, source: 3, reason: 1 },
  localLimitExceeded: { result: 2, source: 3, reason: 2 },
} as const;

/** What the acceptor checks before it negotiates. */
export interface AcceptorOptions {
  readonly supported: readonly SupportedContext[];
  /** Accept any storage SOP class (unrestricted storage), with these transfer syntaxes. */
  readonly acceptAnyStorage?: { readonly transferSyntaxes: readonly string[]; isStorage(uid: string): boolean };
  /** Reject when the called AE title differs from ours (default false: like DCMTK, answer any). */
  readonly requireCalledAeTitle?: boolean;
  /** Only these calling AE titles may associate (not authentication: see README). */
  readonly allowedCallingAeTitles?: readonly string[];
  /**
   * Checked first, and again once the asynchronous checks are done: true (the server is closing)
   * means reject transient, temporary-congestion (2,3,1).
   */
  readonly shuttingDown?: () => boolean;
  /** Checked next (after shuttingDown): true means reject with local-limit-exceeded (2,3,2). */
  readonly atCapacity?: () => boolean;
  /**
   * Verifies user identity (PS3.7 D.3.3.7); false rejects (1,1,1). A Uint8Array accepts with that
   * server response (at most 65533 bytes; a longer one rejects (1,1,1)). It only runs for a request
   * that carries a User Identity item: one without is accepted, as pynetdicom and DCMTK do, unless
   * {@link AcceptorOptions.requireUserIdentity} is set.
   */
  readonly verifyUserIdentity?: (identity: UserIdentityRq) => boolean | Uint8Array | Promise<boolean | Uint8Array>;
  /** Reject (1,1,1) a request without a User Identity item (58H). Default false: such a request is accepted. */
  readonly requireUserIdentity?: boolean;
  /**
   * Reject (1,1,1) a username-and-passcode identity (type 2) that came over a transport without
   * TLS (`transport.info.secure` false): the passcode crossed the network in clear (PS3.15 B,
   * reliability.md U-05). Default false.
   */
  readonly requireTlsForPasscode?: boolean;
}

/**
 * Our 51H value: exactly the P-DATA-TF length our PDU reader enforces ({@link receiveLimits}), so a
 * peer that keeps to it is never aborted for a PDU length. With maxPduLength 0 that is the cap,
 * not "no maximum" (PS3.8 Annex D.1: 0 means no maximum).
 */
function advertisedMaxLength(options: AeOptions): number {
  return effectiveMaxPduLength(receiveLimits(options));
}

/** User-Identity-Type values PS3.7 Table D.3-14 defines: username, +passcode, Kerberos, SAML, JWT. */
const USER_IDENTITY_TYPES: ReadonlySet<number> = new Set([1, 2, 3, 4, 5]);
/** The User-Identity-Type that carries a passcode in the secondary field (PS3.7 Table D.3-14). */
const USERNAME_AND_PASSCODE = 2;

/** What is wrong with a 58H sub-item's fields, or undefined (none, or well formed). */
function malformedIdentity(identity: UserIdentityRq | undefined): string | undefined {
  // A reserved type's fields mean nothing we know: checkRequest refuses it (U-04).
  if (!identity || !USER_IDENTITY_TYPES.has(identity.identityType)) return undefined;
  // "Non-zero only if" the type is 2: an empty passcode is for the verifier to judge, not malformed.
  if (identity.identityType !== USERNAME_AND_PASSCODE && identity.secondaryField.length > 0) return `type ${identity.identityType} with a secondary field`;
  return undefined;
}

/** The longest user identity server response: the 59H item's value is a 2-byte length and the response. */
const MAX_SERVER_RESPONSE = 0xffff - 2;

/**
 * Runs one association on `transport` as acceptor until it ends. Resolves with how it ended
 * (never rejects); `onAssociation` is told about the association once it is established.
 */
export async function serveTransport(
  transport: Transport,
  options: AeOptions,
  acceptor: AcceptorOptions,
  handlers: ScpHandlers,
  onAssociation?: (association: Association) => void,
): Promise<CloseInfo> {
  const channel = new Channel(transport, 'acceptor', options);
  let rq: AssociateRqPdu;
  try {
    rq = await channel.waitForRequest();
  } catch {
    return channel.ended;
  }
  const ids = rq.presentationContexts.map((pc) => pc.id);
  if (new Set(ids).size !== ids.length) {
    // Two items for one presentation-context-ID cannot be answered (reliability.md N-11): A-ABORT (0,0), AA-1.
    options.logger.warn(`aborting: A-ASSOCIATE-RQ from '${printable(rq.callingAeTitle)}' repeats a presentation-context-ID`);
    await channel.abort(0, 0);
    return channel.ended;
  }
  const identityProblem = malformedIdentity(rq.userInformation.userIdentityRq);
  if (identityProblem) {
    // PS3.7 Table D.3-14: only type 2 has a secondary field (the passcode).
    // A sub-item that breaks this is malformed, not a policy question (reliability.md U-03): A-ABORT
    // (0,0), as for the sub-item length errors the decoder finds in Sta2. Checked here, not in the
    // codec, because the codec round-trips every type/field combination (test/unit/pdu-fuzz.test.ts).
    options.logger.warn(`aborting: A-ASSOCIATE-RQ from '${printable(rq.callingAeTitle)}' has a malformed user identity: ${identityProblem}`);
    await channel.abort(0, 0);
    return channel.ended;
  }
  // A throwing policy hook must not leave the peer waiting in Sta3 or escape as a rejection: refuse (1,1,1).
  const observe = options.observe;
  const started = observe ? Date.now() : 0;
  const identity = () => ({
    time: Date.now(),
    associationId: channel.id,
    side: 'acceptor' as const,
    callingAeTitle: rq.callingAeTitle.trim(),
    calledAeTitle: rq.calledAeTitle.trim(),
    ...(transport.info.remote && { remoteAddress: transport.info.remote }),
  });
  if (observe) emit(observe, { ...identity(), type: 'association-requested', proposedContexts: rq.presentationContexts.length });
  const rejection = await checkRequest(rq, transport, options, acceptor, handlers).catch((error: unknown): Check => {
    options.logger.error(`association policy hook failed: ${messageOf(error)}`);
    return { reject: Reject.noReason };
  });
  const refuse = async (reject: Rejection): Promise<CloseInfo> => {
    options.logger.info(`rejecting association from '${printable(rq.callingAeTitle)}': ${JSON.stringify(reject)}`);
    notify(options.logger, 'rejected', () => handlers.rejected?.(rq, reject));
    if (observe) emit(observe, { ...identity(), type: 'association-rejected', ...reject, durationMs: Date.now() - started });
    await channel.ul.rejectAssociation({ type: 'A-ASSOCIATE-RJ', ...reject }).catch(() => undefined);
    channel.decided();
    return channel.ended;
  };
  if ('reject' in rejection) return refuse(rejection.reject);
  const decide = rejection.contextResult;
  let negotiated: ReturnType<typeof answerContexts>;
  try {
    negotiated = answerContexts(rq, {
      supported: acceptor.supported,
      acceptAnyStorage: acceptor.acceptAnyStorage,
      decide: decide ? (pc) => decide(pc.abstractSyntax, pc.id) : undefined,
    });
  } catch (error) {
    // The associate hook's contextResult threw: a policy hook like the others.
    options.logger.error(`association policy hook failed: ${messageOf(error)}`);
    return refuse(Reject.noReason);
  }
  const { answers, roles, contexts } = negotiated;
  const asyncOps = answerAsyncOps(rq.userInformation.asyncOps, options.asyncOps);
  const extendedNegotiations = answerExtendedNegotiation(rq, rejection.extendedNegotiations, options);
  const ac: AssociateAcPdu = {
    type: 'A-ASSOCIATE-AC',
    protocolVersion: 1,
    calledAeTitle: rq.calledAeTitle,
    callingAeTitle: rq.callingAeTitle,
    applicationContextName: DICOM_APPLICATION_CONTEXT,
    presentationContexts: answers,
    userInformation: {
      maxLength: advertisedMaxLength(options),
      implementationClassUid: options.implementationClassUid,
      implementationVersionName: options.implementationVersionName,
      ...(asyncOps && { asyncOps }),
      roleSelections: roles,
      ...(extendedNegotiations.length > 0 && { extendedNegotiations }),
      ...(rejection.serverResponse && { userIdentityAc: { serverResponse: rejection.serverResponse } }),
    },
  };
  try {
    await channel.ul.acceptAssociation(ac);
  } catch (error) {
    // Still in Sta3 and not ended: the AC could not be encoded (it throws before any transition), so
    // nothing was sent and a refusal still can be. Otherwise the transport ended while we decided.
    // Either way the association must end now: in Sta3 our read loop waits for this answer, with
    // ARTIM off and the peer's A-ABORT unread.
    const endedFirst = channel.endedWith;
    if (!endedFirst && channel.ul.state === 'Sta3') {
      options.logger.error(`cannot encode the A-ASSOCIATE-AC for '${printable(rq.callingAeTitle)}': ${messageOf(error)}`);
      return refuse(Reject.noReason);
    }
    // association-requested was emitted: a closing event ends its telemetry (and OpenTelemetry span).
    if (observe) emit(observe, { ...identity(), type: 'association-aborted', durationMs: 0, error: endedFirst?.error?.message ?? messageOf(error) });
    await channel.abort(0, 0);
    return channel.ended;
  }
  if (observe) {
    const acceptedContexts = contexts.filter((c) => c.result === 0).length;
    emit(observe, { ...identity(), type: 'association-accepted', acceptedContexts, proposedContexts: contexts.length, durationMs: Date.now() - started });
  }
  const association = new Association(channel, {
    role: 'acceptor',
    request: rq,
    accept: ac,
    contexts,
    options,
    remoteAddress: transport.info.remote,
    streamDataset: (_, command) => command.CommandField === CommandField['C-STORE-RQ'],
  });
  onAssociation?.(association);
  notify(options.logger, 'accepted', () => handlers.accepted?.(association));
  await serveRequests(association, handlers);
  const info = await association.closed;
  if (info.reason === 'released') notify(options.logger, 'released', () => handlers.released?.(association));
  else notify(options.logger, 'aborted', () => handlers.aborted?.(association, info.error));
  return info;
}

/**
 * Calls a notification handler (accepted, rejected, released, aborted). One that throws or rejects
 * is logged: it must not keep the RJ from being sent or the requests from being served, nor escape
 * serveTransport (an unhandled rejection ends a Node process).
 */
function notify(logger: Logger, name: string, call: () => unknown): void {
  try {
    const result = call();
    if (result instanceof Promise) result.catch((error: unknown) => logger.error(`the '${name}' handler failed: ${messageOf(error)}`));
  } catch (error) {
    logger.error(`the '${name}' handler failed: ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}

/** An A-ASSOCIATE-RJ's result, source and reason (PS3.8 Table 9-21). */
type Rejection = { result: number; source: number; reason: number };

type Check =
  | { reject: Rejection }
  | {
      contextResult?: (abstractSyntax: string, id: number) => number | undefined;
      serverResponse?: Uint8Array;
      extendedNegotiations?: readonly SopClassExtendedNegotiation[];
    };

async function checkRequest(
  rq: AssociateRqPdu,
  transport: Transport,
  options: AeOptions,
  acceptor: AcceptorOptions,
  handlers: ScpHandlers,
): Promise<Check> {
  if (acceptor.shuttingDown?.()) return { reject: Reject.temporaryCongestion };
  if (acceptor.atCapacity?.()) return { reject: Reject.localLimitExceeded };
  if ((rq.protocolVersion & 1) === 0) return { reject: Reject.protocolVersionNotSupported };
  // A maximum of 1..7 bytes cannot carry one PDV (PS3.8 Annex D.1): we could never answer (N-10).
  const max = rq.userInformation.maxLength;
  if (max !== undefined && max > 0 && max < 8) return { reject: Reject.noReason };
  if (rq.applicationContextName !== DICOM_APPLICATION_CONTEXT) return { reject: Reject.applicationContextNotSupported };
  // A title that is all spaces ("shall not be used", PS3.8 Table 9-11) or has a backslash, a control
  // character or a byte ≥ 80H (outside the PS3.5 AE VR) names no AE: not recognized, whatever the
  // policy (reliability.md, N-14). DCMTK accepts such titles; pynetdicom aborts.
  const titles = [['called', rq.calledAeTitle, Reject.calledAeNotRecognized], ['calling', rq.callingAeTitle, Reject.callingAeNotRecognized]] as const;
  for (const [which, title, reject] of titles) {
    if (aeTitleProblem(title) === undefined) continue;
    options.logger.warn(`A-ASSOCIATE-RQ with ${which} AE title '${printable(title)}': ${title === '' ? 'all spaces' : 'a character outside the AE VR (printable ASCII but backslash)'}`);
    return { reject };
  }
  if (acceptor.requireCalledAeTitle && rq.calledAeTitle.trim() !== options.aeTitle.trim()) return { reject: Reject.calledAeNotRecognized };
  const allowed = acceptor.allowedCallingAeTitles;
  if (allowed && !allowed.some((t) => t.trim() === rq.callingAeTitle.trim())) return { reject: Reject.callingAeNotRecognized };
  let serverResponse: Uint8Array | undefined;
  const identity = rq.userInformation.userIdentityRq;
  if (identity && !USER_IDENTITY_TYPES.has(identity.identityType)) {
    // U-04: a reserved type names no identity we could verify, verifier or not: refused like a
    // failed verification (1,1,1), as dcm4chee-arc's identity negotiators refuse (DCMTK parses
    // such a type as "unknown" and leaves the decision to the application).
    options.logger.warn(`A-ASSOCIATE-RQ from '${printable(rq.callingAeTitle)}' has reserved user identity type ${identity.identityType}`);
    return { reject: Reject.noReason };
  }
  // Without this, a request that leaves the User Identity item out is never verified.
  if (!identity && acceptor.requireUserIdentity) {
    options.logger.warn(`A-ASSOCIATE-RQ from '${printable(rq.callingAeTitle)}' has no user identity, which is required`);
    return { reject: Reject.noReason };
  }
  if (identity?.identityType === USERNAME_AND_PASSCODE && acceptor.requireTlsForPasscode && !transport.info.secure) {
    options.logger.warn(`A-ASSOCIATE-RQ from '${printable(rq.callingAeTitle)}' sent a passcode without TLS`);
    return { reject: Reject.noReason };
  }
  if (identity && acceptor.verifyUserIdentity) {
    const verdict = await acceptor.verifyUserIdentity(identity);
    if (verdict === false) return { reject: Reject.noReason };
    if (identity.positiveResponseRequested) serverResponse = verdict instanceof Uint8Array ? verdict : new Uint8Array(0);
    if (serverResponse && serverResponse.length > MAX_SERVER_RESPONSE) {
      options.logger.error(`verifyUserIdentity returned a ${serverResponse.length}-byte server response: longer than the ${MAX_SERVER_RESPONSE} an A-ASSOCIATE-AC can carry`);
      return { reject: Reject.noReason };
    }
  }
  const decision = await handlers.associate?.(rq, { remoteAddress: transport.info.remote });
  if (decision && 'reject' in decision) return { reject: decision.reject };
  // close() may have been called while the hooks above ran: a new association would hold it up.
  if (acceptor.shuttingDown?.()) return { reject: Reject.temporaryCongestion };
  return { contextResult: decision?.contextResult, serverResponse, extendedNegotiations: decision?.extendedNegotiations };
}

/**
 * The SOP Class Extended Negotiation replies for the A-ASSOCIATE-AC (PS3.7 D.3.3.5): the first
 * reply given for each SOP class the requestor proposed an item for. A reply the requestor could
 * not match to its proposal (another SOP class, a second one) is dropped: the requestor would
 * have to guess what it answers.
 */
function answerExtendedNegotiation(rq: AssociateRqPdu, replies: readonly SopClassExtendedNegotiation[] | undefined, options: AeOptions): SopClassExtendedNegotiation[] {
  if (!replies || replies.length === 0) return [];
  const proposed = new Set((rq.userInformation.extendedNegotiations ?? []).map((e) => e.sopClassUid));
  const answered = new Map<string, SopClassExtendedNegotiation>();
  for (const reply of replies) {
    if (!proposed.has(reply.sopClassUid) || answered.has(reply.sopClassUid)) {
      options.logger.warn(`dropping an extended negotiation reply for ${reply.sopClassUid}: ${proposed.has(reply.sopClassUid) ? 'a second reply' : 'not proposed'}`);
      continue;
    }
    // The 56H item's value (2-byte UID length, UID, info) has a 2-byte length (PS3.7 D.3.3.5).
    if (2 + reply.sopClassUid.length + reply.info.length > 0xffff) {
      options.logger.warn(`dropping an extended negotiation reply for ${reply.sopClassUid}: ${reply.info.length} bytes of information, more than an item can carry`);
      continue;
    }
    answered.set(reply.sopClassUid, { sopClassUid: reply.sopClassUid, info: reply.info });
  }
  return [...answered.values()];
}
