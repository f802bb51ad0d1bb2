/** C-ECHO SCU (PS3.7 §9.1.5, PS3.4 Annex A Verification). */
import type { Association } from '../association';
import { CommandField } from '../dimse/types';
import { awaitResponse, sendRequest, toResponse } from './request';
import type { CallOptions, DimseResponse } from './types';

const VERIFICATION = '1.2.840.10008.1.1';

export async function cEcho(association: Association, options: CallOptions = {}): Promise<DimseResponse> {
  const context = association.findContext(VERIFICATION);
  const sent = sendRequest(association, context.id, {
    CommandField: CommandField['C-ECHO-RQ'],
    AffectedSOPClassUID: VERIFICATION,
  }, null, options.signal, options.timeoutMs);
  const messageId = typeof sent === 'number' ? sent : await sent;
  return toResponse(await awaitResponse(association, messageId, options));
}
