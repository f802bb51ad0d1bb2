/**
 * Verification interop with real DCMTK on loopback (reliability.md L-09, I-02, I-03):
 * DCMTK echoscu → netdicom SCP (in process) and netdicom echoscu (the CLI, from dist) → DCMTK
 * storescp; plain TCP and TLS, IPv4 and IPv6, default and large maximum PDU, and rejected
 * associations with the reason checked on both sides.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { ApplicationEntity } from '../../src/ae';
import type { Server } from '../../src/server';
import { SopClass } from '../../src/uids/sop-classes';
import { listenTcp, listenTls } from '../../adapters/node/index';
import { generateTestPki, type TestPki } from './helpers/certs';
import { NETDICOM_BIN, dcmtkSupportsIpv6, dcmtkVersion, freePort, killAll, requireDcmtk, run, start, waitForOutput, waitForPort } from './helpers/dcmtk';

const haveDcmtk = requireDcmtk();
const ipv6 = haveDcmtk && (await dcmtkSupportsIpv6());
if (haveDcmtk && !ipv6) console.warn(`DCMTK ${dcmtkVersion()} cannot connect over IPv6: the DCMTK ::1 cases are skipped (netdicom ::1 is covered in cli.test.ts)`);

let pki: TestPki;
beforeAll(() => {
  if (!existsSync(new URL('../../dist/cli.js', import.meta.url))) throw new Error('dist/cli.js is missing: run `npm run build` (npm run test:interop does)');
  pki = generateTestPki();
});
afterAll(() => pki?.dispose());
afterEach(killAll);

type Mode = { tls: boolean; host: string; maxPdu?: number };
const modes: Mode[] = [
  { tls: false, host: '127.0.0.1' },
  { tls: false, host: '127.0.0.1', maxPdu: 131072 },
  { tls: true, host: '127.0.0.1' },
  { tls: true, host: '127.0.0.1', maxPdu: 131072 },
  { tls: false, host: '::1' },
  { tls: true, host: '::1', maxPdu: 131072 },
];
const label = (m: Mode) => `${m.tls ? 'TLS' : 'TCP'} ${m.host} max PDU ${m.maxPdu ?? 'default'}`;
const runnable = (m: Mode) => haveDcmtk && (m.host === '127.0.0.1' || ipv6);

/** DCMTK's TLS options: our client/server key pair, trusting the test CA, PEM keys without password. */
const dcmtkTls = (key: string, cert: string) => ['+tls', key, cert, '+cf', pki.caCert, '-pw'];

async function netdicomScp(m: Mode, policy: { requireCalledAeTitle?: boolean } = {}) {
  const rejected: { result: number; source: number; reason: number }[] = [];
  const ae = new ApplicationEntity({ aeTitle: 'NETDICOM', ...(m.maxPdu && { maxPduLength: m.maxPdu }) }).addSupportedContext(SopClass.Verification);
  const listener = m.tls
    ? await listenTls({ host: m.host, cert: pki.pem(pki.serverCert), key: pki.pem(pki.serverKey), ca: pki.pem(pki.caCert), requestCert: true })
    : await listenTcp({ host: m.host });
  const server: Server = ae.serve(listener, { rejected: (_, rj) => rejected.push(rj) }, policy);
  return { port: listener.port, server, rejected };
}

