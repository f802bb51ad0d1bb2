// `npm start` (after `npm run build`). Placeholder for the full demo, which will be:
//   a Node SCP with an on-disk store + the WebSocket proxy + a static page that loads
//   dist/netdicom.iife.js and runs C-ECHO / C-FIND / C-STORE from the browser.
// Today it runs a C-ECHO between two application entities over an in-memory transport,
// as soon as the public API (ApplicationEntity, SopClass) is exported from dist/index.js.
import * as netdicom from '../dist/index.js';
import { createMemoryPair } from '../dist/memory.js';

console.log('netdicom demo');
console.log('  planned: Node SCP + on-disk store + WebSocket proxy + browser page using dist/netdicom.iife.js');

if (typeof netdicom.ApplicationEntity !== 'function' || !netdicom.SopClass) {
  console.log('  the public API is not exported yet; build outputs are in dist/ (index.js, memory.js, netdicom.iife.js)');
  process.exit(0);
}

const [a, b] = createMemoryPair({ names: ['memory:scu', 'memory:scp'] });
const scp = new netdicom.ApplicationEntity({ aeTitle: 'DEMO-SCP' });
scp.addSupportedContext(netdicom.SopClass.Verification);
const served = scp.handle(b, {});

const scu = new netdicom.ApplicationEntity({ aeTitle: 'DEMO-SCU' });
scu.addRequestedContext(netdicom.SopClass.Verification);
const started = Date.now();
const assoc = await scu.associate(a, { calledAeTitle: 'DEMO-SCP' });
const rsp = await assoc.cEcho();
await assoc.release();
await served;
console.log(`  in-memory C-ECHO DEMO-SCU -> DEMO-SCP: status 0x${rsp.status.toString(16).padStart(4, '0')} in ${Date.now() - started} ms`);
if (rsp.status !== 0) process.exit(1);
