import { describe, expect, it, vi } from 'vitest';
import { RecentText } from '../../src/bytes/recent-text';
import { decodeCommand, encodeCommand } from '../../src/dimse/command-set';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const latin1 = (b: Uint8Array) => String.fromCharCode(...b);

describe('RecentText', () => {
  it('decodes a repeat by comparing, not decoding', () => {
    const recent = new RecentText();
    const decode = vi.fn(latin1);
    const bytes = ascii('xx1.2.840.10008.1.1yy');
    expect(recent.decode(bytes, 2, 19, decode)).toBe('1.2.840.10008.1.1');
    expect(recent.decode(ascii('1.2.840.10008.1.1'), 0, 17, decode)).toBe('1.2.840.10008.1.1');
    expect(decode).toHaveBeenCalledTimes(1);
  });

  it('decodes bytes that differ, at any position, and of another length', () => {
    const recent = new RecentText();
    const decode = vi.fn(latin1);
    recent.decode(ascii('1.2.3.4'), 0, 7, decode);
    expect(recent.decode(ascii('9.2.3.4'), 0, 7, decode)).toBe('9.2.3.4');
    expect(recent.decode(ascii('9.2.3.5'), 0, 7, decode)).toBe('9.2.3.5');
    expect(recent.decode(ascii('9.2.3.5.6'), 0, 9, decode)).toBe('9.2.3.5.6');
    expect(decode).toHaveBeenCalledTimes(4);
  });

  it('keeps a copy: memory reused by the caller after a decode is not mistaken for a repeat', () => {
    const recent = new RecentText();
    const buffer = ascii('1.2.3.4');
    expect(recent.decode(buffer, 0, 7, latin1)).toBe('1.2.3.4');
    buffer.set(ascii('5.6.7.8'));
    expect(recent.decode(buffer, 0, 7, latin1)).toBe('5.6.7.8');
  });

  it('decodes values longer than a UID every time, correctly', () => {
    const recent = new RecentText();
    const decode = vi.fn(latin1);
    const long = ascii('A'.repeat(65));
    expect(recent.decode(long, 0, 65, decode)).toBe('A'.repeat(65));
    expect(recent.decode(long, 0, 65, decode)).toBe('A'.repeat(65));
    expect(decode).toHaveBeenCalledTimes(2);
    // A kept shorter value is still served after them.
    recent.decode(ascii('1.2'), 0, 3, decode);
    expect(recent.decode(ascii('1.2'), 0, 3, decode)).toBe('1.2');
    expect(decode).toHaveBeenCalledTimes(3);
  });
});

describe('decodeCommand with repeated values', () => {
  it('gives each message its own values when they change from message to message', () => {
    const rq = (uid: string, dest: string) => encodeCommand({ CommandField: 0x0021, MessageID: 1, CommandDataSetType: 0x0001, AffectedSOPClassUID: uid, MoveDestination: dest, Priority: 0 });
    expect(decodeCommand(rq('1.2.840.10008.5.1.4.1.2.2.2', 'DEST_A')).AffectedSOPClassUID).toBe('1.2.840.10008.5.1.4.1.2.2.2');
    const second = decodeCommand(rq('1.2.840.10008.5.1.4.1.2.2.3', 'DEST_B'));
    expect(second.AffectedSOPClassUID).toBe('1.2.840.10008.5.1.4.1.2.2.3');
    expect(second.MoveDestination).toBe('DEST_B');
    const third = decodeCommand(rq('1.2.840.10008.5.1.4.1.2.2.3', 'DEST_B'));
    expect(third).toEqual(second);
  });

  it('a UID written into reused memory decodes to the new value (the kept bytes are a copy)', () => {
    const bytes = encodeCommand({ CommandField: 0x0030, MessageID: 1, CommandDataSetType: 0x0101, AffectedSOPClassUID: '1.2.840.10008.1.1' });
    expect(decodeCommand(bytes).AffectedSOPClassUID).toBe('1.2.840.10008.1.1');
    const at = latin1(bytes).indexOf('1.2.840.10008.1.1');
    bytes[at + 16] = '2'.charCodeAt(0);
    expect(decodeCommand(bytes).AffectedSOPClassUID).toBe('1.2.840.10008.1.2');
  });
});
