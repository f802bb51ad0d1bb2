/**
 * An on-disk C-STORE sink (PS3.4 Annex B, PS3.10 §7.1): each instance becomes a Part 10 file in
 * one directory. The data set is streamed to a temporary file in that directory, fsynced, and
 * renamed to its final name only once the whole data set arrived, so a file under a final name
 * is always complete (reliability.md P-01..P-06, X-01, X-05). On any failure the temp file is
 * closed and removed, and no write lands after its removal.
 */
import { closeSync, fsync as fsyncFd, mkdirSync, openSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writevSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { encodeMetaGroup } from '../../src/dataset/meta';
import { PART10_HEAD } from '../../src/dataset/part10';
import { StructureWalker } from '../../src/dataset/structure-stream';
import { DimseError } from '../../src/errors';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../../src/options';
import type { RequestContext, StatusResult, StoreRequest } from '../../src/scp/types';
import { transferSyntax } from '../../src/uids/transfer-syntax';

/** Failure: out of resources (PS3.4 B.2.3) — disk full, read-only, permission denied. */
export const OUT_OF_RESOURCES = 0xa700;
/** Failure: cannot understand (PS3.4 B.2.3) — the association ended mid-data set, or the data set is cut short or malformed. */
export const CANNOT_UNDERSTAND = 0xc000;

/** Suffix of temporary files; {@link FsStore.sweep} removes leftovers of a crashed run. */
export const TEMP_SUFFIX = '.netdicom-part';

/**
 * Age after which {@link FsStore.sweep} removes a temp file whose writer it cannot prove dead (a
 * live pid, another host, an older naming). A writer touches its file with every batch, so a live
 * one is far younger than this; a day is generous even for a peer that stalls mid data set.
 */
export const STALE_TEMP_MS = 24 * 60 * 60 * 1000;

/**
 * Bytes gathered before one `writev`: fewer system calls than one write per PDV fragment, small
 * enough to overlap the network (async) or to hold the event loop only briefly (sync).
 */
const WRITE_BATCH = 256 * 1024;
/** …and at most this many buffers per `writev` (below IOV_MAX, 1024 on Linux). */
const MAX_BUFFERS = 512;
/** O_CREAT|O_EXCL|O_WRONLY: a temp file is never a pre-planted file or a followed symlink. */
const TEMP_FLAGS = 'wx';

/** What {@link createFsStore} is told. */
export interface FsStoreOptions {
  /** Output directory (created if missing). */
  directory: string;
  /** Receive and discard every data set (answers success, writes nothing). */
  ignore?: boolean;
  /**
   * fsync each file before the rename, and the directory after it (default true): a success status
   * then means durable, the file's name included.
   */
  fsync?: boolean;
  /** (0002,0012) and (0002,0013) written in the File Meta Information. */
  implementationClassUid?: string;
  implementationVersionName?: string;
  /**
   * Walk each data set's element, item and delimiter headers as it streams in, and refuse
   * (0xC000, nothing stored) one that ends mid-element or inside a sequence (default true;
   * reliability.md D-10). Values are skipped by their lengths, so the cost does not grow with pixel
   * data; deflated transfer syntaxes are not walked. `false` stores whatever bytes arrive, as
   * DCMTK's `storescp +B` does.
   */
  checkStructure?: boolean;
  /**
   * What file names end in after the SOP Instance UID (default `.dcm`; DCMTK's `storescp -fe`):
   * letters, digits, `.`, `_` and `-` only, at most 16, so a name can never leave the directory.
   */
  fileExtension?: string;
  /** Called after each instance is stored (or discarded, with `path` undefined). */
  onStored?(info: StoredInfo): void;
  /** Called when an instance could not be stored. */
  onFailed?(info: { sopInstanceUid: string; error: unknown; status: number }): void;
  /**
   * How the file is written (default `'sync'`): synchronous `open`/`writev`/`close`/`rename`, each
   * call putting at most 256 KiB into the page cache, which costs far less CPU than a thread-pool
   * hop per call; the fsync stays asynchronous. Choose `'async'` (`fs/promises`, one batch written
   * while the next arrives) for slow or network file systems where one write can block for
   * milliseconds, so that other associations are not stalled meanwhile.
   */
  io?: 'sync' | 'async';
  /**
   * Opens a temporary file for writing (default: `openSync(path, 'wx', 0o644)`, or with `io:
   * 'async'` `fs/promises` `open`). A seam for fault injection: tests wrap the handle to fail
   * writes with ENOSPC or EIO (reliability P-06). When given, files are written the `'async'` way
   * whatever {@link FsStoreOptions.io} says.
   */
  openTemp?(path: string): Promise<FileHandle>;
}

/** One stored instance. */
export interface StoredInfo {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntax: string;
  readonly callingAeTitle: string;
  /** Data set bytes received (without the meta group). */
  readonly bytes: number;
  /** Final path; undefined in ignore mode. */
  readonly path?: string;
}

/** A C-STORE handler (`ScpHandlers.cStore`) that writes into a directory. */
export interface FsStore {
  readonly directory: string;
  /** The handler: pass it as `{ cStore: store.cStore }`. */
  cStore(request: StoreRequest, ctx: RequestContext): Promise<StatusResult>;
  /**
   * Deletes temporary files left by a run that was killed: those of a process of this host that
   * is gone, and any older than {@link STALE_TEMP_MS}; another live store's (another process, or
   * a store of this one) are kept. Returns how many were removed.
   */
  sweep(): number;
  /** The file name an instance would get (exposed for tests and tools). */
  fileName(sopInstanceUid: string): string;
}

/** A well-formed UID (PS3.5 §9.1): digits and dots only, no empty component, at most 64 characters. */
const UID_SHAPE = /^[0-9]+(\.[0-9]+)*$/;

/**
 * The file name for a SOP Instance UID from the network. A well-formed UID is used as-is (it can
 * contain only digits and dots, never a separator, and `.dcm` makes "." and ".." impossible);
 * anything else becomes a hash of it, so two different hostile values never share a name.
 */
export function safeFileName(sopInstanceUid: string): string {
  if (sopInstanceUid.length <= 64 && UID_SHAPE.test(sopInstanceUid)) return `${sopInstanceUid}.dcm`;
  // node:crypto only here, on first need: loading it costs a receiver ~3 MiB of resident memory (Node 26).
  const { createHash } = process.getBuiltinModule('node:crypto');
  return `x${createHash('sha256').update(sopInstanceUid, 'utf8').digest('hex').slice(0, 40)}.dcm`;
}

/**
 * A per-store prefix for temporary names: `<pid>.<host>.<process>.<store>-`, all base 36, so that
 * sweep() can tell whose a file is. The host matters because a pid means something only on the
 * host that wrote it (a directory shared over the network, or between containers); the process
 * tag tells this process from an earlier one that had the same pid (pid 1 in a restarted
 * container). Not secret and not node:crypto (see safeFileName); 'wx' refuses any clash anyway.
 */
const HOST_TAG = fnv1a(hostname()).toString(36);
const PROCESS_TAG = Math.floor(Math.random() * 2 ** 48).toString(36);
let storeCount = 0;
function tempNamePrefix(): string {
  return `${process.pid.toString(36)}.${HOST_TAG}.${PROCESS_TAG}.${(storeCount++).toString(36)}-`;
}
const TEMP_NAME = /^\.([0-9a-z]+)\.([0-9a-z]+)\.([0-9a-z]+)\.[0-9a-z]+-[0-9a-z]+\.netdicom-part$/;

/** Whether a temp file can belong to no live writer, so sweep() may remove it. */
function abandonedTemp(name: string, modifiedMs: number): boolean {
  if (Date.now() - modifiedMs > STALE_TEMP_MS) return true;
  const [, pid36, host, processTag] = TEMP_NAME.exec(name) ?? [];
  if (pid36 === undefined || host !== HOST_TAG) return false; // whose, or how alive, is not known here
  const pid = parseInt(pid36, 36);
  if (pid === process.pid) return processTag !== PROCESS_TAG; // an earlier process with our pid
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'; // EPERM: alive, another user's
  }
}

