/**
 * The Maximum Length (51H) the acceptor advertises in its A-ASSOCIATE-AC is the P-DATA-TF length
 * its PDU reader enforces (PS3.8 Annex D.1): a PDU of exactly that length is read, one byte more is
 * aborted (2,6). With maxPduLength 0 ("unlimited") or above the reader's hard cap, the cap is what
 * holds, so that is what is advertised; 0 would promise PDUs the reader refuses. Through
 * serveTransport with hand-made options, whatever range the ApplicationEntity constructor allows.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { serveTransport } from '../../src/acceptor';
import { DEFAULT_AE_OPTIONS, type AeOptions } from '../../src/options';
import { ApplicationEntity } from '../../src/ae';
import type { AssociateAcPdu, AssociateRqPdu } from '../../src/pdu/types';
import { ASSOCIATE_RQ } from '../fixtures/pdus';
import { ScriptedPeer, toHex } from './helpers/scripted-peer';

const VERIFICATION = '1.2.840.10008.1.1';
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Associates a scripted requestor with an acceptor using `maxPduLength`: the peer and the AC's 51H value. */
async function associated(maxPduLength: number): Promise<{ peer: ScriptedPeer; advertised: number; served: Promise<unknown> }> {
  const options: AeOptions = { ...DEFAULT_AE_OPTIONS, aeTitle: 'SCP', logger: silent, maxPduLength, abortLingerMs: 50 };
  const [client, server] = createMemoryPair();
  const served = serveTransport(server, options, { supported: [{ abstractSyntax: VERIFICATION, transferSyntaxes: ['1.2.840.10008.1.2'] }] }, {});
  const peer = new ScriptedPeer(client);
  peer.send(ASSOCIATE_RQ);
  for (let i = 0; i < 200 && peer.pdus.length === 0; i++) await sleep(5);
  const ac = peer.takeDecoded() as AssociateAcPdu;
  expect(ac.type).toBe('A-ASSOCIATE-AC');
  return { peer, advertised: ac.userInformation.maxLength!, served };
}

/** A P-DATA-TF header announcing `length` bytes, and the start of a PDV: the reader judges the length on the header. */
function pDataHeader(length: number): Uint8Array {
  const bytes = Uint8Array.from([0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x03]);
  new DataView(bytes.buffer).setUint32(2, length);
  new DataView(bytes.buffer).setUint32(6, length - 4);
  return bytes;
}

/** What the acceptor answers (hex) within 100 ms of `bytes`, or 'nothing'. */
async function answerTo(peer: ScriptedPeer, bytes: Uint8Array): Promise<string> {
  peer.send(bytes);
  for (let i = 0; i < 20 && peer.pdus.length === 0; i++) await sleep(5);
  const pdu = peer.take();
  return pdu ? toHex(pdu.bytes) : 'nothing';
}

describe('51H in the A-ASSOCIATE-AC = the P-DATA-TF limit the reader enforces', () => {
  it.each([
    ['16384 (the default)', 16384],
    ['4096', 4096],
    ['0 (no limit configured: the reader keeps its hard cap)', 0],
    ['100 MiB (above the hard cap)', 100 * 1024 * 1024],
  ])('maxPduLength %s: a PDU of the advertised length is read, one byte more is A-ABORT (2,6)', async (_name, maxPduLength) => {
    const first = await associated(maxPduLength);
    if (maxPduLength > 0 && maxPduLength <= 16 * 1024 * 1024) expect(first.advertised).toBe(maxPduLength);
    // 0 in 51H would mean "no maximum" (PS3.8 D.1): then any 32-bit length must be read.
    const limit = first.advertised === 0 ? 0xffffffff : first.advertised;
    expect(await answerTo(first.peer, pDataHeader(limit))).toBe('nothing');
    first.peer.rst();
    await first.served;
    if (limit === 0xffffffff) return;
    const second = await associated(maxPduLength);
    expect(await answerTo(second.peer, pDataHeader(limit + 1))).toBe('07 00 00 00 00 04 00 00 02 06');
    second.peer.end();
    await second.served;
  });

  it.each([
    ['16384', 16384],
    ['0 (no limit configured: the cap)', 0],
  ])("the requestor's 51H is its reader's limit too: maxPduLength %s", async (_name, maxPduLength) => {
    const [client, server] = createMemoryPair();
    const peer = new ScriptedPeer(server);
    const scu = new ApplicationEntity({ aeTitle: 'SCU', maxPduLength, acseTimeoutMs: 200, abortLingerMs: 50 }).addRequestedContext(VERIFICATION);
    const pending = scu.associate(client, { calledAeTitle: 'SCP' });
    pending.catch(() => undefined);
    for (let i = 0; i < 200 && peer.pdus.length === 0; i++) await sleep(5);
    const rq = peer.takeDecoded() as AssociateRqPdu;
    expect(rq.userInformation.maxLength).toBe(maxPduLength || 16 * 1024 * 1024);
    peer.rst();
    await expect(pending).rejects.toThrow();
  });
});
