/**
 * Association negotiation edge cases over TCP (reliability.md §3.3, N) not already pinned at the
 * UL or codec level: unknown items, sub-item order, missing items, wrong application context,
 * Maximum Length edge values, 128 contexts and a duplicate ID, non-ASCII AE titles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHostile } from './helpers/case';
import { printFigures, record } from './helpers/figures';
import { ABORT_0_0, canary, concat, ECHO_OK, fixLength, patched, RQ_OK, startScp, type TestScp } from './helpers/scp';
import { associate } from './helpers/session';
import { hex, TcpPeer, toHex } from './helpers/tcp-peer';

let scp: TestScp;
beforeAll(async () => {
  scp = await startScp();
});
afterAll(async () => {
  await scp.close();
  printFigures();
});

const N = 'negotiation (N)';
const APP = RQ_OK.subarray(74, 99); // application context item
const PC1 = RQ_OK.subarray(99, 149); // presentation context item
const UI_BODY = RQ_OK.subarray(153); // user information sub-items (51H, 52H)
const FIXED = RQ_OK.subarray(0, 74);
const ui = (body: Uint8Array) => concat(Uint8Array.of(0x50, 0, body.length >> 8, body.length & 0xff), body);
const rq = (...items: Uint8Array[]) => fixLength(concat(FIXED, ...items));

/** Associates with `wire` and checks the C-ECHO works on PCID 1. */
async function accepted(id: string, wire: Uint8Array): Promise<Uint8Array> {
  const peer = await TcpPeer.connect(scp.port);
  const ac = await associate(peer, wire);
  peer.send(ECHO_OK);
  await peer.expectPdu(0x04, undefined, 1000);
  peer.destroy();
  record(N, id, true);
  return ac;
}

describe('N: accepted despite oddities the standard says to tolerate', () => {
  it('N-01: RQ_OK → AC echoing the AE titles of the RQ, PCID 1 accepted with Implicit VR LE', async () => {
    const ac = await accepted('N-01', RQ_OK);
    expect(toHex(ac.subarray(10, 42))).toBe(toHex(RQ_OK.subarray(10, 42)));
  });
  it('N-06: unknown item 11H between app context and PC, unknown sub-item 5FH → AC, items skipped', async () => {
    await accepted('N-06', rq(APP, hex('11 00 00 02 AA BB'), PC1, ui(concat(UI_BODY, hex('5F 00 00 04 01 02 03 04')))));
  });
  it('N-07: user-info sub-items in descending type order → AC', async () => {
    await accepted('N-07', rq(APP, PC1, ui(concat(UI_BODY.subarray(8), UI_BODY.subarray(0, 8)))));
  });
  it('N-04: protocol version FFFFH → AC (only bit 0 is tested)', async () => {
    await accepted('N-04', patched(RQ_OK, 6, 'FF FF'));
  });
  it.each([0, 8, 0xffffffff])('N-10: Maximum Length %i → AC and the echo answer fits', async (max) => {
    const body = Uint8Array.from(UI_BODY);
    new DataView(body.buffer).setUint32(4, max);
    await accepted(`N-10 max ${max}`, rq(APP, PC1, ui(body)));
  });
  it('N-11: 128 contexts (every odd ID 1..255) → AC with 128 answers', async () => {
    const pcs = Array.from({ length: 128 }, (_, i) => patched(PC1, 4, (2 * i + 1).toString(16).padStart(2, '0')));
    const ac = await accepted('N-11', rq(APP, ...pcs, ui(UI_BODY)));
    let count = 0;
    for (let off = 74; off < ac.length; ) {
      if (ac[off] === 0x21) count++;
      off += 4 + ((ac[off + 2]! << 8) | ac[off + 3]!);
    }
    expect(count).toBe(128);
  });
});

