import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../../src/dimse/command-set';
import { fragmentsOf } from '../../src/dimse/dataset-source';
import { maxFragmentLength } from '../../src/dimse/fragment';
import { DimseProvider } from '../../src/dimse/provider';
import { MessageAssembler } from '../../src/dimse/reassemble';
import { CommandField, NO_DATASET, type Command } from '../../src/dimse/types';
import { ProtocolError, TimeoutError } from '../../src/errors';
import type { PDataTfPdu, Pdv } from '../../src/pdu/types';
import { pattern, sha256 } from '../helpers/bytes';

const echoRq: Command = { CommandField: CommandField['C-ECHO-RQ'], MessageID: 1, AffectedSOPClassUID: '1.2.840.10008.1.1', CommandDataSetType: NO_DATASET };
const storeRq: Command = {
  CommandField: CommandField['C-STORE-RQ'],
  MessageID: 7,
  AffectedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
  AffectedSOPInstanceUID: '1.2.3.4',
  Priority: 0,
  CommandDataSetType: 0x0001,
};


/** A provider pair wired back to back: what one sends, the other receives. */
function pair(maxPdu: number) {
  const sent: PDataTfPdu[] = [];
  let b: DimseProvider;
  const a = new DimseProvider({
    sendPdu: async (pdu) => {
      sent.push(pdu);
      await b.receivePrimitive(pdu);
    },
    peerMaxPduLength: maxPdu,
    isAcceptedContext: (id) => id === 1 || id === 3,
  });
  b = new DimseProvider({ sendPdu: async () => {}, peerMaxPduLength: maxPdu, isAcceptedContext: (id) => id === 1 || id === 3, dimseTimeoutMs: 200 });
  return { a, b, sent };
}

