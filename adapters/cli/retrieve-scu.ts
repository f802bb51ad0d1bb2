/**
 * What getscu and movescu share (PS3.4 C.4.2, C.4.3): argument handling, the storage contexts a
 * C-GET proposes with the SCP role (PS3.4 C.4.2.2.1, role selection PS3.7 D.3.3.4), progress on a
 * terminal, and the closing line and exit code from the final sub-operation counts.
 */
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import type { RetrieveProgress } from '../../src/scu/retrieve';
import type { QueryModel } from '../../src/scu/query-models';
import { storageSopClasses } from '../../src/uids/sop-classes';
import { TransferSyntax } from '../../src/uids/transfer-syntax';
import type { Dataset } from '../../src/dataset/codec';
import { createFsStore, type FsStore } from '../node/fs-store';
import { COMMON_OPTIONS, dialFor, parsePort, positionals, SCU_OPTIONS, type OptionSpec } from './args';
import { ExitCode } from './io';
import { defaultLevel } from './findscu';
import { buildQuery, statusText } from './query-keys';
import { KEY_OPTION, MODEL_OPTIONS, modelOf, parseQrArgs, type CliIo, type QrArgs } from './qr-options';

/** Storage classes proposed first for C-GET (the usual images and documents); the rest fill up to the 128-context limit. */
const COMMON_STORAGE = [
  '1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.5.1.4.1.1.4', '1.2.840.10008.5.1.4.1.1.1', '1.2.840.10008.5.1.4.1.1.1.1', '1.2.840.10008.5.1.4.1.1.1.1.1',
  '1.2.840.10008.5.1.4.1.1.1.2', '1.2.840.10008.5.1.4.1.1.1.2.1', '1.2.840.10008.5.1.4.1.1.6.1', '1.2.840.10008.5.1.4.1.1.3.1', '1.2.840.10008.5.1.4.1.1.7',
  '1.2.840.10008.5.1.4.1.1.20', '1.2.840.10008.5.1.4.1.1.128', '1.2.840.10008.5.1.4.1.1.12.1', '1.2.840.10008.5.1.4.1.1.12.2', '1.2.840.10008.5.1.4.1.1.2.1',
  '1.2.840.10008.5.1.4.1.1.4.1', '1.2.840.10008.5.1.4.1.1.88.11', '1.2.840.10008.5.1.4.1.1.88.22', '1.2.840.10008.5.1.4.1.1.88.33', '1.2.840.10008.5.1.4.1.1.88.59',
  '1.2.840.10008.5.1.4.1.1.11.1', '1.2.840.10008.5.1.4.1.1.104.1', '1.2.840.10008.5.1.4.1.1.481.1', '1.2.840.10008.5.1.4.1.1.481.2', '1.2.840.10008.5.1.4.1.1.481.3',
  '1.2.840.10008.5.1.4.1.1.481.5', '1.2.840.10008.5.1.4.1.1.66.4', '1.2.840.10008.5.1.4.1.1.77.1.4',
];
const PROPOSED_SYNTAXES = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian];

/** Up to `room` storage SOP classes to offer with the SCP role, the common ones first. */
export function getStorageClasses(room = 127): string[] {
  return [...new Set([...COMMON_STORAGE, ...storageSopClasses()])].slice(0, room);
}

export interface RetrieveSetup {
  readonly args: QrArgs;
  readonly host: string;
  readonly port: number;
  readonly model: QueryModel;
  readonly query: Dataset;
}

/** Options of every retrieve app; each adds its own. */
export const RETRIEVE_OPTIONS: readonly OptionSpec[] = [
  ...COMMON_OPTIONS,
  ...SCU_OPTIONS,
  ...MODEL_OPTIONS,
  KEY_OPTION,
  { name: '--output-directory', aliases: ['-od'], value: 'DIR', help: 'write received instances to DIR (default .)' },
];

/** Parses a retrieve app's arguments; null after --help. Throws UsageError with the reason. */
export function parseRetrieveArgs(app: string, argv: readonly string[], options: readonly OptionSpec[], description: string, io: CliIo): RetrieveSetup | null {
  const args = parseQrArgs(argv, options, app, `netdicom ${app} [options] ADDR PORT`, description, io);
  if (!args) return null;
  const [host, portText] = positionals(args.argv, ['ADDR', 'PORT']);
  const model = modelOf(args, ['patient', 'study', 'psonly']);
  return { args, host: host!, port: parsePort(portText), model, query: buildQuery(args.all('--key'), defaultLevel(model)) };
}

/** An fs-store for `-od DIR` (default: the current directory) that reports each instance. */
export function storeFor(setup: RetrieveSetup, io: CliIo, app: string): FsStore {
  return createFsStore({
    directory: setup.args.last('--output-directory') ?? '.',
    onStored: (i) => {
      if (!setup.args.settings.quiet && !io.progress?.isTTY) io.out(`stored ${i.sopInstanceUid} -> ${i.path}`);
    },
    onFailed: (i) => io.err(`${app}: could not store ${i.sopInstanceUid}: ${String((i.error as Error)?.message ?? i.error)}`),
  });
}

/** Associates; the caller adds its contexts to `ae` first. */
export async function associate(setup: RetrieveSetup, ae: ApplicationEntity): Promise<Association> {
  const transport = await dialFor(setup.args.settings, setup.host, setup.port);
  return ae.associate(transport, { calledAeTitle: setup.args.settings.calledAeTitle });
}

/**
 * Runs a retrieve iteration: progress on a terminal, then the closing line. Exit code 0 when every
 * sub-operation completed (Success), 1 otherwise (Warning 0xB000 included: something was not sent).
 */
export async function followProgress(app: string, progress: AsyncIterable<RetrieveProgress>, setup: RetrieveSetup, io: CliIo): Promise<number> {
  const tty = io.progress?.isTTY === true && !setup.args.settings.quiet;
  for await (const p of progress) {
    if (p.category === 'Pending') {
      if (tty) io.progress!.write(`\r${app}: ${p.completed ?? 0} completed, ${p.failed ?? 0} failed, ${p.warning ?? 0} warning, ${p.remaining ?? '?'} remaining `);
      continue;
    }
    if (tty) io.progress!.write('\n');
    const counts = `${p.completed ?? 0} completed, ${p.failed ?? 0} failed, ${p.warning ?? 0} warning`;
    const failedList = p.identifier?.FailedSOPInstanceUIDList;
    const line = `${app}: ${counts}; final status ${statusText(p.status, p.category, p.command.ErrorComment)}${failedList ? `; failed: ${String(failedList)}` : ''}`;
    if (p.category === 'Success') {
      if (!setup.args.settings.quiet) io.err(line);
      return ExitCode.ok;
    }
    io.err(line);
    return ExitCode.failed;
  }
  throw new Error('no final response');
}

export { PROPOSED_SYNTAXES };
