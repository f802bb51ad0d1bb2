/**
 * A scripted DICOM peer over one side of a transport pair (like pynetdicom tests/parrot.py):
 * sends raw bytes or PDUs, and collects what the other side writes, framed by the 6-byte PDU
 * header only (PS3.8 §9.3.1), so tests can assert exact bytes.
 */
import { decodePdu } from '../../../src/pdu/decode';
import { encodePdu } from '../../../src/pdu/encode';
import type { Pdu } from '../../../src/pdu/types';
import type { Transport } from '../../../src/transport';
import { hex, PduFramer, toHex } from '../../helpers/pdu-bytes';

/** One PDU as it came off the wire. */
export interface RawPdu {
  readonly type: number;
  readonly bytes: Uint8Array;
}

export { hex, toHex };

export class ScriptedPeer {
  /** Complete PDUs received and not yet taken by take()/expectPdu(). */
  readonly pdus: RawPdu[] = [];
  /** True once the other side ended its output (we read end-of-stream) or the stream errored. */
  ended = false;
  /** The read error, if the stream errored (reset). */
  readError: unknown = undefined;
  private readonly framer = new PduFramer();
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;

  constructor(readonly transport: Transport) {
    this.writer = transport.writable.getWriter();
    this.writer.closed.catch(() => undefined);
    void this.readLoop();
  }

  /** Writes raw bytes (hex text or bytes). Errors (peer gone) are ignored. */
  send(bytes: Uint8Array | string): void {
    const data = typeof bytes === 'string' ? hex(bytes) : bytes;
    this.writer.write(data).catch(() => undefined);
  }

  /** Encodes and writes a PDU. */
  sendPdu(pdu: Pdu): void {
    this.send(encodePdu(pdu));
  }

  /** Removes and returns the oldest complete PDU received, or undefined. */
  take(): RawPdu | undefined {
    return this.pdus.shift();
  }

  /** Removes the oldest PDU, asserting one is there, and decodes it. */
  takeDecoded(): Pdu {
    const raw = this.take();
    if (!raw) throw new Error('scripted peer: no PDU received');
    return decodePdu(raw.bytes);
  }

  /** Ends our output (TCP FIN). */
  end(): void {
    this.writer.close().catch(() => undefined);
  }

  /** Destroys the connection (TCP RST). */
  rst(): void {
    this.transport.abort(new Error('scripted peer reset'));
  }

  /** Bytes received that do not yet form a complete PDU. */
  get pending(): number {
    return this.framer.pending;
  }

  private async readLoop(): Promise<void> {
    const reader = this.transport.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.append(value);
      }
    } catch (error) {
      this.readError = error;
    }
    this.ended = true;
  }

  private append(chunk: Uint8Array): void {
    for (const bytes of this.framer.push(chunk)) this.pdus.push({ type: bytes[0]!, bytes });
  }
}
