/**
 * The UpperLayer against a scripted peer over a memory pair, with fake timers for ARTIM.
 * Part 1: one test per reachable (state, event) cell of PS3.8 Table 9-10 (S-01).
 * Part 2: scenarios from shared/reliability.md (T-01, T-02, T-05, S-03..S-10, M-04, M-13, M-17, R2).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { InvalidStateError, ProtocolError, TransportError } from '../../src/errors';
import type { AssociateAcPdu, AssociateRjPdu, AssociateRqPdu, PDataTfPdu } from '../../src/pdu/types';
import { ACTIONS, transition, type ActionName, type EventName, type StateName } from '../../src/ul/fsm-table';
import { UpperLayer, type UpperLayerOptions, type UpperLayerUser } from '../../src/ul/upper-layer';
import { hex, ScriptedPeer, toHex } from './helpers/scripted-peer';

// Wire vectors written from PS3.8 §9.3 (shared/reliability.md §3.1), not from our encoder.
const RQ_OK = `
01 00 00 00 00 A6 00 01 00 00 4E 45 54 44 49 43 4F 4D 20 20 20 20 20 20 20 20 46 55 5A 5A 45 52
20 20 20 20 20 20 20 20 20 20 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
00 00 00 00 00 00 00 00 00 00 10 00 00 15 31 2E 32 2E 38 34 30 2E 31 30 30 30 38 2E 33 2E 31 2E
31 2E 31 20 00 00 2E 01 00 00 00 30 00 00 11 31 2E 32 2E 38 34 30 2E 31 30 30 30 38 2E 31 2E 31
40 00 00 11 31 2E 32 2E 38 34 30 2E 31 30 30 30 38 2E 31 2E 32 50 00 00 13 51 00 00 04 00 00 40
00 52 00 00 07 31 2E 32 2E 33 2E 34`;
const ECHO_OK = `
04 00 00 00 00 4A 00 00 00 46 01 03 00 00 00 00 04 00 00 00 38 00 00 00 00 00 02 00 12 00 00 00
31 2E 32 2E 38 34 30 2E 31 30 30 30 38 2E 31 2E 31 00 00 00 00 01 02 00 00 00 30 00 00 00 10 01
02 00 00 00 01 00 00 00 00 08 02 00 00 00 01 01`;
const RJ_BYTES = '03 00 00 00 00 04 00 01 01 01';
const REL_RQ = '05 00 00 00 00 04 00 00 00 00';
const REL_RP = '06 00 00 00 00 04 00 00 00 00';
const ABORT_USER = '07 00 00 00 00 04 00 00 00 00';
const UNKNOWN_TYPE = '08 00 00 00 00 04 00 00 00 00';
const ABORT_0_0 = '07 00 00 00 00 04 00 00 00 00';
const ABORT_2_1 = '07 00 00 00 00 04 00 00 02 01';
const ABORT_2_2 = '07 00 00 00 00 04 00 00 02 02';
const ABORT_2_6 = '07 00 00 00 00 04 00 00 02 06';

const VERIFICATION = '1.2.840.10008.1.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const RQ: AssociateRqPdu = {
  type: 'A-ASSOCIATE-RQ',
  protocolVersion: 1,
  calledAeTitle: 'ANY-SCP',
  callingAeTitle: 'NETDICOM',
  applicationContextName: '1.2.840.10008.3.1.1.1',
  presentationContexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }],
  userInformation: { maxLength: 16384, implementationClassUid: '1.2.3.4' },
};
const AC: AssociateAcPdu = {
  type: 'A-ASSOCIATE-AC',
  protocolVersion: 1,
  calledAeTitle: 'ANY-SCP',
  callingAeTitle: 'NETDICOM',
  applicationContextName: '1.2.840.10008.3.1.1.1',
  presentationContexts: [{ id: 1, result: 0, transferSyntax: IMPLICIT_LE }],
  userInformation: { maxLength: 16384, implementationClassUid: '1.2.3.4' },
};
const RJ: AssociateRjPdu = { type: 'A-ASSOCIATE-RJ', result: 1, source: 1, reason: 1 };
const PDATA: PDataTfPdu = {
  type: 'P-DATA-TF',
  pdvs: [{ contextId: 1, isCommand: true, isLast: true, data: new Uint8Array([1, 2, 3, 4]) }],
};

const ARTIM = 30000;
const LINGER = 1000;

/** Runs pending microtasks and zero-delay timers until things stop moving. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await vi.advanceTimersByTimeAsync(0);
}

interface Harness {
  ul: UpperLayer;
  peer: ScriptedPeer;
  /** User indications, e.g. 'associateRequest', 'abort:provider', 'abort:0,0', 'closed'. */
  calls: string[];
  /** Arguments of the abort indications. */
  aborts: Parameters<NonNullable<UpperLayerUser['abort']>>[0][];
  /** (state event action) steps recorded by onTransition. */
  trace: string[];
  isClosed: () => boolean;
}

