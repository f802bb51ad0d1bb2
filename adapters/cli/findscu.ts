/**
 * `netdicom findscu ADDR PORT [-P|-S|-O|-W] -k KEY=VALUE…`: a C-FIND SCU (PS3.4 C.4.1, K.4.1).
 * Prints each match as a block (or one JSON object per line with --json), can write each as a
 * file with `-w DIR`, and can cancel after N matches (`--cancel N`, C-CANCEL PS3.7 §9.3.2.3).
 * Exit code 0 on Success (or the Cancel we asked for), 1 on a failure status, 2 on bad usage.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationEntity } from '../../src/ae';
import { encodeDataset, writePart10, type Dataset } from '../../src/dataset/codec';
import { queryModelUid, type QueryModel } from '../../src/scu/query-models';
import { generateUid } from '../../src/uids/generate';
import { buildQuery, formatIdentifier, statusText } from './query-keys';
import { connectFor, parseArgs, parsePort, type CliIo, type ParsedArgs } from './qr-options';

const EXPLICIT = '1.2.840.10008.1.2.1';

/** Model switches shared by the query apps: -P patient root, -S study root (default), -O patient/study only, -W worklist. */
export const MODEL_SWITCHES = { '-P': 'patient', '--patient': 'patient', '-S': 'study', '--study': 'study', '-O': 'psonly', '--psonly': 'psonly', '-W': 'worklist', '--worklist': 'worklist' };

/** The information model the switches chose (the last one wins); `study` by default. */
export function modelOf(args: ParsedArgs, allowed: readonly string[]): QueryModel {
  const chosen = ['patient', 'study', 'psonly', 'worklist'].filter((m) => args.switches.has(m));
  if (chosen.length > 1) throw new Error(`choose one information model, got ${chosen.join(' and ')}`);
  const model = chosen[0] ?? 'study';
  if (!allowed.includes(model)) throw new Error(`the ${model} model is not available here`);
  return model;
}

/** The default Query/Retrieve Level of a model when no -k QueryRetrieveLevel is given. */
export function defaultLevel(model: QueryModel): Dataset {
  return model === 'worklist' ? {} : { QueryRetrieveLevel: model === 'patient' ? 'PATIENT' : 'STUDY' };
}

export async function findscu(argv: readonly string[], io: CliIo): Promise<number> {
  let args: ParsedArgs;
  let query: Dataset;
  let model: QueryModel;
  let host: string;
  let port: number;
  let cancelAfter: number | undefined;
  try {
    args = parseArgs(argv, { values: { '-k': 'key', '--key': 'key', '-w': 'write', '--write': 'write', '--cancel': 'cancel' }, switches: { ...MODEL_SWITCHES, '--json': 'json' } }, { aeTitle: 'FINDSCU' });
    if (args.positional.length !== 2) throw new Error('usage: findscu ADDR PORT [-P|-S|-O|-W] [-k KEY[=VALUE]]…');
    host = args.positional[0]!;
    port = parsePort(args.positional[1]);
    model = modelOf(args, ['patient', 'study', 'psonly', 'worklist']);
    query = buildQuery(args.values.get('key') ?? [], defaultLevel(model));
    const cancel = args.values.get('cancel')?.at(-1);
    if (cancel !== undefined) {
      cancelAfter = Number(cancel);
      if (!Number.isInteger(cancelAfter) || cancelAfter < 0) throw new Error(`--cancel needs a number of matches, got '${cancel}'`);
    }
  } catch (error) {
    io.err(`findscu: ${(error as Error).message}`);
    return 2;
  }
  const outDir = args.values.get('write')?.at(-1);
  if (outDir) mkdirSync(outDir, { recursive: true });
  const ae = new ApplicationEntity(args.ae).addRequestedContext(queryModelUid(model, 'find'));
  let association;
  try {
    association = await ae.associate(await connectFor(args, host, port), { calledAeTitle: args.calledAeTitle });
  } catch (error) {
    io.err(`findscu: cannot associate with ${host}:${port}: ${(error as Error).message}`);
    return 1;
  }
  const controller = new AbortController();
  let matches = 0;
  let exit = 1;
  try {
    if (cancelAfter === 0) controller.abort();
    for await (const r of association.cFind(query, { model, signal: controller.signal })) {
      if (r.category === 'Pending' && r.identifier) {
        matches++;
        print(args, io, r.identifier, matches);
        if (outDir) writeMatch(outDir, matches, r.identifier);
        if (cancelAfter !== undefined && matches >= cancelAfter) controller.abort();
        continue;
      }
      const cancelled = r.category === 'Cancel' && controller.signal.aborted;
      exit = r.category === 'Success' || cancelled ? 0 : 1;
      const line = `findscu: ${matches} match${matches === 1 ? '' : 'es'}, final status ${statusText(r.status, r.category, r.command.ErrorComment)}`;
      if (exit === 0) {
        if (!args.quiet) io.err(line);
      } else io.err(line);
    }
    await association.release();
  } catch (error) {
    io.err(`findscu: C-FIND failed: ${(error as Error).message}`);
    await association.abort();
    return 1;
  }
  return exit;
}

function print(args: ParsedArgs, io: CliIo, identifier: Dataset, n: number): void {
  if (args.switches.has('json')) {
    const clean = JSON.parse(JSON.stringify(identifier, (k, v) => (k.startsWith('_') ? undefined : v))) as Dataset;
    io.out(JSON.stringify(clean));
    return;
  }
  if (args.quiet) return;
  io.out(`# Match ${n}`);
  for (const line of formatIdentifier(identifier)) io.out(line);
  io.out('');
}

/** `rsp0001.dcm`, … like DCMTK's findscu -X: each response identifier as a Part 10 file. */
function writeMatch(dir: string, n: number, identifier: Dataset): void {
  const chunks = writePart10({ transferSyntaxUid: EXPLICIT, sopClassUid: '1.2.840.10008.5.1.4.1.2.2.1', sopInstanceUid: generateUid(), dataset: encodeDataset(identifier, EXPLICIT) });
  writeFileSync(path.join(dir, `rsp${String(n).padStart(4, '0')}.dcm`), Buffer.concat(chunks));
}
