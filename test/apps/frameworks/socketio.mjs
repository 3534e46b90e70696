// socket.io 4 as its getting-started page writes it: new Server(httpServer), httpServer.listen(port); each
// connection is told its handshake address and the worker's pid. Its SIGTERM handler disconnects every
// client (they see "io server disconnect"), then io.close() closes the http server.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import common from './common.cjs';

const httpServer = createServer();
const io = new Server(httpServer);
io.on('connection', (socket) => socket.emit('who', { address: socket.handshake.address, pid: process.pid }));
httpServer.listen(common.port);
process.on('SIGTERM', () => {
  io.disconnectSockets(true); // tell every client, then close
  io.close(() => {
    common.markSigterm('socket.io: closed');
    process.exit(0);
  });
});