describe('fragmentation (PS3.8 Annex E)', () => {
  it('keeps every PDU within the peer maximum and every fragment even', async () => {
    const { a, b, sent } = pair(16384);
    const data = pattern(100_000);
    await a.sendMsg(storeRq, 1, data);
    for (const pdu of sent) {
      const size = pdu.pdvs.reduce((n, p) => n + 6 + p.data.byteLength, 0);
      expect(size).toBeLessThanOrEqual(16384);
      for (const pdv of pdu.pdvs) expect(pdv.data.byteLength % 2).toBe(0);
    }
    const msg = await b.getMsg();
    expect(sha256(msg!.dataset!)).toBe(sha256(data));
  });

  it('sends a command without data set as one PDV in one PDU, and splits one longer than a fragment', async () => {
    const { a, b, sent } = pair(16384);
    await a.sendMsg(echoRq, 1);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.pdvs.map((p) => [p.contextId, p.isCommand, p.isLast])).toEqual([[1, true, true]]);
    expect((await b.getMsg())!.command.CommandField).toBe(CommandField['C-ECHO-RQ']);
    // A 64-byte UID makes the command longer than a fragment of a 100-byte PDU: several PDVs, the last flagged.
    const tiny = pair(100);
    const longUid = `1.2.${'3'.repeat(60)}`;
    await tiny.a.sendMsg({ ...echoRq, AffectedSOPClassUID: longUid }, 1);
    const pdvs = tiny.sent.flatMap((pdu) => pdu.pdvs);
    expect(pdvs.length).toBeGreaterThan(1);
    expect(pdvs.map((p) => p.isLast)).toEqual([...Array(pdvs.length - 1).fill(false), true]);
    expect((await tiny.b.getMsg())!.command.AffectedSOPClassUID).toBe(longUid);
  });

  it('puts command and first data fragment in one PDU when they fit', async () => {
    const { a, sent } = pair(16384);
    await a.sendMsg(storeRq, 1, pattern(100));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.pdvs.map((p) => [p.isCommand, p.isLast])).toEqual([
      [true, true],
      [false, true],
    ]);
  });

  it('streams a dataset from a ReadableStream in random chunk sizes, byte-identical', async () => {
    const { a, b } = pair(4096);
    const data = pattern(1_000_000, 7);
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= data.length) return controller.close();
        const n = 1 + ((offset * 7919) % 20000);
        controller.enqueue(data.slice(offset, offset + n));
        offset += n;
      },
    });
    await a.sendMsg(storeRq, 1, stream);
    expect(sha256((await b.getMsg())!.dataset!)).toBe(sha256(data));
  });

  it('fragmentsOf joins small chunks into full fragments and flags only the last fragment', async () => {
    const chunks = [pattern(3), pattern(2), pattern(3), pattern(1)];
    const got: { length: number; last: boolean }[] = [];
    for await (const f of fragmentsOf((async function* () { yield* chunks; })(), 4)) got.push({ length: f.data.length, last: f.isLast });
    expect(got).toEqual([
      { length: 4, last: false },
      { length: 4, last: false },
      { length: 1, last: true },
    ]);
  });

  it('fragmentsOf cuts large chunks into views, never copying them, and keeps the byte order', async () => {
    const a = pattern(10);
    const b = pattern(3);
    const c = pattern(9).map((x) => x ^ 0xff);
    const got: Uint8Array[] = [];
    const last: boolean[] = [];
    for await (const f of fragmentsOf((async function* () { yield* [a, b, c]; })(), 4)) {
      got.push(f.data);
      last.push(f.isLast);
    }
    // a: 4 + 4 + a 2-byte tail (views of a); b is small: held, then sent short before the large c.
    expect(got.map((f) => f.length)).toEqual([4, 4, 2, 3, 4, 4, 1]);
    expect(last).toEqual([false, false, false, false, false, false, true]);
    expect(got[0]!.buffer).toBe(a.buffer);
    expect(got[2]!.buffer).toBe(a.buffer);
    expect(got[4]!.buffer).toBe(c.buffer);
    expect(got[6]!.buffer).toBe(c.buffer);
    const joined = new Uint8Array(got.reduce((n, f) => n + f.length, 0));
    let o = 0;
    for (const f of got) joined.set(f, (o += f.length) - f.length);
    expect([...joined]).toEqual([...a, ...b, ...c]);
  });

  it('fragmentsOf sends a lone chunk smaller than a fragment as it is, and copies only to join small chunks', async () => {
    const one = pattern(300);
    const got: Uint8Array[] = [];
    for await (const f of fragmentsOf((async function* () { yield one; })(), 1000)) got.push(f.data);
    expect(got).toHaveLength(1);
    expect(got[0]!.buffer).toBe(one.buffer); // a 512 KiB file sent at 1 MiB PDUs was copied into a new 1 MiB buffer
    const [x, y, z] = [pattern(300), pattern(200).map((v) => v ^ 0x55), pattern(2000)];
    const parts: Uint8Array[] = [];
    for await (const f of fragmentsOf((async function* () { yield* [x, y, z]; })(), 1000)) parts.push(f.data);
    expect(parts.map((p) => p.length)).toEqual([500, 1000, 1000]);
    expect([...parts[0]!]).toEqual([...x, ...y]);
    expect(parts[1]!.buffer).toBe(z.buffer);
  });

  it('refuses a maximum PDU length with no room for a PDV', () => {
    expect(() => maxFragmentLength(7)).toThrow(RangeError);
    expect(maxFragmentLength(16384)).toBe(16378);
    expect(maxFragmentLength(16385)).toBe(16378);
  });
});

