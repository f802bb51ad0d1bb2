import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDataset, encodeDataset, readPart10, writePart10 } from '../../src/dataset/codec';
import { readPart10Identity } from '../../src/dataset/meta';
import { deflateRaw, inflateRaw } from '../../src/dataset/deflate';
import { DimseError } from '../../src/errors';
import { TransferSyntax } from '../../src/uids/transfer-syntax';
import { deflateRaw as deflateRawPako } from 'pako';
import { concat } from '../helpers/bytes';

const SYNTAXES = [
  ['Implicit VR LE', TransferSyntax.ImplicitVRLittleEndian],
  ['Explicit VR LE', TransferSyntax.ExplicitVRLittleEndian],
  ['Explicit VR BE', TransferSyntax.ExplicitVRBigEndian],
  ['Deflated Explicit VR LE', TransferSyntax.DeflatedExplicitVRLittleEndian],
] as const;

const sample = () => ({
  SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
  SOPInstanceUID: '1.2.3.4.5.6.7',
  PatientName: [{ Alphabetic: 'DOE^JANE' }],
  PatientID: 'PID001',
  StudyDate: '20240131',
  Rows: 512,
  Columns: 256,
  SliceThickness: 1.25,
  ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
  ReferencedSeriesSequence: [
    { SeriesInstanceUID: '1.2.3.9', ReferencedInstanceSequence: [{ ReferencedSOPInstanceUID: '1.2.3.10' }] },
    { SeriesInstanceUID: '1.2.3.11' },
  ],
});

const expectError = (fn: () => unknown, code: string): DimseError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DimseError);
    expect((e as DimseError).code).toBe(code);
    return e as DimseError;
  }
  throw new Error('expected a DimseError');
};

