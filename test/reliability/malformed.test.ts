/**
 * Malformed and oversized PDUs over TCP loopback against a netdicom SCP (reliability.md §3.2,
 * M-01…M-17 at L2): exact answer bytes (R1), FIN close (R2), canary during and after (R3),
 * nothing escapes (R4, setup file), and for the 0xFFFFFFFF headers no allocation (R5, figure 3).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHostile } from './helpers/case';
import { note, peakExternalGrowth, printFigures, record } from './helpers/figures';
import {
  ABORT_0_0, ABORT_USER, abortBytes, concat, ECHO_OK, fixLength, HDR_HUGE_PDATA, HDR_HUGE_RQ, HTTP, patched, pdata,
  REL_RQ, RELEASE_RP, RQ_OK, canary, startScp, TLS_HELLO, type TestScp,
} from './helpers/scp';
import { associate, PC, rqFull, storeRq } from './helpers/session';
import { hex, TcpPeer, toHex } from './helpers/tcp-peer';

let scp: TestScp;
beforeAll(async () => {
  scp = await startScp({ associatePduMax: 4096 });
});
afterAll(async () => {
  await scp.close();
  printFigures();
});

const STA2 = 'malformed, Sta2 (M)';
const STA6 = 'malformed, Sta6 (M)';
const ABORT_2_6 = abortBytes(2, 6);

describe('M-01/M-02/M-03: lengths above the caps are answered on the 6-byte header', () => {
  it('M-01: HDR_HUGE_RQ then hold → A-ABORT (0,0) on the header, no allocation, canary unaffected', async () => {
    const { peakBytes } = await peakExternalGrowth(() => runHostile(scp, { id: 'M-01', group: STA2, send: HDR_HUGE_RQ, answer: ABORT_0_0 }));
    expect(peakBytes).toBeLessThan(1024 * 1024);
    note(`allocation bound (M-01, A-ASSOCIATE FFFFFFFFH): peak extra arrayBuffers+external ${(peakBytes / 1024).toFixed(0)} KiB`);
  });

  it('M-02: HDR_HUGE_PDATA after association → A-ABORT (2,6), no allocation', async () => {
    const { peakBytes } = await peakExternalGrowth(() =>
      runHostile(scp, { id: 'M-02', group: STA6, established: true, send: HDR_HUGE_PDATA, answer: ABORT_2_6 }),
    );
    expect(peakBytes).toBeLessThan(1024 * 1024);
    note(`allocation bound (M-02, P-DATA FFFFFFFFH): peak extra arrayBuffers+external ${(peakBytes / 1024).toFixed(0)} KiB`);
  });

  it('M-03: A-ASSOCIATE-RQ of exactly associatePduMax is read; cap+1 aborts on the header', async () => {
    // Pad RQ_OK with an unknown item (skipped per §9.3.1) up to the cap of 4096.
    const pad = new Uint8Array(4096 + 6 - RQ_OK.length - 4);
    const atCap = fixLength(concat(RQ_OK, hex('77 00'), Uint8Array.of(pad.length >> 8, pad.length & 0xff), pad));
    expect(atCap.length - 6).toBe(4096);
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer, atCap);
    peer.destroy();
    await runHostile(scp, { id: 'M-03 cap+1', group: STA2, send: hex('01 00 00 00 10 01'), answer: ABORT_0_0 });
  });

  it.each([0, 1, 3, 67])('M-03: A-ASSOCIATE-RQ length %i (below the fixed fields) → A-ABORT (0,0)', async (len) => {
    const body = new Uint8Array(len);
    const wire = concat(hex('01 00'), Uint8Array.of(0, 0, 0, len), body);
    await runHostile(scp, { id: `M-03 len ${len}`, group: STA2, send: wire, answer: ABORT_0_0 });
  });

  it('M-03: P-DATA of exactly maxPduReceive (16384) is processed; 16385 → A-ABORT (2,6) on the header', async () => {
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer, rqFull());
    const cmd = storeRq(1);
    const dataLength = 16384 - (6 + cmd.length) - 6;
    const full = pdata([PC.ct, 0x03, cmd], [PC.ct, 0x02, new Uint8Array(dataLength)]);
    expect(full.length - 6).toBe(16384);
    peer.send(full);
    await peer.expectPdu(0x04, undefined, 1000); // C-STORE-RSP (no handler: 0x0122)
    peer.destroy();
    await runHostile(scp, { id: 'M-03 P-DATA cap+1', group: STA6, established: true, send: hex('04 00 00 00 40 01'), answer: ABORT_2_6 });
  });
});

describe('M-04/M-05: unknown PDU types and non-DICOM input', () => {
  const types = [0x00, ...Array.from({ length: 0xff - 0x08 + 1 }, (_, i) => i + 0x08)];

  it(`M-04: each of the ${types.length} unknown type bytes in Sta2 → A-ABORT (0,0), then close`, async () => {
    for (let i = 0; i < types.length; i += 25) {
      await Promise.all([
        canary(scp.port),
        ...types.slice(i, i + 25).map((t) =>
          runHostile(scp, { id: `M-04 ${t.toString(16)}H`, group: STA2, send: Uint8Array.of(t, 0, 0, 0, 0, 4, 0, 0, 0, 0), answer: ABORT_0_0, canary: false, withinMs: 1000 }),
        ),
      ]);
    }
    await canary(scp.port);
  });

  it('M-04: unknown type bytes in Sta6 → A-ABORT (2,1), exactly one', async () => {
    const sample = [0x00, 0x08, 0x10, 0x47, 0x7f, 0x80, 0xfe, 0xff];
    await Promise.all([
      canary(scp.port),
      ...sample.map((t) =>
        runHostile(scp, { id: `M-04 Sta6 ${t.toString(16)}H`, group: STA6, established: true, send: Uint8Array.of(t, 0, 0, 0, 0, 4, 0, 0, 0, 0), answer: abortBytes(2, 1), canary: false, withinMs: 1000 }),
      ),
    ]);
    await canary(scp.port);
  });

  it.each([
    ['HTTP request', HTTP],
    ['TLS ClientHello', TLS_HELLO],
    ['1 KiB of 00', new Uint8Array(1024)],
    ['1 KiB of FF', new Uint8Array(1024).fill(0xff)],
  ])('M-05: %s → A-ABORT (0,0), no allocation of the bogus length', async (name, bytes) => {
    const { peakBytes } = await peakExternalGrowth(() => runHostile(scp, { id: `M-05 ${name}`, group: STA2, send: bytes, answer: ABORT_0_0 }));
    expect(peakBytes).toBeLessThan(1024 * 1024);
  });
});

describe('M-06/M-07: truncation and splitting', () => {
  it('M-06: 100 bytes of RQ_OK then FIN → nothing sent, closed, canary OK', async () => {
    await runHostile(scp, {
      id: 'M-06 FIN', group: STA2, answer: null,
      send: (p) => {
        p.send(RQ_OK.subarray(0, 100));
        p.end();
      },
    });
  });

  it('M-06: 100 bytes of RQ_OK then RST → server unaffected', async () => {
    const peer = await TcpPeer.connect(scp.port);
    peer.send(RQ_OK.subarray(0, 100));
    await new Promise((r) => setTimeout(r, 20));
    peer.rst();
    await new Promise((r) => setTimeout(r, 50));
    expect(peer.history).toEqual([]);
    await scpEmpty();
    record(STA2, 'M-06 RST', true);
  });

  it('M-06: 100 bytes then hold → closed at ARTIM (400 ms ± 10 %) without a PDU', async () => {
    const peer = await TcpPeer.connect(scp.port);
    peer.send(RQ_OK.subarray(0, 100));
    const { at, kind } = await peer.expectClosed(1500);
    expect(peer.history).toEqual([]);
    expect(kind).toBe('fin');
    expect(at).toBeGreaterThanOrEqual(360);
    expect(at).toBeLessThanOrEqual(440 + 60);
    record(STA2, 'M-06 hold', true);
    note(`timers: M-06 truncated RQ held → closed at ${at.toFixed(0)} ms (ARTIM 400 ms)`);
  });

  it('M-07: RQ_OK + ECHO_OK + REL_RQ in 1-byte writes, random chunks and one write → identical answers', async () => {
    const input = concat(RQ_OK, ECHO_OK, REL_RQ);
    const run = async (chunks: number[]): Promise<string[]> => {
      const peer = await TcpPeer.connect(scp.port);
      let off = 0;
      for (const n of chunks) {
        peer.send(input.subarray(off, off + n));
        off += n;
        await new Promise((r) => setImmediate(r));
      }
      await peer.expectClosed(2000);
      return peer.history.map((p) => toHex(p.bytes));
    };
    const oneShot = await run([input.length]);
    expect(oneShot.map((h) => h.slice(0, 2))).toEqual(['02', '04', '06']);
    expect(oneShot[2]).toBe(RELEASE_RP);
    expect(await run(Array(input.length).fill(1))).toEqual(oneShot);
    let seed = 7;
    const random: number[] = [];
    for (let left = input.length; left > 0; ) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const n = Math.min(left, 1 + (seed % 40));
      random.push(n);
      left -= n;
    }
    expect(await run(random)).toEqual(oneShot);
    record(STA6, 'M-07', true);
  });
});

describe('M-08…M-13: items and PDVs that overrun or do not add up', () => {
  it('M-08: presentation context item length FFFFH → A-ABORT (0,0)', async () => {
    await runHostile(scp, { id: 'M-08', group: STA2, send: patched(RQ_OK, 99, '20 00 FF FF 01 00 00 00'), answer: ABORT_0_0 });
  });

  // RQ_OK offsets: PC item 99 (AS 30H at 107, TS 40H at 128), user info 149 (51H at 153, 52H at 161).
  it.each([
    ['abstract syntax 30H longer than its item', patched(RQ_OK, 107, '30 00 00 40')],
    ['transfer syntax 40H longer than its item', patched(RQ_OK, 128, '40 00 00 40')],
    ['user information 50H longer than the PDU', patched(RQ_OK, 149, '50 00 00 40')],
    ['maximum length 51H with length 0', fixLength(concat(RQ_OK.subarray(0, 149), hex('50 00 00 0F 51 00 00 00 52 00 00 07'), RQ_OK.subarray(165)))],
    ['implementation class 52H with length 0', fixLength(concat(RQ_OK.subarray(0, 149), hex('50 00 00 0C 51 00 00 04 00 00 40 00 52 00 00 00')))],
    ['user identity 58H primary length FFFFH with 3 bytes', fixLength(concat(RQ_OK.subarray(0, 149), hex('50 00 00 1D'), RQ_OK.subarray(153), hex('58 00 00 07 01 00 FF FF 41 42 43')))],
    ['duplicate 58H (U-02)', fixLength(concat(RQ_OK.subarray(0, 149), hex('50 00 00 27'), RQ_OK.subarray(153), hex('58 00 00 06 01 00 00 00 00 00 58 00 00 06 01 00 00 00 00 00')))],
    ['even PCID 2 (N-12)', patched(RQ_OK, 103, '02')],
    ['zero PCID (N-12)', patched(RQ_OK, 103, '00')],
  ])('M-09: %s → A-ABORT (0,0)', async (name, wire) => {
    await runHostile(scp, { id: `M-09 ${name}`, group: STA2, send: wire, answer: ABORT_0_0 });
  });

  it.each([
    ['M-10 PDV length FFFFFFFF', '04 00 00 00 00 0C FF FF FF FF 01 03 00 00 00 00 00 00'],
    ['M-11 PDV length < 2', '04 00 00 00 00 05 00 00 00 01 01'],
    ['M-12 PDV lengths do not add up', '04 00 00 00 00 0B 00 00 00 04 01 03 00 00 AA BB CC'],
    ['M-13 zero PDVs', '04 00 00 00 00 00'],
    ['M-14 A-RELEASE-RQ length 0', '05 00 00 00 00 00'],
    ['M-14 A-RELEASE-RQ length 3', '05 00 00 00 00 03 00 00 00'],
    ['M-14 A-RELEASE-RQ length 5', '05 00 00 00 00 05 00 00 00 00 00'],
    ['M-14 A-RELEASE-RP length 100', `06 00 00 00 00 64 ${'00 '.repeat(100)}`],
    ['M-14 A-ASSOCIATE-RJ length 3', '03 00 00 00 00 03 00 01 01'],
  ])('%s → A-ABORT (2,6)', async (id, wire) => {
    await runHostile(scp, { id, group: STA6, established: true, send: hex(wire), answer: ABORT_2_6 });
  });
});

describe('M-15/M-16/M-17', () => {
  it.each([
    ['length 0', '07 00 00 00 00 00'],
    ['reserved source 1', '07 00 00 00 00 04 00 00 01 00'],
    ['unknown reason 9', '07 00 00 00 00 04 00 00 02 09'],
  ])('M-15: A-ABORT with %s is treated as an abort: close, nothing sent', async (name, wire) => {
    await runHostile(scp, { id: `M-15 ${name}`, group: STA6, established: true, send: hex(wire), answer: null });
  });

  it('M-16: every reserved byte of RQ, P-DATA and A-RELEASE-RQ set → processed normally', async () => {
    let rq = patched(RQ_OK, 1, 'FF'); // PDU reserved
    rq = patched(rq, 8, 'FF FF'); // after protocol version
    for (let i = 42; i < 74; i++) rq[i] = 0xff; // 32 reserved bytes
    rq = patched(rq, 75, 'FF'); // app context item reserved
    rq = patched(rq, 100, 'FF'); // PC item reserved
    rq = patched(rq, 104, 'FF FF FF'); // PC reserved ×3
    rq = patched(rq, 108, 'FF'); // AS reserved
    rq = patched(rq, 129, 'FF'); // TS reserved
    rq = patched(rq, 150, 'FF'); // user info reserved
    rq = patched(rq, 154, 'FF'); // 51H reserved
    rq = patched(rq, 162, 'FF'); // 52H reserved
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer, rq);
    peer.send(patched(patched(ECHO_OK, 1, 'FF'), 11, 'FF')); // P-DATA reserved, MCH bits 2-7 (F-07)
    const rsp = await peer.expectPdu(0x04, undefined, 500);
    expect(rsp.bytes.length).toBeGreaterThan(12);
    peer.send(hex('05 FF 00 00 00 04 FF FF FF FF'));
    await peer.expectPdu(0x06, RELEASE_RP, 500);
    await peer.expectClosed(1000);
    peer.destroy();
    record(STA6, 'M-16', true);
  });

  it('M-17: framing error + 10 KiB of garbage → exactly one A-ABORT', async () => {
    await runHostile(scp, {
      id: 'M-17', group: STA6, established: true, answer: abortBytes(2, 1),
      send: (p) => {
        p.send(hex('FF 00 00 00 00 04 00 00 00 00'));
        const garbage = new Uint8Array(10 * 1024);
        for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 31 + 7) & 0xff;
        // Include whole PDUs that would each be answered if parsed.
        p.send(concat(garbage, RQ_OK, ECHO_OK, ABORT_USER));
      },
    });
  });

  it('S-10: ECHO_OK / REL_RQ as the first PDU → A-ABORT (0,0); ABORT_USER first → close, nothing sent', async () => {
    await runHostile(scp, { id: 'S-10 P-DATA first', group: STA2, send: ECHO_OK, answer: ABORT_0_0 });
    await runHostile(scp, { id: 'S-10 REL-RQ first', group: STA2, send: REL_RQ, answer: ABORT_0_0 });
    await runHostile(scp, { id: 'S-10 A-ABORT first', group: STA2, send: ABORT_USER, answer: null });
  });
});

async function scpEmpty(): Promise<void> {
  for (let i = 0; i < 50 && scp.server.associations.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(scp.server.associations.size).toBe(0);
}
