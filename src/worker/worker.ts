// Entry point of a worker process: load the app, serve HTTP on a private unix socket, tell the master it is
// ready, and exit when the master says so (after the router has drained it) or when the master is gone.
import { AsyncLocalStorage } from 'node:async_hooks';
import { rmSync, rmdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import { loadApp, type App } from './app.js';
import { EXIT_LOAD_ERROR, type ToMaster, type ToWorker, type WorkerBoot } from './protocol.js';

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
// systemd's default KillMode signals every process, and neither may cut a request short here.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2', 'SIGTTIN', 'SIGTTOU'] as const) process.on(sig, () => {});

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
const app: App = await loadApp(boot.module);
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
    (req.socket as Lingering)[kRequest] = req;
    inflight.push(res);
    res.once('close', () => inflight.splice(inflight.indexOf(res), 1));
    if (draining) res.shouldKeepAlive = false;
    current.run(res, () => {
      try {
        const r = app.listener(req, res) as Promise<unknown> | undefined;
        // A rejected promise from the handler is answered like a throw; the worker stays (as uWSGI does for
        // an exception the app raised): nothing escaped, so the process is in a known state.
        if (r && typeof r.then === 'function') r.then(undefined, (err: unknown) => fail(res, err));
      } catch (err) {
        fail(res, err);
      }
    });
  },
);

server.on('upgrade', (req, socket, head) => {
  if (!app.upgrade) {
    socket.end('HTTP/1.1 501 Not Implemented\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  try {
    app.upgrade(req, socket, head);
  } catch (err) {
    process.stderr.write(`worker ${boot.id} (pid ${process.pid}): ${describe(err)}\n`);
    socket.destroy();
  }
});

// Lingering close (nginx's lingering_close): an app that answers before reading the whole body (413 to an
// upload) and closes makes the router's next write of that body fail with EPIPE, and Node then destroys the
// router's socket before it has read the answer (10-14 of 40 clients got 502 in issue 10). So the connection
// is closed only once the rest of the body has been read and discarded, for at most LINGER_MS.
const LINGER_MS = 30_000;
const kRequest = Symbol('tsws.request');
type Lingering = Socket & { [kRequest]?: IncomingMessage };
server.on('connection', (s: Lingering) => {
  const destroySoon = s.destroySoon.bind(s);
  s.destroySoon = () => {
    const req = s[kRequest];
    if (!req || req.complete || s.destroyed) return destroySoon();
    const t = setTimeout(destroySoon, LINGER_MS);
    req.once('end', () => {
      clearTimeout(t);
      destroySoon();
    });
    req.resume();
  };
});

// Every connection, upgraded ones included: closeAllConnections() no longer sees a socket once it was
// handed to an upgrade handler, and server.close() would wait for it forever.
const sockets = new Set<Socket>();
server.on('connection', (s: Socket) => {
  sockets.add(s);
  s.once('close', () => sockets.delete(s));
});

process.on('message', (msg: ToWorker) => {
  if (msg.type === 'drain') {
    // The router sends nothing new; responses still in flight say Connection: close, so the router's
    // agent drops those sockets instead of pooling them (the router also stopped pooling them itself).
    draining = true;
    for (const res of inflight) if (!res.headersSent) res.shouldKeepAlive = false;
  } else if (msg.type === 'stop') {
    // The router sends `stop` only once nothing is in flight here, so whatever is still open is idle.
    server.close(() => process.exit(0));
    for (const s of sockets) s.destroy();
  } else if (msg.type === 'ping') {
    send({ type: 'pong', seq: msg.seq });
  }
});

rmSync(boot.socketPath, { force: true });
server.listen(boot.socketPath, () => send({ type: 'ready' }));
