/**
 * AE titles in an incoming A-ASSOCIATE-RQ (PS3.8 Table 9-11: 16 bytes, leading/trailing spaces are
 * padding, 16 spaces "shall not be used"; PS3.5 AE VR: no backslash, no control characters). Raw
 * RQ bytes over a memory pair, since our requestor refuses to send such titles. The answer pinned
 * (reliability.md, N-14): A-ASSOCIATE-RJ permanent, service-user, reason 7 for the
 * called and 3 for the calling AE title, before any policy hook; the log lines escape the bytes.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import type { Logger } from '../../src/logger';
import { ASSOCIATE_RQ } from '../fixtures/pdus';
import { ScriptedPeer, hex, toHex } from './helpers/scripted-peer';

const VERIFICATION = '1.2.840.10008.1.1';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const RJ_CALLED = '03 00 00 00 00 04 00 01 01 07';
const RJ_CALLING = '03 00 00 00 00 04 00 01 01 03';
/** Byte offsets of the AE title fields in an A-ASSOCIATE-RQ (PS3.8 Table 9-11). */
const CALLED_AT = 10;
const CALLING_AT = 26;

/** The fixture RQ (test/fixtures/pdus.ts: Verification and CT proposed) with 16 raw bytes put into an AE title field. */
function rqWithTitle(at: number, field: string): Uint8Array {
  const wire = Uint8Array.from(ASSOCIATE_RQ);
  const bytes = hex(field);
  expect(bytes.length).toBe(16);
  wire.set(bytes, at);
  return wire;
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (m: string) => void lines.push(m);
  return { lines, debug: log, info: log, warn: log, error: log };
}

/** Sends `wire` to an acceptor and returns its first answer, hex, with what the hooks and log saw. */
async function answerTo(wire: Uint8Array): Promise<{ answer: string; hookCalls: number; log: string[] }> {
  const [client, server] = createMemoryPair();
  const logger = recordingLogger();
  let hookCalls = 0;
  const scp = new ApplicationEntity({ aeTitle: 'SCP', logger }).addSupportedContext(VERIFICATION);
  const served = scp.handle(server, { associate: () => void hookCalls++ });
  const peer = new ScriptedPeer(client);
  peer.send(wire);
  for (let i = 0; i < 200 && peer.pdus.length === 0; i++) await sleep(5);
  const first = peer.take();
  peer.rst();
  await served;
  return { answer: first ? toHex(first.bytes) : 'nothing', hookCalls, log: logger.lines };
}

describe('the called AE title of an A-ASSOCIATE-RQ', () => {
  it.each([
    ['all spaces (PS3.8 Table 9-11: shall not be used)', '20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20'],
    ['all NUL (nothing but padding)', '00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00'],
    ['a backslash', '53 43 5C 50 20 20 20 20 20 20 20 20 20 20 20 20'],
    ['ESC, CR LF', '53 1B 43 0D 0A 50 20 20 20 20 20 20 20 20 20 20'],
    ['a NUL inside', '53 43 00 50 20 20 20 20 20 20 20 20 20 20 20 20'],
    ['DEL', '53 43 50 7F 20 20 20 20 20 20 20 20 20 20 20 20'],
    ['bytes ≥ 80H', '53 C3 A9 50 20 20 20 20 20 20 20 20 20 20 20 20'],
  ])('with %s → A-ASSOCIATE-RJ (1,1,7), no policy hook run', async (_, field) => {
    const { answer, hookCalls } = await answerTo(rqWithTitle(CALLED_AT, field));
    expect(answer).toBe(toHex(hex(RJ_CALLED)));
    expect(hookCalls).toBe(0);
  });
});

describe('the calling AE title of an A-ASSOCIATE-RQ', () => {
  it.each([
    ['all spaces', '20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20'],
    ['a backslash', '53 5C 55 20 20 20 20 20 20 20 20 20 20 20 20 20'],
    ['a control character (TAB)', '53 09 55 20 20 20 20 20 20 20 20 20 20 20 20 20'],
    ['bytes ≥ 80H', 'C3 A9 FF 80 41 20 20 20 20 20 20 20 20 20 20 20'],
  ])('with %s → A-ASSOCIATE-RJ (1,1,3), no policy hook run', async (_, field) => {
    const { answer, hookCalls } = await answerTo(rqWithTitle(CALLING_AT, field));
    expect(answer).toBe(toHex(hex(RJ_CALLING)));
    expect(hookCalls).toBe(0);
  });

  it('the log lines show its bytes escaped, never raw (reliability.md N-14)', async () => {
    const { answer, log } = await answerTo(rqWithTitle(CALLING_AT, '41 1B 5B 32 4A 0D 0A 5C C3 A9 20 20 20 20 20 20'));
    expect(answer).toBe(toHex(hex(RJ_CALLING)));
    expect(log.join('\n')).toContain(String.raw`A\x1b[2J\x0d\x0a\x5c\xc3\xa9`);
    for (const line of log) expect(line).not.toMatch(/[^\x20-\x7e]/);
  });
});

describe('AE titles that are valid', () => {
  it('leading and trailing spaces and trailing NULs are padding: the RQ is accepted', async () => {
    const called = await answerTo(rqWithTitle(CALLED_AT, '20 20 53 43 50 20 20 20 20 20 20 20 20 20 20 20'));
    expect(called.answer.slice(0, 2)).toBe('02');
    const calling = await answerTo(rqWithTitle(CALLING_AT, '53 43 55 00 00 00 00 00 00 00 00 00 00 00 00 00'));
    expect(calling.answer.slice(0, 2)).toBe('02');
    expect(calling.hookCalls).toBe(1);
  });

  it('spaces inside and every other printable character are allowed (PS3.5 AE VR)', async () => {
    const { answer } = await answerTo(rqWithTitle(CALLING_AT, '4D 59 20 41 45 7E 21 2F 3A 5B 5D 7B 7D 2D 5F 2E'));
    expect(answer.slice(0, 2)).toBe('02');
  });
});
