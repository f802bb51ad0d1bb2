/**
 * A scripted DICOM peer over one side of a transport pair (like pynetdicom tests/parrot.py):
 * sends raw bytes or PDUs, and collects what the other side writes, framed by the 6-byte PDU
 * header only (PS3.8 §9.3.1), so tests can assert exact bytes.
 */
import { decodePdu } from '../../../src/pdu/decode';
import { encodePdu } from '../../../src/pdu/encode';
import type { Pdu } from '../../../src/pdu/types';
import type { Transport } from '../../../src/transport';

/** One PDU as it came off the wire. */
export interface RawPdu {
  readonly type: number;
  readonly bytes: Uint8Array;
}

/** Hex text ("07 00 00 ...") to bytes. */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, '');
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** Bytes to "07 00 00 ..." hex text (for readable assertion failures). */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}

export class ScriptedPeer {
  /** Complete PDUs received and not yet taken by take()/expectPdu(). */
  readonly pdus: RawPdu[] = [];
  /** True once the other side ended its output (we read end-of-stream) or the stream errored. */
  ended = false;
  /** The read error, if the stream errored (reset). */
  readError: unknown = undefined;
  private buffer = new Uint8Array(0);
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
    return this.buffer.byteLength;
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
    const joined = new Uint8Array(this.buffer.byteLength + chunk.byteLength);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.byteLength);
    this.buffer = joined;
    while (this.buffer.byteLength >= 6) {
      const length = new DataView(this.buffer.buffer, this.buffer.byteOffset).getUint32(2);
      if (this.buffer.byteLength < 6 + length) return;
      this.pdus.push({ type: this.buffer[0]!, bytes: this.buffer.slice(0, 6 + length) });
      this.buffer = this.buffer.slice(6 + length);
    }
  }
}
