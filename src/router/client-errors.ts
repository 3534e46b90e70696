// Answers written straight to a client socket, outside any exchange: a request Node's parser refused, and
// a connection turned away at http-max-connections.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { rawAnswer } from './respond.js';

const BUSY_BODY = '503 Service Unavailable: too many connections\n';
export const BUSY_503 = `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Type: text/plain\r\nContent-Length: ${BUSY_BODY.length}\r\n\r\n${BUSY_BODY}`;

/**
 * A request Node's parser refused (400, 431, 408 as Node answers them). Node's own handler destroys the
 * connection at once, so a valid request pipelined before the bad one ran on a worker and its client got only
 * the 400; here the answers already owed on the connection are written first, then the error, then the close.
 */
export function clientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const write = (): void => {
    if (socket.writable) socket.end(rawAnswer(status));
    socket.destroySoon();
  };
  // The response Node is writing (or will write next) on this connection, if any.
  const owed = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!owed || owed.writableFinished) return write();
  // The error is in the body of the request being answered (bad chunking): that request gets the 400.
  if (!owed.req.complete) return owed.headersSent ? void socket.destroy() : write();
  owed.once('finish', write);
  owed.once('close', () => socket.destroy());
}
