/**
 * Timers and slow peers over TCP (reliability.md §3.7, T-01…T-05 and the network idle timer) against
 * a netdicom SCP with ARTIM 400 ms, abortLinger 100 ms, network timeout 600 ms: silent and trickling
 * peers are closed on time (± 10 %) while a canary keeps being served (R3), and bytes never extend a timer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { note, printFigures, record } from './helpers/figures';
import { ABORT_0_0, canary, ECHO_OK, REL_RQ, RELEASE_RP, RQ_OK, patched, startScp, type TestScp } from './helpers/scp';
import { associate } from './helpers/session';
import { TcpPeer } from './helpers/tcp-peer';

const ARTIM = 400;
const LINGER = 100;
const NETWORK = 600;
const T = 'timers (T)';
let scp: TestScp;
beforeAll(async () => {
  scp = await startScp({ artimTimeoutMs: ARTIM, abortLingerMs: LINGER, networkTimeoutMs: NETWORK });
});
afterAll(async () => {
  await scp.close();
  printFigures();
});

/** Asserts `at` is within ±10 % of `expected` (plus 40 ms of scheduling slack for a loaded machine) and records it. */
function onTime(id: string, at: number, expected: number): void {
  note(`timers: ${id} closed at ${at.toFixed(0)} ms, configured ${expected} ms (${(((at - expected) / expected) * 100).toFixed(1)} %)`);
  expect(at).toBeGreaterThanOrEqual(expected * 0.9);
  expect(at).toBeLessThanOrEqual(expected * 1.1 + 40);
  record(T, id, true);
}

/** Canaries every 100 ms while `run` is pending (R3: no head-of-line blocking). */
async function withCanaries<T>(run: Promise<T>): Promise<T> {
  let done = false;
  const loop = (async () => {
    let n = 0;
    while (!done) {
      await canary(scp.port);
      n++;
      await new Promise((r) => setTimeout(r, 100));
    }
    return n;
  })();
  try {
    return await run;
  } finally {
    done = true;
    expect(await loop).toBeGreaterThan(0);
  }
}

describe('ARTIM (Sta2)', () => {
  it('T-01: silent connection → closed at ARTIM, nothing sent (AA-2)', async () => {
    const peer = await TcpPeer.connect(scp.port);
    const { at, kind } = await withCanaries(peer.expectClosed(ARTIM * 3));
    expect(kind).toBe('fin');
    expect(peer.history).toEqual([]);
    onTime('T-01 silent', at - peer.openedAt, ARTIM);
  });

  it('T-02: RQ_OK trickled 1 byte / 20 ms → closed at ARTIM from accept; bytes never restart it', async () => {
    const peer = await TcpPeer.connect(scp.port);
    const trickle = peer.trickle(RQ_OK, 20);
    const { at } = await withCanaries(peer.expectClosed(ARTIM * 3));
    const sent = await trickle;
    expect(sent).toBeLessThan(RQ_OK.length);
    expect(peer.history).toEqual([]);
    onTime('T-02 trickled RQ', at - peer.openedAt, ARTIM);
  });

  it('T-03: 3 bytes of a header then silence → closed at ARTIM (Sta2)', async () => {
    const peer = await TcpPeer.connect(scp.port);
    peer.send(RQ_OK.subarray(0, 3));
    const { at } = await peer.expectClosed(ARTIM * 3);
    expect(peer.history).toEqual([]);
    onTime('T-03 partial header (Sta2)', at - peer.openedAt, ARTIM);
  });
});

describe('network timeout (Sta6)', () => {
  it('idle association → A-ABORT (0,0) at networkTimeoutMs, then close', async () => {
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer);
    const from = peer.now();
    const abort = await withCanaries(peer.expectPdu(0x07, ABORT_0_0, NETWORK * 3));
    await peer.expectClosed(LINGER * 5);
    onTime('network idle', abort.at - from, NETWORK);
  });

  it('T-03: 3 bytes of a header in Sta6 then silence → A-ABORT at the network timeout', async () => {
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer);
    const from = peer.now();
    peer.send(ECHO_OK.subarray(0, 3));
    const abort = await peer.expectPdu(0x07, ABORT_0_0, NETWORK * 3);
    onTime('T-03 partial header (Sta6)', abort.at - from, NETWORK);
  });

  it('T-04: a 16 KiB P-DATA header then 1 byte / 20 ms → A-ABORT at the network timeout (bytes do not reset it)', async () => {
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer);
    const from = peer.now();
    const body = new Uint8Array(16378);
    peer.send(Uint8Array.of(0x04, 0, 0, 0, 0x3f, 0xfa));
    void peer.trickle(body, 20);
    const abort = await withCanaries(peer.expectPdu(0x07, ABORT_0_0, NETWORK * 3));
    onTime('T-04 trickled P-DATA', abort.at - from, NETWORK);
  });

  it('traffic keeps an association alive past the network timeout', async () => {
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer);
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, NETWORK / 2));
      peer.send(patched(ECHO_OK, 68, (i + 2).toString(16).padStart(2, '0'))); // Message ID
      await peer.expectPdu(0x04, undefined, 500);
    }
    peer.send(REL_RQ);
    await peer.expectPdu(0x06, RELEASE_RP, 500);
    await peer.expectClosed(LINGER * 5);
  });
});

