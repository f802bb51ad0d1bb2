/**
 * A request or a final response is handed to the operating system as soon as its last PDU is
 * written (DimseProviderOptions.sendNow → DirectTransport.flush), not at the end of the task after
 * the sender's own bookkeeping; Pending responses, which come in runs, still leave together.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { socketTransport } from '../../adapters/node/socket-transport';
import { DimseProvider } from '../../src/dimse/provider';
import { CommandField, NO_DATASET, type Command } from '../../src/dimse/types';
import type { PDataTfPdu } from '../../src/pdu/types';

const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';

/** A provider whose PDUs and sendNow calls are recorded in one list, in order. */
function recording(options: { drainAfterFirstPdu?: boolean } = {}) {
  const events: string[] = [];
  let release: () => void = () => {};
  const provider = new DimseProvider({
    sendPdu: (pdu: PDataTfPdu) => {
      events.push(`pdu:${pdu.pdvs.map((p) => (p.isCommand ? 'C' : 'D') + (p.isLast ? '!' : '')).join('')}`);
      // Optionally the transport is full after the first PDU: the rest waits for a drain.
      if (options.drainAfterFirstPdu && events.length === 1) return new Promise<void>((resolve) => (release = resolve));
    },
    sendNow: () => events.push('now'),
    peerMaxPduLength: 16384,
    isAcceptedContext: () => true,
  });
  return { provider, events, drain: () => release() };
}

const echoRq: Command = { CommandField: CommandField['C-ECHO-RQ'], MessageID: 1, AffectedSOPClassUID: VERIFICATION, CommandDataSetType: NO_DATASET };
const response = (status: number): Command => ({
  CommandField: CommandField['C-FIND-RSP'],
  MessageIDBeingRespondedTo: 7,
  AffectedSOPClassUID: '1.2.840.10008.5.1.4.1.2.2.1',
  CommandDataSetType: NO_DATASET,
  Status: status,
});

describe('a request or final response is sent now, Pending responses at the end of the task', () => {
  it('sends a command-only request now, after its PDU', async () => {
    const { provider, events } = recording();
    await provider.sendMsg(echoRq, 1);
    expect(events).toEqual(['pdu:C!', 'now']);
  });

  it('sends a final response now, but not a Pending one (FF00, FF01)', async () => {
    const { provider, events } = recording();
    await provider.sendMsg(response(0xff00), 1, new Uint8Array(8));
    await provider.sendMsg(response(0xff01), 1, new Uint8Array(8));
    expect(events).toEqual(['pdu:C!D!', 'pdu:C!D!']);
    await provider.sendMsg(response(0x0000), 1);
    expect(events.slice(2)).toEqual(['pdu:C!', 'now']);
  });

  it('sends a request with a data set now once its last PDU is written, also when it had to wait', async () => {
    const { provider, events, drain } = recording({ drainAfterFirstPdu: true });
    const store: Command = { CommandField: CommandField['C-STORE-RQ'], MessageID: 2, AffectedSOPClassUID: CT, AffectedSOPInstanceUID: '1.2.3', CommandDataSetType: 0 };
    const sent = provider.sendMsg(store, 1, new Uint8Array(40_000)); // three PDUs at 16 KiB
    // The transport asked to wait after the first PDU: nothing is pushed out yet.
    expect(events).toEqual(['pdu:C!']);
    // A second message queues behind the first; it goes out (and is sent now) after it.
    const echo = provider.sendMsg(echoRq, 1);
    drain();
    await sent;
    await echo;
    expect(events).toEqual(['pdu:C!', 'pdu:D', 'pdu:D', 'pdu:D!', 'now', 'pdu:C!', 'now']);
  });
});

