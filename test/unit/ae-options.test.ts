/**
 * ApplicationEntity option validation: maxPduLength is 0 (no limit) or 4096..16 MiB
 * (reliability.md §5), refused with a RangeError before anything is sent.
 */
import { describe, expect, it } from 'vitest';
import { ApplicationEntity } from '../../src/ae';
import { createMemoryPair } from '../../adapters/memory';
import { RQ_OK } from '../fixtures/pdus';
import { ScriptedPeer, toHex } from './helpers/scripted-peer';

const VERIFICATION = '1.2.840.10008.1.1';

describe('maxPduLength', () => {
  it.each([1, 100, 4095, 16 * 1024 * 1024 + 1, 100 * 1024 * 1024, 2 ** 32 - 1, -1, 4096.5, Number.NaN, Infinity])('%s → RangeError', (maxPduLength) => {
    expect(() => new ApplicationEntity({ maxPduLength })).toThrow(RangeError);
    expect(() => new ApplicationEntity({ maxPduLength })).toThrow(/maxPduLength must be 0 \(no limit\) or an integer from 4096 to 16777216/);
  });

  it.each([0, 4096, 16384, 1024 * 1024, 16 * 1024 * 1024])('%s is accepted', (maxPduLength) => {
    expect(new ApplicationEntity({ maxPduLength }).options.maxPduLength).toBe(maxPduLength);
  });

  it('0 (no limit) is capped at 16 MiB: a longer P-DATA-TF header is answered A-ABORT (2,6) at once', async () => {
    const [c, s] = createMemoryPair();
    void new ApplicationEntity({ aeTitle: 'NETDICOM', maxPduLength: 0 }).addSupportedContext(VERIFICATION).handle(s);
    const peer = new ScriptedPeer(c);
    peer.send(RQ_OK);
    await until(() => peer.pdus.length > 0);
    expect(peer.take()?.type).toBe(0x02);
    peer.send('04 00 01 00 00 01'); // 16 MiB + 1
    await until(() => peer.pdus.length > 0);
    expect(toHex(peer.take()!.bytes)).toBe('07 00 00 00 00 04 00 00 02 06');
  });
});

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
}
