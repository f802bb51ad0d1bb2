/**
 * DIMSE-C and DIMSE-N services end to end over memory pairs: C-FIND (with cancel), C-GET
 * (sub-operations on the same association), C-MOVE (sub-association), N-GET/N-ACTION/N-EVENT-REPORT,
 * and the timeouts (ACSE, DIMSE, network).
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { NegotiationError, TimeoutError } from '../../src/errors';
import type { ScpHandlers } from '../../src/scp/types';
import type { StoreInput } from '../../src/scu/store';
import type { NetEvent } from '../../src/telemetry';
import { encodeDataset } from '../../src/dataset/codec';

const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const STUDY_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const STUDY_GET = '1.2.840.10008.5.1.4.1.2.2.3';
const STUDY_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const DISPLAY = '1.2.840.10008.5.1.1.40';
const EXPLICIT = '1.2.840.10008.1.2.1';
const IMPLICIT = '1.2.840.10008.1.2';
const JPEG = '1.2.840.10008.1.2.4.50';
const MR = '1.2.840.10008.5.1.4.1.1.4';

const instance = (n: number): StoreInput => ({
  dataset: { SOPClassUID: CT, SOPInstanceUID: `1.2.3.${n}`, PatientName: `P^${n}`, Modality: 'CT' },
});

async function pairUp(scp: ApplicationEntity, handlers: ScpHandlers, scu: ApplicationEntity): Promise<Association> {
  const [a, b] = createMemoryPair();
  void scp.handle(b, handlers);
  return scu.associate(a, { calledAeTitle: scp.options.aeTitle });
}

describe('C-FIND', () => {
  const matches = Array.from({ length: 5 }, (_, i) => ({ PatientName: `DOE^${i}`, StudyInstanceUID: `1.2.${i}`, QueryRetrieveLevel: 'STUDY' }));
  const scp = () => new ApplicationEntity({ aeTitle: 'QR' }).addSupportedContext(STUDY_FIND);
  const scu = () => new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_FIND);

  it('yields each match as Pending, then Success', async () => {
    let query: Record<string, unknown> = {};
    const assoc = await pairUp(scp(), {
      async *cFind(rq) {
        query = rq.identifier;
        yield* matches;
      },
    }, scu());
    const results = [];
    for await (const r of assoc.cFind({ QueryRetrieveLevel: 'STUDY', PatientName: 'DOE*' }, { model: 'study' })) results.push(r);
    expect(query).toMatchObject({ QueryRetrieveLevel: 'STUDY', PatientName: [{ Alphabetic: 'DOE*' }] });
    expect(results.map((r) => r.category)).toEqual(['Pending', 'Pending', 'Pending', 'Pending', 'Pending', 'Success']);
    expect(results[2]!.identifier).toMatchObject({ PatientName: [{ Alphabetic: 'DOE^2' }] });
    await assoc.release();
  });

  it('an aborted signal sends C-CANCEL; the SCP sees it and the iteration ends with Cancel', async () => {
    let scpSawCancel = false;
    const assoc = await pairUp(scp(), {
      async *cFind(_rq, ctx) {
        for (let i = 0; ; i++) {
          if (ctx.signal.aborted) {
            scpSawCancel = true;
            return;
          }
          yield { PatientName: `N^${i}` };
          await new Promise((r) => setTimeout(r, 2));
        }
      },
    }, scu());
    const controller = new AbortController();
    const statuses: string[] = [];
    for await (const r of assoc.cFind({ QueryRetrieveLevel: 'STUDY' }, { model: 'study', signal: controller.signal })) {
      statuses.push(r.category);
      if (statuses.length === 3) controller.abort();
    }
    expect(statuses.slice(0, 3)).toEqual(['Pending', 'Pending', 'Pending']);
    expect(statuses.at(-1)).toBe('Cancel');
    expect(scpSawCancel).toBe(true);
    // The association is still usable.
    const again = [];
    for await (const r of assoc.cFind({}, { model: 'study', timeoutMs: 2000 })) {
      again.push(r);
      if (again.length === 2) break; // break also cancels
    }
    await assoc.release();
  });

  it('a handler that throws gives a failure status, and the association goes on', async () => {
    const assoc = await pairUp(scp(), {
      // eslint-disable-next-line require-yield
      async *cFind() {
        throw new Error('database down');
      },
    }, scu());
    const results = [];
    for await (const r of assoc.cFind({}, { model: 'study' })) results.push(r);
    expect(results).toHaveLength(1);
    expect(results[0]!.category).toBe('Failure');
    expect(results[0]!.command.ErrorComment).toContain('database down');
    await assoc.release();
  });
});

describe('C-GET', () => {
  it('performs C-STORE sub-operations on the same association and reports progress', async () => {
    const scp = new ApplicationEntity({ aeTitle: 'QR' }).addSupportedContext(STUDY_GET).addSupportedContext(CT, [EXPLICIT], { scuRole: true, scpRole: true });
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_GET).addRequestedContext(CT, [EXPLICIT], { scuRole: false, scpRole: true });
    const assoc = await pairUp(scp, { cGet: () => [instance(1), instance(2), instance(3)] }, scu);
    const stored: string[] = [];
    const progress = [];
    for await (const p of assoc.cGet({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2' }, {
      model: 'study',
      onStore: async (rq, ctx) => {
        expect([ctx.signal.aborted, ctx.signal === ctx.signal]).toEqual([false, true]); // made on first use, then kept
        const ds = await rq.dataset();
        stored.push(String(ds.SOPInstanceUID));
        return ds.SOPInstanceUID === '1.2.3.2' ? 0xa700 : 0;
      },
    })) progress.push(p);
    expect(stored).toEqual(['1.2.3.1', '1.2.3.2', '1.2.3.3']);
    expect(progress.map((p) => [p.category, p.remaining])).toEqual([
      ['Pending', 2],
      ['Pending', 1],
      ['Warning', undefined],
    ]);
    expect(progress.at(-1)).toMatchObject({ status: 0xb000, completed: 2, failed: 1, warning: 0 });
    expect(progress.at(-1)!.identifier).toMatchObject({ FailedSOPInstanceUIDList: '1.2.3.2' });
    await assoc.release();
  });

  it('two C-GETs on one association (window 2) take turns: each sub-operation reaches its own C-GET', async () => {
    // A C-GET's C-STORE-RQs carry nothing that names their C-GET (no originator, unlike C-MOVE):
    // run at once, either C-GET could take the other's sub-operations.
    const window = { asyncOps: { maxInvoked: 2, maxPerformed: 2 } };
    const scp = new ApplicationEntity({ aeTitle: 'QR', ...window }).addSupportedContext(STUDY_GET).addSupportedContext(CT, [EXPLICIT], { scuRole: true, scpRole: true });
    const scu = new ApplicationEntity({ aeTitle: 'SCU', ...window }).addRequestedContext(STUDY_GET).addRequestedContext(CT, [EXPLICIT], { scuRole: false, scpRole: true });
    const assoc = await pairUp(scp, {
      async *cGet(request) {
        const first = request.identifier.StudyInstanceUID === '1';
        for (let i = 0; i < 12; i++) {
          await new Promise((r) => setTimeout(r, first ? 0 : 3));
          yield instance((first ? 10 : 30) + i);
        }
      },
    }, scu);
    const got: Record<string, string[]> = { '1': [], '2': [] };
    const run = async (study: '1' | '2') => {
      const progress = [];
      for await (const p of assoc.cGet({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: study }, {
        model: 'study',
        onStore: async (rq) => {
          got[study]!.push(rq.sopInstanceUid);
          // Uneven: the first C-GET's handler is slow, the second's quick.
          await new Promise((r) => setTimeout(r, study === '1' ? 8 : 0));
          return 0;
        },
      })) progress.push(p);
      return progress.at(-1)!;
    };
    const [a, b] = await Promise.all([run('1'), run('2')]);
    expect([a.status, a.completed, b.status, b.completed]).toEqual([0, 12, 0, 12]);
    const uids = (base: number) => Array.from({ length: 12 }, (_, i) => `1.2.3.${base + i}`);
    expect(got).toEqual({ '1': uids(10), '2': uids(30) });
    await assoc.release();
  });

  it('a C-GET waiting for its turn gives up when its signal aborts; the next one still runs', async () => {
    const window = { asyncOps: { maxInvoked: 3, maxPerformed: 3 } };
    const scp = new ApplicationEntity({ aeTitle: 'QR', ...window }).addSupportedContext(STUDY_GET).addSupportedContext(CT, [EXPLICIT], { scuRole: true, scpRole: true });
    const scu = new ApplicationEntity({ aeTitle: 'SCU', ...window }).addRequestedContext(STUDY_GET).addRequestedContext(CT, [EXPLICIT], { scuRole: false, scpRole: true });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const asked: string[] = [];
    const assoc = await pairUp(scp, {
      async *cGet(request) {
        asked.push(String(request.identifier.StudyInstanceUID));
        if (request.identifier.StudyInstanceUID === '1') await held;
        yield instance(asked.length);
      },
    }, scu);
    const last = async (study: string, signal?: AbortSignal) => {
      let final;
      for await (const p of assoc.cGet({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: study }, { model: 'study', signal, onStore: () => 0 })) final = p;
      return final!;
    };
    const first = last('1');
    const controller = new AbortController();
    const second = last('2', controller.signal);
    const third = last('3');
    await new Promise((r) => setTimeout(r, 20));
    expect(asked).toEqual(['1']); // the others wait for their turn
    controller.abort(new Error('no longer wanted'));
    await expect(second).rejects.toThrow('no longer wanted');
    release();
    expect((await first).status).toBe(0);
    expect((await third).status).toBe(0);
    expect(asked).toEqual(['1', '3']);
    await assoc.release();
  });

  it('without the SCP role for the storage class every sub-operation fails', async () => {
    const scp = new ApplicationEntity({ aeTitle: 'QR' }).addSupportedContext(STUDY_GET).addSupportedContext(CT, [EXPLICIT]);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_GET).addRequestedContext(CT, [EXPLICIT]);
    const assoc = await pairUp(scp, { cGet: () => [instance(1)] }, scu);
    const progress = [];
    for await (const p of assoc.cGet({ QueryRetrieveLevel: 'STUDY' }, { model: 'study' })) progress.push(p);
    expect(progress.at(-1)).toMatchObject({ status: 0xa702, failed: 1 });
    await assoc.release();
  });

  it('breaking out of the loop cancels: sub-operations in flight still reach onStore, the final response is Cancel, the association goes on', async () => {
    // The SCP waits for the C-STORE-RSP of the sub-operation in flight before its final response
    // (PS3.4 C.4.3.3): nobody answering it used to hang the close until the DIMSE timeout, then abort.
    const events: NetEvent[] = [];
    const scp = new ApplicationEntity({ aeTitle: 'QR' }).addSupportedContext(VERIFICATION).addSupportedContext(STUDY_GET).addSupportedContext(CT, [EXPLICIT], { scuRole: true, scpRole: true });
    const scu = new ApplicationEntity({ aeTitle: 'SCU', observe: (e) => void events.push(e) })
      .addRequestedContext(VERIFICATION).addRequestedContext(STUDY_GET).addRequestedContext(CT, [EXPLICIT], { scuRole: false, scpRole: true });
    const assoc = await pairUp(scp, { cGet: () => Array.from({ length: 10 }, (_, i) => instance(i + 1)) }, scu);
    const stored: string[] = [];
    const seen = [];
    const started = Date.now();
    for await (const p of assoc.cGet({ QueryRetrieveLevel: 'STUDY' }, { model: 'study', timeoutMs: 2000, onStore: (rq) => (stored.push(rq.sopInstanceUid), 0) })) {
      seen.push(p.category);
      await new Promise((r) => setTimeout(r, 20)); // the SCP's next C-STORE-RQ is on its way: in flight at the cancel
      break;
    }
    expect(Date.now() - started).toBeLessThan(1500);
    expect(seen).toEqual(['Pending']);
    // The first, plus the one the SCP had sent when the C-CANCEL came: answered, so not lost.
    expect(stored).toEqual(['1.2.3.1', '1.2.3.2']);
    const final = events.filter((e) => e.type === 'dimse-response' && e.direction === 'received' && e.service === 'C-GET').at(-1);
    expect(final).toMatchObject({ status: 0xfe00 });
    expect(assoc.isEstablished).toBe(true);
    expect((await assoc.cEcho()).status).toBe(0);
    const again = [];
    for await (const p of assoc.cGet({ QueryRetrieveLevel: 'STUDY' }, { model: 'study', onStore: () => 0 })) again.push(p);
    expect(again.at(-1)).toMatchObject({ status: 0, completed: 10 });
    await assoc.release();
  });

  it('a C-STORE-RQ on a context where the SCP role was not negotiated is refused (0x0122), not given to onStore', async () => {
    const scp = new ApplicationEntity({ aeTitle: 'QR' }).addSupportedContext(STUDY_GET).addSupportedContext(MR, [EXPLICIT])
      .addSupportedContext(CT, [EXPLICIT], { scuRole: true, scpRole: true });
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_GET).addRequestedContext(MR, [EXPLICIT])
      .addRequestedContext(CT, [EXPLICIT], { scuRole: false, scpRole: true });
    let refusal: number | undefined;
    const assoc = await pairUp(scp, {
      async *cGet(_request, ctx) {
        // A C-STORE on the MR context, where the requestor is SCU only: the provider's own send, no role check.
        const peer = ctx.association;
        const mr = peer.contexts.find((c) => c.abstractSyntax === MR)!;
        const messageId = peer.nextMessageId();
        await peer.dimse.sendMsg(
          { CommandField: 0x0001, MessageID: messageId, AffectedSOPClassUID: MR, AffectedSOPInstanceUID: '1.2.3.99', Priority: 0, CommandDataSetType: 0x0001 },
          mr.id,
          encodeDataset({ SOPClassUID: MR, SOPInstanceUID: '1.2.3.99', Modality: 'MR' }, EXPLICIT),
        );
        refusal = (await peer.dimse.responseTo(messageId, { timeoutMs: 2000 })).command.Status;
        yield instance(1);
      },
    }, scu);
    const stored: string[] = [];
    const progress = [];
    for await (const p of assoc.cGet({ QueryRetrieveLevel: 'STUDY' }, { model: 'study', onStore: (rq) => (stored.push(rq.sopInstanceUid), 0) })) progress.push(p);
    expect(refusal).toBe(0x0122);
    expect(stored).toEqual(['1.2.3.1']);
    expect(progress.at(-1)).toMatchObject({ status: 0, completed: 1 });
    await assoc.release();
  });
});

describe('C-STORE of a dataset (native Pixel Data)', () => {
  const image = (uid: string) => ({
    SOPClassUID: CT, SOPInstanceUID: uid, Rows: 2, Columns: 2, BitsAllocated: 16, BitsStored: 16, HighBit: 15,
    PixelRepresentation: 0, SamplesPerPixel: 1, PhotometricInterpretation: 'MONOCHROME2', PixelData: [new Uint8Array(8).fill(7).buffer],
  });

  async function storeTo(requested: string[][]) {
    const received: { transferSyntax: string; pixels?: number[] }[] = [];
    const bytesOf = (pixels: unknown) => (Array.isArray(pixels) ? pixels.map((frame: ArrayBuffer) => [...new Uint8Array(frame)]).flat() : undefined);
    const dest = new ApplicationEntity({ aeTitle: 'DEST' }).addSupportedContext(CT, [JPEG, EXPLICIT, IMPLICIT]);
    let scu = new ApplicationEntity({ aeTitle: 'SCU' });
    for (const syntaxes of requested) scu = scu.addRequestedContext(CT, syntaxes);
    const assoc = await pairUp(dest, { cStore: async (rq) => (received.push({ transferSyntax: rq.transferSyntax, pixels: bytesOf((await rq.dataset()).PixelData) }), 0) }, scu);
    return { assoc, received };
  }

  it('goes on an uncompressed context even when a JPEG Baseline one was accepted first', async () => {
    const { assoc, received } = await storeTo([[JPEG], [IMPLICIT], [EXPLICIT]]);
    expect(assoc.acceptedContexts.map((c) => c.transferSyntax)).toEqual([JPEG, IMPLICIT, EXPLICIT]);
    expect((await assoc.cStore({ dataset: image('1.2.3.1') })).status).toBe(0);
    // Explicit VR LE preferred, and the pixels arrive as native pixels, not as a "JPEG" fragment.
    expect(received).toEqual([{ transferSyntax: EXPLICIT, pixels: [7, 7, 7, 7, 7, 7, 7, 7] }]);
    await assoc.release();
  });

  it('with only a compressed context accepted: NegotiationError, nothing sent; a data set without Pixel Data still goes', async () => {
    const { assoc, received } = await storeTo([[JPEG]]);
    await expect(assoc.cStore({ dataset: image('1.2.3.2') })).rejects.toThrow(NegotiationError);
    await expect(assoc.cStore({ dataset: image('1.2.3.2') })).rejects.toThrow(/Pixel Data is native.*1\.2\.840\.10008\.1\.2\.4\.50/);
    expect(received).toEqual([]);
    expect((await assoc.cStore(instance(3))).status).toBe(0);
    expect(received).toEqual([{ transferSyntax: JPEG, pixels: undefined }]);
    await assoc.release();
  });

  it('a C-GET SCP sending dataset instances picks the uncompressed context the requestor proposed', async () => {
    const qr = new ApplicationEntity({ aeTitle: 'QR' }).addSupportedContext(STUDY_GET).addSupportedContext(CT, [JPEG, EXPLICIT], { scuRole: true, scpRole: true });
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_GET)
      .addRequestedContext(CT, [JPEG], { scuRole: false, scpRole: true }).addRequestedContext(CT, [EXPLICIT], { scuRole: false, scpRole: true });
    const assoc = await pairUp(qr, { cGet: () => [{ dataset: image('1.2.3.4') }] }, scu);
    const syntaxes: string[] = [];
    const progress = [];
    for await (const p of assoc.cGet({ QueryRetrieveLevel: 'STUDY' }, { model: 'study', onStore: (rq) => (syntaxes.push(rq.transferSyntax), 0) })) progress.push(p);
    expect(syntaxes).toEqual([EXPLICIT]);
    expect(progress.at(-1)).toMatchObject({ status: 0, completed: 1 });
    await assoc.release();
  });
});

describe('C-STORE to a requestor with the SCP role (role reversal, PS3.7 D.3.3.4)', () => {
  /** The requestor (with `handlers`) and the acceptor's side of the same association. */
  async function reversed(handlers: ScpHandlers, roles: { scuRole?: boolean; scpRole?: boolean }, qrHandlers: ScpHandlers = {}) {
    const scp = new ApplicationEntity({ aeTitle: 'ARCHIVE' }).addSupportedContext(STUDY_GET).addSupportedContext(CT, [EXPLICIT], { scuRole: true, scpRole: true });
    const scu = new ApplicationEntity({ aeTitle: 'MODALITY' }).addRequestedContext(STUDY_GET).addRequestedContext(CT, [EXPLICIT], roles);
    const [a, b] = createMemoryPair();
    let acceptorSide!: Association;
    void scp.handle(b, qrHandlers, {}, (association) => (acceptorSide = association));
    const requestor = await scu.associate(a, { calledAeTitle: 'ARCHIVE', handlers });
    return { requestor, acceptorSide };
  }

  it('the background loop serves a C-STORE-RQ outside a C-GET through handlers.cStore', async () => {
    const stored: string[] = [];
    const { requestor, acceptorSide } = await reversed(
      { cStore: async (rq) => (stored.push(String((await rq.dataset()).SOPInstanceUID)), 0) },
      { scuRole: true, scpRole: true },
    );
    const rsp = await acceptorSide.cStore(instance(7));
    expect(rsp.status).toBe(0);
    expect(stored).toEqual(['1.2.3.7']);
    // The requestor's own requests still get their responses.
    await requestor.release();
  });

  it('without the SCP role negotiated the C-STORE-RQ is refused (0x0122), not left hanging', async () => {
    let handled = false;
    const { requestor, acceptorSide } = await reversed({ cStore: () => ((handled = true), 0) }, {});
    const context = acceptorSide.contexts.find((c) => c.abstractSyntax === CT)!;
    await acceptorSide.dimse.sendMsg(
      { CommandField: 0x0001, MessageID: 9, AffectedSOPClassUID: CT, AffectedSOPInstanceUID: '1.2.3.9', Priority: 0, CommandDataSetType: 0x0001 },
      context.id,
      encodeDataset({ SOPClassUID: CT, SOPInstanceUID: '1.2.3.9', Modality: 'CT' }, EXPLICIT),
    );
    const reply = await acceptorSide.dimse.getMsg({ timeoutMs: 5000 });
    expect(reply!.command.Status).toBe(0x0122);
    expect(handled).toBe(false);
    await requestor.release();
  });

  it('during a C-GET the C-STOREs are its sub-operations (onStore); afterwards they go to handlers.cStore', async () => {
    const viaHandler: string[] = [];
    const viaGet: string[] = [];
    const { requestor, acceptorSide } = await reversed(
      { cStore: async (rq) => (viaHandler.push(rq.sopInstanceUid), await rq.bytes(), 0) },
      { scuRole: false, scpRole: true },
      { cGet: () => [instance(1), instance(2)] },
    );
    const progress = [];
    for await (const p of requestor.cGet({ QueryRetrieveLevel: 'STUDY' }, {
      model: 'study',
      onStore: async (rq) => (viaGet.push(rq.sopInstanceUid), await rq.bytes(), 0),
    })) progress.push(p);
    expect(progress.at(-1)).toMatchObject({ status: 0, completed: 2 });
    expect(viaGet).toEqual(['1.2.3.1', '1.2.3.2']);
    expect(viaHandler).toEqual([]);
    expect((await acceptorSide.cStore(instance(3))).status).toBe(0);
    expect(viaHandler).toEqual(['1.2.3.3']);
    await requestor.release();
  });
});

