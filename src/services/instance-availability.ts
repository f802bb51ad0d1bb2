/**
 * Instance Availability Notification (PS3.4 Annex R): the SCU tells the SCP, with N-CREATE,
 * which instances are available where (Referenced Performed Procedure Step Sequence, Current
 * Requested Procedure Evidence Sequence with Instance Availability per instance).
 */
import type { Association } from '../association';
import type { RequestContext, ScpHandlers } from '../scp/types';
import type { NCallOptions, NResult } from '../scu/n-services';
import type { Dataset } from '../scu/types';
import { generateUid } from '../uids/generate';
import { namingTags } from './n-attributes';

/** Instance Availability Notification SOP Class (PS3.4 R.3). */
export const INSTANCE_AVAILABILITY_SOP_CLASS = '1.2.840.10008.5.1.4.33';

/** The two sequences the IOD requires (PS3.3 C.4.23, Type 1 / Type 2). */
const REQUIRED: ReadonlyArray<readonly [keyword: string, tag: number]> = [
  ['CurrentRequestedProcedureEvidenceSequence', 0x0040a375],
  ['ReferencedPerformedProcedureStepSequence', 0x00081111],
];

/** Options of {@link instanceAvailabilityScp}: the callback given each notification that passes the checks (PS3.4 R.4.2). */
export interface InstanceAvailabilityScpOptions {
  /** Receives each notification (with SOP Class/Instance UID); a returned non-zero status refuses it. */
  onNotification(notification: Dataset, ctx: RequestContext): void | number | Promise<void | number>;
}

/**
 * SCP: N-CREATE handler for Instance Availability Notification (PS3.4 R.4.2): 0x0120 naming a
 * missing required sequence (Attribute Identifier List and Offending Element), 0x0118 for another
 * SOP class.
 */
export function instanceAvailabilityScp(options: InstanceAvailabilityScpOptions): Pick<ScpHandlers, 'nCreate'> {
  return {
    async nCreate(request, ctx) {
      if (request.sopClassUid !== INSTANCE_AVAILABILITY_SOP_CLASS) return { status: 0x0118 };
      const dataset = request.dataset ?? {};
      const missing = REQUIRED.filter(([keyword]) => !(keyword in dataset)).map(([, tag]) => tag);
      // PS3.7 C.5.13: Missing Attribute names the tags in the Attribute Identifier List (and in Offending Element, as before).
      if (missing.length > 0) return { status: 0x0120, ...namingTags(missing) };
      const notification = { ...dataset, SOPClassUID: INSTANCE_AVAILABILITY_SOP_CLASS, SOPInstanceUID: request.sopInstanceUid };
      const refused = await options.onNotification(notification, ctx);
      return { status: refused || 0x0000 };
    },
  };
}

/** SCU: sends a notification (N-CREATE, PS3.4 R.4.1) under a new SOP Instance UID unless one is given. */
export function notifyInstanceAvailability(association: Association, notification: Dataset, options: NCallOptions & { sopInstanceUid?: string } = {}): Promise<NResult> {
  return association.nCreate(INSTANCE_AVAILABILITY_SOP_CLASS, options.sopInstanceUid ?? generateUid(), notification, options);
}
