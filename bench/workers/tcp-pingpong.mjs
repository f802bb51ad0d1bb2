#!/usr/bin/env node
/**
 * Raw loopback round trips (the ceiling for one-at-a-time request/response, such as C-ECHO):
 * `server PORT` sends back every read; `client PORT COUNT SIZE` sends SIZE bytes, waits for them
 * to come back, COUNT times, and prints { seconds, count }. Plain Node sockets ('data' events).
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
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  let t0 = 0;
  let done = 0;
  let received = 0;
  socket.on('connect', () => {
    t0 = performance.now();
    socket.write(message);
  });
  socket.on('data', (d) => {
    // A message may come back in more than one read: count whole round trips only.
    received += d.length;
    if (received < size) return;
    received -= size;
    if (++done < count) return void socket.write(message);
    console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, count }));
    socket.end();
  });
}
