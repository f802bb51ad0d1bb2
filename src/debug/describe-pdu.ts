/**
 * Readable one-PDU dumps for debug logs (like pynetdicom's debug logger). Passcodes are masked.
 */
import type { Pdu, UserInformation } from '../pdu/types';

/** A multi-line description of a PDU. */
export function describePdu(pdu: Pdu): string {
  switch (pdu.type) {
    case 'A-ASSOCIATE-RQ':
    case 'A-ASSOCIATE-AC': {
      const lines = [
        `${pdu.type}: called AE '${pdu.calledAeTitle}', calling AE '${pdu.callingAeTitle}', application context ${pdu.applicationContextName}`,
      ];
      if (pdu.type === 'A-ASSOCIATE-RQ') {
        for (const pc of pdu.presentationContexts) lines.push(`  context ${pc.id}: ${pc.abstractSyntax} [${pc.transferSyntaxes.join(', ')}]`);
      } else {
        for (const pc of pdu.presentationContexts) lines.push(`  context ${pc.id}: result ${pc.result}${pc.result === 0 ? `, ${pc.transferSyntax}` : ''}`);
      }
      lines.push(...describeUserInformation(pdu.userInformation));
      return lines.join('\n');
    }
    case 'A-ASSOCIATE-RJ':
      return `A-ASSOCIATE-RJ: result ${pdu.result}, source ${pdu.source}, reason ${pdu.reason}`;
    case 'P-DATA-TF':
      return `P-DATA-TF: ${pdu.pdvs
        .map((p) => `[context ${p.contextId} ${p.isCommand ? 'command' : 'data'}${p.isLast ? ' last' : ''} ${p.data.byteLength} bytes]`)
        .join(' ')}`;
    case 'A-ABORT':
      return `A-ABORT: source ${pdu.source}, reason ${pdu.reason}`;
    default:
      return pdu.type;
  }
}

function describeUserInformation(ui: UserInformation): string[] {
  const lines = [`  max PDU length ${ui.maxLength ?? '(none)'}, implementation ${ui.implementationClassUid ?? '?'} ${ui.implementationVersionName ?? ''}`];
  if (ui.asyncOps) lines.push(`  async ops window: invoked ${ui.asyncOps.maxInvoked}, performed ${ui.asyncOps.maxPerformed}`);
  for (const r of ui.roleSelections ?? []) lines.push(`  role ${r.sopClassUid}: SCU ${+r.scuRole} SCP ${+r.scpRole}`);
  for (const e of ui.extendedNegotiations ?? []) lines.push(`  extended negotiation ${e.sopClassUid}: ${e.info.byteLength} bytes`);
  if (ui.userIdentityRq) lines.push(`  user identity type ${ui.userIdentityRq.identityType} (fields masked)`);
  if (ui.userIdentityAc) lines.push(`  user identity response ${ui.userIdentityAc.serverResponse.byteLength} bytes`);
  return lines;
}
