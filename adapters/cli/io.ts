/**
 * What every app writes to, and how failures become one stderr line plus an exit code.
 */
import { AssociationAbortedError, AssociationRejectedError, TimeoutError, TransportError } from '../../src/errors';
import { UsageError } from './args';

/** Where an app writes. Tests pass their own; the CLI passes stdout/stderr. */
export interface AppIo {
  out(line: string): void;
  err(line: string): void;
}

/** Where a query app writes; `progress` (stderr) gets the retrieve progress line on a terminal. */
export interface CliIo extends AppIo {
  readonly progress?: { write(text: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
}

/** Exit codes shared by the apps (documented in `netdicom --help`). */
export const ExitCode = {
  ok: 0,
  /** The operation ran but failed (non-success DIMSE status, or an unexpected error). */
  failed: 1,
  usage: 2,
  /** Connection refused, reset, TLS handshake failed. */
  network: 3,
  rejected: 4,
  timeout: 5,
  aborted: 6,
} as const;

/** One line saying why, and the exit code for it. */
export function describeFailure(error: unknown): { line: string; code: number } {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError) return { line: message, code: ExitCode.usage };
  if (error instanceof AssociationRejectedError) return { line: message, code: ExitCode.rejected };
  if (error instanceof TimeoutError) return { line: message, code: ExitCode.timeout };
  if (error instanceof AssociationAbortedError) return { line: message, code: ExitCode.aborted };
  if (error instanceof TransportError) return { line: message, code: ExitCode.network };
  return { line: message, code: ExitCode.failed };
}

/** Reports a thrown failure as one line and returns its exit code (UsageError 2, network 3, rejected 4, ...). */
export function fail(app: string, io: AppIo, error: unknown, context = ''): number {
  const { line, code } = describeFailure(error);
  io.err(`${app}: ${context}${line}`);
  return code;
}

/** `console.log` and `console.error` as {@link AppIo}: storescu and storescp print through console. */
export const consoleIo: AppIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** Node's process streams as {@link AppIo}; nothing is written once a stream has failed ({@link guardStdio}). */
export const processIo: AppIo = {
  out: (line) => {
    if (process.stdout.writable) process.stdout.write(`${line}\n`);
  },
  err: (line) => {
    if (process.stderr.writable) process.stderr.write(`${line}\n`);
  },
};

let stdioGuarded = false;

/**
 * Keeps a failed stdout or stderr from crashing the app: without an 'error' listener, EPIPE (the
 * reader went away, as in `netdicom findscu … | head -1`) is an unhandled 'error' event. The stream
 * is destroyed then, so output to it stops; the work goes on and the exit code stays the
 * operation's. Once per process (the CLI entry calls it).
 */
export function guardStdio(): void {
  if (stdioGuarded) return;
  stdioGuarded = true;
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
}

/** Resolves on the first SIGINT or SIGTERM (then stops listening for both): how SCP apps wait to shut down. */
export function signalled(): Promise<void> {
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

/** Resolves `graceful` on the first SIGINT/SIGTERM and `force` on the second (storescp). */
export function stopSignals(): { graceful: Promise<void>; force: Promise<void>; dispose(): void } {
  let count = 0;
  let graceful!: () => void;
  let force!: () => void;
  const g = new Promise<void>((r) => (graceful = r));
  const f = new Promise<void>((r) => (force = r));
  const on = () => (++count === 1 ? graceful() : force());
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return {
    graceful: g,
    force: f,
    dispose() {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}
