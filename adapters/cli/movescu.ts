/**
 * `netdicom movescu ADDR PORT [-P|-S|-O] -k KEY=VALUE… -aem DEST [--store --store-port N -od DIR]`:
 * a C-MOVE SCU (PS3.4 C.4.3). With --store it also runs a storage SCP on N for the duration of the
 * move (DEST defaults to our own AE title then), writing what arrives like storescp.
 */
import { ApplicationEntity } from '../../src/ae';
import { queryModelUid } from '../../src/scu/query-models';
import type { Server } from '../../src/server';
import { listenTcp } from '../node/tcp';
import { storeTransferSyntaxes } from './storescp';
import { parsePort, type CliIo } from './qr-options';
import { associate, followProgress, parseRetrieveArgs, storeFor, type RetrieveSetup } from './retrieve-scu';

export async function movescu(argv: readonly string[], io: CliIo): Promise<number> {
  let setup: RetrieveSetup;
  let destination: string;
  let storePort: number | undefined;
  try {
    setup = parseRetrieveArgs('movescu', argv, {
      values: { '-aem': 'aem', '--move-destination': 'aem', '--store-port': 'store-port' },
      switches: { '--store': 'store' },
    });
    const store = setup.args.switches.has('store') || setup.args.values.has('store-port');
    if (store) storePort = parsePort(setup.args.values.get('store-port')?.at(-1), '--store-port');
    destination = setup.args.values.get('aem')?.at(-1) ?? (store ? setup.args.ae.aeTitle! : '');
    if (!destination) throw new Error('-aem DEST is required (or --store --store-port N to receive here)');
    if (destination.length > 16) throw new Error(`move destination '${destination}' is longer than 16 characters`);
  } catch (error) {
    io.err(`movescu: ${(error as Error).message}`);
    return 2;
  }
  let receiver: Server | undefined;
  if (storePort !== undefined) {
    const store = storeFor(setup, io, 'movescu');
    const scp = new ApplicationEntity(setup.args.ae).acceptAnyStorage(storeTransferSyntaxes()).addSupportedContext('1.2.840.10008.1.1');
    try {
      receiver = scp.serve(await listenTcp({ host: '0.0.0.0', port: storePort }), { cStore: store.cStore });
    } catch (error) {
      io.err(`movescu: cannot listen on port ${storePort}: ${(error as Error).message}`);
      return 1;
    }
  }
  try {
    const ae = new ApplicationEntity(setup.args.ae).addRequestedContext(queryModelUid(setup.model, 'move'));
    let association;
    try {
      association = await associate(setup, ae);
    } catch (error) {
      io.err(`movescu: cannot associate with ${setup.host}:${setup.port}: ${(error as Error).message}`);
      return 1;
    }
    try {
      const code = await followProgress('movescu', association.cMove(setup.query, destination, { model: setup.model }), setup, io);
      await association.release();
      return code;
    } catch (error) {
      io.err(`movescu: C-MOVE failed: ${(error as Error).message}`);
      await association.abort();
      return 1;
    }
  } finally {
    await receiver?.close();
  }
}
