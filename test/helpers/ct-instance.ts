/**
 * Generated test instances (no downloaded data): CT Image Storage with a small OW pixel data
 * element, encoded with dcmjs in a chosen transfer syntax, as data set bytes or a Part 10 file.
 */
import { encodeDataset, writePart10 } from '../../src/dataset/codec';
import { pattern } from './bytes';

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4';
export const SC_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.7';
export const IMPLICIT_LE = '1.2.840.10008.1.2';
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';

/** Options for {@link ctInstance}. */
export interface InstanceOptions {
  sopInstanceUid: string;
  sopClassUid?: string;
  transferSyntaxUid?: string;
  rows?: number;
  columns?: number;
  seed?: number;
}

/** The encoded data set of a small image instance (16-bit OW pixel data). */
export function ctDataset(o: InstanceOptions): Uint8Array {
  const rows = o.rows ?? 16;
  const columns = o.columns ?? 16;
  const pixels = pattern(rows * columns * 2, o.seed ?? 7);
  const sopClassUid = o.sopClassUid ?? CT_IMAGE_STORAGE;
  return encodeDataset(
    {
      SOPClassUID: sopClassUid,
      SOPInstanceUID: o.sopInstanceUid,
      StudyInstanceUID: '1.2.826.0.1.3680043.9.7433.1.1',
      SeriesInstanceUID: '1.2.826.0.1.3680043.9.7433.1.2',
      PatientName: 'TEST^STORE',
      PatientID: 'NETDICOM-1',
      Modality: sopClassUid === MR_IMAGE_STORAGE ? 'MR' : sopClassUid === SC_IMAGE_STORAGE ? 'OT' : 'CT',
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      Rows: rows,
      Columns: columns,
      BitsAllocated: 16,
      BitsStored: 12,
      HighBit: 11,
      PixelRepresentation: 0,
      PixelData: [pixels.buffer],
      _vrMap: { PixelData: 'OW' },
    },
    o.transferSyntaxUid ?? EXPLICIT_LE,
  );
}

/** A Part 10 file (preamble, meta, data set) as one buffer, plus its data set bytes. */
export function ctPart10(o: InstanceOptions): { file: Uint8Array; dataset: Uint8Array } {
  const dataset = ctDataset(o);
  const chunks = writePart10({
    sopClassUid: o.sopClassUid ?? CT_IMAGE_STORAGE,
    sopInstanceUid: o.sopInstanceUid,
    transferSyntaxUid: o.transferSyntaxUid ?? EXPLICIT_LE,
    dataset,
  });
  const file = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let off = 0;
  for (const c of chunks) {
    file.set(c, off);
    off += c.byteLength;
  }
  return { file, dataset };
}

export const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

/**
 * A Part 10 file in JPEG Baseline whose pixel data is encapsulated (PS3.5 A.4): an empty Basic
 * Offset Table and one fragment of opaque bytes. Nobody decodes it; it tests pass-through.
 */
export function encapsulatedPart10(o: InstanceOptions): { file: Uint8Array; dataset: Uint8Array } {
  const sopClassUid = o.sopClassUid ?? CT_IMAGE_STORAGE;
  const head = encodeDataset(
    {
      SOPClassUID: sopClassUid,
      SOPInstanceUID: o.sopInstanceUid,
      StudyInstanceUID: '1.2.826.0.1.3680043.9.7433.1.1',
      SeriesInstanceUID: '1.2.826.0.1.3680043.9.7433.1.3',
      PatientName: 'TEST^JPEG',
      PatientID: 'NETDICOM-2',
      Modality: 'OT',
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      Rows: 8,
      Columns: 8,
      BitsAllocated: 8,
      BitsStored: 8,
      HighBit: 7,
      PixelRepresentation: 0,
    },
    EXPLICIT_LE,
  );
  const fragment = pattern(1000, o.seed ?? 3);
  // (7FE0,0010) OB undefined length, item (BOT, empty), item (fragment), sequence delimiter.
  const tail = new Uint8Array(12 + 8 + 8 + fragment.length + 8);
  const dv = new DataView(tail.buffer);
  dv.setUint16(0, 0x7fe0, true);
  dv.setUint16(2, 0x0010, true);
  tail.set([0x4f, 0x42], 4);
  dv.setUint32(8, 0xffffffff, true);
  const item = (off: number, len: number) => {
    dv.setUint16(off, 0xfffe, true);
    dv.setUint16(off + 2, 0xe000, true);
    dv.setUint32(off + 4, len, true);
  };
  item(12, 0);
  item(20, fragment.length);
  tail.set(fragment, 28);
  dv.setUint16(28 + fragment.length, 0xfffe, true);
  dv.setUint16(30 + fragment.length, 0xe0dd, true);
  const dataset = new Uint8Array(head.length + tail.length);
  dataset.set(head);
  dataset.set(tail, head.length);
  const chunks = writePart10({ sopClassUid, sopInstanceUid: o.sopInstanceUid, transferSyntaxUid: JPEG_BASELINE, dataset });
  const file = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let off = 0;
  for (const c of chunks) {
    file.set(c, off);
    off += c.byteLength;
  }
  return { file, dataset };
}
