#!/usr/bin/env node
/**
 * netdicom SCU for the bench. Times its own work (connect to last release, in-process) and prints
 * one JSON line: { seconds, count, peakKib }.
 * Usage: nd-scu.mjs MODE --port N --max-pdu N [...]
 *   echo --count N          C-ECHO N times in one association
 *   cycles --count N        associate + C-ECHO + release, N times
 *   store --list FILE       C-STORE every file named in FILE (one path a line), one association
 *                           (storeInputFromFile: files up to 1 MiB read whole, larger ones streamed)
 *   stream --list FILE      the same (kept as a name for the one-large-instance rows)
 *   memory --list FILE      the same files read whole into memory first (untimed), each sent from
 *                           its buffer: no disk read in the timed window (the network path alone)
 *     --warm N              store/stream/memory: first send the list N times untimed (an association each), so
 *                           that the timed pass runs in warmed-up processes (SCU and SCP), as in a long-running service;
 *                           echo: first N untimed C-ECHOs in two associations of their own;
 *                           get: N untimed C-GETs (one association) before the timed ones
 *     --pause-after-warm    then print {"warmed":true} and wait for a line on stdin (the bench clears
 *                           the SCP's directory, so the timed pass replaces no file)
 *   concurrent --list FILE --assocs A   A associations at once, files split evenly between them
 *   find --count N          C-FIND (Study Root, IMAGE level, FIND_QUERY) N times in one association; count = matches
 *   find-study              C-FIND (Study Root, STUDY level, bench/lib/qr.mjs STUDY_KEYS); count = matches
 *   get --out DIR --count N C-GET (Study Root, GET_KEYS) N times in one association, instances written to DIR
 *                           (fs-store, no fsync, overwritten each time); count = completed by the last one
 *   --ws URL                reach the SCP through a WebSocket-to-TCP proxy at URL (`ws` as the browser's
 *                           WebSocket, Origin the proxy's own) instead of TCP to --port
 *   --tls-dir DIR           TLS to --port: trust DIR/ca.pem, present DIR/client.pem (bench/lib/pki.mjs)
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ApplicationEntity, SopClass, loadDatasetCodec } from 'netdicom';
import { connectTcp, connectTls, createFsStore, storeInputFromFile } from 'netdicom/node';
import { connectWebSocket } from 'netdicom/websocket';
import { WebSocket } from 'ws';
import { FIND_QUERY } from '../lib/data.mjs';
import { GET_KEYS, STUDY_KEYS } from '../lib/qr.mjs';

const { positionals, values: o } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string' },
    'max-pdu': { type: 'string', default: '16384' },
    window: { type: 'string', default: '1' },
    count: { type: 'string', default: '1' },
    list: { type: 'string' },
    assocs: { type: 'string', default: '1' },
    call: { type: 'string', default: 'ANY-SCP' },
    out: { type: 'string' },
    warm: { type: 'string', default: '0' },
    ws: { type: 'string' },
    'tls-dir': { type: 'string' },
    // After the warm passes print {"warmed":true} and wait for a line on stdin before the timed
    // pass (the bench clears the SCP's output directory in between, untimed).
    'pause-after-warm': { type: 'boolean', default: false },
  },
});
const mode = positionals[0];
const port = Number(o.port);
const count = Number(o.count);

const window = Number(o.window);
// --window N > 1 proposes an asynchronous operations window (PS3.7 D.3.3.3): N C-STOREs in flight.
const ae = new ApplicationEntity({ aeTitle: 'NDSCU', maxPduLength: Number(o['max-pdu']), ...(window > 1 && { asyncOps: { maxInvoked: window, maxPerformed: 1 } }) });
ae.addRequestedContext(SopClass.Verification);
if (mode !== 'get') ae.addRequestedContext(SopClass.CTImageStorage, ['1.2.840.10008.1.2.1']);
ae.addRequestedContext(SopClass.StudyRootQueryRetrieveInformationModelFind);
if (mode === 'get') {
  // C-GET: the instances come back as C-STORE sub-operations, so we take the SCP role for CT.
  ae.addRequestedContext(SopClass.StudyRootQueryRetrieveInformationModelGet);
  ae.addRequestedContext(SopClass.CTImageStorage, ['1.2.840.10008.1.2.1'], { scuRole: false, scpRole: true });
}

/** `ws` with the Origin a page served by the proxy itself would send (the proxy's default: same origin only). */
class SameOriginWebSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols, { origin: `http://${new URL(url).host}` });
  }
}
const tlsFile = (name) => readFileSync(path.join(o['tls-dir'], name));
const tlsOptions = o['tls-dir'] && { ca: tlsFile('ca.pem'), cert: tlsFile('client.pem'), key: tlsFile('client.key') };
const connect = () =>
  o.ws ? connectWebSocket(o.ws, { WebSocket: SameOriginWebSocket }) : tlsOptions ? connectTls({ host: '127.0.0.1', port, ...tlsOptions }) : connectTcp({ host: '127.0.0.1', port });
