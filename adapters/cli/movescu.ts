/**
 * `netdicom movescu ADDR PORT [-P|-S|-O] -k KEY=VALUE… -aem DEST [--store --store-port N -od DIR]`:
 * a C-MOVE SCU (PS3.4 C.4.3). With --store it also runs a storage SCP on N for the duration of the
 * move (DEST defaults to our own AE title then), writing what arrives like storescp.
 */
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { queryModelUid } from '../../src/scu/query-models';
import type { Server } from '../../src/server';
import { listenTcp } from '../node/tcp';
import { parsePort, UsageError, type OptionSpec } from './args';
import { ExitCode, fail, type CliIo } from './io';
import { storeTransferSyntaxes } from './storescp';
import { associate, followProgress, parseRetrieveArgs, RETRIEVE_OPTIONS, storeFor } from './retrieve-scu';

const OPTIONS: readonly OptionSpec[] = [
  ...RETRIEVE_OPTIONS,
  { name: '--move-destination', aliases: ['-aem'], value: 'AET', help: 'where the SCP sends the instances (it must know this AE title)' },
  { name: '--store', help: 'also receive the instances here (a storage SCP on --store-port while the move runs)' },
  { name: '--store-port', value: 'N', help: 'port of the --store receiver' },
];

export async function movescu(argv: readonly string[], io: CliIo): Promise<number> {
  let receiver: Server | undefined;
  let association: Association | undefined;
  try {
    const setup = parseRetrieveArgs('movescu', argv, OPTIONS, 'Retrieve SCU: C-MOVE to a destination AE (optionally receiving here with --store).', io);
    if (!setup) return ExitCode.ok;
    const { args } = setup;
    const store = args.has('--store') || args.last('--store-port') !== undefined;
    if (store && args.last('--store-port') === undefined) throw new UsageError('--store needs --store-port N');
    const storePort = store ? parsePort(args.last('--store-port')) : undefined;
    const destination = args.last('--move-destination') ?? (store ? args.settings.ae.aeTitle! : '');
    if (!destination) throw new UsageError('-aem DEST is required (or --store --store-port N to receive here)');
    if (destination.length > 16) throw new UsageError(`move destination '${destination}' is longer than 16 characters`);
    if (storePort !== undefined) {
      const sink = storeFor(setup, io, 'movescu');
      const scp = new ApplicationEntity(args.settings.ae).acceptAnyStorage(storeTransferSyntaxes()).addSupportedContext('1.2.840.10008.1.1');
      receiver = scp.serve(await listenTcp({ host: '0.0.0.0', port: storePort }), { cStore: sink.cStore });
    }
    const ae = new ApplicationEntity(args.settings.ae).addRequestedContext(queryModelUid(setup.model, 'move'));
    association = await associate(setup, ae);
    const code = await followProgress('movescu', association.cMove(setup.query, destination, { model: setup.model }), setup, io);
    await association.release();
    return code;
  } catch (error) {
    association?.abort().catch(() => {});
    return fail('movescu', io, error);
  } finally {
    await receiver?.close();
  }
}
