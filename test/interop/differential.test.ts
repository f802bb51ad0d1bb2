/**
 * I-01 differential matrix (reliability.md §3.15, issue 9): the M/N/S/F/D vectors built from the
 * kit of §3.1 (the vectors and builders of test/reliability/helpers, imported, not copied) sent to
 * (a) a netdicom SCP in this process and (b) DCMTK `storescp` — `dcmqrscp` for the C-FIND data set
 * vectors, which storescp cannot answer — both on 127.0.0.1 in the same run. For each vector:
 * every PDU that came back (the first one's bytes), the time to it, how and when the connection
 * closed, and whether a canary association (C-ECHO) started at the same moment was served while
 * the hostile connection was still open. The matrix is printed to the test output; the netdicom
 * column is asserted against the decision table of §2.4 (the ✓/✗ of the table is the assertion),
 * the DCMTK column is recorded only. A DCMTK process that stalls or dies is killed and restarted.
 * pynetdicom is not in the run: PyPI is unreachable from this machine and CI.
 */
import { deflateRaw } from 'pako';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ABORT_0_0, ABORT_USER, abortBytes, concat, ECHO_OK, FAST, fixLength, HDR_HUGE_PDATA, HDR_HUGE_RQ, HTTP, patched, pdata,
  REL_RQ, RQ_OK, startScp, TLS_HELLO, canary, type TestScp,
} from '../reliability/helpers/scp';
import { command, echoRq, findRq, PC, rqFull, storeRq } from '../reliability/helpers/session';
import { hex, toHex, type TcpPeer } from '../reliability/helpers/tcp-peer';
import { dcmtkVersion, requireDcmtk } from './helpers/dcmtk';
import { DcmtkScp, describePdus, firstPduHex, groupAlive, observe, type Caps, type Expect, type Observation, type Vector } from './helpers/differential';

const haveDcmtk = requireDcmtk();

// ---- the vectors ----------------------------------------------------------------------------------

const ABORT_2_1 = abortBytes(2, 1);
const ABORT_2_2 = abortBytes(2, 2);
const ABORT_2_5 = abortBytes(2, 5);
const ABORT_2_6 = abortBytes(2, 6);
const rj = (result: number, source: number, reason: number) => `03 00 00 00 00 04 00 ${[result, source, reason].map((n) => n.toString(16).padStart(2, '0')).join(' ')}`;

// Pieces of RQ_OK (offsets of §3.1): fixed fields, application context, PC item, user-info sub-items.
const FIXED = RQ_OK.subarray(0, 74);
const APP = RQ_OK.subarray(74, 99);
const PC1 = RQ_OK.subarray(99, 149);
const UI_BODY = RQ_OK.subarray(153);
const ui = (body: Uint8Array) => concat(Uint8Array.of(0x50, 0, body.length >> 8, body.length & 0xff), body);
const rq = (...items: Uint8Array[]) => fixLength(concat(FIXED, ...items));
const maxLength = (n: number) => {
  const body = Uint8Array.from(UI_BODY);
  new DataView(body.buffer).setUint32(4, n);
  return rq(APP, PC1, ui(body));
};

/** An identifier (Implicit VR LE): (0008,0052) "STUDY " and `extra`. */
const identifier = (extra: Uint8Array = new Uint8Array(0)) => concat(hex('08 00 52 00 06 00 00 00 53 54 55 44 59 20'), extra);

/** A C-FIND-RQ on `pcid` with `dataset` (built once, before the clock starts) in 16,000-byte PDVs. */
function cFind(dataset: () => Uint8Array, pcid: number = PC.find): Pick<Vector, 'send' | 'prepare'> {
  let ds: Uint8Array | undefined;
  const prepare = () => void (ds ??= dataset());
  return {
    prepare,
    send: (p: TcpPeer) => {
      prepare();
      p.send(pdata([pcid, 0x03, findRq()]));
      for (let off = 0; off < ds!.length; off += 16000) p.send(pdata([pcid, off + 16000 >= ds!.length ? 0x02 : 0x00, ds!.subarray(off, off + 16000)]));
    },
  };
}