describe('T-04: per-PDU read deadline (Sta6)', () => {
  const READ = 400;

  it('a 16 KiB P-DATA header then 1 byte / 20 ms → A-ABORT (0,0) at pduReadTimeoutMs, long before the network timeout', async () => {
    const slow = await startScp({ artimTimeoutMs: ARTIM, abortLingerMs: LINGER, networkTimeoutMs: 10 * READ, pduReadTimeoutMs: READ });
    const peer = await TcpPeer.connect(slow.port);
    await associate(peer);
    const from = peer.now();
    peer.send(Uint8Array.of(0x04, 0, 0, 0, 0x3f, 0xfa));
    void peer.trickle(new Uint8Array(16378), 20);
    const abort = await peer.expectPdu(0x07, ABORT_0_0, READ * 3);
    await peer.expectClosed(LINGER * 5);
    onTime('T-04 per-PDU read deadline', abort.at - from, READ);
  });

  it('whole PDUs sent slowly (each within the deadline) are not cut', async () => {
    const slow = await startScp({ artimTimeoutMs: ARTIM, abortLingerMs: LINGER, networkTimeoutMs: 10 * READ, pduReadTimeoutMs: READ });
    const peer = await TcpPeer.connect(slow.port);
    await associate(peer);
    for (let i = 0; i < 3; i++) {
      // Half a PDU, a pause of 3/4 of the deadline, the rest: each PDU on time, together 2.25 deadlines.
      const echo = patched(ECHO_OK, 68, (i + 2).toString(16).padStart(2, '0'));
      peer.send(echo.subarray(0, 40));
      await new Promise((r) => setTimeout(r, (READ * 3) / 4));
      peer.send(echo.subarray(40));
      await peer.expectPdu(0x04, undefined, 500);
    }
    peer.send(REL_RQ);
    await peer.expectPdu(0x06, RELEASE_RP, 500);
  });
});

describe('T-05: Sta13 linger after our last PDU', () => {
  it('after A-ASSOCIATE-RJ the peer never closes → RJ delivered, then closed at abortLinger', async () => {
    const peer = await TcpPeer.connect(scp.port);
    peer.send(patched(RQ_OK, 6, '00 02')); // protocol version without bit 0 → RJ (1,2,2)
    const rj = await peer.expectPdu(0x03, '03 00 00 00 00 04 00 01 02 02', 200);
    const { at, kind } = await peer.expectClosed(LINGER * 5);
    expect(kind).toBe('fin');
    onTime('T-05 after RJ', at - rj.at, LINGER);
  });

  it('after A-RELEASE-RP the peer never closes → closed at abortLinger', async () => {
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer);
    peer.send(REL_RQ);
    const rp = await peer.expectPdu(0x06, RELEASE_RP, 200);
    const { at } = await peer.expectClosed(LINGER * 5);
    onTime('T-05 after RP', at - rp.at, LINGER);
  });

  it('after A-ABORT the peer never closes → closed at abortLinger', async () => {
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer);
    peer.send('FF 00 00 00 00 04 00 00 00 00');
    const ab = await peer.expectPdu(0x07, '07 00 00 00 00 04 00 00 02 01', 200);
    const { at } = await peer.expectClosed(LINGER * 5);
    onTime('T-05 after A-ABORT', at - ab.at, LINGER);
  });

  it('S-09 at TCP: in Sta13 P-DATA is ignored, the first RQ gets one A-ABORT, more RQs nothing', async () => {
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer);
    peer.send('05 00 00 00 00 03 00 00 00'); // bad length → A-ABORT (2,6), framing lost: nothing parsed after
    await peer.expectPdu(0x07, '07 00 00 00 00 04 00 00 02 06', 200);
    peer.send(ECHO_OK);
    peer.send(RQ_OK);
    await peer.expectClosed(LINGER * 5);
    expect(peer.pdus).toEqual([]);
  });
});
