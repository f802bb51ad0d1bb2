/**
 * Negotiation explainer: a machine-readable account of what an association negotiated and why
 * (PS3.8 §9.3.2-9.3.3 presentation contexts and results, PS3.7 D.3.3.1 maximum length, D.3.3.3
 * asynchronous operations window, D.3.3.4 role selection, D.3.3.5 SOP class extended
 * negotiation), and `checkProposal` warnings that catch the classic mistakes before an
 * A-ASSOCIATE-RQ is sent.
 */
import type { AssociateAcPdu, AssociateRqPdu, RoleSelection } from '../pdu/types';
import { sopClass, uidName } from '../uids/sop-classes';
import { contextResultName, type NegotiatedContext, type RequestedContext } from './contexts';
import { MAX_CONTEXTS, negotiatedWindow } from './negotiate';

/** One presentation context: what was proposed, what came back, and why. */
export interface ContextExplanation {
  readonly id: number;
  readonly abstractSyntax: string;
  readonly abstractSyntaxName: string;
  readonly proposedTransferSyntaxes: readonly string[];
  /** The acceptor's choice; null when not accepted. */
  readonly acceptedTransferSyntax: string | null;
  /** PS3.8 Table 9-18 result code and name. */
  readonly result: number;
  readonly resultName: string;
  readonly accepted: boolean;
  /** Why, in a sentence. */
  readonly reason: string;
  readonly roles: RoleExplanation;
}

/** Role selection for a context's SOP class (PS3.7 D.3.3.4, Table D.3-11). */
export interface RoleExplanation {
  /** The requestor's 54H item, if any. */
  readonly proposed: { readonly scu: boolean; readonly scp: boolean } | null;
  /** The acceptor's answer, if any (none: default roles). */
  readonly answered: { readonly scu: boolean; readonly scp: boolean } | null;
  readonly requestorIsScu: boolean;
  readonly requestorIsScp: boolean;
  readonly reason: string;
}

/** The whole negotiation of one association. */
export interface NegotiationReport {
  /** Which side produced the report. */
  readonly role: 'requestor' | 'acceptor';
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly contexts: readonly ContextExplanation[];
  readonly acceptedCount: number;
  readonly rejectedCount: number;
  /** Maximum PDU lengths (PS3.8 D.1): what each side said it receives; 0 = unlimited. */
  readonly maxPdu: { readonly requestorReceives: number; readonly acceptorReceives: number };
  /** PS3.7 D.3.3.3: the items exchanged and the window of each side (0 = unlimited). */
  readonly asyncOps: {
    readonly proposed: { readonly maxInvoked: number; readonly maxPerformed: number } | null;
    readonly answered: { readonly maxInvoked: number; readonly maxPerformed: number } | null;
    readonly requestor: { readonly maxInvoked: number; readonly maxPerformed: number };
    readonly acceptor: { readonly maxInvoked: number; readonly maxPerformed: number };
  };
  readonly implementation: {
    readonly requestor: { readonly classUid?: string; readonly versionName?: string };
    readonly acceptor: { readonly classUid?: string; readonly versionName?: string };
  };
  /** User identity (PS3.7 D.3.3.7): proposed type and whether a server response came back. */
  readonly userIdentity: { readonly type: number; readonly positiveResponseRequested: boolean; readonly serverResponse: boolean } | null;
  /** SOP class extended negotiation (PS3.7 D.3.3.5): each item proposed and the acceptor's reply (null: none, not supported). */
  readonly extendedNegotiations: ReadonlyArray<{ readonly sopClassUid: string; readonly proposed: Uint8Array; readonly answered: Uint8Array | null }>;
}

/** Explains a negotiation from its RQ, AC and negotiated contexts (as {@link Association} holds them). */
export function explainNegotiation(
  role: 'requestor' | 'acceptor',
  rq: AssociateRqPdu,
  ac: AssociateAcPdu,
  contexts: readonly NegotiatedContext[],
): NegotiationReport {
  const proposedRoles = roleMap(rq.userInformation.roleSelections);
  const answeredRoles = roleMap(ac.userInformation.roleSelections);
  const explained = contexts.map((c) => explainContext(c, proposedRoles.get(c.abstractSyntax), answeredRoles.get(c.abstractSyntax)));
  const identity = rq.userInformation.userIdentityRq;
  return {
    role,
    callingAeTitle: rq.callingAeTitle.trim(),
    calledAeTitle: rq.calledAeTitle.trim(),
    contexts: explained,
    acceptedCount: explained.filter((c) => c.accepted).length,
    rejectedCount: explained.filter((c) => !c.accepted).length,
    maxPdu: { requestorReceives: rq.userInformation.maxLength ?? 0, acceptorReceives: ac.userInformation.maxLength ?? 0 },
    asyncOps: {
      proposed: rq.userInformation.asyncOps ?? null,
      answered: ac.userInformation.asyncOps ?? null,
      requestor: negotiatedWindow('requestor', rq, ac),
      acceptor: negotiatedWindow('acceptor', rq, ac),
    },
    implementation: {
      requestor: { classUid: rq.userInformation.implementationClassUid, versionName: rq.userInformation.implementationVersionName },
      acceptor: { classUid: ac.userInformation.implementationClassUid, versionName: ac.userInformation.implementationVersionName },
    },
    userIdentity: identity
      ? { type: identity.identityType, positiveResponseRequested: identity.positiveResponseRequested, serverResponse: ac.userInformation.userIdentityAc !== undefined }
      : null,
    extendedNegotiations: (rq.userInformation.extendedNegotiations ?? []).map((e) => ({
      sopClassUid: e.sopClassUid,
      proposed: e.info,
      answered: ac.userInformation.extendedNegotiations?.find((r) => r.sopClassUid === e.sopClassUid)?.info ?? null,
    })),
  };
}

