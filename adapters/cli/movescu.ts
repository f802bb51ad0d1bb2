/**
 * `netdicom movescu ADDR PORT [QUERYFILE…] [-P|-S|-O] -k KEY=VALUE… [-aem DEST] [+P N -od DIR]`:
 * a C-MOVE SCU (PS3.4 C.4.3), one C-MOVE per query file. With +P (--store-port; DCMTK's spelling)
 * it also runs a storage SCP on N for the duration of the move, writing what arrives like
 * storescp. DEST defaults to our own AE title (-aet), as in DCMTK.
 */
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { queryModelUid } from '../../src/scu/query-models';
import type { Server } from '../../src/server';
import { listenTcp } from '../node/tcp';
import { aeTitleOption, parsePort, UsageError, type OptionSpec } from './args';
import { ExitCode, fail, type CliIo } from './io';
import { storeTransferSyntaxes } from './storescp';
import { associate, followProgress, forEachQuery, parseRetrieveArgs, RETRIEVE_OPTIONS, storeFor } from './retrieve-scu';

const OPTIONS: readonly OptionSpec[] = [
  ...RETRIEVE_OPTIONS,
  { name: '--move-destination', aliases: ['-aem', '--move'], value: 'AET', help: 'where the SCP sends the instances (it must know this AE title; default: our -aet)' },
  { name: '--store', help: 'also receive the instances here (a storage SCP on --store-port while the move runs)' },
  { name: '--store-port', aliases: ['+P', '--port'], value: 'N', help: 'receive the instances here on port N (implies --store)' },
];

export async function movescu(argv: readonly string[], io: CliIo): Promise<number> {
  let receiver: Server | undefined;
  let association: Association | undefined;
  try {
    const setup = await parseRetrieveArgs('movescu', argv, OPTIONS, 'Retrieve SCU: C-MOVE to a destination AE (optionally receiving here with +P N).', io);
    if (!setup) return ExitCode.ok;
    const { args } = setup;
    const store = args.has('--store') || args.last('--store-port') !== undefined;
    if (store && args.last('--store-port') === undefined) throw new UsageError('--store needs --store-port N');
    const storePort = store ? parsePort(args.last('--store-port')) : undefined;
    // DCMTK's movescu: the move destination is our own AE title unless -aem says otherwise.
    const destination = aeTitleOption(args.argv, '--move-destination', args.settings.ae.aeTitle!, 'move destination');
    if (storePort !== undefined) {
      const sink = storeFor(setup, io, 'movescu');
      const scp = new ApplicationEntity(args.settings.ae).acceptAnyStorage(storeTransferSyntaxes()).addSupportedContext('1.2.840.10008.1.1');
      receiver = scp.serve(await listenTcp({ host: '0.0.0.0', port: storePort }), { cStore: sink.cStore });
    }
    const ae = new ApplicationEntity(args.settings.ae).addRequestedContext(queryModelUid(setup.model, 'move'));
    association = await associate(setup, ae);
    const code = await forEachQuery(setup, (query) => followProgress('movescu', association!.cMove(query, destination, { model: setup.model }), setup, io));
    await association.release();
    return code;
  } catch (error) {
    association?.abort().catch(() => {});
    return fail('movescu', io, error);
  } finally {
    await receiver?.close();
  }
}
