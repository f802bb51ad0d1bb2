/**
 * PDUs and items as plain data (PS3.8 §9.3). Discriminants are the standard's own names.
 * Byte payloads (PDV data, extended negotiation info, identity fields) are views into the
 * received buffer, not copies.
 */

/** A-ASSOCIATE-RQ (PS3.8 §9.3.2, Table 9-11). */
export interface AssociateRqPdu {
  readonly type: 'A-ASSOCIATE-RQ';
  /** Only bit 0 is tested on receipt. We send 1. */
  readonly protocolVersion: number;
  /** Trailing spaces removed. */
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  /** Application context name, normally 1.2.840.10008.3.1.1.1. */
  readonly applicationContextName: string;
  readonly presentationContexts: readonly PresentationContextRq[];
  readonly userInformation: UserInformation;
}

/** A-ASSOCIATE-AC (PS3.8 §9.3.3, Table 9-17). AE titles are reserved fields: echoed, never tested. */
export interface AssociateAcPdu {
  readonly type: 'A-ASSOCIATE-AC';
  readonly protocolVersion: number;
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  readonly applicationContextName: string;
  readonly presentationContexts: readonly PresentationContextAc[];
  readonly userInformation: UserInformation;
}

/** A-ASSOCIATE-RJ (PS3.8 §9.3.4, Table 9-21). */
export interface AssociateRjPdu {
  readonly type: 'A-ASSOCIATE-RJ';
  /** 1 rejected-permanent, 2 rejected-transient. */
  readonly result: number;
  /** 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation). */
  readonly source: number;
  readonly reason: number;
}

/** P-DATA-TF (PS3.8 §9.3.5): one or more PDVs. */
export interface PDataTfPdu {
  readonly type: 'P-DATA-TF';
  readonly pdvs: readonly Pdv[];
  /**
   * Set by the reader when a PDV that spanned network chunks is given as several consecutive
   * PDVs (views, not a copy; only the last carries the original last-fragment flag): the PDU's
   * size on the wire, header included, which the PDVs no longer add up to.
   */
  readonly wireLength?: number;
}

/** One presentation-data-value item (PS3.8 §9.3.5.1, Annex E.2). */
export interface Pdv {
  /** Odd, 1..255. */
  readonly contextId: number;
  /** Message control header bit 0. */
  readonly isCommand: boolean;
  /** Message control header bit 1. */
  readonly isLast: boolean;
  /** The fragment (a view, not a copy). */
  readonly data: Uint8Array;
}

/** A-RELEASE-RQ (PS3.8 §9.3.6). */
export interface ReleaseRqPdu {
  readonly type: 'A-RELEASE-RQ';
}
/** A-RELEASE-RP (PS3.8 §9.3.7). */
export interface ReleaseRpPdu {
  readonly type: 'A-RELEASE-RP';
}

/** A-ABORT (PS3.8 §9.3.8, Table 9-26). */
export interface AbortPdu {
  readonly type: 'A-ABORT';
  /** 0 service-user, 1 reserved, 2 service-provider. */
  readonly source: number;
  /** Meaningful only for source 2 (0,1,2,4,5,6). */
  readonly reason: number;
}

/** Any upper layer PDU (PS3.8 §9.3), as {@link PduReader} returns them and `encodePdu` takes them; narrow it on `type`. */
export type Pdu =
  | AssociateRqPdu
  | AssociateAcPdu
  | AssociateRjPdu
  | PDataTfPdu
  | ReleaseRqPdu
  | ReleaseRpPdu
  | AbortPdu;

/** A PDU's `type`: 'A-ASSOCIATE-RQ', 'P-DATA-TF', 'A-ABORT', ... (the standard's names, PS3.8 Table 9-11). */
export type PduTypeName = Pdu['type'];

/** Presentation context item in an RQ (item type 20H, PS3.8 §9.3.2.2). */
export interface PresentationContextRq {
  readonly id: number;
  readonly abstractSyntax: string;
  readonly transferSyntaxes: readonly string[];
}