/** 32-bit FNV-1a of a string's UTF-16 code units: a short, stable tag for the host name. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** Creates an on-disk store; the directory is created now so configuration errors show at start. */
export function createFsStore(options: FsStoreOptions): FsStore {
  mkdirSync(options.directory, { recursive: true });
  // Resolve symlinks once: containment checks compare against the real directory.
  const directory = realpathSync(options.directory);
  const fsync = options.fsync ?? true;
  // Temporary names: the store's prefix, then a counter (no random draw per file).
  const tempPrefix = tempNamePrefix();
  let tempCount = 0;
  const openTemp = options.openTemp ?? (options.io === 'async' ? (temp: string) => open(temp, TEMP_FLAGS, 0o644) : undefined);

  const implementationClassUid = options.implementationClassUid ?? IMPLEMENTATION_CLASS_UID;
  const implementationVersionName = options.implementationVersionName ?? IMPLEMENTATION_VERSION_NAME;

  /**
   * The final path of an instance: the directory joined by hand (no `path.resolve`/`relative`
   * per file: those are among the largest functions V8 optimises in a store run). safeFileName
   * can only return a name of digits, dots and hex with `.dcm`, so the check is a second fence.
   */
  const extension = options.fileExtension ?? '.dcm';
  if (!FILE_EXTENSION.test(extension)) throw new RangeError(`fileExtension must be up to 16 letters, digits, '.', '_' or '-', not ${JSON.stringify(extension)}`);
  const fileName = (uid: string): string => safeFileName(uid).slice(0, -'.dcm'.length) + extension;
  const finalPath = (uid: string): string => {
    const name = safeFileName(uid);
    if (!SAFE_NAME.test(name)) throw new Error(`refusing file name outside ${directory}: ${JSON.stringify(uid)}`);
    return `${directory}${path.sep}${extension === '.dcm' ? name : fileName(uid)}`;
  };

  async function receive(request: StoreRequest, ctx: RequestContext): Promise<StatusResult> {
    if (options.ignore) return discard(request, ctx);
    const target = finalPath(request.sopInstanceUid);
    const temp = `${directory}${path.sep}.${tempPrefix}${(tempCount++).toString(36)}${TEMP_SUFFIX}`;
    const progress: CopyProgress = { phase: 'disk' };
    let file: TempFile | undefined;
    try {
      // Network chunks are lent (the socket's read buffers): each goes back once written. (`?.`:
      // a request made by hand, e.g. in a test or a wrapper, may come without releaseChunk.)
      const written = (batch: Uint8Array[]) => {
        for (let i = 0; i < batch.length; i++) request.releaseChunk?.(batch[i]!);
      };
      file = openTemp ? asyncTempFile(temp, await openTemp(temp), written) : syncTempFile(temp, written);
      const meta = encodeMetaGroup({
        MediaStorageSOPClassUID: request.sopClassUid,
        MediaStorageSOPInstanceUID: request.sopInstanceUid,
        TransferSyntaxUID: request.transferSyntax,
        ImplementationClassUID: implementationClassUid,
        ImplementationVersionName: implementationVersionName,
        SourceApplicationEntityTitle: ctx.peerAeTitle.trim() || undefined,
      });
      const structure = options.checkStructure === false ? undefined : structureWalker(request.transferSyntax);
      const bytes = await copyDataset(request, file, [PART10_HEAD, meta], progress, structure);
      await file.commit(target, fsync);
      options.onStored?.({ ...storedInfo(request, ctx), bytes, path: target });
      return 0x0000;
    } catch (error) {
      await file?.abandon(); // no write may land after the temp file is removed
      await rm(temp, { force: true }).catch(() => {});
      // The peer's side (its association ended, its data set is malformed) or ours (the disk).
      const status = progress.phase === 'network' || error instanceof DimseError ? CANNOT_UNDERSTAND : OUT_OF_RESOURCES;
      options.onFailed?.({ sopInstanceUid: request.sopInstanceUid, error, status });
      const message = error instanceof Error ? error.message : String(error);
      return { status, errorComment: message.slice(0, 64) };
    }
  }

  /** Ignore mode: the data set is read to its end and dropped. */
  async function discard(request: StoreRequest, ctx: RequestContext): Promise<StatusResult> {
    let bytes = 0;
    for await (const chunk of request.chunks({ lent: true })) {
      bytes += chunk.byteLength;
      request.releaseChunk?.(chunk);
    }
    options.onStored?.({ ...storedInfo(request, ctx), bytes });
    return 0x0000;
  }

  return {
    directory,
    cStore: receive,
    fileName,
    sweep() {
      let removed = 0;
      for (const name of readdirSync(directory)) {
        if (!name.startsWith('.') || !name.endsWith(TEMP_SUFFIX)) continue;
        const file = path.join(directory, name);
        const info = statSync(file, { throwIfNoEntry: false }); // gone already: renamed or removed by its writer
        if (!info || !abandonedTemp(name, info.mtimeMs)) continue;
        rmSync(file, { force: true });
        removed++;
      }
      return removed;
    },
  };
}