describe('C-MOVE', () => {
  it('opens a sub-association to the destination and stores there', async () => {
    const received: string[] = [];
    const destination = new ApplicationEntity({ aeTitle: 'DEST' }).addSupportedContext(CT, [EXPLICIT]);
    const qr = new ApplicationEntity({ aeTitle: 'QR' }).addSupportedContext(STUDY_MOVE);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_MOVE);
    const assoc = await pairUp(qr, {
      cMove: (rq) => {
        if (rq.destination !== 'DEST') return 0xa801;
        return {
          destination: {
            aeTitle: 'DEST',
            connect: async () => {
              const [a, b] = createMemoryPair();
              void destination.handle(b, {
                cStore: async (store) => {
                  received.push(`${store.sopInstanceUid} from ${store.moveOriginator?.aeTitle}`);
                  await store.bytes();
                  return 0;
                },
              });
              return a;
            },
          },
          instances: [instance(1), instance(2)],
        };
      },
    }, scu);
    const progress = [];
    for await (const p of assoc.cMove({ QueryRetrieveLevel: 'STUDY' }, 'DEST', { model: 'study' })) progress.push(p);
    expect(received).toEqual(['1.2.3.1 from SCU', '1.2.3.2 from SCU']);
    expect(progress.at(-1)).toMatchObject({ status: 0, completed: 2, failed: 0 });
    const unknown = [];
    for await (const p of assoc.cMove({ QueryRetrieveLevel: 'STUDY' }, 'NOWHERE', { model: 'study' })) unknown.push(p);
    expect(unknown.map((p) => p.status)).toEqual([0xa801]);
    await assoc.release();
  });

  /** A C-MOVE to DEST whose handler names `instances`; counts the connections to DEST (each refused). */
  async function moveNothingOrFail(instances: AsyncIterable<StoreInput>) {
    let connects = 0;
    const qr = new ApplicationEntity({ aeTitle: 'QR' }).addSupportedContext(STUDY_MOVE);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_MOVE);
    const assoc = await pairUp(qr, {
      cMove: () => ({
        destination: {
          aeTitle: 'DEST',
          connect: async () => {
            connects++;
            throw new Error('no sub-association expected');
          },
        },
        instances,
      }),
    }, scu);
    const progress = [];
    for await (const p of assoc.cMove({ QueryRetrieveLevel: 'STUDY' }, 'DEST', { model: 'study' })) progress.push(p);
    await assoc.release();
    return { progress, connects };
  }

  it('no matches: final Success with zero counts, and no sub-association is opened', async () => {
    // an async generator that yields nothing, like an index query with no rows
    const { progress, connects } = await moveNothingOrFail((async function* () {})());
    expect(connects).toBe(0);
    expect(progress).toHaveLength(1);
    expect(progress[0]).toMatchObject({ status: 0, completed: 0, failed: 0, warning: 0 });
    expect(progress[0]!.command.NumberOfRemainingSuboperations).toBeUndefined();
    expect(progress[0]!.command).toMatchObject({ NumberOfCompletedSuboperations: 0, NumberOfFailedSuboperations: 0, NumberOfWarningSuboperations: 0 });
  });

  it('a handler whose instance list throws answers 0xC000 without opening a sub-association', async () => {
    const { progress, connects } = await moveNothingOrFail((async function* () {
      throw new Error('index unavailable');
    })());
    expect(connects).toBe(0);
    expect(progress.map((p) => p.status)).toEqual([0xc000]);
  });
});

