/**
 * R4 (reliability.md §3.0): nothing escapes. Every uncaught exception or unhandled rejection
 * during a test fails it; sockets and servers a test left open are torn down.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import { closeAllScps, scpTestScope } from './scp';
import { destroyAllPeers } from './tcp-peer';

const escapes: unknown[] = [];
const record = (kind: string) => (error: unknown) => escapes.push(`${kind}: ${(error as Error)?.stack ?? String(error)}`);
const onException = record('uncaughtException');
const onRejection = record('unhandledRejection');
process.on('uncaughtException', onException);
process.on('unhandledRejection', onRejection);

beforeEach(() => {
  escapes.length = 0;
  scpTestScope(true);
});

afterEach(async () => {
  await destroyAllPeers();
  await closeAllScps();
  // Let late callbacks (closing sockets, timers at abortLinger) run inside this test's window.
  await new Promise((r) => setTimeout(r, 20));
  expect(escapes, 'R4: nothing escapes').toEqual([]);
});

/** Escapes recorded so far (for tests that assert R4 mid-way). */
export function escaped(): readonly unknown[] {
  return escapes;
}