/** What safeFileName returns: digits, dots and lower-case hex, then `.dcm`; never a separator, "." or "..". */
const SAFE_NAME = /^[0-9a-z][0-9a-z.]*\.dcm$/;
/** A {@link FsStoreOptions.fileExtension}: appended to a safe name, it cannot make a separator, "." or "..". */
export const FILE_EXTENSION = /^[0-9A-Za-z._-]{0,16}$/;

/** The part of an instance's {@link StoredInfo} known from its request. */
function storedInfo(request: StoreRequest, ctx: RequestContext) {
  return {
    sopClassUid: request.sopClassUid,
    sopInstanceUid: request.sopInstanceUid,
    transferSyntax: request.transferSyntax,
    callingAeTitle: ctx.peerAeTitle,
  };
}

/** Where a copy is when it fails: waiting for the network (the peer) or writing to disk (us). */
interface CopyProgress {
  phase: 'disk' | 'network';
}

/**
 * Writes `head` and then the request's data set into `file` in batches of about WRITE_BATCH bytes,
 * walking its structure if given one; returns the data set's length. `progress.phase` says which
 * side a failure came from.
 */
async function copyDataset(request: StoreRequest, file: TempFile, head: Uint8Array[], progress: CopyProgress, structure?: StructureWalker): Promise<number> {
  let batch = head;
  let batched = 0;
  for (let i = 0; i < head.length; i++) batched += head[i]!.byteLength;
  let bytes = 0;
  // The chunks iterator, not `request.data`: no web stream per instance (see StoreRequest.chunks).
  const source = request.chunks({ lent: true });
  const chunks = source[Symbol.asyncIterator]();
  for (;;) {
    progress.phase = 'network';
    const { done, value } = await chunks.next();
    progress.phase = 'disk';
    // What else has arrived joins the batch without an await per fragment (a read holds many).
    for (let chunk = done ? undefined : value; chunk; chunk = source.takeArrived?.()) {
      structure?.push(chunk);
      batch.push(chunk);
      batched += chunk.byteLength;
      bytes += chunk.byteLength;
      if (batched >= WRITE_BATCH || batch.length >= MAX_BUFFERS) {
        const writing = file.write(batch);
        if (writing) await writing;
        batch = [];
        batched = 0;
      }
    }
    if (done) {
      structure?.finish(); // before the last write: a cut-short data set is never committed
      if (batched > 0) await file.write(batch);
      return bytes;
    }
  }
}

