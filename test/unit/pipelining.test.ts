/**
 * Asynchronous operations window (PS3.7 D.3.3.3): negotiation, SCU pipelining bounded by the
 * invoked window, SCP concurrency bounded by the performed window, completion-order answers,
 * and late responses dropped once their caller gave up.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPart10Header } from '../../adapters/cli/part10-file';
import { planBatches, sendFiles } from '../../adapters/cli/store-sender';
import { CT_IMAGE_STORAGE as CT, EXPLICIT_LE, ctPart10 } from '../helpers/ct-instance';
import { createMemoryPair } from '../../adapters/memory';
import { answerAsyncOps } from '../../src/acse/negotiate';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import type { Logger } from '../../src/logger';
import type { AeOptions } from '../../src/options';
import type { ScpHandlers } from '../../src/scp/types';
import { awaitResponse, sendRequest } from '../../src/scu/request';
import { CommandField } from '../../src/dimse/types';

const VERIFICATION = '1.2.840.10008.1.1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts operations the SCP runs at once; each takes `delay(messageId)` ms. */
function meter(delay: (messageId: number) => number) {
  const m = { now: 0, max: 0, order: [] as number[] };
  const handlers: ScpHandlers = {
    async cEcho(ctx) {
      m.now++;
      m.max = Math.max(m.max, m.now);
      await sleep(delay(ctx.messageId));
      m.now--;
      m.order.push(ctx.messageId);
      return 0;
    },
  };
  return { m, handlers };
}

async function pair(
  scu: Partial<AeOptions>,
  scp: Partial<AeOptions>,
  handlers: ScpHandlers,
  latencyMs = 0,
): Promise<{ assoc: Association; scpAssoc: Association }> {
  const [a, b] = createMemoryPair({ latencyMs });
  let scpAssoc!: Association;
  void new ApplicationEntity({ aeTitle: 'SCP', ...scp }).addSupportedContext(VERIFICATION).handle(b, handlers, {}, (x) => (scpAssoc = x));
  const assoc = await new ApplicationEntity({ aeTitle: 'SCU', ...scu }).addRequestedContext(VERIFICATION).associate(a, { calledAeTitle: 'SCP' });
  return { assoc, scpAssoc };
}

describe('asynchronous operations window negotiation', () => {
  it('AC values are the requestor’s, never more than proposed; 0 is unlimited', () => {
    expect(answerAsyncOps({ maxInvoked: 8, maxPerformed: 2 }, { maxInvoked: 3, maxPerformed: 4 })).toEqual({ maxInvoked: 4, maxPerformed: 2 });
    expect(answerAsyncOps({ maxInvoked: 0, maxPerformed: 0 }, { maxInvoked: 5, maxPerformed: 0 })).toEqual({ maxInvoked: 0, maxPerformed: 5 });
    expect(answerAsyncOps({ maxInvoked: 0, maxPerformed: 1 }, { maxInvoked: 1, maxPerformed: 6 })).toEqual({ maxInvoked: 6, maxPerformed: 1 });
    expect(answerAsyncOps(undefined, { maxInvoked: 5, maxPerformed: 5 })).toBeUndefined();
  });

  it('each side sees its own window; the default is 1/1 with no item sent', async () => {
    const { handlers } = meter(() => 0);
    const w = await pair({ asyncOps: { maxInvoked: 4, maxPerformed: 1 } }, { asyncOps: { maxInvoked: 1, maxPerformed: 8 } }, handlers);
    expect(w.assoc.request.userInformation.asyncOps).toEqual({ maxInvoked: 4, maxPerformed: 1 });
    expect(w.assoc.accept.userInformation.asyncOps).toEqual({ maxInvoked: 4, maxPerformed: 1 });
    expect(w.assoc.asyncOps).toEqual({ maxInvoked: 4, maxPerformed: 1 });
    expect(w.scpAssoc.asyncOps).toEqual({ maxInvoked: 1, maxPerformed: 4 });
    await w.assoc.release();
    const d = await pair({}, { asyncOps: { maxInvoked: 1, maxPerformed: 8 } }, handlers);
    expect(d.assoc.request.userInformation.asyncOps).toBeUndefined();
    expect(d.assoc.accept.userInformation.asyncOps).toBeUndefined();
    expect(d.assoc.asyncOps).toEqual({ maxInvoked: 1, maxPerformed: 1 });
    expect(d.scpAssoc.asyncOps).toEqual({ maxInvoked: 1, maxPerformed: 1 });
    await d.assoc.release();
  });
});

