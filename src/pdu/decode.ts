/**
 * PDU decoder (PS3.8 §9.3): one complete PDU, header included, to plain data (types.ts).
 * Byte fields (PDV data, extended negotiation info, identity fields) are views, never copies.
 * Every failure is a ProtocolError carrying the A-ABORT to send (reliability.md §2.4).
 * Never tested on receipt, as the standard says: reserved fields, message control header bits
 * 2–7, protocol-version bits other than bit 0 (left to ACSE), the AE titles of an AC.
 */
import { ByteReader, pduError } from '../bytes/byte-reader';
import { decodeAeTitle } from '../bytes/text';
import {
  ASSOCIATE_FIXED_LENGTH,
  FIXED_PDU_LENGTH,
  HARD_MAX_PDU_LENGTH,
  ITEM_TYPE,
  PDU_ERROR_CODE as E,
  PDU_HEADER_LENGTH,
  PDU_TYPE as P,
  PDU_TYPE_NAME,
} from './constants';
import { checkContextId, decodeApplicationContext, decodePresentationContextAc, decodePresentationContextRq, readItems } from './items';
import type { AssociateAcPdu, AssociateRqPdu, PduLimits, Pdu, Pdv, PresentationContextAc, PresentationContextRq, UserInformation } from './types';
import { decodeUserInformation } from './user-info';

/** The 6-byte PDU header (PS3.8 §9.3.1): type and PDU-length (bytes after the length field). */
export interface PduHeader {
  readonly type: number;
  readonly length: number;
}

/** Reads the header from the first 6 bytes of `bytes` (caller ensures they are present). */
export function readPduHeader(bytes: Uint8Array): PduHeader {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, PDU_HEADER_LENGTH);
  return { type: dv.getUint8(0), length: dv.getUint32(2) };
}

/**
 * Checks a header before any body byte is read or buffered (reliability.md §2.4, §5):
 * unknown type → UNKNOWN_PDU_TYPE (2,1); RJ/RELEASE/ABORT length ≠ 4; A-ASSOCIATE shorter than
 * its fixed fields or above `associatePduMax`; P-DATA-TF above `maxPduLength` (0 = only the hard
 * cap). Without `limits` only the structural checks run.
 */
export function checkPduHeader({ type, length }: PduHeader, limits?: PduLimits): void {
  const at = { pduType: type, offset: 2 };
  checkPduType(type);
  if (type === P.A_ASSOCIATE_RQ || type === P.A_ASSOCIATE_AC) {
    if (length < ASSOCIATE_FIXED_LENGTH) {
      throw pduError(E.ASSOCIATE_LENGTH_TOO_SHORT, `${PDU_TYPE_NAME[type]} length ${length} is below its fixed fields (${ASSOCIATE_FIXED_LENGTH})`, at);
    }
    if (limits && length > limits.associatePduMax) {
      throw pduError(E.ASSOCIATE_LENGTH_EXCEEDS_MAX, `${PDU_TYPE_NAME[type]} length ${length} exceeds ${limits.associatePduMax}`, at);
    }
  } else if (type === P.P_DATA_TF) {
    const max = limits ? effectiveMaxPduLength(limits) : HARD_MAX_PDU_LENGTH;
    if (length > max) throw pduError(E.PDU_LENGTH_EXCEEDS_MAX, `P-DATA-TF length ${length} exceeds ${max}`, at);
  } else if (length !== FIXED_PDU_LENGTH) {
    throw pduError(E.FIXED_PDU_LENGTH_INVALID, `${PDU_TYPE_NAME[type]} length ${length} is not ${FIXED_PDU_LENGTH}`, at);
  }
}

/** Throws UNKNOWN_PDU_TYPE, A-ABORT (2, 1) unrecognized-PDU, unless `type` is 01H..07H (PS3.8 §9.3.1). */
export function checkPduType(type: number): void {
  if (PDU_TYPE_NAME[type] === undefined) {
    throw pduError(E.UNKNOWN_PDU_TYPE, `unrecognized PDU type 0x${type.toString(16).padStart(2, '0')}`, { pduType: type, offset: 0 }, 1);
  }
}

/** maxPduLength, or the hard cap when it is 0 (no limit) or above the hard cap. */
export function effectiveMaxPduLength(limits: PduLimits): number {
  const hard = limits.hardMaxPduLength ?? HARD_MAX_PDU_LENGTH;
  return limits.maxPduLength === 0 ? hard : Math.min(limits.maxPduLength, hard);
}

/**
 * Decodes exactly one PDU: `bytes` must hold the 6-byte header and PDU-length more bytes,
 * nothing else. Applies the structural header checks of `checkPduHeader` and the 64 MiB
 * P-DATA-TF hard cap, but not the configurable caps (PduReader applies those to the header
 * before the body is buffered).
 * @throws ProtocolError — see PDU_ERROR_CODE.
 */
export function decodePdu(bytes: Uint8Array): Pdu {
  if (bytes.length < PDU_HEADER_LENGTH) {
    throw pduError(E.PDU_HEADER_TRUNCATED, `PDU header needs 6 bytes, got ${bytes.length}`, { offset: 0 });
  }
  const header = readPduHeader(bytes);
  checkPduHeader(header);
  const end = PDU_HEADER_LENGTH + header.length;
  const at = { pduType: header.type, offset: bytes.length };
  if (bytes.length < end) throw pduError(E.PDU_TRUNCATED, `PDU-length ${header.length} but only ${bytes.length - 6} byte(s) follow`, at);
  if (bytes.length > end) throw pduError(E.PDU_TRAILING_BYTES, `${bytes.length - end} byte(s) after the PDU`, { ...at, offset: end });
  const r = new ByteReader(bytes.subarray(PDU_HEADER_LENGTH), { pduType: header.type, baseOffset: PDU_HEADER_LENGTH });
  return decodeBody(header.type, r);
}

