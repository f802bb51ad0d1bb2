/**
 * A Query/Retrieve SCP that works out of the box (PS3.4 Annex C, K; like DCMTK's dcmqrscp +
 * wlmscpfs): indexes the Part 10 files of a folder, stores what it receives into that folder
 * (any storage SOP class) and indexes it, and answers C-FIND/C-GET/C-MOVE from the index and
 * Modality Worklist C-FIND from a folder of worklist items.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { ApplicationEntity } from '../../../src/ae';
import { loadCodec } from '../../../src/dataset/lazy';
import type { AeOptions } from '../../../src/options';
import type { ScpHandlers, StatusResult } from '../../../src/scp/types';
import type { Transport } from '../../../src/transport';
import { transferSyntaxes, TransferSyntax } from '../../../src/uids/transfer-syntax';
import { createFsStore, TEMP_SUFFIX, type FsStore } from '../fs-store';
import { QrDatabase } from './database';
import { qrHandlers, QR_SOP_CLASSES, type MoveDestinationEntry } from './handlers';
import type { FileIoOptions } from '../sync-read';
import { readForIndex, type Part10Info } from './part10-reader';
import { walkFiles } from '../walk';

export { QrDatabase, type QrLevel } from './database';
export { qrHandlers, queryExtendedNegotiation, type MoveDestinationEntry } from './handlers';
export { parseDestinations, loadDestinations } from './destinations';

/** Default index file name inside the storage folder (hidden, so it is never taken for an instance). */
export const INDEX_FILE = '.netdicom-qr.sqlite';

/**
 * Options of {@link createQrScp}: the storage folder and index file, C-MOVE destinations and how to
 * connect to them, the worklist folder, AE options, fsync and file I/O.
 */
export interface QrScpOptions {
  /** Folder indexed at start and where received instances are written. */
  readonly directory: string;
  /** The index file; default `<directory>/.netdicom-qr.sqlite`; null: in memory only. */
  readonly databaseFile?: string | null;
  /** C-MOVE destinations by AE title. */
  readonly destinations?: ReadonlyMap<string, MoveDestinationEntry>;
  /** Opens a connection to a C-MOVE destination. */
  connect(entry: MoveDestinationEntry, signal?: AbortSignal): Promise<Transport>;
  /** Folder of Modality Worklist items (.wl/.dcm). */
  readonly worklistDir?: string;
  /** AE options (title, max PDU, logger, timeouts). */
  readonly ae?: Partial<AeOptions>;
  /** fsync each received file (default true). */
  readonly fsync?: boolean;
  /** File reads and writes (index scan, sub-operations, received files): synchronous (default) or through the thread pool ({@link FileIoOptions.io}). */
  readonly io?: FileIoOptions['io'];
}

/** The SCP, ready to serve transports: `qr.ae.serve(listener, qr.handlers)`. */
export interface QrScp {
  readonly ae: ApplicationEntity;
  readonly handlers: ScpHandlers;
  readonly db: QrDatabase;
  readonly store: FsStore;
  /** Indexes new or changed files of the folder and forgets vanished ones; returns how many were added. */
  scan(): Promise<number>;
  /** Saves the index and frees it. */
  close(): Promise<void>;
}

/** Transfer syntaxes accepted for storage (ours first: uncompressed), and offered for retrieval. */
const STORAGE_SYNTAXES = [
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ImplicitVRLittleEndian,
  ...transferSyntaxes().map((t) => t.uid).filter((uid) => uid !== TransferSyntax.ExplicitVRLittleEndian && uid !== TransferSyntax.ImplicitVRLittleEndian),
];

/** C-STORE sub-operations the SCP keeps in flight at most, as far as the peer agrees (PS3.7 D.3.3.3). */
export const RETRIEVE_WINDOW = { maxInvoked: 8, maxPerformed: 1 };

