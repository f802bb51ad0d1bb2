/**
 * Presentation contexts as the application configures them and as they come out of
 * negotiation (PS3.8 §7.1.1.13, PS3.7 Annex D.3.3.4 for roles).
 */

/** Application context name for DICOM (PS3.7 Annex A.2.1). */
export const DICOM_APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

/** The uncompressed transfer syntaxes proposed and accepted by default, in preference order. */
export const DEFAULT_TRANSFER_SYNTAXES: readonly string[] = [
  '1.2.840.10008.1.2.1', // Explicit VR Little Endian
  '1.2.840.10008.1.2', // Implicit VR Little Endian
  '1.2.840.10008.1.2.2', // Explicit VR Big Endian (retired, still seen)
];

/** A context the requestor proposes. */
export interface RequestedContext {
  readonly abstractSyntax: string;
  readonly transferSyntaxes: readonly string[];
  /**
   * Propose SCP/SCU role selection (54H) for this SOP class. Both undefined: no role item. One
   * undefined is proposed as its default role (SCU 1, SCP 0), so `{ scpRole: true }` proposes
   * SCU+SCP and keeps our SCU role (pynetdicom's build_role would propose the unset one as 0).
   */
  readonly scuRole?: boolean;
  readonly scpRole?: boolean;
}

/**
 * A context the acceptor supports. Transfer syntaxes are in the acceptor's preference order.
 * scuRole/scpRole: whether to accept a requestor's proposal to act as SCU / as SCP for this
 * SOP class; both undefined means role selection is not answered and default roles apply. One
 * undefined keeps that role's default (PS3.7 Table D.3-11): a proposed SCU role is accepted, a
 * proposed SCP role refused.
 */
export interface SupportedContext {
  readonly abstractSyntax: string;
  readonly transferSyntaxes: readonly string[];
  readonly scuRole?: boolean;
  readonly scpRole?: boolean;
}

/** Result codes of a presentation context (PS3.8 Table 9-18). */
export const ContextResult = {
  acceptance: 0,
  userRejection: 1,
  noReason: 2,
  abstractSyntaxNotSupported: 3,
  transferSyntaxesNotSupported: 4,
} as const;

const RESULT_NAMES = [
  'acceptance',
  'user-rejection',
  'no-reason (provider rejection)',
  'abstract-syntax-not-supported (provider rejection)',
  'transfer-syntaxes-not-supported (provider rejection)',
];

/** Readable name of a presentation context result. */
export function contextResultName(result: number): string {
  return RESULT_NAMES[result] ?? `unknown result ${result}`;
}

/** One presentation context after negotiation, seen from either side. */
export interface NegotiatedContext {
  readonly id: number;
  readonly abstractSyntax: string;
  /** The transfer syntax chosen by the acceptor ('' when not accepted). */
  readonly transferSyntax: string;
  /** What the requestor proposed. */
  readonly proposedTransferSyntaxes: readonly string[];
  /** PS3.8 Table 9-18 result; 0 = accepted. */
  readonly result: number;
  /** The association requestor may act as SCU (send requests) on this context. */
  readonly requestorIsScu: boolean;
  /** The association requestor may act as SCP (receive requests, e.g. C-GET's C-STOREs). */
  readonly requestorIsScp: boolean;
}