const MAX_DATASET = 1024 * 1024;
const ECHO_RSP = (status: number): Expect => ({ command: 'C-ECHO-RSP', status });
const FIND_RSP = (status: number): Expect => ({ command: 'C-FIND-RSP', status });
const full = rqFull();
const S = 'storescp' as const;
const Q = 'dcmqrscp' as const;

const vectors: Vector[] = [
  // M: malformed and oversized PDUs (§3.2)
  { id: 'M-01', what: 'A-ASSOCIATE header, length FFFFFFFFH, then hold', send: HDR_HUGE_RQ, expect: { pdu: ABORT_0_0 }, dcmtk: S },
  { id: 'M-02', what: 'P-DATA header, length FFFFFFFFH (Sta6)', setup: RQ_OK, send: HDR_HUGE_PDATA, expect: { pdu: ABORT_2_6 }, dcmtk: S },
  { id: 'M-03', what: 'A-ASSOCIATE-RQ length 3 (below the fixed fields)', send: hex('01 00 00 00 00 03 00 01 00'), expect: { pdu: ABORT_0_0 }, dcmtk: S },
  { id: 'M-03', what: 'P-DATA header, length 16385 (> our 16384)', setup: RQ_OK, send: hex('04 00 00 00 40 01'), expect: { pdu: ABORT_2_6 }, dcmtk: S },
  { id: 'M-04', what: 'unknown PDU type 00H (Sta2)', send: Uint8Array.of(0x00, 0, 0, 0, 0, 4, 0, 0, 0, 0), expect: { pdu: ABORT_0_0 }, dcmtk: S },
  { id: 'M-04', what: 'unknown PDU type 47H (Sta2)', send: Uint8Array.of(0x47, 0, 0, 0, 0, 4, 0, 0, 0, 0), expect: { pdu: ABORT_0_0 }, dcmtk: S },
  { id: 'M-04', what: 'unknown PDU type FFH (Sta6)', setup: RQ_OK, send: Uint8Array.of(0xff, 0, 0, 0, 0, 4, 0, 0, 0, 0), expect: { pdu: ABORT_2_1 }, dcmtk: S },
  { id: 'M-05', what: 'HTTP request (type 47H, length 1.3 GiB)', send: HTTP, expect: { pdu: ABORT_0_0 }, dcmtk: S },
  { id: 'M-05', what: 'TLS ClientHello', send: TLS_HELLO, expect: { pdu: ABORT_0_0 }, dcmtk: S },
  { id: 'M-05', what: '1 KiB of 00', send: new Uint8Array(1024), expect: { pdu: ABORT_0_0 }, dcmtk: S },
  {
    id: 'M-06', what: 'first 100 bytes of RQ_OK, then FIN', peerEnds: true, expect: { none: true }, dcmtk: S,
    send: (p) => (p.send(RQ_OK.subarray(0, 100)), p.end()),
  },
  { id: 'M-06', what: 'first 100 bytes of RQ_OK, then hold', send: RQ_OK.subarray(0, 100), expect: { none: true }, withinMs: 500, dcmtk: S },
  { id: 'M-08', what: 'PC item length FFFFH', send: patched(RQ_OK, 99, '20 00 FF FF 01 00 00 00'), expect: { pdu: ABORT_0_0 }, dcmtk: S },
  { id: 'M-09', what: 'abstract syntax 30H longer than its item', send: patched(RQ_OK, 107, '30 00 00 40'), expect: { pdu: ABORT_0_0 }, dcmtk: S },
  {
    id: 'M-09', what: 'maximum length 51H with length 0', expect: { pdu: ABORT_0_0 }, dcmtk: S,
    send: fixLength(concat(RQ_OK.subarray(0, 149), hex('50 00 00 0F 51 00 00 00 52 00 00 07'), RQ_OK.subarray(165))),
  },
  { id: 'M-10', what: 'PDV length FFFFFFFFH', setup: RQ_OK, send: hex('04 00 00 00 00 0C FF FF FF FF 01 03 00 00 00 00 00 00'), expect: { pdu: ABORT_2_6 }, dcmtk: S },
  { id: 'M-11', what: 'PDV length 1 (< 2)', setup: RQ_OK, send: hex('04 00 00 00 00 05 00 00 00 01 01'), expect: { pdu: ABORT_2_6 }, dcmtk: S },
  { id: 'M-12', what: 'PDV lengths do not add up', setup: RQ_OK, send: hex('04 00 00 00 00 0B 00 00 00 04 01 03 00 00 AA BB CC'), expect: { pdu: ABORT_2_6 }, dcmtk: S },
  { id: 'M-13', what: 'P-DATA with zero PDVs', setup: RQ_OK, send: hex('04 00 00 00 00 00'), expect: { pdu: ABORT_2_6 }, dcmtk: S },
  { id: 'M-14', what: 'A-RELEASE-RQ with length 5', setup: RQ_OK, send: hex('05 00 00 00 00 05 00 00 00 00 00'), expect: { pdu: ABORT_2_6 }, dcmtk: S },
  { id: 'M-15', what: 'A-ABORT with length 0 (Sta6)', setup: RQ_OK, send: hex('07 00 00 00 00 00'), peerEnds: true, expect: { none: true }, dcmtk: S },
  {
    id: 'M-17', what: 'type FFH + 10 KiB garbage + RQ_OK, ECHO_OK, A-ABORT', setup: RQ_OK, expect: { pdu: ABORT_2_1 }, dcmtk: S,
    send: (p) => {
      const garbage = Uint8Array.from({ length: 10 * 1024 }, (_, i) => (i * 31 + 7) & 0xff);
      p.send(concat(hex('FF 00 00 00 00 04 00 00 00 00'), garbage, RQ_OK, ECHO_OK, ABORT_USER));
    },
  },
  // N: association negotiation (§3.3)
  { id: 'N-01', what: 'RQ_OK', send: RQ_OK, expect: { ac: true }, dcmtk: S },
  { id: 'N-03', what: 'protocol version 0002H (bit 0 clear)', send: patched(RQ_OK, 6, '00 02'), expect: { pdu: rj(1, 2, 2) }, dcmtk: S },
  { id: 'N-04', what: 'protocol version FFFFH', send: patched(RQ_OK, 6, 'FF FF'), expect: { ac: true }, dcmtk: S },
  { id: 'N-06', what: 'unknown item 11H, unknown sub-item 5FH', send: rq(APP, hex('11 00 00 02 AA BB'), PC1, ui(concat(UI_BODY, hex('5F 00 00 04 01 02 03 04')))), expect: { ac: true }, dcmtk: S },
  { id: 'N-07', what: 'user-info sub-items in descending order', send: rq(APP, PC1, ui(concat(UI_BODY.subarray(8), UI_BODY.subarray(0, 8)))), expect: { ac: true }, dcmtk: S },
  { id: 'N-08', what: 'no application context item', send: rq(PC1, ui(UI_BODY)), expect: { pdu: rj(1, 1, 2) }, dcmtk: S },
  { id: 'N-09', what: 'application context 1.2.3.4', send: rq(hex('10 00 00 07 31 2E 32 2E 33 2E 34'), PC1, ui(UI_BODY)), expect: { pdu: rj(1, 1, 2) }, dcmtk: S },
  { id: 'N-10', what: 'Maximum Length 1 (cannot carry a PDV)', send: maxLength(1), expect: { pdu: rj(1, 1, 1) }, dcmtk: S },
  { id: 'N-10', what: 'Maximum Length 0 (no limit)', send: maxLength(0), expect: { ac: true }, dcmtk: S },
  { id: 'N-11', what: 'PCID 1 proposed twice', send: rq(APP, PC1, PC1, ui(UI_BODY)), expect: { pdu: ABORT_0_0 }, dcmtk: S },
  { id: 'N-12', what: 'even PCID 2', send: patched(RQ_OK, 103, '02'), expect: { pdu: ABORT_0_0 }, dcmtk: S },
  // S: state machine (§3.4)
  { id: 'S-05', what: 'a second A-ASSOCIATE-RQ (Sta6)', setup: RQ_OK, send: RQ_OK, expect: { pdu: ABORT_2_2 }, dcmtk: S },
  { id: 'S-06', what: 'A-ASSOCIATE-RJ to the acceptor (Sta6)', setup: RQ_OK, send: hex(rj(1, 1, 1)), expect: { pdu: ABORT_2_2 }, dcmtk: S },
  { id: 'S-10', what: 'P-DATA (ECHO_OK) as the first PDU', send: ECHO_OK, expect: { pdu: ABORT_0_0 }, dcmtk: S },
  { id: 'S-10', what: 'A-RELEASE-RQ as the first PDU', send: REL_RQ, expect: { pdu: ABORT_0_0 }, dcmtk: S },
  { id: 'S-10', what: 'A-ABORT as the first PDU', send: ABORT_USER, peerEnds: true, expect: { none: true }, dcmtk: S },
  // F: P-DATA and fragmentation (§3.5), on rqFull (PCID 1 Verification, 5 CT accepted by both; 9 rejected by both)
  { id: 'F-01', what: 'PDV on PCID 11 (never proposed)', setup: full, send: patched(ECHO_OK, 10, '0B'), expect: { pdu: ABORT_2_6 }, dcmtk: S },
  { id: 'F-02', what: 'PDV on PCID 9 (rejected)', setup: full, send: patched(ECHO_OK, 10, '09'), expect: { pdu: ABORT_2_6 }, dcmtk: S },
  { id: 'F-03', what: 'PDV on even PCID 2', setup: full, send: patched(ECHO_OK, 10, '02'), expect: { pdu: ABORT_2_6 }, dcmtk: S },
  { id: 'F-04', what: 'data set fragment before any command', setup: full, send: pdata([PC.ct, 0x02, identifier()]), expect: { pdu: ABORT_2_5 }, dcmtk: S },
  { id: 'F-05', what: 'C-STORE command on PCID 5, its data on PCID 1', setup: full, send: pdata([PC.ct, 0x03, storeRq()], [PC.echo, 0x02, identifier()]), expect: { pdu: ABORT_2_5 }, dcmtk: S },
  { id: 'F-06', what: 'data set after a C-ECHO with no data set', setup: full, send: pdata([PC.echo, 0x03, echoRq()], [PC.echo, 0x02, identifier()]), expect: { pdu: ABORT_2_5, afterResponse: true }, dcmtk: S },
  { id: 'F-07', what: 'ECHO_OK with MCH FFH', setup: full, send: patched(ECHO_OK, 11, 'FF'), expect: ECHO_RSP(0), dcmtk: S },
  { id: 'F-09', what: 'odd command fragment (67 + 1 bytes)', setup: full, send: pdata([PC.echo, 0x01, echoRq().subarray(0, 67)], [PC.echo, 0x03, echoRq().subarray(67)]), expect: ECHO_RSP(0), dcmtk: S },
  { id: 'F-10', what: 'C-STORE command fragment, then a C-ECHO', setup: full, send: pdata([PC.ct, 0x01, storeRq().subarray(0, 20)], [PC.echo, 0x03, echoRq(2)]), expect: { pdu: ABORT_2_5 }, dcmtk: S },
  {
    // withinMs 500: the 1 MiB is written by the process that also runs the netdicom SCP.
    id: 'F-11', what: 'command fragments never last, 1 MiB', setup: full, withinMs: 500, expect: { pdu: ABORT_2_6 }, dcmtk: S,
    send: (p) => {
      const fragment = new Uint8Array(16000);
      for (let i = 0; i < 64; i++) p.send(pdata([PC.echo, 0x01, fragment]));
    },
  },
  {
    id: 'F-12', what: 'C-FIND identifier of 1 MiB + 1 KiB (cap 1 MiB)', setup: full, withinMs: 2000, expect: FIND_RSP(0xc000), dcmtk: Q,
    ...cFind(() => identifier(concat(hex('10 00 10 00 00 04 10 00'), new Uint8Array(0x100400)))),
  },
  // D: command sets and data sets (§3.6)
  {
    id: 'D-01', what: 'unknown Command Field 0123H', setup: full, expect: { pdu: ABORT_0_0 }, dcmtk: S,
    send: pdata([PC.echo, 0x03, command({ CommandField: 0x0123, MessageID: 5, AffectedSOPClassUID: '1.2.840.10008.1.1', CommandDataSetType: 0x0101 })]),
  },
  {
    id: 'D-02', what: 'C-ECHO-RQ naming SOP class 1.2.3.4', setup: full, expect: ECHO_RSP(0x0122), dcmtk: S,
    send: pdata([PC.echo, 0x03, command({ CommandField: 0x0030, MessageID: 3, AffectedSOPClassUID: '1.2.3.4', CommandDataSetType: 0x0101 })]),
  },
  {
    id: 'D-03', what: 'command set without (0000,0100)', setup: full, expect: { pdu: ABORT_0_0 }, dcmtk: S,
    send: pdata([PC.echo, 0x03, command({ CommandField: 0, MessageID: 1, CommandDataSetType: 0x0101 }).subarray(0, 12)]),
  },
  { id: 'D-05', what: '(0000,0002) length FFF0H, 4 bytes left', setup: full, send: pdata([PC.echo, 0x03, hex('00 00 02 00 F0 FF 00 00 31 2E 32 2E')]), expect: { pdu: ABORT_0_0 }, dcmtk: S },
  { id: 'D-06', what: 'group length FFFFH in ECHO_OK', setup: full, send: patched(ECHO_OK, 20, 'FF FF 00 00'), expect: ECHO_RSP(0), dcmtk: S },
  {
    id: 'D-12', what: 'C-FIND identifier nested 10,000 deep', setup: full, withinMs: 2000, expect: FIND_RSP(0xc000), dcmtk: Q,
    ...cFind(() => {
      const open = hex('08 00 15 11 FF FF FF FF FE FF 00 E0 FF FF FF FF'); // SQ and item, undefined length
      const close = hex('FE FF 0D E0 00 00 00 00 FE FF DD E0 00 00 00 00');
      const depth = 10000;
      const nested = new Uint8Array(depth * 32);
      for (let i = 0; i < depth; i++) (nested.set(open, i * 16), nested.set(close, depth * 16 + i * 16));
      return identifier(nested);
    }),
  },
  { id: 'D-13', what: 'deflate bomb: 64 KiB → 64 MiB (deflated context)', setup: full, withinMs: 2000, expect: FIND_RSP(0xc000), dcmtk: Q, ...cFind(() => deflateRaw(new Uint8Array(64 * 1024 * 1024)), PC.findDeflated) },
];

