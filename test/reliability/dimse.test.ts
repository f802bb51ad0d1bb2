/**
 * DIMSE framing (reliability.md §3.5, F) and command / data set errors (§3.6, D) over TCP against a
 * netdicom SCP: PDV sequencing → A-ABORT (2,5), unknown contexts → (2,6), undecodable commands →
 * (0,0), command over its cap → (2,6); data set bombs → failure status and the association goes on.
 */
import { deflateRaw } from 'pako';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHostile } from './helpers/case';
import { note, peakExternalGrowth, printFigures, record } from './helpers/figures';
import { ABORT_0_0, abortBytes, concat, CT, ECHO_OK, patched, pdata, startScp, STUDY_FIND, type TestScp, VERIFICATION } from './helpers/scp';
import { associate, command, echoRq, findRq, PC, rqFull } from './helpers/session';
import { hex, TcpPeer } from './helpers/tcp-peer';
import { CommandField, type Command } from '../../src/dimse/types';
import { decodeCommand } from '../../src/dimse/command-set';

const MAX_DATASET = 1024 * 1024;
let scp: TestScp;
let findCalls = 0;
let storeCalls = 0;
beforeAll(async () => {
  scp = await startScp(
    { maxDatasetLength: MAX_DATASET },
    {
      async *cFind() {
        findCalls++;
        yield { PatientName: 'DOE^J' };
      },
      async cStore(rq) {
        storeCalls++;
        await rq.bytes();
        return 0;
      },
    },
  );
});
afterAll(async () => {
  await scp.close();
  printFigures();
});

const F = 'DIMSE framing (F)';
const D = 'command and data set (D)';
const ABORT_2_5 = abortBytes(2, 5);
const ABORT_2_6 = abortBytes(2, 6);
const estab = { established: true } as const;

/** Associates with rqFull() instead of RQ_OK (contexts of PC). */
async function connect(): Promise<TcpPeer> {
  const peer = await TcpPeer.connect(scp.port);
  await associate(peer, rqFull());
  return peer;
}

/** Reads the next P-DATA answer and decodes its command (a single-PDV response). */
async function response(peer: TcpPeer, withinMs = 2000) {
  const commandBytes: Uint8Array[] = [];
  for (;;) {
    const pdu = await peer.expectPdu(0x04, undefined, withinMs);
    let off = 6;
    while (off < pdu.bytes.length) {
      const len = new DataView(pdu.bytes.buffer, pdu.bytes.byteOffset + off).getUint32(0);
      const mch = pdu.bytes[off + 5]!;
      if (mch & 1) commandBytes.push(pdu.bytes.subarray(off + 6, off + 4 + len));
      off += 4 + len;
      if ((mch & 3) === 3) return decodeCommand(concat(...commandBytes));
    }
  }
}

/** An identifier (Implicit VR LE) with QueryRetrieveLevel STUDY and one more element. */
function identifier(extra: Uint8Array = new Uint8Array(0)): Uint8Array {
  const qr = hex('08 00 52 00 06 00 00 00 53 54 55 44 59 20'); // (0008,0052) "STUDY "
  return concat(qr, extra);
}

/** A C-FIND on `pcid` with `dataset` in `fragment`-sized PDVs; resolves with the response Status. */
async function find(peer: TcpPeer, dataset: Uint8Array, pcid: number = PC.find, messageId = 1): Promise<number> {
  peer.send(pdata([pcid, 0x03, findRq(messageId)]));
  for (let off = 0; off < dataset.length || off === 0; off += 16000) {
    const part = dataset.subarray(off, off + 16000);
    peer.send(pdata([pcid, off + 16000 >= dataset.length ? 0x02 : 0x00, part]));
    if (dataset.length === 0) break;
  }
  const statuses: number[] = [];
  for (;;) {
    const rsp = await response(peer, 5000);
    statuses.push(rsp.Status!);
    if (rsp.Status !== 0xff00) return rsp.Status!;
  }
}

async function echoStillWorks(peer: TcpPeer, messageId = 9): Promise<void> {
  peer.send(pdata([PC.echo, 0x03, echoRq(messageId)]));
  const rsp = await response(peer);
  expect(rsp.CommandField).toBe(CommandField['C-ECHO-RSP']);
  expect(rsp.MessageIDBeingRespondedTo).toBe(messageId);
  expect(rsp.Status).toBe(0);
}

