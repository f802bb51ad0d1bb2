/**
 * The UpperLayer's input edges over a memory pair with fake timers: the per-PDU read deadline
 * (reliability.md T-04), PDUs before a malformed one handled first whatever the chunking (Z-02,
 * M-07), and an A-ABORT with a wrong length told with the values it carries (M-15).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { AssociationAbortedError, ProtocolError, TimeoutError } from '../../src/errors';
import type { AssociateAcPdu, PDataTfPdu } from '../../src/pdu/types';
import { UpperLayer, type AbortIndication, type UpperLayerOptions } from '../../src/ul/upper-layer';
import { ECHO_OK, RQ_OK } from '../fixtures/pdus';
import { hex, ScriptedPeer, toHex } from './helpers/scripted-peer';

const AC: AssociateAcPdu = {
  type: 'A-ASSOCIATE-AC',
  protocolVersion: 1,
  calledAeTitle: 'NETDICOM',
  callingAeTitle: 'FUZZER',
  applicationContextName: '1.2.840.10008.3.1.1.1',
  presentationContexts: [{ id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2' }],
  userInformation: { maxLength: 16384, implementationClassUid: '1.2.3.4' },
};
const RSP: PDataTfPdu = { type: 'P-DATA-TF', pdvs: [{ contextId: 1, isCommand: true, isLast: true, data: new Uint8Array(4) }] };
const UNKNOWN_TYPE = hex('FF 00 00 00 00 04 00 00 00 00');
const ABORT_0_0 = '07 00 00 00 00 04 00 00 00 00';
const ABORT_2_1 = '07 00 00 00 00 04 00 00 02 01';
const READ_MS = 5000;
const LINGER = 1000;

/** Runs pending microtasks and zero-delay timers until things stop moving. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await vi.advanceTimersByTimeAsync(0);
}

interface Harness {
  ul: UpperLayer;
  peer: ScriptedPeer;
  trace: string[];
  aborts: AbortIndication[];
  /** Makes pData return this promise (read back-pressure) until set back to null. */
  hold: { promise: Promise<void> | null };
}

/** An acceptor brought to Sta6 (RQ_OK, AC). */
async function established(options: Partial<UpperLayerOptions> = {}): Promise<Harness> {
  const [local, remote] = createMemoryPair();
  const trace: string[] = [];
  const aborts: AbortIndication[] = [];
  const hold: Harness['hold'] = { promise: null };
  const ul = new UpperLayer(
    local,
    { pData: () => hold.promise ?? undefined, abort: (info) => void aborts.push(info) },
    { role: 'acceptor', abortLingerMs: LINGER, pduReadTimeoutMs: READ_MS, onTransition: (s) => trace.push(`${s.state} ${s.event} ${s.action}`), ...options },
  );
  const peer = new ScriptedPeer(remote);
  ul.start();
  peer.send(RQ_OK);
  await settle();
  await ul.acceptAssociation(AC);
  await settle();
  peer.pdus.length = 0;
  trace.length = 0;
  return { ul, peer, trace, aborts, hold };
}