// ---- expectations (§2.4) and the table -----------------------------------------------------------

function expectText(e: Expect): string {
  if ('pdu' in e) return `${e.afterResponse ? '[RSP] ' : ''}${describePdus([{ type: 0, bytes: hex(e.pdu), at: 0 }])[0]}, FIN`;
  if ('none' in e) return 'no PDU, FIN';
  if ('ac' in e) return 'AC, goes on';
  return `${e.command} 0x${e.status.toString(16).padStart(4, '0')}, goes on`;
}

/** Where the netdicom observation departs from §2.4 and the common contract (R1–R3); [] = as specified. */
function problems(v: Vector, o: Observation): string[] {
  if (o.setupFailed) return [`setup RQ answered ${o.setupFailed}`];
  const out: string[] = [];
  const e = v.expect;
  const got = o.answers.join(', ') || 'no PDU';
  if ('pdu' in e) {
    const pdus = o.pdus.map((p) => toHex(p.bytes));
    if (e.afterResponse && o.pdus[0]?.type === 0x04) pdus.shift();
    if (pdus.join(' | ') !== toHex(hex(e.pdu))) out.push(`R1: answered ${got} [${pdus.join(' | ')}]`);
    if (o.close !== 'FIN') out.push(`R2: close ${o.close}`);
  } else if ('none' in e) {
    if (o.pdus.length) out.push(`R1: answered ${got}`);
    if (o.close !== 'FIN' && !(v.peerEnds && o.close === 'peer')) out.push(`R2: close ${o.close}`);
  } else if ('ac' in e) {
    if (!/^AC \[(.* )?1:0( .*)?\]$/.test(o.answers[0] ?? '') || o.answers.length !== 1) out.push(`answered ${got}`);
    if (o.close !== 'none') out.push(`closed (${o.close}) instead of going on`);
  } else {
    if (o.answers[0] !== `${e.command} 0x${e.status.toString(16).padStart(4, '0')}`) out.push(`answered ${got}`);
    if (o.close !== 'none') out.push(`closed (${o.close}) instead of going on`);
  }
  const within = v.withinMs ?? 200;
  if (o.answerMs === null || o.answerMs > within) out.push(`R2: answer after ${o.answerMs === null ? '∞' : o.answerMs.toFixed(0)} ms (> ${within})`);
  if (!o.canary.ok) out.push(`R3: canary failed (${o.canary.error})`);
  else if (!v.peerEnds && !o.canary.during) out.push(`R3: canary served only after the hostile connection ended (${o.canary.ms.toFixed(0)} ms)`);
  return out;
}

