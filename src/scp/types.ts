/**
 * What SCP handlers receive and return (PS3.4 service behaviour, PS3.7 response fields).
 */
import type { Association } from '../association';
import type { Command } from '../dimse/types';
import type { AssociateRqPdu, SopClassExtendedNegotiation } from '../pdu/types';
import type { Dataset } from '../scu/types';
import type { StoreInput } from '../scu/store';
import type { Transport } from '../transport';

/** A status, or a status with the optional response fields of PS3.7 §9.1/§10.1. */
export type StatusResult =
  | number
  | {
      readonly status: number;
      readonly errorComment?: string;
      readonly errorId?: number;
      readonly offendingElement?: number[];
    };

/** What every handler is told about the request. */
export interface RequestContext {
  readonly association: Association;
  readonly contextId: number;
  readonly abstractSyntax: string;
  readonly transferSyntax: string;
  readonly command: Command;
  readonly messageId: number;
  /** The peer's AE title. */
  readonly peerAeTitle: string;
  /**
   * Aborts on C-CANCEL for this request (C-FIND/GET/MOVE) or when the association ends. Made on
   * first use, by a getter of the library's context: a copy made by spreading (`{ ...ctx }`) does
   * not carry it, so pass `ctx` itself (or `ctx.signal`) on.
   */
  readonly signal: AbortSignal;
}

/**
 * A C-STORE request whose data set arrives as a stream of its encoded bytes. The library's requests
 * are class instances: `data` is a getter and the functions are methods, so call them on the
 * request (`request.chunks()`), and do not copy a request by spreading it.
 */
export interface StoreRequest {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly priority: number;
  readonly transferSyntax: string;
  readonly moveOriginator?: { readonly aeTitle: string; readonly messageId: number };
  /**
   * The encoded data set (in `transferSyntax`), streamed as it arrives. Read it at most once, and
   * either this or {@link StoreRequest.chunks}, not both. Made when first read.
   */
  readonly data: ReadableStream<Uint8Array>;
  /**
   * The same bytes as `data`, as an async iterable of chunks (`for await (const c of request.chunks())`):
   * no web stream is made, which saves tens of µs per instance on Node 20. Read at most once.
   * Chunks are the handler's to keep.
   *
   * With `{ lent: true }` they are views of the transport's read buffers instead (Node TCP
   * sockets read into reused memory; other transports give their chunks as usual): hand each one
   * back with {@link StoreRequest.releaseChunk} as soon as nothing reads it any more (written to
   * disk, copied), and never touch it after that. One that is never handed back is simply not
   * reused. Without the option each lent chunk is copied for the handler, which costs about what
   * Node's own allocation per read did.
   */
  chunks(options?: { lent?: boolean }): StoreChunks;
  /** Hands back a chunk from `chunks({ lent: true })` (see there); does nothing otherwise. At most once per chunk. */
  releaseChunk(chunk: Uint8Array): void;
  /**
   * Collects the whole data set into one buffer. A data set that arrived as one piece is that
   * piece, which may be a view of a larger buffer; one in several pieces is copied into a buffer
   * of its own.
   *
   * With `{ shared: true }` the pieces may instead be joined where they arrived, without a copy
   * (over a WebSocket, inside the message they came in: in a browser new memory can cost far more
   * than the copy, see bench/HISTORY.md). The result is then a view of a buffer that holds other
   * bytes too, possibly other data sets and input the association has yet to read: read it
   * through `byteOffset`/`byteLength`, never transfer its `.buffer` (to a worker) or write into
   * it, and `slice()` it to keep one data set of many without the rest.
   */
  bytes(options?: { shared?: boolean }): Promise<Uint8Array>;
  /** Collects and decodes the data set with dcmjs (a deflated one inflates up to `maxDatasetLength`, else it throws). */
  dataset(): Promise<Dataset>;
}

/** {@link StoreRequest.chunks}: the data set's chunks as they arrive. */
export interface StoreChunks extends AsyncIterable<Uint8Array> {
  /**
   * A chunk that has arrived already, without a promise; undefined when none has (then iterate to
   * wait for the next). Always there on requests the library makes; optional for requests made by
   * hand (tests, wrappers). A handler that writes in batches takes a socket read's worth of fragments
   * in one go: `for await (const c of chunks) { batch.push(c); for (let m = chunks.takeArrived?.(); m; m = chunks.takeArrived?.()) batch.push(m); … }`.
   */
  takeArrived?(): Uint8Array | undefined;
}

/** A query (C-FIND/GET/MOVE) as the SCP sees it. */
export interface QueryRequest {
  readonly sopClassUid: string;
  readonly identifier: Dataset;
  readonly priority: number;
}

