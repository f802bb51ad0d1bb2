/**
 * `netdicom proxy` (adapters/cli/proxy.ts): argument parsing and a run that bridges to a TCP peer.
 */
import { describe, expect, it } from 'vitest';
import { parseTarget, proxyMain, proxyOptions } from '../../adapters/cli/proxy';
import { rawUpgrade, sentinel, TEST_ORIGIN } from '../helpers/websocket';

describe('netdicom proxy', () => {
  it('parses targets, origins and limits', () => {
    expect(parseTarget('pacs=127.0.0.1:11112')).toEqual(['/pacs', { host: '127.0.0.1', port: 11112 }]);
    expect(parseTarget('v6=[::1]:104')).toEqual(['/v6', { host: '::1', port: 104 }]);
    for (const bad of ['pacs', 'pacs=host', '../x=1.2.3.4:5', 'a/b=h:1', 'p=h:99999']) expect(() => parseTarget(bad), bad).toThrow();
    const o = proxyOptions(['--listen', '8080', '--target', 'a=127.0.0.1:1', '--target', 'b=127.0.0.1:2', '--allow-origin', 'http://x.test']);
    expect(Object.keys(o.targets)).toEqual(['/a', '/b']);
    expect(o).toMatchObject({ port: 8080, host: '127.0.0.1', allowOrigins: ['http://x.test'] });
    expect(proxyOptions(['--listen', '0', '--target', 'a=h:1', '--allow-origin', '*']).allowOrigins).toBe('*');
    expect(() => proxyOptions(['--target', 'a=h:1'])).toThrow(/--listen/);
    expect(() => proxyOptions(['--listen', '1'])).toThrow(/--target/);
    expect(() => proxyOptions(['--listen', '1', '--target', 'a=h:1', '--bogus'])).toThrow();
  });

  it('--help describes every option and exits 0; = values and repeated options parse as before', async () => {
    const out: string[] = [];
    expect(await proxyMain(['--help'], { out: (l) => out.push(l), err: (l) => out.push(l) })).toBe(0);
    for (const flag of ['--listen', '--host', '--target', '--allow-origin', '--allow-missing-origin', '--allowed-host', '--static', '--max-connections', '--idle-timeout', '--verbose']) {
      expect(out.join('\n')).toContain(flag);
    }
    const log = () => {};
    const o = proxyOptions(['--listen=0', '--target=a=127.0.0.1:1', '--host', '::1', '--static', 'x', '--static', 'y', '--allowed-host', 'h:1', '--allowed-host', 'h:2',
      '--max-connections', '3', '--idle-timeout', '4', '--allow-missing-origin', '--verbose'], log);
    expect(o).toMatchObject({ port: 0, host: '::1', staticDir: 'y', allowedHosts: ['h:1', 'h:2'], maxConnections: 3, idleTimeoutMs: 4, allowMissingOrigin: true, log });
    expect(o.targets).toEqual({ '/a': { host: '127.0.0.1', port: 1 } });
    expect(proxyOptions(['--listen', '0', '--target', 'a=h:1'])).toMatchObject({ allowOrigins: undefined, allowedHosts: undefined, allowMissingOrigin: false, log: undefined });
    expect(() => proxyOptions(['--listen', '0', '--target', 'a=h:1', 'extra'])).toThrow(/unexpected argument "extra"/);
    expect(() => proxyOptions(['--listen', '0', '--target', 'a=h:1', '--verbose=yes'])).toThrow(/takes no value/);
  });

  it('usage errors exit 2 with a message', async () => {
    const err: string[] = [];
    expect(await proxyMain(['--listen', 'x'], { out: () => {}, err: (l) => err.push(l) })).toBe(2);
    expect(err.join('\n')).toMatch(/--listen must be a whole number/);
    // One line each, as every app reports a usage error (no usage block).
    for (const argv of [['--listen', '8080'], ['--target', 'pacs=127.0.0.1:104'], ['--listen', '0', '--target', 'pacs=127.0.0.1:104', 'extra']]) {
      const lines: string[] = [];
      expect(await proxyMain(argv, { out: () => {}, err: (l) => lines.push(l) })).toBe(2);
      expect(lines.join('\n').split('\n'), argv.join(' ')).toHaveLength(1);
    }
  });

  it('runs: the named target is reachable, other paths are not', async () => {
    const s = await sentinel();
    let stop!: () => void;
    const out: string[] = [];
    let port = 0;
    const listening = new Promise<void>((resolve) => {
      void proxyMain(['--listen', '0', '--target', `pacs=127.0.0.1:${s.port}`, '--allow-origin', TEST_ORIGIN], { out: (l) => out.push(l), err: (l) => out.push(l) }, {
        stop: new Promise<void>((r) => (stop = r)),
        onListening: (address) => {
          port = Number(address.split(':').pop());
          resolve();
        },
      });
    });
    await listening;
    expect(out.join('\n')).toMatch(/\/pacs -> 127\.0\.0\.1:/);
    expect(await rawUpgrade(port, `/127.0.0.1:${s.port}`)).toBe(404);
    expect(await rawUpgrade(port, '/pacs')).toBe(101);
    stop();
    await s.close();
  });
});
