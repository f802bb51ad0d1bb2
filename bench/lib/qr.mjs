/**
 * Query/Retrieve bench setup (issue 5), shared by bench/qr.mjs and bench/run.mjs (rows findStudy,
 * get500): the archive, netdicom qrscp, DCMTK dcmqrscp (several storage areas) and the SCU
 * command lines. Every SCU and SCP is its own process.
 *
 * dcmqrscp's index holds at most 500 studies per storage area (DB_UpperMaxStudies; dcmqridx
 * crashes beyond), so the 1,000 study-level matches on the DCMTK side live in two storage areas
 * (AE titles DCMQR1, DCMQR2, 500 studies each) and are fetched with one C-FIND per area.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeInstance } from './data.mjs';
import { DCMTK_ENV, freePort, run, start, waitListening } from './proc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ND_BIN = path.join(here, '..', '..', 'bin', 'netdicom.mjs');
const node = process.execPath;
const ROOT = '1.2.826.0.1.3680043.9.7433.8';
/** Studies per dcmqrscp storage area (its hard limit). */
export const DCMQR_MAX_STUDIES = 500;
const IMAGE_STUDY = 7;
const GET_STUDY = 9;

/** The queries as data sets (netdicom in-process SCU) and as -k arguments (command-line SCUs). */
export const IMAGE_KEYS = { QueryRetrieveLevel: 'IMAGE', StudyInstanceUID: `${ROOT}.2.${IMAGE_STUDY}`, SeriesInstanceUID: `${ROOT}.3.${IMAGE_STUDY}`, SOPInstanceUID: '', InstanceNumber: '' };
/** Studies 20000… only (PatientName BENCH^2xxxx): not the image series (BENCH^7) or the C-GET study (BENCH^9). */
export const STUDY_KEYS = { QueryRetrieveLevel: 'STUDY', PatientName: 'BENCH^2*', StudyInstanceUID: '', StudyDate: '', AccessionNumber: '' };
export const GET_KEYS = { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: `${ROOT}.2.${GET_STUDY}` };
const keyArgs = (keys) => Object.entries(keys).flatMap(([k, v]) => ['-k', v ? `${k}=${v}` : k]);
export const IMAGE_QUERY = keyArgs(IMAGE_KEYS);
export const STUDY_QUERY = keyArgs(STUDY_KEYS);
export const GET_QUERY = keyArgs(GET_KEYS);

/**
 * Writes the archive into `dir`: `studies` one-instance studies (256 B), `images` instances of one
 * series (256 B) and `get` instances of one study (`getBytes`). Returns the file lists.
 */
export function writeQrArchive(dir, { studies = 0, images = 0, get = 0, getBytes = 64 * 1024 }) {
  mkdirSync(dir, { recursive: true });
  const files = { studies: [], images: [], get: [] };
  for (let s = 0; s < studies; s++) files.studies.push(writeInstance(path.join(dir, `s${s}.dcm`), 256, 0, 20000 + s).file);
  for (let i = 0; i < images; i++) files.images.push(writeInstance(path.join(dir, `f${i}.dcm`), 256, i, IMAGE_STUDY).file);
  for (let i = 0; i < get; i++) files.get.push(writeInstance(path.join(dir, `g${i}.dcm`), getBytes, i, GET_STUDY).file);
  return files;
}

/** netdicom qrscp over `archive` (indexes it at start); resolves once it listens. */
export async function startQrscp(archive) {
  const port = await freePort();
  const proc = start(node, [ND_BIN, 'qrscp', String(port), '--dir', archive, '--bind', '127.0.0.1', '--no-fsync', '-q', '-aet', 'NDQR'], { sampleRss: true });
  await waitListening(proc, port, 300000);
  return { proc, port, areas: ['NDQR'] };
}

