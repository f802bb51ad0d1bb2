/**
 * Regression: decoding from a Node Buffer that is a view into a shared pool (as Buffer.concat and
 * small Buffer.from give) must read only the view, not the whole pool.
 */
import { describe, expect, it } from 'vitest';
import { decodeDataset, encodeDataset, readPart10, writePart10 } from '../../src/dataset/codec';

const EXPLICIT = '1.2.840.10008.1.2.1';

describe('decode from pooled Buffers', () => {
  it('readPart10 and decodeDataset honour the view offset of a Buffer', () => {
    const dataset = encodeDataset({ PatientName: 'A^B', PatientID: '7' }, EXPLICIT);
    const file = Buffer.concat(writePart10({ transferSyntaxUid: EXPLICIT, sopClassUid: '1.2.3', sopInstanceUid: '1.2.3.4', dataset }));
    const p = readPart10(file);
    expect(p.transferSyntaxUid).toBe(EXPLICIT);
    expect(decodeDataset(p.dataset, EXPLICIT)).toMatchObject({ PatientID: '7' });
    const pooled = Buffer.concat([Buffer.from([1, 2, 3, 4]), Buffer.from(dataset)]).subarray(4);
    expect(decodeDataset(pooled, EXPLICIT)).toMatchObject({ PatientID: '7' });
  });
});
