/**
 * A finished association must die young. V8 collects short-lived objects in its young generation
 * cheaply, but a few innocent-looking patterns keep them alive through every young-generation
 * collection until a full one: a function literal assigned straight to a property (`x.onY = () =>
 * …`, allocated in the old generation because V8 expects a method there) and a getter in an object
 * literal (its accessor pair is old), each holding a closure of the association. Either promoted
 * the whole association (~30 KiB) to the old generation, so a busy server's heap grew by tens of
 * MiB between full collections and each young collection copied megabytes (bench SCP under
 * `--trace-gc`: 2–3 MB promoted per scavenge, 4–17 ms pauses; now ~0.2 MB, ~1–3 ms). A third
 * pattern, a long-lived Set that takes and drops an entry per connection (src/server.ts), shows
 * there but only weakly here. Measured: old-generation growth per associate/echo/release cycle
 * while young collections run between cycles. On Node 26 even a closed plain `net` socket stays
 * reachable that way (a plain server and client whose listeners held ~30 KiB each: 72–80 KiB per
 * connection there, 3–4 KiB on Node 20), so the socket transport removes its listeners at 'close'
 * (27 → 6 KiB per cycle on Node 26 in the TCP case below).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { ApplicationEntity } from '../../src/ae';
import type { Server } from '../../src/server';
import { createMemoryListener } from '../../adapters/memory';
import { connectTcp, listenTcp } from '../../adapters/node';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;

const VERIFICATION = '1.2.840.10008.1.1';
/** Old-generation KiB per cycle a finished association may leave (measured 7–10; 20–35 with one of the first two patterns above). */
const MAX_KIB_PER_CYCLE = 15;

const oldSpaceUsed = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size;
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** KiB added to the old generation per `cycle()`, with two young collections after every ten cycles. */
async function oldKibPerCycle(cycle: () => Promise<void>, cycles = 200): Promise<number> {
  for (let i = 0; i < 50; i++) await cycle(); // compile and size everything first
  gc();
  await tick(5);
  const before = oldSpaceUsed();
  for (let i = 1; i <= cycles; i++) {
    await cycle();
    if (i % 10 === 0) {
      await tick(2); // let the association's last callbacks run
      gc({ type: 'minor' });
      gc({ type: 'minor' }); // what survives two is promoted
    }
  }
  return (oldSpaceUsed() - before) / cycles / 1024;
}

const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(VERIFICATION);
const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(VERIFICATION);
let server: Server | undefined;
afterEach(async () => {
  await server?.close({ force: true });
  server = undefined;
});

describe('finished associations die young', () => {
  it('over the memory transport, through a Server', async () => {
    const memory = createMemoryListener();
    server = scp.serve(memory.listener);
    const kib = await oldKibPerCycle(async () => {
      const association = await scu.associate(memory.connect(), { calledAeTitle: 'SCP' });
      await association.cEcho();
      await association.release();
    });
    expect(kib).toBeLessThan(MAX_KIB_PER_CYCLE);
  });

  it('over loopback TCP (the Node socket transport, both sides)', async () => {
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
    server = scp.serve(listener);
    const kib = await oldKibPerCycle(async () => {
      const association = await scu.associate(await connectTcp({ host: '127.0.0.1', port: listener.port }), { calledAeTitle: 'SCP' });
      await association.cEcho();
      await association.release();
    });
    expect(kib).toBeLessThan(MAX_KIB_PER_CYCLE);
  });
});
