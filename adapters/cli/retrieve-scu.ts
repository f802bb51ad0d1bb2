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
import type { FileIoOptions } from '../node/sync-read';
import type { RequestedContext } from '../../src/acse/contexts';
import {
  COMMON_OPTIONS, dialFor, IO_OPTION, ioMode, KEY_OPTION, MODEL_OPTIONS, modelOf, parseAppArgs, parsePort, queryPositionals, SCU_OPTIONS, UsageError, type AppArgs, type OptionSpec,
} from './args';
import { ExitCode, type CliIo } from './io';
import { defaultLevel } from './findscu';
import { buildQueries, statusText } from './query-keys';

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

/** Classes of COMMON_STORAGE whose pixel data is often compressed: they get the compressed contexts, in this order. */
const COMPRESSIBLE_STORAGE = [
  '1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.5.1.4.1.1.4', '1.2.840.10008.5.1.4.1.1.1', '1.2.840.10008.5.1.4.1.1.1.1', '1.2.840.10008.5.1.4.1.1.1.1.1',
  '1.2.840.10008.5.1.4.1.1.1.2', '1.2.840.10008.5.1.4.1.1.1.2.1', '1.2.840.10008.5.1.4.1.1.6.1', '1.2.840.10008.5.1.4.1.1.3.1', '1.2.840.10008.5.1.4.1.1.7',
  '1.2.840.10008.5.1.4.1.1.20', '1.2.840.10008.5.1.4.1.1.128', '1.2.840.10008.5.1.4.1.1.12.1', '1.2.840.10008.5.1.4.1.1.12.2', '1.2.840.10008.5.1.4.1.1.2.1',
  '1.2.840.10008.5.1.4.1.1.4.1', '1.2.840.10008.5.1.4.1.1.481.1', '1.2.840.10008.5.1.4.1.1.77.1.4',
];

/**
 * Compressed transfer syntaxes a C-GET may receive, by switch (DCMTK's getscu/dcmqrscp spellings).
 * DCMTK puts the preferred syntax first in one context per class; but an acceptor picks one
 * syntax per context by its own preference, and a C-GET SCP sends an instance only on a context
 * in the instance's own syntax, so here each chosen syntax gets a context of its own, proposed
 * before the uncompressed one: an SCP that sends everything of a class on its first accepted
 * context (DCMTK 3.6.7 dcmqrscp) then uses the preferred syntax, one that looks for the
 * instance's own syntax (netdicom qrscp) serves both.
 */
const COMPRESSED_SYNTAX_OPTIONS: ReadonlyArray<OptionSpec & { readonly uid: string }> = [
  { name: '--prefer-lossless', aliases: ['+xs'], uid: TransferSyntax.JPEGLosslessSV1, help: 'also accept JPEG Lossless SV1 (1.2.840.10008.1.2.4.70)' },
  { name: '--prefer-jpeg8', aliases: ['+xy'], uid: TransferSyntax.JPEGBaseline8Bit, help: 'also accept JPEG Baseline, lossy 8 bit (1.2.840.10008.1.2.4.50)' },
  { name: '--prefer-jpeg12', aliases: ['+xx'], uid: TransferSyntax.JPEGExtended12Bit, help: 'also accept JPEG Extended, lossy 12 bit (1.2.840.10008.1.2.4.51)' },
  { name: '--prefer-j2k-lossless', aliases: ['+xv'], uid: TransferSyntax.JPEG2000Lossless, help: 'also accept JPEG 2000 lossless (1.2.840.10008.1.2.4.90)' },
  { name: '--prefer-j2k-lossy', aliases: ['+xw'], uid: TransferSyntax.JPEG2000, help: 'also accept JPEG 2000 (1.2.840.10008.1.2.4.91)' },
  { name: '--prefer-jls-lossless', aliases: ['+xt'], uid: TransferSyntax.JPEGLSLossless, help: 'also accept JPEG-LS lossless (1.2.840.10008.1.2.4.80)' },
  { name: '--prefer-jls-lossy', aliases: ['+xu'], uid: TransferSyntax.JPEGLSNearLossless, help: 'also accept JPEG-LS near-lossless (1.2.840.10008.1.2.4.81)' },
  { name: '--prefer-rle', aliases: ['+xr'], uid: TransferSyntax.RLELossless, help: 'also accept RLE Lossless (1.2.840.10008.1.2.5)' },
  { name: '--prefer-deflated', aliases: ['+xd'], uid: TransferSyntax.DeflatedExplicitVRLittleEndian, help: 'also accept Deflated Explicit VR Little Endian (1.2.840.10008.1.2.1.99)' },
];

