/**
 * RT Machine Verification Service Class (PS3.4 Annex DD): a treatment delivery system (TDS, the
 * SCU) asks a machine parameter verifier (MPV, the SCP) to check a beam's settings before
 * treatment. N-CREATE makes a Machine Verification instance for an RT Plan, N-SET supplies the
 * beam's parameters, N-ACTION (Request Beam Verification) starts the check, an N-EVENT-REPORT
 * Done reports the outcome, N-GET reads it again, N-DELETE ends the instance. This SCP sends no
 * Pending report (PS3.4 DD.3.2.5 allows, does not require one); the SCU side accepts them.
 */
import type { Association } from '../association';
import type { NRequest, RequestContext, ScpHandlers } from '../scp/types';
import type { NCallOptions, NResult } from '../scu/n-services';
import type { Dataset } from '../scu/types';
import { generateUid } from '../uids/generate';
import { applyModifications, identityRefusal, namingTags, nGetAnswer, notAllowedAnswer, stringValue } from './n-attributes';
import type { StatusMeanings } from './service-statuses';

/** RT Conventional Machine Verification SOP Class (PS3.4 DD.3). */
export const RT_CONVENTIONAL_MACHINE_VERIFICATION_SOP_CLASS = '1.2.840.10008.5.1.4.34.8';
/** RT Ion Machine Verification SOP Class (PS3.4 DD.3). */
export const RT_ION_MACHINE_VERIFICATION_SOP_CLASS = '1.2.840.10008.5.1.4.34.9';
const CLASSES = new Set([RT_CONVENTIONAL_MACHINE_VERIFICATION_SOP_CLASS, RT_ION_MACHINE_VERIFICATION_SOP_CLASS]);

/** N-ACTION Request Beam Verification (PS3.4 Table DD.3.2.3-1). */
export const REQUEST_BEAM_VERIFICATION = 1;
/** N-EVENT-REPORT Pending: verification still in progress, no Event Information (PS3.4 DD.3.2.5, Table DD.3.2.5-1: Event Type ID 1). */
export const MACHINE_VERIFICATION_PENDING = 1;
/** N-EVENT-REPORT Done: verification finished, outcome in Treatment Verification Status (PS3.4 DD.3.2.5, Table DD.3.2.5-1: Event Type ID 2). */
export const MACHINE_VERIFICATION_DONE = 2;

/** Treatment Verification Status (3008,002C) of a finished verification (PS3.4 DD.3.2.2.4). */
export type TreatmentVerificationStatus = 'VERIFIED' | 'VERIFIED_OVR' | 'NOT_VERIFIED';

/**
 * The statuses PS3.4 DD.3.2 adds to those of PS3.7: N-CREATE C227, C221-C223 (DD.3.2.1.2), N-SET
 * C224-C226 (DD.3.2.1.2), N-GET and N-ACTION C112 (DD.3.2.2.3, DD.3.2.3.2). N-DELETE and
 * N-EVENT-REPORT have none (DD.3.2.4.2, DD.3.2.5.2).
 */
export const RtMachineVerificationStatus = {
  /** N-GET / N-ACTION only: no such Machine Verification instance (N-SET and N-DELETE use PS3.7's 0x0112). */
  InstanceNotFound: 0xc112,
  /** N-CREATE: the Referenced Fraction Group Number does not exist in the plan. */
  FractionGroupNotFound: 0xc221,
  /** N-CREATE: no beams in the referenced fraction group. */
  NoBeamsInFractionGroup: 0xc222,
  /** N-CREATE: the SCU is already verifying and the request cannot be processed now. */
  AlreadyVerifying: 0xc223,
  /** N-SET: Referenced Beam Number not in the fraction group. */
  BeamNotFound: 0xc224,
  /** N-SET: referenced device or accessory not supported. */
  DeviceNotSupported: 0xc225,
  /** N-SET: referenced device or accessory not in the beam. */
  DeviceNotInBeam: 0xc226,
  /** N-CREATE: the Referenced RT Plan was not found. */
  PlanNotFound: 0xc227,
} as const;

/** Meanings of {@link RtMachineVerificationStatus} (for `describeServiceStatus`). */
export const RT_MACHINE_VERIFICATION_STATUS_MEANINGS: StatusMeanings = {
  0xc112: 'Failure: No such object instance - applicable Machine Verification instance not found',
  0xc221: 'Failure: The Referenced Fraction Group Number does not exist in the referenced plan',
  0xc222: 'Failure: No beams exist within the referenced fraction group',
  0xc223: 'Failure: SCU already verifying and cannot currently process this request',
  0xc224: 'Failure: Referenced Beam Number not found within the referenced fraction group',
  0xc225: 'Failure: Referenced device or accessory not supported',
  0xc226: 'Failure: Referenced device or accessory not found within the referenced beam',
  0xc227: 'Failure: No such object instance - Referenced RT Plan not found',
};