/**
 * A structural check of the data set as it streams through (reliability.md D-10), for the
 * transfer syntaxes whose bytes can be walked: not a deflated one (the walk would need inflating
 * it) nor an unknown one.
 */
function structureWalker(uid: string): StructureWalker | undefined {
  const syntax = transferSyntax(uid);
  return syntax && !syntax.deflated ? new StructureWalker(syntax.explicitVr, syntax.littleEndian) : undefined;
}

/**
 * A temporary file being written: batches in, then renamed to its final name or abandoned. Each
 * batch is passed to the `written` callback it was made with once the file no longer needs its
 * memory (the write finished or failed); a batch never written (abandoned) is not.
 */
interface TempFile {
  /** Writes one batch; an error surfaces here or at the next call (async: overlapped writes). */
  write(chunks: Uint8Array[]): void | Promise<void>;
  /** Waits for the writes, fsyncs if asked, closes and renames the file to `target`. */
  commit(target: string, fsync: boolean): Promise<void>;
  /** Waits for a write in flight and closes the file; never throws. */
  abandon(): Promise<void>;
}

const fsyncCallback = promisify(fsyncFd);

/**
 * Synchronous calls: each writes ≤ 256 KiB into the page cache (tens of µs), cheaper than a
 * thread-pool hop and a promise per call. Only fsync, which can take milliseconds, is asynchronous.
 */
