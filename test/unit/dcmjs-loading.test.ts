/**
 * dcmjs (~100–160 ms and ~17 MiB to load) is loaded by the package's entries as each platform
 * allows: under Node on first use of the data set codec, in browsers and bundlers at import
 * (src/dataset/dcmjs-module.ts). Checked on the built package (dist/), in fresh processes.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dist = path.join(root, 'dist');

beforeAll(() => {
  if (!existsSync(path.join(dist, 'index-node.js'))) throw new Error('dist/ is missing: run `npm run build`');
});

/** The packages a dist entry imports statically, through every chunk it imports statically (dynamic `import()` left out), and the files read. */
function staticImports(entry: string): { packages: Set<string>; files: Set<string> } {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/^(?:import|export)\s(?:[^'";]*?\sfrom\s)?'([^']+)'/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else packages.add(spec);
    }
  };
  visit(path.join(dist, entry));
  return { packages, files: seen };
}

describe('static imports of the built entries', () => {
  it('the IIFE bundle keeps only the parts of dcmjs the codec uses', () => {
    // Handing dcmjs's whole namespace (or its `data` object) over kept all of it: +100 KB minified,
    // datasetToBlob and the Colors helpers among the rest.
    const iife = readFileSync(path.join(dist, 'netdicom.iife.js'), 'utf8');
    expect(iife).toContain('DicomMetaDictionary');
    expect(iife).not.toContain('datasetToBlob');
    expect(iife).not.toMatch(/\bColors\b/);
  });

  it("package.json's sideEffects keeps the entries that hand dcmjs over or register its loader", () => {
    // A bundler that trusts `sideEffects: false` may import a re-exported name straight from its
    // chunk and skip the entry module, and with it the call that gives the data set code dcmjs.
    const { sideEffects } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { sideEffects: unknown };
    expect(sideEffects).toEqual(expect.arrayContaining(['./dist/index.js', './dist/index-node.js', './dist/node.js']));
    for (const entry of ['index.js', 'index-node.js', 'node.js']) {
      expect(readFileSync(path.join(dist, entry), 'utf8'), entry).toMatch(/^(provideDcmjs\(|loadDcmjsOnFirstUse\(\))/m);
    }
  });

  it('only the default entry (browsers, bundlers) imports dcmjs up front', () => {
    expect(staticImports('index.js').packages).toContain('dcmjs');
    for (const entry of ['index-node.js', 'node.js', 'cli.js', 'memory.js', 'websocket.js', 'proxy.js']) {
      const { packages, files } = staticImports(entry);
      expect(files.size, entry).toBeGreaterThan(1); // the walk followed the entry's chunks
      expect(packages, entry).not.toContain('dcmjs');
    }
  });
});

/**
 * Runs `code` (an ES module body with `nd` bound to `await import(specifier)`) in a fresh Node
 * process in the package's root (so `netdicom` resolves to this package), and reports which
 * files named dcmjs were loaded: after the import, and after `code`.
 */
async function loadsOfDcmjs(specifier: string, code: string, nodeArgs: string[] = []): Promise<{ resolved: string; afterImport: string[]; afterUse: string[]; result: unknown }> {
  const child = `
    import Module, * as mod from 'node:module';
    const seen = new Set();
    const note = (what) => { if (String(what).includes('/node_modules/dcmjs/')) seen.add(String(what).replace(/^file:\\/\\//, '')); };
    if (mod.registerHooks) {
      mod.registerHooks({ load(url, context, next) { note(url); return next(url, context); } }); // import and require, in this thread
    } else {
      const { MessageChannel } = await import('node:worker_threads');
      const { port1, port2 } = new MessageChannel();
      port1.on('message', note).unref();
      const hooks = 'let port; export function initialize(d) { port = d.port } export async function load(url, context, next) { port.postMessage(url); return next(url, context) }';
      mod.register('data:text/javascript,' + encodeURIComponent(hooks), { data: { port: port2 }, transferList: [port2] });
      const load = Module._load; // require(), which those hooks do not see
      Module._load = function (request, ...rest) { note(request); return load.call(this, request, ...rest); };
    }
    const settle = () => new Promise((r) => setTimeout(r, 100)); // hook messages from the loader thread
    const nd = await import(${JSON.stringify(specifier)});
    await settle();
    const afterImport = [...seen];
    const result = await (async () => { ${code} })();
    await settle();
    console.log(JSON.stringify({ resolved: import.meta.resolve(${JSON.stringify(specifier)}), afterImport, afterUse: [...seen], result }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeArgs, '--input-type=module', '-e', child], { cwd: root });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

const roundTrip = `
  const bytes = nd.encodeDataset({ PatientID: '12', PatientName: 'DOE^J' }, '1.2.840.10008.1.2.1');
  return nd.decodeDataset(bytes, '1.2.840.10008.1.2.1').PatientID;
`;

describe('loading dcmjs under Node', () => {
  it("`import 'netdicom'` does not load dcmjs; the first synchronous encode/decode loads its ES build", async () => {
    const r = await loadsOfDcmjs('netdicom', roundTrip);
    expect(r.resolved).toBe(new URL('../../dist/index-node.js', import.meta.url).href);
    expect(r.afterImport).toEqual([]);
    expect(r.result).toBe('12');
    // The ES build (the instance an application's own `import 'dcmjs'` gets), not the CommonJS one.
    expect(r.afterUse.some((f) => f.endsWith('/dcmjs/build/dcmjs.es.js')), r.afterUse.join()).toBe(true);
    expect(r.afterUse.some((f) => f.endsWith('/dcmjs/build/dcmjs.js')), r.afterUse.join()).toBe(false);
  });

  it('a service loads dcmjs where it starts (a C-FIND over a memory pair, no synchronous call first)', async () => {
    const find = `
      const { createMemoryPair } = await import('netdicom/memory');
      const scp = new nd.ApplicationEntity({ aeTitle: 'SCP' });
      scp.addSupportedContext(nd.SopClass.StudyRootQueryRetrieveInformationModelFind);
      const [client, server] = createMemoryPair();
      scp.handle(server, { *cFind(request) { yield { QueryRetrieveLevel: 'STUDY', PatientID: request.identifier.PatientID }; } });
      const scu = new nd.ApplicationEntity({ aeTitle: 'SCU' });
      scu.addRequestedContext(nd.SopClass.StudyRootQueryRetrieveInformationModelFind);
      const assoc = await scu.associate(client, { calledAeTitle: 'SCP' });
      const matches = [];
      for await (const r of assoc.cFind({ QueryRetrieveLevel: 'STUDY', PatientID: '42' }, { model: 'study' })) {
        if (r.category === 'Pending') matches.push(r.identifier.PatientID);
      }
      await assoc.release();
      return matches;
    `;
    const r = await loadsOfDcmjs('netdicom', find);
    expect(r.afterImport).toEqual([]);
    expect(r.result).toEqual(['42']);
    expect(r.afterUse.length).toBeGreaterThan(0);
  });

  it('loadDatasetCodec() and a Q/R SCP load it up front, before any data set (the first query does not wait)', async () => {
    const ahead = await loadsOfDcmjs('netdicom', 'await nd.loadDatasetCodec();');
    expect(ahead.afterImport).toEqual([]);
    expect(ahead.afterUse.some((f) => f.endsWith('/dcmjs/build/dcmjs.es.js')), ahead.afterUse.join()).toBe(true);
    const qr = `
      const { mkdtempSync, rmSync } = await import('node:fs');
      const directory = mkdtempSync('/tmp/nd-qr-dcmjs-');
      const scp = await nd.createQrScp({ directory, databaseFile: null, connect: () => Promise.reject(new Error('no C-MOVE here')) });
      await scp.close();
      rmSync(directory, { recursive: true });
    `;
    const atStart = await loadsOfDcmjs('netdicom/node', qr);
    expect(atStart.afterImport).toEqual([]);
    expect(atStart.afterUse.some((f) => f.endsWith('/dcmjs/build/dcmjs.es.js')), atStart.afterUse.join()).toBe(true);
  });

  it("bundlers (the 'module' condition, even when they target Node) get the default entry, which has dcmjs at import", async () => {
    // A bundle for Node must contain dcmjs: the Node entry's require() of it would not be followed.
    const r = await loadsOfDcmjs('netdicom', roundTrip, ['--conditions=module']);
    expect(r.resolved).toBe(new URL('../../dist/index.js', import.meta.url).href);
    expect(r.afterImport.some((f) => f.endsWith('/dcmjs/build/dcmjs.es.js')), r.afterImport.join()).toBe(true);
    expect(r.result).toBe('12');
  });
});