/** The plan a Machine Verification instance is created for. */
export interface PlanReference {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** Referenced Fraction Group Number (300C,0022): required when the plan has several fraction groups. */
  readonly fractionGroupNumber?: number;
  readonly patientId: string;
}

/** The outcome of one verification (PS3.4 DD.3.2.2.4, DD.3.2.5). */
export interface VerificationOutcome {
  readonly status: TreatmentVerificationStatus;
  /**
   * Failed Parameters Sequence (0074,1048) items (keyword FailedAttributesSequence): at least one
   * when NOT_VERIFIED, none otherwise (PS3.4 DD.3.2.2.4). The SCP reports one item naming the
   * General Machine Verification Sequence for a NOT_VERIFIED given none, and drops them otherwise.
   */
  readonly failed?: Dataset[];
  /**
   * Overridden Parameters Sequence (0074,104A) items (keyword OverriddenAttributesSequence): at
   * least one when VERIFIED_OVR, none otherwise; the SCP drops them with another status.
   */
  readonly overridden?: Dataset[];
}

/**
 * Options of {@link rtMachineVerificationScp}: where Machine Verification instances are kept,
 * checks that may refuse an N-CREATE or N-SET, `verify`, which decides the outcome after a Request
 * Beam Verification, and a hook told of each Done report (PS3.4 Annex DD).
 */
export interface RtMachineVerificationScpOptions {
  /** Instances by SOP Instance UID (default: a new in-memory map). */
  store?: Map<string, Dataset>;
  /** N-CREATE: checks the plan (e.g. 0xC227 unknown plan, 0xC221/0xC222 fraction group); a status refuses. */
  checkPlan?(plan: PlanReference, ctx: RequestContext): void | number | Promise<void | number>;
  /** N-SET: checks the beam parameters (e.g. 0xC224/0xC225/0xC226); a status refuses. */
  checkParameters?(modifications: Dataset, instance: Dataset, ctx: RequestContext): void | number | Promise<void | number>;
  /**
   * Verifies the instance's parameters after a Request Beam Verification. If it throws or rejects,
   * the Done report says NOT_VERIFIED (the beam must not be delivered unverified) with one Failed
   * Parameters item naming the General Machine Verification Sequence (nothing in it was verified),
   * and the error is logged; a NOT_VERIFIED outcome without `failed` items gets that item too.
   */
  verify(instance: Dataset, ctx: RequestContext): VerificationOutcome | Promise<VerificationOutcome>;
  /** Told about each Done report sent (its status) or a failure to send it. */
  onReport?(sopInstanceUid: string, outcome: VerificationOutcome, result: { status?: number; error?: Error }): void;
}

/**
 * Attributes an N-SET may not carry (PS3.4 Tables DD.3.2.1-1 and DD.3.2.1-2, the same rows for
 * both classes: "Not allowed" in the N-SET column): the plan and patient the instance was created
 * for (with the Issuer of Patient ID macro, Table CC.2.5-2e), and the verification outcome, which
 * only the SCP sets. The beam parameters (General / Conventional / Ion Machine Verification
 * Sequences) are what an N-SET is for.
 */
export const RT_MACHINE_VERIFICATION_SET_NOT_ALLOWED: readonly string[] = [
  'ReferencedRTPlanSequence',
  'ReferencedFractionGroupNumber',
  'PatientID',
  'IssuerOfPatientID',
  'IssuerOfPatientIDQualifiersSequence',
  'TreatmentVerificationStatus',
  // Failed / Overridden Parameters Sequence (0074,1048) / (0074,104A), under their dictionary keywords.
  'FailedAttributesSequence',
  'OverriddenAttributesSequence',
];

/**
 * Attributes an N-CREATE may not carry (PS3.4 Tables DD.3.2.1-1 and DD.3.2.1-2: "Not allowed" in
 * the N-CREATE column): the verification outcome, Treatment Verification Status and the Failed /
 * Overridden Parameters Sequences, which only the SCP sets once it has verified (DD.3.2.2.4).
 */
export const RT_MACHINE_VERIFICATION_CREATE_NOT_ALLOWED: readonly string[] = [
  'TreatmentVerificationStatus',
  // Failed / Overridden Parameters Sequence (0074,1048) / (0074,104A), under their dictionary keywords.
  'FailedAttributesSequence',
  'OverriddenAttributesSequence',
];

