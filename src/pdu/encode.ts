/**
 * PDU encoder (PS3.8 §9.3): plain data (types.ts) to wire bytes. Reserved fields are 00H,
 * AE titles are space padded to 16, UIDs are written without padding (Annex F).
 * Invalid local input (AE title > 16 chars, non-ASCII UID, item > 64 KiB) throws RangeError.
 */
import { putUint32 } from '../bytes/big-endian';
import { ByteWriter } from '../bytes/byte-writer';
import { Slab } from '../bytes/slab';
import { encodeAeTitle } from '../bytes/text';
import { PDU_HEADER_LENGTH, PDU_TYPE as P, PDU_TYPE_CODE } from './constants';
import { writeApplicationContext, writePresentationContextAc, writePresentationContextRq } from './items';
import type { AssociateAcPdu, AssociateRqPdu, PDataTfPdu, Pdu, Pdv } from './types';
import { writeUserInformation } from './user-info';

/** Bytes of one PDU, header included. */
export function encodePdu(pdu: Pdu): Uint8Array {
  switch (pdu.type) {
    case 'A-ASSOCIATE-RQ':
    case 'A-ASSOCIATE-AC':
      return encodeAssociate(pdu);
    case 'P-DATA-TF':
      return encodePData(pdu);
    case 'A-ASSOCIATE-RJ':
      // reserved, result, source, reason/diag. (Table 9-21)
      return fixed(P.A_ASSOCIATE_RJ, 0, pdu.result, pdu.source, pdu.reason);
    case 'A-RELEASE-RQ':
      return fixed(P.A_RELEASE_RQ, 0, 0, 0, 0);
    case 'A-RELEASE-RP':
      return fixed(P.A_RELEASE_RP, 0, 0, 0, 0);
    case 'A-ABORT':
      // reserved, reserved, source, reason/diag. (Table 9-26)
      return fixed(P.A_ABORT, 0, 0, pdu.source, pdu.reason);
  }
}

/** A 10-byte PDU whose 4-byte body is given (PS3.8 §9.3.4, §9.3.6–9.3.8). */
function fixed(type: number, ...body: [number, number, number, number]): Uint8Array {
  return Uint8Array.of(type, 0, 0, 0, 0, 4, ...body);
}

/** A-ASSOCIATE-RQ/AC (PS3.8 Tables 9-11, 9-17); `protocolVersion` defaults to 1. */
function encodeAssociate(pdu: AssociateRqPdu | AssociateAcPdu): Uint8Array {
  const w = new ByteWriter(512);
  w.uint8(PDU_TYPE_CODE[pdu.type]).uint8(0);
  const at = w.reserveUint32();
  w.uint16(pdu.protocolVersion ?? 1).uint16(0);
  w.bytes(encodeAeTitle(pdu.calledAeTitle)).bytes(encodeAeTitle(pdu.callingAeTitle)).zeros(32);
  writeApplicationContext(w, pdu.applicationContextName);
  if (pdu.type === 'A-ASSOCIATE-RQ') {
    for (const pc of pdu.presentationContexts) writePresentationContextRq(w, pc);
  } else {
    for (const pc of pdu.presentationContexts) writePresentationContextAc(w, pc);
  }
  writeUserInformation(w, pdu.userInformation);
  w.patchUint32(at);
  return w.finish();
}

/**
 * A P-DATA-TF up to this many bytes (commands, responses, small identifiers) is sent as one buffer,
 * its data copied: one socket write of one buffer, cheaper in Node than a vectored write of parts.
 */
const SMALL_PDATA = 1024;
/** Small P-DATA-TFs for sending live only until written: carved from shared blocks (bytes/slab.ts). */
const smallPdata = new Slab(16 * 1024);
const takeSmallPdata = (n: number) => smallPdata.take(n);

/**
 * P-DATA-TF as parts to send back to back: the PDU header and each PDV header are views of one
 * small buffer, the PDV data are the caller's own views (never copied). A small PDU (at most
 * SMALL_PDATA bytes) is one buffer instead.
 */
