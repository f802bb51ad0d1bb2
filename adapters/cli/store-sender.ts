/**
 * storescu's engine: plans presentation contexts from the files' meta headers, then sends each
 * file on as few associations as the 128-context limit allows, streaming data sets from disk.
 * A failed file is recorded and the rest go on, unless told to halt at the first failure.
 */
import { readFile } from 'node:fs/promises';
import type { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import type { AssociateOptions } from '../../src/requestor';
import type { Transport } from '../../src/transport';
import { TransferSyntax } from '../../src/uids/transfer-syntax';
import type { FileIoOptions } from '../node/sync-read';
import { fileChunks, readAhead, type FileChunks, type Part10Header } from './part10-file';

/** PS3.8 §9.3.2.2: presentation context IDs are odd numbers 1..255. */
const MAX_CONTEXTS = 128;
/** Syntaxes the core can convert between losslessly (`allowConversion`). */
const CONVERTIBLE = new Set<string>([
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ExplicitVRBigEndian,
]);
const FALLBACK = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian];
/** Files larger than this are never loaded whole for a conversion. */
const MAX_CONVERT_BYTES = 256 * 1024 * 1024;

/** A context to propose. */
export interface PlannedContext {
  readonly abstractSyntax: string;
  readonly transferSyntaxes: readonly string[];
}

/** One association's worth of work. */
export interface Batch {
  readonly contexts: PlannedContext[];
  readonly files: Part10Header[];
}

/**
 * One context per (SOP class, transfer syntax) the files are in, plus, for a class with
 * uncompressed files, a fallback proposing Explicit and Implicit VR LE (used with conversion).
 * Classes are kept whole within a batch; a batch never exceeds 128 contexts. Within a batch the
 * files keep the order they were given in, so storescu halts where DCMTK's does (the first failure
 * on the command line, nothing after it sent) whenever one association carries them all.
 */
export function planBatches(files: readonly Part10Header[]): Batch[] {
  const byClass = new Map<string, Part10Header[]>();
  for (const f of files) {
    const list = byClass.get(f.sopClassUid);
    if (list) list.push(f);
    else byClass.set(f.sopClassUid, [f]);
  }
  const batches: Batch[] = [];
  let current: Batch = { contexts: [], files: [] };
  for (const [sopClass, list] of byClass) {
    const syntaxes = [...new Set(list.map((f) => f.transferSyntaxUid))];
    const contexts: PlannedContext[] = syntaxes.map((ts) => ({ abstractSyntax: sopClass, transferSyntaxes: [ts] }));
    if (syntaxes.some((ts) => CONVERTIBLE.has(ts))) contexts.push({ abstractSyntax: sopClass, transferSyntaxes: FALLBACK });
    if (current.contexts.length + contexts.length > MAX_CONTEXTS && current.files.length > 0) {
      batches.push(current);
      current = { contexts: [], files: [] };
    }
    current.contexts.push(...contexts.slice(0, MAX_CONTEXTS));
    current.files.push(...list);
  }
  if (current.files.length > 0) batches.push(current);
  const order = new Map(files.map((f, i) => [f, i]));
  for (const batch of batches) batch.files.sort((a, b) => order.get(a)! - order.get(b)!);
  return batches;
}

/** The outcome of one file. */
export interface FileResult {
  readonly file: Part10Header;
  /** DIMSE status, when a response came. */
  readonly status?: number;
  readonly ok: boolean;
  readonly error?: string;
  /** What failed when no association could be made for the file (storescu exits with its code). */
  readonly associationError?: unknown;
}

/** How {@link sendFiles} reaches the peer and reports. */
export interface SendOptions {
  /** Builds our AE with the given contexts (AE title, max PDU and timeouts come from the caller). */
  makeAe(contexts: readonly PlannedContext[]): ApplicationEntity;
  connect(): Promise<Transport>;
  associate: AssociateOptions;
  allowConversion?: boolean;
  /** Send no file after the first failed one (DCMTK's storescu without -nh); those in flight finish. */
  haltOnFailure?: boolean;
  /**
   * C-STOREs in flight per association (PS3.7 D.3.3.3): the AE must propose this window; the
   * negotiated one is used (0 = unlimited, taken as this value). Default 1.
   */
  asyncOps?: number;
  /** Told about each association once established (e.g. to print its negotiation with -d). */
  onAssociation?(association: Association): void;
  /** Data set bytes read from disk (for progress). */
  onBytes?(n: number): void;
  /** File reads: synchronous (default) or through the thread pool ({@link FileIoOptions.io}). */
  io?: FileIoOptions['io'];
  onResult?(result: FileResult): void;
}

/**
 * Sends every file; resolves with one result per file (never rejects). When an association cannot
 * be made, the files not sent yet fail with that error without another attempt each (as DCMTK's
 * storescu stops): a peer that is down would otherwise cost one timeout per file. With
 * `haltOnFailure`, the files after a failed one get no result.
 */
