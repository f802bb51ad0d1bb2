/**
 * AssociationPool over memory listeners: reuse, per-peer cap, idle release, replacement of
 * aborted associations, keys by contexts, close, a caller that gives up while its association is
 * being set up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryListener, createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { AssociationAbortedError } from '../../src/errors';
import { AssociationPool } from '../../src/pool';
import type { Server } from '../../src/server';
import type { Transport } from '../../src/transport';

const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close({ force: true })));
});

/** Two peers 'a' and 'b', each counting associations it accepted and how they ended. */
function peers(echoDelayMs = 0) {
  const counts: Record<string, { accepted: number; released: number; aborted: number; scp: Association[] }> = {};
  const dial = new Map<string, ReturnType<typeof createMemoryListener>>();
  for (const name of ['a', 'b']) {
    const c = (counts[name] = { accepted: 0, released: 0, aborted: 0, scp: [] as Association[] });
    const ml = createMemoryListener({ address: name });
    dial.set(name, ml);
    const scp = new ApplicationEntity({ aeTitle: name.toUpperCase() }).addSupportedContext(VERIFICATION).addSupportedContext(CT);
    servers.push(
      scp.serve(ml.listener, {
        accepted: (x) => (c.accepted++, c.scp.push(x)),
        released: () => c.released++,
        aborted: () => c.aborted++,
        cEcho: async () => (await sleep(echoDelayMs), 0),
      }),
    );
  }
  return { counts, connect: async (peer: string) => dial.get(peer)!.connect() };
}

function pool(
  connect: (peer: string, signal?: AbortSignal) => Promise<import('../../src/transport').Transport>,
  o: { maxPerPeer?: number; idleTimeoutMs?: number } = {},
) {
  const ae = new ApplicationEntity({ aeTitle: 'GATEWAY' }).addRequestedContext(VERIFICATION);
  return new AssociationPool({ ae, connect, ...o });
}

