/**
 * The demo page in a real browser: Debian's Chromium, headless, driven by playwright-core
 * (which downloads no browser; we point it at /usr/bin/chromium). The page loads the IIFE bundle
 * with a <script> tag and does C-ECHO, C-FIND (patient/study/series), C-GET (drawn on a canvas)
 * and C-STORE (file input and drag and drop) through the WebSocket proxy, against the demo's
 * netdicom SCP and against DCMTK (storescp for echo/store, dcmqrscp for find/get), all on
 * 127.0.0.1. Needs `npm run build` first (`npm run test:browser` does it).
 *
 * Chromium may reach only 127.0.0.1: every name resolves to nothing except 127.0.0.1, and any
 * request for another host is aborted by a route handler.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOPBACK_CHROMIUM_ARGS } from '../../bench/lib/chromium-args.mjs';
import { startDemo, type Demo } from '../../demo/server.mjs';
import { writeSamples } from '../../demo/samples.mjs';
import { readPart10 } from '../../src/dataset/codec';
import { ctPart10, MR_IMAGE_STORAGE } from '../helpers/ct-instance';
import { dcmtkVersion, freePort, killAll, run, start, waitForPort } from '../interop/helpers/dcmtk';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = path.join(tmpdir(), 'netdicom-demo.png');
const SCREENSHOT_DCMTK = path.join(tmpdir(), 'netdicom-demo-dcmtk.png');

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
    args: [...LOOPBACK_CHROMIUM_ARGS],
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
  await killAll();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Waits until a status box is no longer busy and returns its class and text. */
async function settled(id: string): Promise<{ kind: string; text: string }> {
  const box = page.locator(`#${id}`);
  await page.waitForFunction((el) => el !== null && /\b(ok|error)\b/.test(el.className), await box.elementHandle(), { timeout: 30000 });
  return { kind: (await box.getAttribute('class')) ?? '', text: await box.innerText() };
}

/** Clicks a button that starts work reported in a status box and waits for the new result. */
async function clickAndSettle(selector: string, id: string): Promise<{ kind: string; text: string }> {
  await page.evaluate((i) => {
    const box = document.getElementById(i)!;
    box.className = 'status';
  }, id);
  await page.click(selector);
  return settled(id);
}

/** Statistics of the first canvas's pixels (read back in the page): distinct gray levels, max. */
function canvasStats(): Promise<{ count: number; width: number; height: number; levels: number; max: number }> {
  return page.evaluate(() => {
    const canvases = [...document.querySelectorAll('#images canvas')] as HTMLCanvasElement[];
    if (canvases.length === 0) return { count: 0, width: 0, height: 0, levels: 0, max: 0 };
    const c = canvases[0]!;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const levels = new Set<number>();
    let max = 0;
    for (let i = 0; i < data.length; i += 4) {
      levels.add(data[i]!);
      max = Math.max(max, data[i]!);
    }
    return { count: canvases.length, width: c.width, height: c.height, levels: levels.size, max };
  });
}

/** Drops a file on the drop zone: a DataTransfer built in the page, dispatched as a drop event. */
async function dropFile(name: string, bytes: Uint8Array): Promise<void> {
  await page.evaluate(
    ({ name, data }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], name, { type: 'application/dicom' }));
      const zone = document.getElementById('drop')!;
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    { name, data: Array.from(bytes) },
  );
}

