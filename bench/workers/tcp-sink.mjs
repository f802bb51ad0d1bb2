#!/usr/bin/env node
/**
 * Raw loopback ceiling, receiver: dials PORT, discards what it reads, closes at EOF; CONNECTIONS
 * times, one after the other (default 1).
 * READ picks how Node reads: `data` ('data' events: a new buffer per read, Node's default) or `reuse` (`onread` into one 64 KiB buffer, read again and again: no allocation).
 * Usage: tcp-sink.mjs PORT [data|reuse] [CONNECTIONS]
 */
import net from 'node:net';

const [port, read = 'data', connections = 1] = [Number(process.argv[2]), process.argv[3], process.argv[4] && Number(process.argv[4])];
const onread = read === 'reuse' ? { buffer: Buffer.allocUnsafe(64 * 1024), callback: () => {} } : undefined;
for (let i = 0; i < connections; i++) {
  await new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true, onread });
    if (!onread) socket.on('data', () => {});
    socket.on('end', () => socket.end());
    socket.on('close', resolve);
    socket.on('error', reject);
  });
}
