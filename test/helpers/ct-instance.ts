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
