/**
 * Read back-pressure on queued messages (reliability.md S-11): with nobody waiting for a message,
 * input waits once 16 are queued, and reads on once they are down to 8 (not after each one taken,
 * which in a run of C-FIND matches cost a pause and a wake-up per message), or at once when
 * someone waits for a message.
 */
import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../../src/dimse/command-set';
import { DimseProvider } from '../../src/dimse/provider';
import { CommandField, NO_DATASET } from '../../src/dimse/types';
import type { PDataTfPdu } from '../../src/pdu/types';

const echoRq = (id: number): PDataTfPdu => ({
  type: 'P-DATA-TF',
  pdvs: [{ contextId: 1, isCommand: true, isLast: true, data: encodeCommand({ CommandField: CommandField['C-ECHO-RQ'], MessageID: id, AffectedSOPClassUID: '1.2.840.10008.1.1', CommandDataSetType: NO_DATASET }) }],
});

function provider(): DimseProvider {
  return new DimseProvider({ sendPdu: () => undefined, peerMaxPduLength: 16384, isAcceptedContext: () => true });
}

/** Feeds requests until input is held; returns how many went in and whether the hold has ended. */
function fillUntilHeld(p: DimseProvider) {
  let id = 1;
  let hold: void | Promise<void>;
  while (!(hold = p.receivePrimitive(echoRq(id++)))) if (id > 100) throw new Error('input never held');
  const state = { fed: id - 1, released: false };
  void hold.then(() => (state.released = true));
  return state;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('input held for a full queue', () => {
  it('is held at 16 queued messages and reads on once 8 are left', async () => {
    const p = provider();
    const state = fillUntilHeld(p);
    expect(state.fed).toBe(16);
    for (let taken = 1; taken <= 8; taken++) {
      expect(p.takeQueued()?.command.MessageID).toBe(taken);
      await settle();
      expect(state.released, `after taking ${taken}`).toBe(taken === 8);
    }
  });

  it('reads on at once when someone waits for a message that is not queued', async () => {
    const p = provider();
    const state = fillUntilHeld(p);
    const waiting = p.getMsg({ match: (m) => m.command.MessageID === 99, timeoutMs: 1000 });
    await settle();
    expect(state.released).toBe(true);
    void p.receivePrimitive(echoRq(99));
    expect((await waiting)?.command.MessageID).toBe(99);
  });
});
