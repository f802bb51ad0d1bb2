/**
 * UIDs from items (PS3.8 Annex F) through the table of recently seen ones: the same text as a
 * fresh decode whatever came before, whichever bytes share a slot, and whatever the caller does
 * with its buffer afterwards.
 */
import { describe, expect, it } from 'vitest';
import { decodeUid, decodeUidIn } from '../../src/bytes/text';

const bytesOf = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('decodeUid with the table of recent UIDs', () => {
  it('gives each UID its own text, repeated or not, in any order', () => {
    // Same length, same last four characters, so the same slot: each must still come out as itself.
    const uids = ['1.2.840.10008.1.2.1', '1.2.840.10008.9.2.1', '2.2.840.10008.1.2.1', '1.2.840.10008.1.2', '1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.1.2.1'];
    for (let round = 0; round < 3; round++) for (const uid of uids) expect(decodeUid(bytesOf(uid))).toBe(uid);
    const all = Array.from({ length: 2000 }, (_, i) => `1.2.826.0.1.3680043.9.${i % 700}.${i}`);
    for (const uid of [...all, ...all.reverse()]) expect(decodeUid(bytesOf(uid))).toBe(uid);
  });
  it('reads a range of a larger buffer, without its NUL or space padding', () => {
    const buffer = bytesOf('xx1.2.3.4\0yy1.2.3.4  zz');
    expect(decodeUidIn(buffer, 2, 10)).toBe('1.2.3.4');
    expect(decodeUidIn(buffer, 12, 21)).toBe('1.2.3.4');
    expect(decodeUidIn(buffer, 2, 2)).toBe('');
    expect(decodeUid(bytesOf('\0\0'))).toBe('');
  });
  it('keeps its own copy: a buffer reused after a decode does not change what the next one gives', () => {
    // A UID no other test decodes, so that this buffer is the one the table saw first.
    const buffer = bytesOf('1.2.3.99887766.5.4');
    expect(decodeUid(buffer)).toBe('1.2.3.99887766.5.4');
    buffer.set(bytesOf('1.2.3.11'));
    expect(decodeUid(buffer)).toBe('1.2.3.11887766.5.4');
    expect(decodeUid(bytesOf('1.2.3.99887766.5.4'))).toBe('1.2.3.99887766.5.4');
  });
  it('decodes values over 64 bytes and bytes beyond ASCII one character per byte', () => {
    const long = `1.${'2'.repeat(70)}`;
    expect(decodeUid(bytesOf(long))).toBe(long);
    expect(decodeUid(Uint8Array.of(0x31, 0x2e, 0x80, 0x9f, 0xff))).toBe('1.\x80\x9f\xff');
    expect(decodeUid(Uint8Array.of(0x31, 0x2e, 0x80, 0x9f, 0xff))).toBe('1.\x80\x9f\xff');
  });
});

describe('UIDs written into items', () => {
  it('refuses a character that is not one byte, as encodeAscii does', async () => {
    const { encodePdu } = await import('../../src/pdu/encode');
    const rq = (abstractSyntax: string) => encodePdu({
      type: 'A-ASSOCIATE-RQ', protocolVersion: 1, calledAeTitle: 'A', callingAeTitle: 'B', applicationContextName: '1.2.840.10008.3.1.1.1',
      presentationContexts: [{ id: 1, abstractSyntax, transferSyntaxes: ['1.2.840.10008.1.2'] }], userInformation: { maxLength: 16384 },
    });
    expect(() => rq('1.2.€')).toThrow(/UID has a character that is not one byte/);
    const bytes = rq('1.2.840.10008.1.1');
    expect(String.fromCharCode(...bytes)).toContain('\x30\x00\x00\x111.2.840.10008.1.1'); // item 30H, reserved, length 17, the UID
  });
});