describe('reassembly (PS3.8 Annex E, reliability.md 2.4)', () => {
  const accepted = { isAcceptedContext: (id: number) => id === 1 || id === 3 };
  const cmd = (c: Command, last = true): Pdv => ({ contextId: 1, isCommand: true, isLast: last, data: encodeCommand(c) });
  const data = (bytes: Uint8Array, last = true, contextId = 1): Pdv => ({ contextId, isCommand: false, isLast: last, data: bytes });

  async function expectAbort(pdvs: Pdv[], source: number, reason: number) {
    const m = new MessageAssembler(accepted);
    let error: unknown;
    try {
      for (const p of pdvs) await m.push(p);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).abort).toEqual({ source, reason });
  }

  it('accepts empty PDVs and uncombined consecutive fragments', async () => {
    const m = new MessageAssembler(accepted);
    const bytes = encodeCommand(storeRq);
    expect(await m.push({ contextId: 1, isCommand: true, isLast: false, data: bytes.subarray(0, 10) })).toBeNull();
    expect(await m.push({ contextId: 1, isCommand: true, isLast: false, data: new Uint8Array(0) })).toBeNull();
    expect(await m.push({ contextId: 1, isCommand: true, isLast: true, data: bytes.subarray(10) })).toBeNull();
    expect(await m.push(data(new Uint8Array([1, 2]), false))).toBeNull();
    const msg = await m.push(data(new Uint8Array([3, 4])));
    expect(msg!.command.AffectedSOPInstanceUID).toBe('1.2.3.4');
    expect([...msg!.dataset!]).toEqual([1, 2, 3, 4]);
  });

  it('data before any command → A-ABORT (2,5)', () => expectAbort([data(new Uint8Array(2))], 2, 5));
  it('data after a command that says no data set → (2,5)', () => expectAbort([cmd(echoRq), data(new Uint8Array(2))], 2, 5));
  it('command fragment while the data set is expected → (2,5)', () => expectAbort([cmd(storeRq), cmd(echoRq)], 2, 5));
  it('context changes inside a message → (2,5)', () => expectAbort([cmd(storeRq), data(new Uint8Array(2), true, 3)], 2, 5));
  it('PDV on a context that was not accepted → (2,6)', () => expectAbort([{ ...cmd(echoRq), contextId: 5 }], 2, 6));
  it('undecodable command set → (0,0)', () => expectAbort([{ contextId: 1, isCommand: true, isLast: true, data: new Uint8Array([1, 2, 3]) }], 0, 0));
  it('command set over the cap → (2,6)', async () => {
    const m = new MessageAssembler({ ...accepted, maxCommandLength: 100 });
    expect(() => m.push({ contextId: 1, isCommand: true, isLast: false, data: new Uint8Array(102) })).toThrow(expect.objectContaining({ abort: { source: 2, reason: 6 } }));
  });

  it('flags a buffered data set over its cap instead of holding it', async () => {
    const m = new MessageAssembler({ ...accepted, maxDatasetLength: 10 });
    await m.push(cmd(storeRq));
    await m.push(data(new Uint8Array(8), false));
    const msg = await m.push(data(new Uint8Array(8)));
    expect(msg!.datasetTooLarge).toBe(true);
    expect(msg!.dataset).toBeNull();
  });

  it('streams a data set when asked, delivering the message at command time', async () => {
    const m = new MessageAssembler({ ...accepted, streamDataset: () => true, streamHighWaterMark: 2 });
    const msg = await m.push(cmd(storeRq));
    expect(msg!.datasetChunks).toBeDefined();
    const reader = msg!.datasetChunks!.toStream().getReader();
    const pushing = (async () => {
      for (let i = 0; i < 5; i++) await m.push(data(new Uint8Array([i, i]), i === 4));
    })();
    const got: number[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      got.push(value[0]!);
    }
    await pushing;
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('DIMSE provider', () => {
  it('getMsg resolves null after the DIMSE timeout; expectMsg throws TimeoutError', async () => {
    const { b } = pair(16384);
    expect(await b.getMsg({ timeoutMs: 20 })).toBeNull();
    expect(await b.getMsg({ block: false })).toBeNull();
    await expect(b.expectMsg({ timeoutMs: 20 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it('peekMsg shows the next message without taking it; match picks by predicate', async () => {
    const { a, b } = pair(16384);
    await a.sendMsg(echoRq, 1);
    await a.sendMsg({ ...echoRq, MessageID: 2 }, 1);
    expect(b.peekMsg()!.command.MessageID).toBe(1);
    expect((await b.getMsg({ match: (m) => m.command.MessageID === 2 }))!.command.MessageID).toBe(2);
    expect((await b.getMsg())!.command.MessageID).toBe(1);
  });

  it('keeps C-CANCEL apart, keyed by the Message ID it cancels', async () => {
    const { a, b } = pair(16384);
    const signal = b.cancelSignal(9);
    await a.sendMsg({ CommandField: CommandField['C-CANCEL-RQ'], MessageIDBeingRespondedTo: 9, CommandDataSetType: NO_DATASET }, 1);
    expect(signal.aborted).toBe(true);
    expect(b.peekMsg()).toBeNull();
    // A cancel that arrives before its operation starts is remembered.
    await a.sendMsg({ CommandField: CommandField['C-CANCEL-RQ'], MessageIDBeingRespondedTo: 10, CommandDataSetType: NO_DATASET }, 1);
    expect(b.cancelSignal(10).aborted).toBe(true);
    b.endOperation(10);
    expect(b.cancelSignal(10).aborted).toBe(false);
  });

  it('fails waiters when the association ends', async () => {
    const { b } = pair(16384);
    const waiting = b.getMsg({ timeoutMs: 10_000 });
    b.fail(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
  });
});
