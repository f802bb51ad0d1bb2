/**
 * The source guard for test/unit/gc-retention.test.ts: inside functions, no function literal
 * assigned straight to a property (`x.onY = () => …`) and no object literal with a getter or
 * setter. V8 puts either in the old generation, where it keeps the closures it holds, and
 * everything they reach, alive through young-generation collections until a full one. Assign a
 * local instead (`const onY = () => …; x.onY = onY;`), or use a class with prototype accessors.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');

/** Made once per process or per server, not per association: allowed. */
const ALLOWED = new Set(['adapters/websocket-proxy/proxy.ts: accessors connections']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Every offending spot in `source`, as `file: what` (file relative to the project). */
function retentionPatterns(file: string, source: string): string[] {
  const found: string[] = [];
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const at = (node: ts.Node) => `${file}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node, inFunction: boolean): void => {
    const inside = inFunction || ts.isFunctionLike(node);
    if (inside && ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      let value: ts.Expression = node.right;
      while (ts.isParenthesizedExpression(value) || ts.isAsExpression(value)) value = value.expression;
      const toProperty = ts.isPropertyAccessExpression(node.left) || ts.isElementAccessExpression(node.left);
      if (toProperty && (ts.isArrowFunction(value) || ts.isFunctionExpression(value))) found.push(`${at(node)} ${node.left.getText()} = function literal`);
    }
    if (inside && ts.isObjectLiteralExpression(node)) {
      const accessors = node.properties.filter((p) => ts.isGetAccessor(p) || ts.isSetAccessor(p)).map((p) => p.name!.getText());
      if (accessors.length > 0) found.push(`${file}: accessors ${accessors.join(', ')}`);
    }
    ts.forEachChild(node, (child) => visit(child, inside));
  };
  visit(sf, false);
  return found;
}

describe('patterns that keep finished associations alive in V8 (see gc-retention.test.ts)', () => {
  it('finds both patterns (the check itself works)', () => {
    const source = 'function f(o: any) { o.onX = () => 1; return { get y() { return 2; } }; }\nconst top = { get z() { return 3; } };';
    expect(retentionPatterns('x.ts', source)).toEqual(['x.ts:1 o.onX = function literal', 'x.ts: accessors y']);
  });

  it('src/ and adapters/ have none inside functions', () => {
    const files = [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'adapters'))];
    const found = files
      .flatMap((file) => retentionPatterns(path.relative(ROOT, file).split(path.sep).join('/'), readFileSync(file, 'utf8')))
      .filter((spot) => !ALLOWED.has(spot));
    expect(found).toEqual([]);
  });
});
