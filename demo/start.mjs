// `npm start` (after `npm run build`): the browser demo. Starts a DICOM SCP with an on-disk store,
// the WebSocket-to-TCP proxy in front of it and the demo page, then prints the URL to open.
//   node demo/start.mjs [--port 8080] [--dicom-port 11112] [--data DIR] [--pacs HOST:PORT]
// (--pacs: no SCP of our own; the proxy forwards to that one; open the page with ?ae=ITS-AE-TITLE)
// (also NETDICOM_DEMO_PORT, NETDICOM_DEMO_DICOM_PORT, NETDICOM_DEMO_DATA). Ctrl-C stops everything.
import { parseArgs } from 'node:util';
import { bundleBuilt, PACS_AE_TITLE, startDemo } from './server.mjs';

const { values } = parseArgs({
  options: { port: { type: 'string' }, 'dicom-port': { type: 'string' }, data: { type: 'string' }, pacs: { type: 'string' }, verbose: { type: 'boolean' } },
});
const env = process.env;
const port = Number(values.port ?? env.NETDICOM_DEMO_PORT ?? 8080);
const dicomPort = Number(values['dicom-port'] ?? env.NETDICOM_DEMO_DICOM_PORT ?? 11112);
const pacsArg = /^(.+):(\d+)$/.exec(values.pacs ?? '');
if (values.pacs && !pacsArg) {
  console.error('--pacs wants HOST:PORT');
  process.exit(1);
}
const pacs = pacsArg ? { host: pacsArg[1], port: Number(pacsArg[2]) } : undefined;

if (!bundleBuilt()) {
  console.error('dist/netdicom.iife.js is missing: run `npm run build` first (`npm start` does).');
  process.exit(1);
}

console.log('netdicom browser demo');
let demo;
try {
  demo = await startDemo({
    port,
    dicomPort,
    dataDir: values.data ?? env.NETDICOM_DEMO_DATA,
    pacs,
    log: (line) => console.log(line),
    proxyLog: values.verbose ? (line) => console.log(`  proxy ${line}`) : undefined,
  });
} catch (error) {
  const busy = error && error.code === 'EADDRINUSE';
  console.error(busy ? `  a port is in use (${error.message}); try --port 0 --dicom-port 0 for free ones` : error);
  process.exit(1);
}
if (pacs) {
  console.log(`  DICOM SCP   ${demo.kind} (not started here)`);
} else {
  console.log(`  DICOM SCP   ${PACS_AE_TITLE} on 127.0.0.1:${demo.dicomPort} (${demo.kind})`);
  console.log(`  storage     ${demo.dataDir}`);
}
const target = pacs ? `${pacs.host}:${pacs.port}` : `127.0.0.1:${demo.dicomPort}`;
console.log(`  proxy       ${demo.url.replace(/^http/, 'ws')}pacs  →  ${target}`);
console.log(`\n  open ${demo.url}${pacs ? '?ae=ITS-AE-TITLE' : ''} in a browser   (Ctrl-C to stop)\n`);

let stopping = false;
const stop = async () => {
  if (stopping) process.exit(130); // a second Ctrl-C: do not wait
  stopping = true;
  console.log('\nstopping...');
  await demo.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
