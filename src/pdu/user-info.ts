/**
 * User information item (50H, PS3.8 §9.3.2.3, Annex D) and its sub-items (PS3.7 Annex D.3.3):
 * 51H maximum length, 52H implementation class UID, 53H asynchronous operations window,
 * 54H role selection, 55H implementation version name, 56H/57H extended negotiation,
 * 58H/59H user identity. Sub-items may come in any order; unknown ones are kept, not rejected.
 */
import type { ByteReader } from '../bytes/byte-reader';
import type { ByteWriter } from '../bytes/byte-writer';
import { decodeUid, encodeAscii, encodeUid } from '../bytes/text';
import { ITEM_TYPE as T, PDU_ERROR_CODE as E } from './constants';
import { duplicate, lengthPrefixedReader, readItems, readLengthPrefixed, writeItem, writeUidItem, type ItemView } from './items';
import type { RawItem, RoleSelection, SopClassCommonExtendedNegotiation, SopClassExtendedNegotiation, UserInformation } from './types';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Draft = Mutable<UserInformation> & {
  roleSelections?: RoleSelection[];
  extendedNegotiations?: SopClassExtendedNegotiation[];
  commonExtendedNegotiations?: SopClassCommonExtendedNegotiation[];
  unknownItems?: RawItem[];
};

/** Sub-items that may appear at most once (reliability.md §2.4). */
const SINGLETONS: ReadonlySet<number> = new Set([
  T.MAXIMUM_LENGTH,
  T.IMPLEMENTATION_CLASS_UID,
  T.ASYNC_OPERATIONS_WINDOW,
  T.IMPLEMENTATION_VERSION_NAME,
  T.USER_IDENTITY_RQ,
  T.USER_IDENTITY_AC,
]);

const DECODERS: Readonly<Record<number, (r: ByteReader, ui: Draft) => void>> = {
  [T.MAXIMUM_LENGTH]: (r, ui) => {
    fixedLength(r, 4, 'maximum length (51H)');
    ui.maxLength = r.uint32('maximum-length-received');
  },
  [T.IMPLEMENTATION_CLASS_UID]: (r, ui) => {
    if (r.remaining === 0) r.fail(E.SUB_ITEM_LENGTH_INVALID, 'implementation class UID (52H) is empty', r.offset - 4);
    ui.implementationClassUid = decodeUid(r.rest());
  },
  [T.ASYNC_OPERATIONS_WINDOW]: (r, ui) => {
    fixedLength(r, 4, 'asynchronous operations window (53H)');
    ui.asyncOps = { maxInvoked: r.uint16('max-operations-invoked'), maxPerformed: r.uint16('max-operations-performed') };
  },
  [T.ROLE_SELECTION]: (r, ui) => {
    const sopClassUid = decodeUid(readLengthPrefixed(r, 'role selection: SOP-class-uid'));
    const scuRole = r.uint8('role selection: SCU-role') !== 0;
    const scpRole = r.uint8('role selection: SCP-role') !== 0;
    exhausted(r, 'role selection (54H)');
    (ui.roleSelections ??= []).push({ sopClassUid, scuRole, scpRole });
  },
  [T.IMPLEMENTATION_VERSION_NAME]: (r, ui) => {
    ui.implementationVersionName = decodeUid(r.rest());
  },
  [T.SOP_CLASS_EXTENDED_NEGOTIATION]: (r, ui) => {
    const sopClassUid = decodeUid(readLengthPrefixed(r, 'extended negotiation: SOP-class-uid'));
    (ui.extendedNegotiations ??= []).push({ sopClassUid, info: r.rest() });
  },
  [T.SOP_CLASS_COMMON_EXTENDED_NEGOTIATION]: (r, ui) => {
    (ui.commonExtendedNegotiations ??= []).push(decodeCommonExtended(r));
  },
  [T.USER_IDENTITY_RQ]: (r, ui) => {
    const identityType = r.uint8('user identity: user-identity-type');
    const positiveResponseRequested = r.uint8('user identity: positive-response-requested') !== 0;
    const primaryField = readLengthPrefixed(r, 'user identity: primary-field');
    const secondaryField = readLengthPrefixed(r, 'user identity: secondary-field');
    exhausted(r, 'user identity RQ (58H)');
    ui.userIdentityRq = { identityType, positiveResponseRequested, primaryField, secondaryField };
  },
  [T.USER_IDENTITY_AC]: (r, ui) => {
    const serverResponse = readLengthPrefixed(r, 'user identity: server-response');
    exhausted(r, 'user identity AC (59H)');
    ui.userIdentityAc = { serverResponse };
  },
};

/** Decodes the value of a user information item (50H). */
export function decodeUserInformation(r: ByteReader): UserInformation {
  const ui: Draft = {};
  const seen = new Set<number>();
  for (const item of readItems(r, 'user information')) {
    if (SINGLETONS.has(item.type)) {
      if (seen.has(item.type)) duplicate(item, 'user information');
      seen.add(item.type);
    }
    const decode = DECODERS[item.type];
    if (decode) decode(item.value, ui);
    else (ui.unknownItems ??= []).push(rawItem(item));
  }
  return ui;
}

