/**
 * Z-05 (reliability.md §3.14, S-12): a model-based test of the Upper Layer state machine. fast-check
 * generates random interleavings of local primitives and inbound PDUs — valid ones, an unknown type,
 * a bad length, a transport close, ARTIM expiry — and runs them against the real UpperLayer over a
 * memory pair (fake timers) and against a reference built from the text of PS3.8 Table 9-10 (not
 * from src/ul/fsm-table.ts). After every step: same state, same (state, event, action) trace, the
 * same PDUs on the wire, ARTIM running iff Sta2/Sta13; over a run: P-DATA only sent in Sta6/Sta8, at
 * most one A-ABORT per connection (AA-7 answers only in a Sta13 stay that no A-ABORT of ours began,
 * e.g. after an RJ or RP), nothing answered after a framing error.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { InvalidStateError } from '../../src/errors';
import type { AssociateAcPdu, AssociateRjPdu, AssociateRqPdu, PDataTfPdu } from '../../src/pdu/types';
import { UpperLayer } from '../../src/ul/upper-layer';
import { hex, ScriptedPeer, toHex } from '../unit/helpers/scripted-peer';
import { note, printFigures } from './helpers/figures';
import { ECHO_OK, RQ_OK, patched } from './helpers/scp';
import { table9_10 } from '../fixtures/table-9-10';

const REFERENCE = table9_10();
const reference = (event: string, state: string) => REFERENCE.get(`${event}/${state}`);

// ---- what the commands send -------------------------------------------------------------------

const VERIFICATION = '1.2.840.10008.1.1';
const IMPLICIT = '1.2.840.10008.1.2';
const RQ: AssociateRqPdu = {
  type: 'A-ASSOCIATE-RQ', protocolVersion: 1, calledAeTitle: 'ANY-SCP', callingAeTitle: 'NETDICOM', applicationContextName: '1.2.840.10008.3.1.1.1',
  presentationContexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] }],
  userInformation: { maxLength: 16384, implementationClassUid: '1.2.3.4' },
} as AssociateRqPdu;
const AC: AssociateAcPdu = {
  type: 'A-ASSOCIATE-AC', protocolVersion: 1, calledAeTitle: 'ANY-SCP', callingAeTitle: 'NETDICOM', applicationContextName: '1.2.840.10008.3.1.1.1',
  presentationContexts: [{ id: 1, result: 0, transferSyntax: IMPLICIT }],
  userInformation: { maxLength: 16384, implementationClassUid: '1.2.3.4' },
} as AssociateAcPdu;
const RJ: AssociateRjPdu = { type: 'A-ASSOCIATE-RJ', result: 1, source: 1, reason: 1 };
const PDATA: PDataTfPdu = { type: 'P-DATA-TF', pdvs: [{ contextId: 1, isCommand: true, isLast: true, data: new Uint8Array([1, 2, 3, 4]) }] };
const RJ_BYTES = '03 00 00 00 00 04 00 01 01 01';
const RJ_VERSION = '03 00 00 00 00 04 00 01 02 02';
const REL_RQ = '05 00 00 00 00 04 00 00 00 00';
const REL_RP = '06 00 00 00 00 04 00 00 00 00';
const abort = (source: number, reason: number) => `07 00 00 00 00 04 00 00 0${source} 0${reason}`;

const ARTIM = 30_000;
const LINGER = 1_000;

type Role = 'acceptor' | 'requestor';

/** What a command is: a local primitive (Evt1, 7, 8, 9, 11, 14, 15) or a network event with its bytes. */
const KINDS = {
  'A-ASSOCIATE rq': { event: 'Evt1', local: true },
  'A-ASSOCIATE accept': { event: 'Evt7', local: true },
  'A-ASSOCIATE reject': { event: 'Evt8', local: true },
  'P-DATA rq': { event: 'Evt9', local: true },
  'A-RELEASE rq': { event: 'Evt11', local: true },
  'A-RELEASE rsp': { event: 'Evt14', local: true },
  'A-ABORT rq': { event: 'Evt15', local: true },
  'recv AC': { event: 'Evt3' },
  'recv RJ': { event: 'Evt4' },
  'recv RQ': { event: 'Evt6' },
  'recv RQ (bad version)': { event: 'Evt6' },
  'recv P-DATA': { event: 'Evt10' },
  'recv RELEASE-RQ': { event: 'Evt12' },
  'recv RELEASE-RP': { event: 'Evt13' },
  'recv A-ABORT': { event: 'Evt16' },
  'recv unknown type': { event: 'Evt19', reason: 1 },
  'recv bad length': { event: 'Evt19', reason: 6 },
  'transport closed': { event: 'Evt17' },
  'ARTIM expires': { event: 'Evt18' },
} as const satisfies Record<string, { event: string; local?: boolean; reason?: number }>;
type Kind = keyof typeof KINDS;
/** Canonical paths into the release and collision states (S-01's paths), of which a run first takes a prefix. */
const PATHS: Record<Role, Kind[]> = {
  acceptor: ['recv RQ', 'A-ASSOCIATE accept', 'A-RELEASE rq', 'recv RELEASE-RQ', 'recv RELEASE-RP', 'A-RELEASE rsp'],
  requestor: ['A-ASSOCIATE rq', 'recv AC', 'A-RELEASE rq', 'recv RELEASE-RQ', 'A-RELEASE rsp', 'recv RELEASE-RP'],
};
const HAPPY = new Set<Kind>(['A-ASSOCIATE rq', 'A-ASSOCIATE accept', 'recv RQ', 'recv AC', 'P-DATA rq', 'recv P-DATA', 'A-RELEASE rq', 'recv RELEASE-RQ', 'recv RELEASE-RP', 'A-RELEASE rsp']);