function syncTempFile(temp: string, written: (chunks: Uint8Array[]) => void): TempFile {
  const fd = openSync(temp, TEMP_FLAGS, 0o644);
  let isOpen = true;
  const close = (): void => {
    if (!isOpen) return;
    isOpen = false; // never twice: after a failed close the descriptor number may be reused already
    closeSync(fd);
  };
  return {
    write(chunks) {
      try {
        writeAllSync(fd, chunks);
      } finally {
        written(chunks);
      }
    },
    async commit(target, fsync) {
      if (fsync) await fsyncCallback(fd);
      close();
      renameSync(temp, target);
      // Failing here fails the store although the file is in place: success must mean durable,
      // and the sender's retry replaces the file.
      if (fsync) await syncDirectory(path.dirname(target));
    },
    async abandon() {
      try {
        close();
      } catch {
        // the file is removed next anyway
      }
    },
  };
}

/**
 * Where a directory cannot be opened or fsynced (Windows: EISDIR or EPERM; some file systems:
 * EINVAL), there is nothing more to do for it.
 */
const DIRECTORY_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL', 'ENOTSUP']);

/**
 * fsyncs a directory, so that a rename in it survives a power loss (the file's own fsync does not
 * cover its directory entry). The same calls as the file's writes: synchronous open and close
 * with an asynchronous fsync, or `fs/promises` throughout.
 */
async function syncDirectory(directory: string, io: 'sync' | 'async' = 'sync'): Promise<void> {
  try {
    if (io === 'async') {
      const handle = await open(directory, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } else {
      const fd = openSync(directory, 'r');
      try {
        await fsyncCallback(fd);
      } finally {
        closeSync(fd);
      }
    }
  } catch (error) {
    if (!DIRECTORY_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
}

/** `fs/promises`: one batch is written while the next is read from the network, so they overlap. */
function asyncTempFile(temp: string, handle: FileHandle, written: (chunks: Uint8Array[]) => void): TempFile {
  let writing: Promise<void> = Promise.resolve();
  return {
    async write(chunks) {
      await writing;
      writing = writeAll(handle, chunks);
      // Settled means the thread pool's writev returned: the chunks' memory is free either way.
      writing.then(
        () => written(chunks),
        () => written(chunks),
      );
      writing.catch(() => undefined); // observed by the next write, commit or abandon
    },
    async commit(target, fsync) {
      await writing;
      if (fsync) await handle.sync();
      await handle.close();
      await rename(temp, target);
      if (fsync) await syncDirectory(path.dirname(target), 'async');
    },
    async abandon() {
      await writing.catch(() => {});
      await handle.close().catch(() => {});
    },
  };
}

/** Writes every chunk, retrying short writes (`writev` may write less than asked). */
async function writeAll(handle: FileHandle, chunks: Uint8Array[]): Promise<void> {
  for (let pending = chunks; pending.length > 0; ) pending = unwritten(pending, (await handle.writev(pending)).bytesWritten);
}

/** {@link writeAll} with `writevSync`. */
function writeAllSync(fd: number, chunks: Uint8Array[]): void {
  for (let pending = chunks; pending.length > 0; ) pending = unwritten(pending, writevSync(fd, pending));
}

/** What is left of `chunks` once their first `written` bytes are on disk. */
function unwritten(chunks: Uint8Array[], written: number): Uint8Array[] {
  // A writev that moves nothing without an error would otherwise be retried forever.
  if (written === 0 && chunks.some((c) => c.byteLength > 0)) throw new Error('writev wrote 0 bytes');
  let skip = written;
  const rest: Uint8Array[] = [];
  for (const c of chunks) {
    if (skip >= c.byteLength) skip -= c.byteLength;
    else {
      rest.push(skip > 0 ? c.subarray(skip) : c);
      skip = 0;
    }
  }
  return rest;
}