function explainContext(c: NegotiatedContext, proposed: RoleSelection | undefined, answered: RoleSelection | undefined): ContextExplanation {
  const accepted = c.result === 0;
  const ts = (uid: string) => uidName(uid);
  let reason: string;
  if (accepted) {
    reason = `accepted with ${ts(c.transferSyntax)}${c.proposedTransferSyntaxes.length > 1 ? ` (chosen from ${c.proposedTransferSyntaxes.length} proposed)` : ''}`;
  } else if (c.result === 3) {
    reason = `the acceptor does not support ${uidName(c.abstractSyntax)}`;
  } else if (c.result === 4) {
    reason = `the acceptor supports ${uidName(c.abstractSyntax)} but none of ${c.proposedTransferSyntaxes.map(ts).join(', ')}`;
  } else if (c.result === 1) {
    reason = 'rejected by the acceptor’s application (user rejection)';
  } else {
    reason = 'rejected by the acceptor’s provider without a reason (or not answered)';
  }
  return {
    id: c.id,
    abstractSyntax: c.abstractSyntax,
    abstractSyntaxName: uidName(c.abstractSyntax),
    proposedTransferSyntaxes: c.proposedTransferSyntaxes,
    acceptedTransferSyntax: accepted ? c.transferSyntax : null,
    result: c.result,
    resultName: contextResultName(c.result),
    accepted,
    reason,
    roles: explainRoles(c, proposed, answered),
  };
}

function explainRoles(c: NegotiatedContext, proposed: RoleSelection | undefined, answered: RoleSelection | undefined): RoleExplanation {
  const p = proposed ? { scu: proposed.scuRole, scp: proposed.scpRole } : null;
  const a = answered ? { scu: answered.scuRole, scp: answered.scpRole } : null;
  let reason: string;
  if (!p) reason = 'no role item proposed: default roles (requestor SCU, acceptor SCP)';
  else if (!a) reason = 'role item proposed but not answered: default roles (PS3.7 Table D.3-11)';
  else {
    const refused = [p.scu && !a.scu && 'SCU', p.scp && !a.scp && 'SCP'].filter(Boolean);
    reason = refused.length ? `the acceptor refused the requestor's ${refused.join(' and ')} role` : 'proposed roles accepted';
  }
  return { proposed: p, answered: a, requestorIsScu: c.requestorIsScu, requestorIsScp: c.requestorIsScp, reason };
}

/** Readable lines of a report (what the CLI apps print with -d). */
export function formatNegotiation(report: NegotiationReport): string {
  const lines = [
    `Negotiation ${report.callingAeTitle} -> ${report.calledAeTitle} (we are ${report.role}): ${report.acceptedCount} of ${report.contexts.length} contexts accepted`,
    `  max PDU: requestor receives ${report.maxPdu.requestorReceives || 'unlimited'}, acceptor receives ${report.maxPdu.acceptorReceives || 'unlimited'}`,
    `  async ops window: ${asyncWindow(report.asyncOps)}`,
  ];
  for (const c of report.contexts) {
    lines.push(`  [${c.id}] ${c.abstractSyntaxName}: ${c.resultName} - ${c.reason}`);
    if (c.roles.proposed) lines.push(`       roles: ${c.roles.reason} (requestor SCU=${c.roles.requestorIsScu} SCP=${c.roles.requestorIsScp})`);
  }
  const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
  for (const e of report.extendedNegotiations) {
    lines.push(`  extended negotiation ${uidName(e.sopClassUid)}: proposed [${hex(e.proposed)}], ${e.answered ? `answered [${hex(e.answered)}]` : 'not answered (not supported)'}`);
  }
  return lines.join('\n');
}

/** Both directions of the window: what the requestor invokes the acceptor performs, and the other way round. */
function asyncWindow({ requestor, acceptor, proposed }: NegotiationReport['asyncOps']): string {
  const n = (v: number) => v || 'unlimited';
  return (
    `requestor invokes ${n(requestor.maxInvoked)}, acceptor performs ${n(acceptor.maxPerformed)}; ` +
    `acceptor invokes ${n(acceptor.maxInvoked)}, requestor performs ${n(requestor.maxPerformed)}${proposed ? '' : ' (not negotiated)'}`
  );
}

