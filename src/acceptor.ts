/**
 * Association establishment as the acceptor (PS3.8 §7.1, §9.3.4; PS3.7 Annex D): applies the
 * AE-title, limit and identity policies, negotiates contexts and roles, then serves requests.
 */
import { DICOM_APPLICATION_CONTEXT, type SupportedContext } from './acse/contexts';
import { answerAsyncOps, answerContexts } from './acse/negotiate';
import { Association } from './association';
import { Channel, type CloseInfo } from './channel';
import { CommandField } from './dimse/types';
import type { AeOptions } from './options';
import type { AssociateAcPdu, AssociateRqPdu, SopClassExtendedNegotiation, UserIdentityRq } from './pdu/types';
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
  /** Checked first: true means reject with local-limit-exceeded (2,3,2). */
  readonly atCapacity?: () => boolean;
  /** Verifies user identity (PS3.7 D.3.3.7); false rejects (1,1,1). A Uint8Array accepts with that server response. */
  readonly verifyUserIdentity?: (identity: UserIdentityRq) => boolean | Uint8Array | Promise<boolean | Uint8Array>;
}

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
    options.logger.warn(`aborting: A-ASSOCIATE-RQ from '${rq.callingAeTitle}' repeats a presentation-context-ID`);
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
    options.logger.error(`association policy hook failed: ${(error as Error)?.message ?? String(error)}`);
    return { reject: Reject.noReason };
  });
  if ('reject' in rejection) {
    options.logger.info(`rejecting association from '${rq.callingAeTitle}': ${JSON.stringify(rejection.reject)}`);
    handlers.rejected?.(rq, rejection.reject);
    if (observe) emit(observe, { ...identity(), type: 'association-rejected', ...rejection.reject, durationMs: Date.now() - started });
    await channel.ul.rejectAssociation({ type: 'A-ASSOCIATE-RJ', ...rejection.reject }).catch(() => undefined);
    channel.decided();
    return channel.ended;
  }
  const decide = rejection.contextResult;
  const { answers, roles, contexts } = answerContexts(rq, {
    supported: acceptor.supported,
    acceptAnyStorage: acceptor.acceptAnyStorage,
    decide: decide ? (pc) => decide(pc.abstractSyntax, pc.id) : undefined,
  });
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
      maxLength: options.maxPduLength,
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
  } catch {
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
  handlers.accepted?.(association);
  await serveRequests(association, handlers);
  const info = await association.closed;
  if (info.reason === 'released') handlers.released?.(association);
  else handlers.aborted?.(association, info.error);
  return info;
}

type Check =
  | { reject: { result: number; source: number; reason: number } }
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
  if (acceptor.atCapacity?.()) return { reject: Reject.localLimitExceeded };
  if ((rq.protocolVersion & 1) === 0) return { reject: Reject.protocolVersionNotSupported };
  // A maximum of 1..7 bytes cannot carry one PDV (PS3.8 Annex D.1): we could never answer (N-10).
  const max = rq.userInformation.maxLength;
  if (max !== undefined && max > 0 && max < 8) return { reject: Reject.noReason };
  if (rq.applicationContextName !== DICOM_APPLICATION_CONTEXT) return { reject: Reject.applicationContextNotSupported };
  if (acceptor.requireCalledAeTitle && rq.calledAeTitle.trim() !== options.aeTitle.trim()) return { reject: Reject.calledAeNotRecognized };
  const allowed = acceptor.allowedCallingAeTitles;
  if (allowed && !allowed.some((t) => t.trim() === rq.callingAeTitle.trim())) return { reject: Reject.callingAeNotRecognized };
  let serverResponse: Uint8Array | undefined;
  const identity = rq.userInformation.userIdentityRq;
  if (identity && acceptor.verifyUserIdentity) {
    const verdict = await acceptor.verifyUserIdentity(identity);
    if (verdict === false) return { reject: Reject.noReason };
    if (identity.positiveResponseRequested) serverResponse = verdict instanceof Uint8Array ? verdict : new Uint8Array(0);
  }
  const decision = await handlers.associate?.(rq, { remoteAddress: transport.info.remote });
  if (decision && 'reject' in decision) return { reject: decision.reject };
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
    answered.set(reply.sopClassUid, { sopClassUid: reply.sopClassUid, info: reply.info });
  }
  return [...answered.values()];
}
