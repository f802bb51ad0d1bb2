/**
 * Splitting a DIMSE message into P-DATA-TF PDUs (PS3.8 Annex E, PS3.7 §6.3.1).
 *
 * Each PDV carries one fragment; a fragment is at most (maxPduLength - 6) bytes
 * (4-byte item length + context ID + message control header) and always even.
 * Several PDVs share a PDU when they fit, all from the same message.
 */
import type { PDataTfPdu, Pdv } from '../pdu/types';

/** PDV item header bytes counted inside the PDU's variable field: item-length(4) + PCID(1) + MCH(1). */
const PDV_OVERHEAD = 6;

/** Largest even fragment that fits a PDU whose variable field may be `maxPduLength` bytes. */
export function maxFragmentLength(maxPduLength: number): number {
  const room = maxPduLength - PDV_OVERHEAD;
  if (room < 2) throw new RangeError(`maximum PDU length ${maxPduLength} leaves no room for a PDV`);
  // Not `room & ~1`: bitwise operators wrap above 2^31, and a peer's 51H of FFFFFFFFH made the step negative (endless loop).
  return room - (room % 2);
}

/**
 * Packs PDVs into PDUs whose variable field stays within `maxPduLength`.
 * Flushes a PDU when the next PDV does not fit.
 */
export class PduPacker {
  private pdvs: Pdv[] = [];
  private used = 0;
  constructor(private readonly maxPduLength: number) {}

  /** Adds a PDV; returns a full PDU to send first when the PDV does not fit the current one. */
  add(pdv: Pdv): PDataTfPdu | null {
    const size = pdv.data.byteLength + PDV_OVERHEAD;
    let flushed: PDataTfPdu | null = null;
    if (this.pdvs.length > 0 && this.used + size > this.maxPduLength) flushed = this.flush();
    this.pdvs.push(pdv);
    this.used += size;
    return flushed;
  }

  /** The PDU holding what was added since the last flush, or null when empty. */
  flush(): PDataTfPdu | null {
    if (this.pdvs.length === 0) return null;
    const pdu: PDataTfPdu = { type: 'P-DATA-TF', pdvs: this.pdvs };
    this.pdvs = [];
    this.used = 0;
    return pdu;
  }
}
