#!/usr/bin/env node
/**
 * Raw loopback round trips (the ceiling for one-at-a-time request/response, such as C-ECHO):
 * `server PORT` sends back every read; `client PORT COUNT SIZE [data|reuse]` sends SIZE bytes,
 * waits for them to come back, COUNT times, and prints { seconds, count }. Plain Node sockets:
 * 'data' events, or with `reuse` the client reads into one reused buffer (`onread`, as netdicom's
 * sockets read; the server's accepted socket has no public `onread`).
 */
import net from 'node:net';

const [role, port, count, size] = [process.argv[2], ...process.argv.slice(3).map(Number)];
if (role === 'server') {
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on('data', (d) => socket.write(d));
    socket.on('end', () => {
      socket.end();
      server.close();
    });
  });
  server.listen(port, '127.0.0.1');
} else {
  const message = Buffer.alloc(size, 0x5a);
  const reuse = process.argv[6] === 'reuse';
  const onread = reuse ? { buffer: Buffer.allocUnsafe(64 * 1024), callback: (n) => void received(n) } : undefined;
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true, onread });
  let t0 = 0;
  let done = 0;
  let pending = 0;
  socket.on('connect', () => {
    t0 = performance.now();
    socket.write(message);
  });
  // A message may come back in more than one read: count whole round trips only.
  const received = (n) => {
    pending += n;
    if (pending < size) return;
    pending -= size;
    if (++done < count) return void socket.write(message);
    console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, count }));
    socket.end();
  };
  if (!reuse) socket.on('data', (d) => received(d.length));
}
