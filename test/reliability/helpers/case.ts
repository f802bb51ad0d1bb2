/**
 * The common contract of a hostile-input case (reliability.md §3.0): R1 exact answer bytes,
 * R2 close (FIN, at abortLinger after the answer), R3 the canary works during and after.
 * R4 is checked by the setup file after every test.
 */
import { expect } from 'vitest';
import { record } from './figures';
import { associate } from './session';
import { canary, FAST, type TestScp } from './scp';
import { TcpPeer, toHex } from './tcp-peer';

export interface HostileCase {
  /** Catalogue ID, for the figures. */
  readonly id: string;
  /** Figures group (e.g. 'malformed (Sta2)'). */
  readonly group?: string;
  /** Associate first (RQ_OK + AC) so the input arrives in Sta6. */
  readonly established?: boolean;
  /** The hostile bytes (or a script). */
  readonly send: Uint8Array | ((peer: TcpPeer) => Promise<void> | void);
  /** Expected answer bytes (hex); null = no PDU at all. */
  readonly answer: string | null;
  /** How long the answer may take (ms). Default 200 (R2: TCP). */
  readonly withinMs?: number;
  /** Expected close after the answer: 'fin' (default), or null when the peer ends the connection itself. */
  readonly close?: 'fin' | null;
  /** P-DATA answers (responses to messages before the bad input) that may precede the answer. */
  readonly allowResponses?: boolean;
  /** Run the canary during and after the case (default true; batches run one canary per batch). */
  readonly canary?: boolean;
}

/** Runs one case against `scp` and asserts R1–R3. Resolves with the time to the answer (ms). */
export async function runHostile(scp: TestScp, c: HostileCase): Promise<number | undefined> {
  let ok = false;
  let answerMs: number | undefined;
  const peer = await TcpPeer.connect(scp.port);
  try {
    if (c.established) await associate(peer);
    const during = c.canary === false ? Promise.resolve(0) : canary(scp.port);
    const sentAt = peer.now();
    if (typeof c.send === 'function') await c.send(peer);
    else peer.send(c.send);
    if (c.answer !== null) {
      if (c.allowResponses) {
        // A response may come before the answer (or not at all): look at the first PDU without taking it.
        await peer.waitFor(() => peer.pdus.length > 0 || peer.closedBy !== null, c.withinMs ?? 200);
        if (peer.pdus[0]?.type === 0x04) peer.pdus.shift();
      }
      const pdu = await peer.expectPdu(parseInt(c.answer.slice(0, 2), 16), c.answer, c.withinMs ?? 200);
      answerMs = pdu.at - sentAt;
    }
    if (c.close !== null) {
      const closed = await peer.expectClosed((FAST.abortLingerMs ?? 100) + (FAST.artimTimeoutMs ?? 400) + 500);
      expect(closed.kind, 'R2: closed with FIN after our last PDU').toBe('fin');
    }
    // Exactly one answer on the wire (M-17): nothing else arrived.
    expect(peer.pdus.map((p) => toHex(p.bytes)), 'R1: nothing after the answer').toEqual([]);
    await during;
    if (c.canary !== false) await canary(scp.port);
    ok = true;
    return answerMs;
  } finally {
    record(c.group ?? 'hostile', c.id, ok, answerMs);
    peer.destroy();
  }
}