// ---- the reference model ----------------------------------------------------------------------

interface Model {
  role: Role;
  state: string;
  /** The requestor has issued A-ASSOCIATE (a connection exists). */
  started: boolean;
  /** Sta1 reached after a connection: the transport is closed, nothing happens any more. */
  closed: boolean;
  /** A framing error was answered: no later PDU is parsed. */
  framingLost: boolean;
  /** The peer has ended its side (it sends nothing more). */
  peerEnded: boolean;
  abortSentInSta13: boolean;
}

interface Expected {
  trace: string[];
  wire: string[];
  throws: boolean;
}

const NEXT: Record<string, string> = {
  'AE-1': 'Sta4', 'AE-2': 'Sta5', 'AE-3': 'Sta6', 'AE-4': 'Sta1', 'AE-5': 'Sta2', 'AE-7': 'Sta6', 'AE-8': 'Sta13',
  'DT-1': 'Sta6', 'DT-2': 'Sta6', 'AR-1': 'Sta7', 'AR-2': 'Sta8', 'AR-3': 'Sta1', 'AR-4': 'Sta13', 'AR-5': 'Sta1',
  'AR-6': 'Sta7', 'AR-7': 'Sta8', 'AR-9': 'Sta11', 'AR-10': 'Sta12', 'AA-1': 'Sta13', 'AA-2': 'Sta1', 'AA-3': 'Sta1',
  'AA-4': 'Sta1', 'AA-5': 'Sta1', 'AA-6': 'Sta13', 'AA-7': 'Sta13', 'AA-8': 'Sta13',
};

/** Advances the model by one command; returns what the real machine must do. */
function step(m: Model, kind: Kind): Expected {
  const { event } = KINDS[kind];
  const local = 'local' in KINDS[kind];
  const out: Expected = { trace: [], wire: [], throws: false };
  if (m.closed) return { ...out, throws: local };
  if (!local && m.framingLost && !['Evt17', 'Evt18'].includes(event)) return out; // input discarded
  if (event === 'Evt18' && m.state !== 'Sta2' && m.state !== 'Sta13') return out; // ARTIM not running
  const action = reference(event, m.state);
  if (!action) return { ...out, throws: local };
  out.trace.push(`${m.state} ${event} ${action}`);
  const enter13 = () => {
    if (m.state !== 'Sta13') m.abortSentInSta13 = false;
    m.state = 'Sta13';
  };
  const reason = 'reason' in KINDS[kind] ? (KINDS[kind] as { reason: number }).reason : 2;
  switch (action) {
    case 'AE-1':
      m.state = 'Sta4';
      m.started = true;
      out.trace.push('Sta4 Evt2 AE-2');
      out.wire.push('01');
      m.state = 'Sta5';
      break;
    case 'AE-6':
      if (kind === 'recv RQ (bad version)') {
        out.wire.push(RJ_VERSION);
        enter13();
      } else m.state = 'Sta3';
      break;
    case 'AE-7':
      out.wire.push('02');
      m.state = 'Sta6';
      break;
    case 'AE-8':
      out.wire.push(RJ_BYTES);
      enter13();
      break;
    case 'DT-1':
    case 'AR-7':
      out.wire.push('04');
      break;
    case 'AR-1':
      out.wire.push(REL_RQ);
      m.state = 'Sta7';
      break;
    case 'AR-4':
      out.wire.push(REL_RP);
      enter13();
      break;
    case 'AR-9':
      out.wire.push(REL_RP);
      m.state = 'Sta11';
      break;
    case 'AR-8':
      m.state = m.role === 'requestor' ? 'Sta9' : 'Sta10';
      break;
    case 'AA-1':
      out.wire.push(abort(0, 0));
      enter13();
      m.abortSentInSta13 = true; // the peer has our A-ABORT: AA-7 adds none
      break;
    case 'AA-7':
      if (!m.abortSentInSta13) out.wire.push(abort(2, event === 'Evt19' ? reason : 2));
      m.abortSentInSta13 = true;
      break;
    case 'AA-8':
      out.wire.push(abort(2, event === 'Evt19' ? reason : 2));
      enter13();
      m.abortSentInSta13 = true;
      break;
    default:
      m.state = NEXT[action]!;
  }
  if (m.state === 'Sta1') m.closed = true;
  if (event === 'Evt19') m.framingLost = true;
  return out;
}