export async function sendFiles(batches: readonly Batch[], options: SendOptions): Promise<FileResult[]> {
  const results: FileResult[] = [];
  let halted = false;
  const record = (r: FileResult) => {
    results.push(r);
    if (!r.ok && options.haltOnFailure) halted = true;
    options.onResult?.(r);
  };
  for (const [batchIndex, batch] of batches.entries()) {
    if (halted) break;
    const ae = options.makeAe(batch.contexts);
    let assoc: Association | null = null;
    const inFlight = new Set<Promise<void>>();
    // One at a time: the next file's data set, read while the current one is sent and answered.
    let ahead: { file: Part10Header; data: FileChunks } | null = null;
    for (const [index, file] of batch.files.entries()) {
      while (assoc && inFlight.size >= windowOf(assoc, options.asyncOps ?? 1)) await Promise.race(inFlight);
      const readEarlier = ahead?.file === file ? ahead.data : undefined;
      ahead = null;
      if (halted) {
        await readEarlier?.return();
        break;
      }
      // (Re)associate when needed: a peer that aborted mid-batch only costs the files in flight.
      if (!assoc || !assoc.isEstablished) {
        await Promise.all(inFlight);
        try {
          assoc = await ae.associate(await options.connect(), options.associate);
          options.onAssociation?.(assoc);
        } catch (error) {
          await readEarlier?.return();
          const unsent = [...batch.files.slice(index), ...batches.slice(batchIndex + 1).flatMap((b) => b.files)];
          for (const f of unsent) record({ file: f, ok: false, error: `association failed: ${message(error)}`, associationError: error });
          return results;
        }
      }
      const sending = sendOne(assoc, file, options, readEarlier).then(record);
      inFlight.add(sending);
      void sending.then(() => inFlight.delete(sending));
      const following = batch.files[index + 1];
      if (following && windowOf(assoc, options.asyncOps ?? 1) === 1) {
        ahead = { file: following, data: readAhead(fileChunks(following.path, following.datasetOffset, { io: options.io, onBytes: options.onBytes })) };
      }
    }
    await Promise.all(inFlight);
    if (assoc?.isEstablished) await assoc.release().catch(() => {});
  }
  return results;
}

/** Sends one file; `readEarlier` is its data set already being read ({@link readAhead}), closed if unused. */
async function sendOne(assoc: Association, file: Part10Header, options: SendOptions, readEarlier?: FileChunks): Promise<FileResult> {
  const ok = (status: number) => status === 0 || (status & 0xf000) === 0xb000;
  try {
    const exact = assoc.acceptedContexts.some(
      (c) => c.abstractSyntax === file.sopClassUid && c.transferSyntax === file.transferSyntaxUid && assoc.mayActAs(c, 'scu'),
    );
    let rsp;
    if (!exact && options.allowConversion && CONVERTIBLE.has(file.transferSyntaxUid) && file.size <= MAX_CONVERT_BYTES) {
      // Conversion needs the whole data set in memory; only done when asked for.
      await readEarlier?.return();
      // From datasetOffset: a file without File Meta Information is a data set from its first byte.
      const data = new Uint8Array(await readFile(file.path)).subarray(file.datasetOffset);
      options.onBytes?.(data.length);
      const { sopClassUid, sopInstanceUid, transferSyntaxUid } = file;
      rsp = await assoc.cStore({ sopClassUid, sopInstanceUid, transferSyntaxUid, data }, { allowConversion: true });
    } else {
      // Read as it is sent, into a few buffers the socket hands back (fileChunks, ChunkRecycler).
      const data = readEarlier ?? fileChunks(file.path, file.datasetOffset, { io: options.io, onBytes: options.onBytes });
      const input = { sopClassUid: file.sopClassUid, sopInstanceUid: file.sopInstanceUid, transferSyntaxUid: file.transferSyntaxUid, data };
      rsp = await assoc.cStore(input).catch(async (error) => {
        await data.return().catch(() => {});
        throw error;
      });
    }
    return ok(rsp.status)
      ? { file, status: rsp.status, ok: true }
      : { file, status: rsp.status, ok: false, error: `status 0x${rsp.status.toString(16).padStart(4, '0')}${comment(rsp.command)}` };
  } catch (error) {
    return { file, ok: false, error: message(error) };
  }
}

/** How many C-STOREs to keep in flight: the negotiated invoked window, at most what we asked for. */
function windowOf(assoc: Association, wanted: number): number {
  const negotiated = assoc.asyncOps.maxInvoked;
  return Math.max(1, negotiated === 0 ? wanted : Math.min(negotiated, wanted));
}

function comment(command: { ErrorComment?: unknown }): string {
  return typeof command.ErrorComment === 'string' && command.ErrorComment ? ` (${command.ErrorComment})` : '';
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
