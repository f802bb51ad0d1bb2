/**
 * findscu, getscu, movescu against qrscp, all in-process over TCP on 127.0.0.1: output, files
 * written, exit codes and one-line reasons, the default information model; qrscp's C-MOVE dialer
 * (connect timeout, cancel while connecting); plus `-k` key parsing.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findscu } from '../../adapters/cli/findscu';
import { getscu } from '../../adapters/cli/getscu';
import { movescu } from '../../adapters/cli/movescu';
import { qrscp } from '../../adapters/cli/qrscp';
import { buildQuery, formatIdentifier } from '../../adapters/cli/query-keys';
import { connectTcp } from '../../adapters/node/tcp';
import { ApplicationEntity } from '../../src/ae';
import { readPart10 } from '../../src/dataset/codec';
import { ARCHIVE, part10, startQrscp, writeArchive } from './helpers/qr-fixtures';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, sink: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) } };
}

let root: string;
let port: number;
let movePort: number;
let stop: () => Promise<number>;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'qr-cli-'));
  writeArchive(path.join(root, 'archive'));
  movePort = await freePort();
  ({ port, stop } = await startQrscp(['--dir', path.join(root, 'archive'), '-aet', 'QRSCP', '--move-destination', `MOVESCU=127.0.0.1:${movePort}`]));
});
afterAll(async () => {
  expect(await stop()).toBe(0);
  rmSync(root, { recursive: true, force: true });
});

describe('findscu', () => {
  it('prints each match as a block and exits 0', async () => {
    const { out, err, sink } = io();
    const code = await findscu(['127.0.0.1', String(port), '-S', '-aec', 'QRSCP', '-k', 'QueryRetrieveLevel=STUDY', '-k', 'PatientName=DOE*', '-k', 'StudyInstanceUID', '-k', '(0008,0061)'], sink);
    expect(err.join('\n')).toMatch(/2 matches, final status 0x0000 \(Success\)/);
    expect(code).toBe(0);
    expect(out.filter((l) => l.startsWith('# Match'))).toHaveLength(2);
    expect(out.join('\n')).toContain('(0020,000D) UI StudyInstanceUID');
    expect(out.join('\n')).toContain('[CT\\SR]');
  });

  it('--json prints one object per line; -w writes rsp files; -P patient root', async () => {
    const { out, sink } = io();
    const dir = path.join(root, 'rsp');
    expect(await findscu(['127.0.0.1', String(port), '-P', '--json', '-w', dir, '-k', 'PatientID', '-k', 'NumberOfPatientRelatedStudies'], sink)).toBe(0);
    const rows = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => r.PatientID).sort()).toEqual(['P1', 'P2']);
    expect(readdirSync(dir).sort()).toEqual(['rsp0001.dcm', 'rsp0002.dcm']);
  });

  it('--cancel N sends C-CANCEL after N matches and still exits 0', async () => {
    const { out, err, sink } = io();
    expect(await findscu(['127.0.0.1', String(port), '-S', '--cancel', '1', '-k', 'QueryRetrieveLevel=IMAGE', '-k', 'StudyInstanceUID=1.2.9.3', '-k', 'SeriesInstanceUID=1.2.9.3.1', '-k', 'SOPInstanceUID'], sink)).toBe(0);
    expect(out.filter((l) => l.startsWith('# Match')).length).toBe(1);
    // The SCP may finish before the C-CANCEL arrives (PS3.4 C.4.1.2.3): Cancel or Success, both fine.
    expect(err.join('\n')).toMatch(/1 match, final status 0x(FE00 \(Cancel\)|0000 \(Success\))/);
  });

  it('bad usage exits 2 and a failure status exits 1, each with one line', async () => {
    let r = io();
    expect(await findscu(['127.0.0.1', String(port), '-k', 'NoSuchThing=1'], r.sink)).toBe(2);
    expect(r.err).toEqual(["findscu: unknown attribute keyword 'NoSuchThing'"]);
    r = io();
    expect(await findscu(['127.0.0.1'], r.sink)).toBe(2);
    r = io();
    expect(await findscu(['127.0.0.1', String(port), '-O', '-k', 'QueryRetrieveLevel=IMAGE'], r.sink)).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/final status 0xC000/);
    r = io();
    expect(await findscu(['127.0.0.1', String(await freePort())], r.sink)).toBe(3); // network error
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^findscu: .*ECONNREFUSED/);
  });
});

describe('getscu', () => {
  it('stores every instance of the study in -od, as on disk', async () => {
    const od = path.join(root, 'got');
    const { err, sink } = io();
    expect(await getscu(['127.0.0.1', String(port), '-S', '-k', 'QueryRetrieveLevel=STUDY', '-k', 'StudyInstanceUID=1.2.9.1', '-od', od], sink)).toBe(0);
    expect(err.join()).toMatch(/3 completed, 0 failed/);
    expect(readdirSync(od).sort()).toEqual(['1.2.9.1.1.1.dcm', '1.2.9.1.1.2.dcm', '1.2.9.1.2.3.dcm']);
    const back = readPart10(readFileSync(path.join(od, '1.2.9.1.1.1.dcm')));
    expect(new Uint8Array(back.dataset)).toEqual(new Uint8Array(readPart10(part10(ARCHIVE[0]!)).dataset));
  });
});

describe('--io async (thread-pool file I/O)', () => {
  it('qrscp indexes and serves, getscu stores: the same instances as with the default', async () => {
    const archive = path.join(root, 'archive-async');
    writeArchive(archive);
    const qr = await startQrscp(['--dir', archive, '-aet', 'QRASYNC', '--io', 'async']);
    try {
      const od = path.join(root, 'got-async');
      const { err, sink } = io();
      expect(await getscu(['127.0.0.1', String(qr.port), '-S', '-aec', 'QRASYNC', '-k', 'QueryRetrieveLevel=STUDY', '-k', 'StudyInstanceUID=1.2.9.1', '-od', od, '--io', 'async'], sink)).toBe(0);
      expect(err.join()).toMatch(/3 completed, 0 failed/);
      expect(readdirSync(od).sort()).toEqual(['1.2.9.1.1.1.dcm', '1.2.9.1.1.2.dcm', '1.2.9.1.2.3.dcm']);
      const back = readPart10(readFileSync(path.join(od, '1.2.9.1.1.1.dcm')));
      expect(new Uint8Array(back.dataset)).toEqual(new Uint8Array(readPart10(part10(ARCHIVE[0]!)).dataset));
    } finally {
      expect(await qr.stop()).toBe(0);
    }
    const bad = io();
    expect(await getscu(['127.0.0.1', String(port), '--io', 'maybe'], bad.sink)).toBe(2);
    expect(bad.err.join()).toMatch(/--io must be 'sync' or 'async'/);
  });
});

describe('movescu', () => {
  it('--store receives the moved instances on its own port', async () => {
    const od = path.join(root, 'moved');
    const { err, sink } = io();
    const code = await movescu(['127.0.0.1', String(port), '-S', '-aet', 'MOVESCU', '--store', '--store-port', String(movePort), '-od', od,
      '-k', 'QueryRetrieveLevel=SERIES', '-k', 'StudyInstanceUID=1.2.9.3', '-k', 'SeriesInstanceUID=1.2.9.3.1'], sink);
    expect(err.join()).toMatch(/3 completed/);
    expect(code).toBe(0);
    expect(readdirSync(od)).toHaveLength(3);
  });

  it('an unknown destination fails with 0xA801 and exit 1', async () => {
    const { err, sink } = io();
    expect(await movescu(['127.0.0.1', String(port), '-aem', 'NOBODY', '-k', 'StudyInstanceUID=1.2.9.3'], sink)).toBe(1);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/0xA801/);
    expect(existsSync(path.join(root, 'NOBODY'))).toBe(false);
  });
});

describe('default information model: Patient Root (DCMTK getscu/movescu; pynetdicom findscu/getscu/movescu)', () => {
  it('getscu -k QueryRetrieveLevel=PATIENT -k PatientID=P2 works without -P', async () => {
    const od = path.join(root, 'got-patient');
    const { err, sink } = io();
    expect(await getscu(['127.0.0.1', String(port), '-k', 'QueryRetrieveLevel=PATIENT', '-k', 'PatientID=P2', '-od', od], sink), err.join('\n')).toBe(0);
    expect(readdirSync(od).sort()).toEqual(['1.2.9.3.1.1.dcm', '1.2.9.3.1.2.dcm', '1.2.9.3.1.3.dcm']);
  });

  it('movescu at PATIENT level works without -P', async () => {
    const od = path.join(root, 'moved-patient');
    const { err, sink } = io();
    const code = await movescu(['127.0.0.1', String(port), '-aet', 'MOVESCU', '--store', '--store-port', String(movePort), '-od', od,
      '-k', 'QueryRetrieveLevel=PATIENT', '-k', 'PatientID=P2'], sink);
    expect(code, err.join('\n')).toBe(0);
    expect(readdirSync(od)).toHaveLength(3);
  });

  it('findscu without a model switch queries Patient Root at PATIENT level', async () => {
    const { out, err, sink } = io();
    expect(await findscu(['127.0.0.1', String(port), '--json', '-k', 'PatientID'], sink), err.join('\n')).toBe(0);
    const rows = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => [r.QueryRetrieveLevel, r.PatientID])).toEqual(expect.arrayContaining([['PATIENT', 'P1'], ['PATIENT', 'P2']]));
    expect(rows).toHaveLength(2);
  });

  it('--help marks -P as the default', async () => {
    for (const app of [findscu, getscu, movescu]) {
      const { out, sink } = io();
      await app(['--help'], sink);
      expect(out.join('\n')).toMatch(/-P, --patient +Patient Root information model \(default\)/);
      expect(out.join('\n')).not.toMatch(/Study Root information model \(default\)/);
    }
  });
});

describe("qrscp's C-MOVE dialer", () => {
  /** A TCP server that reads and never answers: a TLS handshake with it never completes. */
  async function silentServer() {
    const sockets = new Set<net.Socket>();
    let closed = 0;
    const server = net.createServer((s) => void sockets.add(s.on('error', () => {}).on('close', () => closed++).resume()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      port: (server.address() as net.AddressInfo).port,
      /** Whether, within `ms`, a connection came and every connection was closed by the other side. */
      async allClosedWithin(ms: number) {
        const deadline = Date.now() + ms;
        while (sockets.size === 0 || closed < sockets.size) {
          if (Date.now() > deadline) return false;
          await new Promise((r) => setTimeout(r, 20));
        }
        return true;
      },
      close: () => (sockets.forEach((s) => s.destroy()), server.close()),
    };
  }
  /** A destination table with TLSDEST on `port`, TLS on. */
  function tlsDestination(destPort: number): string {
    const file = path.join(root, `dest-${destPort}.json`);
    writeFileSync(file, JSON.stringify({ TLSDEST: { host: '127.0.0.1', port: destPort, tls: true } }));
    return file;
  }
  /** `promise`, or 'hung' after `ms`. */
  async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'hung'> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const result = await Promise.race([promise, new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), ms)))]);
    clearTimeout(timer);
    return result;
  }

  it('-tn bounds the connect to a TLS destination: the pending handshake is dropped, the move does not hang', async () => {
    const silent = await silentServer();
    const qr = await startQrscp(['--dir', path.join(root, 'archive'), '--db', path.join(root, 'tn.sqlite'), '-aet', 'QRTN', '-tn', '1', '--destinations', tlsDestination(silent.port)]);
    try {
      const { err, sink } = io();
      // -tn is also qrscp's idle timeout for the requestor (no PDU from it during the move), so
      // the association may end aborted (6) as well as failed (1); either way, not hung.
      const code = await within(movescu(['127.0.0.1', String(qr.port), '-aec', 'QRTN', '-S', '-aem', 'TLSDEST', '-k', 'QueryRetrieveLevel=STUDY', '-k', 'StudyInstanceUID=1.2.9.3'], sink), 8000);
      expect([1, 6], err.join('\n')).toContain(code);
      // What proves the dialer bounded: qrscp's connection to the destination is closed.
      expect(await silent.allClosedWithin(5000)).toBe(true);
    } finally {
      silent.close();
      expect(await qr.stop()).toBe(0);
    }
  });

  it('a C-CANCEL while connecting to the destination ends the move with Cancel', async () => {
    const silent = await silentServer();
    const qr = await startQrscp(['--dir', path.join(root, 'archive'), '--db', path.join(root, 'cancel.sqlite'), '-aet', 'QRCANCEL', '--destinations', tlsDestination(silent.port)]);
    try {
      const ae = new ApplicationEntity({ aeTitle: 'MOVER' }).addRequestedContext('1.2.840.10008.5.1.4.1.2.2.2');
      const association = await ae.associate(await connectTcp({ host: '127.0.0.1', port: qr.port }), { calledAeTitle: 'QRCANCEL' });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const final = async () => {
        let last;
        for await (const p of association.cMove({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2.9.3' }, 'TLSDEST', { model: 'study', signal: controller.signal })) last = p;
        return last?.category;
      };
      expect(await within(final(), 8000)).toBe('Cancel');
      await association.release();
    } finally {
      silent.close();
      expect(await qr.stop()).toBe(0);
    }
  });
});

describe('options and help', () => {
  it('--help prints every option and exits 0', async () => {
    for (const app of [findscu, getscu, movescu, qrscp]) {
      const { out, sink } = io();
      expect(await app(['--help'], sink)).toBe(0);
      expect(out.join('\n')).toMatch(/^usage: netdicom \w+ \[options\]/);
    }
    const { out, sink } = io();
    await findscu(['-h'], sink);
    expect(out.join('\n')).toContain('-k, --key KEY[=VALUE]');
  });
  it('qrscp: a malformed --move-destination is a usage error (exit 2, one line)', async () => {
    const { err, sink } = io();
    expect(await qrscp(['0', '--dir', path.join(root, 'archive'), '--move-destination', 'bogus'], sink)).toBe(2);
    expect(err).toEqual(["qrscp: bad move destination 'bogus': expected AET=HOST:PORT"]);
  });
  it('the information model switches exclude each other', async () => {
    const { err, sink } = io();
    expect(await findscu(['127.0.0.1', '104', '-P', '-S'], sink)).toBe(2);
    expect(err).toEqual(['findscu: choose one information model, got patient and study']);
  });
});

describe('-k keys', () => {
  it('keywords, tags, return keys, lists and sequence items', () => {
    expect(buildQuery(['QueryRetrieveLevel=STUDY', '(0010,0010)=DOE*', 'StudyDate', 'StudyInstanceUID=1.2\\1.3'], {})).toEqual({
      QueryRetrieveLevel: 'STUDY', PatientName: 'DOE*', StudyDate: '', StudyInstanceUID: ['1.2', '1.3'],
    });
    expect(buildQuery(['ScheduledProcedureStepSequence[0].Modality=CT', 'ScheduledProcedureStepSequence[0].ScheduledStationAETitle', 'ReferencedStudySequence'])).toEqual({
      ScheduledProcedureStepSequence: [{ Modality: 'CT', ScheduledStationAETitle: '' }], ReferencedStudySequence: [],
    });
    expect(buildQuery(['PatientID=1'], { QueryRetrieveLevel: 'STUDY' })).toEqual({ QueryRetrieveLevel: 'STUDY', PatientID: '1' });
    expect(() => buildQuery(['PatientName[0].X=1'])).toThrow(/not a sequence/);
    expect(() => buildQuery(['(9999,9999)=1'])).toThrow(/unknown tag/);
  });
  it('formats identifiers readably', () => {
    const lines = formatIdentifier({ PatientName: [{ Alphabetic: 'DOE^J' }], ScheduledProcedureStepSequence: [{ Modality: 'CT' }], PatientID: '' });
    expect(lines[0]).toMatch(/^\(0010,0010\) PN PatientName\s+\[DOE\^J\]$/);
    expect(lines).toContain('(0040,0100) SQ ScheduledProcedureStepSequence (1 item)');
    expect(lines.join('\n')).toContain('(empty)');
  });
});
