/**
 * A C-STORE whose data set stalls (reliability.md T-03/T-04 inside a message) over TCP, network
 * timeout 600 ms: a peer that sends a C-STORE-RQ and then nothing, or trickles the data set, is
 * aborted at the network timeout, so two of them cannot hold maxAssociations; while our side's own
 * work (a slow handler, a handler not reading yet) still keeps a quiet association alive.
 */
import { describe, expect, it } from 'vitest';
import { ABORT_0_0, canary, pdata, startScp } from './helpers/scp';
import { associate, PC, rqFull, storeRq } from './helpers/session';
import { TcpPeer } from './helpers/tcp-peer';

const NETWORK = 600;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** MCH: command, last fragment / data set fragment, last fragment. */
const COMMAND_LAST = 0x03;
const DATA = 0x00;
const DATA_LAST = 0x02;

/** An association on which `peer` sent a C-STORE-RQ command (CT, implicit) and, if given, data set fragments. */
async function storing(port: number, ...fragments: [number, Uint8Array][]): Promise<TcpPeer> {
  const peer = await TcpPeer.connect(port);
  await associate(peer, rqFull());
  peer.send(pdata([PC.ct, COMMAND_LAST, storeRq(1)], ...fragments.map(([mch, data]) => [PC.ct, mch, data] as [number, number, Uint8Array])));
  return peer;
}

/** Asserts `at` is near `expected` (+10 % and scheduling slack on a loaded machine). */
function near(at: number, expected: number): void {
  expect(at).toBeGreaterThanOrEqual(expected * 0.9);
  expect(at).toBeLessThanOrEqual(expected * 1.1 + 150);
}

describe('the peer stalls inside a C-STORE', () => {
  it('C-STORE-RQ command, then no data set → A-ABORT (0,0) at the network timeout, the handler sees the end', async () => {
    let handlerEnded: unknown = null;
    const scp = await startScp({ networkTimeoutMs: NETWORK }, {
      cStore: async (request) => {
        try {
          for await (const _ of request.chunks());
        } catch (error) {
          handlerEnded = error;
        }
        return 0;
      },
    });
    const peer = await storing(scp.port);
    const from = peer.now();
    const abort = await peer.expectPdu(0x07, ABORT_0_0, NETWORK * 4);
    near(abort.at - from, NETWORK);
    await peer.expectClosed(1000);
    expect(handlerEnded).toBeInstanceOf(Error);
  });

  it('C-STORE-RQ, part of the data set, then silence → A-ABORT at the network timeout', async () => {
    const scp = await startScp({ networkTimeoutMs: NETWORK });
    const peer = await storing(scp.port, [DATA, new Uint8Array(1000)]);
    const from = peer.now();
    const abort = await peer.expectPdu(0x07, ABORT_0_0, NETWORK * 4);
    near(abort.at - from, NETWORK);
  });

  it('C-STORE-RQ, then a 16 KiB data P-DATA trickled 1 byte / 20 ms (T-04) → A-ABORT at the network timeout', async () => {
    const scp = await startScp({ networkTimeoutMs: NETWORK });
    const peer = await storing(scp.port);
    const from = peer.now();
    peer.send(Uint8Array.of(0x04, 0, 0, 0, 0x3f, 0xfa));
    void peer.trickle(new Uint8Array(16378), 20);
    const abort = await peer.expectPdu(0x07, ABORT_0_0, NETWORK * 4);
    near(abort.at - from, NETWORK);
  });

  it('maxAssociations 2 and two stalled C-STOREs: a new association is accepted once the network timeout has passed', async () => {
    const scp = await startScp({ networkTimeoutMs: NETWORK }, {}, { maxAssociations: 2 });
    const stalled = [await storing(scp.port), await storing(scp.port)];
    await Promise.all(stalled.map((peer) => peer.expectClosed(NETWORK * 4)));
    expect(await canary(scp.port)).toBeGreaterThan(0);
  });
});

describe('our own work keeps a quiet association alive', () => {
  it('a handler that works 3 × the network timeout after its whole data set came → C-STORE-RSP, no A-ABORT', async () => {
    const scp = await startScp({ networkTimeoutMs: NETWORK }, {
      cStore: async (request) => {
        for await (const _ of request.chunks());
        await sleep(NETWORK * 3);
        return 0;
      },
    });
    const peer = await storing(scp.port, [DATA_LAST, new Uint8Array(1000)]);
    const rsp = await peer.expectPdu(0x04, undefined, NETWORK * 6);
    expect(rsp.waitedMs).toBeGreaterThanOrEqual(NETWORK * 3 - 50);
  });

  it('a handler that starts reading only after 3 × the network timeout (input held meanwhile) → C-STORE-RSP, no A-ABORT', async () => {
    let received = 0;
    const scp = await startScp({ networkTimeoutMs: NETWORK }, {
      cStore: async (request) => {
        await sleep(NETWORK * 3);
        for await (const chunk of request.chunks()) received += chunk.length;
        return 0;
      },
    });
    // More fragments than the data set stream queues (16): DIMSE holds input until the handler reads.
    const peer = await storing(scp.port);
    const fragment = new Uint8Array(16000);
    for (let i = 0; i < 63; i++) peer.send(pdata([PC.ct, DATA, fragment]));
    peer.send(pdata([PC.ct, DATA_LAST, fragment]));
    await peer.expectPdu(0x04, undefined, NETWORK * 8);
    expect(received).toBe(64 * 16000);
  });
});
