// Reverse port binding (Phusion Passenger's name for it): an app written the way its framework's
// getting-started page shows builds an http.Server and calls listen(). In a worker, the first http.Server
// that calls listen() is served through tsws instead: its own address is never bound, and the worker's unix
// socket hands it the router's traffic (its 'request' and 'upgrade' listeners run, as if it had accepted the
// connection itself). The worker installs this hook before it imports the app.
//
// Further servers: one asking for the same port as the first (Fastify opens one per address `localhost`
// resolves to) is an alias of it: it reports listening, binds nothing and gets no traffic (the first one's
// handlers serve it all). One asking for another port (a metrics endpoint, say) is bound as the app asked,
// by every worker: with processes > 1 give it a port per worker (TSWS_WORKER_ID) or port 0.
import { Server as HttpServer } from 'node:http';
import { isIP, Server as NetServer, type AddressInfo } from 'node:net';

type ListenArgs = unknown[];

export interface Listened {
  readonly server: HttpServer;
  /** What the app asked for, for the log: `0.0.0.0:3000`, `:3000`, `/path/to.sock`. */
  readonly where: string;
}

const bind = NetServer.prototype.listen;
/** tsws's own servers: they bind for real. */
const own = new WeakSet<NetServer>();
let first: Listened | null = null;
let firstPort: number | string | null = null;
const waiting: ((l: Listened) => void)[] = [];

export function ownServer(s: NetServer): void {
  own.add(s);
}

/** The app's server, once it has called listen(). */
export function listened(): Listened | null {
  return first;
}

/** Calls `then` when (or as soon as) the app's first server has called listen(). */
export function onListen(then: (l: Listened) => void): void {
  if (first) then(first);
  else waiting.push(then);
}

interface Asked {
  port: number | null;
  host: string | null;
  path: string | null;
  callback: (() => void) | null;
}

/** The forms of net.Server#listen: (port, host?, backlog?, cb?), (path, cb?), (options, cb?), (handle, cb?). */
function parse(args: ListenArgs): Asked {
  const a: Asked = { port: null, host: null, path: null, callback: null };
  const last = args[args.length - 1];
  if (typeof last === 'function') a.callback = last as () => void;
  const x = args[0];
  if (typeof x === 'number' || (typeof x === 'string' && /^\d+$/.test(x))) {
    a.port = Number(x);
    if (typeof args[1] === 'string') a.host = args[1];
  } else if (typeof x === 'string') {
    a.path = x;
  } else if (x && typeof x === 'object') {
    const o = x as { port?: unknown; host?: unknown; path?: unknown };
    if (o.port !== undefined && o.port !== null) a.port = Number(o.port);
    if (typeof o.host === 'string') a.host = o.host;
    if (typeof o.path === 'string') a.path = o.path;
  } else {
    a.port = 0; // listen() with no address: a random port
  }
  return a;
}

function describe(a: Asked): string {
  if (a.path !== null) return a.path;
  if (a.port === null) return 'a handle';
  return `${a.host === null ? '' : a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

/** What server.address() answers for an address that was never bound: the one the app asked for. */
function addressOf(a: Asked): AddressInfo | string | null {
  if (a.path !== null) return a.path;
  if (a.port === null) return null;
  const host = a.host === null ? '::' : isIP(a.host) ? a.host : '127.0.0.1';
  return { address: host, family: isIP(host) === 6 ? 'IPv6' : 'IPv4', port: a.port };
}

/**
 * Make `server` look like it listens: `listening`, `address()`, the 'listening' event and the callback,
 * asynchronously as Node does. Its close() ends it the same way: 'close' once `whenIdle` says tsws's
 * requests for it have finished.
 */
function pretend(server: HttpServer, a: Asked, whenIdle: (then: () => void) => void): void {
  let state: 'listening' | 'closing' | 'closed' = 'listening';
  Object.defineProperty(server, 'listening', { configurable: true, get: () => state === 'listening' });
  server.address = () => (state === 'closed' ? null : addressOf(a));
  server.close = function close(this: HttpServer, cb?: (err?: Error) => void) {
    if (cb) this.once('close', () => cb());
    if (state !== 'listening') return this;
    state = 'closing';
    whenIdle(() => {
      state = 'closed';
      this.emit('close');
    });
    return this;
  } as HttpServer['close'];
  if (a.callback) server.once('listening', a.callback);
  process.nextTick(() => server.emit('listening'));
}

let idle: (then: () => void) => void = (then) => setImmediate(then);

/**
 * Install the hook. `log` says once which address was not bound; `whenIdle` tells when no request of the
 * app's server is in flight any more (its close() waits for that, as Node's does for its connections).
 */
export function installListenHook(log: (line: string) => void, whenIdle: (then: () => void) => void): void {
  idle = whenIdle;
  HttpServer.prototype.listen = function listen(this: HttpServer, ...args: ListenArgs) {
    if (own.has(this)) return bind.apply(this, args as Parameters<typeof bind>);
    const a = parse(args);
    if (!first) {
      first = { server: this, where: describe(a) };
      firstPort = a.path ?? a.port;
      log(`the app's server asked to listen on ${first.where}: not bound, tsws serves it`);
      pretend(this, a, idle);
      const l = first;
      for (const w of waiting.splice(0)) w(l);
      return this;
    }
    if ((a.path ?? a.port) === firstPort) {
      pretend(this, a, idle); // an alias of the first (Fastify's per-address servers)
      return this;
    }
    log(`a further server listens on ${describe(a)} itself, not through tsws`);
    return bind.apply(this, args as Parameters<typeof bind>);
  } as HttpServer['listen'];
}