function harness(role: 'requestor' | 'acceptor', user: UpperLayerUser = {}, options: Partial<UpperLayerOptions> = {}): Harness {
  const [local, remote] = createMemoryPair();
  const calls: string[] = [];
  const aborts: Harness['aborts'] = [];
  const trace: string[] = [];
  const record =
    (name: string, extra?: (...args: never[]) => void) =>
    (...args: never[]) => {
      calls.push(name);
      return (extra ?? (user as Record<string, (...a: never[]) => void>)[name])?.(...args);
    };
  const ul = new UpperLayer(
    local,
    {
      associateRequest: record('associateRequest'),
      associateAccept: record('associateAccept'),
      associateReject: record('associateReject'),
      pData: record('pData'),
      releaseRequest: record('releaseRequest'),
      releaseConfirm: record('releaseConfirm'),
      abort: (info) => {
        calls.push('provider' in info ? 'abort:provider' : `abort:${info.source},${info.reason}`);
        aborts.push(info);
        user.abort?.(info);
      },
      closed: record('closed'),
    },
    {
      role,
      artimTimeoutMs: ARTIM,
      abortLingerMs: LINGER,
      onTransition: (s) => trace.push(`${s.state} ${s.event} ${s.action}`),
      ...options,
    },
  );
  let closed = false;
  void ul.closed.then(() => (closed = true));
  return { ul, peer: new ScriptedPeer(remote), calls, aborts, trace, isClosed: () => closed };
}

/** Bytes the peer received, one hex string per PDU, consumed. */
function sent(h: Harness): string[] {
  return h.peer.pdus.splice(0).map((p) => toHex(p.bytes));
}

/** Brings a fresh harness to `state` by the canonical path (reliability S-01); output so far is consumed. */
async function reach(state: StateName, role?: 'requestor' | 'acceptor'): Promise<Harness> {
  const requestorStates: StateName[] = ['Sta5', 'Sta7', 'Sta9', 'Sta11'];
  const chosen = role ?? (requestorStates.includes(state) ? 'requestor' : 'acceptor');
  const h = harness(chosen);
  const { ul, peer } = h;
  const go = async (steps: (() => unknown)[]) => {
    for (const step of steps) {
      await step();
      await settle();
    }
  };
  const toSta6 =
    chosen === 'acceptor'
      ? [() => ul.start(), () => peer.send(RQ_OK), () => ul.acceptAssociation(AC)]
      : [() => ul.start(), () => ul.requestAssociation(RQ), () => peer.sendPdu(AC)];
  const paths: Partial<Record<StateName, (() => unknown)[]>> = {
    Sta1: [],
    Sta2: [() => ul.start()],
    Sta3: [() => ul.start(), () => peer.send(RQ_OK)],
    Sta5: [() => ul.start(), () => ul.requestAssociation(RQ)],
    Sta6: toSta6,
    Sta7: [...toSta6, () => ul.requestRelease()],
    Sta8: [...toSta6, () => peer.send(REL_RQ)],
    Sta9: [...toSta6, () => ul.requestRelease(), () => peer.send(REL_RQ)],
    Sta10: [...toSta6, () => ul.requestRelease(), () => peer.send(REL_RQ)],
    Sta11: [...toSta6, () => ul.requestRelease(), () => peer.send(REL_RQ), () => ul.respondRelease()],
    Sta12: [...toSta6, () => ul.requestRelease(), () => peer.send(REL_RQ), () => peer.send(REL_RP)],
    Sta13: [() => ul.start(), () => peer.send(RQ_OK), () => ul.rejectAssociation(RJ)],
  };
  await go(paths[state]!);
  expect(ul.state).toBe(state);
  sent(h);
  h.calls.length = 0;
  h.trace.length = 0;
  return h;
}