const ms = (n: number | null) => (n === null ? '—' : `${n.toFixed(0)}`);
const canaryCell = (o: Observation) =>
  o.setupFailed ? '—' : !o.canary.ok ? 'NOT SERVED' : o.canary.during ? `served ${o.canary.ms.toFixed(0)} ms` : `after close ${o.canary.ms.toFixed(0)} ms`;
const answerCell = (o: Observation) => (o.setupFailed ? `setup refused: ${o.setupFailed}` : o.answers.length ? o.answers.join(', ') : 'no PDU');

interface Row {
  readonly v: Vector;
  nd?: Observation;
  ndProblems?: string[];
  dc?: Observation;
}
const rows: Row[] = [];

function table(): string {
  const head = ['ID', 'vector', '§2.4 (netdicom must)', 'ok', 'netdicom answer', 'first PDU', 'ms', 'close @ms', 'canary', 'DCMTK answer', 'first PDU', 'ms', 'close @ms', 'canary', 'DCMTK note'];
  const body = rows.map(({ v, nd, ndProblems, dc }) => [
    v.id,
    v.what,
    expectText(v.expect),
    !nd ? '?' : ndProblems!.length ? `✗ ${ndProblems!.join('; ')}` : '✓',
    nd ? answerCell(nd) : '—',
    nd ? firstPduHex(nd) : '—',
    nd ? ms(nd.answerMs) : '—',
    nd ? `${nd.close} ${ms(nd.closeMs)}` : '—',
    nd ? canaryCell(nd) : '—',
    dc ? answerCell(dc) : 'not run',
    dc ? firstPduHex(dc) : '—',
    dc ? ms(dc.answerMs) : '—',
    dc ? `${dc.close} ${ms(dc.closeMs)}` : '—',
    dc ? canaryCell(dc) : '—',
    [v.dcmtk === 'dcmqrscp' ? `dcmqrscp, setup ${dc?.setupAc ?? '?'}` : '', dc?.note ?? ''].filter(Boolean).join('; '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

// ---- the run ------------------------------------------------------------------------------------------

/** netdicom: the reliability timers (ARTIM 400 ms) with abortLinger 300 ms, so a canary of ~10 ms is visibly "during". */
const ND_OPTIONS = { ...FAST, abortLingerMs: 300, maxDatasetLength: MAX_DATASET };
const CAPS: Caps = { answerMs: 1500, closeMs: 600, quietMs: 250, canaryMs: 4000, holdMs: 300 };

const escapes: string[] = [];
const onEscape = (kind: string) => (e: unknown) => escapes.push(`${kind}: ${(e as Error)?.stack ?? String(e)}`);
const onException = onEscape('uncaughtException');
const onRejection = onEscape('unhandledRejection');

let nd: TestScp;
const dcmtk = { storescp: new DcmtkScp('storescp'), dcmqrscp: new DcmtkScp('dcmqrscp') };
// A vitest worker that dies mid-run must not leave a DCMTK process group behind (they are detached).
const killGroups = () => {
  for (const g of [...dcmtk.storescp.groups, ...dcmtk.dcmqrscp.groups]) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // gone
    }
  }
};
let t0 = 0;
let printed = false;

function print(): void {
  if (printed || rows.length === 0) return;
  printed = true;
  const done = rows.filter((r) => r.nd && r.dc);
  const asSpecified = rows.filter((r) => r.ndProblems?.length === 0).length;
  const ndCanary = rows.filter((r) => r.nd?.canary.ok).length;
  const ndDuring = rows.filter((r) => r.nd?.canary.during).length;
  const peerEnds = rows.filter((r) => r.v.peerEnds).length;
  const same = done.filter((r) => r.dc!.answers.join() === r.nd!.answers.join() && r.dc!.close === r.nd!.close).length;
  const sameAnswer = done.filter((r) => r.dc!.answers.join() === r.nd!.answers.join()).length;
  const stalls = done.filter((r) => r.dc!.stalled).map((r) => `${r.v.id} ${r.v.what}`);
  const dcDuring = done.filter((r) => r.dc!.canary.during).length;
  const dcAfter = done.filter((r) => r.dc!.canary.ok && !r.dc!.canary.during).length;
  const ndTimes = rows.flatMap((r) => (r.nd?.answerMs == null ? [] : [r.nd.answerMs])).sort((a, b) => a - b);
  const p = (q: number) => ndTimes[Math.min(ndTimes.length - 1, Math.ceil(q * ndTimes.length) - 1)]?.toFixed(0);
  const restarts = rows.filter((r) => r.dc?.note?.includes('restarted')).length;
  console.log(
    [
      '',
      `I-01 differential matrix, ${rows.length} vectors (reliability.md §3.1–3.6), all on 127.0.0.1 in one run, ${new Date().toISOString()}, node ${process.version}`,
      `  netdicom SCP: in process, ARTIM ${ND_OPTIONS.artimTimeoutMs} ms, abortLinger ${ND_OPTIONS.abortLingerMs} ms, maxPduLength 16384, maxDatasetLength 1 MiB`,
      `  DCMTK ${dcmtkVersion() ?? '(not installed)'}: storescp -aet NETDICOM -od TMP, otherwise its defaults (single process, -pdu 16384, -ta 30 s); dcmqrscp +xd (fork per association) for the C-FIND data set vectors storescp cannot answer`,
      '    one process of each, reused; killed (process group) and restarted after a vector that stalls it, kills it, or leaves it unable to serve the canary',
      '  pynetdicom: NOT RUN — not installable here (PyPI is unreachable from this machine and from CI)',
      `  caps: first answer ${CAPS.answerMs} ms, close after A-ABORT/RJ/RP ${CAPS.closeMs} ms; close = FIN / RST / none (still open at the cap) / peer (the vector closed it); times in ms from the vector`,
      `  canary (fresh association + C-ECHO + release, started with the vector): "served" = done while the hostile connection was open; "after close" = only once it had ended (we end it ${CAPS.holdMs} ms after the answer)`,
      '',
      table(),
      '',
    ].join('\n'),
  );
  console.log(
    `[figure] I-01: netdicom ${asSpecified}/${rows.length} vectors as §2.4 specifies, canary served ${ndCanary}/${rows.length} (${ndDuring} while the hostile connection was open; ${peerEnds} vectors close it themselves), time to answer p50 ${p(0.5)} ms / max ${p(1)} ms; ` +
      `DCMTK ${dcmtkVersion()}: same answer as netdicom on ${sameAnswer}/${done.length} (answer and close ${same}), no answer or close within ${CAPS.answerMs} ms on ${stalls.length} (${stalls.join('; ')}), ` +
      `canary served during ${dcDuring}, only after the hostile connection ended ${dcAfter}, ${restarts} restart(s); total ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

describe.skipIf(!haveDcmtk)('I-01 differential: netdicom SCP vs DCMTK on the M/N/S/F/D vectors', () => {
  beforeAll(async () => {
    t0 = performance.now();
    process.on('uncaughtException', onException);
    process.on('unhandledRejection', onRejection);
    process.on('exit', killGroups);
    nd = await startScp(ND_OPTIONS, {
      async *cFind() {
        yield { PatientName: 'DOE^J' };
      },
    });
    await dcmtk.storescp.start();
    // The harness works against both: a canary on each before any vector.
    await canary(nd.port);
    await canary(dcmtk.storescp.port);
  }, 30000);

  afterEach(() => {
    expect(escapes, 'R4: nothing escapes').toEqual([]);
  });

  afterAll(async () => {
    print();
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
    await nd?.close();
    await Promise.all([dcmtk.storescp.dispose(), dcmtk.dcmqrscp.dispose()]);
    process.off('exit', killGroups);
  });

  it.each(vectors.map((v) => [`${v.id} ${v.what}`, v] as const))('%s', async (_, v) => {
    const row: Row = { v };
    rows.push(row);
    const scp = dcmtk[v.dcmtk];
    if (!scp.child) {
      await scp.start();
      expect(await plainCanary(scp.port), `${scp.program} serves a canary after its start`).toBe(true);
    }
    v.prepare?.();
    const mark = scp.output().length;
    // Two different servers: both observations run at the same time.
    [row.nd, row.dc] = await Promise.all([observe(nd.port, v, CAPS), observe(scp.port, v, CAPS)]);
    row.ndProblems = problems(v, row.nd);

    // Restart DCMTK only when this vector broke it: it died, stalled, or cannot serve a canary now.
    const logged = scp.output().slice(mark).split('\n').find((l) => /^[EF]:/.test(l));
    if (logged) row.dc.note = `logged "${logged.slice(0, 90)}"`;
    const died = scp.exited();
    const broken = died ?? (row.dc.stalled ? 'stalled' : !row.dc.setupFailed && !row.dc.canary.ok && !(await plainCanary(scp.port)) ? 'stuck' : null);
    if (broken) {
      row.dc.note = `${scp.program} ${broken}, killed and restarted${row.dc.note ? `; ${row.dc.note}` : ''}`;
      const group = scp.child!.pid!;
      await scp.start();
      expect(groupAlive(group), `the old ${scp.program} process group is gone`).toBe(false);
      expect(await plainCanary(scp.port), `${scp.program} serves a canary after its restart`).toBe(true);
    }
    expect(row.ndProblems, `netdicom vs §2.4: ${v.id} ${v.what}`).toEqual([]);
  }, 30000);

  it('prints the matrix; the DCMTK column is complete and every DCMTK process was ended', async () => {
    expect(rows.map((r) => `${r.v.id} ${r.v.what}`)).toEqual(vectors.map((v) => `${v.id} ${v.what}`));
    expect(rows.filter((r) => !r.dc).map((r) => r.v.id), 'a DCMTK observation for every vector').toEqual([]);
    print();
    await Promise.all([dcmtk.storescp.stop(), dcmtk.dcmqrscp.stop()]);
    const groups = [...dcmtk.storescp.groups, ...dcmtk.dcmqrscp.groups];
    expect(groups.length).toBeGreaterThan(0);
    expect(groups.filter(groupAlive), 'DCMTK process groups still alive').toEqual([]);
  });
});

/** A canary with no hostile connection beside it: whether the SCP serves at all. */
async function plainCanary(port: number): Promise<boolean> {
  try {
    await canary(port, 2000);
    return true;
  } catch {
    return false;
  }
}
