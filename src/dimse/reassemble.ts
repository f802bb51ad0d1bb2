/**
 * Rebuilding DIMSE messages from PDVs (PS3.8 Annex E, PS3.7 §6.3.1).
 *
 * Command fragments are joined (bounded by maxCommandLength) and decoded once complete.
 * The data set either is buffered (bounded by maxDatasetLength; one copy at the end) or, when
 * the caller asks for it, streamed: the message is delivered as soon as its command is complete
 * and its data set arrives through a ReadableStream while the PDUs keep coming, so a large
 * instance is never held whole. Sequencing errors abort with (2,5), unknown contexts with (2,6).
 */
import { ProtocolError } from '../errors';
import type { ReleaseBytes } from '../pdu/reader';
import type { Pdv } from '../pdu/types';
import { commandElement, decodeCommand } from './command-set';
import { DatasetChunks } from './dataset-chunks';
import { concatChunks, concatOwned } from './dataset-source';
import { MESSAGES, type MessageSpec } from './messages';
import { CommandField, NO_DATASET, type Command, type CommandName } from './types';

/** Command Field values PS3.7 defines; any other cannot be answered (there is no response field for it). */
const KNOWN_COMMAND_FIELDS = new Set<number>(Object.values(CommandField));

/** Per request Command Field, the elements PS3.7 Tables 9.3-x and 10.3-x make mandatory ('M'). */
const MANDATORY: ReadonlyMap<number, ReadonlyArray<readonly [key: keyof Command, tag: number]>> = new Map(
  (Object.entries(MESSAGES) as Array<[CommandName, MessageSpec]>)
    .filter(([name]) => name.endsWith('-RQ'))
    .map(([name, spec]) => [
      CommandField[name],
      (Object.entries(spec.fields) as Array<[keyof Command, string]>).filter(([, usage]) => usage === 'M').map(([key]) => [key, commandElement(key)!.element] as const),
    ]),
);

const NONE_MISSING: readonly number[] = Object.freeze([]);

/**
 * The tags (0000,eeee) of the mandatory elements a request lacks, empty when it has them all
 * (reliability.md D-03). The decoder ensures only Command Field and Command Data Set Type, and
 * the reassembler the Message ID: the rest is for the service to refuse with a failure status.
 */
export function missingElements(command: Command): readonly number[] {
  let missing: number[] | undefined; // made only for a request that lacks something: this runs for every one
  for (const [key, tag] of MANDATORY.get(command.CommandField) ?? []) if (command[key] === undefined) (missing ??= []).push(tag);
  return missing ?? NONE_MISSING;
}

/** A message as it comes off the wire. */
export interface IncomingMessage {
  readonly contextId: number;
  readonly command: Command;
  /**
   * The buffered data set, or null when there is none, it is streamed, or it was too large. It is
   * the receiver's to keep, but may be a view into a larger buffer (a PDU, a memory pipe's chunk):
   * use `byteOffset`/`byteLength`, not its `.buffer` alone, and `slice()` it to own exactly its bytes.
   */
  readonly dataset: Uint8Array | null;
  /** The data set's fragments (views) as they arrive, when streaming was chosen for this message. */
  readonly datasetChunks?: DatasetChunks;
  /** True when a buffered data set exceeded maxDatasetLength and was discarded. */
  readonly datasetTooLarge?: boolean;
  /** With `datasetChunks`: settles when the last fragment has arrived (rejects if the association ends first). */
  readonly datasetReceived?: Promise<void>;
  /** With `datasetChunks`: drops the fragments still to come (reading them fails). */
  discardDataset?(): void;
}

export interface ReassemblerOptions {
  /** Largest command set accepted (default 64 KiB). */
  maxCommandLength?: number;
  /** Largest buffered data set (default 16 MiB); streamed data sets are not limited here. */
  maxDatasetLength?: number;
  /** Whether a presentation context ID was accepted on this association. */
  isAcceptedContext(contextId: number): boolean;
  /** Return true to receive this message's data set as a stream instead of a buffer. */
  streamDataset?(contextId: number, command: Command): boolean;
  /** Chunks the data set stream queues before the PDU reader waits for its consumer (default 16). */
  streamHighWaterMark?: number;
  /**
   * Present when PDV data are views of lent transport memory (DirectTransport.release): command
   * fragments go back once decoded, buffered data set fragments once copied into the message's
   * own buffer, streamed ones through {@link DatasetChunks}.
   */
  release?: ReleaseBytes;
}

const sequenceError = (message: string) =>
  new ProtocolError('PDV_SEQUENCE', message, { source: 2, reason: 5 });

/** Feeds PDVs in arrival order; returns the messages that became deliverable. */
export class MessageAssembler {
  private contextId = 0;
  private commandChunks: Uint8Array[] = [];
  private commandLength = 0;
  private command: Command | null = null;
  private bufferedChunks: Uint8Array[] = [];
  private datasetLength = 0;
  private tooLarge = false;
  private stream: DatasetChunks | null = null;
  /** Settles the streamed message's `datasetReceived`. */
  private received: { resolve(): void; reject(error: unknown): void } | null = null;
  private readonly maxCommand: number;
  private readonly maxDataset: number;

  constructor(private readonly options: ReassemblerOptions) {
    this.maxCommand = options.maxCommandLength ?? 64 * 1024;
    this.maxDataset = options.maxDatasetLength ?? 16 * 1024 * 1024;
  }

