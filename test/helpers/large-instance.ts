/**
 * A large Part 10 file written in chunks (never whole in memory): a few attributes and one OW
 * pixel data element of the requested size. For the large-instance interop case and benches.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { encodeDataset, writePart10 } from '../../src/dataset/codec';
import { CT_IMAGE_STORAGE, EXPLICIT_LE } from './ct-instance';

/** Writes `file`; `bytes` must be even. Returns the byte offset where the data set starts. */
export function writeLargePart10(file: string, sopInstanceUid: string, bytes: number): number {
  const head = encodeDataset(
    { SOPClassUID: CT_IMAGE_STORAGE, SOPInstanceUID: sopInstanceUid, Modality: 'CT', PatientName: 'LARGE^TEST', PatientID: 'LARGE' },
    EXPLICIT_LE,
  );
  const tag = new Uint8Array(12);
  const dv = new DataView(tag.buffer);
  dv.setUint16(0, 0x7fe0, true);
  dv.setUint16(2, 0x0010, true);
  tag.set([0x4f, 0x57], 4); // OW
  dv.setUint32(8, bytes, true);
  const [pre, meta] = writePart10({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid, transferSyntaxUid: EXPLICIT_LE, dataset: new Uint8Array(0) });
  const fd = openSync(file, 'w');
  try {
    for (const part of [pre!, meta!, head, tag]) writeSync(fd, part);
    const chunk = new Uint8Array(4 * 1024 * 1024);
    for (let left = bytes, n = 0; left > 0; left -= chunk.length, n++) {
      chunk.fill(n & 0xff, 0, 64); // vary each chunk a little so misordered chunks are caught
      writeSync(fd, chunk, 0, Math.min(left, chunk.length));
    }
  } finally {
    closeSync(fd);
  }
  return pre!.length + meta!.length;
}
