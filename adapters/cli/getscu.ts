/**
 * `netdicom getscu ADDR PORT [-P|-S|-O] -k KEY=VALUE… -od DIR`: a C-GET SCU (PS3.4 C.4.2). The
 * instances arrive as C-STORE sub-operations on the same association and are written as Part 10
 * files by the same code as storescp (fs-store: names from the network never leave DIR).
 */
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { queryModelUid } from '../../src/scu/query-models';
import { ExitCode } from './io';
import { fail, type CliIo } from './qr-options';
import { associate, followProgress, getStorageClasses, parseRetrieveArgs, PROPOSED_SYNTAXES, RETRIEVE_OPTIONS, storeFor } from './retrieve-scu';

export async function getscu(argv: readonly string[], io: CliIo): Promise<number> {
  let association: Association | undefined;
  try {
    const setup = parseRetrieveArgs('getscu', argv, RETRIEVE_OPTIONS, 'Retrieve SCU: C-GET, storing the instances that arrive on the association.', io);
    if (!setup) return ExitCode.ok;
    const store = storeFor(setup, io, 'getscu');
    const ae = new ApplicationEntity(setup.args.settings.ae).addRequestedContext(queryModelUid(setup.model, 'get'));
    for (const uid of getStorageClasses()) ae.addRequestedContext(uid, PROPOSED_SYNTAXES, { scuRole: false, scpRole: true });
    association = await associate(setup, ae);
    const code = await followProgress('getscu', association.cGet(setup.query, { model: setup.model, onStore: store.cStore }), setup, io);
    await association.release();
    return code;
  } catch (error) {
    association?.abort().catch(() => {});
    return fail('getscu', io, error);
  }
}