describe('AssociationPool', () => {
  it('reuses one association for successive operations', async () => {
    const { counts, connect } = peers();
    const p = pool(connect);
    for (let i = 0; i < 5; i++) expect((await p.use({ peer: 'a', calledAeTitle: 'A' }, (x) => x.cEcho())).status).toBe(0);
    expect(counts.a!.accepted).toBe(1);
    expect(p.stats).toMatchObject({ open: 1, idle: 1, leased: 0, created: 1, reused: 4 });
    await p.close();
    await sleep(10);
    expect(counts.a!.released).toBe(1);
  });

  it('caps associations per peer; the rest wait for one to be given back', async () => {
    const { counts, connect } = peers(20);
    const p = pool(connect, { maxPerPeer: 2 });
    let peak = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        p.use({ peer: 'a' }, async (x) => {
          peak = Math.max(peak, p.stats.leased);
          return x.cEcho();
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(counts.a!.accepted).toBe(2);
    // The cap is per peer: b gets its own.
    await p.use({ peer: 'b' }, (x) => x.cEcho());
    expect(counts.b!.accepted).toBe(1);
    await p.close();
  });

  it('keys by contexts: a different proposal gets its own association, within the cap', async () => {
    const { counts, connect } = peers();
    const p = pool(connect, { maxPerPeer: 1 });
    const echo = { peer: 'a' };
    const ct = { peer: 'a', contexts: [{ abstractSyntax: CT, transferSyntaxes: ['1.2.840.10008.1.2'] }] };
    const first = await p.acquire(echo);
    expect(first.acceptedContexts.map((c) => c.abstractSyntax)).toEqual([VERIFICATION]);
    p.release(first);
    // At the cap of 1: the idle echo association is released to make room.
    const second = await p.acquire(ct);
    expect(second.acceptedContexts.map((c) => c.abstractSyntax)).toEqual([CT]);
    p.release(second);
    expect(counts.a!.accepted).toBe(2);
    await sleep(10);
    expect(counts.a!.released).toBe(1);
    expect(await p.acquire(ct)).toBe(second);
    p.release(second);
    await p.close();
  });

  it('releases idle associations after the timeout', async () => {
    const { counts, connect } = peers();
    const p = pool(connect, { idleTimeoutMs: 40 });
    await p.use({ peer: 'a' }, (x) => x.cEcho());
    expect(p.stats.idle).toBe(1);
    await sleep(120);
    expect(p.stats.open).toBe(0);
    expect(counts.a!.released).toBe(1);
    await p.use({ peer: 'a' }, (x) => x.cEcho());
    expect(counts.a!.accepted).toBe(2);
    await p.close();
  });

  it('replaces an association the peer aborted, idle or leased', async () => {
    const { counts, connect } = peers();
    const p = pool(connect);
    await p.use({ peer: 'a' }, (x) => x.cEcho());
    await counts.a!.scp[0]!.abort();
    await sleep(20);
    expect(p.stats.open).toBe(0);
    expect((await p.use({ peer: 'a' }, (x) => x.cEcho())).status).toBe(0);
    // Aborted while leased: the user sees the error; the next use gets a fresh one.
    await expect(p.use({ peer: 'a' }, async (x) => (await counts.a!.scp[1]!.abort(), await sleep(10), x.cEcho()))).rejects.toBeInstanceOf(
      AssociationAbortedError,
    );
    expect((await p.use({ peer: 'a' }, (x) => x.cEcho())).status).toBe(0);
    expect(counts.a!.accepted).toBe(3);
    await p.close();
  });

  it('a failed connection rejects that caller and frees its slot', async () => {
    const { connect } = peers();
    let fail = true;
    const p = pool(async (peer) => {
      if (fail) {
        fail = false;
        throw new Error('refused');
      }
      return connect(peer);
    }, { maxPerPeer: 1 });
    await expect(p.acquire({ peer: 'a' })).rejects.toThrow('refused');
    expect((await p.use({ peer: 'a' }, (x) => x.cEcho())).status).toBe(0);
    await p.close();
  });

  it('close: waiters reject, idle ones release at once, leased ones when given back', async () => {
    const { counts, connect } = peers();
    const p = pool(connect, { maxPerPeer: 1 });
    const leased = await p.acquire({ peer: 'a' });
    const waiting = p.acquire({ peer: 'a' });
    const closed = p.close();
    await expect(waiting).rejects.toBeInstanceOf(AssociationAbortedError);
    await expect(p.acquire({ peer: 'a' })).rejects.toBeInstanceOf(AssociationAbortedError);
    // Still usable until given back.
    expect((await leased.cEcho()).status).toBe(0);
    let done = false;
    void closed.then(() => (done = true));
    await sleep(10);
    expect(done).toBe(false);
    p.release(leased);
    await closed;
    expect(leased.isEstablished).toBe(false);
    await sleep(10);
    expect(counts.a!.released).toBe(1);
  });

  it('a waiter whose signal aborts leaves the queue', async () => {
    const { connect } = peers();
    const p = pool(connect, { maxPerPeer: 1 });
    const leased = await p.acquire({ peer: 'a' });
    const controller = new AbortController();
    const waiting = p.acquire({ peer: 'a' }, { signal: controller.signal });
    controller.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    expect(p.stats.waiting).toBe(0);
    p.release(leased);
    await p.close({ force: true });
  });

  /** An acquire() whose caller gives up 5 ms in, while the connection is still being set up; then 60 ms for it to settle. */
  async function abandonedAcquire(p: AssociationPool): Promise<void> {
    const controller = new AbortController();
    const acquiring = p.acquire({ peer: 'a' }, { signal: controller.signal });
    await sleep(5);
    controller.abort(new Error('gave up'));
    await expect(acquiring).rejects.toThrow('gave up');
    await sleep(60);
  }

  it('an association set up after its waiter aborted goes back to the pool as idle', async () => {
    const { counts, connect } = peers();
    // A slow connection that ignores the signal: the waiter gives up while it is being set up.
    const p = pool(async (peer) => (await sleep(30), connect(peer)), { maxPerPeer: 1 });
    await abandonedAcquire(p);
    // Not leased to nobody: idle, reused by the next caller despite the cap of 1.
    expect(p.stats).toMatchObject({ open: 1, idle: 1, leased: 0, created: 1 });
    const next = await p.acquire({ peer: 'a' });
    expect((await next.cEcho()).status).toBe(0);
    expect(p.stats).toMatchObject({ created: 1, reused: 1 });
    p.release(next);
    // A graceful close does not wait on a lease nobody holds.
    await p.close();
    await sleep(10);
    expect(counts.a!.accepted).toBe(1);
    expect(counts.a!.released).toBe(1);
  });

  it("the caller's signal reaches connect and cancels the connection attempt", async () => {
    const { counts, connect } = peers();
    const p = pool(
      (peer, signal?: AbortSignal) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => resolve(connect(peer)), 30);
          signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
        }),
      { maxPerPeer: 1 },
    );
    await abandonedAcquire(p);
    expect(counts.a!.accepted).toBe(0);
    expect(p.stats).toMatchObject({ open: 0, created: 0 });
    await p.close();
  });

  it('close({ force }) after a graceful close() still ends a leased association and a negotiation at once', async () => {
    const { counts, connect } = peers();
    const silent: Array<Promise<void>> = [];
    const p = new AssociationPool({
      ae: new ApplicationEntity({ aeTitle: 'GATEWAY', acseTimeoutMs: 20_000 }).addRequestedContext(VERIFICATION),
      connect: async (peer) => {
        if (peer === 'a') return connect(peer);
        const [ours, theirs] = createMemoryPair(); // 'silent': never answers the A-ASSOCIATE-RQ
        silent.push(theirs.readable.pipeTo(new WritableStream()).catch(() => undefined));
        return ours;
      },
    });
    const leased = await p.acquire({ peer: 'a', calledAeTitle: 'A' }); // never given back
    const negotiating = p.acquire({ peer: 'silent' }).catch((e: unknown) => e);
    await sleep(20);
    const graceful = p.close();
    const started = Date.now();
    await p.close({ force: true });
    await graceful;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(leased.isEstablished).toBe(false);
    expect(await negotiating).toBeInstanceOf(Error);
    await Promise.all(silent);
    await sleep(10);
    expect(counts.a!.aborted).toBe(1);
  }, 5000);

  it('close({ force }) after close() also ends an association whose A-RELEASE the peer never answers', async () => {
    const ml = createMemoryListener({ address: 'mute' });
    const scp = new ApplicationEntity({ aeTitle: 'A' }).addSupportedContext(VERIFICATION);
    servers.push(scp.serve(ml.listener, {}));
    // Our A-RELEASE-RQ (PDU type 05H) is dropped on its way: the peer never answers it.
    const connect = async (): Promise<Transport> => {
      const t = await ml.connect();
      const w = t.writable.getWriter();
      const writable = new WritableStream<Uint8Array>({
        write: (c) => (c[0] === 0x05 ? undefined : w.write(c)),
        close: () => w.close(),
        abort: (r) => w.abort(r),
      });
      return { readable: t.readable, writable, closed: t.closed, info: t.info, close: () => t.close(), abort: (r) => t.abort(r) };
    };
    const p = new AssociationPool({ ae: new ApplicationEntity({ aeTitle: 'GW', acseTimeoutMs: 20_000 }).addRequestedContext(VERIFICATION), connect });
    const a = await p.acquire({ peer: 'mute', calledAeTitle: 'A' });
    p.release(a); // idle: the graceful close releases it at once (and waits for the answer)
    const graceful = p.close();
    await sleep(20);
    const started = Date.now();
    await p.close({ force: true });
    await graceful;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(a.isEstablished).toBe(false);
  }, 5000);

  it('close({ force }) cancels an A-ASSOCIATE negotiation the peer never answers', async () => {
    // A peer that reads the A-ASSOCIATE-RQ and never answers: without the cancel, close() waited
    // for the ACSE timeout (here 20 s, past the test's own timeout).
    const silent: Array<Promise<void>> = [];
    const p = new AssociationPool({
      ae: new ApplicationEntity({ aeTitle: 'GATEWAY', acseTimeoutMs: 20_000 }).addRequestedContext(VERIFICATION),
      connect: async () => {
        const [ours, theirs] = createMemoryPair();
        silent.push(theirs.readable.pipeTo(new WritableStream()).catch(() => undefined));
        return ours;
      },
    });
    const leased = p.acquire({ peer: 'a' });
    const outcome = leased.then(() => 'leased', (e: unknown) => e);
    await sleep(20);
    expect(p.stats).toMatchObject({ open: 1, created: 0 });
    const started = Date.now();
    await p.close({ force: true });
    // At most the A-ABORT linger (abortLingerMs, 1 s) for the silent peer to close, not the 20 s ACSE timeout.
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await outcome).toBeInstanceOf(Error);
    expect(p.stats).toMatchObject({ open: 0, created: 0 });
    // The transport was closed: the silent peer's read ended.
    await Promise.all(silent);
  }, 5000);
});
