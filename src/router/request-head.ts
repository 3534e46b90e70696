// The request head the router sends to a worker, built once per request from what Node's parser accepted
// (llhttp has already rejected bad bytes, bad framing and smuggling vectors with 400). What is left to decide
// here is what llhttp lets through but HTTP/1.1 does not (RFC 9112 §3.2, §3.2.2–3.2.4): a target that is not
// a path, two Host headers, `*` outside OPTIONS, an HTTP version other than 1.x (505). Every such request is
// refused here, before any worker runs it, and nothing here can throw: a bad target is an answer (400), never
// an exception in the master.
//
// The head is one string: the request line, the client's headers in their order and case (hop-by-hop ones
// removed, RFC 9110 §7.6.1), and X-Forwarded-* from the router. Framing (Content-Length or chunked) is added
// per attempt by the connection, since it depends on whether the body was buffered.
import type { IncomingMessage } from 'node:http';
import { requestId } from './trace.js';

export type Head = { readonly ok: true; readonly text: string; readonly id: string } | { readonly ok: false; readonly why: string; readonly status: number };

/** Request headers that belong to one connection, or that the router re-frames or sets itself. */
const DROP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'transfer-encoding',
  'content-length',
  // The router answered `100 Continue` itself when it read the body; the worker gets the whole body at once.
  'expect',
  'host',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  // The client's address for the worker (worker.ts makes it the request socket's remoteAddress): only the
  // router sets it, so a client cannot choose the address the app sees.
  'x-tsws-client',
]);

/** Upgrade requests (WebSocket) keep Connection and Upgrade: the handshake needs them end to end. */
const DROP_UPGRADE = new Set([...DROP].filter((h) => h !== 'connection' && h !== 'upgrade'));

function plainAddress(a: string | undefined): string {
  if (!a) return '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

function refuse(why: string, status = 400): Head {
  return { ok: false, why, status };
}

/**
 * The origin-form target and host of `url`. Absolute-form (`http://host:port/path`, what a client sends to a
 * proxy) is turned into origin-form, and its host wins over the Host header (RFC 9112 §3.2.2).
 */
function target(method: string, url: string): { path: string; host: string | null } | string {
  if (url.charCodeAt(0) === 47 /* / */) return { path: url, host: null };
  if (url === '*') return method === 'OPTIONS' ? { path: url, host: null } : 'the target * is only valid with OPTIONS';
  if (/^https?:\/\//i.test(url)) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return `invalid absolute target ${JSON.stringify(url.slice(0, 100))}`;
    }
    if (!u.host) return 'absolute target without a host';
    return { path: (u.pathname || '/') + u.search, host: u.host };
  }
  return `invalid request target ${JSON.stringify(url.slice(0, 100))} (expected a path)`;
}

/** Names listed in a Connection header (besides keep-alive/close): hop-by-hop too, in either direction. */
export function connectionListed(value: string): Set<string> | null {
  let set: Set<string> | null = null;
  for (const token of value.split(',')) {
    const n = token.trim().toLowerCase();
    if (n && n !== 'keep-alive' && n !== 'close') (set ??= new Set()).add(n);
  }
  return set;
}

/**
 * `idHeader`: the request id's header, lower-case ('' with request-id off): a trusted peer's value is kept,
 * anyone else's replaced by a new id (trace.ts), which the app gets in that header under `idName`.
 */
export function requestHead(req: IncomingMessage, forwardedAllow: ReadonlySet<string>, upgrade = false, idHeader = '', idName = ''): Head {
  // llhttp accepts `HTTP/2.0` in a request line (and Node skips its Host check for it): HTTP/2 has no such
  // line, so this is no HTTP/2 client, and the router speaks HTTP/1.x only: 505 names exactly that
  // (RFC 9110 §15.6.6), as nginx answers it. Found by gunicorn's corpus (invalid/version_02 reached the app).
  if (req.httpVersionMajor !== 1) return refuse(`HTTP/${req.httpVersion} is not supported (HTTP/1.0 and 1.1 are)`, 505);
  const method = req.method ?? 'GET';
  const t = target(method, req.url ?? '');
  if (typeof t === 'string') return refuse(t);
  const raw = req.rawHeaders;
  const drop = upgrade ? DROP_UPGRADE : DROP;
  let host: string | null = null;
  let hosts = 0;
  let listed: Set<string> | null = null;
  let priorFor: string | null = null;
  let priorProto: string | null = null;
  let priorHost: string | null = null;
  let priorId: string | null = null;
  let lines = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if (lower === idHeader) {
      priorId ??= raw[i + 1];
      continue;
    }
    if (!drop.has(lower)) {
      lines += `${name}: ${raw[i + 1]}\r\n`;
      continue;
    }
    switch (lower) {
      case 'host':
        hosts++;
        host = raw[i + 1];
        break;
      case 'connection':
        if (!upgrade) listed = connectionListed(raw[i + 1]);
        break;
      case 'x-forwarded-for':
        priorFor = priorFor === null ? raw[i + 1] : `${priorFor}, ${raw[i + 1]}`;
        break;
      case 'x-forwarded-proto':
        priorProto ??= raw[i + 1];
        break;
      case 'x-forwarded-host':
        priorHost ??= raw[i + 1];
        break;
    }
  }
  if (hosts > 1) return refuse('more than one Host header');
  // Headers listed in Connection go too, whether they came before or after it (rare: only then is this paid).
  if (listed) lines = lines.split('\r\n').filter((l) => !listed!.has(l.slice(0, l.indexOf(':')).toLowerCase())).join('\r\n');
  if (t.host !== null) host = t.host;
  // X-Forwarded-* from the router; a trusted peer's own values are kept (and For appended to), as
  // gunicorn's forwarded_allow_ips: from anyone else they are replaced, so an app can trust them.
  const peer = plainAddress(req.socket.remoteAddress);
  const trusted = forwardedAllow.size > 0 && (forwardedAllow.has('*') || forwardedAllow.has(peer) || (peer === '' && forwardedAllow.has('unix')));
  let xff: string;
  if (trusted && priorFor !== null) xff = peer ? `${priorFor}, ${peer}` : priorFor;
  else xff = peer || '127.0.0.1'; // a local unix-socket client
  const proto = trusted && priorProto ? priorProto : 'http';
  const xfh = trusted && priorHost ? priorHost : (host ?? '');
  // The client as the app sees it: the router's peer, or the last hop a trusted peer forwarded (the address
  // that peer saw: nginx's $proxy_add_x_forwarded_for appends it), whose port is unknown.
  let client: string;
  if (trusted && priorFor !== null) client = priorFor.slice(priorFor.lastIndexOf(',') + 1).trim().replace(/\s+/g, '') || peer || '127.0.0.1';
  else client = peer ? `${peer} ${req.socket.remotePort ?? ''}`.trimEnd() : '127.0.0.1';
  // An HTTP/1.0 request may come without Host: the app sees none rather than an invented one.
  const hostLine = host === null ? '' : `Host: ${host}\r\n`;
  const id = idHeader ? requestId(priorId, trusted) : '';
  const idLine = id ? `${idName}: ${id}\r\n` : '';
  return {
    ok: true,
    text: `${method} ${t.path} HTTP/1.1\r\n${hostLine}${lines}X-Forwarded-For: ${xff}\r\nX-Forwarded-Proto: ${proto}\r\nX-Forwarded-Host: ${xfh}\r\nX-Tsws-Client: ${client}\r\n${idLine}`,
    id,
  };
}
