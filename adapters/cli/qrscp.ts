/**
 * `netdicom qrscp PORT --dir DIR [-aet AET] [--move-destination AET=HOST:PORT]… [--destinations FILE.json]
 * [--worklist DIR] [--db FILE] [--bind HOST]`: the Query/Retrieve SCP of adapters/node/qr (C-FIND,
 * C-GET, C-MOVE, storage, Modality Worklist). Serves until SIGINT/SIGTERM (or `stop` resolves).
 */
import { readFileSync } from 'node:fs';
import { createQrScp, loadDestinations, parseDestinations, type QrScp } from '../node/qr';
import { connectTcp } from '../node/tcp';
import { connectTls } from '../node/tls';
import { COMMON_OPTIONS, IO_OPTION, ioMode, listenFor, parseAppArgs, parsePort, positionals, UsageError, type OptionSpec } from './args';
import { ExitCode, fail, signalled, type CliIo } from './io';

const OPTIONS: readonly OptionSpec[] = [
  ...COMMON_OPTIONS,
  { name: '--dir', aliases: ['-od'], value: 'DIR', help: 'the archive: indexed at start, received instances are written here (required)' },
  { name: '--db', value: 'FILE', help: 'index database file (default DIR/.netdicom-qr.sqlite)' },
  { name: '--move-destination', value: 'AET=HOST:PORT', help: 'a C-MOVE destination (repeat); unknown AE titles are refused (0xA801)' },
  { name: '--destinations', value: 'FILE', help: 'C-MOVE destinations as JSON: {"AET": {"host": "...", "port": N, "tls": false}}' },
  { name: '--worklist', value: 'DIR', help: 'answer Modality Worklist C-FIND from the .wl/.dcm items in DIR' },
  { name: '--bind', value: 'HOST', help: 'address to listen on (default 0.0.0.0: every interface)' },
  { name: '--no-fsync', help: 'do not fsync received files (faster; a crash may lose the last ones)' },
  IO_OPTION,
];

export interface QrScpRunOptions {
  /** Resolves when the server should stop; default: the first SIGINT or SIGTERM. */
  readonly stop?: Promise<void>;
  /** Called once listening, with the bound address (tests read the port from it). */
  onListening?(address: string): void;
}

export async function qrscp(argv: readonly string[], io: CliIo, run: QrScpRunOptions = {}): Promise<number> {
  let scp: QrScp | undefined;
  try {
    const args = parseAppArgs(argv, OPTIONS, 'qrscp', 'netdicom qrscp [options] PORT --dir DIR', 'Query/Retrieve SCP (and storage SCP, Modality Worklist SCP) over a directory of DICOM files.', io);
    if (!args) return ExitCode.ok;
    const port = parsePort(positionals(args.argv, ['PORT'])[0], true);
    const dir = args.last('--dir');
    if (!dir) throw new UsageError('--dir DIR is required');
    const destinations = new Map([...args.all('--destinations').flatMap((f) => [...loadDestinations(f)]), ...moveDestinations(args.all('--move-destination'))]);
    const { settings } = args;
    const pem = (f?: string) => (f ? readFileSync(f) : undefined);
    const log = (line: string) => {
      if (!settings.quiet) io.out(line);
    };
    scp = await createQrScp({
      directory: dir,
      databaseFile: args.last('--db'),
      destinations,
      worklistDir: args.last('--worklist'),
      ae: settings.ae,
      fsync: !args.has('--no-fsync'),
      io: ioMode(args.last('--io')),
      // The C-MOVE's signal (C-CANCEL, requestor gone) and -to (else -tn) bound the connect and the TLS handshake.
      connect: (entry, signal) => {
        const dial = { host: entry.host, port: entry.port, signal, timeoutMs: settings.connectTimeoutMs ?? settings.networkTimeoutMs };
        if (!entry.tls) return connectTcp(dial);
        return connectTls({ ...dial, ca: pem(settings.tls?.ca), cert: pem(settings.tls?.cert), key: pem(settings.tls?.key) });
      },
    });
    const listener = await listenFor(settings, args.last('--bind') ?? '0.0.0.0', port);
    const server = scp.ae.serve(listener, scp.handlers);
    // Listening for SIGINT/SIGTERM before saying so: a signal sent on that line must not kill us outright.
    const stopped = run.stop ?? signalled();
    log(`qrscp: ${scp.db.count()} instance(s) indexed in ${scp.store.directory}; listening on ${listener.address} as ${scp.ae.options.aeTitle}`);
    run.onListening?.(listener.address);
    await stopped;
    log('qrscp: closing');
    // Running associations get 5 s to finish; the timer is cleared so an idle server exits at once.
    let grace: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([server.close(), new Promise((r) => (grace = setTimeout(r, 5000)))]);
    clearTimeout(grace);
    await server.close({ force: true });
    return ExitCode.ok;
  } catch (error) {
    return fail('qrscp', io, error);
  } finally {
    await scp?.close();
  }
}

/** `--move-destination AET=HOST:PORT` values; a malformed one is a usage error. */
function moveDestinations(entries: readonly string[]): ReturnType<typeof parseDestinations> {
  try {
    return parseDestinations(entries);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