/** Injects one event (PS3.8 §9.2.1) into a harness; local primitives return their promise. */
function inject(h: Harness, event: EventName): Promise<unknown> | undefined {
  const { ul, peer } = h;
  const local: Partial<Record<EventName, () => Promise<unknown>>> = {
    Evt1: () => ul.requestAssociation(RQ),
    Evt7: () => ul.acceptAssociation(AC),
    Evt8: () => ul.rejectAssociation(RJ),
    Evt9: () => ul.sendPData(PDATA),
    Evt11: () => ul.requestRelease(),
    Evt14: () => ul.respondRelease(),
    Evt15: () => ul.abort(),
  };
  const network: Partial<Record<EventName, () => void>> = {
    Evt3: () => peer.sendPdu(AC),
    Evt4: () => peer.send(RJ_BYTES),
    Evt6: () => peer.send(RQ_OK),
    Evt10: () => peer.send(ECHO_OK),
    Evt12: () => peer.send(REL_RQ),
    Evt13: () => peer.send(REL_RP),
    Evt16: () => peer.send(ABORT_USER),
    Evt17: () => peer.end(),
    Evt18: () => void vi.advanceTimersByTime(ARTIM + LINGER),
    Evt19: () => peer.send(UNKNOWN_TYPE),
  };
  if (local[event]) return local[event]!();
  network[event]!();
  return undefined;
}

/** What each action puts on the wire (hex per PDU) in the cell tests; AA-7/AA-8 depend on the event. */
function expectedBytes(action: ActionName, event: EventName): string[] {
  const type = (t: string) => [t];
  switch (action) {
    case 'AE-2':
      return type('01');
    case 'AE-7':
      return type('02');
    case 'AE-8':
      return [RJ_BYTES];
    case 'DT-1':
    case 'AR-7':
      return type('04');
    case 'AR-1':
      return [REL_RQ];
    case 'AR-4':
    case 'AR-9':
      return [REL_RP];
    case 'AA-1':
      return [ABORT_0_0];
    case 'AA-7':
    case 'AA-8':
      return [event === 'Evt19' ? ABORT_2_1 : ABORT_2_2];
    default:
      return [];
  }
}

/** The user indication each action issues (PS3.8 §9.2.2), as recorded by the harness. */
const INDICATIONS: Partial<Record<ActionName, string>> = {
  'AE-3': 'associateAccept',
  'AE-4': 'associateReject',
  'AE-6': 'associateRequest',
  'DT-2': 'pData',
  'AR-2': 'releaseRequest',
  'AR-3': 'releaseConfirm',
  'AR-6': 'pData',
  'AR-8': 'releaseRequest',
  'AR-10': 'releaseConfirm',
  'AA-3': 'abort:0,0',
  'AA-4': 'abort:provider',
  'AA-8': 'abort:provider',
};

const REACHABLE: StateName[] = ['Sta2', 'Sta3', 'Sta5', 'Sta6', 'Sta7', 'Sta8', 'Sta9', 'Sta10', 'Sta11', 'Sta12', 'Sta13'];
const INJECTABLE: EventName[] = [
  'Evt1', 'Evt3', 'Evt4', 'Evt6', 'Evt7', 'Evt8', 'Evt9', 'Evt10', 'Evt11', 'Evt12',
  'Evt13', 'Evt14', 'Evt15', 'Evt16', 'Evt17', 'Evt18', 'Evt19',
];
const LOCAL_EVENTS = new Set<EventName>(['Evt1', 'Evt7', 'Evt8', 'Evt9', 'Evt11', 'Evt14', 'Evt15']);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('S-01: every reachable (state, event) cell of Table 9-10', () => {
  const cells = REACHABLE.flatMap((state) => INJECTABLE.map((event) => [state, event] as const));
  it.each(cells)('%s + %s', async (state, event) => {
    const h = await reach(state);
    const action = transition(event, state);
    // Evt1 needs the requestor role; acceptor-reached states have no Evt1 cell anyway.
    // Evt18: ARTIM runs only in Sta2 and Sta13; elsewhere advancing the clock must do nothing.
    const result = inject(h, event);
    const outcome = result ? await result.then(() => 'ok', (e: unknown) => e) : 'ok';
    await settle();
    if (!action) {
      if (LOCAL_EVENTS.has(event)) expect(outcome).toBeInstanceOf(InvalidStateError);
      expect(h.trace).toEqual([]);
      expect(sent(h)).toEqual([]);
      expect(h.ul.state).toBe(state);
      return;
    }
    expect(outcome).toBe('ok');
    expect(h.trace[0]).toBe(`${state} ${event} ${action}`);
    const wire = sent(h);
    const expected = expectedBytes(action, event).map((b) => toHex(hex(b)));
    // A bare type byte means "a PDU of this type" (RQ/AC/P-DATA bodies are the codec's business).
    expect(wire.map((w, i) => (expected[i]?.length === 2 ? w.slice(0, 2) : w))).toEqual(expected);
    const indication = INDICATIONS[action];
    if (indication) expect(h.calls).toContain(indication);
    else expect(h.calls.filter((c) => c !== 'closed')).toEqual([]);
    expect(ACTIONS[action].next).toContain(h.ul.state);
    if (h.ul.state === 'Sta1') {
      await vi.advanceTimersByTimeAsync(3 * LINGER);
      expect(h.isClosed()).toBe(true);
      expect(h.calls.at(-1)).toBe('closed');
    }
  });

  it('Sta1 (requestor): every local primitive but Evt1 throws InvalidStateError and sends nothing', async () => {
    const h = await reach('Sta1', 'requestor');
    for (const event of ['Evt7', 'Evt8', 'Evt9', 'Evt11', 'Evt14', 'Evt15'] as EventName[]) {
      await expect(inject(h, event)).rejects.toBeInstanceOf(InvalidStateError);
    }
    await settle();
    expect(sent(h)).toEqual([]);
    expect(h.ul.state).toBe('Sta1');
  });

  it('Sta1 + Evt1 (requestor): AE-1 → Sta4, then Evt2 at once: AE-2 sends the RQ → Sta5', async () => {
    const h = await reach('Sta1', 'requestor');
    await h.ul.requestAssociation(RQ);
    await settle();
    expect(h.trace).toEqual(['Sta1 Evt1 AE-1', 'Sta4 Evt2 AE-2']);
    expect(h.peer.takeDecoded()).toMatchObject({ type: 'A-ASSOCIATE-RQ', calledAeTitle: 'ANY-SCP' });
    expect(h.ul.state).toBe('Sta5');
  });

  it('Sta1 + Evt5 (acceptor start): AE-5 → Sta2 with ARTIM running', async () => {
    const h = harness('acceptor');
    h.ul.start();
    expect(h.trace).toEqual(['Sta1 Evt5 AE-5']);
    expect(h.ul.state).toBe('Sta2');
    await expect(h.ul.requestAssociation(RQ)).rejects.toBeInstanceOf(InvalidStateError);
  });

  it('a bad local PDU rejects before any transition', async () => {
    const h = await reach('Sta3');
    await expect(h.ul.acceptAssociation({ ...AC, calledAeTitle: 'X'.repeat(40) })).rejects.toBeInstanceOf(Error);
    expect(h.ul.state).toBe('Sta3');
    expect(h.trace).toEqual([]);
  });
});

