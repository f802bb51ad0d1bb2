/**
 * dcmjs loads only where data sets are encoded or decoded (issue 8, CLI start-up): the core's
 * association machinery and the apps that never touch a data set (echoscu, echoscp, storescu,
 * storescp, proxy) must not import it, directly or through src/dataset/codec.ts. The services reach the
 * codec through src/dataset/lazy.ts (a dynamic import).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCodec } from '../../src/dataset/lazy';

const root = path.resolve(__dirname, '../..');

/** Static (non-type) imports from `entry`, transitively: the chain to the first forbidden module, or null. */
function chainTo(entry: string, forbidden: (spec: string, file: string) => boolean): string[] | null {
  const from = new Map<string, string | null>([[path.join(root, entry), null]]);
  const queue = [path.join(root, entry)];
  while (queue.length) {
    const file = queue.shift()!;
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm)) {
      const spec = m[1]!;
      const chain = (): string[] => {
        const out = [spec];
        for (let f: string | null | undefined = file; f; f = from.get(f)) out.unshift(path.relative(root, f));
        return out;
      };
      if (!spec.startsWith('.')) {
        if (forbidden(spec, file)) return chain();
        continue;
      }
      const base = path.resolve(path.dirname(file), spec);
      const target = [`${base}.ts`, path.join(base, 'index.ts')].find(existsSync);
      if (!target || from.has(target)) continue;
      if (forbidden(spec, target)) return chain();
      from.set(target, file);
      queue.push(target);
    }
  }
  return null;
}

const loadsDcmjs = (spec: string, file: string): boolean => spec === 'dcmjs' || file.endsWith(path.join('src', 'dataset', 'codec.ts'));

describe('dcmjs is loaded lazily', () => {
  for (const entry of ['src/association.ts', 'src/ae.ts', 'src/requestor.ts', 'src/acceptor.ts', 'src/server.ts', 'adapters/node/fs-store.ts']) {
    it(`${entry} does not import it`, () => expect(chainTo(entry, loadsDcmjs)).toBeNull());
  }
  // Senders read a file's identity by hand (meta.ts); look-ups use the generated dictionary table.
  for (const entry of ['adapters/node/store-file.ts', 'src/services/dictionary.ts', 'src/services/query-matching.ts', 'src/services/n-attributes.ts']) {
    it(`${entry} does not import it`, () => expect(chainTo(entry, loadsDcmjs)).toBeNull());
  }
  for (const app of ['index', 'echoscu', 'echoscp', 'storescu', 'storescp', 'proxy']) {
    it(`netdicom ${app === 'index' ? '(dispatcher)' : app} does not import it`, () => expect(chainTo(`adapters/cli/${app}.ts`, loadsDcmjs)).toBeNull());
  }
  it('the services load it on first use', async () => {
    const codec = await loadCodec();
    expect(codec.decodeDataset(codec.encodeDataset({ PatientID: 'A' }, '1.2.840.10008.1.2'), '1.2.840.10008.1.2')).toEqual({ PatientID: 'A' });
    expect(await loadCodec()).toBe(codec);
  });
});