export function encodePDataParts(pdu: PDataTfPdu): Uint8Array[] {
  const count = pdu.pdvs.length;
  const pdvs = pdu.pdvs;
  let length = 0;
  // Indexed loops: this runs per PDU, much of it before the JIT has optimised it.
  for (let i = 0; i < count; i++) length += 6 + pdvs[i]!.data.byteLength;
  if (PDU_HEADER_LENGTH + length <= SMALL_PDATA) return [pdataInOneBuffer(pdvs, length, takeSmallPdata)];
  // Small enough to live on V8's heap: no DataView, whose `.buffer` would move it off-heap.
  const headers = new Uint8Array(PDU_HEADER_LENGTH + 6 * count);
  headers[0] = P.P_DATA_TF;
  putUint32(headers, 2, length);
  const parts: Uint8Array[] = [];
  let start = 0;
  let at = PDU_HEADER_LENGTH;
  for (let i = 0; i < count; i++) {
    const pdv = pdvs[i]!;
    putPdvHeader(headers, at, pdv);
    at += 6;
    parts.push(headers.subarray(start, at));
    start = at;
    if (pdv.data.byteLength > 0) parts.push(pdv.data);
  }
  return parts;
}

/** A P-DATA-TF (PDVs of `length` bytes with their headers) in one buffer: each PDV's data copied once. */
function pdataInOneBuffer(pdvs: readonly Pdv[], length: number, allocate: (n: number) => Uint8Array = newBytes): Uint8Array {
  const out = allocate(PDU_HEADER_LENGTH + length);
  out[0] = P.P_DATA_TF;
  putUint32(out, 2, length);
  let at = PDU_HEADER_LENGTH;
  for (let i = 0; i < pdvs.length; i++) {
    const pdv = pdvs[i]!;
    putPdvHeader(out, at, pdv);
    out.set(pdv.data, at + 6);
    at += 6 + pdv.data.byteLength;
  }
  return out;
}

const newBytes = (n: number) => new Uint8Array(n);

/** A PDV's item length, context ID and message control header at `at`. */
function putPdvHeader(out: Uint8Array, at: number, pdv: Pdv): void {
  putUint32(out, at, pdv.data.byteLength + 2);
  out[at + 4] = pdv.contextId;
  // Message control header: bit 0 command, bit 1 last fragment; bits 2–7 zero (Annex E.2).
  out[at + 5] = (pdv.isCommand ? 1 : 0) | (pdv.isLast ? 2 : 0);
}

/**
 * A data set's bytes as consecutive P-DATA-TF PDUs of one PDV each, at most `fragment` bytes per
 * PDV, as parts to send back to back: every header is a view of one small buffer, the data are
 * views of `data` (never copied). The last PDV is flagged last when `endsMessage`. The same bytes
 * as {@link encodePDataParts} once per PDU, in one loop.
 */
export function encodePDataRun(contextId: number, data: Uint8Array, fragment: number, endsMessage: boolean): Uint8Array[] {
  const total = data.byteLength;
  const count = Math.max(1, Math.ceil(total / fragment));
  const headers = new Uint8Array(12 * count);
  const parts: Uint8Array[] = [];
  for (let i = 0, offset = 0; i < count; i++, offset += fragment) {
    const length = Math.min(fragment, total - offset);
    const at = 12 * i;
    headers[at] = P.P_DATA_TF;
    putUint32(headers, at + 2, length + 6);
    putUint32(headers, at + 6, length + 2);
    headers[at + 10] = contextId;
    headers[at + 11] = endsMessage && i === count - 1 ? 2 : 0; // data set fragment, last or not (Annex E.2)
    parts.push(headers.subarray(at, at + 12));
    if (length > 0) parts.push(data.subarray(offset, offset + length));
  }
  return parts;
}

/** P-DATA-TF (PS3.8 §9.3.5): sized exactly up front so PDV data is copied once. */
function encodePData(pdu: PDataTfPdu): Uint8Array {
  let length = 0;
  for (const pdv of pdu.pdvs) length += 6 + pdv.data.length;
  return pdataInOneBuffer(pdu.pdvs, length);
}