describe('pipelining over a memory pair with latency', () => {
  it('window 4: 12 concurrent C-ECHOs run 4 at a time and each gets its own response', async () => {
    const { m, handlers } = meter(() => 30);
    const { assoc } = await pair({ asyncOps: { maxInvoked: 4, maxPerformed: 1 } }, { asyncOps: { maxInvoked: 1, maxPerformed: 4 } }, handlers, 5);
    const started = performance.now();
    const peak = { n: 0 };
    const calls = Array.from({ length: 12 }, async () => {
      const p = assoc.cEcho();
      peak.n = Math.max(peak.n, assoc.dimse.requests.size);
      return p;
    });
    const rsps = await Promise.all(calls);
    const elapsed = performance.now() - started;
    expect(rsps.every((r) => r.status === 0)).toBe(true);
    expect(new Set(rsps.map((r) => r.command.MessageIDBeingRespondedTo)).size).toBe(12);
    expect(m.max).toBe(4);
    expect(assoc.dimse.requests.size).toBe(0);
    // 3 rounds of ~40 ms instead of 12: generous bound for a busy machine.
    expect(elapsed).toBeLessThan(12 * 30);
    await assoc.release();
  });

  it('the SCP answers in completion order; each caller still gets its own answer', async () => {
    // Message 1 is slow, 2 and 3 fast: responses 2, 3, then 1.
    const { m, handlers } = meter((id) => (id === 1 ? 80 : 10 * id));
    const { assoc } = await pair({ asyncOps: { maxInvoked: 3, maxPerformed: 1 } }, { asyncOps: { maxInvoked: 1, maxPerformed: 3 } }, handlers, 2);
    const done: number[] = [];
    await Promise.all(
      [0, 1, 2].map(async () => {
        const rsp = await assoc.cEcho();
        done.push(rsp.command.MessageIDBeingRespondedTo!);
      }),
    );
    expect(m.order).toEqual([2, 3, 1]);
    expect(done).toEqual([2, 3, 1]);
    await assoc.release();
  });

  it('the SCU never exceeds a smaller performed window of the peer', async () => {
    const { m, handlers } = meter(() => 15);
    // We offer 8; the SCP performs at most 2, so the AC gives us 2.
    const { assoc } = await pair({ asyncOps: { maxInvoked: 8, maxPerformed: 1 } }, { asyncOps: { maxInvoked: 1, maxPerformed: 2 } }, handlers, 2);
    expect(assoc.asyncOps.maxInvoked).toBe(2);
    let peak = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        const p = assoc.cEcho();
        await sleep(1);
        peak = Math.max(peak, assoc.dimse.requests.size);
        return p;
      }),
    );
    expect(peak).toBe(2);
    expect(m.max).toBe(2);
    await assoc.release();
  });

  it('window 1 (default): concurrent calls queue, one request outstanding at a time', async () => {
    const { m, handlers } = meter(() => 10);
    const { assoc } = await pair({}, {}, handlers, 2);
    let peak = 0;
    const rsps = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const p = assoc.cEcho();
        await sleep(1);
        peak = Math.max(peak, assoc.dimse.requests.size);
        return p;
      }),
    );
    expect(rsps.map((r) => r.command.MessageIDBeingRespondedTo)).toEqual([1, 2, 3, 4]);
    expect(peak).toBe(1);
    expect(m.max).toBe(1);
    expect(m.order).toEqual([1, 2, 3, 4]);
    await assoc.release();
  });

  it('a queued call whose signal aborts leaves the queue without sending', async () => {
    const { m, handlers } = meter(() => 30);
    const { assoc } = await pair({}, {}, handlers);
    const first = assoc.cEcho();
    const controller = new AbortController();
    const second = assoc.cEcho({ signal: controller.signal });
    await sleep(5);
    expect(assoc.dimse.requests.queued).toBe(1);
    controller.abort(new Error('stop'));
    await expect(second).rejects.toThrow('stop');
    expect((await first).status).toBe(0);
    expect(m.order).toEqual([1]);
    await assoc.release();
  });

  it('queued calls fail with the association’s end', async () => {
    const { handlers } = meter(() => 50);
    const { assoc } = await pair({}, {}, handlers);
    const calls = [assoc.cEcho(), assoc.cEcho()].map((p) => p.then(() => 'ok', (e: Error) => e.name));
    await sleep(5);
    await assoc.abort();
    expect(await Promise.all(calls)).toEqual(['AssociationAbortedError', 'AssociationAbortedError']);
  });
});

