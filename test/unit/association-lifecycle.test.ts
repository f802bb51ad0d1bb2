/**
 * The association lifecycle at its edges (review findings): an association whose transport ended
 * before it was made, throwing notification handlers, an A-ASSOCIATE-AC that cannot be encoded,
 * requests without user identity, and a graceful Server.close() with connections still coming in.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryListener, createMemoryPair } from '../../adapters/memory';
import { connectTcp, listenTcp } from '../../adapters/node';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { AssociationAbortedError, AssociationRejectedError } from '../../src/errors';
import type { Logger } from '../../src/logger';
import { encodePdu } from '../../src/pdu/encode';
import type { AssociateRqPdu, UserIdentityRq } from '../../src/pdu/types';
import { AssociationPool } from '../../src/pool';
import type { NetEvent } from '../../src/telemetry';
import type { Transport } from '../../src/transport';
import { ScriptedPeer } from './helpers/scripted-peer';

const VERIFICATION = '1.2.840.10008.1.1';
const FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Resolves with `promise`'s value, or with 'pending' after `ms`. */
const within = <T>(promise: Promise<T>, ms: number) => Promise.race([promise, sleep(ms).then(() => 'pending' as const)]);

const scu = (options = {}) => new ApplicationEntity({ aeTitle: 'SCU', acseTimeoutMs: 2000, dimseTimeoutMs: 2000, ...options }).addRequestedContext(VERIFICATION);
const scpAe = (options = {}) => new ApplicationEntity({ aeTitle: 'SCP', ...options }).addSupportedContext(VERIFICATION);
const user = (name: string, positiveResponseRequested = false): UserIdentityRq => ({
  identityType: 1,
  positiveResponseRequested,
  primaryField: new TextEncoder().encode(name),
  secondaryField: new Uint8Array(0),
});

function recordingLogger(): Logger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, debug() {}, info() {}, warn() {}, error: (m: string) => void errors.push(m) };
}

