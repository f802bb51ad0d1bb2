/**
 * `netdicom getscu ADDR PORT [QUERYFILE…] [-P|-S|-O] -k KEY=VALUE… -od DIR`: a C-GET SCU (PS3.4
 * C.4.2), one C-GET per query file (or one from the keys alone). The instances arrive as C-STORE
 * sub-operations on the same association and are written as Part 10 files by the same code as
 * storescp (fs-store: names from the network never leave DIR).
 */
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { queryModelUid } from '../../src/scu/query-models';
import { ExitCode, fail, type CliIo } from './io';
import {
  acceptedCompressedSyntaxes, associate, followProgress, forEachQuery, parseRetrieveArgs, RETRIEVE_OPTIONS, STORAGE_SYNTAX_OPTIONS, storageContexts, storeFor,
} from './retrieve-scu';

const OPTIONS = [...RETRIEVE_OPTIONS, ...STORAGE_SYNTAX_OPTIONS];

const DESCRIPTION = [
  'Retrieve SCU: C-GET, storing the instances that arrive on the association.',
  'Proposes Explicit/Implicit VR Little Endian for the storage classes. The SCP can send an instance only',
  "in a transfer syntax accepted for its class, so name the compressed ones to receive (e.g. +xy for JPEG",
  'Baseline): each gets a context of its own per image class, ahead of the uncompressed one (an SCP that',
  'sends a whole class on its first context, like DCMTK dcmqrscp, then uses the first syntax named).',
].join('\n');

export async function getscu(argv: readonly string[], io: CliIo): Promise<number> {
  let association: Association | undefined;
  try {
    const setup = await parseRetrieveArgs('getscu', argv, OPTIONS, DESCRIPTION, io);
    if (!setup) return ExitCode.ok;
    const contexts = storageContexts(acceptedCompressedSyntaxes(setup.args));
    const store = storeFor(setup, io, 'getscu');
    const ae = new ApplicationEntity(setup.args.settings.ae).addRequestedContext(queryModelUid(setup.model, 'get'));
    for (const c of contexts) ae.addRequestedContext(c.abstractSyntax, c.transferSyntaxes, { scuRole: false, scpRole: true });
    association = await associate(setup, ae);
    const code = await forEachQuery(setup, (query) => followProgress('getscu', association!.cGet(query, { model: setup.model, onStore: store.cStore }), setup, io));
    await association.release();
    return code;
  } catch (error) {
    association?.abort().catch(() => {});
    return fail('getscu', io, error);
  }
}