describe('encodeDataset / decodeDataset', () => {
  for (const [label, ts] of SYNTAXES) {
    it(`round-trips a PN and nested sequences through ${label}`, () => {
      const bytes = encodeDataset(sample(), ts);
      expect(decodeDataset(bytes, ts)).toEqual(sample());
    });
  }

  it('encodes each syntax as PS3.5 says', () => {
    const ds = { Rows: 2 }; // (0028,0010) US 2
    const h = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    expect(h(encodeDataset(ds, TransferSyntax.ImplicitVRLittleEndian))).toBe('2800100002000000' + '0200');
    expect(h(encodeDataset(ds, TransferSyntax.ExplicitVRLittleEndian))).toBe('28001000' + '5553' + '0200' + '0200');
    expect(h(encodeDataset(ds, TransferSyntax.ExplicitVRBigEndian))).toBe('00280010' + '5553' + '0002' + '0002');
    const deflated = encodeDataset(ds, TransferSyntax.DeflatedExplicitVRLittleEndian);
    expect(h(inflateRaw(deflated))).toBe('2800100055530200' + '0200');
  });

  it('keeps an empty person name in its place in a list, written and read, by hand and through dcmjs', () => {
    const names = [{ Alphabetic: 'A' }, {}, { Alphabetic: 'B' }];
    for (const ts of [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRBigEndian]) {
      for (const value of [['A', '', 'B'], ['A', null, 'B'], 'A\\\\B', names]) {
        const bytes = encodeDataset({ OperatorsName: value }, ts);
        expect(Buffer.from(bytes).toString('latin1')).toContain('A\\\\B');
        expect(decodeDataset(bytes, ts).OperatorsName).toEqual(names);
      }
    }
    // A data set the hand-written reader leaves to dcmjs (a list of AT values): the same names.
    const pn = Uint8Array.from('A\\\\B\\', (c) => c.charCodeAt(0));
    const at = Uint8Array.of(0x18, 0x00, 0x63, 0x10, 0x18, 0x00, 0x65, 0x10);
    const plain = (tag: number, vr: string, v: Uint8Array) => concat([Uint8Array.of(tag >> 16 & 0xff, tag >> 24, tag & 0xff, (tag >> 8) & 0xff), Uint8Array.from(vr, (c) => c.charCodeAt(0)), Uint8Array.of(v.length, 0), v]);
    const ds = decodeDataset(concat([plain(0x00081070, 'PN', pn), plain(0x00280009, 'AT', at)]), TransferSyntax.ExplicitVRLittleEndian);
    expect([ds.OperatorsName, ds.FrameIncrementPointer]).toEqual([[...names, {}], [0x00181063, 0x00181065]]);
  });

  it('encodes AT values as group then element, in each byte order', () => {
    const ds = { FrameIncrementPointer: [0x00181063, 0x00181065] }; // (0028,0009) AT, two values
    const h = (b: Uint8Array): string => Buffer.from(b).toString('hex');
    expect(h(encodeDataset(ds, TransferSyntax.ImplicitVRLittleEndian))).toBe('28000900' + '08000000' + '18006310' + '18006510');
    expect(h(encodeDataset(ds, TransferSyntax.ExplicitVRLittleEndian))).toBe('28000900' + '4154' + '0800' + '18006310' + '18006510');
    expect(h(encodeDataset(ds, TransferSyntax.ExplicitVRBigEndian))).toBe('00280009' + '4154' + '0008' + '00181063' + '00181065');
    for (const ts of [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ExplicitVRBigEndian]) {
      expect(decodeDataset(encodeDataset({ FrameIncrementPointer: 0x00181063 }, ts), ts).FrameIncrementPointer).toBe(0x00181063);
    }
  });

  it('accepts a PN given as a plain string', () => {
    const bytes = encodeDataset({ PatientName: 'DOE^J' }, TransferSyntax.ExplicitVRLittleEndian);
    expect(decodeDataset(bytes, TransferSyntax.ExplicitVRLittleEndian)).toEqual({ PatientName: [{ Alphabetic: 'DOE^J' }] });
  });

  it('decodes from a view with a non-zero byteOffset', () => {
    const bytes = encodeDataset(sample(), TransferSyntax.ImplicitVRLittleEndian);
    const big = new Uint8Array(bytes.length + 7);
    big.set(bytes, 7);
    expect(decodeDataset(big.subarray(7), TransferSyntax.ImplicitVRLittleEndian)).toEqual(sample());
  });

  it('treats encapsulated syntaxes as Explicit VR LE for the data set', () => {
    const bytes = encodeDataset({ PatientID: 'A' }, TransferSyntax.JPEGBaseline8Bit);
    expect(bytes).toEqual(encodeDataset({ PatientID: 'A' }, TransferSyntax.ExplicitVRLittleEndian));
  });

  it('an empty data set is empty', () => {
    expect(encodeDataset({}, TransferSyntax.ImplicitVRLittleEndian).length).toBe(0);
    expect(decodeDataset(new Uint8Array(0), TransferSyntax.ImplicitVRLittleEndian)).toEqual({});
  });

  it('wraps failures in DimseError with a cause', () => {
    const enc = expectError(() => encodeDataset({ Rows: 'abc' }, TransferSyntax.ExplicitVRLittleEndian), 'DATASET_ENCODE_FAILED');
    expect(enc.cause).toBeInstanceOf(Error);
    expectError(() => decodeDataset(new Uint8Array([1, 2, 3]), TransferSyntax.ImplicitVRLittleEndian), 'DATASET_DECODE_FAILED');
    // Structurally fine, but an unknown VR: dcmjs throws, and its error is the cause.
    const badVr = new Uint8Array([0x10, 0x00, 0x10, 0x00, 0x5a, 0x5a, 0x02, 0x00, 0x41, 0x42]);
    const dec = expectError(() => decodeDataset(badVr, TransferSyntax.ExplicitVRLittleEndian), 'DATASET_DECODE_FAILED');
    expect(dec.cause).toBeDefined();
    expectError(() => decodeDataset(new Uint8Array([1, 2]), '1.2.3.4'), 'DATASET_DECODE_FAILED');
    expectError(() => encodeDataset({}, '1.2.3.4'), 'DATASET_ENCODE_FAILED');
  });

  for (const [label, ts] of SYNTAXES) {
    it(`rejects truncated input instead of returning short values (${label})`, () => {
      const bytes = encodeDataset(sample(), ts);
      const plain = ts === TransferSyntax.DeflatedExplicitVRLittleEndian ? inflateRaw(bytes) : bytes;
      for (const cut of [1, 2, 5, 9, Math.floor(plain.length / 2)]) {
        const short = plain.subarray(0, plain.length - cut);
        const input = ts === TransferSyntax.DeflatedExplicitVRLittleEndian ? deflateRaw(short) : short;
        expectError(() => decodeDataset(input, ts), 'DATASET_DECODE_FAILED');
      }
    });
  }

  it('rejects a value length that overruns the buffer (dcmjs alone would truncate it)', () => {
    // (0010,0010) implicit, length 0xFFFF but only 2 value bytes.
    const bytes = new Uint8Array([0x10, 0x00, 0x10, 0x00, 0xff, 0xff, 0x00, 0x00, 0x41, 0x42]);
    expect(expectError(() => decodeDataset(bytes, TransferSyntax.ImplicitVRLittleEndian), 'DATASET_DECODE_FAILED').message).toMatch(/offset 0: length 65535 overruns/);
  });

  it('random corruption only ever throws DimseError', () => {
    const good = encodeDataset(sample(), TransferSyntax.ExplicitVRLittleEndian);
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 300; i++) {
      const bytes = good.slice();
      for (let k = 0; k < 2; k++) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
      for (const ts of [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]) {
        try {
          decodeDataset(bytes, ts);
        } catch (e) {
          expect(e).toBeInstanceOf(DimseError);
        }
      }
    }
  });

  it('pads a deflated data set to even length (PS3.5 A.5), and reads it back', async () => {
    const { evenDeflated } = await import('../../src/dataset/even-length');
    let odd = 0;
    for (let n = 0; n < 40; n++) {
      const ds = { PatientID: 'x'.repeat(n), StudyDescription: String(n * 7919) };
      const raw = deflateRawPako(encodeDataset(ds, TransferSyntax.ExplicitVRLittleEndian));
      if (raw.length & 1) odd++;
      const bytes = encodeDataset(ds, TransferSyntax.DeflatedExplicitVRLittleEndian);
      expect(bytes.length % 2).toBe(0);
      expect(decodeDataset(bytes, TransferSyntax.DeflatedExplicitVRLittleEndian)).toEqual(ds);
      // A deflated data set from elsewhere, odd: padded when sent (as bytes or as a stream).
      const sentBytes = evenDeflated(raw) as Uint8Array;
      const chunks: Uint8Array[] = [];
      const stream = evenDeflated((async function* () { yield raw.subarray(0, 3); yield raw.subarray(3); })()) as AsyncIterable<Uint8Array>;
      for await (const c of stream) chunks.push(c);
      expect([sentBytes.length % 2, concat(chunks).length % 2, [...concat(chunks).subarray(0, raw.length)]]).toEqual([0, 0, [...raw]]);
    }
    expect(odd).toBeGreaterThan(5);
  });

  it('rejects corrupt or oversized deflated data', () => {
    expectError(() => decodeDataset(new Uint8Array([0xff, 0xff, 0xff, 0xff]), TransferSyntax.DeflatedExplicitVRLittleEndian), 'DATASET_DECODE_FAILED');
    const deflated = deflateRaw(new Uint8Array(1 << 20)); // 1 MiB of zeros -> ~1 KiB
    expect(deflated.length).toBeLessThan(4096);
    expect(inflateRaw(deflated).length).toBe(1 << 20);
    expectError(() => inflateRaw(deflated, 1000), 'DATASET_DECODE_FAILED');
    expectError(() => decodeDataset(deflated, TransferSyntax.DeflatedExplicitVRLittleEndian, { maxInflatedLength: 1000 }), 'DATASET_DECODE_FAILED');
    expectError(() => inflateRaw(deflated.subarray(0, deflated.length - 4)), 'DATASET_DECODE_FAILED'); // truncated
  });
});