/**
 * What a C-FIND handler yields: a match; a match with a specific Pending status (0xFF01:
 * optional keys unsupported); or a final status that ends the C-FIND (e.g. 0xA700 out of
 * resources, 0xC000 unable to process; PS3.4 C.4.1.1.4), sent without an identifier and with the
 * optional Error Comment. Nothing after a final status is sent.
 */
export type FindAnswer = Dataset | { readonly status: number; readonly identifier: Dataset } | { readonly status: number; readonly errorComment?: string };

/** Where a C-MOVE sends its sub-operations. */
export interface MoveDestination {
  readonly aeTitle: string;
  connect(signal?: AbortSignal): Promise<Transport>;
}

/**
 * What a C-GET handler yields, and the `instances` of a C-MOVE handler's answer: the instances to
 * send (one C-STORE sub-operation each), or a status, which ends the list (PS3.4 C.4.2.1.5,
 * C.4.3.1.4). Nothing after a status is read, and the handler's generator is closed.
 *
 * - Success (`{ status: 0 }`): the instances named before it are sent, and the final status is
 *   the computed one (Success, 0xB000, or 0xA702 when every sub-operation failed).
 * - Cancel (0xFE00): nothing is sent; the final response counts the instances named as remaining.
 * - Any other (e.g. `{ status: 0xA701, errorComment: 'index busy' }`, Refused: out of resources,
 *   unable to calculate number of matches; 0xA900 identifier does not match SOP class; 0xCxxx
 *   unable to process): the final response at once, with its Error Comment / Error ID / Offending
 *   Element. Nothing is sent: the instances named before it count as failed sub-operations and
 *   are listed (Failed SOP Instance UID List); yielded first, the counts are zero. For C-MOVE no
 *   association to the destination is opened.
 *
 * Pending (0xFF00, 0xFF01) is not a final status: yielding it is answered like a throw, 0xC000.
 *
 * At most 65,535 instances: the sub-operation counts are 16-bit (US). The 65,536th ends the
 * reading (the generator is closed), and the operation is refused with 0xA702 (out of resources,
 * unable to perform sub-operations) before any sub-operation, with zero counts.
 *
 * An instance goes on a context in its own transfer syntax. When the peer (the C-MOVE destination,
 * or the C-GET requestor) accepted the SOP class in another uncompressed syntax only, an instance
 * in Implicit VR LE, Explicit VR LE or Explicit VR BE is converted to it losslessly: `part10`,
 * `data` as a Uint8Array, and `data` as a stream, which is then read whole first, at most the
 * association's `maxDatasetLength` (a larger one is cancelled and its sub-operation fails), one
 * such stream at a time; a C-CANCEL stops the reading. A compressed instance (Deflated Explicit
 * VR LE included) is never converted: its sub-operation fails.
 */
export type RetrieveAnswer = StoreInput | StatusResult;

/**
 * A C-MOVE handler's answer: where to send, and what (the `instances` may end with a status, see
 * {@link RetrieveAnswer}); or a failure status (e.g. 0xA801 unknown destination). The instances go
 * on one association to the destination, or, when their SOP classes and compressed syntaxes need
 * more than 128 presentation contexts (PS3.8 §9.3.2.2), on several opened one after another
 * (`connect` is called for each), every SOP class's instances on the same one.
 */
export type MoveAnswer =
  | { readonly destination: MoveDestination; readonly instances: AsyncIterable<RetrieveAnswer> | Iterable<RetrieveAnswer> }
  | StatusResult;

/** An N-service handler's answer: a status and, where the service has one, a data set. */
export interface NAnswer {
  readonly status: number;
  readonly dataset?: Dataset | null;
  /** N-CREATE: the instance UID the SCP assigned (when the request had none; default `request.sopInstanceUid`). */
  readonly sopInstanceUid?: string;
  readonly errorComment?: string;
  /** Error ID (0000,0902), e.g. 0xA710 for an MPPS that may no longer be updated (PS3.4 F.7.2.2.4). */
  readonly errorId?: number;
  /**
   * Offending Element (0000,0901): the elements a warning or failure is about, for the
   * service-specific statuses (PS3.7 C.4.1, C.5.1-C.5.3; this library's SCPs use it for 0x0106
   * too). For 0x0105, 0x0107 and 0x0120 PS3.7 names the tags in
   * {@link NAnswer.attributeIdentifierList} instead; this library's SCPs name those of a 0x0107,
   * 0x0120 or 0x0121 answer both there and here.
   */
  readonly offendingElement?: number[];
  /**
   * Attribute Identifier List (0000,1005), AT 1-n, tags as `group << 16 | element`: PS3.7's field
   * for the attributes a 0x0105 No Such Attribute (C.5.17), 0x0107 Attribute List Warning (C.4.2)
   * or 0x0120 Missing Attribute (C.5.13) status is about. For 0x0121 Missing Attribute Value
   * PS3.7 relates the attribute list data set instead (C.5.14); this library's SCPs also name the
   * tags of a 0x0121 answer here, and in {@link NAnswer.offendingElement}. Sent in the N-GET,
   * N-SET and N-CREATE responses only (PS3.7 §10.1 gives those statuses to no other DIMSE-N
   * service) and only when not empty; the other handlers' answers leave it out.
   */
  readonly attributeIdentifierList?: number[];
  /**
   * Runs once the response has been sent, e.g. to send the N-EVENT-REPORT that follows an
   * N-ACTION (PS3.4 J.3.3). Not awaited by the serve loop; a rejection is logged.
   */
  readonly afterResponse?: () => void | Promise<void>;
}

