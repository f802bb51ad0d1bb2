/**
 * Presentation context and role negotiation, both sides (PS3.8 §7.1.1.13, §9.3.2-9.3.3;
 * PS3.7 Annex D.3.3.4 role selection, D.3.3.3 asynchronous operations window).
 */
import type {
  AssociateAcPdu,
  AssociateRqPdu,
  PresentationContextAc,
  PresentationContextRq,
  RoleSelection,
} from '../pdu/types';
import {
  ContextResult,
  type NegotiatedContext,
  type RequestedContext,
  type SupportedContext,
} from './contexts';

/** Presentation context IDs are odd, 1..255 (PS3.8 §9.3.2.2): at most 128 contexts. */
export const MAX_CONTEXTS = 128;

/** Numbers the requested contexts 1, 3, 5, ... and builds their RQ items and role items. */
export function proposeContexts(requested: readonly RequestedContext[]): {
  contexts: PresentationContextRq[];
  roles: RoleSelection[];
} {
  if (requested.length > MAX_CONTEXTS) {
    throw new RangeError(`${requested.length} presentation contexts requested; at most ${MAX_CONTEXTS} fit`);
  }
  const contexts = requested.map((c, i) => ({
    id: 2 * i + 1,
    abstractSyntax: c.abstractSyntax,
    transferSyntaxes: [...c.transferSyntaxes],
  }));
  const roles = new Map<string, RoleSelection>();
  for (const c of requested) {
    if (c.scuRole === undefined && c.scpRole === undefined) continue;
    // One role item per SOP class (PS3.7 D.3.3.4): the last proposal for a class wins.
    roles.set(c.abstractSyntax, { sopClassUid: c.abstractSyntax, scuRole: c.scuRole ?? true, scpRole: c.scpRole ?? false });
  }
  return { contexts, roles: [...roles.values()] };
}

/** Requestor side: what the AC means for each proposed context. Unproposed IDs in the AC are ignored. */
export function contextsFromAc(rq: AssociateRqPdu, ac: AssociateAcPdu): NegotiatedContext[] {
  const answers = new Map<number, PresentationContextAc>();
  for (const pc of ac.presentationContexts) if (!answers.has(pc.id)) answers.set(pc.id, pc);
  const proposedRoles = roleMap(rq.userInformation.roleSelections);
  const answeredRoles = roleMap(ac.userInformation.roleSelections);
  return rq.presentationContexts.map((pc) => {
    const answer = answers.get(pc.id);
    // An AC transfer syntax that was not proposed is a protocol slip by the peer: treat as not accepted.
    const accepted = answer?.result === 0 && pc.transferSyntaxes.includes(answer.transferSyntax);
    const roles = resolveRoles(proposedRoles.get(pc.abstractSyntax), answeredRoles.get(pc.abstractSyntax));
    return {
      id: pc.id,
      abstractSyntax: pc.abstractSyntax,
      proposedTransferSyntaxes: pc.transferSyntaxes,
      transferSyntax: accepted ? answer.transferSyntax : '',
      result: answer === undefined ? ContextResult.noReason : accepted ? 0 : answer.result || ContextResult.noReason,
      ...roles,
    };
  });
}

/** Options for the acceptor's decision. */
export interface AcceptorPolicy {
  readonly supported: readonly SupportedContext[];
  /** Accept any storage SOP class not listed, with these transfer syntaxes (unrestricted storage). */
  readonly acceptAnyStorage?: { readonly transferSyntaxes: readonly string[]; isStorage(uid: string): boolean };
  /** Per-context override by the application (e.g. user rejection). */
  readonly decide?: (proposed: PresentationContextRq) => number | undefined;
}

