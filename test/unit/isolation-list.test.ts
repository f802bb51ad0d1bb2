/**
 * The unit files share worker processes (test/helpers/isolation.ts). A file that mocks a module,
 * stubs a global or imports another test file changes what the next file in the same worker sees
 * (or, importing a test file another file already loaded, registers no tests at all), and one that
 * counts open descriptors or memory sees what earlier files left closing, so it must be listed in
 * NEEDS_ISOLATION. This keeps a new such file from passing alone and failing in company.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NEEDS_ISOLATION } from '../helpers/isolation';

const root = path.resolve(import.meta.dirname, '../..');

/** A `*` in a listed path matches within one path segment; nothing else is special. */
const listed = (file: string) =>
  NEEDS_ISOLATION.some((pattern) => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`).test(file));

/** Why a test file's source needs a module graph of its own, or undefined. */
function needsIsolation(source: string): string | undefined {
  if (/\bvi\.(mock|doMock|stubGlobal)\(/.test(source)) return 'mocks a module or stubs a global';
  if (/^import '\.\/[^']*(\.test|-mode)'/m.test(source)) return 'imports another test file or a mode switch';
  if (/\/proc\/self\/fd|getHeapSpaceStatistics|memoryUsage\(|lentReadStats/.test(source)) return 'measures the process';
  return undefined;
}

const testFiles = ['test/unit', 'test/isomorphic'].flatMap((dir) =>
  readdirSync(path.join(root, dir))
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => `${dir}/${name}`)
    .filter((file) => file !== 'test/unit/isolation-list.test.ts'), // names every pattern it looks for
);

describe('unit files that need isolation are listed', () => {
  it('finds what it looks for', () => {
    expect(needsIsolation("vi.mock('node:fs', async () => ({}))")).toBeDefined();
    expect(needsIsolation("import './n-tcp-mode';\nimport './n-services.test';")).toBeDefined();
    expect(needsIsolation("const before = readdirSync('/proc/self/fd').length;")).toBeDefined();
    expect(needsIsolation("import { vi } from 'vitest';\nconst spy = vi.fn();")).toBeUndefined();
    expect(listed('test/unit/print-tcp.test.ts')).toBe(true);
    expect(listed('test/unit/print.test.ts')).toBe(false);
  });

  it('every such file is in NEEDS_ISOLATION', () => {
    const missing = testFiles
      .map((file) => ({ file, why: needsIsolation(readFileSync(path.join(root, file), 'utf8')) }))
      .filter(({ file, why }) => why !== undefined && !listed(file))
      .map(({ file, why }) => `${file}: ${why}`);
    expect(missing).toEqual([]);
    expect(testFiles.length).toBeGreaterThan(90);
  });
});
