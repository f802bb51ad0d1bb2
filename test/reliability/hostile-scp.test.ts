/**
 * A netdicom SCU against a hostile or broken scripted SCP over TCP (reliability.md §3.12 H and
 * §3.7 T-06…T-08): every failure is a typed error on the caller's promise, never a hang, an
 * endless loop or an escape (R4).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { connectTcp } from '../../adapters/node';
import { AssociationAbortedError, AssociationRejectedError, TimeoutError } from '../../src/errors';
import { CommandField } from '../../src/dimse/types';
import { encodePdu } from '../../src/pdu/encode';
import type { AssociateAcPdu } from '../../src/pdu/types';
import { printFigures, record } from './helpers/figures';
import { ABORT_0_0, DEFLATED, EXPLICIT, HDR_HUGE_PDATA, IMPLICIT, pdata, scuAe, VERIFICATION } from './helpers/scp';
import { command } from './helpers/session';
import { TcpPeer } from './helpers/tcp-peer';

const H = 'SCU vs hostile SCP (H, T-06…T-08)';
afterAll(() => printFigures());

/** An A-ASSOCIATE-AC answering RQ contexts 1 (Verification), 3 (Study FIND), 5 (CT) of scuAe(). */
function ac(overrides: { maxLength?: number; contexts?: AssociateAcPdu['presentationContexts'] } = {}): Uint8Array {
  return encodePdu({
    type: 'A-ASSOCIATE-AC',
    protocolVersion: 1,
    calledAeTitle: 'HOSTILE',
    callingAeTitle: 'CANARY',
    applicationContextName: '1.2.840.10008.3.1.1.1',
    presentationContexts: overrides.contexts ?? [{ id: 1, result: 0, transferSyntax: IMPLICIT }],
    userInformation: { maxLength: overrides.maxLength ?? 16384, implementationClassUid: '1.2.3.4', roleSelections: [], extendedNegotiations: [], commonExtendedNegotiations: [] },
  } as AssociateAcPdu);
}

/** A C-ECHO-RSP P-DATA answering `messageId` with `status`. */
const echoRsp = (messageId: number, status = 0) =>
  pdata([1, 0x03, command({ CommandField: CommandField['C-ECHO-RSP'], MessageIDBeingRespondedTo: messageId, AffectedSOPClassUID: VERIFICATION, CommandDataSetType: 0x0101, Status: status })]);

/** A scripted SCP that answers the RQ with `answer` then runs `then`. */
async function hostile(answer: Uint8Array | null, then: (peer: TcpPeer) => void | Promise<void> = () => undefined) {
  return TcpPeer.listen(async (peer) => {
    await peer.expectPdu(0x01, undefined, 2000);
    if (answer) peer.send(answer);
    await then(peer);
  });
}

async function associateTo(port: number, options: Parameters<typeof scuAe>[0] = {}) {
  const transport = await connectTcp({ host: '127.0.0.1', port });
  return scuAe({ acseTimeoutMs: 500, dimseTimeoutMs: 500, abortLingerMs: 100, ...options }).associate(transport, { calledAeTitle: 'HOSTILE' });
}

/** Runs `fn`, records the case; rethrows. */
async function hcase(id: string, fn: () => Promise<void>): Promise<void> {
  let ok = false;
  try {
    await fn();
    ok = true;
  } finally {
    record(H, id, ok);
  }
}

