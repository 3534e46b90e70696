// A WebSocket (any upgrade) tunnel from a client to a worker: the handshake goes as a request head, and from
// then on bytes are copied both ways untouched (the worker's 101, or its refusal, included).
import { connect, type Socket } from 'node:net';
import { rawAnswer } from './respond.js';

/** Open the tunnel; `onClose` runs once, when either side has gone. */
export function tunnel(socket: Socket, head: Buffer, socketPath: string, requestHead: string, onClose: () => void): void {
  const up = connect(socketPath);
  let closed = false;
  let answered = false;
  up.once('data', () => (answered = true));
  const close = (): void => {
    if (closed) return;
    closed = true;
    up.destroy();
    // The worker went away before answering the handshake: the client still gets an answer.
    if (!answered && socket.writable) {
      socket.end(rawAnswer(502));
      socket.destroySoon();
    } else socket.destroy();
    onClose();
  };
  // A WebSocket has its own close handshake and no use for half-closed TCP, and a client that left must
  // not pin its worker until worker-reload-mercy.
  for (const s of [socket, up]) {
    s.on('error', close);
    s.on('close', close);
    s.on('end', close);
  }
  up.write(requestHead + '\r\n', 'latin1');
  if (head.length) up.write(head);
  socket.pipe(up);
  up.pipe(socket);
}
