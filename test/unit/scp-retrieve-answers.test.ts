/**
 * What a C-GET handler (and the `instances` of a C-MOVE handler's answer) may yield (PS3.4
 * C.4.2.1.5, C.4.3.1.4): instances, and a status that ends the list. Success ends it after the
 * instances named; any other status is the final response at once, with the counts of PS3.4
 * C.4.2.1.6-9 / C.4.3.1.5-8 (no Remaining but for Cancel) and the Failed SOP Instance UID List of
 * C.4.2.1.4.2 / C.4.3.1.3.2. Over memory pairs.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import type { RetrieveAnswer } from '../../src/scp/types';
import type { StoreInput } from '../../src/scu/store';
import type { RetrieveProgress } from '../../src/scu/retrieve';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const STUDY_GET = '1.2.840.10008.5.1.4.1.2.2.3';
const STUDY_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const QUERY = { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2' };

const instance = (n: number): StoreInput => ({ dataset: { SOPClassUID: CT, SOPInstanceUID: `1.2.3.${n}`, PatientName: `P^${n}`, Modality: 'CT' } });

/** An instance whose data is a stream that counts its cancellation in `released`. */
function streamed(n: number, released: string[]): StoreInput {
  const sopInstanceUid = `1.2.5.${n}`;
  const cancel = () => void released.push(sopInstanceUid);
  return { sopClassUid: CT, sopInstanceUid, transferSyntaxUid: EXPLICIT, data: new ReadableStream<Uint8Array>({ cancel }) };
}

/** A C-GET SCP whose handler is `cGet`, an SCU associated with it, and what reached the SCU's onStore. */
async function getScp(cGet: () => AsyncIterable<RetrieveAnswer> | Iterable<RetrieveAnswer>) {
  const scp = new ApplicationEntity({ aeTitle: 'QR' }).addSupportedContext(STUDY_GET).addSupportedContext(CT, [EXPLICIT], { scuRole: true, scpRole: true });
  const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_GET).addRequestedContext(CT, [EXPLICIT], { scuRole: false, scpRole: true });
  const [a, b] = createMemoryPair();
  void scp.handle(b, { cGet });
  const assoc = await scu.associate(a, { calledAeTitle: 'QR' });
  const stored: string[] = [];
  const get = async () => {
    const progress: RetrieveProgress[] = [];
    const onStore = async (rq: { sopInstanceUid: string; bytes(): Promise<Uint8Array> }) => {
      stored.push(rq.sopInstanceUid);
      await rq.bytes();
      return 0;
    };
    for await (const p of assoc.cGet(QUERY, { model: 'study', onStore })) progress.push(p);
    return progress;
  };
  return { assoc, stored, get };
}

/** A C-MOVE SCP whose handler names `instances` for DEST, counting the connections to DEST. */
async function moveScp(instances: () => AsyncIterable<RetrieveAnswer> | Iterable<RetrieveAnswer>) {
  const received: string[] = [];
  const dest = new ApplicationEntity({ aeTitle: 'DEST' }).addSupportedContext(CT, [EXPLICIT]);
  const qr = new ApplicationEntity({ aeTitle: 'QR' }).addSupportedContext(STUDY_MOVE);
  const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_MOVE);
  let connects = 0;
  const connect = async () => {
    connects++;
    const [a, b] = createMemoryPair();
    void dest.handle(b, {
      cStore: async (rq) => {
        received.push(rq.sopInstanceUid);
        await rq.bytes();
        return 0;
      },
    });
    return a;
  };
  const [a, b] = createMemoryPair();
  void qr.handle(b, { cMove: () => ({ destination: { aeTitle: 'DEST', connect }, instances: instances() }) });
  const assoc: Association = await scu.associate(a, { calledAeTitle: 'QR' });
  const move = async () => {
    const progress: RetrieveProgress[] = [];
    for await (const p of assoc.cMove(QUERY, 'DEST', { model: 'study' })) progress.push(p);
    return progress;
  };
  return { assoc, received, move, connects: () => connects };
}

/** The counts of a response as sent: [Remaining, Completed, Failed, Warning] command fields. */
const countsOf = (p: RetrieveProgress) => [
  p.command.NumberOfRemainingSuboperations,
  p.command.NumberOfCompletedSuboperations,
  p.command.NumberOfFailedSuboperations,
  p.command.NumberOfWarningSuboperations,
];

