/** Writes `total` bytes to `socket` in `chunk`-sized writes, honouring back-pressure, then ends it. */
export function sendTotal(socket, total, chunk) {
  let left = total;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void socket.once('drain', pump);
    }
    socket.end();
  };
  pump();
}