/** Study rows → click the one containing `text` → series listed → Retrieve → canvas drawn. */
async function retrieveFirstSeriesOf(text: string): Promise<{ kind: string; text: string }> {
  await page.evaluate(() => (document.getElementById('series-status')!.className = 'status'));
  await page.locator('#results tbody tr', { hasText: text }).first().click();
  const series = await settled('series-status');
  expect(series.kind, series.text).toContain('ok');
  expect(series.text).toMatch(/Found 1 series/);
  expect(await page.locator('#series tbody tr').count()).toBe(1);
  return clickAndSettle('#series tbody tr button.retrieve', 'retrieve-status');
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

  it('Patients: C-FIND at PATIENT level lists the patients; clicking one lists its studies', async () => {
    await page.fill('#patient-name', '*');
    const result = await clickAndSettle('#find-patients', 'find-status');
    expect(result.kind, result.text).toContain('ok');
    expect(result.text).toMatch(/Found 3 patients.*0x0000/);
    expect(await page.locator('#patients tbody').innerText()).toContain('SMITH^JOHN');
    await page.evaluate(() => (document.getElementById('find-status')!.className = 'status'));
    await page.locator('#patients tbody tr', { hasText: 'DEMO-002' }).click();
    const studies = await settled('find-status');
    expect(studies.text).toMatch(/Found 1 study for patient DEMO-002/);
    expect(await page.locator('#results tbody').innerText()).toContain('MR KNEE LEFT');
  });

  it('Series and C-GET: clicking a study lists its series; Retrieve draws the images on canvases', async () => {
    await page.fill('#patient-name', 'DOE*');
    await clickAndSettle('#find', 'find-status');
    const { kind, text } = await retrieveFirstSeriesOf('DOE^JANE');
    expect(kind, text).toContain('ok');
    expect(text).toMatch(/Retrieved 2 instances \(completed 2, failed 0, warning 0\).*0x0000/);
    expect(await page.locator('#instances tbody tr').count()).toBe(2);
    expect(await page.locator('#instances tbody').innerText()).toMatch(/CT Image Storage[\s\S]*64×64, 16-bit MONOCHROME2/);
    const stats = await canvasStats();
    expect(stats).toMatchObject({ count: 2, width: 64, height: 64 });
    expect(stats.levels).toBeGreaterThan(16); // a gradient, not a blank canvas
    expect(stats.max).toBe(255);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
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
  });

  it('Drag and drop: a file dropped on the zone is stored right away, with the progress bar full', async () => {
    const uid = '1.2.826.0.1.3680043.9.7433.99.2';
    const { file } = ctPart10({ sopInstanceUid: uid, rows: 32, columns: 32 });
    await page.evaluate(() => (document.getElementById('store-status')!.className = 'status'));
    await dropFile('dropped.dcm', file);
    const { kind, text } = await settled('store-status');
    expect(kind, text).toContain('ok');
    expect(text).toMatch(/Stored 1 of 1 file[\s\S]*dropped\.dcm: .*0x0000/);
    expect(await page.evaluate(() => {
      const bar = document.getElementById('store-progress') as HTMLProgressElement;
      return !bar.hidden && bar.value === bar.max;
    })).toBe(true);
    expect(existsSync(path.join(dataDir, `${uid}.dcm`))).toBe(true);
  });

  it('shows errors in plain words: a file that is not DICOM is skipped with a reason', async () => {
    const junk = path.join(dataDir, '..', `junk-${process.pid}.txt`);
    writeFileSync(junk, 'not dicom');
    await page.setInputFiles('#files', junk);
    const { kind, text } = await clickAndSettle('#store', 'store-status');
    rmSync(junk);
    expect(kind).toContain('error');
    expect(text).toMatch(/not a DICOM Part 10 file/);
  });

  it('no uncaught errors on the page', () => {
    expect(pageErrors).toEqual([]);
  });
});

/**
 * The same page against DCMTK through the proxy: storescp (echo, store) and dcmqrscp (find, get;
 * configured as in test/interop/dcmtk-qr.test.ts, loaded with DCMTK storescu).
 */
