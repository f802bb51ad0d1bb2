/**
 * A C-STORE whose data set source fails (a file that cannot be read, an input sent twice): before
 * the command has gone out the request is refused and the association goes on; once part of the
 * message has gone out it cannot be completed or taken back (PS3.7 has no way to cancel a half-sent
 * message), so the association is aborted rather than left with a half-sent message that would
 * turn the next one into garbage for the peer.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import { AssociationAbortedError } from '../../src/errors';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const VERIFICATION = '1.2.840.10008.1.1';

async function pair() {
  const stored: number[] = [];
  const scp = new ApplicationEntity({ aeTitle: 'SCP', maxPduLength: 4096 }).addSupportedContext(CT, [EXPLICIT]).addSupportedContext(VERIFICATION);
  const scu = new ApplicationEntity({ aeTitle: 'SCU', maxPduLength: 4096 }).addRequestedContext(CT, [EXPLICIT]).addRequestedContext(VERIFICATION);
  const [client, server] = createMemoryPair();
  scp.handle(server, { async cStore(request) { stored.push((await request.bytes()).byteLength); return 0; } });
  const assoc = await scu.associate(client, { calledAeTitle: 'SCP' });
  return { assoc, stored };
}

const input = (data: AsyncIterable<Uint8Array>) => ({ sopClassUid: CT, sopInstanceUid: '1.2.3', transferSyntaxUid: EXPLICIT, data });

describe('a data set source that fails', () => {
  it('before anything is sent: the C-STORE rejects with its error and the association goes on', async () => {
    const { assoc, stored } = await pair();
    const refusing = { [Symbol.asyncIterator](): AsyncIterator<Uint8Array> { throw new Error('sent already'); } };
    await expect(assoc.cStore(input(refusing))).rejects.toThrow('sent already');
    expect((await assoc.cEcho()).status).toBe(0);
    expect((await assoc.cStore(input((async function* () { yield new Uint8Array(10); })()))).status).toBe(0);
    expect(stored).toEqual([10]);
    await assoc.release();
  });

  it('after part of the data set has gone out: the association is aborted, the C-STORE rejects with the cause', async () => {
    const { assoc, stored } = await pair();
    const failing = (async function* () {
      yield new Uint8Array(20_000); // several PDUs go out
      throw new Error('EIO: read failed');
    })();
    const error = await assoc.cStore(input(failing)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/EIO: read failed/);
    // Ended by us, without another request: a peer left waiting for the rest would hang until its timeout.
    const closed = await assoc.closed;
    expect(closed.reason).toBe('aborted');
    expect(closed.error?.message).toMatch(/aborted by the local service user/);
    const next = await assoc.cEcho().catch((e: unknown) => e);
    expect(next).toBeInstanceOf(AssociationAbortedError);
    expect((next as Error).message).toMatch(/data set could not be sent whole: EIO: read failed/);
    expect(stored).toEqual([]);
  });
});