/** getscu's switches for the transfer syntaxes it accepts beside the uncompressed ones. */
export const STORAGE_SYNTAX_OPTIONS: readonly OptionSpec[] = [
  ...COMPRESSED_SYNTAX_OPTIONS.map(({ uid: _, ...spec }) => spec),
  { name: '--accept-all', aliases: ['+xa'], help: 'also accept every syntax above and JPEG Lossless P14 (fewer image classes get them all: 127 contexts at most)' },
  { name: '--accept-ts', value: 'UID', help: 'also accept this transfer syntax (repeat for more)' },
];

/** The compressed syntaxes the switches ask for, in switch-table order, then --accept-ts ones. */
export function acceptedCompressedSyntaxes(args: AppArgs): string[] {
  const all = args.has('--accept-all');
  const chosen = COMPRESSED_SYNTAX_OPTIONS.filter((o) => all || args.has(o.name)).map((o) => o.uid);
  if (all) chosen.push(TransferSyntax.JPEGLossless);
  for (const uid of args.all('--accept-ts')) {
    if (!/^[0-9]+(\.[0-9]+)*$/.test(uid) || uid.length > 64) throw new UsageError(`--accept-ts needs a transfer syntax UID, got '${uid}'`);
    if (!PROPOSED_SYNTAXES.includes(uid as never)) chosen.push(uid);
  }
  return [...new Set(chosen)];
}

/**
 * The storage contexts a C-GET proposes (with the SCP role), at most `room`: one uncompressed
 * context (Explicit, Implicit VR LE) per class, common classes first, and for the image classes
 * one context per compressed syntax ahead of it. The compressed contexts may take what is left
 * after every common class has its uncompressed one, whole classes at a time; the other storage
 * classes fill the rest.
 */
export function storageContexts(compressed: readonly string[], room = 127): RequestedContext[] {
  const classes = getStorageClasses(Infinity);
  let budget = compressed.length === 0 ? 0 : Math.max(0, room - COMMON_STORAGE.length);
  const compressedFor = new Set<string>();
  for (const uid of COMPRESSIBLE_STORAGE) {
    if (budget < compressed.length) break;
    compressedFor.add(uid);
    budget -= compressed.length;
  }
  const contexts: RequestedContext[] = [];
  let left = room - compressedFor.size * compressed.length;
  for (const abstractSyntax of classes) {
    if (left-- <= 0) break;
    if (compressedFor.has(abstractSyntax)) for (const ts of compressed) contexts.push({ abstractSyntax, transferSyntaxes: [ts] });
    contexts.push({ abstractSyntax, transferSyntaxes: PROPOSED_SYNTAXES });
  }
  return contexts;
}

export interface RetrieveSetup {
  readonly args: AppArgs;
  readonly host: string;
  readonly port: number;
  readonly model: QueryModel;
  /** One identifier per query file (`-k` keys over each), or the `-k` keys alone. */
  readonly queries: Dataset[];
  /** `--io`: file writes synchronous (default) or through the thread pool. */
  readonly io: FileIoOptions['io'];
}

/** Options of every retrieve app; each adds its own. */
export const RETRIEVE_OPTIONS: readonly OptionSpec[] = [
  ...COMMON_OPTIONS,
  ...SCU_OPTIONS,
  ...MODEL_OPTIONS,
  KEY_OPTION,
  { name: '--output-directory', aliases: ['-od'], value: 'DIR', help: 'write received instances to DIR (default .)' },
  IO_OPTION,
];

/** Parses a retrieve app's arguments (`ADDR PORT [QUERYFILE...]`); null after --help. Throws UsageError with the reason. */
export async function parseRetrieveArgs(app: string, argv: readonly string[], options: readonly OptionSpec[], description: string, io: CliIo): Promise<RetrieveSetup | null> {
  const args = parseAppArgs(argv, options, app, `netdicom ${app} [options] ADDR PORT [QUERYFILE...]`, description, io);
  if (!args) return null;
  const [host, portText, ...files] = queryPositionals(args.argv);
  const model = modelOf(args, ['patient', 'study', 'psonly']);
  const port = parsePort(portText);
  const fileIo = ioMode(args.last('--io'));
  return { args, host: host!, port, model, queries: await buildQueries(files, args.all('--key'), defaultLevel(model)), io: fileIo };
}

/** Runs `retrieve` for each query in turn; the exit code of the first that fails, else 0. */
export async function forEachQuery(setup: RetrieveSetup, retrieve: (query: Dataset) => Promise<number>): Promise<number> {
  let code: number = ExitCode.ok;
  for (const query of setup.queries) {
    const result = await retrieve(query);
    if (code === ExitCode.ok) code = result;
  }
  return code;
}

/** An fs-store for `-od DIR` (default: the current directory) that reports each instance. */
export function storeFor(setup: RetrieveSetup, io: CliIo, app: string): FsStore {
  return createFsStore({
    directory: setup.args.last('--output-directory') ?? '.',
    io: setup.io,
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
