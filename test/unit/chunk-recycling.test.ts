/**
 * Recycled data set chunks (ChunkRecycler in src/dimse/dataset-source.ts, DirectTransport.flushed):
 * a source that reuses its chunks gets each one back only after every byte of it has left in a
 * PDU and the socket has handed it to the kernel. The source here poisons a chunk the moment it
 * is recycled, so a chunk handed back early (a fragment held back by the fragmenter, a partial
 * PDU in the packer, a write still queued in the socket) corrupts what the SCP receives.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { connectTcp, connectTls, listenTcp, listenTls } from '../../adapters/node/index';
import { ApplicationEntity } from '../../src/ae';
import type { RecyclingChunks } from '../../src/index'; // the public type
import { generateTestPki } from '../interop/helpers/certs';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';

/** Chunk sizes around the fragment sizes (16 KiB and 128 KiB PDUs): tiny, exact, odd and large. */
const SIZES = [3, 100_000, 1, 16_378, 5, 1 << 20, 7, 300_000, 2, 131_066, 16_379, 11, 70_000, 1 << 19, 13];

function pattern(length: number): Uint8Array {
  return new Uint8Array(length).map((_, i) => (i * 131 + (i >> 9)) & 0xff);
}

/** Yields `bytes` as copies in chunks of SIZES (cycled); `recycle` poisons a chunk and counts it. */
function poisoningSource(bytes: Uint8Array): RecyclingChunks & { recycled: number } {
  const source = {
    recycled: 0,
    recycle(chunk: Uint8Array) {
      chunk.fill(0xee);
      source.recycled++;
    },
    async *[Symbol.asyncIterator]() {
      for (let offset = 0, i = 0; offset < bytes.length; i++) {
        const end = Math.min(bytes.length, offset + SIZES[i % SIZES.length]!);
        yield bytes.slice(offset, end);
        offset = end;
        if (i % 5 === 0) await new Promise((r) => setImmediate(r)); // let writes go out meanwhile
      }
    },
  };
  return source;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('chunk recycling', () => {
  const pki = generateTestPki();
  const bytes = pattern(5 * 1024 * 1024 + 77);
  const expected = sha(bytes);

  const cases: [string, number][] = [['TCP', 16_384], ['TCP', 131_072], ['TCP', 4_096], ['TLS', 16_384]];
  for (const [kind, maxPdu] of cases) {
    it(`over ${kind} (max PDU ${maxPdu}): chunks come back, and only once their bytes have left`, async () => {
      const hashes: string[] = [];
      const scp = new ApplicationEntity({ aeTitle: 'SCP', maxPduLength: maxPdu }).addSupportedContext(CT, [EXPLICIT]);
      const listener = kind === 'TLS'
        ? await listenTls({ host: '127.0.0.1', cert: pki.pem(pki.serverCert), key: pki.pem(pki.serverKey) })
        : await listenTcp({ host: '127.0.0.1', port: 0 });
      const serving = (async () => {
        for await (const t of listener) {
          void scp.handle(t, { async cStore(request) { hashes.push(sha(await request.bytes())); return 0; } });
        }
      })();
      const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(CT, [EXPLICIT]);
      const transport = kind === 'TLS'
        ? await connectTls({ host: '127.0.0.1', port: listener.port, ca: pki.pem(pki.caCert) })
        : await connectTcp({ host: '127.0.0.1', port: listener.port });
      const assoc = await scu.associate(transport, { calledAeTitle: 'SCP' });
      const sources = [poisoningSource(bytes), poisoningSource(bytes)];
      for (const [i, data] of sources.entries()) {
        const rsp = await assoc.cStore({ sopClassUid: CT, sopInstanceUid: `1.2.3.${i}`, transferSyntaxUid: EXPLICIT, data });
        expect(rsp.status).toBe(0);
      }
      await assoc.release();
      await listener.close();
      await serving;
      await new Promise((r) => setImmediate(r)); // releases wait for flushes, nobody waits for them
      expect(hashes).toEqual([expected, expected]);
      // Every chunk comes back, the last one too (once the message's last PDU has gone).
      const chunkCount = (() => {
        let n = 0;
        for (let offset = 0; offset < bytes.length; n++) offset += SIZES[n % SIZES.length]!;
        return n;
      })();
      for (const s of sources) expect(s.recycled).toBe(chunkCount);
    });
  }

  it('over an in-memory pipe (the peer gets the very chunks): nothing is recycled', async () => {
    const hashes: string[] = [];
    const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(CT, [EXPLICIT]);
    const [client, server] = createMemoryPair();
    void scp.handle(server, { async cStore(request) { hashes.push(sha(await request.bytes())); return 0; } });
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(CT, [EXPLICIT]);
    const assoc = await scu.associate(client, { calledAeTitle: 'SCP' });
    const data = poisoningSource(bytes);
    expect((await assoc.cStore({ sopClassUid: CT, sopInstanceUid: '1.2.3.9', transferSyntaxUid: EXPLICIT, data })).status).toBe(0);
    await assoc.release();
    expect(hashes).toEqual([expected]);
    expect(data.recycled).toBe(0);
  });
});
