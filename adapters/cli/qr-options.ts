/**
 * What findscu, getscu, movescu and qrscp share on top of the CLI framework (args.ts, io.ts):
 * the information-model switches, `-k` keys, parsing with --help, and the failure line.
 */
import type { QueryModel } from '../../src/scu/query-models';
import { commonSettings, formatHelp, parseArgv, UsageError, type CommonSettings, type OptionSpec, type ParsedArgv } from './args';
import { describeFailure, type AppIo } from './io';

/** Where a query app writes; `progress` (stderr) gets the retrieve progress line on a terminal. */
export interface CliIo extends AppIo {
  readonly progress?: { write(text: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
}

/** -P patient root, -S study root (default), -O patient/study only, -W modality worklist. */
export const MODEL_OPTIONS: readonly OptionSpec[] = [
  { name: '--patient', aliases: ['-P'], help: 'Patient Root information model' },
  { name: '--study', aliases: ['-S'], help: 'Study Root information model (default)' },
  { name: '--psonly', aliases: ['-O'], help: 'Patient/Study Only information model (retired)' },
];
export const WORKLIST_OPTION: OptionSpec = { name: '--worklist', aliases: ['-W'], help: 'Modality Worklist information model' };
export const KEY_OPTION: OptionSpec = {
  name: '--key', aliases: ['-k'], value: 'KEY[=VALUE]',
  help: 'query key: keyword or (gggg,eeee), Sequence[0].Keyword for items; no value = return key (repeat)',
};

/** Parsed arguments with the common settings. */
export interface QrArgs {
  readonly argv: ParsedArgv;
  readonly settings: CommonSettings;
  has(name: string): boolean;
  all(name: string): string[];
  last(name: string): string | undefined;
}

/** Parses argv; null when --help was printed. Throws UsageError with the reason for bad usage. */
export function parseQrArgs(argv: readonly string[], options: readonly OptionSpec[], app: string, usage: string, description: string, io: AppIo): QrArgs | null {
  const parsed = parseArgv(argv, options);
  if (parsed.switches.has('--help')) {
    io.out(formatHelp(usage, description, options));
    return null;
  }
  return {
    argv: parsed,
    settings: commonSettings(parsed, app.toUpperCase()),
    has: (name) => parsed.switches.has(name),
    all: (name) => parsed.values.get(name) ?? [],
    last: (name) => parsed.values.get(name)?.at(-1),
  };
}

/** The information model the switches chose; `study` by default. */
export function modelOf(args: QrArgs, allowed: readonly QueryModel[]): QueryModel {
  const chosen = (['patient', 'study', 'psonly', 'worklist'] as const).filter((m) => args.has(`--${m}`));
  if (chosen.length > 1) throw new UsageError(`choose one information model, got ${chosen.join(' and ')}`);
  const model = chosen[0] ?? 'study';
  if (!allowed.includes(model)) throw new UsageError(`the ${model} model is not available here`);
  return model;
}

/** Reports a thrown failure as one line and returns its exit code (UsageError 2, network 3, rejected 4, ...). */
export function fail(app: string, io: AppIo, error: unknown, context = ''): number {
  const { line, code } = describeFailure(error);
  io.err(`${app}: ${context}${line}`);
  return code;
}
