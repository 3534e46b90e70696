// Entry point of a worker process: load the app, serve HTTP on a private unix socket, tell the master it is
// ready, and exit when the master says so (after the router has drained it) or when the master is gone.
import { AsyncLocalStorage } from 'node:async_hooks';
import { rmSync, rmdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { importApp, splitModuleSpec, type App } from './app.js';
import { appMetricsReader } from './app-metrics.js';
import { installListenHook, listened, onListen, ownServer } from './listen-hook.js';
import { EXIT_LOAD_ERROR, type ToMaster, type ToWorker, type WorkerBoot } from './protocol.js';
import { lingerOnClose, lingering } from './linger.js';
import { heapSnapshot, RouteMemory } from './route-memory.js';

const boot = JSON.parse(process.argv[2]) as WorkerBoot;
process.title = boot.title;

function send(msg: ToMaster, then?: () => void): void {
  if (process.connected) process.send!(msg, undefined, undefined, () => then?.());
  else then?.();
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? String(err)) : String(err);
}

// Signals belong to the master, which drains workers in order: a Ctrl-C reaches the whole process group and
// systemd's default KillMode signals every process, and neither may cut a request short here. The app's own
// signal listeners (a SIGTERM handler that closes its pool) run when the master stops this worker, not when
// a signal arrives: Node delivers a signal through process.emit as it was when the first listener of that
// signal was added, which is this filter, installed before any. Once the worker is stopping, a real signal
// ends it (NestJS's shutdown hooks re-raise the signal once they are done, expecting just that).
const SIGNALS = new Set(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2', 'SIGTTIN', 'SIGTTOU']);
const emit = process.emit;
let relaying = false;
let stopping = false;
process.emit = function (this: NodeJS.Process, event: string | symbol, ...args: unknown[]) {
  if (typeof event === 'string' && SIGNALS.has(event) && !relaying) {
    if (stopping) process.exit(0);
    return true;
  }
  return (emit as (...a: unknown[]) => boolean).call(this, event, ...args);
} as typeof process.emit;
const ignore = (): void => {};
for (const sig of SIGNALS) process.on(sig as NodeJS.Signals, ignore);

/** The app's own listeners of `sig` (besides tsws's). */
function appListeners(sig: NodeJS.Signals): number {
  return process.listeners(sig).filter((l) => l !== ignore).length;
}

function removeSocket(): void {
  try {
    rmSync(boot.socketPath, { force: true });
    rmdirSync(dirname(boot.socketPath)); // succeeds only for the last worker out, once the master is gone
  } catch {
    // not empty, or already removed
  }
}

// No orphans: when the master dies (even by SIGKILL) the IPC channel closes and the worker goes with it,
// and so does its process group (it leads one: the master spawns it detached), with what the app started.
// The master is not there any more to do that after the worker's exit.
function masterGone(): never {
  removeSocket();
  try {
    process.kill(-process.pid, 'SIGKILL'); // this process too: nothing is left to do here
  } catch {
    // not a group leader (started by hand): exit alone
  }
  process.exit(0);
}
process.on('disconnect', masterGone);
// The channel may have closed already, while this module's imports loaded (the master killed as it spawned
// this worker): 'disconnect' was emitted before anyone listened, and the worker sat idle for good.
if (!process.connected) masterGone();
// The master reads the worker's stdout and stderr: EPIPE on them means it is gone. Left to the exception
// handler, that error was written to stderr again, failed again, and so on: orphans spinning at 100% CPU
// after a `kill -9` of the master, seen before the disconnect was even handled.
for (const out of [process.stdout, process.stderr]) out.on('error', masterGone);

/** Responses not yet finished (at most `threads`: a plain array is cheapest). */
const inflight: ServerResponse[] = [];
let draining = false;

// Load the app first, with no exception handler installed: if it fails, the error is left uncaught on
// purpose, so Node prints it the way the developer knows it (file:line, the source line and a caret — an
// ES module SyntaxError carries its location nowhere else), and the 'exit' hook turns the code into 22.
let loading = true;
process.on('exit', () => {
  if (loading) process.exitCode = EXIT_LOAD_ERROR;
});
/** No request of the app in flight (its server's close() waits for that, as Node's waits for connections). */
function whenIdle(then: () => void): void {
  if (inflight.length === 0) return void setImmediate(then);
  const last = inflight[inflight.length - 1];
  last.once('close', () => whenIdle(then));
}
installListenHook((line) => process.stderr.write(`worker ${boot.id} (pid ${process.pid}): ${line}\n`), whenIdle);

// The app is either what the module exports or the first server it starts with listen(), whichever comes;
// a server that listens serves even when the module exports an app too (it carries the upgrade handlers,
// socket.io's say). The worker is ready only then: an app that awaits a model before listen() delays it.
const LISTEN_TIMEOUT_S = Number(process.env.TSWS_LISTEN_TIMEOUT) || 60;
const exported = await importApp(boot.module);
if (!exported.app && !listened()) {
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      process.stderr.write(
        `worker ${boot.id} (pid ${process.pid}): ${exported.why}; nor did it start a server with listen() within ` +
          `${LISTEN_TIMEOUT_S}s (TSWS_LISTEN_TIMEOUT). An app either exports a request listener (req, res) => {…}, ` +
          'an object with fetch(request) => Response or a Koa app, or calls listen() on its http.Server as usual\n',
      );
      process.exit(EXIT_LOAD_ERROR);
    }, LISTEN_TIMEOUT_S * 1000);
    onListen(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
const app: App | null = exported.app;
loading = false;

// Which response belongs to the code that is running, so an exception thrown later from a callback of that
// request still answers that request with a 500.
const current = new AsyncLocalStorage<ServerResponse>();

function fail(res: ServerResponse | undefined, err: unknown, fatal = false): void {
  process.stderr.write(`worker ${boot.id} (pid ${process.pid}): ${describe(err)}\n`);
  if (!fatal) send({ type: 'exception', error: String(err), fatal: false });
  if (!res || res.writableEnded) return;
  if (res.headersSent) {
    res.destroy(); // a truncated body must not look complete
    return;
  }
  res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
  res.end('500 Internal Server Error\n');
}

// An exception no handler caught leaves the process in an unknown state (Node's own advice is to restart):
// answer the request it came from, and ask the master to drain and replace this worker.
function uncaught(err: unknown): void {
  fail(current.getStore(), err, true);
  send({ type: 'exception', error: describe(err), fatal: true });
}
process.on('uncaughtException', uncaught);
process.on('unhandledRejection', uncaught);

const appMetrics = appMetricsReader(splitModuleSpec(boot.module).path);
const routeMemory = boot.routeMemory ? new RouteMemory((intervals) => send({ type: 'routes', intervals })) : null;

const server = createServer(
  {
    maxHeaderSize: boot.maxHeaderSize,
    // The router enforces http-timeout and harakiri; Node's own 300 s request timeout would answer 408
    // to a legitimately long request (a model inference) behind the router's back.
    requestTimeout: 0,
    // Longer than the router's idle timeout for pooled sockets, so the router always closes first.
    keepAliveTimeout: 65_000,
    // The router has already applied HTTP/1.1's Host rules to the client's request; an HTTP/1.0 request
    // without Host reaches the app without one (rather than with an invented `Host: localhost`).
    requireHostHeader: false,
  },
  (req, res) => {
    takeClient(req);
    lingering(req);
    inflight.push(res);
    if (routeMemory) res.once('close', () => routeMemory.end(req));
    res.once('close', () => inflight.splice(inflight.indexOf(res), 1));
    if (draining) res.shouldKeepAlive = false;
    current.run(res, () => {
      try {
        const l = listened();
        if (l) {
          l.server.emit('request', req, res);
          return;
        }
        const r = app!.listener(req, res) as Promise<unknown> | undefined;
        // A rejected promise from the handler is answered like a throw; the worker stays (as uWSGI does for
        // an exception the app raised): nothing escaped, so the process is in a known state.
        if (r && typeof r.then === 'function') r.then(undefined, (err: unknown) => fail(res, err));
      } catch (err) {
        fail(res, err);
      }
    });
  },
);

/** Upgraded connections (WebSockets): at a stop, the app's own shutdown closes them, not tsws. */
const upgraded = new Set<Duplex>();

server.on('upgrade', (req, socket, head) => {
  takeClient(req);
  const l = listened();
  const handler = l && l.server.listenerCount('upgrade') > 0 ? (rq: IncomingMessage, s: Duplex, h: Buffer) => l.server.emit('upgrade', rq, s, h) : app?.upgrade;
  if (!handler) {
    socket.end('HTTP/1.1 501 Not Implemented\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  upgraded.add(socket);
  socket.once('close', () => upgraded.delete(socket));
  try {
    handler(req, socket, head);
  } catch (err) {
    process.stderr.write(`worker ${boot.id} (pid ${process.pid}): ${describe(err)}\n`);
    socket.destroy();
  }
});

lingerOnClose(server);

// Every connection, upgraded ones included: closeAllConnections() no longer sees a socket once it was
// handed to an upgrade handler, and server.close() would wait for it forever.
const sockets = new Set<Socket>();
server.on('connection', (s: Socket) => {
  clientSocket(s);
  sockets.add(s);
  s.once('close', () => sockets.delete(s));
});

process.on('message', (msg: ToWorker) => {
  if (msg.type === 'drain') {
    // The router sends nothing new; responses still in flight say Connection: close, so the router's
    // agent drops those sockets instead of pooling them (the router also stopped pooling them itself).
    draining = true;
    for (const res of inflight) if (!res.headersSent) res.shouldKeepAlive = false;
    routeMemory?.flush(); // what grew this worker, before it goes (the master logs it with the recycle)
  } else if (msg.type === 'stop') {
    // The app's metrics first, so that what it counted since the last scrape survives this worker.
    void appMetrics().then((metrics) => (metrics ? send({ type: 'metrics', seq: 0, metrics }, stop) : stop()), stop);
  } else if (msg.type === 'ping') {
    send({ type: 'pong', seq: msg.seq });
  } else if (msg.type === 'snapshot') {
    send(heapSnapshot(msg.file));
  } else if (msg.type === 'metrics') {
    void appMetrics().then((metrics) => send({ type: 'metrics', seq: msg.seq, metrics }));
  }
});

/**
 * The router sends `stop` only once nothing is in flight here, so whatever is still open is idle, but for
 * upgraded connections. An app with SIGTERM listeners shuts down its own way, as under a container's
 * SIGTERM: they run, its server closes (its 'close' once nothing is in flight), and the worker exits when
 * the app calls process.exit() or has nothing left to do (the IPC channel no longer holds it);
 * worker-reload-mercy bounds all of it. Otherwise tsws closes the app's server itself and exits.
 */
function stop(): void {
  if (stopping) return;
  stopping = true;
  for (const s of sockets) if (!upgraded.has(s)) s.destroy();
  // An upgraded connection the router has ended (its client left) is closed: Node's server sockets allow
  // half-open connections, and a WebSocket has no use for one (it would hold the worker until mercy).
  for (const s of upgraded) {
    if (s.readableEnded) s.destroy();
    else s.once('end', () => s.destroy());
  }
  const target = listened()?.server;
  if (appListeners('SIGTERM') > 0) {
    server.close();
    process.channel?.unref();
    relaying = true;
    try {
      process.emit('SIGTERM', 'SIGTERM');
    } finally {
      relaying = false;
    }
    return;
  }
  // No shutdown path of the app's own: open upgraded connections (WebSockets) run on until they close, as
  // they did while the router held the worker for them; worker-reload-mercy bounds it.
  const exit = () => {
    server.close();
    if (upgraded.size === 0) return void process.exit(0);
    for (const s of upgraded) s.once('close', () => upgraded.size === 0 && process.exit(0));
  };
  if (target?.listening) target.close(() => setImmediate(exit));
  else exit();
}

/**
 * The client's address, as the router saw it (its peer, or the address a trusted proxy forwarded), in the
 * X-Tsws-Client header that it sets on every request and strips from clients: it becomes the address of
 * the request's socket, so req.ip (Express), ctx.ip (Koa), request.ip (Fastify) and Hapi's remoteAddress
 * are the client's with no trust-proxy setting. The router sends one request at a time on a connection, so
 * the socket carries the address of the request it is serving; the header itself never reaches the app.
 */
const CLIENT = 'x-tsws-client';
const kClient = Symbol('tsws.client');
type ClientSocket = Socket & { [kClient]: { address: string; port: number | undefined; family: string } | null };
/**
 * The router's connections carry many requests, each from its own client: the socket's remoteAddress,
 * remotePort and remoteFamily are accessors, defined once per connection, that read the client of the request
 * being served (a symbol slot, one store per request). Defining the properties per request cost the worker
 * ~10% of its CPU on hello-world requests (a profile under bench/router's load), and reshaped each socket.
 */
function clientSocket(s: Socket): void {
  const c = s as ClientSocket;
  c[kClient] = null;
  const proto = Object.getPrototypeOf(s) as object;
  const own = (name: 'address' | 'port' | 'family', inherited: string) => ({
    configurable: true,
    get(this: ClientSocket) {
      const v = this[kClient];
      return v ? v[name] : Reflect.get(proto, inherited, this);
    },
  });
  Object.defineProperties(s, { remoteAddress: own('address', 'remoteAddress'), remotePort: own('port', 'remotePort'), remoteFamily: own('family', 'remoteFamily') });
}

function takeClient(req: IncomingMessage): void {
  const v = req.headers[CLIENT];
  const s = req.socket as ClientSocket;
  if (typeof v !== 'string') {
    s[kClient] = null;
    return;
  }
  delete req.headers[CLIENT];
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i].length === CLIENT.length && raw[i].toLowerCase() === CLIENT) raw.splice(i, 2);
  const sp = v.lastIndexOf(' ');
  const address = sp < 0 ? v : v.slice(0, sp);
  s[kClient] = { address, port: sp < 0 ? undefined : Number(v.slice(sp + 1)) || undefined, family: isIP(address) === 6 ? 'IPv6' : 'IPv4' };
}

rmSync(boot.socketPath, { force: true });
ownServer(server);
server.listen(boot.socketPath, () => send({ type: 'ready' }));
