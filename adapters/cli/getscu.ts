/**
 * `netdicom getscu ADDR PORT [-P|-S|-O] -k KEY=VALUE… -od DIR`: a C-GET SCU (PS3.4 C.4.2). The
 * instances arrive as C-STORE sub-operations on the same association and are written as Part 10
 * files by the same code as storescp (fs-store: names from the network never leave DIR).
 */
import { ApplicationEntity } from '../../src/ae';
import { queryModelUid } from '../../src/scu/query-models';
import type { CliIo } from './qr-options';
import { associate, followProgress, getStorageClasses, parseRetrieveArgs, PROPOSED_SYNTAXES, storeFor, type RetrieveSetup } from './retrieve-scu';

export async function getscu(argv: readonly string[], io: CliIo): Promise<number> {
  let setup: RetrieveSetup;
  try {
    setup = parseRetrieveArgs('getscu', argv, {});
  } catch (error) {
    io.err(`getscu: ${(error as Error).message}`);
    return 2;
  }
  const store = storeFor(setup, io, 'getscu');
  const ae = new ApplicationEntity(setup.args.ae).addRequestedContext(queryModelUid(setup.model, 'get'));
  for (const uid of getStorageClasses()) ae.addRequestedContext(uid, PROPOSED_SYNTAXES, { scuRole: false, scpRole: true });
  let association;
  try {
    association = await associate(setup, ae);
  } catch (error) {
    io.err(`getscu: cannot associate with ${setup.host}:${setup.port}: ${(error as Error).message}`);
    return 1;
  }
  try {
    const code = await followProgress('getscu', association.cGet(setup.query, { model: setup.model, onStore: store.cStore }), setup, io);
    await association.release();
    return code;
  } catch (error) {
    io.err(`getscu: C-GET failed: ${(error as Error).message}`);
    await association.abort();
    return 1;
  }
}