describe('N: refused', () => {
  it.each([1, 7])('N-10: Maximum Length %i (cannot carry a PDV) → RJ (1,1,1), never a silent or endless answer', async (max) => {
    const body = Uint8Array.from(UI_BODY);
    new DataView(body.buffer).setUint32(4, max);
    await runHostile(scp, { id: `N-10 max ${max}`, group: N, send: rq(APP, PC1, ui(body)), answer: '03 00 00 00 00 04 00 01 01 01' });
  });

  it('N-09: application context 1.2.3.4 → RJ (1,1,2)', async () => {
    await runHostile(scp, { id: 'N-09', group: N, send: rq(hex('10 00 00 07 31 2E 32 2E 33 2E 34'), PC1, ui(UI_BODY)), answer: '03 00 00 00 00 04 00 01 01 02' });
  });
  it('N-08: no application context item → RJ (1,1,2) (the name is empty, so not supported)', async () => {
    await runHostile(scp, { id: 'N-08 no app context', group: N, send: rq(PC1, ui(UI_BODY)), answer: '03 00 00 00 00 04 00 01 01 02' });
  });
  it.each([
    ['no presentation context item', () => rq(APP, ui(UI_BODY)), 0],
    ['no user information item', () => rq(APP, PC1), 1],
    ['no 51H (no maximum: we send with our own cap)', () => rq(APP, PC1, ui(UI_BODY.subarray(8))), 1],
  ])('N-08: %s → pinned: AC (lenient) answering exactly the proposed contexts, no crash', async (name, wire, contexts) => {
    const peer = await TcpPeer.connect(scp.port);
    const ac = await associate(peer, wire());
    // Every presentation context item (21H) of the AC as [PCID, result]: none for no proposal, else PCID 1 accepted.
    expect(contextAnswers(ac)).toEqual(contexts ? [[1, 0]] : []);
    if (contexts) {
      peer.send(ECHO_OK);
      await peer.expectPdu(0x04, undefined, 1000);
    }
    peer.destroy();
    record(N, `N-08 ${name}`, true);
  });
  it('N-11: 129 contexts with a repeated ID → A-ABORT (0,0)', async () => {
    const pcs = Array.from({ length: 128 }, (_, i) => patched(PC1, 4, (2 * i + 1).toString(16).padStart(2, '0')));
    await runHostile(scp, { id: 'N-11 duplicate', group: N, send: rq(APP, ...pcs, PC1, ui(UI_BODY)), answer: ABORT_0_0 });
  });
  it.each([
    ['calling', 26, 'bytes ≥ 80H', 'C3 A9 FF 80 41 20 20 20 20 20 20 20 20 20 20 20', '03'],
    ['calling', 26, 'NUL, CR LF, ESC', '41 00 0D 0A 1B 42 20 20 20 20 20 20 20 20 20 20', '03'],
    ['called', 10, 'bytes ≥ 80H', 'C3 A9 FF 80 41 20 20 20 20 20 20 20 20 20 20 20', '07'],
    ['called', 10, 'NUL, CR LF, ESC', '41 00 0D 0A 1B 42 20 20 20 20 20 20 20 20 20 20', '07'],
  ])('N-14: %s AE title with %s → RJ (1,1,3) calling / (1,1,7) called AE title not recognized', async (which, at, name, ae, reason) => {
    await runHostile(scp, { id: `N-14 ${which} ${name}`, group: N, send: patched(RQ_OK, at, ae), answer: `03 00 00 00 00 04 00 01 01 ${reason}` });
  });
  it.each([
    ['abstract syntax', 111, 'C3 A9', 3],
    ['abstract syntax', 112, '00 0D 0A 1B', 3],
    ['transfer syntax', 132, 'FF 80', 4],
  ])('N-14: %s UID with %s → pinned: AC refusing that context (result %i), as for any UID we do not support; no decoder exception', async (which, at, bytes, result) => {
    const peer = await TcpPeer.connect(scp.port);
    const ac = await associate(peer, patched(RQ_OK, at, bytes));
    expect(contextAnswers(ac)).toEqual([[1, result]]);
    peer.destroy();
    await canary(scp.port);
    record(N, `N-14 ${which} ${bytes}`, true);
  });
});

/** The presentation context items (21H) of an A-ASSOCIATE-AC as [PCID, result/reason], walking its items from offset 74. */
function contextAnswers(ac: Uint8Array): [number, number][] {
  const answers: [number, number][] = [];
  for (let off = 74; off < ac.length; off += 4 + ((ac[off + 2]! << 8) | ac[off + 3]!)) {
    if (ac[off] === 0x21) answers.push([ac[off + 4]!, ac[off + 6]!]);
  }
  return answers;
}