// ---- the real machine -------------------------------------------------------------------------

interface Real {
  ul: UpperLayer;
  peer: ScriptedPeer;
  trace: string[];
  /** Every PDU the machine sent, with the model state it was in. */
  sent: { bytes: string; state: string }[];
}

async function settle(): Promise<void> {
  for (let i = 0; i < 8; i++) await vi.advanceTimersByTimeAsync(0);
}

function realMachine(role: Role): Real {
  const [local, remote] = createMemoryPair();
  const trace: string[] = [];
  const ul = new UpperLayer(local, {}, { role, artimTimeoutMs: ARTIM, abortLingerMs: LINGER, onTransition: (s) => trace.push(`${s.state} ${s.event} ${s.action}`) });
  return { ul, peer: new ScriptedPeer(remote), trace, sent: [] };
}

async function inject(r: Real, kind: Kind): Promise<unknown> {
  const { ul, peer } = r;
  const locals: Partial<Record<Kind, () => Promise<unknown>>> = {
    'A-ASSOCIATE rq': () => ul.requestAssociation(RQ),
    'A-ASSOCIATE accept': () => ul.acceptAssociation(AC),
    'A-ASSOCIATE reject': () => ul.rejectAssociation(RJ),
    'P-DATA rq': () => ul.sendPData(PDATA),
    'A-RELEASE rq': () => ul.requestRelease(),
    'A-RELEASE rsp': () => ul.respondRelease(),
    'A-ABORT rq': () => ul.abort(),
  };
  const call = locals[kind];
  if (call) {
    try {
      await call();
      return 'ok';
    } catch (error) {
      return error;
    }
  }
  switch (kind) {
    case 'recv AC': peer.sendPdu(AC); break;
    case 'recv RJ': peer.send(RJ_BYTES); break;
    case 'recv RQ': peer.send(RQ_OK); break;
    case 'recv RQ (bad version)': peer.send(patched(RQ_OK, 6, '00 02')); break;
    case 'recv P-DATA': peer.send(ECHO_OK); break;
    case 'recv RELEASE-RQ': peer.send(REL_RQ); break;
    case 'recv RELEASE-RP': peer.send(REL_RP); break;
    case 'recv A-ABORT': peer.send(abort(0, 0)); break;
    case 'recv unknown type': peer.send('08 00 00 00 00 04 00 00 00 00'); break;
    case 'recv bad length': peer.send('05 00 00 00 00 03 00 00 00'); break;
    case 'transport closed': peer.end(); break;
    case 'ARTIM expires': await vi.advanceTimersByTimeAsync(ARTIM + LINGER + 1); break;
  }
  return 'ok';
}

let stats = { runs: 0, steps: 0, states: new Set<string>(), cells: new Set<string>() };

/** One step of a run: model and machine, then every per-step check. */
class Step implements fc.AsyncCommand<Model, Real> {
  constructor(readonly kind: Kind) {}

