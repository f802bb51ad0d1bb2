/**
 * `netdicom <app> [args]`: dispatches to the apps. Entry of dist/cli.js (bin/netdicom.mjs).
 * Apps are imported lazily so `echoscu` does not load the storage or query code.
 */
import { loadDcmjsOnFirstUse } from '../node/dcmjs-loader';
import { guardStdio, processIo, type AppIo } from './io';

loadDcmjsOnFirstUse();

interface App {
  readonly summary: string;
  run(argv: readonly string[], io: AppIo): Promise<number>;
}

/** Every app, by the name typed on the command line. */
export const APPS: Readonly<Record<string, App>> = {
  echoscu: { summary: 'Verification SCU: C-ECHO a peer', run: async (a, io) => (await import('./echoscu')).echoscu(a, io) },
  echoscp: { summary: 'Verification SCP: answer C-ECHO until interrupted', run: async (a, io) => (await import('./echoscp')).echoscp(a, io) },
  storescu: { summary: 'Storage SCU: send DICOM files (C-STORE)', run: async (a, io) => (await import('./storescu')).storescuMain(a, io) },
  storescp: { summary: 'Storage SCP: receive DICOM files into a directory', run: async (a, io) => (await import('./storescp')).storescpMain(a, io) },
  findscu: { summary: 'Query SCU: C-FIND (patient/study/worklist models)', run: async (a, io) => (await import('./findscu')).findscu(a, withProgress(io)) },
  getscu: { summary: 'Retrieve SCU: C-GET, storing what arrives', run: async (a, io) => (await import('./getscu')).getscu(a, withProgress(io)) },
  movescu: { summary: 'Retrieve SCU: C-MOVE to a destination AE', run: async (a, io) => (await import('./movescu')).movescu(a, withProgress(io)) },
  qrscp: { summary: 'Query/Retrieve SCP over a directory of DICOM files', run: async (a, io) => (await import('./qrscp')).qrscp(a, withProgress(io)) },
  proxy: { summary: 'WebSocket-to-TCP proxy for browsers (allow-listed targets only)', run: async (a, io) => (await import('./proxy')).proxyMain(a, io) },
};

function withProgress(io: AppIo) {
  return { ...io, progress: process.stderr };
}

/** The top-level help: every app and the exit codes. */
export function mainHelp(): string {
  const width = Math.max(...Object.keys(APPS).map((n) => n.length)) + 2;
  return [
    'usage: netdicom <app> [options] [args]      netdicom <app> --help',
    '',
    'DICOM networking tools (DCMTK-style options). Apps:',
    ...Object.entries(APPS).map(([name, app]) => `  ${name.padEnd(width)}${app.summary}`),
    '',
    'exit codes: 0 success, 1 operation failed, 2 usage error, 3 network error,',
    '            4 association rejected, 5 timeout, 6 association aborted',
  ].join('\n');
}

/** Runs `netdicom` with `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: readonly string[], io: AppIo = processIo): Promise<number> {
  // Progress bars go to process.stderr (findscu, getscu, movescu, qrscp, storescu).
  if (io === processIo) guardStdio();
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.out(mainHelp());
    return name === undefined ? 2 : 0;
  }
  const app = Object.hasOwn(APPS, name) ? APPS[name] : undefined;
  if (!app) {
    io.err(`netdicom: unknown app '${name}' (netdicom --help lists them)`);
    return 2;
  }
  return app.run(rest, io);
}
