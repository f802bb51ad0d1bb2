/**
 * The browser end of the bench's `proxy` row: Debian's Chromium, headless, opens a page that
 * `netdicom proxy --static` serves and sends one instance through the proxy with the IIFE bundle
 * and the browser's own WebSocket, as a web app would. Timed in the page from connect to release,
 * as the Node SCUs time themselves; the page fetches the instance before the clock starts and
 * posts its result to a small HTTP server of the bench's.
 *
 * Chromium runs as a plain process, not through playwright: a DevTools client (playwright enables
 * the Network domain) makes Chromium report every WebSocket frame with its payload, which cut a
 * bare WebSocket upload here from ~130 MB/s to ~22 MB/s.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LOOPBACK_CHROMIUM_ARGS } from './chromium-args.mjs';
import { start, stop } from './proc.mjs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether the browser variant can run on this machine. */
export const haveChromium = () => existsSync(CHROMIUM);

/**
 * The page: its parameters come in the query string, its result goes to `report` as JSON. Mode
 * `store`: a C-STORE with netdicom; mode `get`: C-GET of the study `study` (Study Root) `repeat`
 * times in one association, up to `window` sub-operations in flight, each instance read into
 * memory (`bytes({ shared: true })`: joined inside the message it came in) and dropped, as a
 * viewer would take it; mode `raw`: `bytes` of zeros as bare 512 KiB binary messages (the transport's default size; no DICOM),
 * written as netdicom's transport writes (wait while more than 4 MiB is queued,
 * polling every 1 ms), timed until the browser has handed everything on (bufferedAmount 0).
 */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>netdicom bench</title>
