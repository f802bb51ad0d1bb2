/**
 * Bulk values written by netdicom as DCMTK's dcmdump reads them: Pixel Data of an encapsulated
 * transfer syntax as a pixel sequence (offset table and one fragment per frame: before, netdicom
 * wrote it with an explicit length, which DCMTK refuses), and the exact bytes of values given as
 * views (a subarray, a pooled Node Buffer), in each native syntax.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeDataset } from '../../src/dataset/codec';
import { writePart10 } from '../../src/dataset/part10';
import { TransferSyntax } from '../../src/uids/transfer-syntax';
import { concat } from '../helpers/bytes';
import { requireDcmtk } from './helpers/dcmtk';

const available = requireDcmtk();
const SC = '1.2.840.10008.5.1.4.1.1.7';
const work = mkdtempSync(path.join(tmpdir(), 'netdicom-bulk-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `dataset` in `syntax` as a Part 10 file, dumped by dcmdump with every byte shown (+L). */
function dump(dataset: Record<string, unknown>, syntax: string, name: string): string {
  const uid = '1.2.826.0.1.3680043.9.7433.25.1';
  const bytes = encodeDataset({ SOPClassUID: SC, SOPInstanceUID: uid, ...dataset }, syntax);
  const file = path.join(work, `${name}.dcm`);
  writeFileSync(file, concat(writePart10({ sopClassUid: SC, sopInstanceUid: uid, transferSyntaxUid: syntax, dataset: bytes })));
  return execFileSync('dcmdump', ['+L', file], { encoding: 'utf8' });
}

describe.runIf(available)('bulk values: netdicom against DCMTK dcmdump', () => {
  it('reads encapsulated Pixel Data as an offset table and one fragment per frame', () => {
    const frames = [Uint8Array.of(0xff, 0xd8, 0xff, 0xd9), new Uint8Array(new ArrayBuffer(32), 9, 3).fill(0x5a)];
    for (const syntax of [TransferSyntax.JPEGBaseline8Bit, TransferSyntax.RLELossless, TransferSyntax.JPEG2000]) {
      const out = dump({ NumberOfFrames: 2, PixelData: frames }, syntax, `encapsulated-${syntax}`);
      expect(out).toContain('(7fe0,0010) OB (PixelSequence #=3)');
      const items = [...out.matchAll(/\(fffe,e000\) pi (\S+)/g)].map((m) => m[1]);
      expect([syntax, items]).toEqual([syntax, ['00\\00\\00\\00\\0c\\00\\00\\00', 'ff\\d8\\ff\\d9', '5a\\5a\\5a\\00']]);
    }
  });

  it('reads the bytes of a value given as a view, in every native syntax', () => {
    const whole = Uint8Array.from({ length: 64 }, (_, i) => i);
    const pooled = Buffer.from([0xa1, 0xa2, 0xa3, 0xa4]);
    for (const syntax of [TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ExplicitVRBigEndian]) {
      const out = dump({ PixelData: [pooled], _vrMap: { PixelData: 'OB' }, EncapsulatedDocument: [whole.subarray(20, 24)] }, syntax, `views-${syntax}`);
      // Implicit VR: DCMTK takes the dictionary's OW for Pixel Data and shows 16-bit words.
      const pixels = syntax === TransferSyntax.ImplicitVRLittleEndian ? 'OW a2a1\\a4a3' : 'OB a1\\a2\\a3\\a4';
      expect([syntax, /\(7fe0,0010\) (O[BW] \S+)/.exec(out)?.[1]]).toEqual([syntax, pixels]);
      expect([syntax, /\(0042,0011\) OB (\S+)/.exec(out)?.[1]]).toEqual([syntax, '14\\15\\16\\17']);
    }
  });
});