describe('C-GET handler answers', () => {
  it('a status yielded first (0xA701) is the one final response: zero counts, no Remaining, no data set; the handler is closed', async () => {
    let finished = false;
    let pulledOn = false;
    const { assoc, stored, get } = await getScp(async function* () {
      try {
        yield { status: 0xa701, errorComment: 'index busy', errorId: 3 };
        pulledOn = true;
        yield instance(1);
      } finally {
        finished = true;
      }
    });
    const progress = await get();
    expect(progress).toHaveLength(1);
    expect(progress[0]).toMatchObject({ status: 0xa701, category: 'Failure' });
    expect(progress[0]!.command).toMatchObject({ ErrorComment: 'index busy', ErrorID: 3 });
    expect(countsOf(progress[0]!)).toEqual([undefined, 0, 0, 0]);
    expect(progress[0]!.identifier ?? null).toBeNull();
    expect([stored, finished, pulledOn]).toEqual([[], true, false]);
    await assoc.release();
  });

  it('a failure after instances ends the C-GET before any sub-operation: those instances count as failed, are listed and released', async () => {
    const released: string[] = [];
    const { assoc, stored, get } = await getScp(async function* () {
      yield streamed(1, released);
      yield streamed(2, released);
      yield { status: 0xc001, errorComment: 'index lost' };
      yield streamed(3, released);
    });
    const progress = await get();
    expect(progress.map((p) => p.status)).toEqual([0xc001]);
    expect(progress[0]!.command.ErrorComment).toBe('index lost');
    expect(countsOf(progress[0]!)).toEqual([undefined, 0, 2, 0]);
    expect(progress[0]!.identifier).toMatchObject({ FailedSOPInstanceUIDList: ['1.2.5.1', '1.2.5.2'] });
    expect(stored).toEqual([]);
    expect(released).toEqual(['1.2.5.1', '1.2.5.2']);
    // Nothing stray is left behind: the next C-GET on the association gets exactly its own responses.
    expect((await get()).map((p) => p.status)).toEqual([0xc001]);
    await assoc.release();
  });

  it('a yielded Success ends the list: the instances before it are sent and the final status is computed', async () => {
    const { assoc, stored, get } = await getScp(function* () {
      yield instance(1);
      yield instance(2);
      yield 0x0000;
      yield instance(3);
    });
    const progress = await get();
    expect(stored).toEqual(['1.2.3.1', '1.2.3.2']);
    expect(progress.map((p) => p.status)).toEqual([0xff00, 0x0000]);
    expect(countsOf(progress.at(-1)!)).toEqual([undefined, 2, 0, 0]);
    await assoc.release();
  });

  it('a yielded Cancel: nothing is sent, the instances named are remaining and none failed', async () => {
    const released: string[] = [];
    const { assoc, stored, get } = await getScp(() => [streamed(1, released), { status: 0xfe00 }]);
    const progress = await get();
    expect(progress.map((p) => [p.status, p.category])).toEqual([[0xfe00, 'Cancel']]);
    expect(countsOf(progress[0]!)).toEqual([1, 0, 0, 0]);
    expect([stored, released]).toEqual([[], ['1.2.5.1']]);
    await assoc.release();
  });

  it('a yielded Pending status is no final status: answered 0xC000, like a throw', async () => {
    const { assoc, stored, get } = await getScp(() => [instance(1), { status: 0xff00 }]);
    const progress = await get();
    expect(progress.map((p) => p.status)).toEqual([0xc000]);
    expect(progress[0]!.command.ErrorComment).toMatch(/Pending/);
    expect(stored).toEqual([]);
    await assoc.release();
  });

  it('an item that is neither an instance with a readable identity nor a status is answered 0xC000, not left unanswered', async () => {
    const released: string[] = [];
    const bad: unknown[] = [{}, null, { part10: new Uint8Array(10) }, { dataset: { PatientName: 'X' } }, { sopClassUid: CT, data: new Uint8Array(0) }];
    for (const item of bad) {
      const { assoc, stored, get } = await getScp(async function* () {
        yield streamed(1, released);
        yield item as RetrieveAnswer;
      });
      const progress = await get();
      expect(progress.map((p) => p.status)).toEqual([0xc000]);
      expect(progress[0]!.command.ErrorComment).toMatch(/neither/);
      expect(stored).toEqual([]);
      await assoc.release();
    }
    expect(released).toEqual(bad.map(() => '1.2.5.1'));
  });

  it('a handler that throws after yielding instances: 0xC000, and the data streams it named are released', async () => {
    const released: string[] = [];
    const { assoc, get } = await getScp(async function* () {
      yield streamed(1, released);
      yield streamed(2, released);
      throw new Error('index unavailable');
    });
    const progress = await get();
    expect(progress.map((p) => p.status)).toEqual([0xc000]);
    expect(released).toEqual(['1.2.5.1', '1.2.5.2']);
    await assoc.release();
  });
});

describe('C-MOVE handler answers (the instances it names)', () => {
  it('a status yielded first ends the C-MOVE without an association to the destination', async () => {
    const { assoc, received, move, connects } = await moveScp(() => [{ status: 0xa900, errorComment: 'identifier does not match' }, instance(1)]);
    const progress = await move();
    expect(progress.map((p) => p.status)).toEqual([0xa900]);
    expect(progress[0]!.command.ErrorComment).toBe('identifier does not match');
    expect(countsOf(progress[0]!)).toEqual([undefined, 0, 0, 0]);
    expect(progress[0]!.identifier ?? null).toBeNull();
    expect([received, connects()]).toEqual([[], 0]);
    await assoc.release();
  });

  it('a failure after instances: none sent, they count as failed and are listed; a yielded Success sends what came before', async () => {
    const failing = await moveScp(async function* () {
      yield instance(1);
      yield 0xa701;
    });
    const progress = await failing.move();
    expect(progress.map((p) => p.status)).toEqual([0xa701]);
    expect(countsOf(progress[0]!)).toEqual([undefined, 0, 1, 0]);
    expect(progress[0]!.identifier).toMatchObject({ FailedSOPInstanceUIDList: '1.2.3.1' });
    expect([failing.received, failing.connects()]).toEqual([[], 0]);
    await failing.assoc.release();

    const ending = await moveScp(() => [instance(1), instance(2), { status: 0 }, instance(3)]);
    const done = await ending.move();
    expect(done.at(-1)).toMatchObject({ status: 0, completed: 2, failed: 0, warning: 0 });
    expect([ending.received, ending.connects()]).toEqual([['1.2.3.1', '1.2.3.2'], 1]);
    await ending.assoc.release();
  });

  it('instances that throw after naming streams: 0xC000, the streams are released, no association to the destination', async () => {
    const released: string[] = [];
    const { assoc, move, connects } = await moveScp(async function* () {
      yield streamed(1, released);
      throw new Error('index unavailable');
    });
    expect((await move()).map((p) => p.status)).toEqual([0xc000]);
    expect([released, connects()]).toEqual([['1.2.5.1'], 0]);
    await assoc.release();
  });
});
