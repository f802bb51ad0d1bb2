/**
 * Modality Performed Procedure Step (PS3.4 Annex F): N-CREATE and N-SET of the MPPS SOP Class
 * with the attribute and state rules of F.7.2 (created IN PROGRESS with the Type 1 attributes of
 * Table F.7.2-1; N-SET only of the attributes the table allows; one transition to COMPLETED or
 * DISCONTINUED, which needs the Final State attributes, after which it may no longer be
 * updated), and N-GET of the MPPS Retrieve SOP Class.
 */
import type { NAnswer, NRequest, RequestContext, ScpHandlers } from '../scp/types';
import type { Dataset } from '../scu/types';
import { MPPS_CREATE_REQUIRED, MPPS_FINAL_STATE, MPPS_SET_NOT_ALLOWED } from './mpps-requirements';
import { applyModifications, identityRefusal, namingTags, nGetAnswer, notAllowedAnswer, stringValue } from './n-attributes';
import { type AttributeRequirement, missingAttributes, offendingTags, pathText, unmetRequirements } from './procedure-step-requirements';

export { MPPS_CREATE_REQUIRED, MPPS_FINAL_STATE, MPPS_FINAL_STATE_TYPE2, MPPS_SET_NOT_ALLOWED } from './mpps-requirements';

/** Modality Performed Procedure Step SOP Class (PS3.4 F.7.1). */
export const MPPS_SOP_CLASS = '1.2.840.10008.3.1.2.3.3';
/** MPPS Retrieve SOP Class (PS3.4 F.8.1): N-GET. */
export const MPPS_RETRIEVE_SOP_CLASS = '1.2.840.10008.3.1.2.3.4';

/** Performed Procedure Step Status (0040,0252) values (PS3.3 C.4.14). */
export type MppsStatus = 'IN PROGRESS' | 'COMPLETED' | 'DISCONTINUED';

/** Error ID of "Performed Procedure Step Object may no longer be updated" (PS3.4 Table F.7.2-2). */
export const MPPS_NO_LONGER_UPDATABLE = 0xa710;

const STATUS_TAG = 0x00400252;
const FINAL = new Set(['COMPLETED', 'DISCONTINUED']);

/**
 * Options of {@link mppsScp}: where MPPS instances are kept, hooks that may refuse an N-CREATE or
 * N-SET, and what an instance must hold to become COMPLETED or DISCONTINUED (PS3.4 F.7.2).
 */
export interface MppsScpOptions {
  /** Where instances live (default: a new in-memory map keyed by SOP Instance UID). */
  store?: Map<string, Dataset>;
  /** Told about each created instance; a returned status (non-zero) refuses it. */
  onCreate?(instance: Dataset, uid: string, ctx: RequestContext): void | number | Promise<void | number>;
  /** Told about each update (the merged instance and the modification list); a returned non-zero status refuses it. */
  onSet?(instance: Dataset, modifications: Dataset, uid: string, ctx: RequestContext): void | number | Promise<void | number>;
  /** What the instance must hold when it becomes COMPLETED or DISCONTINUED (default MPPS_FINAL_STATE, Table F.7.2-1). */
  finalState?: readonly AttributeRequirement[];
  /** What an N-CREATE must hold (default MPPS_CREATE_REQUIRED, the Type 1 rows of Table F.7.2-1); `[]` checks nothing. */
  create?: readonly AttributeRequirement[];
}

/**
 * SCP handlers for MPPS (PS3.4 F.7.2.1 N-CREATE, F.7.2.2 N-SET) and MPPS Retrieve (F.8.2 N-GET):
 * - N-CREATE: a duplicate instance 0x0111; a Type 1 attribute of Table F.7.2-1 absent 0x0120,
 *   present but empty 0x0121 (the Attribute Identifier List names them, Error Comment the
 *   first); the status must be IN PROGRESS (else 0x0106, Offending Element (0040,0252),
 *   F.7.2.1.3). The SCP assigns the UID when the SCU gave none.
 * - N-SET: unknown instance 0x0112; an instance already COMPLETED/DISCONTINUED 0x0110 with
 *   Error Comment and Error ID 0xA710 (Table F.7.2-2); an unknown status value 0x0106; a change
 *   to COMPLETED/DISCONTINUED while a Final State attribute lacks its value (after this N-SET)
 *   0x0121 naming it (Attribute Identifier List and Error Comment); a SOP Class/Instance UID
 *   other than the instance's, or an attribute the table marks "Not allowed" for N-SET (e.g.
 *   Patient's Name), 0x0106 naming it; a refused N-SET changes nothing.
 * - N-GET: only through MPPS Retrieve (F.8); the MPPS class has no N-GET (F.7.1), 0x0211.
 */