const associate = async () => ae.associate(await connect(), { calledAeTitle: o.call });
const files = async () => (await readFile(o.list, 'utf8')).split('\n').filter(Boolean);

/** One C-STORE of a Part 10 file through storeInputFromFile (the library's file path); any status but success ends the run. */
async function storeFile(association, file) {
  const r = await association.cStore(await storeInputFromFile(file));
  if (r.status !== 0) throw new Error(`C-STORE ${file}: status 0x${r.status.toString(16)}`);
}

/**
 * Sends the files one after another: a 512 KiB instance is one open and one read; a large one
 * streams from disk. The next file is read while the current one is sent and answered (in the
 * event loop's next check phase, once the request's first PDUs are with the kernel), so the read
 * overlaps the SCP's work instead of sitting between C-STOREs: +10-15 % files/s measured.
 */
async function storeFiles(association, list) {
  if (window > 1) return storeWindowed(association, list);
  let next = storeInputFromFile(list[0]);
  for (let i = 0; i < list.length; i++) {
    const input = await next;
    const response = association.cStore(input);
    if (i + 1 < list.length) {
      next = new Promise((resolve) => setImmediate(() => resolve(storeInputFromFile(list[i + 1]))));
      next.catch(() => {}); // a read failure surfaces when it is awaited, not as an unhandled rejection
    }
    const r = await response;
    if (r.status !== 0) throw new Error(`C-STORE ${list[i]}: status 0x${r.status.toString(16)}`);
  }
}

/**
 * The files read whole into memory, untimed: each a data set buffer with the identity from its
 * meta group (read through storeInputFromFile, whose own read is put back unsent).
 */
async function memoryInputs(list) {
  const inputs = [];
  for (const file of list) {
    const { sopClassUid, sopInstanceUid, transferSyntaxUid, data } = await storeInputFromFile(file);
    await data[Symbol.asyncIterator]().return?.();
    const bytes = readFileSync(file);
    // Part 10: 128-byte preamble, "DICM", then (0002,0000) UL whose value (at 140) is the group's length.
    const datasetOffset = 144 + bytes.readUInt32LE(140);
    inputs.push({ sopClassUid, sopInstanceUid, transferSyntaxUid, data: new Uint8Array(bytes.buffer, bytes.byteOffset + datasetOffset, bytes.byteLength - datasetOffset) });
  }
  return inputs;
}

/** C-STOREs of in-memory inputs, one after another. */
async function storeMemory(association, inputs) {
  for (const input of inputs) {
    const r = await association.cStore(input);
    if (r.status !== 0) throw new Error(`C-STORE ${input.sopInstanceUid}: status 0x${r.status.toString(16)}`);
  }
}

/** Up to `window` C-STOREs at once on one association (the negotiated window bounds it too). */
async function storeWindowed(association, list) {
  let next = 0;
  const lane = async () => {
    while (next < list.length) await storeFile(association, list[next++]);
  };
  await Promise.all(Array.from({ length: window }, lane));
}

// A querying SCU loads the data set codec before it starts, untimed (DCMTK's tools load their
// dictionary at start-up, which the bench's start-up subtraction leaves out of their times too).
if (mode === 'find' || mode === 'find-study' || mode === 'get') await loadDatasetCodec();

