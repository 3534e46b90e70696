// Header hygiene at the router: hop-by-hop headers belong to one connection and are never forwarded
// (RFC 9110 §7.6.1), and X-Forwarded-* come from the router, not from whoever the client claims to be.
// On the hot path headers are overwritten rather than deleted where possible: `delete` turns a header
// object into a slow dictionary and showed up as extra GC in bench/router.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** Hop-by-hop request headers other than Connection itself (Transfer-Encoding is Node's to re-frame). */
const HOP_BY_HOP = ['keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'upgrade'];

/** Does the client want its connection closed after this response (Connection: close, or HTTP/1.0)? */
export function clientWantsClose(req: IncomingMessage): boolean {
  const c = req.headers.connection;
  if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) return !c || !/keep-alive/i.test(c);
  return c !== undefined && /close/i.test(c);
}

/**
 * Remove hop-by-hop request headers (and any header the client listed in Connection). The connection to a
 * worker is always the router's own keep-alive connection. Upgrade requests keep Connection/Upgrade, which
 * the WebSocket handshake needs end to end.
 */
export function stripHopByHop(headers: IncomingHttpHeaders, upgrade = false): void {
  const listed = headers.connection;
  if (listed !== undefined && !upgrade) {
    if (listed !== 'keep-alive' && listed !== 'close') {
      for (const name of listed.split(',')) {
        const n = name.trim().toLowerCase();
        if (n && n !== 'connection' && n !== 'transfer-encoding' && headers[n] !== undefined) delete headers[n];
      }
    }
    headers.connection = 'keep-alive';
  }
  for (const h of HOP_BY_HOP) {
    if (upgrade && h === 'upgrade') continue;
    if (headers[h] !== undefined) delete headers[h];
  }
}

/**
 * A worker's response headers before they are copied to the client: its Connection and Keep-Alive describe
 * the router↔worker connection, not the client's. `close` is what the client connection should do.
 */
export function setResponseConnection(headers: IncomingHttpHeaders, close: boolean): void {
  headers.connection = close ? 'close' : 'keep-alive';
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
  const prior = h['x-forwarded-for'];
  if (trusted && prior) {
    // A trusted proxy's list, plus that proxy's own address — which a unix-socket peer does not have.
    if (peer) h['x-forwarded-for'] = `${prior}, ${peer}`;
  } else {
    h['x-forwarded-for'] = peer || '127.0.0.1'; // a local unix-socket client
  }
  if (!trusted || !h['x-forwarded-proto']) h['x-forwarded-proto'] = 'http';
  if (!trusted || !h['x-forwarded-host']) h['x-forwarded-host'] = h.host ?? '';
}
