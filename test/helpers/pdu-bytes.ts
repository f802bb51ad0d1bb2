/**
 * Byte helpers shared by the scripted peers (test/unit/helpers/scripted-peer.ts over a memory
 * transport, test/reliability/helpers/tcp-peer.ts over TCP): hex text both ways and framing a
 * byte stream into PDUs by the 6-byte header only (PS3.8 §9.3.1), so tests assert exact bytes.
 */

/** Hex text ("07 00 00 ...") to bytes. */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, '');
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** Bytes to "07 00 00 ..." hex text (readable assertion failures). */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}

/** Cuts a byte stream into whole PDUs: type byte, reserved byte, 32-bit big-endian length. */
export class PduFramer {
  private buffer = new Uint8Array(0);

  /** Appends `chunk`; returns the PDUs it completed, each a copy of its whole bytes. */
  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.buffer.byteLength + chunk.byteLength);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.byteLength);
    this.buffer = joined;
    const pdus: Uint8Array[] = [];
    while (this.buffer.byteLength >= 6) {
      const length = new DataView(this.buffer.buffer, this.buffer.byteOffset).getUint32(2);
      if (this.buffer.byteLength < 6 + length) break;
      pdus.push(this.buffer.slice(0, 6 + length));
      this.buffer = this.buffer.slice(6 + length);
    }
    return pdus;
  }

  /** Bytes received that do not yet form a complete PDU. */
  get pending(): number {
    return this.buffer.byteLength;
  }
}
