/**
 * Local input checked before anything is sent: AE titles (PS3.5 AE VR, PS3.8 Table 9-11), the
 * implementation class UID and version name (PS3.7 D.3.3.2), the number of contexts; and a
 * refused associate() closes the transport it was given instead of leaving it open.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import type { AssociateRqPdu } from '../../src/pdu/types';
import { ScriptedPeer } from './helpers/scripted-peer';

const VERIFICATION = '1.2.840.10008.1.1';
const IMPLICIT = '1.2.840.10008.1.2';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 'closed' once the transport has settled either way, 'open' if it is still open after `ms`. */
const settled = (closed: Promise<void>, ms = 300) =>
  Promise.race([closed.then(() => 'closed', () => 'closed'), sleep(ms).then(() => 'open')]);

function scu(options = {}) {
  return new ApplicationEntity({ aeTitle: 'SCU', acseTimeoutMs: 300, abortLingerMs: 50, ...options }).addRequestedContext(VERIFICATION);
}

describe('associate() refused locally closes the transport (nothing sent)', () => {
  const cases: [string, Parameters<ApplicationEntity['associate']>[1], RegExp][] = [
    ['a called AE title over 16 characters', { calledAeTitle: 'THIS-TITLE-IS-17X' }, /16 characters/],
    [
      'more than 128 presentation contexts',
      { contexts: Array.from({ length: 129 }, () => ({ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] })) },
      /129 presentation contexts requested; at most 128/,
    ],
    [
      'an item the RQ cannot encode (user identity over 64 KiB)',
      { userIdentity: { identityType: 1, positiveResponseRequested: false, primaryField: new Uint8Array(70000), secondaryField: new Uint8Array(0) } },
      /too long for a 2-byte length/,
    ],
  ];
  for (const [name, params, message] of cases) {
    it(name, async () => {
      const [a, b] = createMemoryPair();
      const peer = new ScriptedPeer(b);
      await expect(scu().associate(a, params)).rejects.toThrow(message);
      expect(await settled(a.closed)).toBe('closed');
      // The other end sees the connection go, without a PDU.
      expect(await settled(b.closed)).toBe('closed');
      expect(peer.ended).toBe(true);
      expect(peer.pdus).toHaveLength(0);
    });
  }
});

describe('AE titles (PS3.5 AE VR: 1-16 printable ASCII characters, no backslash, not all spaces)', () => {
  const invalid: [string, RegExp][] = [
    ['', /must be 1-16 characters, got ''/],
    ['    ', /must not be all spaces/],
    ['THIS-TITLE-IS-17X', /must be 1-16 characters/],
    ['A\\B', /has "\\\\"/],
    ['ÄÖÜ', /has "Ä"/],
    ['TAB\tX', /has "\\t"/],
  ];

  it('the AE constructor refuses an invalid title and accepts padded ones', () => {
    for (const [title, message] of invalid) expect(() => new ApplicationEntity({ aeTitle: title }), JSON.stringify(title)).toThrow(message);
    for (const title of ['SCU', ' PADDED ', 'STORESCU        ', 'lower_case-1.2']) expect(new ApplicationEntity({ aeTitle: title }).options.aeTitle).toBe(title);
  });

  it('associate() refuses an explicit invalid called or calling AE title before sending anything', async () => {
    for (const [title, message] of invalid) {
      for (const key of ['calledAeTitle', 'callingAeTitle'] as const) {
        const [a, b] = createMemoryPair();
        const peer = new ScriptedPeer(b);
        const what = key === 'calledAeTitle' ? 'called AE title' : 'calling AE title';
        const error: unknown = await scu().associate(a, { [key]: title }).catch((e: unknown) => e);
        expect(error, `${key} ${JSON.stringify(title)}`).toBeInstanceOf(RangeError);
        expect((error as Error).message.startsWith(what)).toBe(true);
        expect((error as Error).message).toMatch(message);
        expect(await settled(b.closed)).toBe('closed');
        expect(peer.pdus).toHaveLength(0);
      }
    }
  });

  it("an absent called AE title is sent as 'ANY-SCP'", async () => {
    const [a, b] = createMemoryPair();
    const peer = new ScriptedPeer(b);
    const pending = scu().associate(a).catch(() => undefined);
    while (peer.pdus.length === 0) await sleep(2);
    const rq = peer.takeDecoded() as AssociateRqPdu;
    expect([rq.calledAeTitle, rq.callingAeTitle]).toEqual(['ANY-SCP', 'SCU']);
    peer.rst();
    await pending;
  });
});

describe('implementation identity (PS3.7 D.3.3.2)', () => {
  it('refuses an implementation version name that is empty, over 16 characters or not printable ASCII', () => {
    for (const name of ['', 'THIS_NAME_IS_WAY_TOO_LONG_FOR_55H', 'NAME\u0000', 'NÄME']) {
      expect(() => new ApplicationEntity({ implementationVersionName: name }), JSON.stringify(name)).toThrow(/implementation version name must be 1-16 printable ASCII characters/);
    }
    expect(new ApplicationEntity({ implementationVersionName: 'EXACTLY_16_CHARS' }).options.implementationVersionName).toBe('EXACTLY_16_CHARS');
  });

  it('refuses an implementation class UID that is not a UID of at most 64 characters', () => {
    for (const uid of ['', 'abc', '1.2.03', '1..2', '1.2.', `1.${'2'.repeat(63)}`]) {
      expect(() => new ApplicationEntity({ implementationClassUid: uid }), JSON.stringify(uid)).toThrow(/implementation class UID must be a UID/);
    }
    expect(new ApplicationEntity({ implementationClassUid: `1.${'2'.repeat(62)}` }).options.implementationClassUid).toHaveLength(64);
    expect(new ApplicationEntity({ implementationClassUid: '1.2.0.10' }).options.implementationClassUid).toBe('1.2.0.10');
  });
});
