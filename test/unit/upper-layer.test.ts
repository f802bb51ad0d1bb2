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