describe('bulk values (OB, OW, …) and Pixel Data', () => {
  const bytesOf = (v: unknown): number[] => [...new Uint8Array(v as ArrayBuffer)];
  const NATIVE = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRBigEndian, TransferSyntax.DeflatedExplicitVRLittleEndian];

  it('writes exactly the bytes of a view: a subarray, a pooled Node Buffer (dcmjs wrote from the start of the whole ArrayBuffer)', () => {
    const whole = Uint8Array.from({ length: 64 }, (_, i) => i);
    const pooled = Buffer.from([0xa1, 0xa2, 0xa3, 0xa4]); // shares Node's 8 KiB pool, at an offset
    expect(pooled.byteOffset).toBeGreaterThan(0);
    const cases: [Record<string, unknown>, number[]][] = [
      [{ PixelData: whole.subarray(10, 14), _vrMap: { PixelData: 'OB' } }, [10, 11, 12, 13]],
      [{ PixelData: [pooled], _vrMap: { PixelData: 'OB' } }, [0xa1, 0xa2, 0xa3, 0xa4]],
      [{ EncapsulatedDocument: [whole.subarray(20, 23)] }, [20, 21, 22, 0]],
      [{ PixelData: [whole.subarray(10, 14)] }, [10, 11, 12, 13]], // "OB or OW": written as OW
    ];
    for (const ts of NATIVE) {
      for (const [ds, expected] of cases) {
        const back = decodeDataset(encodeDataset(ds, ts), ts);
        const value = (back.PixelData ?? back.EncapsulatedDocument) as unknown[];
        expect([ts, bytesOf(value[0])]).toEqual([ts, expected]);
      }
    }
  });

  it('joins several values of a bulk element in a native encoding into one (dcmjs wrote the first only)', () => {
    for (const ts of NATIVE) {
      const back = decodeDataset(encodeDataset({ EncapsulatedDocument: [Uint8Array.of(1, 2), new Uint8Array([3, 4, 5]).buffer] }, ts), ts);
      expect([ts, bytesOf((back.EncapsulatedDocument as unknown[])[0])]).toEqual([ts, [1, 2, 3, 4, 5, 0]]);
    }
  });

  it('writes Pixel Data of an encapsulated syntax as fragments: OB of undefined length, offset table, one fragment per frame', () => {
    const frames = [Uint8Array.of(0xff, 0xd8, 0xff, 0xd9), new Uint8Array(new ArrayBuffer(16), 5, 3).fill(7)];
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
    for (const ds of [{ PixelData: frames }, { PixelData: frames, _vrMap: { PixelData: 'OW' } }]) {
      const bytes = encodeDataset(ds, TransferSyntax.JPEGBaseline8Bit);
      expect(hex(bytes)).toBe(
        'e07f1000' + '4f420000' + 'ffffffff' + // (7FE0,0010) OB, undefined length
          'feff00e0' + '08000000' + '00000000' + '0c000000' + // Basic Offset Table: 0, 8 + 4
          'feff00e0' + '04000000' + 'ffd8ffd9' +
          'feff00e0' + '04000000' + '07070700' + // 3 bytes, padded
          'feffdde0' + '00000000',
      );
      const back = decodeDataset(bytes, TransferSyntax.JPEGBaseline8Bit);
      expect((back.PixelData as unknown[]).map(bytesOf)).toEqual([[0xff, 0xd8, 0xff, 0xd9], [7, 7, 7, 0]]);
    }
    // The same data set in a native syntax: one OW value.
    expect(bytesOf((decodeDataset(encodeDataset({ PixelData: frames }, TransferSyntax.ExplicitVRLittleEndian), TransferSyntax.ExplicitVRLittleEndian).PixelData as unknown[])[0])).toEqual([0xff, 0xd8, 0xff, 0xd9, 7, 7, 7, 0]);
  });

  it('gives and takes OW, OF, OD values in little-endian byte order, Big Endian data sets included (PS3.5 §7.3)', () => {
    const BIG = TransferSyntax.ExplicitVRBigEndian;
    const value = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    for (const [keyword, onWire] of [['PixelData', [2, 1, 4, 3, 6, 5, 8, 7]], ['FloatPixelData', [4, 3, 2, 1, 8, 7, 6, 5]], ['DoubleFloatPixelData', [8, 7, 6, 5, 4, 3, 2, 1]], ['EncapsulatedDocument', [1, 2, 3, 4, 5, 6, 7, 8]]] as const) {
      const bytes = encodeDataset({ [keyword]: [value] }, BIG);
      expect([keyword, [...bytes.subarray(bytes.length - 8)]]).toEqual([keyword, onWire]);
      expect([keyword, bytesOf((decodeDataset(bytes, BIG)[keyword] as unknown[])[0])]).toEqual([keyword, [...value]]);
      // The same value in Little Endian: as given.
      const le = encodeDataset({ [keyword]: [value] }, TransferSyntax.ExplicitVRLittleEndian);
      expect([keyword, [...le.subarray(le.length - 8)]]).toEqual([keyword, [...value]]);
    }
  });

  it('round-trips bulk values given in any shape, in every syntax (property)', () => {
    const part = fc.tuple(fc.uint8Array({ maxLength: 9 }), fc.nat(5), fc.constantFrom('view', 'buffer', 'node')).map(([bytes, offset, shape]) => {
      const whole = new Uint8Array(bytes.length + offset + 3).fill(0xee);
      whole.set(bytes, offset);
      const view = whole.subarray(offset, offset + bytes.length);
      return { bytes, value: shape === 'view' ? view : shape === 'buffer' ? view.slice().buffer : Buffer.from(view) };
    });
    const SYNTAX = fc.constantFrom(...NATIVE, TransferSyntax.JPEGBaseline8Bit, TransferSyntax.RLELossless);
    const padded = (b: number[]): number[] => (b.length & 1 ? [...b, 0] : b);
    fc.assert(
      fc.property(SYNTAX, fc.array(part, { minLength: 1, maxLength: 3 }), fc.array(part, { maxLength: 2 }), (ts, pixels, doc) => {
        const ds: Record<string, unknown> = { PixelData: pixels.map((p) => p.value), EncapsulatedDocument: doc.map((p) => p.value) };
        const back = decodeDataset(encodeDataset(ds, ts), ts);
        const joined = (parts: { bytes: Uint8Array }[]): number[] => padded(parts.flatMap((p) => [...p.bytes]));
        const encapsulated = ts === TransferSyntax.JPEGBaseline8Bit || ts === TransferSyntax.RLELossless;
        // Encapsulated: one fragment per frame (an empty frame is an empty fragment); native: one value.
        const pixelsBack = (back.PixelData as unknown[]).map(bytesOf);
        expect(pixelsBack).toEqual(encapsulated ? pixels.map((p) => padded([...p.bytes])) : [joined(pixels)]);
        const docBack = ((back.EncapsulatedDocument as unknown[] | undefined) ?? []).map(bytesOf).filter((b) => b.length > 0);
        expect(docBack).toEqual(joined(doc).length ? [joined(doc)] : []);
      }),
      { numRuns: 300 },
    );
  });

  it('writes text in the named set in data sets with bulk values too', () => {
    const bytes = encodeDataset({ SpecificCharacterSet: 'ISO_IR 100', PatientName: 'Müller', PixelData: [Uint8Array.of(1, 2)] }, TransferSyntax.ExplicitVRLittleEndian);
    expect(Buffer.from(bytes).toString('latin1')).toContain('M\xfcller');
    expect(String(decodeDataset(bytes, TransferSyntax.ExplicitVRLittleEndian).PatientName)).toBe('Müller');
  });
});

