/**
 * Slab (src/bytes/slab.ts): small arrays are zeroed views of shared blocks that never overlap and
 * are never handed out twice; large ones get memory of their own. Encoded commands for the wire come
 * from one (encodeCommandForSending), and so do C-FIND matches (encodeDatasetForSending); the public
 * encodeCommand and encodeDataset keep memory of their own.
 */
import { describe, expect, it } from 'vitest';
import { Slab } from '../../src/bytes/slab';
import { encodeCommand, encodeCommandForSending } from '../../src/dimse/command-set';
import { encodeDataset, encodeDatasetForSending } from '../../src/dataset/codec';

describe('Slab', () => {
  it('hands out zeroed, 8-byte aligned views of one block that never overlap', () => {
    const slab = new Slab(1024);
    const views = [5, 100, 1, 64, 3].map((n) => slab.take(n));
    expect(new Set(views.map((v) => v.buffer)).size).toBe(1);
    for (const v of views) expect(v.every((b) => b === 0)).toBe(true);
    for (const v of views) expect(v.byteOffset % 8).toBe(0);
    views.forEach((v, i) => v.fill(i + 1));
    views.forEach((v, i) => expect(v.every((b) => b === i + 1)).toBe(true)); // nobody wrote over another
  });

  it('starts a new block when one is full, and gives arrays over a quarter block memory of their own', () => {
    const slab = new Slab(1024);
    const first = slab.take(200);
    const rest = Array.from({ length: 5 }, () => slab.take(200)); // 6 × 200 > 1024
    expect(rest.some((v) => v.buffer !== first.buffer)).toBe(true);
    const large = slab.take(257);
    expect(large.byteOffset).toBe(0);
    expect(large.buffer.byteLength).toBe(257);
  });
});

describe('Slab block sizes', () => {
  it('starts with small blocks that double up to the block size, so the refill runs early in a process', () => {
    const slab = new Slab(4096);
    const blocks: ArrayBufferLike[] = [];
    for (let i = 0; i < 130; i++) {
      const buffer = slab.take(64).buffer;
      if (blocks[blocks.length - 1] !== buffer) blocks.push(buffer);
    }
    // 4 + 8 + 16 + 32 + 64 takes of 64 bytes fill the first five blocks; the sixth is full size again.
    expect(blocks.map((b) => b.byteLength)).toEqual([256, 512, 1024, 2048, 4096, 4096]);
  });

  it('gives a take larger than the next small block a block that holds it', () => {
    const slab = new Slab(64 * 1024);
    const view = slab.take(10_000);
    expect(view.byteLength).toBe(10_000);
    expect(view.buffer.byteLength).toBeGreaterThanOrEqual(10_000);
    expect(slab.take(16 * 1024).buffer.byteLength).toBeGreaterThanOrEqual(16 * 1024);
  });
});

describe('encoded commands for the wire', () => {
  it('are the bytes encodeCommand gives, and a later one never changes an earlier one', () => {
    const command = (id: number) => ({ CommandField: 0x0030, MessageID: id, CommandDataSetType: 0x0101, AffectedSOPClassUID: '1.2.840.10008.1.1' });
    const sent = Array.from({ length: 300 }, (_, i) => encodeCommandForSending(command(i + 1)));
    sent.forEach((bytes, i) => expect(Buffer.from(bytes).equals(Buffer.from(encodeCommand(command(i + 1))))).toBe(true));
    const own = encodeCommand(command(1));
    expect(own.byteOffset).toBe(0);
    expect(own.buffer.byteLength).toBe(own.byteLength);
  });
});

describe('encoded data sets for the wire', () => {
  it('are the bytes encodeDataset gives, views of a shared block that a later one never changes', () => {
    const match = (i: number) => ({ PatientName: `Doe^${i}`, PatientID: `ID${i}`, StudyInstanceUID: `1.2.3.${i}`, QueryRetrieveLevel: 'STUDY' });
    const sent = Array.from({ length: 200 }, (_, i) => encodeDatasetForSending(match(i), '1.2.840.10008.1.2.1'));
    expect(new Set(sent.map((b) => b.buffer)).size).toBeLessThan(10);
    sent.forEach((bytes, i) => expect(Buffer.from(bytes).equals(Buffer.from(encodeDataset(match(i), '1.2.840.10008.1.2.1')))).toBe(true));
    const own = encodeDataset(match(1), '1.2.840.10008.1.2');
    expect(own.buffer.byteLength).toBe(own.byteLength);
  });
});