/** Acceptor side: answers every proposed context and role item. */
export function answerContexts(
  rq: AssociateRqPdu,
  policy: AcceptorPolicy,
): { answers: PresentationContextAc[]; roles: RoleSelection[]; contexts: NegotiatedContext[] } {
  const proposedRoles = roleMap(rq.userInformation.roleSelections);
  const answeredRoles = new Map<string, RoleSelection>();
  const answers: PresentationContextAc[] = [];
  const contexts: NegotiatedContext[] = [];
  for (const pc of rq.presentationContexts) {
    const support = findSupport(policy, pc.abstractSyntax);
    let result: number = ContextResult.abstractSyntaxNotSupported;
    let transferSyntax = '';
    if (support) {
      // The acceptor's own preference order decides among the proposed transfer syntaxes.
      transferSyntax = support.transferSyntaxes.find((ts) => pc.transferSyntaxes.includes(ts)) ?? '';
      result = transferSyntax ? ContextResult.acceptance : ContextResult.transferSyntaxesNotSupported;
    }
    const override = result === 0 ? policy.decide?.(pc) : undefined;
    if (override !== undefined && override !== 0) {
      result = override;
      transferSyntax = '';
    }
    const proposal = proposedRoles.get(pc.abstractSyntax);
    let answer: RoleSelection | undefined;
    if (result === 0 && proposal && support && (support.scuRole !== undefined || support.scpRole !== undefined)) {
      // A role the policy leaves unset keeps its default (PS3.7 Table D.3-11): the requestor is SCU
      // (so a proposed SCU role is accepted, not taken away) and not SCP unless the policy allows it.
      answer = {
        sopClassUid: pc.abstractSyntax,
        scuRole: proposal.scuRole && (support.scuRole ?? true),
        scpRole: proposal.scpRole && (support.scpRole ?? false),
      };
      answeredRoles.set(pc.abstractSyntax, answer);
    }
    answers.push({ id: pc.id, result, transferSyntax: result === 0 ? transferSyntax : pc.transferSyntaxes[0] ?? '' });
    contexts.push({
      id: pc.id,
      abstractSyntax: pc.abstractSyntax,
      proposedTransferSyntaxes: pc.transferSyntaxes,
      transferSyntax: result === 0 ? transferSyntax : '',
      result,
      ...resolveRoles(proposal, answer),
    });
  }
  return { answers, roles: [...answeredRoles.values()], contexts };
}

/** The smaller of two window sizes where 0 means unlimited. */
const minWindow = (a: number, b: number) => (a === 0 ? b : b === 0 ? a : Math.min(a, b));

/**
 * Asynchronous operations window answer (PS3.7 D.3.3.3). Both values of the AC are the
 * requestor's, each no more than proposed: Maximum Number Operations Invoked = how many the
 * requestor may invoke (so at most what we perform), Performed = how many the requestor performs
 * (so at most what we invoke). 0 means unlimited. Like dcm4che's `minZeroAsMax`.
 */
export function answerAsyncOps(
  proposed: { maxInvoked: number; maxPerformed: number } | undefined,
  ours: { maxInvoked: number; maxPerformed: number },
): { maxInvoked: number; maxPerformed: number } | undefined {
  if (!proposed) return undefined;
  return { maxInvoked: minWindow(proposed.maxInvoked, ours.maxPerformed), maxPerformed: minWindow(proposed.maxPerformed, ours.maxInvoked) };
}

/**
 * The window one side of an established association works with (PS3.7 D.3.3.3): the AC values
 * are the requestor's, so the acceptor invokes up to AC Performed and performs up to AC Invoked.
 * Without an item in both RQ and AC the default 1/1 holds.
 */
export function negotiatedWindow(
  role: 'requestor' | 'acceptor',
  rq: AssociateRqPdu,
  ac: AssociateAcPdu,
): { maxInvoked: number; maxPerformed: number } {
  const proposed = rq.userInformation.asyncOps;
  const answered = ac.userInformation.asyncOps;
  if (!proposed || !answered) return { maxInvoked: 1, maxPerformed: 1 };
  // Never more than proposed, even if the AC says so.
  const invoked = minWindow(answered.maxInvoked, proposed.maxInvoked);
  const performed = minWindow(answered.maxPerformed, proposed.maxPerformed);
  return role === 'requestor' ? { maxInvoked: invoked, maxPerformed: performed } : { maxInvoked: performed, maxPerformed: invoked };
}

function findSupport(policy: AcceptorPolicy, abstractSyntax: string): SupportedContext | undefined {
  const listed = policy.supported.find((s) => s.abstractSyntax === abstractSyntax);
  if (listed) return listed;
  const any = policy.acceptAnyStorage;
  if (any && any.isStorage(abstractSyntax)) {
    return { abstractSyntax, transferSyntaxes: any.transferSyntaxes, scuRole: true, scpRole: true };
  }
  return undefined;
}

function roleMap(items: readonly RoleSelection[] | undefined): Map<string, RoleSelection> {
  const map = new Map<string, RoleSelection>();
  for (const r of items ?? []) if (!map.has(r.sopClassUid)) map.set(r.sopClassUid, r);
  return map;
}

/** PS3.7 Table D.3-11: without an answer the default roles hold (requestor SCU, acceptor SCP). */
function resolveRoles(
  proposed: RoleSelection | undefined,
  answered: RoleSelection | undefined,
): { requestorIsScu: boolean; requestorIsScp: boolean } {
  if (!proposed || !answered) return { requestorIsScu: true, requestorIsScp: false };
  return { requestorIsScu: proposed.scuRole && answered.scuRole, requestorIsScp: proposed.scpRole && answered.scpRole };
}
