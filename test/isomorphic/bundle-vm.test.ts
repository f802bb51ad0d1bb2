/**
 * Runs dist/netdicom.iife.js (and its minified twin, netdicom.iife.min.js) in a node:vm context that has only web-platform globals,
 * the way a <script> tag would see it: no require, process, Buffer or module.
 * Needs `npm run build` first (`npm test` does it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';

const BUNDLES = ['netdicom.iife.js', 'netdicom.iife.min.js'];
const NODE_ONLY = ['require', 'process', 'Buffer', 'module', 'exports', 'global', '__dirname', 'setImmediate'];

/** Web-platform globals a browser page has; JS built-ins (Uint8Array, Promise...) come with the context. */
function webGlobals(withStreams: boolean): Record<string, unknown> {
  const g: Record<string, unknown> = {
    TextEncoder,
    TextDecoder,
    crypto: { getRandomValues: <T extends ArrayBufferView>(a: T) => webcrypto.getRandomValues(a as never) as T },
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    queueMicrotask,
    console,
    AbortController,
    AbortSignal,
    EventTarget,
    Event,
    DOMException,
    URL,
    structuredClone,
    atob,
    btoa,
  };
  if (withStreams) {
    Object.assign(g, {
      ReadableStream,
      WritableStream,
      TransformStream,
      ByteLengthQueuingStrategy,
      CountQueuingStrategy,
    });
  }
  return g;
}

function load(bundlePath: string, withStreams: boolean): vm.Context {
  const context = vm.createContext(webGlobals(withStreams));
  // `window`/`self` exist in browsers; some libraries look for them.
  vm.runInContext('globalThis.window = globalThis; globalThis.self = globalThis;', context);
  for (const name of NODE_ONLY) expect(vm.runInContext(`typeof ${name}`, context), name).toBe('undefined');
  vm.runInContext(readFileSync(bundlePath, 'utf8'), context, { filename: bundlePath });
  return context;
}

/** The in-memory C-ECHO from the README, run inside the context through the global. */
const ECHO_SCRIPT = `(async () => {
  const [a, b] = netdicom.createMemoryPair();
  const scp = new netdicom.ApplicationEntity({ aeTitle: 'SCP' });
  scp.addSupportedContext(netdicom.SopClass.Verification);
  const served = scp.handle(b, {});
  const scu = new netdicom.ApplicationEntity({ aeTitle: 'SCU' });
  scu.addRequestedContext(netdicom.SopClass.Verification);
  const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
  const rsp = await assoc.cEcho();
  await assoc.release();
  await served;
  return rsp.status;
})()`;

/** Data sets through dcmjs and the one pako in the bundle (Deflated Explicit VR LE), in the context. */
const DATASET_SCRIPT = `(() => {
  const ts = netdicom.TransferSyntax.DeflatedExplicitVRLittleEndian;
  const ds = netdicom.decodeDataset(netdicom.encodeDataset({ PatientName: 'DOE^J', PatientID: 'P1', Rows: 2 }, ts), ts);
  return [String(ds.PatientName), ds.PatientID, ds.Rows].join('|');
})()`;

for (const bundle of BUNDLES) {
const bundlePath = fileURLToPath(new URL(`../../dist/${bundle}`, import.meta.url));
const built = existsSync(bundlePath);
const loadBundle = (withStreams: boolean): vm.Context => load(bundlePath, withStreams);

describe(`IIFE bundle ${bundle} in a web-only vm context`, () => {
  it('exists (run `npm run build` first)', () => {
    expect(built, bundlePath).toBe(true);
  });

  it.skipIf(!built)('defines globalThis.netdicom and installs no Node globals', () => {
    const context = loadBundle(true);
    expect(vm.runInContext('typeof globalThis.netdicom', context)).toBe('object');
    expect(vm.runInContext('typeof netdicom.createMemoryPair', context)).toBe('function');
    expect(vm.runInContext('typeof netdicom.TransportError', context)).toBe('function');
    for (const name of NODE_ONLY) expect(vm.runInContext(`typeof ${name}`, context), name).toBe('undefined');
  });

  it.skipIf(!built)('installs the streams ponyfill only when ReadableStream is missing', () => {
    const withHost = loadBundle(true);
    expect(vm.runInContext('ReadableStream', withHost)).toBe(ReadableStream);
    const without = loadBundle(false);
    expect(vm.runInContext('typeof ReadableStream', without)).toBe('function');
    expect(vm.runInContext('ReadableStream', without)).not.toBe(ReadableStream);
  });

  for (const withStreams of [true, false]) {
    const label = withStreams ? 'host streams' : 'ponyfilled streams';

    it.skipIf(!built)(`moves bytes over a memory pair (${label})`, async () => {
      const context = loadBundle(withStreams);
      const got = await vm.runInContext(
        `(async () => {
          const [a, b] = netdicom.createMemoryPair({ chunking: { min: 1, max: 3, seed: 1 } });
          const w = a.writable.getWriter();
          await w.write(new Uint8Array([1, 2, 3, 4, 5]));
          await w.close();
          const r = b.readable.getReader();
          const out = [];
          for (;;) { const { value, done } = await r.read(); if (done) break; out.push(...value); }
          return out.join(',');
        })()`,
        context,
      );
      expect(got).toBe('1,2,3,4,5');
    });

    it.skipIf(!built)(`runs a C-ECHO through the global API (${label})`, async () => {
      const context = loadBundle(withStreams);
      expect(vm.runInContext('typeof netdicom.ApplicationEntity', context)).toBe('function');
      expect(await vm.runInContext(ECHO_SCRIPT, context)).toBe(0);
    });
  }

  it.skipIf(!built)('encodes and decodes a deflated data set (dcmjs and pako inside)', () => {
    expect(vm.runInContext(DATASET_SCRIPT, loadBundle(true))).toBe('DOE^J|P1|2');
  });
});
}