/** Enough of a net.Socket for socketTransport's write side, counting cork/uncork and what was written while uncorked. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  writableLength = 0;
  corked = 0;
  flushedWrites: number[] = [];
  private pending = 0;
  localAddress = '127.0.0.1';
  localPort = 1;
  remoteAddress = '127.0.0.1';
  remotePort = 2;
  corkCalls = 0;
  ended = false;
  cork() {
    this.corked++;
    this.corkCalls++;
  }
  uncork() {
    if (this.corked === 0) return;
    this.corked--;
    if (this.corked === 0 && this.pending > 0) {
      this.flushedWrites.push(this.pending);
      this.pending = 0;
    }
  }
  written: number[] = [];
  write(chunk: Uint8Array, callback?: () => void) {
    this.written.push(chunk[0]!);
    if (this.corked > 0) this.pending++;
    else this.flushedWrites.push(1);
    callback?.();
    return true;
  }
  resume() {}
  pause() {}
  end() {
    this.ended = true;
  }
  destroy() {
    this.destroyed = true;
  }
  resetAndDestroy() {
    this.destroyed = true;
  }
}

describe('DirectTransport.flush on a Node socket', () => {
  it('sends now what a tick has written (several chunks in one vectored write), and the end of the tick finds nothing more to do', async () => {
    const socket = new FakeSocket();
    const transport = socketTransport(socket as unknown as Socket, { secure: false });
    const direct = transport.direct!;
    direct.write([new Uint8Array(12), new Uint8Array(90)]);
    expect(socket.corked).toBe(1); // held for the end of the tick
    expect(socket.flushedWrites).toEqual([]);
    direct.flush!();
    expect(socket.corked).toBe(0);
    expect(socket.flushedWrites).toEqual([2]); // both chunks together
    // Written again after the flush, in the same tick: held, then sent at the end of the tick.
    direct.write([new Uint8Array(12), new Uint8Array(12)]);
    expect(socket.corked).toBe(1);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    expect(socket.corked).toBe(0);
    expect(socket.flushedWrites).toEqual([2, 2]);
    direct.flush!(); // nothing written: nothing to do
    expect(socket.flushedWrites).toEqual([2, 2]);
  });

  it('a lone small chunk goes as a plain write, without corking the socket; a large one is corked', async () => {
    const socket = new FakeSocket();
    const direct = socketTransport(socket as unknown as Socket, { secure: false }).direct!;
    direct.write([new Uint8Array(90)]);
    expect(socket.flushedWrites).toEqual([]); // held for the end of the tick
    direct.flush!();
    expect(socket.corkCalls).toBe(0);
    expect(socket.flushedWrites).toEqual([1]);
    direct.write([new Uint8Array(64)]);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    expect(socket.corkCalls).toBe(0);
    expect(socket.flushedWrites).toEqual([1, 1]);
    direct.write([new Uint8Array(1024 * 1024)]);
    expect(socket.corkCalls).toBe(1);
    direct.flush!();
    expect(socket.flushedWrites).toEqual([1, 1, 1]);
  });

  it('a second write in the tick sends the held chunk first, in the same vectored write', () => {
    const socket = new FakeSocket();
    const direct = socketTransport(socket as unknown as Socket, { secure: false }).direct!;
    direct.write([Uint8Array.of(1)]);
    direct.write([Uint8Array.of(2), Uint8Array.of(3)]);
    expect(socket.corked).toBe(1);
    direct.flush!();
    expect(socket.flushedWrites).toEqual([3]);
    expect(socket.written).toEqual([1, 2, 3]);
  });

  it('close() sends a held chunk before the end', async () => {
    const socket = new FakeSocket();
    const transport = socketTransport(socket as unknown as Socket, { secure: false });
    transport.direct!.write([new Uint8Array(10)]);
    const closing = transport.close();
    expect(socket.flushedWrites).toEqual([1]); // before end()
    expect(socket.ended).toBe(true);
    socket.emit('close');
    await closing;
  });
});

describe('a data set in memory is sent as fragments of the peer maximum', () => {
  /** The PDVs of each PDU as kind and length, e.g. 'C!:90 D:16378'. */
  function lengths() {
    const pdus: string[] = [];
    const provider = new DimseProvider({
      sendPdu: (pdu: PDataTfPdu) => void pdus.push(pdu.pdvs.map((p) => `${p.isCommand ? 'C' : 'D'}${p.isLast ? '!' : ''}:${p.data.byteLength}`).join(' ')),
      peerMaxPduLength: 16384,
      isAcceptedContext: () => true,
    });
    return { provider, pdus };
  }
  const store = (id: number): Command => ({ CommandField: CommandField['C-STORE-RQ'], MessageID: id, AffectedSOPClassUID: CT, AffectedSOPInstanceUID: '1.2.3', CommandDataSetType: 0 });

  it('an empty data set as one empty last PDV', async () => {
    const { provider, pdus } = lengths();
    await provider.sendMsg(store(1), 1, new Uint8Array(0));
    expect(pdus.at(-1)).toMatch(/D!:0$/);
    expect(pdus.join(' ').match(/D/g)).toHaveLength(1);
  });

  it('exactly two fragments: the second is the last, none empty', async () => {
    const { provider, pdus } = lengths();
    await provider.sendMsg(store(2), 1, new Uint8Array(2 * 16378));
    const data = pdus.join(' ').split(' ').filter((p) => p.startsWith('D'));
    expect(data).toEqual(['D:16378', 'D!:16378']);
  });
});
