#!/usr/bin/env node
/** Raw loopback ceiling, receiver: accepts one connection, discards what it reads, closes at EOF. */
import net from 'node:net';

const port = Number(process.argv[2]);
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('data', () => {});
  socket.on('end', () => {
    socket.end();
    server.close();
  });
});
server.listen(port, '127.0.0.1');
