/**
 * `netdicom storescu ADDR PORT PATH…`: sends DICOM Part 10 files (folders with -r) to a Storage
 * SCP. Only each file's meta header is read to plan the presentation contexts; data sets are
 * streamed from disk as they are sent. A failed file is reported and the rest go on; the exit
 * code is 1 when any file failed.
 */
import { ApplicationEntity } from '../../src/ae';
import type { Logger } from '../../src/logger';
import type { Transport } from '../../src/transport';
import { listFiles, readPart10Header, type Part10Header } from './part10-file';
import { ProgressBar, type ProgressSink } from './progress';
import { planBatches, sendFiles } from './store-sender';

/** What storescu runs with, after argument parsing. */
export interface StoreScuConfig {
  paths: string[];
  recursive: boolean;
  aeTitle: string;
  calledAeTitle: string;
  maxPdu: number;
  allowConversion: boolean;
  debug: boolean;
  quiet: boolean;
  /** ACSE / DIMSE / network timeouts in ms, when given. */
  acseTimeoutMs?: number;
  dimseTimeoutMs?: number;
  networkTimeoutMs?: number;
  /** Opens a TCP or TLS connection to the peer. */
  connect(): Promise<Transport>;
  /** Where the progress bar goes (drawn only when it is a TTY). */
  progress: ProgressSink;
  out(line: string): void;
  err(line: string): void;
  logger: Logger;
}

/** Runs storescu; resolves with the exit code. */
export async function runStoreScu(config: StoreScuConfig): Promise<number> {
  if (config.paths.length === 0) {
    config.err('storescu: no files given');
    return 2;
  }
  let skipped = 0;
  const warn = (m: string) => {
    skipped++;
    config.err(`storescu: warning: ${m}`);
  };
  const headers: Part10Header[] = [];
  for (const file of await listFiles(config.paths, config.recursive, warn)) {
    try {
      headers.push(await readPart10Header(file));
    } catch (error) {
      warn(`skipping ${file}: not a DICOM Part 10 file (${(error as Error).message})`);
    }
  }
  if (headers.length === 0) {
    config.err('storescu: nothing to send');
    return 1;
  }
  const totalBytes = headers.reduce((n, h) => n + h.size - h.datasetOffset, 0);
  const bar = new ProgressBar(config.progress, headers.length, totalBytes, config.progress.isTTY === true && !config.quiet);
  const say = (line: string) => bar.log(line, config.err);
  const results = await sendFiles(planBatches(headers), {
    makeAe: (contexts) => {
      const ae = new ApplicationEntity({
        aeTitle: config.aeTitle,
        maxPduLength: config.maxPdu,
        logger: config.logger,
        debug: config.debug,
        ...(config.acseTimeoutMs !== undefined && { acseTimeoutMs: config.acseTimeoutMs }),
        ...(config.dimseTimeoutMs !== undefined && { dimseTimeoutMs: config.dimseTimeoutMs }),
        ...(config.networkTimeoutMs !== undefined && { networkTimeoutMs: config.networkTimeoutMs }),
      });
      for (const c of contexts) ae.addRequestedContext(c.abstractSyntax, c.transferSyntaxes);
      return ae;
    },
    connect: config.connect,
    associate: { calledAeTitle: config.calledAeTitle },
    allowConversion: config.allowConversion,
    onBytes: (n) => bar.addBytes(n),
    onResult: (r) => {
      if (!r.ok) say(`storescu: failed ${r.file.path} (${r.file.sopInstanceUid}): ${r.error}`);
      else if (r.status !== 0) say(`storescu: ${r.file.path}: warning status 0x${r.status!.toString(16).padStart(4, '0')}`);
      else if (!config.quiet && config.progress.isTTY !== true) config.out(`sent ${r.file.path}`);
      bar.fileDone(r.ok);
    },
  });
  bar.clear();
  if (!config.quiet || results.some((r) => !r.ok)) config.out(bar.summary(skipped));
  return results.every((r) => r.ok) ? 0 : 1;
}