/** Runs an F case on an rqFull association. */
function fcase(id: string, send: (p: TcpPeer) => void, answer: string, allowResponses = false) {
  return runHostile(scp, {
    id, group: F, answer, allowResponses,
    send: async (p) => {
      await associate(p, rqFull());
      send(p);
    },
  });
}

describe('F: PDV sequencing and contexts', () => {
  it('F-01: a PDV on a presentation context that was never proposed (11) → A-ABORT (2,6)', async () => {
    await fcase('F-01', (p) => p.send(patched(ECHO_OK, 10, '0B')), ABORT_2_6);
  });
  it('F-02: a PDV on a proposed but rejected context (9) → A-ABORT (2,6)', async () => {
    await fcase('F-02', (p) => p.send(patched(ECHO_OK, 10, '09')), ABORT_2_6);
  });
  it('F-03: even PCID 2 in a PDV → A-ABORT (2,6)', async () => {
    await fcase('F-03', (p) => p.send(patched(ECHO_OK, 10, '02')), ABORT_2_6);
  });
  it('F-04: data set fragment before any command → A-ABORT (2,5)', async () => {
    await fcase('F-04', (p) => p.send(pdata([PC.find, 0x02, identifier()])), ABORT_2_5);
  });
  it('F-05: command on one context, its data set on another → A-ABORT (2,5)', async () => {
    await fcase('F-05', (p) => p.send(pdata([PC.find, 0x03, findRq()], [PC.ct, 0x02, identifier()])), ABORT_2_5);
  });
  it('F-06: a data set after a command with "no data set" → A-ABORT (2,5) (the C-ECHO-RSP may go first)', async () => {
    await fcase('F-06', (p) => p.send(pdata([PC.echo, 0x03, echoRq()], [PC.echo, 0x02, identifier()])), ABORT_2_5, true);
  });
  it('F-10: fragment of message A, then message B on another context → A-ABORT (2,5)', async () => {
    const rq = findRq();
    await fcase('F-10', (p) => p.send(pdata([PC.find, 0x01, rq.subarray(0, 20)], [PC.echo, 0x03, echoRq(2)])), ABORT_2_5);
  });
  it('F-11: command fragments never flagged last, 1 MiB → A-ABORT (2,6) at the 64 KiB cap', async () => {
    const fragment = new Uint8Array(16000);
    await fcase('F-11', (p) => {
      for (let i = 0; i < 64; i++) p.send(pdata([PC.echo, 0x01, fragment]));
    }, ABORT_2_6);
  });
  it('F-09: odd command fragment length (67 + 1) is accepted and the command decoded — pinned (PS3.8 E.1 binds senders)', async () => {
    // DCMTK aborts here; netdicom reassembles by length and judges the whole command set.
    const peer = await connect();
    const rq = echoRq();
    peer.send(pdata([PC.echo, 0x01, rq.subarray(0, 67)], [PC.echo, 0x03, rq.subarray(67)]));
    expect((await response(peer)).Status).toBe(0);
    peer.destroy();
    record(F, 'F-09', true);
  });

  it('F-07/F-08: MCH bits 2–7 set, 2-byte fragments, empty PDVs and same-type neighbours → processed normally', async () => {
    const peer = await connect();
    peer.send(patched(ECHO_OK, 11, 'FF'));
    expect((await response(peer)).Status).toBe(0);
    const rq = echoRq(2);
    const pdvs: [number, number, Uint8Array][] = [[PC.echo, 0x01, new Uint8Array(0)]];
    for (let off = 0; off < rq.length; off += 2) pdvs.push([PC.echo, off + 2 >= rq.length ? 0x03 : 0x01, rq.subarray(off, off + 2)]);
    peer.send(pdata(...pdvs.slice(0, 10)));
    peer.send(pdata(...pdvs.slice(10)));
    const rsp = await response(peer);
    expect(rsp.MessageIDBeingRespondedTo).toBe(2);
    expect(rsp.Status).toBe(0);
    peer.destroy();
    record(F, 'F-07/F-08', true);
  });
});