const sent = (h: Harness) => h.peer.pdus.splice(0).map((p) => toHex(p.bytes));

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('T-04: per-PDU read deadline', () => {
  it('a P-DATA header then 1 byte a second → A-ABORT (0,0) at pduReadTimeoutMs from its first byte; bytes do not extend it', async () => {
    const h = await established();
    h.peer.send('04 00 00 00 3F FA');
    await settle();
    for (let t = 1000; t < READ_MS; t += 1000) {
      await vi.advanceTimersByTimeAsync(1000);
      h.peer.send('00');
    }
    await vi.advanceTimersByTimeAsync(999);
    expect(h.ul.state).toBe('Sta6');
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(h.trace).toEqual(['Sta6 Evt15 AA-1']);
    expect(sent(h)).toEqual([ABORT_0_0]);
    expect(h.aborts).toHaveLength(1);
    const info = h.aborts[0] as { provider: true; error: TimeoutError };
    expect(info.error).toBeInstanceOf(TimeoutError);
    expect(info.error.timeout).toBe('network');
  });

  it('a completed PDU restarts it for the next one', async () => {
    const h = await established();
    h.peer.send(ECHO_OK.subarray(0, 3));
    await vi.advanceTimersByTimeAsync(4000);
    h.peer.send(new Uint8Array([...ECHO_OK.subarray(3), ...ECHO_OK.subarray(0, 3)]));
    await vi.advanceTimersByTimeAsync(READ_MS - 1);
    expect(h.ul.state).toBe('Sta6');
    expect(h.trace).toEqual(['Sta6 Evt10 DT-2']);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.trace.at(-1)).toBe('Sta6 Evt15 AA-1');
  });

  it('does not run between PDUs, nor while our side holds input (read back-pressure)', async () => {
    const h = await established();
    h.peer.send(ECHO_OK);
    await vi.advanceTimersByTimeAsync(3 * READ_MS);
    expect(h.ul.state).toBe('Sta6');
    let resume!: () => void;
    h.hold.promise = new Promise((resolve) => (resume = resolve));
    h.peer.send(new Uint8Array([...ECHO_OK, ...ECHO_OK.subarray(0, 3)]));
    await vi.advanceTimersByTimeAsync(3 * READ_MS);
    expect(h.ul.state).toBe('Sta6');
    h.hold.promise = null;
    resume();
    await vi.advanceTimersByTimeAsync(READ_MS - 1);
    expect(h.ul.state).toBe('Sta6');
    await vi.advanceTimersByTimeAsync(1);
    expect(h.trace.at(-1)).toBe('Sta6 Evt15 AA-1');
  });

  it.each([0, Infinity])('pduReadTimeoutMs %s disables it', async (ms) => {
    const h = await established({ pduReadTimeoutMs: ms });
    h.peer.send(ECHO_OK.subarray(0, 3));
    await vi.advanceTimersByTimeAsync(100 * READ_MS);
    expect(h.ul.state).toBe('Sta6');
    expect(sent(h)).toEqual([]);
  });

  it('leaves Sta2 to ARTIM: a partial A-ASSOCIATE-RQ is closed at ARTIM, with nothing sent', async () => {
    const [local, remote] = createMemoryPair();
    const ul = new UpperLayer(local, {}, { role: 'acceptor', artimTimeoutMs: 3 * READ_MS, pduReadTimeoutMs: READ_MS });
    const peer = new ScriptedPeer(remote);
    ul.start();
    peer.send(RQ_OK.subarray(0, 10));
    await vi.advanceTimersByTimeAsync(3 * READ_MS - 1);
    expect(ul.state).toBe('Sta2');
    await vi.advanceTimersByTimeAsync(1);
    expect(ul.state).toBe('Sta1');
    await settle();
    expect(peer.pdus).toEqual([]);
  });
});

describe('Z-02/M-07: the PDUs before a malformed one come first, however the input is split', () => {
  it.each([
    ['one chunk', [new Uint8Array([...ECHO_OK, ...UNKNOWN_TYPE])]],
    ['two chunks', [ECHO_OK, UNKNOWN_TYPE]],
  ])('ECHO_OK then an unknown PDU type in %s → P-DATA indication, then A-ABORT (2,1)', async (_, chunks) => {
    const h = await established();
    for (const chunk of chunks) h.peer.send(chunk);
    await settle();
    expect(h.trace).toEqual(['Sta6 Evt10 DT-2', 'Sta6 Evt19 AA-8']);
    expect(sent(h)).toEqual([ABORT_2_1]);
  });

  it('a held P-DATA indication answers before the A-ABORT (the C-ECHO-RSP goes out first)', async () => {
    const h = await established();
    let answer!: () => void;
    h.hold.promise = new Promise<void>((resolve) => (answer = resolve)).then(() => h.ul.sendPData(RSP));
    h.peer.send(new Uint8Array([...ECHO_OK, ...UNKNOWN_TYPE]));
    await settle();
    expect(sent(h)).toEqual([]);
    answer();
    await settle();
    expect(h.peer.pdus.map((p) => p.type)).toEqual([0x04, 0x07]);
    expect(toHex(h.peer.pdus[1]!.bytes)).toBe(ABORT_2_1);
  });
});

describe('M-15: an A-ABORT with a wrong length', () => {
  const LONG = hex('07 00 00 00 00 06 00 00 01 09 00 00');

  it.each([
    ['one chunk', [LONG]],
    ['byte by byte', Array.from(LONG, (b) => Uint8Array.of(b))],
  ])('longer than 4 (%s) → abort indication with its raw source and reason (1, 9), nothing sent', async (_, chunks) => {
    const h = await established();
    for (const chunk of chunks) h.peer.send(chunk);
    await settle();
    expect(h.trace).toEqual(['Sta6 Evt16 AA-3']);
    expect(h.aborts).toEqual([{ source: 1, reason: 9 }]);
    expect(sent(h)).toEqual([]);
  });

  it('length 0 (no source or reason) → abort indication with the typed error, no made-up values, nothing sent', async () => {
    const h = await established();
    h.peer.send('07 00 00 00 00 00');
    await settle();
    expect(h.trace).toEqual(['Sta6 Evt16 AA-3']);
    expect(h.aborts).toHaveLength(1);
    const { error } = h.aborts[0] as { provider: true; error: AssociationAbortedError };
    expect(error).toBeInstanceOf(AssociationAbortedError);
    expect(error.abort).toBeUndefined();
    expect(error.cause).toBeInstanceOf(ProtocolError);
    expect(error.cause).toMatchObject({ code: 'FIXED_PDU_LENGTH_INVALID', pduType: 7, offset: 2 });
    expect(sent(h)).toEqual([]);
  });
});
