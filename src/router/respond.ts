// The router's own answers. Errors are answers: a client never sees a silently closed connection while a
// response can still be sent.
import { STATUS_CODES, type ServerResponse } from 'node:http';

export function answer(res: ServerResponse, status: number, why: string, headers: Record<string, string> = {}): void {
  if (res.writableEnded) return;
  if (res.headersSent) {
    res.destroy(); // a truncated body must not look complete
    return;
  }
  const body = `${status} ${STATUS_CODES[status] ?? ''}: ${why}\n`;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

/**
 * An answer written straight to a socket that has no ServerResponse (a parse error, CONNECT, an upgrade, a
 * connection refused at http-max-connections): the status line, `extra` header lines, and a close.
 */
export function rawAnswer(status: number, extra = ''): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n${extra}Content-Length: 0\r\n\r\n`;
}
