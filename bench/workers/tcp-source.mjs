#!/usr/bin/env node
/**
 * Raw loopback ceiling, sender: writes TOTAL bytes in CHUNK-byte writes (honouring back-pressure)
 * and times connect → the sink's close, in-process like nd-scu. Prints { seconds, count: 1 }.
 * Usage: tcp-source.mjs PORT TOTAL CHUNK
 */
import net from 'node:net';
import { sendTotal } from '../lib/send-total.mjs';

const [port, total, chunkSize] = process.argv.slice(2).map(Number);
const chunk = new Uint8Array(chunkSize).fill(0x5a);
const t0 = performance.now();
const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
socket.on('connect', () => sendTotal(socket, total, chunk));
socket.on('data', () => {});
socket.on('close', () => console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, count: 1 })));