describe('ARTIM (PS3.8 §9.1.5; T-01, T-02)', () => {
  it('T-01: expiry in Sta2 closes without sending anything (AA-2)', async () => {
    const h = harness('acceptor');
    h.ul.start();
    await vi.advanceTimersByTimeAsync(ARTIM - 1);
    expect(h.ul.state).toBe('Sta2');
    expect(h.peer.ended).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.trace.at(-1)).toBe('Sta2 Evt18 AA-2');
    expect(h.ul.state).toBe('Sta1');
    await settle();
    expect(h.peer.ended).toBe(true);
    expect(h.peer.pdus).toEqual([]);
    expect(h.peer.pending).toBe(0);
    expect(h.isClosed()).toBe(true);
    expect(h.calls).toEqual(['closed']);
  });

  it('T-02: trickled bytes of an RQ do not restart ARTIM', async () => {
    const h = harness('acceptor');
    h.ul.start();
    const rq = hex(RQ_OK);
    for (let i = 0; i < 29; i++) {
      h.peer.send(rq.subarray(i, i + 1));
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(h.ul.state).toBe('Sta2');
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.ul.state).toBe('Sta1');
    await settle();
    expect(h.peer.pdus).toEqual([]);
    expect(h.calls).toEqual(['closed']);
  });

  it('AE-6 stops ARTIM: Sta3 waits for the local user indefinitely', async () => {
    const h = await reach('Sta3');
    await vi.advanceTimersByTimeAsync(10 * ARTIM);
    expect(h.ul.state).toBe('Sta3');
    expect(h.trace).toEqual([]);
  });

  it('a custom artimTimeoutMs and an injected clock are honoured', async () => {
    const clock = { setTimeout: vi.fn(globalThis.setTimeout), clearTimeout: vi.fn(globalThis.clearTimeout) };
    const h = harness('acceptor', {}, { artimTimeoutMs: 500, clock });
    expect(clock.setTimeout).not.toHaveBeenCalled();
    h.ul.start();
    await vi.advanceTimersByTimeAsync(499);
    expect(h.ul.state).toBe('Sta2');
    await vi.advanceTimersByTimeAsync(1);
    expect(h.ul.state).toBe('Sta1');
    expect(clock.setTimeout).toHaveBeenCalledWith(expect.any(Function), 500);
  });
});

