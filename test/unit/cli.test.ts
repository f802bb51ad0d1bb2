/**
 * The `netdicom` command line, spawned as users run it (`node bin/netdicom.mjs`, needs dist/ from
 * `npm run build`, which `npm test` runs first): help, usage errors, exit codes, and echoscu ↔
 * echoscp over TCP 127.0.0.1 and ::1 and TLS.
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { ASSOCIATE_RQ } from '../fixtures/pdus';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateTestPki, type TestPki } from '../interop/helpers/certs';
import { NETDICOM_BIN, freePort, killAll, run, start, waitForOutput } from '../interop/helpers/dcmtk';

const cli = (...args: string[]) => run('node', [NETDICOM_BIN, ...args]);
let pki: TestPki;
beforeAll(() => {
  if (!existsSync(new URL('../../dist/cli.js', import.meta.url))) throw new Error('dist/cli.js is missing: run `npm run build`');
  pki = generateTestPki();
});
afterAll(() => pki?.dispose());
afterEach(killAll);

async function echoscp(...args: string[]) {
  const proc = start('node', [NETDICOM_BIN, 'echoscp', ...args]);
  const [, port] = await waitForOutput(proc, /listening on .*:(\d+)\n/);
  return { proc, port: port! };
}

describe('netdicom CLI', () => {
  it('--help lists the apps and exits 0; no app prints help and exits 2', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    for (const app of ['echoscu', 'echoscp', 'storescu', 'storescp', 'findscu', 'getscu', 'movescu', 'qrscp', 'proxy']) expect(r.output).toContain(app);
    expect((await cli()).code).toBe(2);
  });

  it('proxy is reachable from the dispatcher (usage error: exit 2, one line)', async () => {
    const r = await cli('proxy', '--no-such-flag');
    expect(r.code).toBe(2);
  });

  it('echoscu --help describes every option', async () => {
    const r = await cli('echoscu', '--help');
    expect(r.code).toBe(0);
    for (const flag of ['-aet', '-aec', '--call', '--max-pdu', '-ta', '-td', '-tn', '-to', '-v', '-d', '-q', '-ll', '--tls-cert', '--tls-key', '--tls-ca', '--repeat', '-h']) {
      expect(r.output).toContain(flag);
    }
  });

  it('unknown app, unknown flag and missing PORT: one line on stderr, exit 2', async () => {
    const store = [['storescu', '--bogus', 'x', '1', 'f.dcm'], ['storescu', '127.0.0.1', '104'], ['storescp', '--ignore'], ['storescp', '0', '-od']];
    for (const args of [['nosuchapp'], ['echoscu', '--bogus', 'x', '1'], ['echoscu', '127.0.0.1'], ['echoscp', '-aet'], ...store]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.output.trim().split('\n'), r.output).toHaveLength(1);
    }
  });

  it('echoscp --max-associations must be an integer ≥ 1: a bad value is a usage error (exit 2), not "no limit" or "drop every connection"', async () => {
    for (const value of ['abc', '0', '1.5']) {
      const r = await run('node', [NETDICOM_BIN, 'echoscp', '--bind', '127.0.0.1', '--max-associations', value, '0'], 5000);
      expect(r.code, `${value}: ${r.output}`).toBe(2);
      expect(r.output).toMatch(/^echoscp: --max-associations must be an integer ≥ 1, got/);
    }
  });

  it('connection refused: exit 3 with the reason', async () => {
    const r = await cli('echoscu', '127.0.0.1', String(await freePort()));
    expect(r.code).toBe(3);
    expect(r.output).toMatch(/^echoscu: .*ECONNREFUSED/);
  });

  it('TLS to a plaintext SCP (L-06) fails fast with a one-line network or timeout error', async () => {
    const { proc, port } = await echoscp('0'); // plain TCP SCP: the ClientHello is not a PDU
    const r = await cli('echoscu', '-tn', '0.5', '--tls-ca', pki.caCert, '127.0.0.1', port);
    expect([3, 5]).toContain(r.code);
    expect(r.output.trim().split('\n')).toHaveLength(1);
    await proc.kill();
  });

  for (const host of ['127.0.0.1', '::1']) {
    it(`echoscu --repeat 3 → echoscp over ${host}`, async () => {
      const { proc, port } = await echoscp('--bind', host, '-aet', 'MYSCP', '0');
      const r = await cli('echoscu', '--repeat', '3', '-aet', 'ME', '-aec', 'MYSCP', host, port);
      expect(r.code, r.output).toBe(0);
      expect(r.output.match(/status 0x0000/g)).toHaveLength(3);
      await waitForOutput(proc, /association from ME .* accepted/);
      await proc.kill();
    });
  }

  it('echoscp prints a rejected calling AE title with its control bytes escaped, not raw to the terminal', async () => {
    const { proc, port } = await echoscp('0');
    const rq = Uint8Array.from(ASSOCIATE_RQ);
    // Calling AE Title (bytes 26-41): 'E' ESC '[2J' then spaces, a terminal's clear-screen sequence.
    rq.set([0x45, 0x1b, 0x5b, 0x32, 0x4a, ...Array<number>(11).fill(0x20)], 26);
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    socket.on('error', () => undefined);
    socket.write(rq);
    await waitForOutput(proc, /association from .* rejected/);
    socket.destroy();
    expect(proc.output()).toContain('association from E\\x1b[2J rejected');
    expect(proc.output()).not.toContain('\x1b');
    await proc.kill();
  });

  it('echoscu → echoscp over mutual TLS with a large PDU', async () => {
    const { proc, port } = await echoscp('--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--tls-ca', pki.caCert, '--max-pdu', '131072', '0');
    const r = await cli('echoscu', '--tls-cert', pki.clientCert, '--tls-key', pki.clientKey, '--tls-ca', pki.caCert, '--max-pdu', '131072', '127.0.0.1', port);
    expect(r.code, r.output + proc.output()).toBe(0);
    await proc.kill();
  });

  it('starts without loading node:tls (a plain TCP app never pays for it); a TLS app loads it when it connects', async () => {
    const tlsLoaded = (code: string) =>
      run('node', ['--input-type=module', '-e', `${code}; console.log(process.moduleLoadList.includes('NativeModule tls'))`]);
    const cliUrl = new URL('../../dist/cli.js', import.meta.url).href;
    const nodeUrl = new URL('../../dist/node.js', import.meta.url).href;
    expect((await tlsLoaded(`await import('${cliUrl}'); await import('${nodeUrl}')`)).output.trim()).toBe('false');
    const dial = `const { connectTls } = await import('${nodeUrl}'); await connectTls({ host: '127.0.0.1', port: 9, timeoutMs: 2000 }).catch(() => {})`;
    expect((await tlsLoaded(dial)).output.trim()).toBe('true');
  });

  it('a storage SCP does not load node:crypto (~3 MiB resident on Node 26) until a hostile UID needs hashing, nor node:perf_hooks without --stats', async () => {
    /** Which of node:crypto and node:perf_hooks a fresh process has loaded after running `code` in a temp directory `dir`. */
    const loadedAfter = async (code: string) => {
      const setUp = `const fs = await import('node:fs'); const dir = fs.mkdtempSync('/tmp/nd-crypto-')`;
      const report = `fs.rmSync(dir, { recursive: true }); console.log(['crypto', 'perf_hooks'].filter((m) => process.moduleLoadList.includes('NativeModule ' + m)).join(',') || 'none'); process.exit(0)`;
      return (await run('node', ['--input-type=module', '-e', `${setUp}; ${code}; ${report}`])).output.trim();
    };
    const nodeUrl = new URL('../../dist/node.js', import.meta.url).href;
    const store = `const { createFsStore } = await import('${nodeUrl}'); const store = createFsStore({ directory: dir }); store.fileName('1.2.3')`;
    expect(await loadedAfter(store)).toBe('none');
    expect(await loadedAfter(`${store}; store.fileName('../etc/passwd')`)).toBe('crypto');
    // The storescp app, listening.
    const cliUrl = new URL('../../dist/cli.js', import.meta.url).href;
    const listen = `const { main } = await import('${cliUrl}'); void main(['storescp', '0', '--bind', '127.0.0.1', '-od', dir, '-q']); await new Promise((r) => setTimeout(r, 500))`;
    expect(await loadedAfter(listen)).toBe('none');
  });

  it('rejected association (called AE title): exit 4 with the reason; echoscp logs it', async () => {
    const { proc, port } = await echoscp('-aet', 'MYSCP', '--require-called-aet', '0');
    const r = await cli('echoscu', '-aec', 'OTHER', '127.0.0.1', port);
    expect(r.code).toBe(4);
    expect(r.output).toMatch(/^echoscu: association rejected: rejected-permanent, service-user: called-AE-title-not-recognized\n$/);
    await waitForOutput(proc, /rejected: rejected-permanent, service-user: called-AE-title-not-recognized/);
    await proc.kill();
  });
});
