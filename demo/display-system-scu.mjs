// Display System Management SCU (PS3.4 Annex EE), after `npm run build`:
//   node demo/display-system-scu.mjs HOST PORT
// Asks the Display System well-known instance for a few attributes (Manufacturer among them)
// with N-GET and prints the status and the attributes returned.
import { ApplicationEntity, DISPLAY_SYSTEM_SOP_CLASS, describeStatus, getDisplaySystem } from 'netdicom';
import { connectTcp } from 'netdicom/node';

const [host, portText] = process.argv.slice(2);
const port = Number(portText);
if (!host || !Number.isInteger(port)) {
  console.error('usage: node demo/display-system-scu.mjs HOST PORT');
  process.exit(2);
}

const ae = new ApplicationEntity({ aeTitle: 'DISPLAY-SCU' });
ae.addRequestedContext(DISPLAY_SYSTEM_SOP_CLASS);
const assoc = await ae.associate(await connectTcp({ host, port }), { calledAeTitle: 'DISPLAY-SCP' });
try {
  // Manufacturer (0008,0070), Manufacturer's Model Name (0008,1090), Device Serial Number (0018,1000), Software Versions (0018,1020)
  const result = await getDisplaySystem(assoc, [0x00080070, 0x00081090, 0x00181000, 0x00181020]);
  console.log(`N-GET status: 0x${result.status.toString(16).padStart(4, '0')} (${result.category}: ${describeStatus(result.status, 'N-GET')})`);
  for (const [keyword, value] of Object.entries(result.dataset ?? {})) {
    if (!keyword.startsWith('_')) console.log(`  ${keyword}: ${Array.isArray(value) ? value.join('\\') : value}`);
  }
  process.exitCode = result.category === 'Success' || result.category === 'Warning' ? 0 : 1;
} finally {
  await assoc.release();
}
