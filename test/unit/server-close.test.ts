/**
 * The SCP server's shutdown over TCP (issue 3): a graceful close() stops accepting but lets
 * running associations finish; close({ force: true }) aborts them.
 */
import { describe, expect, it } from 'vitest';
import { connectTcp, listenTcp } from '../../adapters/node';
import { ApplicationEntity } from '../../src/ae';
import { AssociationAbortedError, TransportError } from '../../src/errors';

const VERIFICATION = '1.2.840.10008.1.1';

async function start() {
  const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(VERIFICATION);
  const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
  const server = scp.serve(listener);
  const scu = new ApplicationEntity({ aeTitle: 'SCU', abortLingerMs: 100 }).addRequestedContext(VERIFICATION);
  const connect = async () => scu.associate(await connectTcp({ host: '127.0.0.1', port: listener.port }), { calledAeTitle: 'SCP' });
  return { server, connect, port: listener.port };
}

describe('Server.close', () => {
  it('graceful: refuses new connections, lets the running association finish, then resolves', async () => {
    const { server, connect, port } = await start();
    const assoc = await connect();
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    expect((await assoc.cEcho()).status).toBe(0);
    await expect(connectTcp({ host: '127.0.0.1', port })).rejects.toBeInstanceOf(TransportError);
    await assoc.release();
    await closing;
    expect(closed).toBe(true);
    expect(server.associations.size).toBe(0);
  });

  it('force: aborts running associations and resolves', async () => {
    const { server, connect } = await start();
    const assoc = await connect();
    await server.close({ force: true });
    const info = await assoc.closed;
    expect(info.reason).toBe('aborted');
    await expect(assoc.cEcho()).rejects.toBeInstanceOf(AssociationAbortedError);
  });

  it('force: the peer gets the A-ABORT PDU (source 0, service-user), not a bare connection loss', async () => {
    const { server, connect } = await start();
    const assoc = await connect();
    await server.close({ force: true });
    const { error } = await assoc.closed;
    expect(error).toBeInstanceOf(AssociationAbortedError);
    expect((error as AssociationAbortedError).abort).toEqual({ source: 0, reason: 0 });
  });
});
