/**
 * Records real DCMTK sessions (issue 10, record/replay): DCMTK `echoscu` and `storescu` (one
 * small CT instance, `-R` so only the needed context is proposed) against a netdicom SCP on
 * 127.0.0.1 whose transport is wrapped by recordTransport. Each fresh recording is replayed at
 * once against a new netdicom SCP over the memory pair; the committed fixtures under
 * test/fixtures/traces/ (replayed by test/unit/replay-dcmtk.test.ts without DCMTK) are written
 * when missing or with RECORD_TRACES=1, and otherwise must show the same PDU sequence.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listenTcp } from '../../adapters/node/index';
import { ApplicationEntity } from '../../src/ae';
import { recordTransport, type Trace } from '../../src/record';
import { CT_IMAGE_STORAGE, EXPLICIT_LE, IMPLICIT_LE, ctPart10 } from '../helpers/ct-instance';
import { dcmtkVersion, killAll, requireDcmtk, run } from './helpers/dcmtk';
import { replayAgainstScp, TRACE_INSTANCE_UID } from '../helpers/replay-scp';

const haveDcmtk = requireDcmtk();
const VERIFICATION = '1.2.840.10008.1.1';
const TRACES = fileURLToPath(new URL('../fixtures/traces/', import.meta.url));

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'netdicom-record-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(killAll);

/** Runs `tool` against a recording netdicom SCP; returns the trace of its one association. */
async function record(tool: string, files: string[] = []): Promise<{ trace: Trace; output: string }> {
  const stored: string[] = [];
  const ae = new ApplicationEntity({ aeTitle: 'NETDICOM' }).addSupportedContext(VERIFICATION).addSupportedContext(CT_IMAGE_STORAGE, [EXPLICIT_LE, IMPLICIT_LE]);
  const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
  try {
    // storescu -R: propose only the contexts the files need (a small A-ASSOCIATE-RQ).
    const options = tool === 'storescu' ? ['-R'] : [];
    const ran = run(tool, ['-v', '-aec', 'NETDICOM', ...options, '127.0.0.1', String(listener.port), ...files]);
    const next = await listener[Symbol.asyncIterator]().next();
    if (next.done) throw new Error('listener closed before DCMTK connected');
    const rec = recordTransport(next.value);
    const closed = await ae.handle(rec.transport, { cStore: async (req) => (await req.bytes(), stored.push(req.sopInstanceUid), 0) });
    const { code, output } = await ran;
    expect(code, output).toBe(0);
    expect(closed.reason).toBe('released');
    if (tool === 'storescu') expect(stored).toEqual([TRACE_INSTANCE_UID]);
    // JSON round trip: what is committed is what is replayed.
    return { trace: JSON.parse(JSON.stringify(rec.trace())) as Trace, output };
  } finally {
    await listener.close();
  }
}

/** Writes the fixture when missing or asked to; else the committed one must match in PDU types. */
function keep(name: string, trace: Trace): void {
  const file = path.join(TRACES, name);
  const fixture = { version: 1, note: `DCMTK ${dcmtkVersion()} ${name.replace(/^dcmtk-|\.json$/g, '')} → netdicom SCP, recorded on the SCP side`, entries: trace.entries };
  if (!existsSync(file) || process.env.RECORD_TRACES === '1') {
    mkdirSync(TRACES, { recursive: true });
    writeFileSync(file, `${JSON.stringify(fixture, null, 1)}\n`);
    return;
  }
  const committed = JSON.parse(readFileSync(file, 'utf8')) as Trace;
  const types = (t: Trace) => t.entries.map((e) => `${e.dir}:${e.type}`);
  expect(types(trace)).toEqual(types(committed));
}

describe.skipIf(!haveDcmtk)('recording DCMTK sessions', () => {
  it('echoscu: record, replay against a fresh netdicom SCP, keep as a fixture', async () => {
    const { trace, output } = await record('echoscu');
    expect(output).toMatch(/Received Echo Response \(Success\)/);
    expect(trace.entries.map((e) => `${e.dir}:${e.type}`)).toEqual(['received:1', 'sent:2', 'received:4', 'sent:4', 'received:5', 'sent:6']);
    const replay = await replayAgainstScp(trace);
    expect(replay.mismatches).toEqual([]);
    expect(replay.reason).toBe('released');
    keep('dcmtk-echoscu.json', trace);
  });

  it('storescu: one small C-STORE, record, replay, keep as a fixture', async () => {
    const file = path.join(work, 'ct.dcm');
    writeFileSync(file, ctPart10({ sopInstanceUid: TRACE_INSTANCE_UID, transferSyntaxUid: EXPLICIT_LE, rows: 8, columns: 8 }).file);
    const { trace } = await record('storescu', [file]);
    expect(trace.entries[0]).toMatchObject({ dir: 'received', type: 1 });
    expect(trace.entries.at(-1)).toMatchObject({ dir: 'sent', type: 6 });
    const replay = await replayAgainstScp(trace);
    expect(replay.mismatches).toEqual([]);
    expect(replay.stored).toEqual([TRACE_INSTANCE_UID]);
    keep('dcmtk-storescu.json', trace);
  });
});