describe('before the A-ASSOCIATE-RQ (Sta2; S-10, M-04)', () => {
  it.each([
    ['P-DATA-TF', ECHO_OK],
    ['A-RELEASE-RQ', REL_RQ],
    ['A-ASSOCIATE-RJ', RJ_BYTES],
    ['A-RELEASE-RP', REL_RP],
    ['unknown type 08H', UNKNOWN_TYPE],
    ['HTTP', toHex(new TextEncoder().encode('GET / HTTP/1.1\r\n'))],
    ['huge A-ASSOCIATE header', '01 00 FF FF FF FF'],
  ])('AA-1 answers %s with exactly 07 00 00 00 00 04 00 00 00 00, then closes at abortLinger', async (_, bytes) => {
    const h = harness('acceptor');
    h.ul.start();
    h.peer.send(bytes);
    await settle();
    expect(h.trace.at(-1)).toMatch(/^Sta2 Evt\d+ AA-1$/);
    expect(h.peer.pdus.map((p) => toHex(p.bytes))).toEqual([ABORT_0_0]);
    expect(h.ul.state).toBe('Sta13');
    expect(h.calls).toEqual([]);
    h.peer.send(RQ_OK); // after a framing error nothing is parsed; after an unexpected PDU, AA-7 answers once
    await vi.advanceTimersByTimeAsync(LINGER);
    expect(h.ul.state).toBe('Sta1');
    await settle();
    expect(h.peer.ended).toBe(true);
    expect(h.isClosed()).toBe(true);
  });

  it('an A-ABORT first: AA-2, close, nothing sent', async () => {
    const h = harness('acceptor');
    h.ul.start();
    h.peer.send(ABORT_USER);
    await settle();
    expect(h.trace).toEqual(['Sta1 Evt5 AE-5', 'Sta2 Evt16 AA-2']);
    expect(h.peer.pdus).toEqual([]);
    expect(h.peer.ended).toBe(true);
    expect(h.isClosed()).toBe(true);
  });

  it('the peer closes first: AA-5, no indication but closed', async () => {
    const h = harness('acceptor');
    h.ul.start();
    h.peer.end();
    await settle();
    expect(h.trace.at(-1)).toBe('Sta2 Evt17 AA-5');
    expect(h.calls).toEqual(['closed']);
  });

  it('N-03: protocol version without bit 0 → AE-6 sends RJ (1,2,2) and goes to Sta13', async () => {
    const h = harness('acceptor');
    h.ul.start();
    const rq = hex(RQ_OK);
    rq[7] = 0x02;
    h.peer.send(rq);
    await settle();
    expect(h.trace.at(-1)).toBe('Sta2 Evt6 AE-6');
    expect(h.peer.pdus.map((p) => toHex(p.bytes))).toEqual(['03 00 00 00 00 04 00 01 02 02']);
    expect(h.ul.state).toBe('Sta13');
    expect(h.calls).toEqual([]);
  });

  it('N-04: protocol version 0003H is accepted (only bit 0 is tested)', async () => {
    const h = harness('acceptor');
    h.ul.start();
    const rq = hex(RQ_OK);
    rq[7] = 0x03;
    h.peer.send(rq);
    await settle();
    expect(h.ul.state).toBe('Sta3');
    expect(h.calls).toEqual(['associateRequest']);
  });
});