/**
 * The Failed Parameters item of a verification that could not run: NOT_VERIFIED needs at least one
 * (PS3.4 DD.3.2.2.4). Its Selector Attribute Macro (PS3.3 10.17) names the General Machine
 * Verification Sequence (0074,1042), which both classes carry (Table DD.3.2.1-1), and Selector
 * Value Number 0, "any value": no parameter of the beam was checked. A new item per report.
 */
function unverifiedItem(): Dataset {
  return { SelectorAttribute: 0x00741042, SelectorValueNumber: 0 };
}

/**
 * The outcome as the Done report and N-GET give it (PS3.4 DD.3.2.2.4): NOT_VERIFIED returns "one or
 * more" Failed Parameters items, so a verify() that named none reports the general item
 * (nothing was verified); each sequence is empty unless its status is the one it belongs to.
 */
function reportable(o: VerificationOutcome): VerificationOutcome {
  const failed = o.status === 'NOT_VERIFIED' ? (o.failed?.length ? o.failed : [unverifiedItem()]) : [];
  return { status: o.status, failed, overridden: o.status === 'VERIFIED_OVR' ? (o.overridden ?? []) : [] };
}

const outcomeAttributes = (o: VerificationOutcome): Dataset => ({
  TreatmentVerificationStatus: o.status,
  FailedAttributesSequence: o.failed ?? [],
  OverriddenAttributesSequence: o.overridden ?? [],
});

/**
 * SCP handlers for both Machine Verification classes (PS3.4 DD.3.2). N-CREATE needs one
 * Referenced RT Plan Sequence item and Patient ID (0x0120, the Attribute Identifier List naming
 * it), refuses a known UID (0x0111) and the outcome attributes the table marks "Not allowed" for
 * it (RT_MACHINE_VERIFICATION_CREATE_NOT_ALLOWED: 0x0106 naming them, nothing is created); N-SET
 * may not carry an attribute the table marks "Not allowed" for it
 * (RT_MACHINE_VERIFICATION_SET_NOT_ALLOWED: the plan, the patient, the outcome) nor another SOP
 * Class/Instance UID (0x0106 naming them; nothing changes), and clears a
 * previous outcome; N-GET answers Treatment Verification Status and the failed/overridden
 * attributes; N-ACTION Request Beam Verification (else 0x0123) answers at once, then runs
 * `verify` and sends the Done N-EVENT-REPORT on the same association. An unknown instance is
 * 0xC112 for N-GET and N-ACTION, the only operations DD.3.2 gives that code to, and PS3.7's
 * 0x0112 for N-SET and N-DELETE.
 */