/**
 * A DIMSE-N request (PS3.7 §10.1) as an SCP handler sees it (`nGet`, `nSet`, `nAction`, `nCreate`,
 * `nDelete`, `nEventReport` of {@link ScpHandlers}): the SOP class and instance it concerns (from
 * the Affected or Requested UID fields) and its decoded data set. For an N-CREATE without an
 * instance UID, `sopInstanceUid` is the one the SCP has assigned.
 */
export interface NRequest {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** N-GET: requested attribute tags; N-SET: empty. */
  readonly attributes: number[];
  /** N-SET modification list, N-ACTION action information, N-CREATE attributes, N-EVENT-REPORT event information. */
  readonly dataset: Dataset | null;
  /** N-ACTION Action Type ID / N-EVENT-REPORT Event Type ID. */
  readonly typeId?: number;
}

/**
 * The acceptor's decision on an association request. Accepting, it may override each context's
 * result (`contextResult`) and answer the requestor's SOP Class Extended Negotiation items
 * (`extendedNegotiations`, PS3.7 D.3.3.5): one reply per SOP class the requestor proposed an
 * item for, with the service-class-application-information the acceptor supports (for C-FIND,
 * PS3.4 C.5.1.1; for storage, B.3.1). Replies for SOP classes not proposed are dropped (and
 * logged); a SOP class without a reply is not supported, which is also what no hook means.
 */
export type AssociateDecision =
  | void
  | {
      readonly accept: true;
      readonly contextResult?: (abstractSyntax: string, contextId: number) => number | undefined;
      readonly extendedNegotiations?: readonly SopClassExtendedNegotiation[];
    }
  | { readonly reject: { readonly result: number; readonly source: number; readonly reason: number } };

/**
 * SCP handlers, one per DIMSE service (like pynetdicom's evt handlers). Any may be async.
 * A missing service handler answers a failure (0x0122 / 0x0211) except C-ECHO, which succeeds.
 */
export interface ScpHandlers {
  /** Decide on an A-ASSOCIATE-RQ after AE-title policies passed. */
  associate?(request: AssociateRqPdu, info: { remoteAddress?: string }): AssociateDecision | Promise<AssociateDecision>;
  cEcho?(ctx: RequestContext): StatusResult | Promise<StatusResult>;
  cStore?(request: StoreRequest, ctx: RequestContext): StatusResult | Promise<StatusResult>;
  cFind?(request: QueryRequest, ctx: RequestContext): AsyncIterable<FindAnswer> | Iterable<FindAnswer>;
  /** The instances to send to the requestor, possibly ending with a status ({@link RetrieveAnswer}); a throw answers 0xC000. */
  cGet?(request: QueryRequest, ctx: RequestContext): AsyncIterable<RetrieveAnswer> | Iterable<RetrieveAnswer>;
  cMove?(request: QueryRequest & { readonly destination: string }, ctx: RequestContext): MoveAnswer | Promise<MoveAnswer>;
  nGet?(request: NRequest, ctx: RequestContext): NAnswer | Promise<NAnswer>;
  nSet?(request: NRequest, ctx: RequestContext): NAnswer | Promise<NAnswer>;
  nAction?(request: NRequest, ctx: RequestContext): NAnswer | Promise<NAnswer>;
  nCreate?(request: NRequest, ctx: RequestContext): NAnswer | Promise<NAnswer>;
  nDelete?(request: NRequest, ctx: RequestContext): NAnswer | Promise<NAnswer>;
  nEventReport?(request: NRequest, ctx: RequestContext): NAnswer | Promise<NAnswer>;
  /** Notifications. */
  accepted?(association: Association): void;
  released?(association: Association): void;
  aborted?(association: Association, error: Error | undefined): void;
  rejected?(request: AssociateRqPdu, reject: { result: number; source: number; reason: number }): void;
}
