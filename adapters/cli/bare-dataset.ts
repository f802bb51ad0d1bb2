/**
 * Data set files without File Meta Information (no preamble, no "DICM"), which DCMTK's tools read
 * by default (`+f`: file format or data set). The transfer syntax is guessed from the first
 * element as DCMTK does: Explicit VR Little Endian when its bytes 4-5 are a VR, else Implicit VR
 * Little Endian; the SOP Class and Instance UIDs are found by walking the elements by hand up to
 * (0008,0018), so a sender needs no data set codec.
 */
import { LONG_VRS } from '../../src/dataset/structure';
import { TransferSyntax } from '../../src/uids/transfer-syntax';

const VRS = new Set('AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '));
const SOP_CLASS_UID = 0x00080016;
const SOP_INSTANCE_UID = 0x00080018;

/** The transfer syntax of a bare data set starting at `bytes[0]`. */
export function bareDatasetSyntax(bytes: Uint8Array): string {
  const vr = bytes.length >= 6 ? String.fromCharCode(bytes[4]!, bytes[5]!) : '';
  return VRS.has(vr) ? TransferSyntax.ExplicitVRLittleEndian : TransferSyntax.ImplicitVRLittleEndian;
}

/** What storescu needs of a bare data set (the same shape as a Part 10 file's identity). */
export interface BareDatasetIdentity {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  /** Always 0: the data set is the whole file. */
  readonly datasetOffset: number;
}

/**
 * The identity of the bare data set at the start of `bytes`. Throws with a reason when it is not
 * one; a message with "overruns" when `bytes` ends before (0008,0018) is known (read more).
 */
export function bareDatasetIdentity(bytes: Uint8Array): BareDatasetIdentity {
  const transferSyntaxUid = bareDatasetSyntax(bytes);
  const explicit = transferSyntaxUid === TransferSyntax.ExplicitVRLittleEndian;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  const overrun = () => new Error(`data set element at offset ${off} overruns the ${bytes.length} bytes read`);
  let sopClassUid = '';
  let sopInstanceUid = '';
  let previous = -1;
  while (off < bytes.length) {
    if (off + 8 > bytes.length) throw overrun();
    const tag = ((view.getUint16(off, true) << 16) | view.getUint16(off + 2, true)) >>> 0;
    // Text or other bytes that are no data set seldom have ascending tags from group 0004 to 0008.
    if (tag <= previous || tag >>> 16 < 0x0004) throw new Error(`no data set element at offset ${off}`);
    if (tag > SOP_INSTANCE_UID) break;
    previous = tag;
    let start = off + 8;
    let length = explicit ? view.getUint16(off + 6, true) : view.getUint32(off + 4, true);
    if (explicit) {
      const vr = String.fromCharCode(bytes[off + 4]!, bytes[off + 5]!);
      if (!VRS.has(vr)) throw new Error(`no VR at offset ${off + 4}`);
      if (LONG_VRS.has(vr)) {
        if (off + 12 > bytes.length) throw overrun();
        length = view.getUint32(off + 8, true);
        start = off + 12;
      }
    }
    if (length === 0xffffffff) throw new Error('an element of undefined length before (0008,0018)');
    if (start + length > bytes.length) throw overrun();
    if (tag === SOP_CLASS_UID) sopClassUid = uidText(bytes.subarray(start, start + length));
    else if (tag === SOP_INSTANCE_UID) sopInstanceUid = uidText(bytes.subarray(start, start + length));
    off = start + length;
  }
  if (!sopClassUid || !sopInstanceUid) throw new Error('no SOP Class UID and SOP Instance UID (0008,0016/0018)');
  return { sopClassUid, sopInstanceUid, transferSyntaxUid, datasetOffset: 0 };
}

const latin1 = new TextDecoder('latin1');

/** A UI value without its padding (NUL or space). */
function uidText(bytes: Uint8Array): string {
  return latin1.decode(bytes).replace(/[\0 ]+$/, '').trim();
}