/** Builds the SCP: opens (or creates) the index and scans the folder once. */
export async function createQrScp(options: QrScpOptions): Promise<QrScp> {
  const logger = options.ae?.logger;
  const io = { io: options.io };
  const store = createFsStore({ directory: options.directory, fsync: options.fsync, ...io });
  store.sweep();
  const databaseFile = options.databaseFile === undefined ? path.join(store.directory, INDEX_FILE) : options.databaseFile;
  const db = await QrDatabase.open({ file: databaseFile, onSaveError: (error) => logger?.error(`index not saved (retried on the next change): ${(error as Error)?.message ?? error}`) });
  // Loaded now, as DCMTK's dcmqrscp loads its dictionary at start: the first query should not wait for dcmjs.
  await loadCodec();
  // Retrieve sub-operations pipelined when the SCU proposes a window (C-GET) or the destination
  // agrees to one (C-MOVE); without a window item, as with DCMTK's tools, one at a time.
  const ae = new ApplicationEntity({ asyncOps: RETRIEVE_WINDOW, ...options.ae }).addSupportedContext('1.2.840.10008.1.1').acceptAnyStorage(STORAGE_SYNTAXES);
  for (const uid of QR_SOP_CLASSES) ae.addSupportedContext(uid);

  /**
   * Whether `file` should be the indexed copy of its SOP Instance UID rather than the file indexed
   * for it now. Copies of one instance (an archive's original and a corrected copy C-STOREd into
   * the folder) would otherwise replace each other in every scan, so that a restart could switch
   * which one is answered. The newer file wins (mtime); on a tie the store's own name for the UID,
   * then the path that sorts first: the same choice whatever order the files are seen in.
   */
  const preferred = (file: Part10Info): boolean => {
    const indexed = db.pathOf(file.sopInstanceUid);
    if (indexed === undefined || indexed === file.path) return true;
    const otherMs = modifiedMs(indexed);
    if (otherMs === undefined) return true; // gone (or unreachable) since it was indexed
    if (file.mtimeMs !== otherMs) return file.mtimeMs > otherMs;
    const own = path.join(store.directory, store.fileName(file.sopInstanceUid));
    if ((file.path === own) !== (indexed === own)) return file.path === own;
    return file.path < indexed;
  };

  // Sync stat, like the reads that follow (readForIndex): a thread-pool hop per file cost more than the call.
  const index = async (file: string): Promise<boolean> => {
    const info = statSync(file);
    if (db.isCurrent(file, info.size, info.mtimeMs)) return false;
    const { info: part10, attributes } = await readForIndex(file, io);
    if (!preferred(part10)) return false;
    db.add(part10, attributes);
    return true;
  };

  const scan = async (): Promise<number> => {
    for (const { sopInstanceUid, path: file } of db.paths()) {
      if (modifiedMs(file) === undefined) db.remove(sopInstanceUid); // missing or unreachable
    }
    let added = 0;
    let batch: Array<Awaited<ReturnType<typeof readForIndex>>> = [];
    // Files are read one by one, but added a batch per transaction: one commit per hundred files.
    const commit = () => {
      db.transaction(() => {
        for (const r of batch) {
          if (!preferred(r.info)) continue;
          db.add(r.info, r.attributes);
          added++;
        }
      });
      batch = [];
    };
    for (const file of await walk(store.directory)) {
      if (databaseFile && path.resolve(file).startsWith(path.resolve(databaseFile))) continue;
      try {
        const info = statSync(file);
        if (db.isCurrent(file, info.size, info.mtimeMs)) continue;
        batch.push(await readForIndex(file, io));
      } catch (error) {
        logger?.debug?.(`not indexed: ${file}: ${(error as Error).message}`);
      }
      if (batch.length >= 100) commit();
    }
    commit();
    await db.flush();
    return added;
  };

  const handlers: ScpHandlers = {
    ...qrHandlers({ db, aeTitle: ae.options.aeTitle, destinations: options.destinations ?? new Map(), connect: options.connect, worklistDir: options.worklistDir, io: options.io }),
    async cStore(request, ctx): Promise<StatusResult> {
      const result = await store.cStore(request, ctx);
      const status = typeof result === 'number' ? result : result.status;
      if (status !== 0) return result;
      try {
        await index(path.join(store.directory, store.fileName(request.sopInstanceUid)));
        return result;
      } catch (error) {
        // Stored but not understood: keep the file, tell the sender (PS3.4 B.2.3 "Cannot understand").
        return { status: 0xc000, errorComment: `stored but not indexed: ${(error as Error).message}`.slice(0, 64) };
      }
    },
  };

  await scan();
  return { ae, handlers, db, store, scan, close: () => db.close() };
}

/**
 * Every regular file under `dir` (recursively), sorted, skipping hidden files (index,
 * temporaries). Symbolic links are followed ({@link walkFiles}); a broken one is listed too, and
 * the scan then reports it as not indexed like any unreadable file.
 */
async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  const broken = (file: string) => out.push(file);
  await walkFiles(dir, { recursive: true, skip: (name) => name.startsWith('.') || name.endsWith(TEMP_SUFFIX), broken }, out);
  return out.sort();
}

/** The modification time of `file`, or undefined when it cannot be stat'ed (missing, unreachable). */
function modifiedMs(file: string): number | undefined {
  try {
    return statSync(file, { throwIfNoEntry: false })?.mtimeMs;
  } catch {
    return undefined;
  }
}
