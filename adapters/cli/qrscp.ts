/**
 * `netdicom qrscp PORT --dir DIR [-aet AET] [--move-destination AET=HOST:PORT]… [--destinations FILE.json]
 * [--worklist DIR] [--db FILE] [--bind HOST]`: the Query/Retrieve SCP of adapters/node/qr (C-FIND,
 * C-GET, C-MOVE, storage, Modality Worklist). Serves until SIGINT/SIGTERM (or `stop` resolves).
 */
import { createQrScp, loadDestinations, parseDestinations, type MoveDestinationEntry } from '../node/qr';
import { connectTcp } from '../node/tcp';
import { connectTls } from '../node/tls';
import { listenFor, parseArgs, parsePort, type CliIo, type ParsedArgs } from './qr-options';
import { readFileSync } from 'node:fs';

export interface QrScpRunOptions {
  /** Resolves when the server should stop; default: the first SIGINT or SIGTERM. */
  readonly stop?: Promise<void>;
  /** Called once listening, with the bound address (tests read the port from it). */
  onListening?(address: string): void;
}

export async function qrscp(argv: readonly string[], io: CliIo, run: QrScpRunOptions = {}): Promise<number> {
  let args: ParsedArgs;
  let port: number;
  let destinations: Map<string, MoveDestinationEntry>;
  try {
    args = parseArgs(argv, {
      values: { '--dir': 'dir', '-od': 'dir', '--move-destination': 'dest', '--destinations': 'dest-file', '--worklist': 'worklist', '--db': 'db', '--bind': 'bind' },
      switches: { '--no-fsync': 'no-fsync' },
    }, { aeTitle: 'QRSCP' });
    if (args.positional.length !== 1) throw new Error('usage: qrscp PORT --dir DIR [-aet AET] [--move-destination AET=HOST:PORT]…');
    port = args.positional[0] === '0' ? 0 : parsePort(args.positional[0]);
    if (!args.values.get('dir')) throw new Error('--dir DIR is required');
    destinations = new Map([
      ...(args.values.get('dest-file') ?? []).flatMap((f) => [...loadDestinations(f)]),
      ...parseDestinations(args.values.get('dest') ?? []),
    ]);
  } catch (error) {
    io.err(`qrscp: ${(error as Error).message}`);
    return 2;
  }
  const log = (line: string) => {
    if (!args.quiet) io.out(line);
  };
  const tls = args.tls;
  const pem = (f?: string) => (f ? readFileSync(f) : undefined);
  let scp;
  try {
    scp = await createQrScp({
      directory: args.values.get('dir')!.at(-1)!,
      databaseFile: args.values.get('db')?.at(-1),
      destinations,
      worklistDir: args.values.get('worklist')?.at(-1),
      ae: args.ae,
      fsync: !args.switches.has('no-fsync'),
      connect: (entry) =>
        entry.tls
          ? connectTls({ host: entry.host, port: entry.port, ca: pem(tls?.ca), cert: pem(tls?.cert), key: pem(tls?.key), rejectUnauthorized: tls?.verify ?? true })
          : connectTcp({ host: entry.host, port: entry.port }),
    });
  } catch (error) {
    io.err(`qrscp: cannot open ${args.values.get('dir')!.at(-1)}: ${(error as Error).message}`);
    return 1;
  }
  let listener;
  try {
    listener = await listenFor(args, args.values.get('bind')?.at(-1) ?? '0.0.0.0', port);
  } catch (error) {
    await scp.close();
    io.err(`qrscp: cannot listen on port ${port}: ${(error as Error).message}`);
    return 1;
  }
  const server = scp.ae.serve(listener, scp.handlers);
  log(`qrscp: ${scp.db.count()} instance(s) indexed in ${scp.store.directory}; listening on ${listener.address} as ${scp.ae.options.aeTitle}`);
  run.onListening?.(listener.address);
  await (run.stop ?? signalled());
  log('qrscp: closing');
  await Promise.race([server.close(), new Promise((r) => setTimeout(r, 5000))]);
  await server.close({ force: true });
  await scp.close();
  return 0;
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
