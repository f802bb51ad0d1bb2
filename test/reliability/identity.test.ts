/**
 * User Identity negotiation (58H, PS3.7 D.3.3.7, Table D.3-14) against a netdicom SCP over TCP
 * (reliability.md §3.11 U-03, U-04), with and without a `verifyUserIdentity` hook. Pinned:
 * - U-03: a sub-item whose fields break Table D.3-14 (a type other than 2 with a secondary field,
 *   a primary-field length past the sub-item) is malformed: A-ABORT (0,0), the answer to a
 *   malformed A-ASSOCIATE-RQ in Sta2; the hook never runs. Type 2 with an empty passcode is not:
 *   the table only says the secondary field is non-zero "only if" the type is 2.
 * - U-04: a reserved type (0, 6..FFH) is refused A-ASSOCIATE-RJ (1,1,1), the answer to a refused
 *   identity, as dcm4chee-arc's negotiators give it; the hook never runs.
 * Well-formed types 1, 2 and 5 still associate (the checks refuse nothing valid).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHostile } from './helpers/case';
import { printFigures, record } from './helpers/figures';
import { ABORT_0_0, concat, fixLength, RQ_OK, startScp, type TestScp } from './helpers/scp';
import { associate } from './helpers/session';
import { TcpPeer } from './helpers/tcp-peer';

const U = 'user identity (U)';
const RJ_1_1_1 = '03 00 00 00 00 04 00 01 01 01';
const enc = (s: string) => new TextEncoder().encode(s);
const none = new Uint8Array(0);

/** RQ_OK with a 58H sub-item appended to its user information item (at 149; sub-items from 153). */
function withIdentity(type: number, primary: Uint8Array, secondary: Uint8Array, primaryLength = primary.length): Uint8Array {
  const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
  const value = concat(Uint8Array.of(type, 0), u16(primaryLength), primary, u16(secondary.length), secondary);
  const subItems = concat(RQ_OK.subarray(153), Uint8Array.of(0x58, 0), u16(value.length), value);
  return fixLength(concat(RQ_OK.subarray(0, 149), Uint8Array.of(0x50, 0), u16(subItems.length), subItems));
}

const MALFORMED: [string, Uint8Array][] = [
  ['type 1 (username) with a secondary field', withIdentity(1, enc('alice'), enc('secret'))],
  ['type 5 (JWT) with a secondary field', withIdentity(5, enc('a.b.c'), enc('x'))],
  ['primary-field length FFFFH with 3 bytes', withIdentity(1, enc('ABC'), none, 0xffff)],
];
const RESERVED: [string, Uint8Array][] = [
  ['type 0', withIdentity(0, enc('alice'), none)],
  ['type 6', withIdentity(6, enc('alice'), none)],
  ['type FFH', withIdentity(0xff, enc('alice'), none)],
  ['type 6 with a secondary field (a reserved type is refused, whatever its fields)', withIdentity(6, enc('alice'), enc('secret'))],
];

const SETUPS = ['without a verifier', 'with a verifier that accepts all'] as const;
const scps = {} as Record<(typeof SETUPS)[number], TestScp>;
const verified: number[] = [];
beforeAll(async () => {
  scps['without a verifier'] = await startScp();
  scps['with a verifier that accepts all'] = await startScp({}, {}, { verifyUserIdentity: (id) => (verified.push(id.identityType), true) });
});
afterAll(async () => {
  await Promise.all(Object.values(scps).map((s) => s.close()));
  printFigures();
});

describe.each(SETUPS)('58H user identity, %s', (which) => {
  it.each(MALFORMED)('U-03: %s → A-ABORT (0,0), the verifier not called', async (name, wire) => {
    const before = verified.length;
    await runHostile(scps[which], { id: `U-03 ${name} (${which})`, group: U, send: wire, answer: ABORT_0_0 });
    expect(verified.length).toBe(before);
  });

  it.each(RESERVED)('U-04: %s → A-ASSOCIATE-RJ (1,1,1), the verifier not called', async (name, wire) => {
    const before = verified.length;
    await runHostile(scps[which], { id: `U-04 ${name} (${which})`, group: U, send: wire, answer: RJ_1_1_1 });
    expect(verified.length).toBe(before);
  });

  it.each([
    ['type 1 username', withIdentity(1, enc('alice'), none), 1],
    ['type 2 username and passcode', withIdentity(2, enc('alice'), enc('secret')), 2],
    ['type 2 username and an empty passcode (for the verifier to judge)', withIdentity(2, enc('alice'), none), 2],
    ['type 5 JWT', withIdentity(5, enc('a.b.c'), none), 5],
  ])('well formed: %s → A-ASSOCIATE-AC', async (name, wire, type) => {
    const before = verified.length;
    const peer = await TcpPeer.connect(scps[which].port);
    await associate(peer, wire);
    peer.destroy();
    expect(verified.slice(before)).toEqual(which === 'without a verifier' ? [] : [type]);
    record(U, `accepted: ${name} (${which})`, true);
  });
});
