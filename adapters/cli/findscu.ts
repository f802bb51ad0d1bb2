/**
 * `netdicom findscu ADDR PORT [QUERYFILE…] [-P|-S|-O|-W] -k KEY=VALUE…`: a C-FIND SCU (PS3.4
 * C.4.1, K.4.1), one C-FIND per query file (the `-k` keys over each, as DCMTK's findscu) or one
 * from the keys alone. Prints each match as a block (or one JSON object per line with --json), can
 * write each as a file (`-od DIR`, or DCMTK's `-X` into -od or the current directory), and can
 * cancel after N matches (`--cancel N`, C-CANCEL PS3.7 §9.3.2.3).
 * Exit code 0 on Success (or the Cancel we asked for), 1 on a failure status, 2-6 as io.ts says.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { encodeDataset, writePart10, type Dataset } from '../../src/dataset/codec';
import { queryModelUid, type QueryModel } from '../../src/scu/query-models';
import { generateUid } from '../../src/uids/generate';
import {
  COMMON_OPTIONS, dialFor, intOption, KEY_OPTION, MODEL_OPTIONS, modelOf, parseAppArgs, parsePort, queryPositionals, SCU_OPTIONS, WORKLIST_OPTION, type AppArgs, type OptionSpec,
} from './args';
import { ExitCode, fail, type CliIo } from './io';
import { buildQueries, formatIdentifier, statusText } from './query-keys';

const EXPLICIT = '1.2.840.10008.1.2.1';

const OPTIONS: readonly OptionSpec[] = [
  ...COMMON_OPTIONS,
  ...SCU_OPTIONS,
  ...MODEL_OPTIONS,
  WORKLIST_OPTION,
  KEY_OPTION,
  { name: '--json', help: 'print each match as one JSON object per line (dcmjs naturalized form)' },
  { name: '--write', aliases: ['-w', '-od'], value: 'DIR', help: 'also write each match as DIR/rspNNNN.dcm' },
  { name: '--extract', aliases: ['-X'], help: 'also write each match as rspNNNN.dcm, in -od DIR or else the current directory (DCMTK)' },
  { name: '--cancel', value: 'N', help: 'send C-CANCEL after N matches' },
];

/** The default Query/Retrieve Level of a model when no -k QueryRetrieveLevel is given. */
export function defaultLevel(model: QueryModel): Dataset {
  return model === 'worklist' ? {} : { QueryRetrieveLevel: model === 'patient' ? 'PATIENT' : 'STUDY' };
}

export async function findscu(argv: readonly string[], io: CliIo): Promise<number> {
  let args: AppArgs | null;
  let association: Association | undefined;
  try {
    args = parseAppArgs(argv, OPTIONS, 'findscu', 'netdicom findscu [options] ADDR PORT [QUERYFILE...]', 'Query SCU: sends a C-FIND per query file (or one from -k keys) and prints the matches.', io);
    if (!args) return ExitCode.ok;
    const [host, portText, ...files] = queryPositionals(args.argv);
    const port = parsePort(portText);
    const model = modelOf(args, ['patient', 'study', 'psonly', 'worklist']);
    const cancelAfter = args.last('--cancel') === undefined ? undefined : intOption(args.argv, '--cancel', 0, 0, 1e9);
    const outDir = args.last('--write') ?? (args.has('--extract') ? '.' : undefined);
    const queries = await buildQueries(files, args.all('--key'), defaultLevel(model));
    if (outDir) mkdirSync(outDir, { recursive: true });
    const ae = new ApplicationEntity(args.settings.ae).addRequestedContext(queryModelUid(model, 'find'));
    association = await ae.associate(await dialFor(args.settings, host!, port), { calledAeTitle: args.settings.calledAeTitle });
    // Numbered across the queries, as DCMTK's rsp0001.dcm, rsp0002.dcm, ...
    const written = { count: 0 };
    let code: number = ExitCode.ok;
    for (const query of queries) {
      const result = await find(association, args, io, query, { model, cancelAfter, outDir, written });
      if (code === ExitCode.ok) code = result;
    }
    await association.release();
    return code;
  } catch (error) {
    association?.abort().catch(() => {});
    return fail('findscu', io, error);
  }
}

/** How each C-FIND runs: its model, --cancel N, where matches are written and how many were so far. */
interface FindRun {
  readonly model: QueryModel;
  readonly cancelAfter?: number;
  readonly outDir?: string;
  readonly written: { count: number };
}

/** One C-FIND: prints (and writes) each match; the exit code of its final status. */
async function find(association: Association, args: AppArgs, io: CliIo, query: Dataset, { model, cancelAfter, outDir, written }: FindRun): Promise<number> {
  const controller = new AbortController();
  if (cancelAfter === 0) controller.abort();
  let matches = 0;
  for await (const r of association.cFind(query, { model, signal: controller.signal })) {
    if (r.category === 'Pending' && r.identifier) {
      matches++;
      print(args, io, r.identifier, matches);
      if (outDir) writeMatch(outDir, ++written.count, r.identifier);
      if (cancelAfter !== undefined && matches >= cancelAfter) controller.abort();
      continue;
    }
    const ok = r.category === 'Success' || (r.category === 'Cancel' && controller.signal.aborted);
    const line = `findscu: ${matches} match${matches === 1 ? '' : 'es'}, final status ${statusText(r.status, r.category, r.command.ErrorComment)}`;
    if (!ok || !args.settings.quiet) io.err(line);
    return ok ? ExitCode.ok : ExitCode.failed;
  }
  throw new Error('no final C-FIND response');
}

function print(args: AppArgs, io: CliIo, identifier: Dataset, n: number): void {
  if (args.has('--json')) {
    io.out(JSON.stringify(identifier, (k, v: unknown) => (k.startsWith('_') ? undefined : v)));
    return;
  }
  if (args.settings.quiet) return;
  io.out(`# Match ${n}`);
  for (const line of formatIdentifier(identifier)) io.out(line);
  io.out('');
}

/** `rsp0001.dcm`, … like DCMTK's findscu -X: each response identifier as a Part 10 file. */
function writeMatch(dir: string, n: number, identifier: Dataset): void {
  const chunks = writePart10({ transferSyntaxUid: EXPLICIT, sopClassUid: '1.2.840.10008.5.1.4.1.2.2.1', sopInstanceUid: generateUid(), dataset: encodeDataset(identifier, EXPLICIT) });
  writeFileSync(path.join(dir, `rsp${String(n).padStart(4, '0')}.dcm`), Buffer.concat(chunks));
}
