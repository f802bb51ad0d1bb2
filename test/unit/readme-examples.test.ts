/**
 * Runs every ```js block of README.md as an ES module inside the package (so `import 'netdicom'`
 * resolves to this build through the package's own exports map). Requires `npm run build`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
const dir = mkdtempSync(join(root, '.readme-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What each example must print (by position in the README), so a silently broken example fails. */
const expected = [/echo 0\n[\s\S]*store Success/, /final status Cancel/, /^Uint8Array\(2\) \[ 0, 1 \]$/m, /^42 0$/m, /stored 1\.2\.826\.0\.1\.3680043\.9\.7433\.42 \d+ bytes\nstore Success/, /^true false Müller\^Jürgen=山田\ntrue Hong\^Gildong=洪\^吉洞$/m];

describe('README examples', () => {
  it('has examples', () => expect(blocks.length).toBeGreaterThanOrEqual(3));
  blocks.forEach((code, i) => {
    it(`example ${i + 1} runs and exits 0`, async () => {
      const file = join(dir, `example-${i + 1}.mjs`);
      writeFileSync(file, code);
      const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: root, timeout: 15000 });
      expect(stdout).toMatch(expected[i] ?? /./);
    });
  });
});
