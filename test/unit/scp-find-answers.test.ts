/**
 * What a C-FIND handler may yield (PS3.4 C.4.1.1.4): matches, matches with a Pending status of
 * their own, and a final status that ends the operation with exactly one final response.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import type { FindAnswer } from '../../src/scp/types';

const STUDY_FIND = '1.2.840.10008.5.1.4.1.2.2.1';

async function findWith(handler: () => AsyncGenerator<FindAnswer>) {
  const scp = new ApplicationEntity({ aeTitle: 'QR' }).addSupportedContext(STUDY_FIND);
  const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_FIND);
  const [a, b] = createMemoryPair();
  void scp.handle(b, { cFind: handler });
  const assoc = await scu.associate(a, { calledAeTitle: 'QR' });
  const results = [];
  for await (const r of assoc.cFind({ QueryRetrieveLevel: 'STUDY', PatientName: '' }, { model: 'study' })) results.push(r);
  return { assoc, results };
}

describe('C-FIND handler answers', () => {
  it('a yielded final status ends the C-FIND: one final response, with its Error Comment, nothing after it', async () => {
    let finished = false;
    const { assoc, results } = await findWith(async function* () {
      try {
        yield { PatientName: 'A^B' };
        yield { status: 0xff01, identifier: { PatientName: 'C^D' } };
        yield { status: 0xa700, errorComment: 'out of resources' };
        yield { PatientName: 'never sent' };
      } finally {
        finished = true;
      }
    });
    expect(results.map((r) => [r.status, r.identifier?.PatientName === undefined ? null : String(r.identifier.PatientName)])).toEqual([
      [0xff00, 'A^B'],
      [0xff01, 'C^D'],
      [0xa700, null],
    ]);
    expect(results.at(-1)!.command.ErrorComment).toBe('out of resources');
    expect(finished).toBe(true); // the handler's generator was closed
    // No stray response is left behind: the next C-FIND on the association gets exactly its own.
    const again = [];
    for await (const r of assoc.cFind({ QueryRetrieveLevel: 'STUDY', PatientName: '' }, { model: 'study' })) again.push(r.status);
    expect(again).toEqual([0xff00, 0xff01, 0xa700]);
    await assoc.release();
  });

  it('a yielded Success ends the C-FIND early; matches alone end with Success', async () => {
    const early = await findWith(async function* () {
      yield { PatientName: 'A^B' };
      yield { status: 0x0000 };
      yield { PatientName: 'never sent' };
    });
    expect(early.results.map((r) => r.status)).toEqual([0xff00, 0x0000]);
    await early.assoc.release();
    const plain = await findWith(async function* () {
      yield { PatientName: 'A^B' };
    });
    expect(plain.results.map((r) => r.status)).toEqual([0xff00, 0x0000]);
    await plain.assoc.release();
  });
});

describe('C-FIND SCP when the association ends mid-operation', () => {
  it('stops the handler and logs no handler failure (nothing can be answered any more)', async () => {
    const errors: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (m: string) => errors.push(m) };
    const scp = new ApplicationEntity({ aeTitle: 'QR', logger }).addSupportedContext(STUDY_FIND);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_FIND);
    const [a, b] = createMemoryPair();
    let finished!: () => void;
    const handlerDone = new Promise<void>((r) => (finished = r));
    const served = scp.handle(b, {
      async *cFind(_rq, ctx) {
        try {
          for (let i = 0; ; i++) {
            yield { PatientName: `P^${i}` };
            // Slow matches: the association is aborted while this waits; the signal then fires.
            await new Promise((r) => setTimeout(r, 5));
            if (ctx.signal.aborted) break;
          }
        } finally {
          finished();
        }
      },
    });
    const assoc = await scu.associate(a, { calledAeTitle: 'QR' });
    const iterator = assoc.cFind({ QueryRetrieveLevel: 'STUDY', PatientName: '' }, { model: 'study' })[Symbol.asyncIterator]();
    await iterator.next();
    await assoc.abort();
    await handlerDone;
    await served;
    await new Promise((r) => setTimeout(r, 20));
    expect(errors).toEqual([]);
  });
});