export function rtMachineVerificationScp(
  options: RtMachineVerificationScpOptions,
): Pick<ScpHandlers, 'nCreate' | 'nSet' | 'nGet' | 'nAction' | 'nDelete'> & { store: Map<string, Dataset> } {
  const store = options.store ?? new Map<string, Dataset>();
  // An instance is found under its own class only (a conventional instance is not an ion one).
  const find = (request: NRequest) => {
    const instance = store.get(request.sopInstanceUid);
    return instance && instance.SOPClassUID === request.sopClassUid ? instance : undefined;
  };
  return {
    store,
    async nCreate(request, ctx) {
      if (!CLASSES.has(request.sopClassUid)) return { status: 0x0118 };
      if (store.has(request.sopInstanceUid)) return { status: 0x0111 };
      const attributes = request.dataset ?? {};
      const plans = Array.isArray(attributes.ReferencedRTPlanSequence) ? (attributes.ReferencedRTPlanSequence as Dataset[]) : [];
      const plan = plans[0];
      const planClass = stringValue(plan, 'ReferencedSOPClassUID');
      const planInstance = stringValue(plan, 'ReferencedSOPInstanceUID');
      // PS3.7 C.5.13: a Missing Attribute answer names the tag in the Attribute Identifier List (and in Offending Element, as before).
      if (plans.length !== 1 || !planClass || !planInstance) return { status: 0x0120, ...namingTags([0x300c0002]) };
      const patientId = stringValue(attributes, 'PatientID');
      if (!patientId) return { status: 0x0120, ...namingTags([0x00100020]) };
      // The outcome is "Not allowed" in N-CREATE (Table DD.3.2.1-1): refused naming it, as in N-SET, rather
      // than dropped and answered Success. DD.3.2.1.2 names no status for this: 0x0106 (PS3.7 C.5.11).
      const outcome = notAllowedAnswer(attributes, RT_MACHINE_VERIFICATION_CREATE_NOT_ALLOWED, 'not allowed in N-CREATE (PS3.4 Table DD.3.2.1-1)');
      if (outcome) return outcome;
      const group = attributes.ReferencedFractionGroupNumber;
      const fractionGroupNumber = group === undefined || group === null || group === '' ? undefined : Number(group);
      const refused = await options.checkPlan?.({ sopClassUid: planClass, sopInstanceUid: planInstance, fractionGroupNumber, patientId }, ctx);
      if (refused) return { status: refused };
      store.set(request.sopInstanceUid, { ...attributes, SOPClassUID: request.sopClassUid, SOPInstanceUID: request.sopInstanceUid });
      return { status: 0x0000 };
    },
    async nSet(request, ctx) {
      const instance = find(request);
      // N-SET has only C224-C226 of its own (PS3.4 DD.3.2.1.2): an unknown instance is PS3.7's 0x0112.
      if (!instance) return { status: 0x0112 };
      const modifications = request.dataset ?? {};
      // DD.3.2.1.2 names no status for these: 0x0106 naming them, as for the SOP Class/Instance UID.
      const forbidden = notAllowedAnswer(modifications, RT_MACHINE_VERIFICATION_SET_NOT_ALLOWED, 'not allowed in N-SET (PS3.4 Table DD.3.2.1-1)');
      if (forbidden) return forbidden;
      const renamed = identityRefusal(modifications, { sopClassUid: request.sopClassUid, sopInstanceUid: request.sopInstanceUid });
      if (renamed) return renamed;
      const refused = await options.checkParameters?.(modifications, instance, ctx);
      if (refused) return { status: refused };
      applyModifications(instance, modifications);
      // New parameters need a new verification: the old outcome no longer applies.
      delete instance.TreatmentVerificationStatus;
      delete instance.FailedAttributesSequence;
      delete instance.OverriddenAttributesSequence;
      return { status: 0x0000 };
    },
    nGet(request) {
      const instance = find(request);
      if (!instance) return { status: RtMachineVerificationStatus.InstanceNotFound };
      return nGetAnswer(instance, request.attributes, { sopClassUid: request.sopClassUid, sopInstanceUid: request.sopInstanceUid });
    },
    nAction(request, ctx) {
      const instance = find(request);
      if (!instance) return { status: RtMachineVerificationStatus.InstanceNotFound };
      if (request.typeId !== REQUEST_BEAM_VERIFICATION) return { status: 0x0123 };
      return {
        status: 0x0000,
        afterResponse: () => report(options, instance, request, ctx),
      };
    },
    nDelete(request) {
      // N-DELETE has no specific status codes (PS3.4 DD.3.2.4.2): an unknown instance is PS3.7's 0x0112.
      if (!find(request)) return { status: 0x0112 };
      store.delete(request.sopInstanceUid);
      return { status: 0x0000 };
    },
  };
}

async function report(options: RtMachineVerificationScpOptions, instance: Dataset, request: NRequest, ctx: RequestContext): Promise<void> {
  let outcome: VerificationOutcome;
  try {
    outcome = await options.verify(instance, ctx);
  } catch (error) {
    // The SCU was told verification started (DD.3.2.3): it waits for Done, which must not say the beam is fine.
    ctx.association.options.logger.error(`machine verification of ${request.sopInstanceUid} failed: ${(error as Error)?.message ?? error}`);
    outcome = { status: 'NOT_VERIFIED' }; // reportable() adds the general Failed Parameters item
  }
  outcome = reportable(outcome);
  Object.assign(instance, outcomeAttributes(outcome));
  try {
    const rsp = await ctx.association.nEventReport(request.sopClassUid, request.sopInstanceUid, MACHINE_VERIFICATION_DONE, outcomeAttributes(outcome));
    options.onReport?.(request.sopInstanceUid, outcome, { status: rsp.status });
  } catch (error) {
    options.onReport?.(request.sopInstanceUid, outcome, { error: error as Error });
    throw error;
  }
}

/** SCU: N-CREATE of a Machine Verification instance for a plan (PS3.4 DD.3.2.1), under a new UID unless one is given. */
export function createMachineVerification(
  association: Association,
  sopClassUid: string,
  plan: PlanReference,
  options: NCallOptions & { sopInstanceUid?: string; attributes?: Dataset } = {},
): Promise<NResult> {
  const ion = sopClassUid === RT_ION_MACHINE_VERIFICATION_SOP_CLASS;
  const attributes: Dataset = {
    ReferencedRTPlanSequence: [{ ReferencedSOPClassUID: plan.sopClassUid, ReferencedSOPInstanceUID: plan.sopInstanceUid }],
    PatientID: plan.patientId,
    ...(plan.fractionGroupNumber !== undefined && { ReferencedFractionGroupNumber: plan.fractionGroupNumber }),
    // Created empty; the parameters follow with N-SET (PS3.4 DD.3.2.1.3.1).
    GeneralMachineVerificationSequence: [],
    [ion ? 'IonMachineVerificationSequence' : 'ConventionalMachineVerificationSequence']: [],
    ...options.attributes,
  };
  return association.nCreate(sopClassUid, options.sopInstanceUid ?? generateUid(), attributes, options);
}

