/**
 * C-MOVE SCP (src/scp/retrieve.ts): the sub-association's contexts for compressed instances
 * (past 128, over several sub-associations), a C-CANCEL that arrives while the destination is being
 * connected, and a handler's status result in the response. Over memory pairs.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import type { MoveAnswer, ScpHandlers, StoreRequest } from '../../src/scp/types';
import type { StoreInput } from '../../src/scu/store';
import { CT_IMAGE_STORAGE, ctPart10, encapsulatedPart10, EXPLICIT_LE, IMPLICIT_LE, JPEG_BASELINE } from '../helpers/ct-instance';

const STUDY_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const QUERY = { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2' };

/** A QR SCP whose C-MOVE handler answers `cMove`, and an SCU associated with it. */
async function moveScp(cMove: NonNullable<ScpHandlers['cMove']>): Promise<Association> {
  const qr = new ApplicationEntity({ aeTitle: 'QR' }).addSupportedContext(STUDY_MOVE);
  const [a, b] = createMemoryPair();
  void qr.handle(b, { cMove });
  return new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_MOVE).associate(a, { calledAeTitle: 'QR' });
}

/** A destination AE reached over a fresh memory pair; `onStore` sees each C-STORE. */
function destination(dest: ApplicationEntity, onStore: (rq: StoreRequest) => Promise<number>) {
  return {
    aeTitle: 'DEST',
    connect: async () => {
      const [a, b] = createMemoryPair();
      void dest.handle(b, { cStore: onStore });
      return a;
    },
  };
}

async function moveAll(assoc: Association, signal?: AbortSignal) {
  const progress = [];
  for await (const p of assoc.cMove(QUERY, 'DEST', { model: 'study', signal })) progress.push(p);
  return progress;
}

describe('C-MOVE sub-association contexts', () => {
  it('a JPEG Baseline instance reaches a destination that accepts JPEG and uncompressed, as it is; an uncompressed one as before', async () => {
    const jpeg = encapsulatedPart10({ sopInstanceUid: '1.2.3.1', sopClassUid: CT_IMAGE_STORAGE });
    const plain = ctPart10({ sopInstanceUid: '1.2.3.2', transferSyntaxUid: EXPLICIT_LE });
    // The destination prefers uncompressed: on a context offering both it would pick Explicit VR LE.
    const dest = new ApplicationEntity({ aeTitle: 'DEST' }).addSupportedContext(CT_IMAGE_STORAGE, [EXPLICIT_LE, IMPLICIT_LE, JPEG_BASELINE]);
    const received = new Map<string, { ts: string; bytes: Uint8Array }>();
    const assoc = await moveScp(() => ({
      destination: destination(dest, async (rq) => {
        received.set(rq.sopInstanceUid, { ts: rq.transferSyntax, bytes: await rq.bytes() });
        return 0;
      }),
      instances: [{ part10: jpeg.file }, { part10: plain.file }],
    }));
    const progress = await moveAll(assoc);
    expect(progress.at(-1)).toMatchObject({ status: 0, completed: 2, failed: 0 });
    expect(received.get('1.2.3.1')?.ts).toBe(JPEG_BASELINE);
    expect(received.get('1.2.3.1')?.bytes).toEqual(jpeg.dataset);
    expect(received.get('1.2.3.2')?.ts).toBe(EXPLICIT_LE);
    expect(received.get('1.2.3.2')?.bytes).toEqual(plain.dataset);
    await assoc.release();
  });

  it('more than 128 contexts, compressed ones included: the classes fill sub-associations of at most 128 in turn, and every instance is sent', async () => {
    const classes = Array.from({ length: 120 }, (_, i) => `1.2.826.0.1.3680043.9.7433.99.${i + 1}`);
    const dest = new ApplicationEntity({ aeTitle: 'DEST' });
    for (const uid of classes) dest.addSupportedContext(uid, [EXPLICIT_LE, JPEG_BASELINE]);
    const bytes = new Uint8Array([0x08, 0x00, 0x60, 0x00, 0x02, 0x00, 0x00, 0x00, 0x43, 0x54]); // (0008,0060) "CT"
    const instances: StoreInput[] = classes.flatMap((sopClassUid, i) => [
      { sopClassUid, sopInstanceUid: `1.2.4.${i}.1`, transferSyntaxUid: JPEG_BASELINE, data: bytes },
      { sopClassUid, sopInstanceUid: `1.2.4.${i}.2`, transferSyntaxUid: EXPLICIT_LE, data: bytes },
    ]);
    const proposed: number[] = [];
    const received = new Map<string, string>();
    const handlers: ScpHandlers = {
      associate: (rq) => void proposed.push(rq.presentationContexts.length),
      cStore: async (rq) => {
        received.set(rq.sopInstanceUid, rq.transferSyntax);
        await rq.bytes();
        return 0;
      },
    };
    const connect = async () => {
      const [a, b] = createMemoryPair();
      void dest.handle(b, handlers);
      return a;
    };
    const assoc = await moveScp(() => ({ destination: { aeTitle: 'DEST', connect }, instances }));
    const progress = await moveAll(assoc);
    // Two contexts per class (JPEG, uncompressed): 64 classes on the first sub-association, 56 on the second.
    expect(proposed).toEqual([128, 112]);
    expect(progress.at(-1)).toMatchObject({ status: 0, completed: 240, failed: 0 });
    expect(instances.map((i) => ('data' in i ? received.get(i.sopInstanceUid) : ''))).toEqual(instances.map((i) => ('data' in i ? i.transferSyntaxUid : '')));
    await assoc.release();
  });
});

describe('C-MOVE cancelled while the destination is being connected', () => {
  it('answers Cancel (0xFE00) with every instance remaining and none failed, and releases the instances', async () => {
    let cancelled = 0;
    const streamed = (n: number): StoreInput => ({
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: `1.2.5.${n}`,
      transferSyntaxUid: EXPLICIT_LE,
      data: new ReadableStream<Uint8Array>({ cancel: () => void cancelled++ }),
    });
    let connects = 0;
    const assoc = await moveScp((): MoveAnswer => ({
      destination: {
        aeTitle: 'DEST',
        // A slow connection that gives up when the C-MOVE is cancelled.
        connect: (signal?: AbortSignal) =>
          new Promise((_, reject) => {
            connects++;
            if (signal?.aborted) reject(signal.reason);
            signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
          }),
      },
      instances: [streamed(1), streamed(2), streamed(3)],
    }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const progress = await moveAll(assoc, controller.signal);
    expect(connects).toBe(1);
    expect(progress).toHaveLength(1);
    expect(progress[0]).toMatchObject({ status: 0xfe00, category: 'Cancel', remaining: 3, completed: 0, failed: 0, warning: 0 });
    expect(progress[0]!.command.ErrorComment).toBeUndefined();
    expect(progress[0]!.identifier ?? null).toBeNull();
    expect(cancelled).toBe(3);
    // The association is still usable.
    await assoc.release();
  });
});

describe('C-MOVE handler status result', () => {
  it('keeps Error ID and Offending Element, and cuts Error Comment to 64 characters (LO)', async () => {
    const comment = 'destination '.repeat(10);
    const assoc = await moveScp(() => ({ status: 0xa801, errorComment: comment, errorId: 7, offendingElement: [0x00000600] }));
    const progress = await moveAll(assoc);
    expect(progress).toHaveLength(1);
    expect(progress[0]!.status).toBe(0xa801);
    expect(progress[0]!.command).toMatchObject({ ErrorComment: comment.slice(0, 64).trimEnd(), ErrorID: 7, OffendingElement: [0x00000600] });
    await assoc.release();
  });
});