/** SOP class common extended negotiation value (57H, PS3.7 Table D.3-12). */
function decodeCommonExtended(r: ByteReader): SopClassCommonExtendedNegotiation {
  const sopClassUid = decodeUid(readLengthPrefixed(r, 'common extended: SOP-class-uid'));
  const serviceClassUid = decodeUid(readLengthPrefixed(r, 'common extended: service-class-uid'));
  const related = lengthPrefixedReader(r, 'common extended: related-general-sop-class-identification');
  exhausted(r, 'common extended negotiation (57H)');
  const relatedGeneralSopClassUids: string[] = [];
  // A run of (2-byte length, UID) filling the identification field.
  while (related.remaining > 0) {
    relatedGeneralSopClassUids.push(decodeUid(readLengthPrefixed(related, 'related-general-sop-class-uid')));
  }
  return { sopClassUid, serviceClassUid, relatedGeneralSopClassUids };
}

function rawItem(item: ItemView): RawItem {
  return { itemType: item.type, value: item.value.rest() };
}

function fixedLength(r: ByteReader, length: number, what: string): void {
  if (r.remaining !== length) {
    // Reported at the sub-item header (the value starts 4 bytes after it).
    r.fail(E.SUB_ITEM_LENGTH_INVALID, `${what} must have length ${length}, has ${r.remaining}`, r.offset - 4);
  }
}

function exhausted(r: ByteReader, what: string): void {
  if (r.remaining !== 0) r.fail(E.ITEM_LENGTH_MISMATCH, `${what}: ${r.remaining} byte(s) after the last field`);
}

/** Writes the user information item (50H) with sub-items in ascending type order, unknown ones last. */
export function writeUserInformation(w: ByteWriter, ui: UserInformation): void {
  writeItem(w, T.USER_INFORMATION, (v) => {
    if (ui.maxLength !== undefined) writeItem(v, T.MAXIMUM_LENGTH, (x) => x.uint32(ui.maxLength!));
    if (ui.implementationClassUid !== undefined) writeUidItem(v, T.IMPLEMENTATION_CLASS_UID, ui.implementationClassUid);
    if (ui.asyncOps) {
      const { maxInvoked, maxPerformed } = ui.asyncOps;
      writeItem(v, T.ASYNC_OPERATIONS_WINDOW, (x) => x.uint16(maxInvoked).uint16(maxPerformed));
    }
    for (const role of ui.roleSelections ?? []) writeRole(v, role);
    if (ui.implementationVersionName !== undefined) {
      const name = encodeAscii(ui.implementationVersionName, 'implementation version name');
      writeItem(v, T.IMPLEMENTATION_VERSION_NAME, (x) => x.bytes(name));
    }
    for (const ext of ui.extendedNegotiations ?? []) {
      writeItem(v, T.SOP_CLASS_EXTENDED_NEGOTIATION, (x) => writePrefixed(x, encodeUid(ext.sopClassUid)).bytes(ext.info));
    }
    for (const common of ui.commonExtendedNegotiations ?? []) writeCommonExtended(v, common);
    if (ui.userIdentityRq) writeIdentityRq(v, ui.userIdentityRq);
    if (ui.userIdentityAc) {
      const response = ui.userIdentityAc.serverResponse;
      writeItem(v, T.USER_IDENTITY_AC, (x) => writePrefixed(x, response));
    }
    for (const raw of ui.unknownItems ?? []) writeItem(v, raw.itemType, (x) => x.bytes(raw.value));
  });
}

function writeRole(w: ByteWriter, role: RoleSelection): void {
  writeItem(w, T.ROLE_SELECTION, (x) => {
    writePrefixed(x, encodeUid(role.sopClassUid));
    x.uint8(role.scuRole ? 1 : 0).uint8(role.scpRole ? 1 : 0);
  });
}

function writeCommonExtended(w: ByteWriter, common: SopClassCommonExtendedNegotiation): void {
  // Byte 2 is the sub-item-version, 00H (PS3.7 Table D.3-12); writeItem writes it as 0.
  writeItem(w, T.SOP_CLASS_COMMON_EXTENDED_NEGOTIATION, (x) => {
    writePrefixed(x, encodeUid(common.sopClassUid));
    writePrefixed(x, encodeUid(common.serviceClassUid));
    const at = x.reserveUint16();
    for (const uid of common.relatedGeneralSopClassUids) writePrefixed(x, encodeUid(uid));
    x.patchUint16(at);
  });
}

function writeIdentityRq(w: ByteWriter, id: NonNullable<UserInformation['userIdentityRq']>): void {
  writeItem(w, T.USER_IDENTITY_RQ, (x) => {
    x.uint8(id.identityType).uint8(id.positiveResponseRequested ? 1 : 0);
    writePrefixed(x, id.primaryField);
    writePrefixed(x, id.secondaryField);
  });
}

function writePrefixed(w: ByteWriter, bytes: Uint8Array): ByteWriter {
  if (bytes.length > 0xffff) throw new RangeError(`field too long for a 2-byte length: ${bytes.length}`);
  return w.uint16(bytes.length).bytes(bytes);
}