<script src="netdicom.iife.min.js"></script>
<script>
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function raw(url, bytes) {
  const ws = new WebSocket(url, ['binary']);
  ws.binaryType = 'arraybuffer';
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = () => reject(new Error('WebSocket failed')))));
  const message = new Uint8Array(512 * 1024);
  const t0 = performance.now();
  for (let sent = 0; sent < bytes; sent += message.length) {
    ws.send(sent + message.length <= bytes ? message : message.subarray(0, bytes - sent));
    while (ws.bufferedAmount > 4 * 1024 * 1024) await sleep(1);
  }
  while (ws.bufferedAmount > 0) await sleep(1);
  const seconds = (performance.now() - t0) / 1000;
  ws.close(1000);
  return { seconds, status: 0 };
}
async function get(url, q) {
  const { ApplicationEntity, SopClass, connectWebSocket } = netdicom;
  const window = Number(q.get('window'));
  const ae = new ApplicationEntity({ aeTitle: 'BROWSER', maxPduLength: Number(q.get('pdu')), asyncOps: { maxInvoked: 1, maxPerformed: window } });
  ae.addRequestedContext(SopClass.StudyRootQueryRetrieveInformationModelGet);
  ae.addRequestedContext(q.get('sop'), [q.get('ts')], { scuRole: false, scpRole: true });
  let instances = 0;
  let bytes = 0;
  const onStore = async (request) => {
    // Joined where it arrived (a view of the WebSocket message), as a viewer that parses in place would ask.
    bytes += (await request.bytes({ shared: true })).byteLength;
    instances++;
    return 0;
  };
  const t0 = performance.now();
  const association = await ae.associate(await connectWebSocket(url), { calledAeTitle: q.get('called') });
  let completed = 0;
  for (let k = 0; k < Number(q.get('repeat')); k++) {
    for await (const p of association.cGet({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: q.get('study') }, { model: 'study', onStore })) {
      if (p.category === 'Pending') continue;
      if (p.status !== 0) throw new Error('C-GET final status 0x' + p.status.toString(16));
      completed = p.completed ?? 0;
    }
  }
  await association.release();
  return { seconds: (performance.now() - t0) / 1000, status: 0, completed, instances, bytes };
}
async function store(url, q) {
  const { ApplicationEntity, connectWebSocket } = netdicom;
  const part10 = new Uint8Array(await (await fetch('instance.dcm')).arrayBuffer());
  const ae = new ApplicationEntity({ aeTitle: 'BROWSER', maxPduLength: Number(q.get('pdu')) });
  ae.addRequestedContext(q.get('sop'), [q.get('ts')]);
  const t0 = performance.now();
  const association = await ae.associate(await connectWebSocket(url), { calledAeTitle: q.get('called') });
  const response = await association.cStore({ part10 });
  await association.release();
  return { seconds: (performance.now() - t0) / 1000, status: response.status };
}
(async () => {
  const q = new URLSearchParams(location.search);
  const post = (result) => fetch(q.get('report'), { method: 'POST', mode: 'no-cors', body: JSON.stringify(result) });
  const url = location.origin.replace(/^http/, 'ws') + '/' + q.get('target');
  const modes = { raw: () => raw(url, Number(q.get('bytes'))), get: () => get(url, q), store: () => store(url, q) };
  try {
    await post(await modes[q.get('mode')]());
  } catch (error) {
    await post({ error: String(error && error.stack || error) });
  }
})();
</script>
`;

/** Writes the page, the bundle and the instance if any (as `instance.dcm`) into `dir`, which the proxy serves. */
export function writeBrowserPage(dir, bundle, instance) {
  writeFileSync(path.join(dir, 'index.html'), PAGE);
  copyFileSync(bundle, path.join(dir, 'netdicom.iife.min.js'));
  if (instance) copyFileSync(instance, path.join(dir, 'instance.dcm'));
}

/** A loopback HTTP server that takes one POSTed JSON result. */
async function resultServer() {
  let deliver;
  const result = new Promise((resolve) => (deliver = resolve));
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      res.end();
      if (req.method === 'POST') deliver(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, result, close: () => server.close() };
}

/**
 * A fresh headless Chromium opens `pageUrl` (served by the proxy), stores `instance.dcm` through
 * the proxy's target `target`, and is stopped. Resolves to { seconds } of the association
 * (connect → release); rejects unless the C-STORE succeeded within `timeoutMs`.
 */
export function browserStore({ pageUrl, target, calledAeTitle, maxPduLength, sopClassUid, transferSyntaxUid, timeoutMs }) {
  return inChromium(pageUrl, { mode: 'store', target, called: calledAeTitle, pdu: String(maxPduLength), sop: sopClassUid, ts: transferSyntaxUid }, timeoutMs);
}

/**
 * The same page retrieves study `studyUid` `repeat` times with C-GET through the proxy's target
 * `target` (a Q/R SCP), proposing to perform up to `window` C-STORE sub-operations at once:
 * { seconds, completed (of the last C-GET), instances, bytes (all received) }.
 */
export function browserGet({ pageUrl, target, calledAeTitle, maxPduLength, studyUid, repeat, window = 1, sopClassUid, transferSyntaxUid, timeoutMs }) {
  const params = { mode: 'get', target, called: calledAeTitle, pdu: String(maxPduLength), study: studyUid, repeat: String(repeat), window: String(window), sop: sopClassUid, ts: transferSyntaxUid };
  return inChromium(pageUrl, params, timeoutMs);
}

/** The same page sends `bytes` as bare WebSocket messages to the proxy's target `target` (a TCP sink): { seconds }. */
export function browserRaw({ pageUrl, target, bytes, timeoutMs }) {
  return inChromium(pageUrl, { mode: 'raw', target, bytes: String(bytes) }, timeoutMs);
}

/** A loopback TCP server that reads and drops everything: the far end of the raw variant. */
export async function tcpSink() {
  const server = net.createServer((socket) => {
    socket.on('data', () => {});
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, close: () => server.close() };
}

/** Runs the page in a fresh headless Chromium with `params`; resolves to its { seconds } once it reports success. */
async function inChromium(pageUrl, params, timeoutMs = 120000) {
  const results = await resultServer();
  const profile = mkdtempSync(path.join(tmpdir(), 'netdicom-bench-chromium-'));
  const query = new URLSearchParams({ ...params, report: results.url });
  const chromium = start(CHROMIUM, ['--headless', ...LOOPBACK_CHROMIUM_ARGS, `--user-data-dir=${profile}`, `${pageUrl}?${query}`]);
  let timer;
  try {
    const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no result from Chromium within ${timeoutMs} ms`)), timeoutMs)));
    const exited = chromium.exited.then((r) => Promise.reject(new Error(`Chromium exited (${r.code ?? r.signal}) before the page reported:\n${r.output.slice(-2000)}`)));
    const result = JSON.parse(await Promise.race([results.result, exited, timeout]));
    if (result.error) throw new Error(`the page failed (${params.mode}): ${result.error}`);
    if (result.status !== 0) throw new Error(`the page's C-STORE status 0x${result.status.toString(16)}`);
    const { error, status, ...measured } = result;
    return measured;
  } finally {
    clearTimeout(timer);
    await stop(chromium);
    results.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