describe('unexpected and invalid PDUs after the RQ (AA-8; S-05, S-06, S-08, M-04, M-13, M-17)', () => {
  it('S-05: a second A-ASSOCIATE-RQ in Sta6 → A-ABORT (2,2), A-P-ABORT indication, Sta13', async () => {
    const h = await reach('Sta6');
    h.peer.send(RQ_OK);
    await settle();
    expect(sent(h)).toEqual([ABORT_2_2]);
    expect(h.ul.state).toBe('Sta13');
    expect(h.aborts).toHaveLength(1);
    const info = h.aborts[0] as { provider: true; error: ProtocolError };
    expect(info.error).toBeInstanceOf(ProtocolError);
    expect(info.error.abort).toEqual({ source: 2, reason: 2 });
  });

  it('S-06: an A-ASSOCIATE-AC to an acceptor in Sta6 → A-ABORT (2,2)', async () => {
    const h = await reach('Sta6');
    h.peer.sendPdu(AC);
    await settle();
    expect(sent(h)).toEqual([ABORT_2_2]);
  });

  it('S-08: P-DATA after the peer\'s A-RELEASE-RQ (Sta8) → A-ABORT (2,2)', async () => {
    const h = await reach('Sta8');
    h.peer.send(ECHO_OK);
    await settle();
    expect(h.trace).toEqual(['Sta8 Evt10 AA-8']);
    expect(sent(h)).toEqual([ABORT_2_2]);
  });

  it('M-04: an unknown PDU type in Sta6 → A-ABORT (2,1)', async () => {
    const h = await reach('Sta6');
    h.peer.send('FF 00 00 00 00 04 00 00 00 00');
    await settle();
    expect(h.trace).toEqual(['Sta6 Evt19 AA-8']);
    expect(sent(h)).toEqual([ABORT_2_1]);
  });

  it('M-13: a malformed P-DATA (no PDVs) in Sta6 → A-ABORT (2,6)', async () => {
    const h = await reach('Sta6');
    h.peer.send('04 00 00 00 00 00');
    await settle();
    expect(sent(h)).toEqual([ABORT_2_6]);
    const info = h.aborts[0] as { provider: true; error: ProtocolError };
    expect(info.error).toBeInstanceOf(ProtocolError);
  });

  it('M-02: a P-DATA header above the negotiated maximum → A-ABORT (2,6) before the body', async () => {
    const h = await reach('Sta6');
    h.ul.setReceiveLimits({ maxPduLength: 1024 });
    h.peer.send('04 00 00 00 04 01');
    await settle();
    expect(sent(h)).toEqual([ABORT_2_6]);
  });

  it('M-17: a framing error followed by 10 KiB of garbage → exactly one A-ABORT, nothing parsed afterwards', async () => {
    const h = await reach('Sta6');
    h.peer.send(UNKNOWN_TYPE);
    h.peer.send(new Uint8Array(10240).fill(0xff));
    h.peer.send(RQ_OK);
    await settle();
    expect(sent(h)).toEqual([ABORT_2_1]);
    expect(h.trace).toEqual(['Sta6 Evt19 AA-8']);
    await vi.advanceTimersByTimeAsync(LINGER);
    expect(h.ul.state).toBe('Sta1');
    await settle();
    expect(h.peer.ended).toBe(true);
    expect(h.peer.pdus).toEqual([]);
  });

  it('PDUs after the bad one in the same chunk are not processed', async () => {
    const h = await reach('Sta6');
    h.peer.send(hex(`${REL_RQ} ${ABORT_USER}`));
    await settle();
    expect(h.trace).toEqual(['Sta6 Evt12 AR-2', 'Sta8 Evt16 AA-3']);
  });
});

describe('Sta13 (S-09, T-05, R2)', () => {
  it('S-09: P-DATA ignored, first RQ → one A-ABORT (AA-7), further RQs ignored, close at abortLinger', async () => {
    const h = await reach('Sta13');
    h.peer.send(ECHO_OK);
    h.peer.send(RQ_OK);
    h.peer.send(RQ_OK);
    await settle();
    expect(h.trace).toEqual(['Sta13 Evt10 AA-6', 'Sta13 Evt6 AA-7', 'Sta13 Evt6 AA-7']);
    expect(sent(h)).toEqual([ABORT_2_2]);
    await vi.advanceTimersByTimeAsync(LINGER - 1);
    expect(h.ul.state).toBe('Sta13');
    await vi.advanceTimersByTimeAsync(1);
    expect(h.trace.at(-1)).toBe('Sta13 Evt18 AA-2');
    await settle();
    expect(h.peer.ended).toBe(true);
    expect(h.isClosed()).toBe(true);
  });

  it('T-05: the peer never closes after our RJ: the RJ is delivered before our end, and we close at abortLinger', async () => {
    const h = harness('acceptor');
    h.ul.start();
    h.peer.send(RQ_OK);
    await settle();
    await h.ul.rejectAssociation(RJ);
    await settle();
    expect(h.peer.pdus.map((p) => toHex(p.bytes))).toEqual([RJ_BYTES]);
    expect(h.peer.ended).toBe(false);
    await vi.advanceTimersByTimeAsync(LINGER);
    await settle();
    expect(h.peer.ended).toBe(true);
    expect(h.peer.readError).toBeUndefined(); // a FIN, not a reset
    expect(h.isClosed()).toBe(true);
  });

  it('AR-5: the peer closes after our A-ABORT → Sta1 at once', async () => {
    const h = await reach('Sta6');
    await h.ul.abort();
    await settle();
    expect(sent(h)).toEqual([ABORT_0_0]);
    h.peer.end();
    await settle();
    expect(h.trace).toEqual(['Sta6 Evt15 AA-1', 'Sta13 Evt17 AR-5']);
    expect(h.isClosed()).toBe(true);
  });

  it('abort(source, reason) sends the caller\'s values', async () => {
    const h = await reach('Sta6');
    await h.ul.abort(2, 5);
    await settle();
    expect(sent(h)).toEqual(['07 00 00 00 00 04 00 00 02 05']);
  });

  it('a second abort() rejects with InvalidStateError (Evt15 has no Sta13 cell) and sends nothing', async () => {
    const h = await reach('Sta6');
    await h.ul.abort();
    await expect(h.ul.abort()).rejects.toBeInstanceOf(InvalidStateError);
    await settle();
    expect(sent(h)).toEqual([ABORT_0_0]);
  });
});