describe('D: command sets', () => {
  it.each([0x0123, 0x0fff - 1, 0x7fff, 0xffff])('D-01: unknown Command Field %i → A-ABORT (0,0) (no response field exists for it)', async (field) => {
    const rq = command({ CommandField: field, MessageID: 5, AffectedSOPClassUID: '1.2.840.10008.1.1', CommandDataSetType: 0x0101 });
    await runHostile(scp, { id: `D-01 ${field.toString(16)}H`, group: D, ...estab, send: pdata([PC.echo, 0x03, rq]), answer: ABORT_0_0 });
  });

  it('C-CANCEL-RQ (0FFFH) for an unknown Message ID is ignored, association goes on', async () => {
    const peer = await connect();
    peer.send(pdata([PC.echo, 0x03, command({ CommandField: CommandField['C-CANCEL-RQ'], MessageIDBeingRespondedTo: 77, CommandDataSetType: 0x0101 })]));
    await echoStillWorks(peer);
    peer.destroy();
  });

  it('D-02: C-ECHO naming another SOP class than its context → 0x0122, association goes on', async () => {
    const peer = await connect();
    peer.send(pdata([PC.echo, 0x03, command({ CommandField: CommandField['C-ECHO-RQ'], MessageID: 3, AffectedSOPClassUID: '1.2.3.4', CommandDataSetType: 0x0101 })]));
    expect((await response(peer)).Status).toBe(0x0122);
    await echoStillWorks(peer);
    peer.destroy();
    record(D, 'D-02', true);
  });

  it.each([
    ['D-05 element overrun (0000,0002) length FFF0H', concat(hex('00 00 02 00 F0 FF 00 00'), hex('31 2E 32 2E'))],
    ['D-03 no CommandField', command({ CommandField: 0, MessageID: 1, CommandDataSetType: 0x0101 }).subarray(0, 12)],
    ['command element outside group 0000', hex('08 00 00 00 04 00 00 00 00 00 00 00')],
    ['truncated element header', hex('00 00 00 00 04')],
  ])('%s → A-ABORT (0,0)', async (id, bytes) => {
    await runHostile(scp, { id, group: D, ...estab, send: pdata([1, 0x03, bytes]), answer: ABORT_0_0 });
  });

  it('D-06: group length FFFFH in ECHO_OK → the response is sent (tolerated)', async () => {
    const peer = await connect();
    peer.send(patched(ECHO_OK, 20, 'FF FF 00 00'));
    expect((await response(peer)).Status).toBe(0);
    peer.destroy();
    record(D, 'D-06', true);
  });
});

describe('D-03: mandatory command elements missing (PS3.7 Tables 9.3-x)', () => {
  const MODALITY_CT = hex('08 00 60 00 02 00 00 00 43 54'); // (0008,0060) "CT"
  const store = (fields: Partial<Command>) =>
    command({ CommandField: CommandField['C-STORE-RQ'], MessageID: 1, AffectedSOPClassUID: CT, AffectedSOPInstanceUID: '1.2.3.4.5', Priority: 0, CommandDataSetType: 0x0001, ...fields });

  it.each([
    ['Affected SOP Instance UID (0000,1000)', { AffectedSOPInstanceUID: undefined }, 0x1000],
    ['Priority (0000,0700)', { Priority: undefined }, 0x0700],
  ])('C-STORE-RQ without %s → 0xC000 naming it in Offending Element, the handler never called; association goes on', async (name, fields, tag) => {
    const peer = await connect();
    const before = storeCalls;
    peer.send(pdata([PC.ct, 0x03, store({ MessageID: 4, ...fields })], [PC.ct, 0x02, MODALITY_CT]));
    const rsp = await response(peer);
    expect(rsp).toMatchObject({ CommandField: CommandField['C-STORE-RSP'], MessageIDBeingRespondedTo: 4, Status: 0xc000, OffendingElement: [tag] });
    // The same request with the element there is stored: the refusal is about the element alone.
    peer.send(pdata([PC.ct, 0x03, store({ MessageID: 5 })], [PC.ct, 0x02, MODALITY_CT]));
    expect((await response(peer)).Status).toBe(0);
    expect(storeCalls).toBe(before + 1);
    await echoStillWorks(peer);
    peer.destroy();
    record(D, `D-03 C-STORE without ${name}`, true);
  });

  it('C-FIND-RQ without Priority (0000,0700) → 0xC000, the handler never called; association goes on', async () => {
    const peer = await connect();
    const before = findCalls;
    peer.send(pdata([PC.find, 0x03, command({ CommandField: CommandField['C-FIND-RQ'], MessageID: 6, AffectedSOPClassUID: STUDY_FIND, CommandDataSetType: 0x0001 })], [PC.find, 0x02, identifier()]));
    expect(await response(peer)).toMatchObject({ MessageIDBeingRespondedTo: 6, Status: 0xc000, OffendingElement: [0x0700] });
    expect(findCalls).toBe(before);
    await echoStillWorks(peer);
    peer.destroy();
    record(D, 'D-03 C-FIND without Priority', true);
  });

  it('C-ECHO-RQ without Message ID (0000,0110) → A-ABORT (0,0): no response could name the request', async () => {
    const rq = command({ CommandField: CommandField['C-ECHO-RQ'], AffectedSOPClassUID: VERIFICATION, CommandDataSetType: 0x0101 });
    await runHostile(scp, { id: 'D-03 C-ECHO without Message ID', group: D, ...estab, send: pdata([PC.echo, 0x03, rq]), answer: ABORT_0_0 });
  });

  it('C-STORE-RQ without Message ID (0000,0110) → A-ABORT (0,0), the handler never called', async () => {
    const before = storeCalls;
    await runHostile(scp, {
      id: 'D-03 C-STORE without Message ID',
      group: D,
      send: async (peer) => {
        await associate(peer, rqFull());
        peer.send(pdata([PC.ct, 0x03, store({ MessageID: undefined })], [PC.ct, 0x02, MODALITY_CT]));
      },
      answer: ABORT_0_0,
      withinMs: 1000,
    });
    expect(storeCalls).toBe(before);
  });
});