describe('DIMSE-N', () => {
  it('N-GET of the Display System well-known instance returns the requested attributes', async () => {
    const scp = new ApplicationEntity({ aeTitle: 'DISPLAY' }).addSupportedContext(DISPLAY);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(DISPLAY);
    let asked: number[] = [];
    const assoc = await pairUp(scp, {
      nGet: (rq) => {
        asked = rq.attributes;
        return { status: 0, dataset: { Manufacturer: 'netdicom', SOPClassUID: rq.sopClassUid, SOPInstanceUID: rq.sopInstanceUid } };
      },
    }, scu);
    const result = await assoc.nGet(DISPLAY, '1.2.840.10008.5.1.1.40.1', [0x00080070]);
    expect(asked).toEqual([0x00080070]);
    expect(result.status).toBe(0);
    expect(result.dataset).toMatchObject({ Manufacturer: 'netdicom' });
    expect(result.command.AffectedSOPInstanceUID).toBe('1.2.840.10008.5.1.1.40.1');
    await assoc.release();
  });

  it('N-ACTION, N-CREATE, N-SET, N-DELETE and N-EVENT-REPORT reach their handlers', async () => {
    const MPPS = '1.2.840.10008.3.1.2.3.3';
    const seen: string[] = [];
    const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(MPPS);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(MPPS);
    const answer = (name: string) => (rq: { typeId?: number }) => (seen.push(`${name}${rq.typeId ?? ''}`), { status: 0 });
    const assoc = await pairUp(scp, {
      nCreate: () => (seen.push('create'), { status: 0, sopInstanceUid: '1.2.99' }),
      nSet: answer('set'),
      nAction: answer('action'),
      nDelete: answer('delete'),
      nEventReport: answer('event'),
    }, scu);
    const created = await assoc.nCreate(MPPS, undefined, { PerformedProcedureStepStatus: 'IN PROGRESS' });
    expect(created.command.AffectedSOPInstanceUID).toBe('1.2.99');
    await assoc.nSet(MPPS, '1.2.99', { PerformedProcedureStepStatus: 'COMPLETED' });
    await assoc.nAction(MPPS, '1.2.99', 1);
    await assoc.nDelete(MPPS, '1.2.99');
    expect(seen).toEqual(['create', 'set', 'action1', 'delete']);
    // Unhandled services answer a failure, not silence.
    const scp2 = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(MPPS);
    const other = await pairUp(scp2, {}, scu);
    expect((await other.nGet(MPPS, '1.2.99')).status).toBe(0x0211);
    await Promise.all([assoc.release(), other.release()]);
  });
  it('an N-service request on another service\'s context is refused (0x0118) and never reaches its handler', async () => {
    const MPPS = '1.2.840.10008.3.1.2.3.3';
    const STORAGE_COMMITMENT = '1.2.840.10008.1.20.1';
    const seen: string[] = [];
    // The SCP has handlers for every N-service, but the association negotiated Verification and Storage Commitment only.
    const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(VERIFICATION).addSupportedContext(STORAGE_COMMITMENT).addSupportedContext(MPPS);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION).addRequestedContext(STORAGE_COMMITMENT);
    const record = (name: string) => (rq: { sopClassUid: string }) => (seen.push(`${name} ${rq.sopClassUid}`), { status: 0, sopInstanceUid: '1.2.99' });
    const assoc = await pairUp(scp, { nCreate: record('create'), nSet: record('set'), nGet: record('get'), nAction: record('action') }, scu);
    expect((await assoc.nCreate(MPPS, undefined, { PerformedProcedureStepStatus: 'IN PROGRESS' }, { context: VERIFICATION })).status).toBe(0x0118);
    expect((await assoc.nSet(MPPS, '1.2.99', { PerformedProcedureStepStatus: 'DISCONTINUED' }, { context: STORAGE_COMMITMENT })).status).toBe(0x0118);
    expect((await assoc.nGet(MPPS, '1.2.99', [], { context: VERIFICATION })).status).toBe(0x0118);
    expect(seen).toEqual([]);
    // On its own context the same kind of request is served.
    expect((await assoc.nAction(STORAGE_COMMITMENT, '1.2.840.10008.1.20.1.1', 1, null)).status).toBe(0);
    expect(seen).toEqual([`action ${STORAGE_COMMITMENT}`]);
    await assoc.release();
  });
});

