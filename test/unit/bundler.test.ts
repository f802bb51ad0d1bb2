/**
 * An application bundled for Node with Rollup and its node-resolve plugin (the resolution webpack,
 * Vite and esbuild share: the `module` condition before `node`) gets the default entry, which
 * imports dcmjs statically, so the bundle runs where no node_modules is. The Node entry's loader
 * (a `require()` of dcmjs at first use) would not be followed by a bundler. Built package (dist/).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { rollup } from 'rollup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
let work = '';

beforeAll(() => {
  if (!existsSync(path.join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build`');
  work = mkdtempSync(path.join(tmpdir(), 'nd-bundle-'));
  // Where the bundle runs, Node must find no dcmjs: no node_modules in any parent directory.
  for (let dir = work; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'node_modules'))) throw new Error(`${dir} has a node_modules: the bundle would not run on its own there`);
    if (dir === path.dirname(dir)) break;
  }
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Bundles `source` (an ES module importing the package by name) for Node into a directory outside the project, and runs it there. */
async function bundleAndRun(source: string): Promise<{ code: string; stdout: string }> {
  const app = {
    name: 'app-entry', // the application's module, imported by name from the project's root (self-reference)
    resolveId: (id: string) => (id === 'app-entry' ? id : null),
    load: (id: string) => (id === 'app-entry' ? source : null),
  };
  const build = await rollup({
    input: 'app-entry',
    plugins: [app, nodeResolve({ rootDir: root, exportConditions: ['node'], preferBuiltins: true }), commonjs()],
    onwarn: () => {}, // circular-dependency and `this` notes from dcmjs's dependencies
  });
  const { output } = await build.generate({ format: 'es', inlineDynamicImports: true });
  await build.close();
  const code = output.map((o) => ('code' in o ? o.code : '')).join('\n');
  const file = path.join(work, 'app.mjs');
  writeFileSync(file, code);
  const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: work });
  return { code, stdout: stdout.trim() };
}

describe('bundling the package for Node (Rollup, node-resolve)', () => {
  it('the bundle holds dcmjs and encodes and decodes a data set without node_modules', async () => {
    const { code, stdout } = await bundleAndRun(`
      import { encodeDataset, decodeDataset } from 'netdicom';
      import { createFsStore } from 'netdicom/node';
      const bytes = encodeDataset({ PatientID: '12', PatientName: 'DOE^J' }, '1.2.840.10008.1.2.1');
      console.log(decodeDataset(bytes, '1.2.840.10008.1.2.1').PatientID, typeof createFsStore);
    `);
    expect(code).not.toMatch(/from ['"]dcmjs['"]/); // resolved into the bundle, not left as an import
    expect(code).toContain('DicomMetaDictionary');
    expect(stdout).toBe('12 function');
  }, 60_000);

  it('an association over the in-memory pair runs from the bundle (C-ECHO, C-FIND with a data set)', async () => {
    const { stdout } = await bundleAndRun(`
      import { ApplicationEntity, SopClass } from 'netdicom';
      import { createMemoryPair } from 'netdicom/memory';
      const scp = new ApplicationEntity({ aeTitle: 'SCP' });
      scp.addSupportedContext(SopClass.Verification);
      scp.addSupportedContext(SopClass.StudyRootQueryRetrieveInformationModelFind);
      const [client, server] = createMemoryPair();
      scp.handle(server, { *cFind(request) { yield { QueryRetrieveLevel: 'STUDY', PatientID: request.identifier.PatientID }; } });
      const scu = new ApplicationEntity({ aeTitle: 'SCU' });
      scu.addRequestedContext(SopClass.Verification);
      scu.addRequestedContext(SopClass.StudyRootQueryRetrieveInformationModelFind);
      const assoc = await scu.associate(client, { calledAeTitle: 'SCP' });
      const echo = await assoc.cEcho();
      const ids = [];
      for await (const r of assoc.cFind({ QueryRetrieveLevel: 'STUDY', PatientID: '42' }, { model: 'study' })) {
        if (r.category === 'Pending') ids.push(r.identifier.PatientID);
      }
      await assoc.release();
      console.log(echo.status, ids.join());
    `);
    expect(stdout).toBe('0 42');
  }, 60_000);
});
