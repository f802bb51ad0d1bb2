/**
 * C-FIND, C-GET and C-MOVE handlers of the Query/Retrieve SCP over the index (PS3.4 C.4.1-C.4.3,
 * C.6.1 Patient Root, C.6.2 Study Root, C.6.3 Patient/Study Only), and Modality Worklist C-FIND
 * (PS3.4 K.4) from a folder of worklist items.
 */
import type { Dataset } from '../../../src/dataset/codec';
import type { AssociateRqPdu, SopClassExtendedNegotiation } from '../../../src/pdu/types';
import type { FindAnswer, MoveAnswer, QueryRequest, RequestContext, ScpHandlers } from '../../../src/scp/types';
import type { StoreInput } from '../../../src/scu/store';
import type { Transport } from '../../../src/transport';
import { compileQuery, type CompiledQuery, type MatchOptions } from '../../../src/services/query-matching';
import type { KeyFilter, QrDatabase, QrLevel } from './database';
import { atOrAbove, requiredKeys } from './levels';
import { fileChunks, readAheadOnRequest } from '../file-stream';
import type { FileIoOptions } from '../sync-read';
import { worklistItems } from './worklist';

/** Where a C-MOVE may send: AE title → address (the only way a destination is found). */
export interface MoveDestinationEntry {
  readonly host: string;
  readonly port: number;
  readonly tls?: boolean;
}

export interface QrHandlerOptions {
  readonly db: QrDatabase;
  /** Our AE title, returned as Retrieve AE Title (0008,0054). */
  readonly aeTitle: string;
  /** C-MOVE destinations by AE title. An unknown title is refused with 0xA801, never looked up as a host name. */
  readonly destinations: ReadonlyMap<string, MoveDestinationEntry>;
  /** Opens a transport to a destination (TCP/TLS in the CLI, memory pairs in tests). */
  connect(entry: MoveDestinationEntry, signal?: AbortSignal): Promise<Transport>;
  /** Folder of worklist items for Modality Worklist C-FIND. */
  readonly worklistDir?: string;
  /** Reads of the instances sent by C-GET/C-MOVE: synchronous (default) or through the thread pool. */
  readonly io?: FileIoOptions['io'];
}

