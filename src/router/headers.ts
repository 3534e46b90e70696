// Header hygiene at the router: hop-by-hop headers belong to one connection and are never forwarded
// (RFC 9110 §7.6.1), and X-Forwarded-* come from the router, not from whoever the client claims to be.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

/**
 * Remove hop-by-hop request headers (and any header the client listed in Connection). Transfer-Encoding is
 * kept: Node re-frames the body itself and needs to know the request has one. Upgrade requests keep
 * Connection/Upgrade, which the WebSocket handshake needs end to end.
 */
export function stripHopByHop(headers: IncomingHttpHeaders, upgrade = false): void {
  const listed = headers.connection;
  if (listed && !upgrade) {
    for (const name of listed.split(',')) {
      const n = name.trim().toLowerCase();
      if (n && n !== 'transfer-encoding') delete headers[n];
    }
  }
  for (const h of HOP_BY_HOP) {
    if (h === 'transfer-encoding') continue;
    if (upgrade && (h === 'connection' || h === 'upgrade')) continue;
    if (headers[h] !== undefined) delete headers[h];
  }
}

/** The same for a worker's response headers, before they are copied to the client. */
export function stripResponseHopByHop(headers: IncomingHttpHeaders): void {
  if (headers.connection !== undefined) delete headers.connection;
  if (headers['keep-alive'] !== undefined) delete headers['keep-alive'];
  if (headers['proxy-connection'] !== undefined) delete headers['proxy-connection'];
}

function plainAddress(a: string | undefined): string {
  if (!a) return '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/**
 * Set X-Forwarded-For/-Proto/-Host. Values the client sent are kept (and For appended to) only when the
 * peer is listed in forwarded-allow-ips (gunicorn's rule), e.g. nginx on the same host; from anyone else
 * they are replaced, so an app can trust them.
 */
export function setForwarded(req: IncomingMessage, allow: ReadonlySet<string>): void {
  const h = req.headers;
  const peer = plainAddress(req.socket.remoteAddress);
  const trusted = allow.size > 0 && (allow.has('*') || allow.has(peer) || (peer === '' && allow.has('unix')));
  const ip = peer || '127.0.0.1'; // a unix-socket client has no address
  const prior = h['x-forwarded-for'];
  h['x-forwarded-for'] = trusted && prior ? `${prior}, ${ip}` : ip;
  if (!trusted || !h['x-forwarded-proto']) h['x-forwarded-proto'] = 'http';
  if (!trusted || !h['x-forwarded-host']) h['x-forwarded-host'] = h.host ?? '';
}