  /**
   * Consumes one PDV. Resolves with a deliverable message or null. When a streamed data set's
   * consumer is slow, the promise waits, which pauses the reader (back-pressure).
   */
  push(pdv: Pdv): IncomingMessage | null | Promise<null> {
    if (!this.options.isAcceptedContext(pdv.contextId)) {
      throw new ProtocolError(
        'PDV_UNKNOWN_CONTEXT',
        `PDV on presentation context ${pdv.contextId}, which was not accepted`,
        { source: 2, reason: 6 },
      );
    }
    const inMessage = this.commandChunks.length > 0 || this.command !== null;
    if (inMessage && pdv.contextId !== this.contextId) {
      throw sequenceError(`PDV on context ${pdv.contextId} inside a message on context ${this.contextId}`);
    }
    this.contextId = pdv.contextId;
    return pdv.isCommand ? this.pushCommand(pdv) : this.pushData(pdv);
  }

  /** Fails a data set stream in progress (association ended mid-message). */
  fail(error: Error): void {
    this.stream?.error(error);
    this.stream = null;
    this.received?.reject(error);
    this.received = null;
  }

  private pushCommand(pdv: Pdv): IncomingMessage | null {
    if (this.command !== null) throw sequenceError('command fragment while the data set was expected');
    this.commandLength += pdv.data.byteLength;
    if (this.commandLength > this.maxCommand) {
      throw new ProtocolError('COMMAND_TOO_LARGE', `command set exceeds ${this.maxCommand} bytes`, {
        source: 2,
        reason: 6,
      });
    }
    // A command in one PDV (nearly all) is decoded from it directly, without the fragment list.
    const whole = pdv.isLast && this.commandChunks.length === 0;
    if (!whole) this.commandChunks.push(pdv.data);
    if (!pdv.isLast) return null;
    let command: Command;
    try {
      command = decodeCommand(whole ? pdv.data : concatChunks(this.commandChunks, this.commandLength), this.maxCommand);
    } catch (error) {
      // PS3.8 leaves this to the DIMSE user: abort as service-user (0,0), like DCMTK and dcm4che.
      throw new ProtocolError('COMMAND_UNDECODABLE', `undecodable command set: ${(error as Error).message}`, { source: 0, reason: 0 }, { cause: error });
    }
    if (!KNOWN_COMMAND_FIELDS.has(command.CommandField)) {
      // Decision table (reliability.md §2.4, D-01): an unknown Command Field is an undecodable command, (0,0).
      throw new ProtocolError('COMMAND_UNDECODABLE', `unknown Command Field 0x${command.CommandField.toString(16).padStart(4, '0')}`, { source: 0, reason: 0 });
    }
    if (command.MessageID === undefined && (command.CommandField & 0x8000) === 0 && command.CommandField !== CommandField['C-CANCEL-RQ']) {
      // D-03: a request without a Message ID cannot be answered (the response must name it in
      // (0000,0120)): an undecodable command, A-ABORT (0,0) like D-01. C-CANCEL names its request instead.
      throw new ProtocolError('COMMAND_UNDECODABLE', `0x${command.CommandField.toString(16).padStart(4, '0')} request without a Message ID (0000,0110)`, { source: 0, reason: 0 });
    }
    // The decoded command holds numbers and strings, no views: the fragments are done with.
    if (whole) this.options.release?.(pdv.data);
    else {
      if (this.options.release) for (const chunk of this.commandChunks) this.options.release(chunk);
      this.commandChunks = [];
    }
    this.commandLength = 0;
    if (command.CommandDataSetType === NO_DATASET) return { contextId: this.contextId, command, dataset: null };
    this.command = command;
    if (!this.options.streamDataset?.(this.contextId, command)) return null;
    const chunks = new DatasetChunks(this.options.streamHighWaterMark ?? 16, this.options.release);
    this.stream = chunks;
    const datasetReceived = new Promise<void>((resolve, reject) => (this.received = { resolve, reject }));
    datasetReceived.catch(() => undefined); // observed by whoever awaits it
    const discardDataset = () => chunks.discardRest();
    return { contextId: this.contextId, command, dataset: null, datasetChunks: chunks, datasetReceived, discardDataset };
  }

  private pushData(pdv: Pdv): IncomingMessage | null | Promise<null> {
    const command = this.command;
    if (command === null) throw sequenceError('data set fragment without a preceding command');
    if (this.stream) return this.pushStreamed(pdv);
    const release = this.options.release;
    if (!this.tooLarge) {
      this.datasetLength += pdv.data.byteLength;
      if (this.datasetLength > this.maxDataset) {
        this.tooLarge = true;
        if (release) for (const chunk of this.bufferedChunks) release(chunk);
        this.bufferedChunks = [];
        release?.(pdv.data);
      } else if (pdv.data.byteLength > 0) {
        this.bufferedChunks.push(pdv.data);
      }
    } else release?.(pdv.data);
    if (!pdv.isLast) return null;
    const message: IncomingMessage = this.tooLarge
      ? { contextId: this.contextId, command, dataset: null, datasetTooLarge: true }
      : { contextId: this.contextId, command, dataset: concatOwned(this.bufferedChunks, this.options.release, this.datasetLength) };
    this.resetDataset();
    return message;
  }

  /** Queues a fragment for the data set's consumer; a promise when it must catch up first. */
  private pushStreamed(pdv: Pdv): null | Promise<null> {
    if (pdv.data.byteLength > 0) {
      const wait = this.stream!.push(pdv.data);
      if (wait) return wait.then(() => this.endStreamed(pdv));
    }
    return this.endStreamed(pdv);
  }

  private endStreamed(pdv: Pdv): null {
    if (pdv.isLast) {
      this.stream?.close();
      this.received?.resolve();
      this.received = null;
      this.resetDataset();
    }
    return null;
  }

  private resetDataset(): void {
    this.command = null;
    this.bufferedChunks = [];
    this.datasetLength = 0;
    this.tooLarge = false;
    this.stream = null;
  }
}
