#!/usr/bin/env node
/**
 * netdicom SCP for the bench (its own process, so its peak RSS is its own): C-ECHO, C-STORE into
 * a directory through the fs-store (streamed, no fsync, like DCMTK's storescp), C-FIND over
 * generated instance records (IMAGE level). Runs until SIGTERM.
 * Usage: nd-scp.mjs --port N --max-pdu N [--out DIR | --discard] [--find-count N] [--tls-dir DIR]
 *   --discard       C-STORE reads each data set to its end and keeps nothing (the network path
 *                   alone, for comparison with the raw socket ceiling)
 *   --tls-dir DIR   listen with TLS: server.pem / server.key from DIR (bench/lib/pki.mjs)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ApplicationEntity, SopClass, compileQuery, loadDatasetCodec } from 'netdicom';
import { createFsStore, listenTcp, listenTls } from 'netdicom/node';
import { findRecords } from '../lib/data.mjs';

const { values: o } = parseArgs({
  options: {
    port: { type: 'string' },
    'max-pdu': { type: 'string', default: '16384' },
    out: { type: 'string' },
    discard: { type: 'boolean', default: false },
    'find-count': { type: 'string', default: '0' },
    'tls-dir': { type: 'string' },
  },
});

// Performs up to 16 operations at once when an SCU proposes a window (rows that do not keep window 1).
const ae = new ApplicationEntity({ aeTitle: 'NDSCP', maxPduLength: Number(o['max-pdu']), asyncOps: { maxInvoked: 1, maxPerformed: 16 } });
ae.addSupportedContext(SopClass.Verification);
ae.addSupportedContext(SopClass.StudyRootQueryRetrieveInformationModelFind);
ae.acceptAnyStorage();

const records = findRecords(Number(o['find-count']));
// An SCP that answers queries loads the data set codec at start (as DCMTK loads its dictionary), not on the first query.
if (records.length > 0) await loadDatasetCodec();
const fsStore = o.out ? createFsStore({ directory: o.out, fsync: false }) : null;
/** Takes every lent chunk and hands it straight back: what a store does, without the file. */
async function discardStore(request) {
  for await (const chunk of request.chunks({ lent: true })) request.releaseChunk?.(chunk);
  return 0x0000;
}
const store = o.discard ? { cStore: discardStore } : fsStore;

const tlsFile = (name) => readFileSync(path.join(o['tls-dir'], name));
const listener = o['tls-dir']
  ? await listenTls({ host: '127.0.0.1', port: Number(o.port), cert: tlsFile('server.pem'), key: tlsFile('server.key') })
  : await listenTcp({ host: '127.0.0.1', port: Number(o.port) });
const server = ae.serve(
  listener,
  {
    ...(store && { cStore: store.cStore }),
    *cFind(request) {
      // Records carry no level: the query is compiled with it, so each response has the request's.
      const query = compileQuery(request.identifier);
      for (const r of records) if (query.matches(r)) yield query.project(r);
    },
  },
  { maxAssociations: 200 },
);
process.on('SIGTERM', () => {
  void server.close({ force: true }).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
});
