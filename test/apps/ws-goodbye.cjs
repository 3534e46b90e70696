// A listen()-style server with an upgrade handler (a tunnel, as in a WebSocket server) whose SIGTERM listener
// says goodbye on every open upgraded connection and closes it, as a WebSocket server's close would.
const http = require('node:http');

const open = new Set();
const server = http.createServer((req, res) => res.end(String(process.pid)));
server.on('upgrade', (req, socket) => {
  socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  socket.write(`hello from ${process.pid}\n`);
  open.add(socket);
  socket.on('close', () => open.delete(socket));
  socket.on('error', () => {});
});
server.listen(8080);
process.on('SIGTERM', () => {
  for (const s of open) s.end(`goodbye from ${process.pid}\n`);
  server.close(() => process.exit(0));
});
