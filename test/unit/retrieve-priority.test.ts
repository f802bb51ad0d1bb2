/**
 * The C-STORE sub-operations of a C-GET or C-MOVE SCP carry the retrieve's Priority (0000,0700):
 * "The same priority shall be used for all C-STORE sub-operations" (PS3.4 C.4.2.1.2 for C-MOVE,
 * C.4.3.1.2 for C-GET). Over memory pairs, one sub-operation at a time and within a window.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import type { StoreInput } from '../../src/scu/store';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const STUDY_GET = '1.2.840.10008.5.1.4.1.2.2.3';
const STUDY_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const QUERY = { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2' };
const instances = (n: number): StoreInput[] =>
  Array.from({ length: n }, (_, i) => ({ dataset: { SOPClassUID: CT, SOPInstanceUID: `1.2.3.${i + 1}`, Modality: 'CT' } }));

type Priority = 'low' | 'medium' | 'high' | undefined;
/** The (0000,0700) value each option sends (PS3.7 Table E.1-1); none given means medium. */
const VALUE = { low: 2, medium: 0, high: 1, none: 0 } as const;
const PRIORITIES: [Priority, number][] = [['high', VALUE.high], ['low', VALUE.low], ['medium', VALUE.medium], [undefined, VALUE.none]];

describe.each([1, 4])('window %i', (window) => {
  it.each(PRIORITIES)('C-GET with priority %s → every C-STORE sub-operation has Priority %i', async (priority, value) => {
    const qr = new ApplicationEntity({ aeTitle: 'QR', asyncOps: { maxInvoked: window, maxPerformed: 1 } })
      .addSupportedContext(STUDY_GET)
      .addSupportedContext(CT, [EXPLICIT], { scuRole: true, scpRole: true });
    const scu = new ApplicationEntity({ aeTitle: 'SCU', asyncOps: { maxInvoked: 1, maxPerformed: window } })
      .addRequestedContext(STUDY_GET)
      .addRequestedContext(CT, [EXPLICIT], { scuRole: false, scpRole: true });
    const [a, b] = createMemoryPair();
    void qr.handle(b, { cGet: () => instances(3) });
    const assoc = await scu.associate(a, { calledAeTitle: 'QR' });
    const seen: number[] = [];
    let last;
    for await (const p of assoc.cGet(QUERY, { model: 'study', priority, onStore: (rq) => (seen.push(rq.priority), 0) })) last = p;
    expect(last).toMatchObject({ status: 0, completed: 3 });
    expect(seen).toEqual([value, value, value]);
    await assoc.release();
  });

  it.each(PRIORITIES)('C-MOVE with priority %s → every C-STORE sub-operation to the destination has Priority %i', async (priority, value) => {
    const seen: number[] = [];
    const dest = new ApplicationEntity({ aeTitle: 'DEST', asyncOps: { maxInvoked: 1, maxPerformed: window } }).addSupportedContext(CT, [EXPLICIT]);
    const destination = {
      aeTitle: 'DEST',
      connect: async () => {
        const [c, d] = createMemoryPair();
        void dest.handle(d, { cStore: async (rq) => (seen.push(rq.priority), await rq.bytes(), 0) });
        return c;
      },
    };
    const qr = new ApplicationEntity({ aeTitle: 'QR', asyncOps: { maxInvoked: window, maxPerformed: 1 } }).addSupportedContext(STUDY_MOVE);
    const [a, b] = createMemoryPair();
    void qr.handle(b, { cMove: () => ({ destination, instances: instances(3) }) });
    const assoc = await new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_MOVE).associate(a, { calledAeTitle: 'QR' });
    let last;
    for await (const p of assoc.cMove(QUERY, 'DEST', { model: 'study', priority })) last = p;
    expect(last).toMatchObject({ status: 0, completed: 3 });
    expect(seen).toEqual([value, value, value]);
    await assoc.release();
  });
});