/** A fake acceptor that answers the RQ with an AC and an A-ABORT written as one chunk. */
function acThenAbortPeer(): ReturnType<typeof createMemoryPair>[0] {
  const [client, server] = createMemoryPair();
  const peer = new ScriptedPeer(server);
  void (async () => {
    while (peer.pdus.length === 0) await sleep(1);
    const rq = peer.takeDecoded() as AssociateRqPdu;
    const ac = encodePdu({
      type: 'A-ASSOCIATE-AC',
      protocolVersion: 1,
      calledAeTitle: rq.calledAeTitle,
      callingAeTitle: rq.callingAeTitle,
      applicationContextName: rq.applicationContextName,
      presentationContexts: [{ id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2' }],
      userInformation: { maxLength: 16384, implementationClassUid: '1.2.3' },
    });
    const abort = encodePdu({ type: 'A-ABORT', source: 2, reason: 0 });
    const both = new Uint8Array(ac.length + abort.length);
    both.set(ac);
    both.set(abort, ac.length);
    peer.send(both);
  })();
  return client;
}

describe('an association whose transport ended before it was made', () => {
  it('requestor: AC and A-ABORT in one chunk → the association is seen ended, calls fail as aborted', async () => {
    const events: NetEvent[] = [];
    const outcome = await scu({ observe: (e: NetEvent) => void events.push(e) })
      .associate(acThenAbortPeer())
      .catch((error: unknown) => error);
    // Either the requestor reports the abort, or it hands out an association that has ended.
    if (outcome instanceof Error) {
      expect(outcome).toBeInstanceOf(AssociationAbortedError);
      return;
    }
    const assoc = outcome as Association;
    expect(assoc.isEstablished).toBe(false);
    expect(await within(assoc.closed, 1000)).toMatchObject({ reason: 'aborted' });
    await expect(assoc.cEcho()).rejects.toBeInstanceOf(AssociationAbortedError);
    expect(events.map((e) => e.type)).toContain('association-aborted');
  });

  it('requestor: the pool does not hand out such an association again', async () => {
    let connects = 0;
    const pool = new AssociationPool({ ae: scu(), connect: async () => (connects++, acThenAbortPeer()), idleTimeoutMs: 30000 });
    for (let i = 0; i < 2; i++) {
      const error = await pool.use({ peer: 'x' }, (a) => a.cEcho()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AssociationAbortedError);
    }
    expect(connects).toBe(2);
    await pool.close();
  });

  it('acceptor: the peer resets while an async associate hook runs → handle() settles, the association ends, telemetry closes', async () => {
    const [client, server] = createMemoryPair();
    const events: string[] = [];
    let accepted: Association | undefined;
    let aborted = 0;
    const scp = scpAe({ observe: (e: NetEvent) => e.type !== 'pdu' && events.push(e.type) });
    const served = scp.handle(server, { associate: () => sleep(100), accepted: (a) => (accepted = a), aborted: () => aborted++ });
    void scu().associate(client).catch(() => undefined);
    await sleep(30);
    client.abort(new Error('peer reset'));
    expect(await within(served, 2000)).toMatchObject({ reason: expect.stringMatching(/aborted|closed/) });
    if (accepted) expect(accepted.isEstablished).toBe(false);
    if (events.includes('association-accepted')) expect(aborted).toBe(1);
    expect(events.at(-1)).toBe('association-aborted');
  });

  it('acceptor over a server: the reset does not leak the association slot, close() resolves', async () => {
    const { listener, connect } = createMemoryListener();
    const server = scpAe().serve(listener, {}, { maxAssociations: 1, verifyUserIdentity: () => sleep(100).then(() => true) });
    const attacker = connect();
    void scu().associate(attacker, { userIdentity: user('bob') }).catch(() => undefined);
    await sleep(30);
    attacker.abort(new Error('reset'));
    await sleep(200);
    const assoc = await scu().associate(connect(), { userIdentity: user('bob') });
    await assoc.release();
    expect(await within(server.close(), 2000)).not.toBe('pending');
  });

  it('acceptor over TCP: the connection lost before the AC goes out → association-aborted follows association-requested', async () => {
    const events: NetEvent[] = [];
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
    void scu().associate(await connectTcp({ host: '127.0.0.1', port: listener.port })).catch(() => undefined);
    const iterator = listener[Symbol.asyncIterator]();
    const transport = (await iterator.next()).value as Transport;
    const scp = scpAe({ observe: (e: NetEvent) => e.type !== 'pdu' && events.push(e) });
    // Our side of the connection fails while the hook decides (the direct path reports it at once).
    const served = scp.handle(transport, { associate: () => (transport.abort(new Error('lost')), sleep(50)) });
    expect(await within(served, 2000)).not.toBe('pending');
    expect(events.map((e) => e.type)).toEqual(['association-requested', 'association-aborted']);
    expect(events[1]).toMatchObject({ associationId: events[0]!.associationId, side: 'acceptor', durationMs: 0, error: expect.any(String) });
    await listener.close();
  });
});

describe('notification handlers that throw', () => {
  it('accepted and rejected throwing: requests are served, the RJ is sent, errors are logged, nothing escapes', async () => {
    const logger = recordingLogger();
    const { listener, connect } = createMemoryListener();
    const fail = (name: string) => () => {
      throw new Error(`bug in ${name}`);
    };
    const server = scpAe({ logger }).serve(listener, { accepted: fail('accepted'), rejected: fail('rejected') }, { allowedCallingAeTitles: ['SCU'] });
    const assoc = await scu().associate(connect());
    expect((await assoc.cEcho()).status).toBe(0);
    await assoc.release();
    const bad = new ApplicationEntity({ aeTitle: 'BAD', acseTimeoutMs: 2000 }).addRequestedContext(VERIFICATION);
    await expect(bad.associate(connect())).rejects.toMatchObject({ result: 1, source: 1, reason: 3 });
    await server.close();
    expect(logger.errors.join('\n')).toMatch(/accepted.*bug in accepted[\s\S]*rejected.*bug in rejected/);
  });

  it.each(['released', 'aborted'] as const)('%s throwing (or rejecting): handle() still resolves', async (name) => {
    const logger = recordingLogger();
    for (const handler of [
      () => {
        throw new Error(`bug in ${name}`);
      },
      () => Promise.reject(new Error(`async bug in ${name}`)),
    ]) {
      const [client, server] = createMemoryPair();
      const served = scpAe({ logger }).handle(server, { [name]: handler });
      const assoc = await scu().associate(client);
      if (name === 'released') await assoc.release();
      else await assoc.abort();
      await expect(served).resolves.toMatchObject({ reason: name });
    }
    await sleep(0);
    expect(logger.errors).toEqual([expect.stringContaining(`bug in ${name}`), expect.stringContaining(`async bug in ${name}`)]);
  });
});

describe('an A-ASSOCIATE-AC that cannot be encoded', () => {
  it('a server response over 65533 bytes → RJ (1,1,1) at once, logged, and the acceptor ends', async () => {
    const logger = recordingLogger();
    const events: string[] = [];
    const [client, server] = createMemoryPair();
    const scp = scpAe({ logger, artimTimeoutMs: 5000, observe: (e: NetEvent) => e.type !== 'pdu' && events.push(e.type) });
    const served = scp.handle(server, {}, { verifyUserIdentity: () => new Uint8Array(70000) });
    await expect(scu().associate(client, { userIdentity: user('bob', true) })).rejects.toMatchObject({ result: 1, source: 1, reason: 1 });
    expect(await within(served, 2000)).not.toBe('pending');
    expect(logger.errors.join('\n')).toContain('70000-byte server response');
    expect(events).toEqual(['association-requested', 'association-rejected']);
  });

  it('a user information item over 64 KiB in all (caught by the encoder) → RJ (1,1,1), the acceptor ends', async () => {
    const logger = recordingLogger();
    const [client, server] = createMemoryPair();
    // 65533 bytes fit the 59H item, but not beside the other sub-items of the 50H item.
    const served = scpAe({ logger, artimTimeoutMs: 5000 }).handle(server, {}, { verifyUserIdentity: () => new Uint8Array(65533) });
    await expect(scu().associate(client, { userIdentity: user('bob', true) })).rejects.toMatchObject({ result: 1, source: 1, reason: 1 });
    expect(await within(served, 2000)).not.toBe('pending');
    expect(logger.errors.join('\n')).toContain('cannot encode the A-ASSOCIATE-AC');
  });

  it('an extended negotiation reply too long for its item is dropped; the association is accepted', async () => {
    const [client, server] = createMemoryPair();
    const scp = scpAe().addSupportedContext(FIND);
    const served = scp.handle(server, { associate: () => ({ accept: true, extendedNegotiations: [{ sopClassUid: FIND, info: new Uint8Array(70000) }] }) });
    const requestor = scu().addRequestedContext(FIND);
    const assoc = await requestor.associate(client, { extendedNegotiations: [{ sopClassUid: FIND, info: new Uint8Array([1]) }] });
    expect(assoc.extendedNegotiation(FIND)).toBeUndefined();
    await assoc.release();
    await served;
  });
});

describe('a throwing contextResult', () => {
  it('is refused (1,1,1) like any throwing policy hook; handle() resolves', async () => {
    const [client, server] = createMemoryPair();
    const contextResult = () => {
      throw new Error('bug in contextResult');
    };
    const served = scpAe().handle(server, { associate: () => ({ accept: true, contextResult }) });
    await expect(scu().associate(client)).rejects.toMatchObject({ result: 1, source: 1, reason: 1 });
    expect(await within(served, 2000)).not.toBe('pending');
  });
});

describe('requireUserIdentity', () => {
  it('rejects (1,1,1) a request without a User Identity item; one with it meets the verifier', async () => {
    const { listener, connect } = createMemoryListener();
    let calls = 0;
    const server = scpAe().serve(listener, {}, { requireUserIdentity: true, verifyUserIdentity: (id) => (calls++, new TextDecoder().decode(id.primaryField) === 'alice') });
    await expect(scu().associate(connect())).rejects.toMatchObject({ result: 1, source: 1, reason: 1 });
    await expect(scu().associate(connect(), { userIdentity: user('bob') })).rejects.toBeInstanceOf(AssociationRejectedError);
    const assoc = await scu().associate(connect(), { userIdentity: user('alice') });
    await assoc.release();
    expect(calls).toBe(2);
    await server.close();
  });

  it('requireTlsForPasscode: a passcode over a transport without TLS is refused (1,1,1) before the verifier (U-05)', async () => {
    const { listener, connect } = createMemoryListener();
    let calls = 0;
    const server = scpAe().serve(listener, {}, { requireTlsForPasscode: true, verifyUserIdentity: () => (calls++, true) });
    const passcode: UserIdentityRq = { ...user('alice'), identityType: 2, secondaryField: new TextEncoder().encode('secret') };
    await expect(scu().associate(connect(), { userIdentity: passcode })).rejects.toMatchObject({ result: 1, source: 1, reason: 1 });
    expect(calls).toBe(0);
    // Over TLS (or a wss: proxy), and a username alone without it, go on to the verifier.
    await (await scu().associate(connect({ secure: true }), { userIdentity: passcode })).release();
    await (await scu().associate(connect(), { userIdentity: user('alice') })).release();
    expect(calls).toBe(2);
    await server.close();
  });

  it('default: a request without user identity is accepted, the verifier not called (as pynetdicom and DCMTK)', async () => {
    const { listener, connect } = createMemoryListener();
    let calls = 0;
    const server = scpAe().serve(listener, {}, { verifyUserIdentity: () => (calls++, false) });
    const assoc = await scu().associate(connect());
    await assoc.release();
    expect(calls).toBe(0);
    await server.close();
  });
});

describe('a graceful Server.close() with connections still coming in', () => {
  it('a connection that has sent no RQ is closed at once, not held for ARTIM', async () => {
    const { listener, connect } = createMemoryListener();
    const server = scpAe({ artimTimeoutMs: 30000 }).serve(listener);
    connect();
    await sleep(20);
    expect(await within(server.close(), 1000)).not.toBe('pending');
  });

  it('an RQ sent on such a connection after close() gets no association', async () => {
    const { listener, connect } = createMemoryListener();
    const server = scpAe().serve(listener, {}, { maxAssociations: 1 });
    const transport = connect();
    await sleep(20);
    const closing = server.close();
    await sleep(20);
    await expect(scu().associate(transport)).rejects.toThrow();
    expect(server.associations.size).toBe(0);
    expect(await within(closing, 1000)).not.toBe('pending');
  });

  it('an RQ still being decided when close() is called → RJ (2,3,1), close() resolves', async () => {
    const { listener, connect } = createMemoryListener();
    let letThrough!: () => void;
    const verdict = new Promise<boolean>((resolve) => (letThrough = () => resolve(true)));
    let asked = false;
    const server = scpAe().serve(listener, {}, { verifyUserIdentity: () => ((asked = true), verdict) });
    const attempt = scu().associate(connect(), { userIdentity: user('alice') });
    while (!asked) await sleep(1);
    const closing = server.close();
    letThrough();
    await expect(attempt).rejects.toMatchObject({ result: 2, source: 3, reason: 1 });
    expect(await within(closing, 1000)).not.toBe('pending');
  });
});