describe('outstanding Message IDs', () => {
  it('a response after its caller gave up is dropped (debug log), not queued for ever', async () => {
    const debug: string[] = [];
    const logger: Logger = { debug: (s) => debug.push(s), info() {}, warn() {}, error() {} };
    const { handlers } = meter((id) => (id === 1 ? 60 : 0));
    const { assoc } = await pair({ logger }, {}, handlers);
    // A DIMSE timeout aborts the association (reliability.md T-06); a caller's signal only gives up the call.
    await expect(assoc.cEcho({ signal: AbortSignal.timeout(10) })).rejects.toMatchObject({ name: 'TimeoutError' });
    // The peer still performs it: it keeps its window slot (PS3.7 D.3.3.3) till its response.
    expect(assoc.dimse.requests.size).toBe(1);
    expect(assoc.dimse.requests.isAbandoned(1)).toBe(true);
    await sleep(100);
    expect(assoc.dimse.requests.size).toBe(0);
    expect(assoc.dimse.peekMsg()).toBeNull();
    expect(debug.some((l) => l.includes('dropping response to message 1'))).toBe(true);
    expect(assoc.dimse.requests.isAbandoned(1)).toBe(false);
    expect((await assoc.cEcho()).command.MessageIDBeingRespondedTo).toBe(2);
    await assoc.release();
  });

  it('a response that comes before anyone awaits it is kept', async () => {
    const { handlers } = meter(() => 0);
    const { assoc } = await pair({}, {}, handlers);
    const context = assoc.findContext(VERIFICATION);
    const id = await sendRequest(assoc, context.id, { CommandField: CommandField['C-ECHO-RQ'], AffectedSOPClassUID: VERIFICATION });
    expect(assoc.dimse.requests.isOutstanding(id)).toBe(true);
    await sleep(30);
    // The final response already ended the request; it waits in the queue for its reader.
    expect(assoc.dimse.requests.size).toBe(0);
    expect((await awaitResponse(assoc, id)).command.Status).toBe(0);
    await assoc.release();
  });

  it('raw messages sent with association.send are never dropped', async () => {
    const { handlers } = meter(() => 0);
    const { assoc } = await pair({}, {}, handlers);
    const context = assoc.findContext(VERIFICATION);
    await assoc.send({ CommandField: CommandField['C-ECHO-RQ'], MessageID: 77, AffectedSOPClassUID: VERIFICATION, CommandDataSetType: 0x0101 }, context.id);
    await sleep(20);
    expect((await assoc.dimse.getMsg())?.command.MessageIDBeingRespondedTo).toBe(77);
    await assoc.release();
  });
});

describe('storescu engine with --async-ops', () => {
  async function run(asyncOps: number) {
    const dir = mkdtempSync(path.join(tmpdir(), 'netdicom-pipe-'));
    try {
      for (let i = 1; i <= 8; i++) {
        writeFileSync(path.join(dir, `${i}.dcm`), ctPart10({ sopInstanceUid: `1.2.3.${i}`, transferSyntaxUid: EXPLICIT_LE, rows: 16, columns: 16 }).file);
      }
      const headers = await Promise.all(Array.from({ length: 8 }, (_, i) => readPart10Header(path.join(dir, `${i + 1}.dcm`))));
      const scp = new ApplicationEntity({ aeTitle: 'SCP', asyncOps: { maxInvoked: 1, maxPerformed: 4 } }).addSupportedContext(CT, [EXPLICIT_LE]);
      const m = { now: 0, max: 0 };
      const started = performance.now();
      const results = await sendFiles(planBatches(headers), {
        makeAe: (contexts) => {
          const ae = new ApplicationEntity({ aeTitle: 'SCU', ...(asyncOps !== 1 && { asyncOps: { maxInvoked: asyncOps, maxPerformed: 1 } }) });
          for (const c of contexts) ae.addRequestedContext(c.abstractSyntax, c.transferSyntaxes);
          return ae;
        },
        connect: async () => {
          const [a, b] = createMemoryPair({ latencyMs: 5 });
          void scp.handle(b, {
            async cStore(req) {
              m.max = Math.max(m.max, ++m.now);
              await req.bytes();
              await sleep(20);
              m.now--;
              return 0;
            },
          });
          return a;
        },
        associate: { calledAeTitle: 'SCP' },
        asyncOps,
      });
      return { results, max: m.max, ms: performance.now() - started };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('keeps up to N C-STOREs in flight; 1 stays sequential', async () => {
    const one = await run(1);
    const four = await run(4);
    expect(one.results.every((r) => r.ok)).toBe(true);
    expect(four.results.every((r) => r.ok)).toBe(true);
    expect(four.results.map((r) => r.file.sopInstanceUid).sort()).toEqual(one.results.map((r) => r.file.sopInstanceUid).sort());
    expect(one.max).toBe(1);
    // Disk reads pace the sender, so a loaded machine may not fill the window: overlap must happen, never beyond it.
    expect(four.max).toBeGreaterThan(1);
    expect(four.max).toBeLessThanOrEqual(4);
    expect(four.ms).toBeLessThan(one.ms);
  });
});
