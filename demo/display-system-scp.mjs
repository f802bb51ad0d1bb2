// Display System Management SCP (PS3.4 Annex EE), after `npm run build`:
//   node demo/display-system-scp.mjs PORT
// Listens on 127.0.0.1:PORT and answers N-GET of the Display System SOP Class for its
// well-known instance 1.2.840.10008.5.1.1.40.1 (with or without an Attribute Identifier List).
// Runs until killed.
import { ApplicationEntity, DISPLAY_SYSTEM_SOP_CLASS, displaySystemScp } from 'netdicom';
import { listenTcp } from 'netdicom/node';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('usage: node demo/display-system-scp.mjs PORT');
  process.exit(2);
}

// What this display system says about itself (a few Display System IOD attributes).
const attributes = {
  Manufacturer: 'netdicom',
  ManufacturerModelName: 'netdicom demo display',
  DeviceSerialNumber: 'NETDICOM-0001',
  SoftwareVersions: '0.1.0',
  InstitutionName: 'netdicom demo',
  StationName: 'DEMO-DISPLAY',
};

const ae = new ApplicationEntity({ aeTitle: 'DISPLAY-SCP' });
ae.addSupportedContext(DISPLAY_SYSTEM_SOP_CLASS);
const listener = await listenTcp({ host: '127.0.0.1', port });
const display = displaySystemScp({ attributes });
const server = ae.serve(listener, {
  nGet: async (request, ctx) => {
    const answer = await display.nGet(request, ctx);
    const asked = request.attributes.length ? request.attributes.map((t) => t.toString(16).padStart(8, '0')).join(',') : 'all';
    console.log(`N-GET from ${ctx.peerAeTitle} for ${request.sopInstanceUid} (attributes: ${asked}) -> 0x${answer.status.toString(16).padStart(4, '0')}`);
    return answer;
  },
});
console.log(`display-system SCP listening on 127.0.0.1:${listener.port}`);

const stop = async () => {
  await server.close({ force: true });
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
