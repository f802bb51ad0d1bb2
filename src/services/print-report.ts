/**
 * Sending the print SCP's N-EVENT-REPORTs (PS3.4 H.4.5.2.1, H.4.6.2.1). They only inform the SCU,
 * so an SCU that never answers one is given up on after `timeoutMs` without the A-ABORT a DIMSE
 * timeout would bring (the association goes on; a late answer is dropped).
 */
import type { Association } from '../association';
import type { NResult } from '../scu/n-services';
import type { Dataset } from '../scu/types';

export async function sendReport(
  association: Association,
  report: { sopClassUid: string; sopInstanceUid: string; eventTypeId: number; information: Dataset | null; context: string },
  timeoutMs: number,
): Promise<NResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no N-EVENT-REPORT response within ${timeoutMs} ms`)), timeoutMs);
  try {
    // An infinite DIMSE timeout: our own timer ends the wait instead, through the signal.
    return await association.nEventReport(report.sopClassUid, report.sopInstanceUid, report.eventTypeId, report.information, {
      context: report.context,
      timeoutMs: Infinity,
      signal: controller.signal,
    });
  } finally {
    clearTimeout(timer);
  }
}
