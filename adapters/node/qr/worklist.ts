/**
 * Modality Worklist items from a folder (like DCMTK's wlmscpfs): every `.wl` or `.dcm` file is one
 * Scheduled Procedure Step (PS3.4 K.6.1), read again at each query so edits show at once.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeDataset, readPart10, type Dataset } from '../../../src/dataset/codec';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';

/** The worklist items in `dir` (sorted by name); unreadable files are skipped. */
export async function* worklistItems(dir: string, warn: (message: string) => void = () => {}): AsyncGenerator<Dataset> {
  const names = (await readdir(dir)).filter((n) => /\.(wl|dcm)$/i.test(n)).sort();
  for (const name of names) {
    try {
      yield decodeItem(await readFile(path.join(dir, name)));
    } catch (error) {
      warn(`worklist item ${name} skipped: ${(error as Error).message}`);
    }
  }
}

/** A Part 10 file, or a bare data set (dump2dcm without meta): explicit VR LE if the first VR looks right, else implicit. */
export function decodeItem(bytes: Uint8Array): Dataset {
  if (bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d) {
    const p = readPart10(bytes);
    return decodeDataset(p.dataset, p.transferSyntaxUid);
  }
  const explicit = bytes.length >= 6 && /^[A-Z]{2}$/.test(String.fromCharCode(bytes[4]!, bytes[5]!));
  return decodeDataset(bytes, explicit ? EXPLICIT_LE : IMPLICIT_LE);
}