describe.skipIf(!dcmtkVersion())('demo page in headless Chromium against DCMTK', () => {
  let root: string;
  let storeDemo: Demo;
  let qrDemo: Demo;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'netdicom-demo-dcmtk-'));
    const received = path.join(root, 'storescp');
    const db = path.join(root, 'db');
    const samples = path.join(root, 'samples');
    for (const dir of [received, db, samples]) mkdirSync(dir);
    const storescpPort = await freePort();
    const qrPort = await freePort();
    start('storescp', ['-aet', 'STORESCP', '-od', received, String(storescpPort)]);
    const cfg = path.join(root, 'dcmqrscp.cfg');
    writeFileSync(cfg, [
      `NetworkTCPPort = ${qrPort}`, 'MaxPDUSize = 16384', 'MaxAssociations = 16',
      'HostTable BEGIN', 'HostTable END', 'VendorTable BEGIN', 'VendorTable END',
      'AETable BEGIN', `DCMQRSCP ${db} RW (200, 1024mb) ANY`, 'AETable END', '',
    ].join('\n'));
    // Forks a child per association; the children end with their association.
    start('dcmqrscp', ['-c', cfg]);
    await Promise.all([waitForPort('127.0.0.1', storescpPort), waitForPort('127.0.0.1', qrPort)]);
    const load = await run('storescu', ['-aec', 'DCMQRSCP', '127.0.0.1', String(qrPort), ...writeSamples(samples)]);
    expect(load.code, load.output).toBe(0);
    storeDemo = await startDemo({ port: 0, pacs: { host: '127.0.0.1', port: storescpPort } });
    qrDemo = await startDemo({ port: 0, pacs: { host: '127.0.0.1', port: qrPort } });
  }, 60000);

  afterAll(async () => {
    await storeDemo?.close();
    await qrDemo?.close();
    await killAll();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('storescp: echo and store (drag and drop) through the proxy', async () => {
    await page.goto(`${storeDemo.url}?ae=STORESCP`);
    const echo = await clickAndSettle('#echo', 'echo-status');
    expect(echo.kind, echo.text).toContain('ok');
    expect(echo.text).toMatch(/^Echo: .*0x0000/);
    const uid = '1.2.826.0.1.3680043.9.7433.99.3';
    const { file, dataset } = ctPart10({ sopInstanceUid: uid, sopClassUid: MR_IMAGE_STORAGE, rows: 64, columns: 64 });
    await dropFile('to-dcmtk.dcm', file);
    const { kind, text } = await settled('store-status');
    expect(kind, text).toContain('ok');
    expect(text).toMatch(/Stored 1 of 1 file/);
    const files = readdirSync(path.join(root, 'storescp'));
    const name = files.find((f) => f.includes(uid));
    expect(name, files.join(', ')).toBeDefined();
    const onDisk = readPart10(new Uint8Array(readFileSync(path.join(root, 'storescp', name!))));
    expect(Buffer.from(onDisk.dataset).equals(Buffer.from(dataset))).toBe(true);
  });

  it('storescp offers no query service: Find says so in plain words', async () => {
    const { kind, text } = await clickAndSettle('#find', 'find-status');
    expect(kind).toContain('error');
    expect(text).toMatch(/^The PACS does not offer this service.*Study Root Query\/Retrieve Information Model - FIND/);
  });

  it('dcmqrscp: find patients, studies and series, then C-GET a series onto canvases', async () => {
    await page.goto(`${qrDemo.url}?ae=DCMQRSCP`);
    await page.fill('#patient-name', '*');
    const patients = await clickAndSettle('#find-patients', 'find-status');
    expect(patients.kind, patients.text).toContain('ok');
    expect(patients.text).toMatch(/Found 3 patients/);
    const studies = await clickAndSettle('#find', 'find-status');
    expect(studies.kind, studies.text).toContain('ok');
    expect(studies.text).toMatch(/Found 3 studies.*0x0000/);
    const { kind, text } = await retrieveFirstSeriesOf('MUSTERMANN');
    expect(kind, text).toContain('ok');
    expect(text).toMatch(/Retrieved 2 instances.*0x0000/);
    const stats = await canvasStats();
    expect(stats).toMatchObject({ count: 2, width: 64, height: 64 });
    expect(stats.levels).toBeGreaterThan(16);
    await page.screenshot({ path: SCREENSHOT_DCMTK, fullPage: true });
  });

  it('no uncaught errors on the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