describe('D: data set bombs → failure status, association continues', () => {
  it('F-12: C-FIND identifier above maxDatasetLength (1 MiB + 1 KiB) → 0xC000 without buffering it, then C-ECHO works', async () => {
    const peer = await connect();
    const before = findCalls;
    const big = identifier(concat(hex('10 00 10 00'), Uint8Array.of(0, 0x04, 0x10, 0), new Uint8Array(0x100400)));
    expect(await find(peer, big)).toBe(0xc000);
    expect(findCalls).toBe(before);
    await echoStillWorks(peer);
    peer.destroy();
    record(D, 'F-12', true);
  });

  it('D-12: 10,000 nested undefined-length sequences → 0xC000, no stack overflow escaping, then C-ECHO works', async () => {
    const open = hex('08 00 15 11 FF FF FF FF FE FF 00 E0 FF FF FF FF'); // (0008,1115) SQ, item, both undefined length
    const close = hex('FE FF 0D E0 00 00 00 00 FE FF DD E0 00 00 00 00');
    const depth = 10000;
    const nested = new Uint8Array(depth * 32);
    for (let i = 0; i < depth; i++) {
      nested.set(open, i * 16);
      nested.set(close, depth * 16 + i * 16);
    }
    const peer = await connect();
    expect(await find(peer, identifier(nested))).toBe(0xc000);
    await echoStillWorks(peer);
    peer.destroy();
    record(D, 'D-12', true);
  });

  it('D-13: deflate bomb (64 KiB that inflates to 64 MiB) on the deflated context → 0xC000 at the data set cap', async () => {
    const bomb = deflateRaw(new Uint8Array(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(128 * 1024);
    const peer = await connect();
    const t0 = performance.now();
    const { result: status, peakBytes } = await peakExternalGrowth(() => find(peer, bomb, PC.findDeflated));
    const ms = performance.now() - t0;
    expect(status).toBe(0xc000);
    expect(peakBytes).toBeLessThan(MAX_DATASET + 16 * 1024 * 1024);
    note(`bombs: deflate ${(bomb.length / 1024).toFixed(0)} KiB → 64 MiB rejected at the ${MAX_DATASET / 1024} KiB cap in ${ms.toFixed(0)} ms, peak extra ${(peakBytes / 1048576).toFixed(1)} MiB; 10,000-deep SQ → 0xC000`);
    await echoStillWorks(peer);
    peer.destroy();
    record(D, 'D-13', true, ms);
  });

  it('a decodable C-FIND on the deflated context still works (the cap is not a false positive)', async () => {
    const peer = await connect();
    // Deflated Explicit VR LE: (0008,0052) CS "STUDY ".
    expect(await find(peer, deflateRaw(hex('08 00 52 00 43 53 06 00 53 54 55 44 59 20')), PC.findDeflated)).toBe(0);
    peer.destroy();
  });
});