/**
 * Presentation context item in an AC (item type 21H, PS3.8 §9.3.3.2).
 * result: 0 acceptance, 1 user-rejection, 2 no-reason (provider rejection),
 * 3 abstract-syntax-not-supported, 4 transfer-syntaxes-not-supported.
 */
export interface PresentationContextAc {
  readonly id: number;
  readonly result: number;
  /** Meaningful only when result is 0; may be '' otherwise. */
  readonly transferSyntax: string;
}

/** User information item (50H) and its sub-items (PS3.8 Annex D, PS3.7 Annex D.3.3). */
export interface UserInformation {
  /** Maximum length received (51H): largest P-DATA-TF variable field the sender accepts; 0 = unlimited. */
  readonly maxLength?: number;
  /** Implementation class UID (52H). */
  readonly implementationClassUid?: string;
  /** Implementation version name (55H), up to 16 characters. */
  readonly implementationVersionName?: string;
  /** Asynchronous operations window (53H); 0 = unlimited. */
  readonly asyncOps?: { readonly maxInvoked: number; readonly maxPerformed: number };
  /** SCP/SCU role selection (54H), one per SOP class. */
  readonly roleSelections?: readonly RoleSelection[];
  /** SOP class extended negotiation (56H). */
  readonly extendedNegotiations?: readonly SopClassExtendedNegotiation[];
  /** SOP class common extended negotiation (57H), RQ only. */
  readonly commonExtendedNegotiations?: readonly SopClassCommonExtendedNegotiation[];
  /** User identity negotiation RQ (58H). */
  readonly userIdentityRq?: UserIdentityRq;
  /** User identity negotiation AC (59H). */
  readonly userIdentityAc?: UserIdentityAc;
  /** Sub-items of unknown type, kept as they came (skipped per PS3.8 §9.3.1). */
  readonly unknownItems?: readonly RawItem[];
}

/** SCP/SCU role selection sub-item (54H, PS3.7 D.3.3.4). */
export interface RoleSelection {
  readonly sopClassUid: string;
  readonly scuRole: boolean;
  readonly scpRole: boolean;
}

/** SOP class extended negotiation sub-item (56H, PS3.7 D.3.3.5). */
export interface SopClassExtendedNegotiation {
  readonly sopClassUid: string;
  readonly info: Uint8Array;
}

/** SOP class common extended negotiation sub-item (57H, PS3.7 D.3.3.6). */
export interface SopClassCommonExtendedNegotiation {
  readonly sopClassUid: string;
  readonly serviceClassUid: string;
  readonly relatedGeneralSopClassUids: readonly string[];
}

/** User identity RQ sub-item (58H, PS3.7 D.3.3.7.1). */
export interface UserIdentityRq {
  /** 1 username, 2 username+passcode, 3 Kerberos, 4 SAML, 5 JWT. */
  readonly identityType: number;
  readonly positiveResponseRequested: boolean;
  readonly primaryField: Uint8Array;
  /** Non-empty only for type 2 (passcode). */
  readonly secondaryField: Uint8Array;
}

/** User identity AC sub-item (59H, PS3.7 D.3.3.7.2). */
export interface UserIdentityAc {
  readonly serverResponse: Uint8Array;
}

/** An item kept undecoded. */
export interface RawItem {
  readonly itemType: number;
  readonly value: Uint8Array;
}

/** Limits the decoder enforces before allocating (see shared/reliability.md §5). */
export interface PduLimits {
  /** Largest P-DATA-TF PDU-length accepted (what we advertised in 51H). 0 = no limit except `hardMaxPduLength`. */
  maxPduLength: number;
  /** Largest A-ASSOCIATE-RQ/AC PDU-length accepted. Default 1 MiB. */
  associatePduMax: number;
  /** Ceiling on any P-DATA-TF PDU-length, applied even when `maxPduLength` is 0. Default 64 MiB. */
  hardMaxPduLength?: number;
}
