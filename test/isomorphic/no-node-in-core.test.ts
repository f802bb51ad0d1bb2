/**
 * Keeps the core platform-free: src/ (and the browser-safe adapters) must not reach for
 * Node built-ins, and the browser bundle must not import any.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** What a Node-only dependency looks like in source. */
const FORBIDDEN: Array<[string, RegExp]> = [
  ["from 'node:", /\bfrom\s+['"]node:/],
  ["import('node:", /\bimport\(\s*['"]node:/],
  ['require(', /(?<![\w$.])require\s*\(/],
  ['Buffer.', /(?<![\w$.])Buffer\./],
  ['process.', /(?<![\w$.])process\./],
];

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Blanks out comments and string contents (keeping line breaks) so only code is searched. */
export function stripCommentsAndStrings(source: string): string {
  return source.replace(
    /\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`/g,
    (m) => {
      // Keep import specifiers: the quotes after `from` matter for the node: check.
      if (m.startsWith("'") || m.startsWith('"')) return m;
      return m.replace(/[^\n]/g, ' ');
    },
  );
}

function hits(files: string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const lines = stripCommentsAndStrings(readFileSync(file, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      for (const [label, pattern] of FORBIDDEN) {
        if (pattern.test(line)) found.push(`${relative(root, file)}:${i + 1}: ${label}  ${line.trim()}`);
      }
    });
  }
  return found;
}

describe('no Node.js in the isomorphic code', () => {
  it('src/ uses no node: imports, require, Buffer or process', () => {
    const files = tsFiles(join(root, 'src'));
    expect(files.length).toBeGreaterThan(0);
    expect(hits(files), 'Node-only code in src/').toEqual([]);
  });

  it('browser-safe adapters (memory, browser entry) do the same', () => {
    const files = [
      ...tsFiles(join(root, 'adapters/memory')),
      ...tsFiles(join(root, 'adapters/websocket')),
      join(root, 'adapters/browser-entry.ts'),
      join(root, 'adapters/browser-polyfill.ts'),
    ].filter((f) => existsSync(f));
    expect(hits(files)).toEqual([]);
  });

  it('the checker itself catches what it should and ignores comments', () => {
    const dir = stripCommentsAndStrings(
      "// process.env in a comment\nimport x from 'node:fs';\nconst b = Buffer.from(a); /* require('x') */\n",
    );
    const flagged = FORBIDDEN.filter(([, p]) => dir.split('\n').some((l) => p.test(l))).map(([label]) => label);
    expect(flagged).toEqual(["from 'node:", 'Buffer.']);
  });

  for (const file of ['netdicom.iife.js', 'netdicom.iife.min.js']) {
    it(`dist/${file} imports no node: modules`, () => {
      const bundle = join(root, 'dist', file);
      expect(existsSync(bundle), 'run `npm run build` first').toBe(true);
      const text = readFileSync(bundle, 'utf8');
      for (const needle of ['require("node:', "require('node:", 'from "node:', "from 'node:", 'import("node:']) {
        expect(text.includes(needle), needle).toBe(false);
      }
    });
  }
});
