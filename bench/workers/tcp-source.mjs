#!/usr/bin/env node
/**
 * Raw loopback ceiling, sender: listens, and on each of CONNECTIONS connections (one after the
 * other, default 1) writes TOTAL bytes in CHUNK-byte writes (honouring back-pressure), then ends.
 * Times the last connection's accept → the receiver's close and prints { seconds, count: 1 }; the
 * earlier ones warm both processes, as the bench's warmed DICOM variants are warmed. It listens
 * (the receiver dials) so that the receiver's socket is a client socket, the only kind Node lets
 * read into a caller's buffer (`onread`).
 * Usage: tcp-source.mjs PORT TOTAL CHUNK [CONNECTIONS]
 */
import net from 'node:net';
import { sendTotal } from '../lib/send-total.mjs';

const [port, total, chunkSize, connections = 1] = process.argv.slice(2).map(Number);
const chunk = new Uint8Array(chunkSize).fill(0x5a);
let accepted = 0;
const server = net.createServer({ noDelay: true }, (socket) => {
  const t0 = performance.now();
  const last = ++accepted === connections;
  if (last) server.close();
  sendTotal(socket, total, chunk);
  socket.on('data', () => {});
  if (last) socket.on('close', () => console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, count: 1 })));
});
server.listen(port, '127.0.0.1');