/**
 * DCMTK dcmqrscp with one storage area per AE title: `studyAreas` holds files.studies split into
 * areas of ≤ `perArea` (at most 500) studies (DCMQR1, DCMQR2, …), DCMQR the image series and the C-GET study.
 * Files are registered with dcmqridx (untimed). dcmqrscp runs in its default mode (a forked child
 * per association; --single-process stops accepting after the first association here). Returns { proc, port, studyAreas: [aet…], call }.
 */
export async function startDcmqrscp(work, files, { maxPdu = 16384, perArea = DCMQR_MAX_STUDIES } = {}) {
  const port = await freePort();
  const areas = [];
  for (let i = 0; i < files.studies.length; i += perArea) areas.push({ aet: `DCMQR${areas.length + 1}`, files: files.studies.slice(i, i + perArea) });
  areas.push({ aet: 'DCMQR', files: [...files.images, ...files.get] });
  const lines = ['NetworkTCPPort = 11112', `MaxPDUSize = ${maxPdu}`, 'MaxAssociations = 16', 'HostTable BEGIN', 'HostTable END', 'VendorTable BEGIN', 'VendorTable END', 'AETable BEGIN'];
  for (const a of areas) {
    a.db = path.join(work, `dcmqrscp-${a.aet}`);
    mkdirSync(a.db, { recursive: true });
    lines.push(`${a.aet} ${a.db} RW (${DCMQR_MAX_STUDIES}, 1024mb) ANY`);
    for (let i = 0; i < a.files.length; i += 200) if (a.files.length) await run('dcmqridx', [a.db, ...a.files.slice(i, i + 200)]);
  }
  lines.push('AETable END', '');
  // Its own file name: the 'find' row writes work/dcmqrscp.cfg for its separate dcmqrscp.
  const config = path.join(work, 'dcmqrscp-qr.cfg');
  writeFileSync(config, lines.join('\n'));
  const proc = start('dcmqrscp', ['-c', config, '-pdu', String(maxPdu), String(port)], { env: DCMTK_ENV, sampleRss: true });
  await waitListening(proc, port);
  return { proc, port, studyAreas: areas.slice(0, -1).map((a) => a.aet), call: 'DCMQR' };
}

/** SCU command lines: [cmd, args] for findscu/getscu of each implementation. */
export const QR_SCUS = {
  netdicom: (tool, port, aec, args) => [node, [ND_BIN, tool, '-S', '127.0.0.1', String(port), '-aec', aec, '-q', ...args]],
  dcmtk: (tool, port, aec, args) => [tool, ['-S', '-aec', aec, ...args, '127.0.0.1', String(port)]],
};

/** Start-up cost (ms) of each SCU tool: median of `n` runs that fail at once against a closed port. */
export async function qrStartup(n = 3) {
  const out = {};
  const closed = await freePort();
  for (const [name, make] of Object.entries(QR_SCUS)) {
    for (const tool of ['findscu', 'getscu']) {
      const ms = [];
      for (let i = 0; i < n; i++) {
        const [cmd, args] = make(tool, closed, 'X', []);
        ms.push((await run(cmd, args, { env: DCMTK_ENV, allowFailure: true })).ms);
      }
      out[`${name}/${tool}`] = [...ms].sort((a, b) => a - b)[ms.length >> 1];
    }
  }
  return out;
}

/** Runs one SCU (`scu` = netdicom | dcmtk) to completion; returns { ms (wall), output, peakKib }. */
export function runQrScu(scu, tool, port, aec, args) {
  const [cmd, a] = QR_SCUS[scu](tool, port, aec, args);
  return run(cmd, a, { env: DCMTK_ENV, sampleRss: true });
}

/** Number of matches a findscu printed: netdicom with --json (one line each), DCMTK's "Find Response: n (Pending)". */
export function countMatches(scu, output) {
  if (scu === 'netdicom') return output.split('\n').filter((l) => l.startsWith('{')).length;
  return (output.match(/Find Response: \d+ \(Pending/g) ?? []).length;
}
