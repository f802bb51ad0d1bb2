#!/usr/bin/env node
/**
 * The Node floor for the C-STORE row: what two fresh Node processes do with the same wire work and
 * almost no JavaScript. No association, no DICOM parsing, no library: a "SCU" reads each file into
 * one reused buffer, lays it out as P-DATA-TF PDUs of `--pdu` bytes in a second one and sends that
 * in one write, then waits for a 112-byte "response" PDU; a "SCP" reads the socket into one
 * reused 256 KiB buffer (`onread`), follows the PDU and PDV headers, writes the data PDVs to a
 * temporary file (`writevSync` per read), and on the last fragment closes, renames and answers.
 * It is the ceiling a Node implementation can reach on this machine, to set against netdicom and
 * DCMTK in the same minute (`npm run bench` does not run it).
 *
 * Usage: node bench/node-floor.mjs [--files N] [--size BYTES] [--pdu BYTES] [--runs N]
 * Files go to a temporary directory (tmpfs when /dev/shm exists); prints one JSON line per run.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readSync, renameSync, rmSync, writeFileSync, writevSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const [role] = process.argv.slice(2);
if (role === '--scu') await scu(process.argv[3], Number(process.argv[4]), process.argv[5], Number(process.argv[6]));
else if (role === '--scp') await scp(Number(process.argv[3]), process.argv[4]);
else await main();

async function main() {
  const { values: o } = parseArgs({
    options: { files: { type: 'string', default: '500' }, size: { type: 'string', default: String(512 * 1024) }, pdu: { type: 'string', default: '16384' }, runs: { type: 'string', default: '3' } },
  });
  const base = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'netdicom-floor-'));
  try {
    const src = path.join(base, 'src');
    mkdirSync(src);
    const files = [];
    const bytes = new Uint8Array(Number(o.size));
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 9)) & 0xff;
    for (let i = 0; i < Number(o.files); i++) {
      files.push(path.join(src, `f${i}.bin`));
      writeFileSync(files.at(-1), bytes);
    }
    const list = path.join(base, 'list.txt');
    writeFileSync(list, files.join('\n'));
    const self = fileURLToPath(import.meta.url);
    for (let run = 0; run < Number(o.runs); run++) {
      const out = path.join(base, `out${run}`);
      mkdirSync(out);
      const port = 20000 + Math.floor(Math.random() * 20000);
      // The SCU listens and the SCP connects: Node offers `onread` (a reused read buffer) on client sockets only.
      const scuProc = spawn(process.execPath, [self, '--scu', list, String(port), o.pdu, o.files], { stdio: ['ignore', 'pipe', 'inherit'] });
      let output = '';
      scuProc.stdout.on('data', (d) => (output += d));
      await new Promise((r) => setTimeout(r, 400));
      const scpProc = spawn(process.execPath, [self, '--scp', String(port), out], { stdio: 'inherit' });
      await Promise.all([new Promise((r) => scuProc.on('exit', r)), new Promise((r) => scpProc.on('exit', r))]);
      console.log(output.trim());
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/** A P-DATA-TF of one command PDV, last fragment, of `size` zero bytes (a stand-in for a command set). */
function commandPdu(size) {
  const pdu = Buffer.alloc(12 + size);
  pdu[0] = 4;
  pdu.writeUInt32BE(6 + size, 2);
  pdu.writeUInt32BE(2 + size, 6);
  pdu[10] = 1;
  pdu[11] = 3;
  return pdu;
}

/** Sends every file of `listFile` as P-DATA-TF PDUs, one file at a time, each after the previous one's response. */
async function scu(listFile, port, pduArg, count) {
  const list = (await import('node:fs')).readFileSync(listFile, 'utf8').split('\n').filter(Boolean).slice(0, count);
  const pdu = Number(pduArg);
  const fragment = pdu - 6;
  const buffer = Buffer.allocUnsafeSlow(64 << 20);
  // The PDUs of one file, headers and data, laid out in one reused buffer and sent in one write:
  // many small corked writes per file would measure Node's writev path, not the floor.
  const wire = Buffer.allocUnsafeSlow(80 << 20);
  const command = commandPdu(180);
  const server = net.createServer(async (socket) => {
    socket.setNoDelay(true);
    let wake = null;
    socket.on('data', () => wake?.());
    const t0 = performance.now();
    for (const file of list) {
      const fd = openSync(file, 'r');
      const size = fstatSync(fd).size;
      readSync(fd, buffer, 0, size, 0);
      closeSync(fd);
      let at = command.copy(wire, 0);
      for (let o = 0; o < size; o += fragment) {
        const end = Math.min(o + fragment, size);
        wire[at] = 4;
        wire[at + 1] = 0;
        wire.writeUInt32BE(end - o + 6, at + 2);
        wire.writeUInt32BE(end - o + 2, at + 6);
        wire[at + 10] = 1;
        wire[at + 11] = end === size ? 2 : 0;
        at += 12 + buffer.copy(wire, at + 12, o, end);
      }
      socket.write(wire.subarray(0, at));
      await new Promise((r) => (wake = r));
    }
    const seconds = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({ row: 'node floor', files: list.length, pdu, seconds, filesPerSecond: Math.round(list.length / seconds) }));
    socket.destroy();
    server.close();
  });
  server.listen(port, '127.0.0.1');
}

/** Receives PDUs, writes each data set to a temporary file, renames it on the last fragment and answers. */
async function scp(port, out) {
  const response = commandPdu(100);
  const header = Buffer.alloc(6);
  const parts = [];
  let have = 0, need = 6, stage = 0, pduLeft = 0, pdvLeft = 0, control = 0, fd = -1, n = 0, name = '';
  const onChunk = (buf) => {
    let off = 0;
    while (off < buf.length) {
      if (stage === 2) {
        const take = Math.min(pdvLeft, buf.length - off);
        if (!(control & 1)) parts.push(buf.subarray(off, off + take));
        off += take;
        pdvLeft -= take;
        pduLeft -= take;
        if (pdvLeft > 0) continue;
        if (control & 1) {
          if (control & 2 && fd < 0) fd = openSync((name = path.join(out, `f${n++}`)) + '.part', 'wx');
        } else if (control & 2) {
          writevSync(fd, parts.splice(0));
          closeSync(fd);
          fd = -1;
          renameSync(name + '.part', name + '.dcm');
          socket.write(response);
        }
        stage = pduLeft > 0 ? 1 : 0;
        have = 0;
        continue;
      }
      const take = Math.min(need - have, buf.length - off);
      buf.copy(header, have, off, off + take);
      have += take;
      off += take;
      if (have < need) break;
      have = 0;
      if (stage === 0) {
        pduLeft = header.readUInt32BE(2);
        stage = 1;
      } else {
        pdvLeft = header.readUInt32BE(0) - 2;
        control = header[5];
        pduLeft -= 6;
        stage = 2;
      }
    }
    if (parts.length) writevSync(fd, parts.splice(0));
  };
  const readBuffer = Buffer.allocUnsafeSlow(256 * 1024);
  const socket = net.connect({ port, host: '127.0.0.1', onread: { buffer: readBuffer, callback: (nread, buf) => void onChunk(buf.subarray(0, nread)) } });
  socket.setNoDelay(true);
  socket.on('error', () => {});
  await new Promise((r) => socket.on('close', r));
}