describe('T-06…T-08: SCU timeouts against a silent SCP', () => {
  it('T-07: the SCP never answers the RQ → TimeoutError(acse) at acseTimeoutMs, A-ABORT (0,0) sent, closed', () =>
    hcase('T-07', async () => {
      let rqAt = 0;
      const scp = await TcpPeer.listen(async (peer) => {
        rqAt = (await peer.expectPdu(0x01, undefined, 2000)).at;
      });
      const t0 = performance.now();
      await expect(associateTo(scp.port)).rejects.toMatchObject({ timeout: 'acse' });
      // The caller learns it once the A-ABORT is flushed and the connection closed (abortLinger 100 ms at most).
      expect(performance.now() - t0).toBeLessThanOrEqual(500 * 1.1 + 100 + 500);
      const peer = scp.peers[0]!;
      const abort = peer.history.find((p) => p.type === 0x07);
      expect(abort, 'A-ABORT (0,0) sent').toBeDefined();
      expect(abort!.at - rqAt).toBeGreaterThanOrEqual(450);
      // Upper bound with room for a loaded 2-core CI machine; a missing ACSE timer would take the full 2 s script.
      expect(abort!.at - rqAt).toBeLessThanOrEqual(550 + 250);
      await peer.expectClosed(500);
    }));

  it('T-06/H-08: the SCP never answers C-ECHO → TimeoutError(dimse) at dimseTimeoutMs and A-ABORT (0,0) right then (pinned, like pynetdicom); the association is closed', () =>
    hcase('T-06', async () => {
      const scp = await hostile(ac());
      const assoc = await associateTo(scp.port);
      const t0 = performance.now();
      const error = await assoc.cEcho().catch((e: unknown) => e);
      const ms = performance.now() - t0;
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).timeout).toBe('dimse');
      expect(ms).toBeGreaterThanOrEqual(450);
      expect(ms).toBeLessThanOrEqual(600 + 250);
      const peer = scp.peers[0]!;
      const rq = await peer.expectPdu(0x04, undefined, 200); // the C-ECHO-RQ
      const abort = await peer.expectPdu(0x07, ABORT_0_0, 300);
      expect(abort.at - rq.at).toBeGreaterThanOrEqual(450);
      expect(abort.at - rq.at).toBeLessThanOrEqual(550 + 250);
      expect((await assoc.closed).reason).toBe('aborted');
      expect(assoc.isEstablished).toBe(false);
      await peer.expectClosed(500);
      // Later calls fail at once instead of waiting on a peer whose state is unknown.
      await expect(assoc.cEcho()).rejects.toBeInstanceOf(Error);
    }));

  it('T-08: the SCP never answers A-RELEASE-RQ → release() rejects at acseTimeoutMs, A-ABORT then close', () =>
    hcase('T-08', async () => {
      const scp = await hostile(ac());
      const assoc = await associateTo(scp.port);
      const t0 = performance.now();
      await expect(assoc.release()).rejects.toMatchObject({ timeout: 'acse' });
      expect(performance.now() - t0).toBeLessThanOrEqual(700);
      const peer = scp.peers[0]!;
      await peer.expectPdu(0x05, '05 00 00 00 00 04 00 00 00 00', 200);
      await peer.expectPdu(0x07, ABORT_0_0, 200);
      await peer.expectClosed(500);
      expect((await assoc.closed).reason).toBe('aborted');
    }));
});

