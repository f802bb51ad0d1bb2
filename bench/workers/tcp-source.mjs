#!/usr/bin/env node
/**
 * Raw loopback ceiling, sender: listens, and on the first connection writes TOTAL bytes in
 * CHUNK-byte writes (honouring back-pressure), then ends. Times accept → the receiver's close and
 * prints { seconds, count: 1 }. It listens (the receiver dials) so that the receiver's socket is a
 * client socket, the only kind Node lets read into a caller's buffer (`onread`).
 * Usage: tcp-source.mjs PORT TOTAL CHUNK
 */
import net from 'node:net';
import { sendTotal } from '../lib/send-total.mjs';

const [port, total, chunkSize] = process.argv.slice(2).map(Number);
const chunk = new Uint8Array(chunkSize).fill(0x5a);
const server = net.createServer({ noDelay: true }, (socket) => {
  const t0 = performance.now();
  server.close();
  sendTotal(socket, total, chunk);
  socket.on('data', () => {});
  socket.on('close', () => console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, count: 1 })));
});
server.listen(port, '127.0.0.1');