describe.skipIf(!haveDcmtk)('DCMTK echoscu → netdicom SCP', () => {
  for (const m of modes) {
    it.skipIf(!runnable(m))(label(m), async () => {
      const { port, server } = await netdicomScp(m);
      try {
        const args = ['-v', ...(m.maxPdu ? ['-pdu', String(m.maxPdu)] : []), ...(m.tls ? dcmtkTls(pki.clientKey, pki.clientCert) : [])];
        const r = await run('echoscu', [...args, m.host, String(port)]);
        expect(r.output).toMatch(/Received Echo Response \(Success\)/);
        expect(r.code, r.output).toBe(0);
        // DCMTK reports our advertised maximum minus the 12 bytes of PDV headers.
        expect(r.output).toContain(`Max Send PDV: ${(m.maxPdu ?? 16384) - 12}`);
      } finally {
        await server.close({ force: true });
      }
    });
  }

  it('wrong called AE title: rejected (1,1,7), reason seen on both sides', async () => {
    const { port, server, rejected } = await netdicomScp({ tls: false, host: '127.0.0.1' }, { requireCalledAeTitle: true });
    try {
      const r = await run('echoscu', ['-aec', 'WRONG-AE', '127.0.0.1', String(port)]);
      expect(r.code).not.toBe(0);
      expect(r.output).toMatch(/Association Rejected/);
      expect(r.output).toMatch(/Called AE Title Not Recognized/i);
      expect(rejected).toEqual([{ result: 1, source: 1, reason: 7 }]);
      const ok = await run('echoscu', ['-aec', 'NETDICOM', '127.0.0.1', String(port)]);
      expect(ok.code, ok.output).toBe(0);
    } finally {
      await server.close({ force: true });
    }
  });
});

describe.skipIf(!haveDcmtk)('netdicom echoscu (CLI) → DCMTK storescp', () => {
  async function storescp(m: Mode, extra: string[] = []) {
    const port = await freePort();
    const args = ['-d', ...(m.maxPdu ? ['-pdu', String(m.maxPdu)] : []), ...(m.tls ? dcmtkTls(pki.serverKey, pki.serverCert) : []), ...extra, String(port)];
    const proc = start('storescp', args);
    await waitForPort('127.0.0.1', port);
    return { port, proc };
  }
  const cliTls = () => ['--tls-cert', pki.clientCert, '--tls-key', pki.clientKey, '--tls-ca', pki.caCert];

  // DCMTK 3.6.7's storescp listens on IPv4 only, so only the 127.0.0.1 modes apply here.
  for (const m of modes.filter((x) => x.host === '127.0.0.1')) {
    it(label(m), async () => {
      const { port, proc } = await storescp(m);
      const args = ['--repeat', '2', ...(m.maxPdu ? ['--max-pdu', String(m.maxPdu)] : []), ...(m.tls ? cliTls() : [])];
      const r = await run('node', [NETDICOM_BIN, 'echoscu', ...args, '127.0.0.1', String(port)]);
      expect(r.code, r.output + proc.output()).toBe(0);
      expect(r.output.match(/status 0x0000/g)).toHaveLength(2);
      await waitForOutput(proc, /Association Release/i);
      // storescp -d prints the maximum our A-ASSOCIATE-RQ announced.
      expect(proc.output()).toMatch(new RegExp(`Their Max PDU Receive Size:\\s+${m.maxPdu ?? 16384}\\b`));
    });
  }

  it('refused association: exit 4 and the reason on stderr; storescp logs the refusal', async () => {
    const { port, proc } = await storescp({ tls: false, host: '127.0.0.1' }, ['--refuse']);
    const r = await run('node', [NETDICOM_BIN, 'echoscu', '127.0.0.1', String(port)]);
    expect(r.code).toBe(4);
    expect(r.output.trim().split('\n')).toHaveLength(1);
    expect(r.output).toMatch(/rejected-permanent, service-user: no-reason-given/);
    await waitForOutput(proc, /Refusing Association/i);
  });

  it('TLS without a client certificate: storescp (require-peer-cert) refuses, exit 3 or 6', async () => {
    const { port } = await storescp({ tls: true, host: '127.0.0.1' });
    const r = await run('node', [NETDICOM_BIN, 'echoscu', '--tls-ca', pki.caCert, '127.0.0.1', String(port)]);
    expect([3, 6]).toContain(r.code);
    expect(r.output.trim().split('\n')).toHaveLength(1);
  });
});