describe('H: hostile answers', () => {
  it.each([0, 0xffffffff])('H-01: AC with max length %i → we send within our own limits and the echo works (no hang)', (max) =>
    hcase(`H-01 max ${max}`, async () => {
      const scp = await hostile(ac({ maxLength: max }), async (peer) => {
        await peer.expectPdu(0x04, undefined, 1000);
        peer.send(echoRsp(1));
      });
      const assoc = await associateTo(scp.port);
      expect((await assoc.cEcho()).status).toBe(0);
      await assoc.abort();
    }));

  it.each([1, 7])('H-01: AC with max length %i → associate fails with a NegotiationError at once and A-ABORT (0,0) is sent', (max) =>
    hcase(`H-01 max ${max}`, async () => {
      const scp = await hostile(ac({ maxLength: max }));
      const t0 = performance.now();
      await expect(associateTo(scp.port)).rejects.toMatchObject({ name: 'NegotiationError', message: expect.stringMatching(/no room for a PDV/) });
      expect(performance.now() - t0).toBeLessThan(1500);
      const peer = scp.peers[0]!;
      await peer.expectPdu(0x07, ABORT_0_0, 200);
    }));

  it('H-02: AC accepting a presentation context ID we never proposed (7) → not usable, the proposed one still is', () =>
    hcase('H-02 PCID not proposed', async () => {
      const scp = await hostile(ac({ contexts: [{ id: 1, result: 0, transferSyntax: IMPLICIT }, { id: 7, result: 0, transferSyntax: IMPLICIT }] }));
      const assoc = await associateTo(scp.port);
      expect(assoc.acceptedContexts.map((c) => c.id)).toEqual([1]);
      await assoc.abort();
    }));

  it('H-02: AC accepting with a transfer syntax we did not propose for that context → treated as not accepted, nothing is sent on it', () =>
    hcase('H-02 TS not proposed', async () => {
      // scuAe() proposes Verification (1) with Explicit LE, Implicit LE and Explicit BE, Study FIND (3) and CT (5) with Implicit LE only.
      const scp = await hostile(
        ac({
          contexts: [
            { id: 1, result: 0, transferSyntax: DEFLATED }, // proposed for no context
            { id: 3, result: 0, transferSyntax: EXPLICIT }, // proposed, but not for this context
            { id: 5, result: 0, transferSyntax: IMPLICIT }, // as proposed
          ],
        }),
      );
      const assoc = await associateTo(scp.port);
      expect(assoc.acceptedContexts.map((c) => [c.id, c.transferSyntax])).toEqual([[5, IMPLICIT]]);
      await expect(assoc.cEcho()).rejects.toMatchObject({ name: 'NegotiationError' });
      await assoc.abort();
      // Only the A-ABORT went out: no P-DATA on a context the peer answered with a syntax we never offered.
      const peer = scp.peers[0]!;
      await peer.expectPdu(0x07, ABORT_0_0, 500);
      expect(peer.history.map((p) => p.type)).toEqual([0x01, 0x07]);
    }));

  it('H-02: AC with two results for one presentation context ID → associate fails with a NegotiationError and A-ABORT (0,0) is sent (pinned)', () =>
    hcase('H-02 two results for one PCID', async () => {
      for (const results of [[0, 3], [3, 0]]) {
        const scp = await hostile(ac({ contexts: results.map((result) => ({ id: 1, result, transferSyntax: result === 0 ? IMPLICIT : '' })) }));
        await expect(associateTo(scp.port)).rejects.toMatchObject({ name: 'NegotiationError', message: expect.stringMatching(/twice/) });
        const peer = scp.peers[0]!;
        await peer.expectPdu(0x07, ABORT_0_0, 200);
        await peer.expectClosed(500);
      }
    }));

  it.each([
    ['result 0', '00 01 01'],
    ['result 3', '03 01 01'],
    ['result FF', 'FF 01 01'],
    ['source 0', '01 00 01'],
    ['source 4', '01 04 01'],
    ['reason 99', '01 01 63'],
  ])('H-03: A-ASSOCIATE-RJ with %s → AssociationRejectedError with the raw values', (name, triple) =>
    hcase(`H-03 ${name}`, async () => {
      const scp = await hostile(Uint8Array.from(Buffer.from(`030000000004 00 ${triple}`.replace(/\s+/g, ''), 'hex')));
      const error = await associateTo(scp.port).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AssociationRejectedError);
      const [result, source, reason] = triple.split(' ').map((h) => parseInt(h, 16));
      expect(error).toMatchObject({ result, source, reason });
    }));

  it('H-04: HDR_HUGE_PDATA from the SCP → we send A-ABORT (2,6), the pending call rejects with AssociationAbortedError', () =>
    hcase('H-04', async () => {
      const scp = await hostile(ac(), async (peer) => {
        await peer.expectPdu(0x04, undefined, 1000);
        peer.send(HDR_HUGE_PDATA);
      });
      const assoc = await associateTo(scp.port);
      await expect(assoc.cEcho()).rejects.toBeInstanceOf(AssociationAbortedError);
      const peer = scp.peers[0]!;
      await peer.expectPdu(0x07, '07 00 00 00 00 04 00 00 02 06', 200);
      await peer.expectClosed(500);
    }));

  it.each([
    ['a wrong MessageIDBeingRespondedTo (999)', echoRsp(999)],
    ['a C-STORE-RSP to our C-ECHO-RQ', pdata([1, 0x03, command({ CommandField: CommandField['C-STORE-RSP'], MessageIDBeingRespondedTo: 1, AffectedSOPClassUID: VERIFICATION, CommandDataSetType: 0x0101, Status: 0 })])],
  ])('H-05: a response with %s → A-ABORT (0,0) at once (pinned), the call rejects with a typed error, not a DIMSE timeout', (name, rsp) =>
    hcase(`H-05 ${name}`, async () => {
      const scp = await hostile(ac(), async (peer) => {
        await peer.expectPdu(0x04, undefined, 1000);
        peer.send(rsp);
      });
      const assoc = await associateTo(scp.port, { dimseTimeoutMs: 5000 });
      const t0 = performance.now();
      const error = await assoc.cEcho().catch((e: unknown) => e);
      expect(performance.now() - t0).toBeLessThan(1500);
      expect(error).toMatchObject({ code: 'UNEXPECTED_RESPONSE', abort: { source: 0, reason: 0 } });
      const peer = scp.peers[0]!;
      await peer.expectPdu(0x07, ABORT_0_0, 500);
      expect((await assoc.closed).reason).toBe('aborted');
    }));

  it('H-05: a second final C-ECHO-RSP for an answered request → A-ABORT (0,0); the first answer was delivered', () =>
    hcase('H-05 duplicate final', async () => {
      const scp = await hostile(ac(), async (peer) => {
        await peer.expectPdu(0x04, undefined, 1000);
        peer.send(echoRsp(1));
        await new Promise((r) => setTimeout(r, 50));
        peer.send(echoRsp(1));
      });
      const assoc = await associateTo(scp.port);
      expect((await assoc.cEcho()).status).toBe(0);
      const peer = scp.peers[0]!;
      await peer.expectPdu(0x07, ABORT_0_0, 1000);
      expect((await assoc.closed).reason).toBe('aborted');
    }));

  it('H-05: unknown status 0xABCD → Failure category, no error', () =>
    hcase('H-05 status', async () => {
      const scp = await hostile(ac(), async (peer) => {
        await peer.expectPdu(0x04, undefined, 1000);
        peer.send(echoRsp(1, 0xabcd));
      });
      const assoc = await associateTo(scp.port);
      expect(await assoc.cEcho()).toMatchObject({ status: 0xabcd, category: 'Failure' });
      await assoc.abort();
    }));

  it('H-09: A-ABORT with the reserved source 1 → AssociationAbortedError carrying source 1', () =>
    hcase('H-09', async () => {
      const scp = await hostile(ac(), async (peer) => {
        await peer.expectPdu(0x04, undefined, 1000);
        peer.send('07 00 00 00 00 04 00 00 01 03');
      });
      const assoc = await associateTo(scp.port);
      const error = await assoc.cEcho().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AssociationAbortedError);
      expect((error as AssociationAbortedError).abort).toEqual({ source: 1, reason: 3 });
      expect((await assoc.closed).reason).toBe('aborted');
    }));

  it('the SCP resets mid-association → pending call rejects, nothing escapes', () =>
    hcase('H reset', async () => {
      const scp = await hostile(ac(), async (peer) => {
        await peer.expectPdu(0x04, undefined, 1000);
        peer.rst();
      });
      const assoc = await associateTo(scp.port);
      await expect(assoc.cEcho()).rejects.toBeInstanceOf(AssociationAbortedError);
      expect((await assoc.closed).reason).toBe('aborted');
    }));
});