describe('Part 10', () => {

  for (const [label, ts] of SYNTAXES) {
    it(`writes and reads back a ${label} file without re-encoding the data set`, () => {
      const dataset = encodeDataset(sample(), ts);
      const chunks = writePart10({ transferSyntaxUid: ts, sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3.4.5.6.7', dataset, sourceAeTitle: 'NETDICOM' });
      expect(chunks[2]).toBe(dataset);
      const file = concat(chunks);
      expect(String.fromCharCode(...file.subarray(128, 132))).toBe('DICM');
      const part10 = readPart10(file);
      expect(part10.transferSyntaxUid).toBe(ts);
      expect(part10.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.2');
      expect(part10.sopInstanceUid).toBe('1.2.3.4.5.6.7');
      expect(part10.meta.SourceApplicationEntityTitle).toBe('NETDICOM');
      expect(typeof part10.meta.ImplementationClassUID).toBe('string');
      expect(part10.dataset).toEqual(dataset);
      expect(part10.dataset.buffer).toBe(file.buffer); // a view
      expect(decodeDataset(part10.dataset, part10.transferSyntaxUid)).toEqual(sample());
    });
  }

  it('writes a correct group length and even-length meta elements', () => {
    const [, meta] = writePart10({ transferSyntaxUid: '1.2.840.10008.1.2.1', sopClassUid: '1.2.3', sopInstanceUid: '1.2.34', dataset: new Uint8Array(0) });
    const dv = new DataView(meta!.buffer, meta!.byteOffset);
    expect(dv.getUint32(8, true)).toBe(meta!.length - 12);
    expect(meta!.length % 2).toBe(0);
  });

  it('rejects files that are not Part 10 or lack meta UIDs', () => {
    expectError(() => readPart10(new Uint8Array(100)), 'DATASET_DECODE_FAILED');
    expectError(() => readPart10(new Uint8Array(200)), 'DATASET_DECODE_FAILED');
    const noMeta = new Uint8Array(140);
    noMeta.set([0x44, 0x49, 0x43, 0x4d], 128);
    noMeta.set([0x08, 0x00, 0x10, 0x00], 132);
    expectError(() => readPart10(noMeta), 'DATASET_DECODE_FAILED');
    const file = concat(writePart10({ transferSyntaxUid: '1.2.840.10008.1.2', sopClassUid: '1.2.3', sopInstanceUid: '1.2.4', dataset: new Uint8Array(0) }));
    expectError(() => readPart10(file.subarray(0, file.length - 3)), 'DATASET_DECODE_FAILED'); // meta element overrun
  });

  it('reads a file\'s identity from its meta group by hand, as readPart10 does', () => {
    const dataset = encodeDataset(sample(), '1.2.840.10008.1.2.1');
    const file = concat(writePart10({ transferSyntaxUid: '1.2.840.10008.1.2.1', sopClassUid: '1.2.840.10008.5.1.4.1.1.7', sopInstanceUid: '1.2.3.45', dataset }));
    const identity = readPart10Identity(file);
    const part10 = readPart10(file);
    expect(identity).toEqual({ sopClassUid: part10.sopClassUid, sopInstanceUid: '1.2.3.45', transferSyntaxUid: part10.transferSyntaxUid, datasetOffset: file.length - dataset.length });
    expect(identity.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.7');
  });

  it('names the missing UID and the overrun when the meta group is short or incomplete', () => {
    const withoutInstance = concat([new Uint8Array(128), new Uint8Array([0x44, 0x49, 0x43, 0x4d]),
      new Uint8Array([0x02, 0x00, 0x02, 0x00, 0x55, 0x49, 0x04, 0x00, 0x31, 0x2e, 0x32, 0x00]),
      new Uint8Array([0x02, 0x00, 0x10, 0x00, 0x55, 0x49, 0x04, 0x00, 0x31, 0x2e, 0x32, 0x20])]);
    expect(() => readPart10Identity(withoutInstance)).toThrow(/no MediaStorageSOPInstanceUID/);
    expect(() => readPart10Identity(withoutInstance.subarray(0, withoutInstance.length - 1))).toThrow(/overruns/);
    expect(() => readPart10Identity(new Uint8Array(132))).toThrow(/DICM/);
  });
});

describe('single-valued text VRs (PS3.5 §6.4)', () => {
  it('keeps backslashes in LT, ST, UT and UR values, in every syntax and in items (dcmjs splits ST, UT, UR)', () => {
    const texts = { PatientComments: 'C:\\images\\a.dcm', InstitutionAddress: 'Main St.\\2', TextValue: 'x\\y\\z', RetrieveURL: 'http://h/a\\b' };
    const ds = { ...texts, StudyDescription: 'one\\two', OtherPatientIDsSequence: [{ ...texts }] };
    for (const [, ts] of SYNTAXES) {
      const back = decodeDataset(encodeDataset(ds, ts), ts);
      for (const [k, v] of Object.entries(texts)) {
        expect(back[k]).toBe(v);
        expect((back.OtherPatientIDsSequence as Record<string, unknown>[])[0]![k]).toBe(v);
      }
      expect(back.StudyDescription).toEqual(['one', 'two']); // LO is multi-valued
    }
  });

  it('trims each value of a multi-valued AE, CS, LO or SH, not only the whole text (dcmjs)', () => {
    const ds = { StudyDescription: ' one \\ two ', ImageType: ['ORIGINAL ', ' PRIMARY'], RetrieveAETitle: ['AE1 ', ' AE2'], StationName: 'A\\ B', PatientComments: ' keep \\ as is ' };
    for (const [, ts] of SYNTAXES) {
      const back = decodeDataset(encodeDataset(ds, ts), ts);
      expect([back.StudyDescription, back.ImageType, back.RetrieveAETitle, back.StationName]).toEqual([['one', 'two'], ['ORIGINAL', 'PRIMARY'], ['AE1', 'AE2'], ['A', 'B']]);
      expect(back.PatientComments).toBe(' keep \\ as is'); // LT: one value, leading spaces kept
    }
  });

  it('writes a backslash-delimited string of a multi-valued VR as its values, none cut to one value’s length (dcmjs cut the whole text)', () => {
    const uids = ['1.2.826.0.1.3680043.9.7433.77.1.2.3.4.5.6.7.8.9.10.11.12', '1.2.826.0.1.3680043.9.7433.77.1.2.3.4.5.6.7.8.9.10.11.13'];
    const ds = {
      StudyInstanceUID: uids.join('\\'), // UI: 64 characters each, 117 together
      ImageType: 'ORIGINAL\\PRIMARY\\AXIAL', // CS: 16
      RetrieveAETitle: 'ARCHIVE_AE_1234\\ARCHIVE_AE_5678', // AE: 16
      PixelSpacing: '0.123456789012\\0.123456789012', // DS: 16
      OperatorsName: 'DOE^JOHN\\ROE^JANE',
    };
    for (const [, ts] of SYNTAXES) {
      for (const back of [decodeDataset(encodeDataset(ds, ts), ts), (decodeDataset(encodeDataset({ OtherPatientIDsSequence: [ds] }, ts), ts).OtherPatientIDsSequence as Record<string, unknown>[])[0]!]) {
        expect([back.StudyInstanceUID, back.ImageType, back.RetrieveAETitle, back.PixelSpacing]).toEqual([uids, ['ORIGINAL', 'PRIMARY', 'AXIAL'], ['ARCHIVE_AE_1234', 'ARCHIVE_AE_5678'], [0.123456789012, 0.123456789012]]);
        expect(String(back.OperatorsName)).toBe('DOE^JOHN\\ROE^JANE');
      }
    }
    expect(ds.ImageType).toBe('ORIGINAL\\PRIMARY\\AXIAL'); // the caller's object is left as it was
  });

  it('reads a UR value without its pad space (trailing spaces are not part of it)', () => {
    for (const [, ts] of SYNTAXES) {
      for (const url of ['http://h/odd', 'http://h/even', 'http://h/a\\b']) {
        const back = decodeDataset(encodeDataset({ RetrieveURL: url, OtherPatientIDsSequence: [{ RetrieveURL: url }] }, ts), ts);
        expect([back.RetrieveURL, (back.OtherPatientIDsSequence as Record<string, unknown>[])[0]!.RetrieveURL]).toEqual([url, url]);
      }
    }
  });
});
