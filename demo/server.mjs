// The demo's servers, startable from `npm start` (demo/start.mjs) and from the browser test:
//   - a DICOM SCP on 127.0.0.1 (netdicom's Query/Retrieve SCP when netdicom/node has it, else a
//     simple one) with an on-disk store in `dataDir`, seeded with generated sample studies;
//   - the WebSocket-to-TCP proxy with the one target `/pacs` → that SCP, also serving the page
//     (demo/public) and the browser bundle (dist/netdicom.iife.js) on the same port.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as node from 'netdicom/node';
import { createDicomProxy } from '../dist/proxy.js';
import { writeSamples } from './samples.mjs';
import { createSimpleScp } from './simple-scp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The SCP's AE title; the page calls it by this name. */
export const PACS_AE_TITLE = 'NETDICOM-PACS';

/**
 * Starts the demo. `port` (page + proxy, default 8080) and `dicomPort` (default 11112) may be 0
 * for free ports. With `pacs: { host, port }` no SCP is started: the proxy's `/pacs` points at
 * that external SCP instead (e.g. DCMTK's; open the page with `?ae=TITLE` for its AE title).
 * Returns `{ url, dataDir, dicomPort, kind, close() }`.
 */
export async function startDemo(options = {}) {
  const { port = 8080, dicomPort = 11112, log = () => {} } = options;
  if (options.pacs) return startProxy(options.pacs, port, options, `external SCP at ${options.pacs.host}:${options.pacs.port}`, async () => {});
  const dataDir = path.resolve(options.dataDir ?? path.join(tmpdir(), 'netdicom-demo'));
  mkdirSync(dataDir, { recursive: true });
  if (!readdirSync(dataDir).some((n) => n.endsWith('.dcm'))) {
    log(`  writing ${writeSamples(dataDir).length} sample instances to ${dataDir}`);
  }

  let scp;
  let kind;
  if (typeof node.createQrScp === 'function') {
    scp = await node.createQrScp({
      directory: dataDir,
      ae: { aeTitle: PACS_AE_TITLE },
      connect: (entry, signal) => node.connectTcp({ host: entry.host, port: entry.port, signal }),
    });
    kind = 'netdicom Query/Retrieve SCP';
  } else {
    scp = createSimpleScp({ directory: dataDir, aeTitle: PACS_AE_TITLE });
    kind = 'netdicom SCP (echo, store, study-level find)';
  }
  const listener = await node.listenTcp({ host: '127.0.0.1', port: dicomPort });
  const server = scp.ae.serve(listener, scp.handlers);

  const demo = await startProxy({ host: '127.0.0.1', port: listener.port }, port, options, kind, async () => {
    await server.close({ force: true });
    await scp.close();
  });
  return { ...demo, dataDir };
}

/** The proxy (`/pacs` → `pacs`) serving the page; `closeScp` stops what stands behind it. */
async function startProxy(pacs, port, options, kind, closeScp) {
  let proxy;
  try {
    proxy = await createDicomProxy({
      targets: { '/pacs': { host: pacs.host, port: pacs.port } },
      staticDir: [path.join(here, 'public'), path.join(here, '..', 'dist')],
      host: '127.0.0.1',
      port,
      log: options.proxyLog,
    });
  } catch (error) {
    await closeScp();
    throw error;
  }
  return {
    url: `${proxy.url}/`,
    dataDir: undefined,
    dicomPort: pacs.port,
    kind,
    async close() {
      await proxy.close();
      await closeScp();
    },
  };
}

/** True when the bundle the page needs has been built. */
export function bundleBuilt() {
  return existsSync(path.join(here, '..', 'dist', 'netdicom.iife.js'));
}
