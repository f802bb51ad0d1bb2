// An out-of-process C-ECHO SCP for the D-09 soak case (reliability.md §3.6, figure §4 item 13):
// serves Verification on 127.0.0.1 from the built dist/, counts the C-ECHOs it performs and answers
// IPC 'stats' with that count and its memory (RSS as is, heap after gc()). Started with --expose-gc.
import { ApplicationEntity } from 'netdicom';
import { listenTcp } from 'netdicom/node';

let performed = 0;
const ae = new ApplicationEntity({ aeTitle: 'NETDICOM', artimTimeoutMs: 1000, abortLingerMs: 100, networkTimeoutMs: 120_000 }).addSupportedContext('1.2.840.10008.1.1');
const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
const server = ae.serve(listener, { cEcho: () => (performed++, 0) });

let escapes = 0;
const escaped = (e) => {
  escapes++;
  process.send?.({ type: 'escape', error: String(e?.stack ?? e) });
};
process.on('uncaughtException', escaped);
process.on('unhandledRejection', escaped);

process.on('message', async (msg) => {
  if (msg === 'stats') {
    const rss = process.memoryUsage().rss;
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 50));
    globalThis.gc?.();
    const m = process.memoryUsage();
    process.send?.({ type: 'stats', performed, rss, rssAfterGc: m.rss, heapUsed: m.heapUsed, external: m.external, associations: server.associations.size, escapes });
  } else if (msg === 'stop') {
    await server.close({ force: true });
    process.exit(0);
  }
});
process.send?.({ type: 'ready', port: listener.port });
