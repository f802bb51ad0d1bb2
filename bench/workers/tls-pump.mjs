#!/usr/bin/env node
/**
 * Raw loopback TLS (the ceiling for DICOM over TLS): `server PORT PKI_DIR` accepts one connection
 * and reads until the end; `client PORT PKI_DIR BYTES CHUNK` sends BYTES in CHUNK-byte writes
 * (back-pressure by 'drain') and prints { seconds, cipher } once the server has read them all.
 * Plain Node TLS sockets, 'data' events; the bench PKI (bench/lib/pki.mjs).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';

const [role, port, dir, bytes, chunk] = process.argv.slice(2);
const pem = (name) => readFileSync(path.join(dir, name));

if (role === 'server') {
  const server = tls.createServer({ key: pem('server.key'), cert: pem('server.pem') }, (socket) => {
    socket.on('data', () => {});
    socket.on('end', () => {
      socket.end();
      server.close();
    });
  });
  server.listen(Number(port), '127.0.0.1');
} else {
  const total = Number(bytes);
  const data = Buffer.alloc(Number(chunk), 0x5a);
  const socket = tls.connect({ host: '127.0.0.1', port: Number(port), ca: pem('ca.pem') }, () => {
    const t0 = performance.now();
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += data.length;
        if (!socket.write(data)) return void socket.once('drain', pump);
      }
      socket.end();
    };
    // Done when the server has read everything and closed its side.
    socket.on('end', () => console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, cipher: socket.getCipher().name })));
    pump();
  });
  socket.on('data', () => {});
}
