/**
 * The demo page in a real browser: Debian's Chromium, headless, driven by playwright-core
 * (which downloads no browser; we point it at /usr/bin/chromium). The page loads the IIFE bundle
 * with a <script> tag and does C-ECHO, C-FIND and C-STORE through the WebSocket proxy against the
 * demo's SCP, all on 127.0.0.1. Needs `npm run build` first (`npm run test:browser` does it).
 *
 * Chromium may reach only 127.0.0.1: every name resolves to nothing except 127.0.0.1, and any
 * request for another host is aborted by a route handler.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../demo/server.mjs';
import { readPart10 } from '../../src/dataset/codec';
import { ctPart10, MR_IMAGE_STORAGE } from '../helpers/ct-instance';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = '/tmp/netdicom-demo.png';

let demo: Demo;
let context: BrowserContext;
let page: Page;
let profile: string;
let dataDir: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'netdicom-demo-test-'));
  demo = await startDemo({ port: 0, dicomPort: 0, dataDir });
  profile = mkdtempSync(path.join(tmpdir(), 'netdicom-chromium-'));
  // A persistent context is how playwright takes our own fresh --user-data-dir.
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
    viewport: { width: 1100, height: 1200 },
  });
  await context.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    return host === '127.0.0.1' ? route.continue() : route.abort('blockedbyclient');
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  await page.goto(demo.url);
}, 60000);

afterAll(async () => {
  await context?.close();
  await demo?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Waits until a status box is no longer busy and returns its class and text. */
async function settled(id: string): Promise<{ kind: string; text: string }> {
  const box = page.locator(`#${id}`);
  await page.waitForFunction((el) => el !== null && /\b(ok|error)\b/.test(el.className), await box.elementHandle(), { timeout: 30000 });
  return { kind: (await box.getAttribute('class')) ?? '', text: await box.innerText() };
}

describe('demo page in headless Chromium', () => {
  it('loads the bundle with a script tag: the global has connectWebSocket', async () => {
    expect(await page.evaluate(() => typeof (globalThis as unknown as { netdicom?: { connectWebSocket?: unknown } }).netdicom?.connectWebSocket)).toBe('function');
    expect(await page.title()).toBe('netdicom browser demo');
  });

  it('Echo: C-ECHO through the proxy succeeds', async () => {
    await page.click('#echo');
    const { kind, text } = await settled('echo-status');
    expect(text).toMatch(/^Echo: .*0x0000/);
    expect(kind).toContain('ok');
  });

  it('Find: C-FIND lists the sample studies, and filters by patient name', async () => {
    await page.fill('#patient-name', '*');
    await page.click('#find');
    let result = await settled('find-status');
    expect(result.kind).toContain('ok');
    expect(result.text).toMatch(/Found 3 studies/);
    expect(await page.locator('#results tbody tr').count()).toBe(3);
    await page.fill('#patient-name', 'DOE*');
    await page.click('#find');
    await page.waitForFunction(() => document.querySelectorAll('#results tbody tr').length === 1, null, { timeout: 30000 });
    result = await settled('find-status');
    expect(result.text).toMatch(/Found 1 study/);
    expect(await page.locator('#results tbody').innerText()).toContain('DOE^JANE');
  });

  it('Store: a chosen file is stored with C-STORE and lands on disk, then Find sees it', async () => {
    const uid = '1.2.826.0.1.3680043.9.7433.99.1';
    const { file, dataset } = ctPart10({ sopInstanceUid: uid, sopClassUid: MR_IMAGE_STORAGE, rows: 128, columns: 128 });
    const upload = path.join(dataDir, '..', `upload-${process.pid}.dcm`);
    writeFileSync(upload, file);
    await page.setInputFiles('#files', upload);
    await page.click('#store');
    const { kind, text } = await settled('store-status');
    rmSync(upload);
    expect(text).toMatch(/Stored 1 of 1 file/);
    expect(kind).toContain('ok');
    const stored = path.join(dataDir, `${uid}.dcm`);
    expect(existsSync(stored)).toBe(true);
    const onDisk = readPart10(new Uint8Array(readFileSync(stored)));
    expect(onDisk.sopInstanceUid).toBe(uid);
    expect(Buffer.from(onDisk.dataset).equals(Buffer.from(dataset))).toBe(true);

    await page.fill('#patient-name', 'TEST*');
    await page.click('#find');
    await page.waitForFunction(() => /TEST\^STORE/.test(document.querySelector('#results tbody')?.textContent ?? ''), null, { timeout: 30000 });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('shows errors in plain words: a file that is not DICOM is skipped with a reason', async () => {
    const junk = path.join(dataDir, '..', `junk-${process.pid}.txt`);
    writeFileSync(junk, 'not dicom');
    await page.setInputFiles('#files', junk);
    await page.click('#store');
    const { kind, text } = await settled('store-status');
    rmSync(junk);
    expect(kind).toContain('error');
    expect(text).toMatch(/not a DICOM Part 10 file/);
  });

  it('no uncaught errors on the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