/** SCU: N-SET of the beam's parameters to verify (PS3.4 DD.3.2.1). */
export function setMachineVerification(association: Association, sopClassUid: string, sopInstanceUid: string, parameters: Dataset, options?: NCallOptions): Promise<NResult> {
  return association.nSet(sopClassUid, sopInstanceUid, parameters, options);
}

/** SCU: N-ACTION Request Beam Verification (PS3.4 DD.3.2.3); the outcome follows as a Done N-EVENT-REPORT. */
export function requestBeamVerification(association: Association, sopClassUid: string, sopInstanceUid: string, options?: NCallOptions): Promise<NResult> {
  return association.nAction(sopClassUid, sopInstanceUid, REQUEST_BEAM_VERIFICATION, null, options);
}

/** SCU: N-GET of the verification status and results (PS3.4 DD.3.2.2); no tags asks for all. */
export function getMachineVerification(association: Association, sopClassUid: string, sopInstanceUid: string, attributes: number[] = [], options?: NCallOptions): Promise<NResult> {
  return association.nGet(sopClassUid, sopInstanceUid, attributes, options);
}

/** SCU: N-DELETE of the instance once done with it (PS3.4 DD.3.2.4). */
export function deleteMachineVerification(association: Association, sopClassUid: string, sopInstanceUid: string, options?: NCallOptions): Promise<NResult> {
  return association.nDelete(sopClassUid, sopInstanceUid, options);
}

/**
 * SCU: collects Done reports (a Pending report is acknowledged and the wait goes on, PS3.4
 * DD.3.2.5.3). Put `handlers` into the association's handlers (`associate(t, { handlers })`);
 * `wait(uid)` resolves with the outcome of that instance's verification, also when the report
 * came first.
 */
export function machineVerificationResults(): {
  handlers: Pick<ScpHandlers, 'nEventReport'>;
  wait(sopInstanceUid: string, options?: { timeoutMs?: number }): Promise<VerificationOutcome>;
} {
  const arrived = new Map<string, VerificationOutcome>();
  const waiting = new Map<string, (o: VerificationOutcome) => void>();
  return {
    handlers: {
      nEventReport(request) {
        if (!CLASSES.has(request.sopClassUid)) return { status: 0x0118 };
        // Pending (1): still verifying; the SCU waits for another event (PS3.4 DD.3.2.5.3).
        if (request.typeId === MACHINE_VERIFICATION_PENDING) return { status: 0x0000 };
        if (request.typeId !== MACHINE_VERIFICATION_DONE) return { status: 0x0113 };
        const info = request.dataset ?? {};
        const status = stringValue(info, 'TreatmentVerificationStatus') as TreatmentVerificationStatus | undefined;
        if (!status) return { status: 0x0120, offendingElement: [0x3008002c] };
        const list = (k: string) => (Array.isArray(info[k]) ? (info[k] as Dataset[]) : []);
        const outcome: VerificationOutcome = { status, failed: list('FailedAttributesSequence'), overridden: list('OverriddenAttributesSequence') };
        // Deliver once our response is sent, so a caller that releases next does not overtake it.
        const deliver = () => {
          const waiter = waiting.get(request.sopInstanceUid);
          if (waiter) waiter(outcome);
          else arrived.set(request.sopInstanceUid, outcome);
        };
        return { status: 0x0000, afterResponse: deliver };
      },
    },
    wait(sopInstanceUid, options = {}) {
      const ready = arrived.get(sopInstanceUid);
      if (ready) {
        arrived.delete(sopInstanceUid);
        return Promise.resolve(ready);
      }
      return new Promise((resolve, reject) => {
        const timer = options.timeoutMs !== undefined
          ? setTimeout(() => {
              waiting.delete(sopInstanceUid);
              reject(new Error(`no machine verification report for ${sopInstanceUid} within ${options.timeoutMs} ms`));
            }, options.timeoutMs)
          : undefined;
        waiting.set(sopInstanceUid, (o) => {
          clearTimeout(timer);
          waiting.delete(sopInstanceUid);
          resolve(o);
        });
      });
    },
  };
}