/** What the application means to do on the association, for {@link checkProposal}. */
export interface ProposalIntent {
  /** Instances to C-STORE: their SOP class and the transfer syntax their data is in. */
  readonly store?: ReadonlyArray<{ readonly sopClassUid: string; readonly transferSyntaxUid: string }>;
  /** C-GET: the storage SOP classes the peer will send back (we must propose the SCP role for them). */
  readonly get?: { readonly storageClasses: readonly string[] };
  /** C-MOVE: the destination and, when known, the AE titles the SCP is configured with. */
  readonly move?: { readonly destination: string; readonly knownDestinations?: readonly string[] };
}

/** A classic mistake in a proposal. */
export interface ProposalWarning {
  readonly code:
    | 'too-many-contexts'
    | 'get-model-missing'
    | 'get-storage-context-missing'
    | 'get-without-scp-role'
    | 'store-context-missing'
    | 'store-transfer-syntax-missing'
    | 'move-model-missing'
    | 'move-destination-unknown';
  readonly message: string;
  readonly abstractSyntax?: string;
}

/**
 * Checks a proposal against what the application intends to do, before the RQ is sent. Returns
 * an empty list when nothing looks wrong.
 */
export function checkProposal(contexts: readonly RequestedContext[], intent: ProposalIntent = {}): ProposalWarning[] {
  const warnings: ProposalWarning[] = [];
  if (contexts.length > MAX_CONTEXTS) {
    warnings.push({ code: 'too-many-contexts', message: `${contexts.length} presentation contexts proposed; at most ${MAX_CONTEXTS} fit (PS3.8 §9.3.2.2: odd IDs 1-255): split over several associations` });
  }
  const forClass = (uid: string) => contexts.filter((c) => c.abstractSyntax === uid);
  for (const item of dedupe(intent.store ?? [])) {
    const offered = forClass(item.sopClassUid);
    if (offered.length === 0) {
      warnings.push({ code: 'store-context-missing', abstractSyntax: item.sopClassUid, message: `no context proposed for ${uidName(item.sopClassUid)}: its instances cannot be sent` });
    } else if (!offered.some((c) => c.transferSyntaxes.includes(item.transferSyntaxUid))) {
      warnings.push({
        code: 'store-transfer-syntax-missing',
        abstractSyntax: item.sopClassUid,
        message: `${uidName(item.sopClassUid)} data is in ${uidName(item.transferSyntaxUid)}, which no context for it proposes: it would need transcoding`,
      });
    }
  }
  if (intent.get) {
    if (!contexts.some((c) => isModel(c.abstractSyntax, 'GET'))) {
      warnings.push({ code: 'get-model-missing', message: 'C-GET intended but no Query/Retrieve GET information model proposed' });
    }
    for (const uid of new Set(intent.get.storageClasses)) {
      const offered = forClass(uid);
      if (offered.length === 0) {
        warnings.push({ code: 'get-storage-context-missing', abstractSyntax: uid, message: `C-GET: no context for ${uidName(uid)}: the SCP cannot send those instances back on this association` });
      } else if (!offered.some((c) => c.scpRole === true)) {
        warnings.push({
          code: 'get-without-scp-role',
          abstractSyntax: uid,
          message: `C-GET: ${uidName(uid)} is proposed without the SCP role (PS3.7 D.3.3.4): the SCP may not send C-STOREs for it to us`,
        });
      }
    }
  }
  if (intent.move) {
    if (!contexts.some((c) => isModel(c.abstractSyntax, 'MOVE'))) {
      warnings.push({ code: 'move-model-missing', message: 'C-MOVE intended but no Query/Retrieve MOVE information model proposed' });
    }
    const known = intent.move.knownDestinations;
    const dest = intent.move.destination.trim();
    if (known && !known.some((k) => k.trim() === dest)) {
      warnings.push({ code: 'move-destination-unknown', message: `C-MOVE destination '${dest}' is not among the SCP's known destinations (${known.join(', ') || 'none'}): expect 0xA801` });
    }
  }
  return warnings;
}

function isModel(uid: string, kind: 'GET' | 'MOVE'): boolean {
  const info = sopClass(uid);
  return info?.kind === 'query-retrieve' && info.name.toUpperCase().endsWith(`- ${kind}`);
}

function dedupe<T extends { sopClassUid: string; transferSyntaxUid: string }>(items: readonly T[]): T[] {
  const seen = new Map<string, T>();
  for (const i of items) seen.set(`${i.sopClassUid}|${i.transferSyntaxUid}`, i);
  return [...seen.values()];
}

function roleMap(items: readonly RoleSelection[] | undefined): Map<string, RoleSelection> {
  const map = new Map<string, RoleSelection>();
  for (const r of items ?? []) if (!map.has(r.sopClassUid)) map.set(r.sopClassUid, r);
  return map;
}
