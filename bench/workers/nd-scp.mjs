#!/usr/bin/env node
/**
 * netdicom SCP for the bench (its own process, so its peak RSS is its own): C-ECHO, C-STORE into
 * a directory through the fs-store (streamed, no fsync, like DCMTK's storescp), C-FIND over
 * generated instance records (IMAGE level). Runs until SIGTERM.
 * Usage: nd-scp.mjs --port N --max-pdu N [--out DIR [--dir-per-association]] [--find-count N]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ApplicationEntity, SopClass, matchesQuery, projectResponse } from '../../dist/index.js';
import { createFsStore, listenTcp } from '../../dist/node.js';
import { findRecords } from '../lib/data.mjs';

const { values: o } = parseArgs({
  options: {
    port: { type: 'string' },
    'max-pdu': { type: 'string', default: '16384' },
    out: { type: 'string' },
    'find-count': { type: 'string', default: '0' },
    // Each association stores into <out>/<n> (n counts associations from 1): warm passes leave
    // their files elsewhere, so a timed pass writes into an empty directory, as a fresh SCP does.
    'dir-per-association': { type: 'boolean', default: false },
  },
});

// Performs up to 16 operations at once when an SCU proposes a window (rows that do not keep window 1).
const ae = new ApplicationEntity({ aeTitle: 'NDSCP', maxPduLength: Number(o['max-pdu']), asyncOps: { maxInvoked: 1, maxPerformed: 16 } });
ae.addSupportedContext(SopClass.Verification);
ae.addSupportedContext(SopClass.StudyRootQueryRetrieveInformationModelFind);
ae.acceptAnyStorage();

const records = findRecords(Number(o['find-count']));
const store = o.out ? createFsStore({ directory: o.out, fsync: false }) : null;
const storesByAssociation = new WeakMap();
let associationsStored = 0;
/** The fs-store of `association`'s own directory (--dir-per-association), made on its first instance. */
function storeOf(association) {
  let own = storesByAssociation.get(association);
  if (!own) {
    own = createFsStore({ directory: path.join(o.out, String(++associationsStored)), fsync: false });
    storesByAssociation.set(association, own);
  }
  return own;
}

const listener = await listenTcp({ host: '127.0.0.1', port: Number(o.port) });
const server = ae.serve(
  listener,
  {
    ...(store && { cStore: o['dir-per-association'] ? (request, ctx) => storeOf(ctx.association).cStore(request, ctx) : store.cStore }),
    *cFind(request) {
      const { QueryRetrieveLevel, ...query } = request.identifier;
      for (const r of records) if (matchesQuery(r, query)) yield { QueryRetrieveLevel, ...projectResponse(r, query) };
    },
  },
  { maxAssociations: 200 },
);
process.on('SIGTERM', () => {
  void server.close({ force: true }).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
});
