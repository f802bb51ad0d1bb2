/**
 * A netdicom SCP on TCP loopback for the reliability cases, a canary (fresh association + C-ECHO +
 * release, reliability.md §3.0) and the PDU vectors of §3.1.
 */
import { connectTcp, listenTcp, type NodeListener } from '../../../adapters/node';
import { ApplicationEntity } from '../../../src/ae';
import type { AeOptions } from '../../../src/options';
import type { ScpHandlers } from '../../../src/scp/types';
import type { Server, ServeOptions } from '../../../src/server';
import { hex } from './tcp-peer';

export const VERIFICATION = '1.2.840.10008.1.1';
export const STUDY_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
export const CT = '1.2.840.10008.5.1.4.1.1.2';
export const IMPLICIT = '1.2.840.10008.1.2';
export const EXPLICIT = '1.2.840.10008.1.2.1';
export const DEFLATED = '1.2.840.10008.1.2.1.99';

/** Timer settings short enough for `npm test` (reliability.md §3.0: ARTIM 200–500 ms over TCP). */
export const FAST: Partial<AeOptions> = { artimTimeoutMs: 400, abortLingerMs: 100, acseTimeoutMs: 2000, dimseTimeoutMs: 2000 };

export interface TestScp {
  readonly ae: ApplicationEntity;
  readonly server: Server;
  readonly listener: NodeListener;
  readonly port: number;
  close(): Promise<void>;
}

/** SCPs started inside the running test (not in beforeAll): closed by the setup's afterEach. */
let testScope: Set<TestScp> | null = null;

/** Marks the start (true) or end (false) of a test, for {@link closeAllScps}. */
export function scpTestScope(active: boolean): void {
  testScope = active ? new Set() : null;
}

/** Starts `ApplicationEntity.serve(await listenTcp(...))` on 127.0.0.1 and a free port. */
export async function startScp(
  options: Partial<AeOptions> = {},
  handlers: ScpHandlers = {},
  serve: ServeOptions & { listenerMaxPending?: number } = {},
): Promise<TestScp> {
  const ae = new ApplicationEntity({ aeTitle: 'NETDICOM', ...FAST, ...options })
    .addSupportedContext(VERIFICATION)
    .addSupportedContext(STUDY_FIND, [IMPLICIT, EXPLICIT, DEFLATED])
    .addSupportedContext(CT, [IMPLICIT, EXPLICIT]);
  const listener = await listenTcp({ host: '127.0.0.1', port: 0, maxPending: serve.listenerMaxPending ?? 4096 });
  const server = ae.serve(listener, handlers, serve);
  const scp: TestScp = {
    ae,
    server,
    listener,
    port: listener.port,
    async close() {
      testScope?.delete(scp);
      await server.close({ force: true });
    },
  };
  testScope?.add(scp);
  return scp;
}

/** Closes every SCP the current test started and left running (afterEach). */
export async function closeAllScps(): Promise<void> {
  await Promise.all([...(testScope ?? [])].map((s) => s.close()));
  scpTestScope(false);
}

/** A requestor AE proposing Verification (and C-FIND / CT storage). */
export function scuAe(options: Partial<AeOptions> = {}): ApplicationEntity {
  return new ApplicationEntity({ aeTitle: 'CANARY', ...FAST, ...options })
    .addRequestedContext(VERIFICATION)
    .addRequestedContext(STUDY_FIND, [IMPLICIT])
    .addRequestedContext(CT, [IMPLICIT]);
}

/**
 * The canary: a fresh association, C-ECHO, release. Resolves with the latency in ms; rejects
 * when anything fails (status not 0, reject, abort, timeout).
 */
export async function canary(port: number, timeoutMs = 3000): Promise<number> {
  const t0 = performance.now();
  const transport = await connectTcp({ host: '127.0.0.1', port, timeoutMs });
  const assoc = await scuAe({ acseTimeoutMs: timeoutMs, dimseTimeoutMs: timeoutMs }).associate(transport, { calledAeTitle: 'NETDICOM' });
  try {
    const rsp = await assoc.cEcho();
    if (rsp.status !== 0) throw new Error(`canary C-ECHO status 0x${rsp.status.toString(16)}`);
    await assoc.release();
  } catch (error) {
    await assoc.abort();
    throw error;
  }
  return performance.now() - t0;
}

// ---- vectors of reliability.md §3.1 -------------------------------------------------------------

// RQ_OK (172 bytes) and ECHO_OK (80 bytes) are written once, in the PDU fixtures.
import { ECHO_OK, RQ_OK } from '../../fixtures/pdus';
import { concat as concatAll } from '../../helpers/bytes';
export { ECHO_OK, RQ_OK };

export const REL_RQ = hex('05 00 00 00 00 04 00 00 00 00');
export const ABORT_USER = hex('07 00 00 00 00 04 00 00 00 00');
export const HDR_HUGE_RQ = hex('01 00 FF FF FF FF');
export const HDR_HUGE_PDATA = hex('04 00 FF FF FF FF');
export const HTTP = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8\r\n\r\n');
export const TLS_HELLO = hex('16 03 01 02 00 01 00 01 FC 03 03');

/** A-ABORT answers (R1). */
export const ABORT_0_0 = '07 00 00 00 00 04 00 00 00 00';
export const abortBytes = (source: number, reason: number): string =>
  `07 00 00 00 00 04 00 00 ${source.toString(16).padStart(2, '0')} ${reason.toString(16).padStart(2, '0')}`;
export const RELEASE_RP = '06 00 00 00 00 04 00 00 00 00';

/** `base` with `patch` (hex) written at `at`. */
export function patched(base: Uint8Array, at: number, patch: string): Uint8Array {
  const out = Uint8Array.from(base);
  out.set(hex(patch), at);
  return out;
}

/** Concatenation of byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatAll(parts);
}

/** Sets the PDU-length field (bytes 2..5) to match the PDU's actual size. */
export function fixLength(pdu: Uint8Array): Uint8Array {
  new DataView(pdu.buffer, pdu.byteOffset).setUint32(2, pdu.length - 6);
  return pdu;
}

/** A P-DATA-TF holding the given PDVs: each [pcid, mch, data]. */
export function pdata(...pdvs: [number, number, Uint8Array][]): Uint8Array {
  const body = concat(
    ...pdvs.map(([pcid, mch, data]) => {
      const item = new Uint8Array(6 + data.length);
      new DataView(item.buffer).setUint32(0, data.length + 2);
      item[4] = pcid;
      item[5] = mch;
      item.set(data, 6);
      return item;
    }),
  );
  return fixLength(concat(hex('04 00 00 00 00 00'), body));
}

/** The command set bytes inside ECHO_OK (Implicit VR LE, 68 bytes). */
export const ECHO_COMMAND = ECHO_OK.subarray(12);
