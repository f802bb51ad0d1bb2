import { describe, expect, it } from 'vitest';
import { RequestWindow } from '../../src/dimse/request-window';

/** Message IDs 1, 2, 3, … skipping those in use, as Association.nextMessageId does. */
function ids() {
  let next = 0;
  return (inUse: (id: number) => boolean) => {
    do next++;
    while (inUse(next));
    return next;
  };
}

describe('RequestWindow.open', () => {
  it('gives the Message ID at once, not a promise, while a slot is free', () => {
    const window = new RequestWindow(2);
    const pick = ids();
    expect(window.open(pick)).toBe(1);
    expect(window.open(pick)).toBe(2);
    expect(window.size).toBe(2);
  });

  it('waits while the window is full, and takes the slot a final response frees', async () => {
    const window = new RequestWindow(1);
    const pick = ids();
    expect(window.open(pick)).toBe(1);
    const second = window.open(pick);
    expect(second).toBeInstanceOf(Promise);
    expect(window.queued).toBe(1);
    window.close(1, true);
    await expect(second).resolves.toBe(2);
    expect(window.isOutstanding(2)).toBe(true);
  });

  it('rejects with the abort reason, queued or already aborted', async () => {
    const window = new RequestWindow(1);
    const pick = ids();
    window.open(pick);
    const controller = new AbortController();
    const queued = window.open(pick, controller.signal);
    controller.abort(new Error('stop'));
    await expect(queued).rejects.toThrow('stop');
    expect(window.queued).toBe(0);
    await expect(window.open(pick, AbortSignal.abort(new Error('before')))).rejects.toThrow('before');
  });

  it('an already-aborted signal takes no slot, even a free one', async () => {
    const window = new RequestWindow(2);
    const pick = ids();
    await expect(window.open(pick, AbortSignal.abort(new Error('before')))).rejects.toThrow('before');
    expect(window.size).toBe(0);
    expect(window.open(pick)).toBe(1); // no Message ID was used up
  });

  it('rejects once the association has failed, queued or not', async () => {
    const window = new RequestWindow(1);
    const pick = ids();
    window.open(pick);
    const queued = window.open(pick);
    window.fail(new Error('gone'));
    await expect(queued).rejects.toThrow('gone');
    await expect(window.open(pick)).rejects.toThrow('gone');
  });

  it('an unlimited window (0) never waits', () => {
    const window = new RequestWindow(0);
    const pick = ids();
    for (let i = 1; i <= 100; i++) expect(window.open(pick)).toBe(i);
  });
});

describe('RequestWindow.giveUp', () => {
  it('keeps the slot of a request whose caller gave up until its final response', async () => {
    const window = new RequestWindow(1);
    const pick = ids();
    expect(window.open(pick)).toBe(1);
    window.giveUp(1);
    expect([window.isOutstanding(1), window.isAbandoned(1), window.size]).toEqual([true, true, 1]);
    const second = window.open(pick);
    expect(second).toBeInstanceOf(Promise); // the peer still performs the first
    window.close(1, true);
    await expect(second).resolves.toBe(2);
    expect(window.isAbandoned(1)).toBe(false); // answered: a second response would be unexpected
  });

  it('or until it is given up for good (DIMSE timeout, association end), still abandoned', () => {
    const window = new RequestWindow(1);
    window.open(ids());
    window.giveUp(1);
    window.close(1, false);
    expect([window.isOutstanding(1), window.isAbandoned(1), window.size]).toEqual([false, true, 0]);
    window.giveUp(7); // unknown: ignored
    expect(window.isAbandoned(7)).toBe(false);
  });
});
