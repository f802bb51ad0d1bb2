/**
 * Presentation LUT SOP Class (PS3.4 H.4.9) on the SCP side: N-CREATE checks, the LUTs of one
 * association (they live as long as it does, H.4.9.2.1.3), and the references film boxes and
 * image boxes make to them through Referenced Presentation LUT Sequence (2050,0500).
 */
import type { Dataset } from '../scu/types';
import { namingTags, stringValue } from './n-attributes';
import type { PrintCheck } from './print-image';

const SEQUENCE = 0x20500010;
const SHAPE = 0x20500020;
const DESCRIPTOR = 0x00283002;
const DATA = 0x00283006;
const REFERENCE = 0x20500500;

/**
 * Checks a Presentation LUT N-CREATE (PS3.4 Table H.4-23): exactly one of Presentation LUT Shape
 * (IDENTITY or LIN OD) and Presentation LUT Sequence, whose LUT Descriptor has 256 or 4096
 * entries, first mapped value 0 and 10-16 bits, and whose LUT Data has that many entries.
 */
export function checkPresentationLut(ds: Dataset): PrintCheck | undefined {
  const shape = stringValue(ds, 'PresentationLUTShape');
  const sequence = ds.PresentationLUTSequence;
  const hasSequence = Array.isArray(sequence) ? sequence.length > 0 : sequence !== undefined && sequence !== null;
  // PS3.7 C.5.13: a Missing Attribute answer names the tags in the Attribute Identifier List (Offending Element too).
  if (shape === undefined && !hasSequence) return { status: 0x0120, ...namingTags([SEQUENCE, SHAPE]) };
  if (shape !== undefined && hasSequence) return { status: 0x0106, offendingElement: [SEQUENCE, SHAPE], errorComment: 'both a shape and a LUT' };
  if (shape !== undefined) return shape === 'IDENTITY' || shape === 'LIN OD' ? undefined : { status: 0x0106, offendingElement: [SHAPE] };
  const item = (Array.isArray(sequence) ? sequence[0] : sequence) as Dataset;
  const descriptor = item.LUTDescriptor;
  const values = (Array.isArray(descriptor) ? descriptor : [descriptor]).map(Number);
  if (values.length !== 3) return { status: 0x0120, ...namingTags([DESCRIPTOR]) };
  const [entries, first, bits] = values as [number, number, number];
  if ((entries !== 256 && entries !== 4096) || first !== 0 || !(bits >= 10 && bits <= 16)) return { status: 0x0106, offendingElement: [DESCRIPTOR] };
  if (lutEntries(item.LUTData) !== entries) return { status: 0x0106, offendingElement: [DATA], errorComment: `LUT Data is not ${entries} entries` };
  return undefined;
}

/** How many 16-bit entries naturalized LUT Data holds (numbers, or US/OW bytes). */
function lutEntries(data: unknown): number {
  if (Array.isArray(data)) {
    const isBytes = (d: unknown): d is ArrayBuffer | ArrayBufferView => d instanceof ArrayBuffer || ArrayBuffer.isView(d);
    return data.every(isBytes) ? data.reduce((n: number, d) => n + d.byteLength, 0) / 2 : data.length;
  }
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength / 2;
  return typeof data === 'number' ? 1 : 0;
}

/** The Presentation LUTs of one association. */
export class PresentationLuts {
  /** Every LUT created: deleted ones stay here while films made before still refer to them. */
  private readonly all = new Map<string, Dataset>();
  private readonly live = new Set<string>();

  create(uid: string, attributes: Dataset): void {
    this.all.set(uid, attributes);
    this.live.add(uid);
  }

  /**
   * N-DELETE: the SCU may no longer reference it (H.4.9.2.2.2). The SCP keeps what films already
   * reference, so their print is unaffected. False when there is no such (live) instance.
   */
  delete(uid: string): boolean {
    return this.live.delete(uid);
  }

  has(uid: string): boolean {
    return this.live.has(uid);
  }

  get(uid: string): Dataset | undefined {
    return this.all.get(uid);
  }

  /**
   * Checks the Referenced Presentation LUT Sequence of a film box or image box (0x0106 naming
   * (2050,0500) when it names a LUT not created or already deleted on this association).
   */
  checkReference(ds: Dataset): PrintCheck | undefined {
    const uid = referencedLut(ds);
    if (uid === null) return undefined;
    return uid !== undefined && this.has(uid) ? undefined : { status: 0x0106, offendingElement: [REFERENCE], errorComment: `no Presentation LUT ${uid ?? ''}` };
  }
}

/**
 * The Presentation LUT a data set references: its UID, null when it has no reference (or an
 * empty sequence), undefined when the sequence is there but names no instance.
 */
export function referencedLut(ds: Dataset): string | null | undefined {
  const seq = ds.ReferencedPresentationLUTSequence;
  if (seq === undefined || seq === null || (Array.isArray(seq) && seq.length === 0)) return null;
  const item = (Array.isArray(seq) ? seq[0] : seq) as Dataset;
  return stringValue(item, 'ReferencedSOPInstanceUID');
}