export function mppsScp(options: MppsScpOptions = {}): Pick<ScpHandlers, 'nCreate' | 'nSet' | 'nGet'> & { store: Map<string, Dataset> } {
  const store = options.store ?? new Map<string, Dataset>();
  return {
    store,
    async nCreate(request, ctx) {
      if (request.sopClassUid !== MPPS_SOP_CLASS) return { status: 0x0118 };
      const uid = request.sopInstanceUid;
      if (store.has(uid)) return { status: 0x0111 };
      const attributes = request.dataset ?? {};
      // Type 1 at N-CREATE (F.7.2.1.1): PS3.7 C.5.13 / C.5.14 statuses. The attributes are named in
      // the Attribute Identifier List (0000,1005) as dcm4che does, and in Offending Element as
      // this SCP did before: an SCU reading either finds them.
      const missing = missingAttributes(attributes, options.create ?? MPPS_CREATE_REQUIRED);
      if (missing) {
        return { status: missing.status, ...namingTags(offendingTags(missing.unmet)), errorComment: `N-CREATE needs ${pathText(missing.unmet[0]!.path)}` };
      }
      if (stringValue(attributes, 'PerformedProcedureStepStatus') !== 'IN PROGRESS') {
        return { status: 0x0106, offendingElement: [STATUS_TAG], errorComment: 'an MPPS is created IN PROGRESS' };
      }
      const instance: Dataset = { ...attributes, SOPClassUID: MPPS_SOP_CLASS, SOPInstanceUID: uid };
      const refused = await options.onCreate?.(instance, uid, ctx);
      if (refused) return { status: refused };
      store.set(uid, instance);
      return { status: 0x0000 };
    },
    async nSet(request, ctx) {
      if (request.sopClassUid !== MPPS_SOP_CLASS) return { status: 0x0118 };
      const current = store.get(request.sopInstanceUid);
      if (!current) return { status: 0x0112 };
      const modifications = request.dataset ?? {};
      // "Not allowed" in the N-SET column of Table F.7.2-1: F.7.2.2.4 defines no status for it, so 0x0106
      // (PS3.7 C.5.11) naming them, as RT Machine Verification answers. (dcm4che's mppsscp answers 0x0105,
      // its IOD marking them type 0; pynetdicom leaves N-SET checks to the handler; DCMTK has no MPPS SCP.)
      const check =
        transition(current, modifications) ??
        identityRefusal(modifications, { sopClassUid: MPPS_SOP_CLASS, sopInstanceUid: request.sopInstanceUid }) ??
        notAllowedAnswer(modifications, MPPS_SET_NOT_ALLOWED, 'not allowed in an MPPS N-SET (PS3.4 Table F.7.2-1)');
      if (check) return check;
      const merged = applyModifications({ ...current }, modifications);
      const final = stringValue(modifications, 'PerformedProcedureStepStatus');
      if (final && FINAL.has(final)) {
        const unmet = unmetRequirements(merged, options.finalState ?? MPPS_FINAL_STATE);
        if (unmet.length > 0) {
          // Named in the Attribute Identifier List and Offending Element, as at N-CREATE (namingTags).
          return { status: 0x0121, ...namingTags(offendingTags(unmet)), errorComment: `${final} needs ${pathText(unmet[0]!.path)}` };
        }
      }
      const refused = await options.onSet?.(merged, modifications, request.sopInstanceUid, ctx);
      if (refused) return { status: refused };
      store.set(request.sopInstanceUid, merged);
      return { status: 0x0000 };
    },
    nGet(request: NRequest) {
      // The MPPS class's service group is N-CREATE and N-SET only (PS3.4 Table F.7.1-1).
      if (request.sopClassUid === MPPS_SOP_CLASS) return { status: 0x0211 };
      if (request.sopClassUid !== MPPS_RETRIEVE_SOP_CLASS) return { status: 0x0118 };
      const instance = store.get(request.sopInstanceUid);
      if (!instance) return { status: 0x0112 };
      // Retrieve reads the MPPS instance itself (F.8.2.1.3): its SOP Class UID is the MPPS class.
      return nGetAnswer(instance, request.attributes, { sopClassUid: MPPS_SOP_CLASS, sopInstanceUid: request.sopInstanceUid });
    },
  };
}

/** The F.7.2.2 state rule for one N-SET, or undefined when allowed. */
function transition(current: Dataset, modifications: Dataset): NAnswer | undefined {
  const from = stringValue(current, 'PerformedProcedureStepStatus');
  if (from && FINAL.has(from)) {
    return { status: 0x0110, errorId: MPPS_NO_LONGER_UPDATABLE, errorComment: 'Performed Procedure Step Object may no longer be updated' };
  }
  if (!('PerformedProcedureStepStatus' in modifications)) return undefined;
  const to = stringValue(modifications, 'PerformedProcedureStepStatus');
  if (to !== 'IN PROGRESS' && !FINAL.has(to ?? '')) return { status: 0x0106, offendingElement: [STATUS_TAG] };
  return undefined;
}