function decodeBody(type: number, r: ByteReader): Pdu {
  switch (type) {
    case P.A_ASSOCIATE_RQ:
      return decodeAssociate(r, 'A-ASSOCIATE-RQ');
    case P.A_ASSOCIATE_AC:
      return decodeAssociate(r, 'A-ASSOCIATE-AC');
    case P.A_ASSOCIATE_RJ: {
      r.skip(1, 'reserved');
      return { type: 'A-ASSOCIATE-RJ', result: r.uint8('result'), source: r.uint8('source'), reason: r.uint8('reason/diag.') };
    }
    case P.P_DATA_TF:
      return { type: 'P-DATA-TF', pdvs: decodePdvs(r) };
    case P.A_RELEASE_RQ:
      return { type: 'A-RELEASE-RQ' };
    case P.A_RELEASE_RP:
      return { type: 'A-RELEASE-RP' };
    default: {
      // A-ABORT: reserved, reserved, source, reason/diag. (Table 9-26); values are not range-checked.
      r.skip(2, 'reserved');
      return { type: 'A-ABORT', source: r.uint8('source'), reason: r.uint8('reason/diag.') };
    }
  }
}

/**
 * A-ASSOCIATE-RQ/AC (PS3.8 Tables 9-11, 9-17): fixed fields then items 10H, 20H/21H…, 50H.
 * Items of unknown (or other-PDU) types are skipped (§9.3.1); a second 10H or 50H is rejected.
 */
function decodeAssociate(r: ByteReader, type: 'A-ASSOCIATE-RQ' | 'A-ASSOCIATE-AC'): AssociateRqPdu | AssociateAcPdu {
  const protocolVersion = r.uint16('protocol-version');
  r.skip(2, 'reserved');
  const calledAeTitle = decodeAeTitle(r.view(16, 'called-AE-title'));
  const callingAeTitle = decodeAeTitle(r.view(16, 'calling-AE-title'));
  r.skip(32, 'reserved');
  const isRq = type === 'A-ASSOCIATE-RQ';
  let applicationContextName: string | undefined;
  let userInformation: UserInformation | undefined;
  const contexts: (PresentationContextRq | PresentationContextAc)[] = [];
  for (const item of readItems(r, type)) {
    if (item.type === ITEM_TYPE.APPLICATION_CONTEXT) {
      if (applicationContextName !== undefined) item.value.fail(E.DUPLICATE_ITEM, 'second application context item (10H)', item.offset);
      applicationContextName = decodeApplicationContext(item);
    } else if (item.type === ITEM_TYPE.USER_INFORMATION) {
      if (userInformation !== undefined) item.value.fail(E.DUPLICATE_ITEM, 'second user information item (50H)', item.offset);
      userInformation = decodeUserInformation(item.value);
    } else if (isRq && item.type === ITEM_TYPE.PRESENTATION_CONTEXT_RQ) {
      contexts.push(decodePresentationContextRq(item.value));
    } else if (!isRq && item.type === ITEM_TYPE.PRESENTATION_CONTEXT_AC) {
      contexts.push(decodePresentationContextAc(item.value));
    }
  }
  const common = { protocolVersion, calledAeTitle, callingAeTitle, applicationContextName: applicationContextName ?? '', userInformation: userInformation ?? {} };
  return isRq
    ? { type: 'A-ASSOCIATE-RQ', ...common, presentationContexts: contexts as PresentationContextRq[] }
    : { type: 'A-ASSOCIATE-AC', ...common, presentationContexts: contexts as PresentationContextAc[] };
}

/**
 * PDV items of a P-DATA-TF (PS3.8 §9.3.5.1, Annex E.2): 4-byte item-length (≥ 2, PCID and
 * message control header included), odd PCID, header bits 0–1 used, 2–7 ignored.
 */
function decodePdvs(r: ByteReader): Pdv[] {
  if (r.remaining === 0) r.fail(E.NO_PDVS, 'P-DATA-TF without any PDV');
  const pdvs: Pdv[] = [];
  while (r.remaining > 0) {
    if (r.remaining < 4) r.fail(E.PDV_LENGTH_MISMATCH, `PDV lengths do not add up to the PDU length (${r.remaining} byte(s) left over)`);
    const start = r.offset;
    const length = r.uint32('PDV item-length');
    if (length < 2) r.fail(E.PDV_LENGTH_TOO_SHORT, `PDV item-length ${length} is below 2`, start);
    if (length > r.remaining) r.fail(E.PDV_OVERRUN, `PDV item-length ${length} overruns the PDU (${r.remaining} left)`, start);
    const idOffset = r.offset;
    const contextId = r.uint8('presentation-context-ID');
    checkContextId(r, contextId, idOffset);
    const header = r.uint8('message control header');
    const data = r.view(length - 2, 'presentation-data-value');
    pdvs.push({ contextId, isCommand: (header & 1) !== 0, isLast: (header & 2) !== 0, data });
  }
  return pdvs;
}