describe('timeouts', () => {
  it('ACSE: no answer to the A-ASSOCIATE-RQ → TimeoutError and the transport is closed', async () => {
    const [a] = createMemoryPair();
    const scu = new ApplicationEntity({ aeTitle: 'SCU', acseTimeoutMs: 50, abortLingerMs: 50 }).addRequestedContext(VERIFICATION);
    await expect(scu.associate(a)).rejects.toBeInstanceOf(TimeoutError);
  });

  it('a call whose signal is already aborted rejects with its reason and sends nothing; the association goes on', async () => {
    let echoes = 0;
    let stores = 0;
    const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(VERIFICATION).addSupportedContext(CT, [EXPLICIT]);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION).addRequestedContext(CT, [EXPLICIT]);
    const assoc = await pairUp(scp, { cEcho: () => (echoes++, 0), cStore: () => (stores++, 0) }, scu);
    const signal = AbortSignal.abort(new Error('before'));
    await expect(assoc.cEcho({ signal })).rejects.toThrow('before');
    await expect(assoc.cStore(instance(1), { signal })).rejects.toThrow('before');
    expect((await assoc.cEcho()).status).toBe(0); // not aborted (a C-STORE given up mid-way aborts it)
    expect(echoes).toBe(1);
    expect(stores).toBe(0);
    await assoc.release();
  });

  it('DIMSE: a response that never comes → TimeoutError', async () => {
    const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(VERIFICATION);
    const scu = new ApplicationEntity({ aeTitle: 'SCU', dimseTimeoutMs: 50 }).addRequestedContext(VERIFICATION);
    const assoc = await pairUp(scp, { cEcho: () => new Promise(() => {}) }, scu);
    await expect(assoc.cEcho()).rejects.toMatchObject({ timeout: 'dimse' });
    await assoc.abort();
  });

  it('network: P-DATA traffic keeps an association alive past the idle timeout', async () => {
    const scp = new ApplicationEntity({ aeTitle: 'SCP', networkTimeoutMs: 150 }).addSupportedContext(VERIFICATION);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION);
    const assoc = await pairUp(scp, {}, scu);
    // 600 ms of echoes every 25 ms: four idle timeouts' worth of time, never 150 ms without a PDU.
    for (const until = Date.now() + 600; Date.now() < until; ) {
      expect((await assoc.cEcho()).status).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await assoc.release();
    expect((await assoc.closed).reason).toBe('released');
  });

  it('network: an idle association is aborted', async () => {
    const scp = new ApplicationEntity({ aeTitle: 'SCP', networkTimeoutMs: 60 }).addSupportedContext(VERIFICATION);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION);
    const assoc = await pairUp(scp, {}, scu);
    const info = await assoc.closed;
    expect(info.reason).toBe('aborted');
  });

  it('network: an operation longer than the idle timeout is not silence (a C-MOVE the requestor waits on)', async () => {
    // Both sides quiet for 400 ms while the SCP works on the request: neither may take that as idleness.
    const scp = new ApplicationEntity({ aeTitle: 'SCP', networkTimeoutMs: 100 }).addSupportedContext(STUDY_FIND);
    const scu = new ApplicationEntity({ aeTitle: 'SCU', networkTimeoutMs: 100 }).addRequestedContext(STUDY_FIND);
    const assoc = await pairUp(scp, {
      async *cFind() {
        await new Promise((resolve) => setTimeout(resolve, 400));
        yield { PatientName: 'SLOW^MATCH' };
      },
    }, scu);
    const statuses: number[] = [];
    for await (const r of assoc.cFind({ QueryRetrieveLevel: 'STUDY', PatientName: '' }, { model: 'study' })) statuses.push(r.status);
    expect(statuses).toEqual([0xff00, 0]);
    // Once nothing is under way, silence is idleness again.
    expect((await assoc.closed).reason).toBe('aborted');
  });
});
