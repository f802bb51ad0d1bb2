/**
 * The byte accounting behind lent input (DirectTransport.release): the PDU reader, the message
 * assembler and a data set consumer that asked for lent chunks together hand back every byte of
 * every chunk exactly once, whatever the chunking: PDUs inside one chunk, small ones copied across
 * chunks, large P-DATA-TFs decoded in place, commands, buffered and streamed data sets. A byte
 * handed back twice would let the transport overwrite memory still in use; one never handed back
 * only keeps its chunk out of the pool, which the counts here would show too.
 */
import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../../src/dimse/command-set';
import { concatChunks } from '../../src/dimse/dataset-source';
import { MessageAssembler, type IncomingMessage } from '../../src/dimse/reassemble';
import { encodePdu } from '../../src/pdu/encode';
import { PduReader } from '../../src/pdu/reader';
import type { Pdv } from '../../src/pdu/types';

const STORE_RQ = 0x0001;
const FIND_RQ = 0x0020;

/** One message as P-DATA-TF PDUs of at most `maxPdu` bytes (command, then data set fragments). */
function messagePdus(commandField: number, dataset: Uint8Array, maxPdu: number): Uint8Array[] {
  const command = encodeCommand({ CommandField: commandField, MessageID: 1, AffectedSOPClassUID: '1.2.3', AffectedSOPInstanceUID: '1.2.3.4', CommandDataSetType: 0, Priority: 0 });
  const room = maxPdu - 12;
  const pdus: Uint8Array[] = [];
  const fragments = (bytes: Uint8Array, isCommand: boolean) => {
    for (let at = 0; at < bytes.length; at += room) {
      const data = bytes.subarray(at, at + room);
      const pdv: Pdv = { contextId: 1, isCommand, isLast: at + room >= bytes.length, data };
      pdus.push(encodePdu({ type: 'P-DATA-TF', pdvs: [pdv] }));
    }
  };
  fragments(command, true);
  fragments(dataset, false);
  return pdus;
}

/** Splits `bytes` into chunks of the given sizes (cycled), each a copy in its own memory. */
function chunked(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const end = Math.min(bytes.length, at + sizes[i % sizes.length]!);
    out.push(bytes.slice(at, end));
    at = end;
  }
  return out;
}

/** Feeds the chunks through a reader and an assembler; the streamed consumer takes lent chunks and hands each back. */
async function run(chunks: Uint8Array[], release: (view: Uint8Array, count?: number) => void): Promise<Uint8Array[]> {
  const reader = new PduReader({ maxPduLength: 1 << 20 }, release);
  const assembler = new MessageAssembler({ isAcceptedContext: () => true, streamDataset: (_, c) => c.CommandField === STORE_RQ, release });
  const datasets: Uint8Array[] = [];
  const consumers: Promise<void>[] = [];
  const consume = async (message: IncomingMessage) => {
    const stream = message.datasetChunks!;
    stream.lend();
    const parts: Uint8Array[] = [];
    for await (const chunk of stream) {
      parts.push(chunk.slice());
      stream.release(chunk);
    }
    datasets.push(concatChunks(parts));
  };
  for (const chunk of chunks) {
    for (const pdu of reader.push(chunk)) {
      if (pdu.type !== 'P-DATA-TF') throw new Error(pdu.type);
      for (const pdv of pdu.pdvs) {
        const result = await assembler.push(pdv);
        if (!result) continue;
        if (result.datasetChunks) consumers.push(consume(result));
        else datasets.push(result.dataset!);
      }
    }
  }
  await Promise.all(consumers);
  return datasets;
}

const pattern = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);

describe('lent input accounting', () => {
  const stored = pattern(150_001, 1);
  const query = pattern(2_001, 2);
  const cases: [string, number, number[]][] = [
    ['PDUs inside 64 KiB chunks', 16_384, [65_536]],
    ['small PDUs copied across odd chunks', 4_096, [5_000, 7, 65_536, 1_000]],
    ['large PDUs decoded in place', 131_072, [65_536, 40_000, 1]],
    ['one-byte chunks', 4_096, [1]],
  ];
  for (const [name, maxPdu, sizes] of cases) {
    it(`hands back every byte exactly once: ${name}`, async () => {
      const wire = concatChunks([...messagePdus(STORE_RQ, stored, maxPdu), ...messagePdus(FIND_RQ, query, maxPdu), ...messagePdus(STORE_RQ, stored, maxPdu)]);
      const chunks = chunked(wire, sizes);
      const back = new Map<ArrayBufferLike, number>();
      const release = (view: Uint8Array, count = view.byteLength) => back.set(view.buffer, (back.get(view.buffer) ?? 0) + count);
      const datasets = await run(chunks, release);
      expect(datasets.map((d) => d.length)).toEqual([stored.length, query.length, stored.length]);
      expect(Buffer.compare(datasets[0]!, stored)).toBe(0);
      expect(Buffer.compare(datasets[1]!, query)).toBe(0);
      expect(Buffer.compare(datasets[2]!, stored)).toBe(0);
      // The buffered data set is the message's own memory, not a view of a chunk.
      expect(chunks.some((c) => c.buffer === datasets[1]!.buffer)).toBe(false);
      const wrong = chunks.filter((c) => back.get(c.buffer) !== c.length).map((c) => `${back.get(c.buffer) ?? 0}/${c.length}`);
      expect(wrong).toEqual([]);
    });
  }

  it('with lent input a small P-DATA-TF across a few chunks is decoded in place; across many it is copied', () => {
    const [pdu] = messagePdus(STORE_RQ, pattern(3_000, 3), 4_096).slice(1);
    const release = () => {};
    const inPlace = new PduReader({}, release);
    const halves = chunked(pdu!, [1_000, 5_000]);
    const [a] = [...inPlace.push(halves[0]!), ...inPlace.push(halves[1]!)];
    expect(a!.type === 'P-DATA-TF' && a!.pdvs.map((p) => p.data.buffer)).toEqual([halves[0]!.buffer, halves[1]!.buffer]);
    const copied = new PduReader({}, release);
    const bits = chunked(pdu!, [500]);
    const [b] = bits.flatMap((c) => copied.push(c));
    expect(b!.type === 'P-DATA-TF' && b!.pdvs.length).toBe(1);
    // Without lending nothing changes: copied once (the earlier rule, PDUs under 32 KiB).
    const plain = new PduReader();
    const [c] = [...plain.push(halves[0]!), ...plain.push(halves[1]!)];
    expect(c!.type === 'P-DATA-TF' && c!.pdvs.length).toBe(1);
  });
});
