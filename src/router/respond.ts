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
