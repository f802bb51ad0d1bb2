#!/usr/bin/env node
/**
 * Raw loopback ceiling, receiver: dials PORT, discards what it reads, closes at EOF.
 * READ picks how Node reads: `data` ('data' events: a new buffer per read, Node's default) or `reuse` (`onread` into one 64 KiB buffer, read again and again: no allocation).
 * Usage: tcp-sink.mjs PORT [data|reuse]
 */
import net from 'node:net';

const [port, read = 'data'] = [Number(process.argv[2]), process.argv[3]];
const onread = read === 'reuse' ? { buffer: Buffer.allocUnsafe(64 * 1024), callback: () => {} } : undefined;
const socket = net.connect({ host: '127.0.0.1', port, noDelay: true, onread });
if (!onread) socket.on('data', () => {});
socket.on('end', () => socket.end());
