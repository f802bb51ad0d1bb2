/**
 * Recorded DCMTK sessions replayed (issue 10, record/replay): the committed traces in
 * test/fixtures/traces/ were recorded on a netdicom SCP talking to DCMTK 3.6.7 `echoscu` and
 * `storescu` over TCP (test/interop/record-dcmtk.test.ts, RECORD_TRACES=1 to re-record). Here
 * DCMTK's side plays against a fresh netdicom SCP over the memory pair; no DCMTK needed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Trace } from '../../src/record';
import { replayAgainstScp, TRACE_INSTANCE_UID } from '../helpers/replay-scp';

const load = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/traces/${name}`, import.meta.url), 'utf8')) as Trace;
const ascii = (hex: string) => String.fromCharCode(...(hex.match(/../g) ?? []).map((h) => parseInt(h, 16)));
const sentByScp = (t: Trace) => t.entries.filter((e) => e.dir === 'sent');

describe('replaying recorded DCMTK sessions against a netdicom SCP', () => {
  it('the fixtures really are DCMTK: its implementation version name is in the A-ASSOCIATE-RQ', () => {
    for (const name of ['dcmtk-echoscu.json', 'dcmtk-storescu.json']) {
      const rq = load(name).entries[0]!;
      expect(rq).toMatchObject({ dir: 'received', type: 1 });
      expect(ascii(rq.hex)).toContain('OFFIS_DCMTK');
    }
  });

  it('echoscu: association, C-ECHO and release with no mismatches', async () => {
    const trace = load('dcmtk-echoscu.json');
    const r = await replayAgainstScp(trace);
    expect(r.mismatches).toEqual([]);
    expect(r.reason).toBe('released');
    // Same PDUs as recorded, byte for byte, after the A-ASSOCIATE-AC (which names our version).
    expect(r.sent.slice(1)).toEqual(sentByScp(trace).slice(1).map((e) => e.hex));
  });

  it('storescu: one C-STORE stored with its data set, no mismatches', async () => {
    const trace = load('dcmtk-storescu.json');
    const r = await replayAgainstScp(trace);
    expect(r.mismatches).toEqual([]);
    expect(r.reason).toBe('released');
    expect(r.stored).toEqual([TRACE_INSTANCE_UID]);
    expect(r.storedBytes[0]).toBeGreaterThan(128);
    expect(r.sent.slice(1)).toEqual(sentByScp(trace).slice(1).map((e) => e.hex));
  });

  it('a departure from the recording is reported: a C-ECHO-RQ on a context never negotiated', async () => {
    const trace = load('dcmtk-echoscu.json');
    // P-DATA-TF: 6-byte PDU header, 4-byte PDV length, then the presentation context ID (PS3.8 §9.3.5.1).
    const entries = trace.entries.map((e, i) => (i === 2 ? { ...e, hex: `${e.hex.slice(0, 20)}ff${e.hex.slice(22)}` } : e));
    const r = await replayAgainstScp({ version: 1, entries });
    expect(r.mismatches.length).toBeGreaterThan(0);
    expect(r.mismatches[0]).toMatch(/PDU 2: expected type 0x04, got 0x07/);
  });
});