describe('transport loss and user failures', () => {
  it('AA-4: a reset in Sta6 → A-P-ABORT indication with a TransportError, Sta1, closed', async () => {
    const h = await reach('Sta6');
    h.peer.rst();
    await settle();
    expect(h.trace).toEqual(['Sta6 Evt17 AA-4']);
    const info = h.aborts[0] as { provider: true; error: Error };
    expect(info.error).toBeInstanceOf(TransportError);
    expect(h.isClosed()).toBe(true);
    expect(h.calls).toEqual(['abort:provider', 'closed']);
  });

  it('AA-3: a peer A-ABORT (2,6) in Sta6 is reported with its source and reason', async () => {
    const h = await reach('Sta6');
    h.peer.send(ABORT_2_6);
    await settle();
    expect(h.aborts).toEqual([{ source: 2, reason: 6 }]);
    expect(h.isClosed()).toBe(true);
  });

  it('a throwing callback becomes a local A-ABORT (0,0) with a provider indication', async () => {
    const h = harness('acceptor', {
      pData: () => {
        throw new Error('boom');
      },
    });
    h.ul.start();
    h.peer.send(RQ_OK);
    await settle();
    await h.ul.acceptAssociation(AC);
    await settle();
    sent(h);
    h.peer.send(ECHO_OK);
    await settle();
    expect(sent(h)).toEqual([ABORT_0_0]);
    expect(h.ul.state).toBe('Sta13');
    expect(h.calls).toContain('abort:provider');
  });

  it('destroy() ends any state at once without sending', async () => {
    const h = await reach('Sta3');
    h.ul.destroy();
    await settle();
    expect(h.ul.state).toBe('Sta1');
    expect(h.peer.pdus).toEqual([]);
    expect(h.isClosed()).toBe(true);
  });
});

describe('back-pressure', () => {
  it('a pData promise holds the next PDU until it settles', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const h = harness('acceptor', { pData: () => gate });
    h.ul.start();
    h.peer.send(RQ_OK);
    await settle();
    await h.ul.acceptAssociation(AC);
    h.peer.send(hex(`${ECHO_OK} ${REL_RQ}`));
    await settle();
    expect(h.ul.state).toBe('Sta6');
    expect(h.calls).toEqual(['associateRequest', 'pData']);
    release();
    await settle();
    expect(h.ul.state).toBe('Sta8');
    expect(h.calls).toEqual(['associateRequest', 'pData', 'releaseRequest']);
  });

  it('a pData promise that never settles does not keep the association open after an abort', async () => {
    const h = harness('acceptor', { pData: () => new Promise<void>(() => undefined) });
    h.ul.start();
    h.peer.send(RQ_OK);
    await settle();
    await h.ul.acceptAssociation(AC);
    h.peer.send(ECHO_OK);
    await settle();
    await h.ul.abort();
    await vi.advanceTimersByTimeAsync(LINGER);
    await settle();
    expect(h.ul.state).toBe('Sta1');
    expect(h.isClosed()).toBe(true);
  });

  it('sendPData resolves only when the transport writer is ready again', async () => {
    const [local, remote] = createMemoryPair({ highWaterMark: 64 });
    const ul = new UpperLayer(local, {}, { role: 'requestor' });
    await ul.requestAssociation(RQ); // control PDUs never wait for back-pressure
    const reader = remote.readable.getReader();
    const writer = remote.writable.getWriter();
    // Become Sta6 by feeding an AC encoded by the peer side.
    const { encodePdu } = await import('../../src/pdu/encode');
    await writer.write(encodePdu(AC));
    await settle();
    expect(ul.state).toBe('Sta6');
    await reader.read(); // the RQ
    let done = false;
    const big: PDataTfPdu = { type: 'P-DATA-TF', pdvs: [{ contextId: 1, isCommand: false, isLast: true, data: new Uint8Array(1000) }] };
    void ul.sendPData(big).then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    await reader.read();
    await settle();
    expect(done).toBe(true);
  });
});

