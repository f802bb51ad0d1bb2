/**
 * encodeMetaGroup (src/dataset/meta.ts), written byte by byte into one array: the File Meta
 * Information group of PS3.10 Table 7.1-1 in Explicit VR Little Endian, checked against bytes
 * worked out by hand, and read back by readPart10Identity.
 */
import { describe, expect, it } from 'vitest';
import { PART10_PREFIX, encodeMetaGroup, readPart10Identity } from '../../src/dataset/meta';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('encodeMetaGroup', () => {
  it('writes the group length, version, UIDs padded with NUL and SH/AE padded with a space', () => {
    const bytes = encodeMetaGroup({
      MediaStorageSOPClassUID: '1.2',
      MediaStorageSOPInstanceUID: '1.23',
      TransferSyntaxUID: '1.2.840.10008.1.2',
      ImplementationClassUID: '1.2.3',
      ImplementationVersionName: 'NETDICOM',
      SourceApplicationEntityTitle: 'SCU',
    });
    const expected = [
      '0200 0000 554c 0400 6a000000', // (0002,0000) UL 4: 106 bytes follow
      '0200 0100 4f42 0000 02000000 0001', // (0002,0001) OB: 00 01
      '0200 0200 5549 0400 312e3200', // "1.2" + NUL
      '0200 0300 5549 0400 312e3233', // "1.23"
      '0200 1000 5549 1200 312e322e3834302e31303030382e312e3200', // 17 characters + NUL
      '0200 1200 5549 0600 312e322e3300', // "1.2.3" + NUL
      '0200 1300 5348 0800 4e455444 49434f4d', // "NETDICOM"
      '0200 1600 4145 0400 53435520', // "SCU" + space
    ].join('').replace(/ /g, '');
    expect(hex(bytes)).toBe(expected);
  });

  it('writes a non-ASCII value as UTF-8, and reads back through readPart10Identity', () => {
    const meta = encodeMetaGroup({
      MediaStorageSOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
      MediaStorageSOPInstanceUID: '1.2.3.4',
      TransferSyntaxUID: '1.2.840.10008.1.2.1',
      ImplementationClassUID: '1.2.3',
      SourceApplicationEntityTitle: 'Größe',
    });
    const ae = Buffer.from('Größe', 'utf8'); // 7 bytes: padded to 8
    const at = hex(meta).indexOf('02001600');
    expect(hex(meta).slice(at, at + 16 + 16)).toBe(`0200160041450800${ae.toString('hex')}20`);
    const file = new Uint8Array(132 + meta.length + 8);
    file.set(PART10_PREFIX, 128);
    file.set(meta, 132);
    expect(readPart10Identity(file)).toMatchObject({ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3.4', transferSyntaxUid: '1.2.840.10008.1.2.1', datasetOffset: 132 + meta.length });
  });
});

describe('readPart10Identity', () => {
  /** A Part 10 head: preamble, "DICM", then the given group 0002 elements. */
  const part10 = (...elements: string[]) => {
    const meta = Buffer.from(elements.join('').replace(/ /g, ''), 'hex');
    const file = new Uint8Array(132 + meta.length);
    file.set(PART10_PREFIX, 128);
    file.set(meta, 132);
    return file;
  };
  const CLASS = '0200 0200 5549 0400 312e3200'; // "1.2" + NUL
  const INSTANCE = '0200 0300 5549 0400 20312e33'; // " 1.3": a leading space is trimmed
  const SYNTAX = '0200 1000 5549 0400 312e3420'; // "1.4" + a space (non-conformant padding), trimmed
  const VERSION = '0200 0100 4f42 0000 02000000 0001'; // OB: 2 reserved bytes and a 32-bit length

  it('skips long-VR elements by their 32-bit length and trims UID padding', () => {
    const file = part10(VERSION, CLASS, INSTANCE, SYNTAX, '0200 1300 5348 0200 4142');
    expect(readPart10Identity(file)).toEqual({ sopClassUid: '1.2', sopInstanceUid: '1.3', transferSyntaxUid: '1.4', datasetOffset: file.length });
  });

  it('names a missing UID, and refuses a file without "DICM" or an element that overruns it', () => {
    expect(() => readPart10Identity(part10(VERSION, CLASS, SYNTAX))).toThrow('has no MediaStorageSOPInstanceUID');
    expect(() => readPart10Identity(part10(VERSION, INSTANCE, SYNTAX))).toThrow('has no MediaStorageSOPClassUID');
    expect(() => readPart10Identity(part10(CLASS, INSTANCE))).toThrow('has no TransferSyntaxUID');
    const noPrefix = part10(CLASS, INSTANCE, SYNTAX);
    noPrefix[131] = 0x58;
    expect(() => readPart10Identity(noPrefix)).toThrow('no "DICM" prefix');
    expect(() => readPart10Identity(part10(CLASS, '0200 0300 5549 4000 312e33'))).toThrow('overruns the file');
  });
});