const MODELS: Record<string, { levels: readonly QrLevel[]; kind: 'find' | 'get' | 'move' }> = {
  '1.2.840.10008.5.1.4.1.2.1.1': { levels: ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'], kind: 'find' },
  '1.2.840.10008.5.1.4.1.2.1.2': { levels: ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'], kind: 'move' },
  '1.2.840.10008.5.1.4.1.2.1.3': { levels: ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'], kind: 'get' },
  '1.2.840.10008.5.1.4.1.2.2.1': { levels: ['STUDY', 'SERIES', 'IMAGE'], kind: 'find' },
  '1.2.840.10008.5.1.4.1.2.2.2': { levels: ['STUDY', 'SERIES', 'IMAGE'], kind: 'move' },
  '1.2.840.10008.5.1.4.1.2.2.3': { levels: ['STUDY', 'SERIES', 'IMAGE'], kind: 'get' },
  '1.2.840.10008.5.1.4.1.2.3.1': { levels: ['PATIENT', 'STUDY'], kind: 'find' },
  '1.2.840.10008.5.1.4.1.2.3.2': { levels: ['PATIENT', 'STUDY'], kind: 'move' },
  '1.2.840.10008.5.1.4.1.2.3.3': { levels: ['PATIENT', 'STUDY'], kind: 'get' },
};
export const WORKLIST_FIND = '1.2.840.10008.5.1.4.31';
/** Every SOP class the SCP answers. */
export const QR_SOP_CLASSES = [...Object.keys(MODELS), WORKLIST_FIND];

/** Unique key of each level (PS3.4 C.6.1.1), and the filter column it narrows. */
const UNIQUE: Record<QrLevel, { key: string; column: keyof KeyFilter }> = {
  PATIENT: { key: 'PatientID', column: 'patientId' },
  STUDY: { key: 'StudyInstanceUID', column: 'studyUid' },
  SERIES: { key: 'SeriesInstanceUID', column: 'seriesUid' },
  IMAGE: { key: 'SOPInstanceUID', column: 'sopInstanceUid' },
};
/** Failed: Unable to process (PS3.4 C.4.1.1.4, C.4.2.1.5, C.4.3.1.4): dcmqrscp's answer to a C-FIND lacking a key above its level. */
const UNABLE_TO_PROCESS = 0xc000;

/**
 * The C-FIND, C-GET and C-MOVE handlers of a Query/Retrieve SCP over a {@link QrDatabase} (Patient
 * Root, Study Root and Patient/Study Only, PS3.4 C.6), plus Modality Worklist C-FIND from
 * `worklistDir` (PS3.4 K.4), and the `associate` hook that answers extended negotiation
 * ({@link queryExtendedNegotiation}: relational queries and retrieves, combined date-time
 * matching). {@link createQrScp} uses them;
 * spread them into other ScpHandlers to serve the index alongside other services.
 */
export function qrHandlers(options: QrHandlerOptions): Pick<ScpHandlers, 'associate' | 'cFind' | 'cGet' | 'cMove'> {
  return {
    associate: (rq) => ({ accept: true, extendedNegotiations: queryExtendedNegotiation(rq) }),
    cFind(request, ctx) {
      if (request.sopClassUid === WORKLIST_FIND) return worklist(options, request, ctx);
      return find(options, request, ctx);
    },
    async *cGet(request, ctx) {
      // As for C-MOVE: a C-GET on a C-FIND (or C-MOVE) model is refused, nothing sent.
      const refused = refusal(request, ctx, 'get');
      if (refused) {
        yield refused;
        return;
      }
      yield* instancesFor(options, request, ctx);
    },
    cMove(request, ctx): MoveAnswer {
      // Before the destination: a C-MOVE on a C-FIND (or C-GET) model is not served at all.
      const refused = refusal(request, ctx, 'move');
      if (refused) return refused;
      const entry = options.destinations.get(request.destination.trim());
      if (!entry) return { status: 0xa801, errorComment: `unknown move destination ${request.destination.trim()}`.slice(0, 64) };
      return {
        destination: { aeTitle: request.destination.trim(), connect: (signal) => options.connect(entry, signal) },
        instances: instancesFor(options, request, ctx),
      };
    },
  };
}

/** Matches at the request's level, each as it is found (C-CANCEL is seen within a few matches). */
async function* find(options: QrHandlerOptions, request: QueryRequest, ctx: RequestContext): AsyncGenerator<FindAnswer> {
  const refused = refusal(request, ctx, 'find');
  if (refused) {
    yield refused;
    return;
  }
  // Byte 2 of the agreed C-FIND extended negotiation: combined date-time matching (PS3.4 C.5.1.1).
  const query = compileFor(request, { combinedDateTime: ctx.association.extendedNegotiation(request.sopClassUid)?.[1] === 1 });
  let n = 0;
  for (const record of matching(options, request, query)) {
    // Let the read loop run every few matches: a socket with room completes sends without ever
    // yielding to I/O, and a C-CANCEL would then only be read after the last match. Not after
    // every match: the responses between two turns leave in one write, not one write each.
    if (n++ % MATCHES_PER_TURN === 0) await yieldToIo();
    if (ctx.signal.aborted) return;
    const response = query.project(record);
    // Asked for or not: without a File-Set ID it is how the SCU knows where to retrieve (PS3.4 C.4.1.1.3.2).
    response.RetrieveAETitle ??= options.aeTitle;
    yield response;
  }
}

/**
 * The request's identifier compiled for its level: matched on the keys of that level and those
 * above it only (a key of a lower level is no key of this one: a study has no one Modality; it is
 * not matched, as by dcmqrscp), with the Required Keys of those levels (PS3.4 C.2.2.1.2); every key
 * asked for is answered. The identifier is read here, not per candidate.
 */
function compileFor(request: QueryRequest, options: MatchOptions = {}): CompiledQuery {
  const level = levelOf(request);
  const withRequired = { ...options, requiredKeys: requiredKeys(MODELS[request.sopClassUid]!.levels[0]!, level) };
  const selecting: Dataset = {};
  let all = true;
  for (const key of Object.keys(request.identifier)) {
    if (atOrAbove(key, level)) selecting[key] = request.identifier[key];
    else if (!key.startsWith('_')) all = false;
  }
  const answer = compileQuery(request.identifier, withRequired);
  return all ? answer : { matches: compileQuery(selecting, withRequired).matches, project: answer.project };
}

/**
 * The index records that match, at the request's level. The identifier (a dcmjs Proxy when
 * decoded: a trap call per key read) is read by compileFor, not per candidate.
 */
function* matching(options: QrHandlerOptions, request: QueryRequest, query: CompiledQuery = compileFor(request)): Generator<Dataset> {
  const level = levelOf(request);
  for (const candidate of options.db.records(level, filterFor(request, level))) {
    // Each record is a new object: the level's attributes go on it in place.
    candidate.QueryRetrieveLevel = level;
    candidate.RetrieveAETitle = options.aeTitle;
    candidate.InstanceAvailability = 'ONLINE';
    if (query.matches(candidate)) yield candidate;
  }
}

/** The instances under every entity the C-GET/C-MOVE identifier selects, streamed from disk. */
async function* instancesFor(options: QrHandlerOptions, request: QueryRequest, ctx: RequestContext): AsyncGenerator<StoreInput> {
  const level = levelOf(request);
  const { key, column } = UNIQUE[level];
  const ids = new Set<string>();
  for (const record of matching(options, request)) ids.add(String(record[key] ?? ''));
  if (ids.size === 0 || ctx.signal.aborted) return;
  for (const row of options.db.instances({ [column]: [...ids] })) {
    yield { sopClassUid: row.sopClassUid, sopInstanceUid: row.sopInstanceUid, transferSyntaxUid: row.transferSyntaxUid, data: readAheadOnRequest(fileChunks(row.path, row.datasetOffset, { io: options.io })) };
  }
}

/**
 * The answers to the requestor's SOP Class Extended Negotiation items of the Query/Retrieve models
 * (PS3.4 C.5.1-C.5.3, PS3.7 D.3.3.5): relational queries (C-FIND byte 1) and relational retrieval
 * (C-MOVE, C-GET byte 1) and combined date-time matching (C-FIND byte 2) when asked for; fuzzy
 * semantic matching of person names, timezone adjustment, enhanced multi-frame image conversion
 * and the rest are not supported (0).
 */
export function queryExtendedNegotiation(rq: AssociateRqPdu): SopClassExtendedNegotiation[] {
  const answers: SopClassExtendedNegotiation[] = [];
  for (const item of rq.userInformation.extendedNegotiations ?? []) {
    const kind = MODELS[item.sopClassUid]?.kind;
    if (!kind || item.info.length === 0) continue;
    const info = new Uint8Array(item.info.length);
    if (item.info[0] === 1) info[0] = 1;
    if (kind === 'find' && item.info[1] === 1) info[1] = 1;
    answers.push({ sopClassUid: item.sopClassUid, info });
  }
  return answers;
}

/** Refused: SOP Class not supported (PS3.7 C.5): the SOP class exists here, but not for this operation. */
const REFUSED_SOP_CLASS = 0x0122;

/**
 * Why the request's SOP class is not a model of this operation, or null if it is. Each model is
 * one SOP class per operation (PS3.4 C.6: FIND, MOVE and GET UIDs), and a C-GET sent on a FIND
 * context (its Affected SOP Class the FIND UID) must fail, not be served (PS3.4 C.4): each
 * operation answers 0x0122 (SOP Class not Supported) with this text as Error Comment.
 */
function notModel(request: QueryRequest, kind: 'find' | 'get' | 'move'): string | null {
  if (MODELS[request.sopClassUid]?.kind === kind) return null;
  return `SOP class ${request.sopClassUid} is not a C-${kind.toUpperCase()} model`.slice(0, 64);
}

/** The failure a request gets before any matching: a SOP class of another kind, or an identifier not hierarchical. */
function refusal(request: QueryRequest, ctx: RequestContext, kind: 'find' | 'get' | 'move'): { status: number; errorComment: string } | undefined {
  const wrong = notModel(request, kind);
  if (wrong) return { status: REFUSED_SOP_CLASS, errorComment: wrong };
  const relational = notHierarchical(request, ctx);
  return relational ? { status: UNABLE_TO_PROCESS, errorComment: relational } : undefined;
}

/**
 * Why the identifier is not a hierarchical one (PS3.4 C.4.1.2.1, C.4.2.2.1: the unique key of
 * each level above the Query/Retrieve Level), unless relational queries or retrieval were agreed
 * for its SOP class (byte 1 of the extended negotiation, C.5): null when it may be served. As
 * dcmqrscp, only an absent key is refused: an empty one matches universally, a wild card as such
 * (the standard asks a single value; SCUs such as findscu -P with an empty PatientID rely on this).
 * An unknown level is left to {@link levelOf}, which fails it.
 */
function notHierarchical(request: QueryRequest, ctx: RequestContext): string | null {
  if (ctx.association.extendedNegotiation(request.sopClassUid)?.[0] === 1) return null;
  const levels = MODELS[request.sopClassUid]?.levels ?? [];
  const level = levels.indexOf(String(request.identifier.QueryRetrieveLevel ?? '').trim().toUpperCase() as QrLevel);
  const what = MODELS[request.sopClassUid]?.kind === 'find' ? 'queries' : 'retrieval';
  for (const above of levels.slice(0, Math.max(level, 0))) {
    const { key } = UNIQUE[above];
    if (!(key in request.identifier)) return `no ${key}: relational ${what} not negotiated`.slice(0, 64);
  }
  return null;
}


function levelOf(request: QueryRequest): QrLevel {
  const model = MODELS[request.sopClassUid];
  const level = String(request.identifier.QueryRetrieveLevel ?? '').trim().toUpperCase() as QrLevel;
  if (!model) throw new Error(`not a Query/Retrieve SOP class: ${request.sopClassUid}`);
  if (!model.levels.includes(level)) throw new Error(`Query/Retrieve Level '${level}' not in this model`);
  return level;
}

/**
 * Exact unique keys of this level and above in the model (a single value or a UID list, no wild
 * cards) narrow the index look-up. Not Patient ID in Study Root: a Required Key there, which a
 * study without one matches (PS3.4 C.2.2.1.2).
 */
function filterFor(request: QueryRequest, level: QrLevel): KeyFilter {
  const filter: Record<string, string[]> = {};
  const levels = MODELS[request.sopClassUid]!.levels;
  for (const l of levels.slice(0, levels.indexOf(level) + 1)) {
    const { key, column } = UNIQUE[l];
    const raw = request.identifier[key];
    const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string').map((v) => v.trim());
    if (values.length === 0 || values.some((v) => v === '' || /[*?\\]/.test(v))) continue;
    if (key === 'PatientID' && values.length > 1) continue; // only UIDs are list-matched
    filter[column] = values;
  }
  return filter;
}

async function* worklist(options: QrHandlerOptions, request: QueryRequest, ctx: RequestContext): AsyncGenerator<FindAnswer> {
  if (!options.worklistDir) throw new Error('no worklist configured');
  const query = compileQuery(request.identifier);
  let n = 0;
  for await (const item of worklistItems(options.worklistDir)) {
    if (n++ % MATCHES_PER_TURN === 0) await yieldToIo();
    if (ctx.signal.aborted) return;
    if (query.matches(item)) yield query.project(item);
  }
}

/** C-FIND matches (worklist items) produced between two turns of the event loop. */
const MATCHES_PER_TURN = 8;

function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
