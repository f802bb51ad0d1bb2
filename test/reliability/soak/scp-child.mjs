// An out-of-process netdicom SCP for the soak runs (reliability.md §3.0): serves on 127.0.0.1 and
// a free port from the built dist/, and answers IPC 'stats' requests with memory (after gc()) and
// the open fd count from /proc/self/fd. Started with --expose-gc by soak.test.ts.
import { readdirSync } from 'node:fs';
import { ApplicationEntity } from 'netdicom';
import { listenTcp } from 'netdicom/node';

const ae = new ApplicationEntity({ aeTitle: 'NETDICOM', artimTimeoutMs: 1000, abortLingerMs: 100, networkTimeoutMs: 5000 })
  .addSupportedContext('1.2.840.10008.1.1')
  .addSupportedContext('1.2.840.10008.5.1.4.1.2.2.1')
  .addSupportedContext('1.2.840.10008.5.1.4.1.1.2');
const listener = await listenTcp({ host: '127.0.0.1', port: 0, maxPending: 4096 });
const server = ae.serve(listener, { async *cFind() {} }, { maxAssociations: 100, allowedCallingAeTitles: ['CANARY', 'FUZZER', 'SOAK'] });

let escapes = 0;
process.on('uncaughtException', (e) => {
  escapes++;
  process.send?.({ type: 'escape', error: String(e?.stack ?? e) });
});
process.on('unhandledRejection', (e) => {
  escapes++;
  process.send?.({ type: 'escape', error: String(e?.stack ?? e) });
});

process.on('message', async (msg) => {
  if (msg === 'stats') {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 50));
    globalThis.gc?.();
    const m = process.memoryUsage();
    process.send?.({
      type: 'stats',
      rss: m.rss,
      heapUsed: m.heapUsed,
      arrayBuffers: m.arrayBuffers,
      external: m.external,
      fds: readdirSync('/proc/self/fd').length,
      associations: server.associations.size,
      escapes,
    });
  } else if (msg === 'stop') {
    await server.close({ force: true });
    process.exit(0);
  }
});
process.send?.({ type: 'ready', port: listener.port });