// Untimed warm-up passes (--warm): the JIT compiles the hot paths of both processes on these.
const memory = mode === 'memory' ? await memoryInputs(await files()) : null;
if (mode === 'store' || mode === 'stream' || mode === 'memory') {
  for (let pass = 0; pass < Number(o.warm); pass++) {
    const a = await associate();
    await (memory ? storeMemory(a, memory) : storeFiles(a, await files()));
    await a.release();
  }
}
if (mode === 'echo' && Number(o.warm) > 0) {
  // Two associations: a process's second association re-optimises what V8 specialised on the first
  // (per-association objects and closures: ~40 deopts, its first ~1,000 echoes ~3× slower); the third is steady.
  for (let k = 0; k < 2; k++) {
    const a = await associate();
    for (let i = 0; i < Number(o.warm) / 2; i++) await a.cEcho();
    await a.release();
  }
}
if (mode === 'get' && Number(o.warm) > 0) {
  const store = createFsStore({ directory: o.out, fsync: false });
  const a = await associate();
  for (let pass = 0; pass < Number(o.warm); pass++) {
    for await (const p of a.cGet(GET_KEYS, { model: 'study', onStore: store.cStore })) {
      if (p.category !== 'Pending' && p.status !== 0) throw new Error(`warm-up C-GET final status 0x${p.status.toString(16)}`);
    }
  }
  await a.release();
}

if (o['pause-after-warm']) {
  process.stdout.write('{"warmed":true}\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
}

const t0 = performance.now();
const cpu0 = process.cpuUsage();
let done = 0;
switch (mode) {
  case 'echo': {
    const a = await associate();
    for (; done < count; done++) await a.cEcho();
    await a.release();
    break;
  }
  case 'cycles': {
    for (; done < count; done++) {
      const a = await associate();
      await a.cEcho();
      await a.release();
    }
    break;
  }
  case 'store':
  case 'stream': {
    const list = await files();
    const a = await associate();
    await storeFiles(a, list);
    await a.release();
    done = list.length;
    break;
  }
  case 'memory': {
    const a = await associate();
    await storeMemory(a, memory);
    await a.release();
    done = memory.length;
    break;
  }
  case 'concurrent': {
    const list = await files();
    const n = Number(o.assocs);
    const per = Math.ceil(list.length / n);
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const a = await associate();
        await storeFiles(a, list.slice(i * per, (i + 1) * per));
        await a.release();
      }),
    );
    done = list.length;
    break;
  }
  case 'find': {
    const a = await associate();
    for (let i = 0; i < count; i++) {
      for await (const r of a.cFind(FIND_QUERY, { model: 'study' })) {
        if (r.category === 'Pending') done++;
        else if (r.status !== 0) throw new Error(`C-FIND final status 0x${r.status.toString(16)}`);
      }
    }
    await a.release();
    break;
  }
  case 'find-study': {
    const a = await associate();
    for await (const r of a.cFind(STUDY_KEYS, { model: 'study' })) {
      if (r.category === 'Pending') done++;
      else if (r.status !== 0) throw new Error(`C-FIND final status 0x${r.status.toString(16)}`);
    }
    await a.release();
    break;
  }
  case 'get': {
    const store = createFsStore({ directory: o.out, fsync: false });
    const a = await associate();
    for (let i = 0; i < count; i++) {
      for await (const p of a.cGet(GET_KEYS, { model: 'study', onStore: store.cStore })) {
        if (p.category === 'Pending') continue;
        if (p.status !== 0) throw new Error(`C-GET final status 0x${p.status.toString(16)} (${p.failed ?? 0} failed)`);
        done = p.completed ?? 0;
      }
    }
    await a.release();
    break;
  }
  default:
    throw new Error(`unknown mode ${mode}`);
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0); // all threads' CPU in the timed window (μs): where a row's time goes
const m = /VmHWM:\s+(\d+) kB/.exec(await readFile('/proc/self/status', 'utf8'));
console.log(JSON.stringify({ seconds, count: done, peakKib: m ? Number(m[1]) : 0, userMs: cpu.user / 1000, systemMs: cpu.system / 1000 }));