  /** Nothing reaches a requestor before it has connected (it is not reading yet); a peer that ended sends nothing. */
  check(m: Readonly<Model>): boolean {
    const kind = KINDS[this.kind];
    if ('local' in kind || kind.event === 'Evt18') return true;
    return (m.role === 'acceptor' || m.started) && !m.peerEnded;
  }

  async run(m: Model, r: Real): Promise<void> {
    const before = m.state;
    stats.steps++;
    if (!m.closed) {
      stats.states.add(before);
      if (reference(KINDS[this.kind].event, before)) stats.cells.add(`${KINDS[this.kind].event}/${before}`);
    }
    const expected = step(m, this.kind);
    if (this.kind === 'transport closed') m.peerEnded = true;
    r.trace.length = 0;
    const outcome = await inject(r, this.kind);
    await settle();
    const wire = r.peer.pdus.splice(0).map((p) => toHex(p.bytes));
    for (const bytes of wire) r.sent.push({ bytes, state: before });
    if (expected.throws) expect(outcome, `${this.kind} in ${before}`).toBeInstanceOf(InvalidStateError);
    else expect(outcome, `${this.kind} in ${before}`).toBe('ok');
    expect(r.trace, `trace of ${this.kind} in ${before}`).toEqual(expected.trace);
    // A bare type byte means "a PDU of this type" (RQ, AC and P-DATA bodies are the codec's business).
    const expectedWire = expected.wire.map((w) => (w.length === 2 ? w : toHex(hex(w))));
    expect(wire.map((w, i) => (expectedWire[i]?.length === 2 ? w.slice(0, 2) : w)), `PDUs sent for ${this.kind} in ${before}`).toEqual(expectedWire);
    expect(r.ul.state, `state after ${this.kind} in ${before}`).toBe(m.state);
    const artim = (r.ul as unknown as { artim: { running: boolean } }).artim.running;
    expect(artim, `ARTIM running in ${m.state}`).toBe(!m.closed && (m.state === 'Sta2' || m.state === 'Sta13'));
  }

  toString(): string {
    return this.kind;
  }
}

/** Whole-run properties over what was sent. */
function checkRun(r: Real): void {
  const pdata = r.sent.filter((s) => s.bytes.startsWith('04'));
  expect(pdata.every((s) => s.state === 'Sta6' || s.state === 'Sta8'), 'P-DATA only from Sta6/Sta8').toBe(true);
  const aborts = r.sent.filter((s) => s.bytes.startsWith('07'));
  expect(aborts.length, 'A-ABORTs per connection').toBeLessThanOrEqual(1);
  expect(aborts.filter((s) => s.state === 'Sta13').length, 'AA-7 answers').toBeLessThanOrEqual(1);
}

const RUNS = Number(process.env.Z05_RUNS ?? 500);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Z-05: the Upper Layer state machine against a reference from PS3.8 Table 9-10', () => {
  it(`${RUNS} random command sequences (≤ 30 steps), both roles`, { timeout: 120_000 }, async () => {
    stats = { runs: 0, steps: 0, states: new Set(), cells: new Set() };
    const t0 = performance.now();
    // The association's normal path is weighted up so runs get past Sta6 into release and collisions;
    // every other event stays in, at a lower rate.
    const weight = (k: Kind) => (HAPPY.has(k) ? 6 : 1);
    const commands = fc.commands(
      (Object.keys(KINDS) as Kind[]).flatMap((k) => Array.from({ length: weight(k) }, () => fc.constant(new Step(k)))),
      { maxCommands: 30, size: 'large' },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<Role>('acceptor', 'requestor'), fc.nat({ max: 6 }), commands, async (role, prefix, cmds) => {
        const real = realMachine(role);
        const model: Model = { role, state: 'Sta1', started: false, closed: false, framingLost: false, peerEnded: false, abortSentInSta13: false };
        if (role === 'acceptor') {
          real.ul.start();
          model.state = 'Sta2';
          model.started = true;
        }
        try {
          for (const kind of PATHS[role].slice(0, prefix)) await new Step(kind).run(model, real);
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          checkRun(real);
        } finally {
          real.ul.destroy();
          await settle();
          stats.runs++;
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.Z05_SEED ?? 0x5eed) },
    );
    const ms = performance.now() - t0;
    note(`Z-05 model check: ${stats.runs} sequences, ${stats.steps} steps in ${ms.toFixed(0)} ms; states visited ${[...stats.states].sort().join(' ')}; ${stats.cells.size} defined cells exercised; 0 divergences`);
    printFigures();
  });
});