describe('two UpperLayers back to back (S-02, S-03, S-04, S-07)', () => {
  function pair(release: 'answer' | 'collision-aware' = 'collision-aware', chunking?: { min: number; max: number; seed: number }) {
    const [a, b] = createMemoryPair({ chunking });
    const traceA: string[] = [];
    const traceB: string[] = [];
    let scu!: UpperLayer;
    let scp!: UpperLayer;
    const received: string[] = [];
    // A service user like src/channel.ts: answer the release in Sta8/Sta9 and after AR-10 (Sta12).
    const user = (get: () => UpperLayer, name: string): UpperLayerUser => ({
      associateRequest: () => void get().acceptAssociation(AC),
      pData: () => void received.push(name),
      releaseRequest: () => {
        if (release === 'answer' || get().state === 'Sta8' || get().state === 'Sta9') void get().respondRelease().catch(() => undefined);
      },
      releaseConfirm: () => {
        if (get().state === 'Sta12') void get().respondRelease();
      },
    });
    scu = new UpperLayer(a, user(() => scu, 'scu'), { role: 'requestor', onTransition: (s) => traceA.push(`${s.state} ${s.event} ${s.action}`) });
    scp = new UpperLayer(b, user(() => scp, 'scp'), { role: 'acceptor', onTransition: (s) => traceB.push(`${s.state} ${s.event} ${s.action}`) });
    return { scu, scp, traceA, traceB, received };
  }

  it('S-02: associate, P-DATA both ways, release: recorded paths', async () => {
    const { scu, scp, traceA, traceB, received } = pair();
    scp.start();
    scu.start();
    await scu.requestAssociation(RQ);
    await settle();
    expect(scu.state).toBe('Sta6');
    await scu.sendPData(PDATA);
    await settle();
    await scp.sendPData(PDATA);
    await settle();
    await scu.requestRelease();
    await settle();
    await Promise.all([scu.closed, scp.closed]);
    expect(received).toEqual(['scp', 'scu']);
    expect(traceA).toEqual(['Sta1 Evt1 AE-1', 'Sta4 Evt2 AE-2', 'Sta5 Evt3 AE-3', 'Sta6 Evt9 DT-1', 'Sta6 Evt10 DT-2', 'Sta6 Evt11 AR-1', 'Sta7 Evt13 AR-3']);
    expect(traceB).toEqual(['Sta1 Evt5 AE-5', 'Sta2 Evt6 AE-6', 'Sta3 Evt7 AE-7', 'Sta6 Evt10 DT-2', 'Sta6 Evt9 DT-1', 'Sta6 Evt12 AR-2', 'Sta8 Evt14 AR-4', 'Sta13 Evt17 AR-5']);
    expect(scu.state).toBe('Sta1');
    expect(scp.state).toBe('Sta1');
  });

  it.each([1, 2, 3])('M-07: the same path over 1..7-byte chunks (seed %i)', async (seed) => {
    const { scu, scp, traceA, traceB, received } = pair('collision-aware', { min: 1, max: 7, seed });
    scp.start();
    await scu.requestAssociation(RQ);
    await settle();
    await scu.sendPData(PDATA);
    await settle();
    await scu.requestRelease();
    await settle();
    await Promise.all([scu.closed, scp.closed]);
    expect(received).toEqual(['scp']);
    expect(traceA.at(-1)).toBe('Sta7 Evt13 AR-3');
    expect(traceB.at(-1)).toBe('Sta13 Evt17 AR-5');
  });

  it('S-03/S-04: release collision on both sides ends in Sta1 on both', async () => {
    const { scu, scp, traceA, traceB } = pair();
    scp.start();
    await scu.requestAssociation(RQ);
    await settle();
    // Both ask in the same tick.
    await Promise.all([scu.requestRelease(), scp.requestRelease()]);
    await settle();
    await Promise.all([scu.closed, scp.closed]);
    expect(traceA.slice(3)).toEqual(['Sta6 Evt11 AR-1', 'Sta7 Evt12 AR-8', 'Sta9 Evt14 AR-9', 'Sta11 Evt13 AR-3']);
    expect(traceB.slice(3)).toEqual(['Sta6 Evt11 AR-1', 'Sta7 Evt12 AR-8', 'Sta10 Evt13 AR-10', 'Sta12 Evt14 AR-4', 'Sta13 Evt17 AR-5']);
  });

  it('S-07: P-DATA after our A-RELEASE-RQ is still delivered (AR-6)', async () => {
    const { scu, scp, traceA, received } = pair();
    scp.start();
    await scu.requestAssociation(RQ);
    await settle();
    // The SCP sends a response right after our RQ is on the wire, before answering the release.
    // Both in the same tick: the SCP's P-DATA crosses our A-RELEASE-RQ on the wire.
    await Promise.all([scu.requestRelease(), scp.sendPData(PDATA)]);
    await settle();
    await Promise.all([scu.closed, scp.closed]);
    expect(traceA).toContain('Sta7 Evt10 AR-6');
    expect(received).toEqual(['scu']);
  });
});
