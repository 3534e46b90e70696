// The HTTP router in the master: every request goes to the serving worker with the fewest requests in flight,
// never to one that already has `threads`; beyond capacity requests wait in a FIFO of at most `listen`.
// The router holds the client connection for the whole exchange, so a worker that is drained, recycled or
// dies is invisible to the client: errors become answers (502/503/504) and an idempotent request that got
// no byte back is retried once on another worker. Proxying is http-proxy-3 with a keep-alive agent per
// worker (see docs/architecture.md for why not http-proxy).
import { createServer, type ClientRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { procStat } from '../master/procstat.js';
import { clientWantsClose, setForwarded, setResponseConnection, stripHopByHop } from './headers.js';
import type { LineFormatter } from './logline.js';
import type { Upstream } from './upstream.js';
import { answer } from './respond.js';

export interface RouterOptions {
  /** Requests one worker serves at once. */
  readonly threads: number;
  /** Longest queue of requests waiting for a slot. */
  readonly listen: number;
  /** Longest wait for a slot, and for a worker's response headers (ms). */
  readonly httpTimeoutMs: number;
  /** A request running longer is answered 504 and its worker recycled (ms; 0 = off). */
  readonly harakiriMs: number;
  readonly maxHeaderSize: number;
  /** Longest time to receive a request's headers (ms): slow clients are cut off with 408. */
  readonly headersTimeoutMs: number;
  /** How long an idle client connection stays open (ms): above the idle timeout of any proxy in front. */
  readonly keepAliveMs: number;
  readonly forwardedAllow: ReadonlySet<string>;
  /** null: no request lines. */
  readonly logLine: LineFormatter | null;
  readonly log: (line: string) => void;
}

export interface RouterHooks {
  /** Is a worker serving or on its way? If not (every slot in crash backoff), answer 503 at once. */
  available(): boolean;
  /** A draining worker has nothing in flight any more: it can be told to stop. */
  drained(w: Upstream): void;
  /** A request ended, on worker `w` or answered by the router alone (w null): for limits and stats. */
  requestEnded(w: Upstream | null, status: number, micros: number, bytes: number): void;
  /** A request on `w` ran past harakiri; the router has already answered 504. */
  harakiri(w: Upstream, ex: Exchange): void;
}

/** One client request, across its attempts. */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly arrived: number;
  /** Socket bytes written before this response, for the response size. */
  readonly bytesBefore: number;
  worker: Upstream | null;
  /** When the current attempt was sent to its worker. */
  sentAt: number;
  tries: number;
  /** The worker sent response headers: no retry past this point. */
  responded: boolean;
  /** The router answered on its own (504, 502); late worker output is discarded. */
  answered: boolean;
  /** A small request body, read before routing so that a retry can send it again (null: streamed). */
  body: Buffer | null;
  /** The worker whose attempt failed: a retry goes elsewhere (for a second, the time it takes to reap it). */
  avoid: Upstream | null;
  avoidUntil: number;
  /** Index in its worker's in-flight list, -1 when not in flight. */
  slot: number;
  /** The client asked for its connection to close after this response. */
  readonly clientClose: boolean;
  /** The request to the worker, once it has a socket: destroyed when the router gives up on it. */
  upstream: ClientRequest | null;
  done: boolean;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
/** The connection never reached the worker: safe to retry any request whose body was not consumed. */
const NEVER_REACHED = new Set(['ECONNREFUSED', 'ENOENT', 'EAGAIN']);
const CONNECTION_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ENOENT']);
/** Request bodies up to this size (with a Content-Length) are read before routing, so they can be retried. */
const BUFFERED_BODY_MAX = 64 * 1024;
const kExchange = Symbol('tsws.exchange');

/** Has this process exited (gone, or a zombie waiting to be reaped)? */
function processGone(pid: number): boolean {
  const st = procStat(pid);
  return st === null || st.state === 'Z';
}

type Tagged = IncomingMessage & { [kExchange]?: Exchange };

export class Router {
  readonly server: Server;
  /** Workers that take new requests. */
  private serving: Upstream[] = [];
  /** Every worker until it is removed: serving and draining. */
  private readonly known = new Set<Upstream>();
  private readonly queue: Exchange[] = [];
  private rr = 0;
  private closing = false;
  private idleWaiters: (() => void)[] = [];
  private sweepTimer: NodeJS.Timeout;
  totalRequests = 0;
  /** Requests turned away because the queue was full (uWSGI's listen_queue_errors). */
  queueFull = 0;

  constructor(
    private opts: RouterOptions,
    private readonly hooks: RouterHooks,
  ) {
    this.server = createServer(
      {
        maxHeaderSize: opts.maxHeaderSize,
        headersTimeout: opts.headersTimeoutMs,
        requestTimeout: Math.max(300_000, opts.headersTimeoutMs), // Node's default; must not be below headersTimeout
        // Node checks its request timeouts every 30 s by default: a slowloris would hold a socket that long.
        connectionsCheckingInterval: 1000,
      },
      (req, res) => this.handle(req, res),
    );
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(req, socket, head));
    // Deadlines (queue wait, time to first byte, harakiri) are swept, not timed one by one: no timer per
    // request on the hot path, at the cost of up to one sweep period of slop (uWSGI checks once a second).
    this.server.keepAliveTimeout = opts.keepAliveMs;
    this.sweepTimer = this.startSweep();
  }

  private startSweep(): NodeJS.Timeout {
    const o = this.opts;
    const t = setInterval(() => this.sweep(), Math.min(250, o.httpTimeoutMs / 4, o.harakiriMs ? o.harakiriMs / 4 : 250));
    t.unref();
    return t;
  }

  /**
   * A reload's new options: threads, timeouts, harakiri, forwarded-allow-ips and logging apply from the next
   * routing decision on, http-keepalive from the next idle period of each connection. The listening socket's own settings (buffer-size, http-headers-timeout) stay.
   */
  configure(opts: RouterOptions): void {
    this.opts = opts;
    this.server.keepAliveTimeout = opts.keepAliveMs;
    clearInterval(this.sweepTimer);
    this.sweepTimer = this.startSweep();
    this.pump(); // more threads: queued requests may fit now
  }

  get queued(): number {
    return this.queue.length;
  }

  // ---- workers ---------------------------------------------------------------------------------------

  /** A worker is ready: route to it. */
  add(w: Upstream): void {
    this.known.add(w);
    w.proxy.on('proxyReq', (proxyReq, req) => {
      const ex = (req as Tagged)[kExchange];
      if (ex) ex.upstream = proxyReq;
    });
    w.proxy.on('proxyRes', (proxyRes, req) => {
      const ex = (req as Tagged)[kExchange];
      if (!ex) return;
      ex.responded = true;
      setResponseConnection(proxyRes.headers, this.closing || ex.clientClose);
    });
    // http-proxy throws when an 'error' event has no listener; every web() call has its own callback, so
    // this only sees WebSocket errors, which end that one connection.
    w.proxy.on('error', () => {});
    this.serving.push(w);
    this.pump();
  }

  /**
   * Stop routing to `w` (recycle, reload, shutdown). Its pooled idle sockets are closed here, by the side
   * that would otherwise send the next request on them, so no request can race a closing socket; once its
   * last request ends, hooks.drained() says it may stop.
   */
  drain(w: Upstream): void {
    this.serving = this.serving.filter((x) => x !== w);
    w.agent.maxFreeSockets = 0; // sockets freed from now on are destroyed instead of pooled
    for (const list of Object.values(w.agent.freeSockets)) for (const s of list ?? []) s.destroy();
    this.checkDrained(w);
  }

  /** Stop routing to `w` for now (its event loop does not answer), without draining it. */
  pause(w: Upstream): void {
    this.serving = this.serving.filter((x) => x !== w);
  }

  resume(w: Upstream): void {
    if (this.known.has(w) && !this.serving.includes(w)) {
      this.serving.push(w);
      this.pump();
    }
  }

  /** The worker is gone (crashed, killed): in-flight attempts fail over through their error callbacks. */
  remove(w: Upstream): void {
    this.known.delete(w);
    this.serving = this.serving.filter((x) => x !== w);
    w.agent.destroy();
    this.pump();
  }

  private checkDrained(w: Upstream): void {
    if (!this.serving.includes(w) && w.exchanges.length === 0 && w.websockets === 0) this.hooks.drained(w);
  }

  // ---- requests --------------------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const now = performance.now();
    const ex: Exchange = {
      req,
      res,
      arrived: now,
      bytesBefore: req.socket.bytesWritten,
      worker: null,
      body: null,
      avoid: null,
      avoidUntil: 0,
      slot: -1,
      sentAt: 0,
      tries: 0,
      responded: false,
      answered: false,
      clientClose: clientWantsClose(req),
      upstream: null,
      done: false,
    };
    (req as Tagged)[kExchange] = ex;
    stripHopByHop(req.headers);
    setForwarded(req, this.opts.forwardedAllow);
    res.on('close', () => this.finish(ex));
    // A small body is read first (as nginx buffers request bodies): if the worker it goes to dies before
    // answering, it can be sent again. Larger or chunked bodies stream through and are never retried.
    const len = req.headers['content-length'];
    if (len !== undefined && len !== '0' && req.headers['transfer-encoding'] === undefined && Number(len) <= BUFFERED_BODY_MAX) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        ex.body = Buffer.concat(chunks);
        this.route(ex);
      });
      return;
    }
    this.route(ex);
  }

  private route(ex: Exchange): void {
    if (ex.done) return;
    const w = this.pick(null);
    if (w) this.dispatch(ex, w);
    else if (!this.hooks.available()) this.reply(ex, 503, 'no worker is available (the app keeps failing; see the log)', { 'retry-after': '5' });
    else this.enqueue(ex);
  }

  private enqueue(ex: Exchange, front = false): void {
    if (!front && this.queue.length >= this.opts.listen) {
      this.queueFull++;
      this.reply(ex, 503, 'all workers are busy and the queue is full', { 'retry-after': '1' });
      return;
    }
    if (front) this.queue.unshift(ex);
    else this.queue.push(ex);
  }

  /** Least requests in flight; ties rotate so that light load still spreads over every worker. */
  private pick(exclude: Upstream | null): Upstream | null {
    const list = this.serving;
    const n = list.length;
    let best: Upstream | null = null;
    for (let k = 0; k < n; k++) {
      const w = list[(this.rr + k) % n];
      if (w === exclude || w.exchanges.length >= this.opts.threads) continue;
      if (best === null || w.exchanges.length < best.exchanges.length) {
        best = w;
        if (w.exchanges.length === 0) break;
      }
    }
    if (best) this.rr = (this.rr + 1) % n;
    return best;
  }

  private dispatch(ex: Exchange, w: Upstream): void {
    ex.worker = w;
    ex.upstream = null;
    ex.tries++;
    ex.sentAt = performance.now();
    ex.slot = w.exchanges.length;
    w.coreRequests[ex.slot] = (w.coreRequests[ex.slot] ?? 0) + 1;
    w.exchanges.push(ex);
    const cb = (err: NodeJS.ErrnoException) => this.failed(ex, w, err);
    if (ex.body) w.proxy.web(ex.req, ex.res, { buffer: Readable.from([ex.body]) }, cb);
    else w.proxy.web(ex.req, ex.res, cb);
  }

  /** The attempt on `w` is over (response ended, failed, or the client left): free its slot. */
  private release(ex: Exchange, w: Upstream): void {
    const i = ex.slot;
    if (i < 0 || w.exchanges[i] !== ex) return;
    // Swap-remove from a plain array: a Set churned at request rate made every scavenge 4x slower
    // (its hash table is reallocated as it grows and shrinks), which cost ~20% of throughput in bench/router.
    const last = w.exchanges.pop()!;
    if (last !== ex) {
      w.exchanges[i] = last;
      last.slot = i;
    }
    ex.slot = -1;
    if (!this.serving.includes(w)) this.checkDrained(w);
  }

  private failed(ex: Exchange, w: Upstream, err: NodeJS.ErrnoException): void {
    if (ex.worker !== w || ex.done) return; // a late error from an attempt already given up
    this.release(ex, w);
    ex.worker = null;
    if (ex.answered) return;
    if (ex.responded || ex.res.headersSent) {
      // Part of the response is already with the client: the only honest signal left is to cut it.
      ex.res.destroy();
      return;
    }
    const code = err.code ?? 'EPROTO';
    // A connection-level failure from a worker that is no longer alive: route nothing more to it, before
    // the master has even reaped it (a slot freed by this failure must not take the next request there).
    if (CONNECTION_ERRORS.has(code) && processGone(w.pid)) this.pause(w);
    if (ex.tries < 2 && this.retryable(ex, code)) {
      ex.avoid = w;
      ex.avoidUntil = performance.now() + 1000;
      const next = this.pick(w);
      if (next) this.dispatch(ex, next);
      else this.enqueue(ex, true);
      return;
    }
    this.reply(ex, 502, `worker ${w.id} (pid ${w.pid}) failed: ${code}`);
  }

  private retryable(ex: Exchange, code: string): boolean {
    // A streamed body has already gone into the failed attempt; only a bodiless or buffered one can be resent.
    const req = ex.req;
    const len = req.headers['content-length'];
    const resendable = ex.body !== null || ((len === undefined || len === '0') && req.headers['transfer-encoding'] === undefined);
    return resendable && (IDEMPOTENT.has(req.method ?? '') || NEVER_REACHED.has(code));
  }

  /** Answer on the router's own behalf (503, 504, 502). */
  private reply(ex: Exchange, status: number, why: string, headers: Record<string, string> = {}): void {
    ex.answered = true;
    ex.upstream?.destroy(); // the worker's late answer has nowhere to go; free its connection now
    if (this.closing) headers.connection = 'close';
    answer(ex.res, status, why, headers);
  }

  private finish(ex: Exchange): void {
    if (ex.done) return;
    ex.done = true;
    const w = ex.worker;
    if (w) this.release(ex, w);
    else {
      const i = this.queue.indexOf(ex);
      if (i >= 0) this.queue.splice(i, 1); // the client left while queued
    }
    this.totalRequests++;
    const status = ex.res.writableFinished ? ex.res.statusCode : 499; // 499: the client closed first (nginx)
    const micros = Math.round((performance.now() - ex.arrived) * 1000);
    const bytes = ex.req.socket.bytesWritten - ex.bytesBefore;
    if (w) {
      w.requests++;
      w.runningMicros += micros;
      w.tx += bytes;
    }
    this.hooks.requestEnded(w, status, micros, bytes);
    if (this.opts.logLine) this.logRequest(ex, w, status, micros, bytes);
    this.pump();
    if (this.closing) this.checkIdle();
  }

  private logRequest(ex: Exchange, w: Upstream | null, status: number, micros: number, bytes: number): void {
    const req = ex.req;
    this.opts.log(
      this.opts.logLine!({
        addr: req.socket.remoteAddress ?? '-',
        method: req.method ?? '-',
        uri: req.url ?? '-',
        proto: `HTTP/${req.httpVersion}`,
        status,
        size: bytes,
        micros,
        wid: w?.id ?? 0,
        pid: w?.pid ?? 0,
        workerRequests: w?.requests ?? 0,
        totalRequests: this.totalRequests,
        host: req.headers.host ?? '',
        uagent: req.headers['user-agent'] ?? '',
        referer: req.headers.referer ?? '',
      }),
    );
  }

  /** Hand queued requests to free slots, oldest first. */
  private pump(): void {
    while (this.queue.length) {
      const ex = this.queue[0];
      const avoid = ex.avoid && performance.now() < ex.avoidUntil ? ex.avoid : null;
      const w = this.pick(avoid);
      if (!w) return;
      this.queue.shift();
      if (!ex.done) this.dispatch(ex, w);
    }
  }

  private sweep(): void {
    const now = performance.now();
    const timeout = this.opts.httpTimeoutMs;
    while (this.queue.length && now - this.queue[0].arrived > timeout) {
      const ex = this.queue.shift()!;
      this.reply(ex, 504, `no worker was free within ${timeout / 1000}s`);
    }
    for (const w of this.known) {
      for (const ex of [...w.exchanges]) {
        if (ex.answered) continue;
        if (!ex.responded && now - ex.sentAt > timeout) {
          this.reply(ex, 504, `worker ${w.id} (pid ${w.pid}) did not answer within ${timeout / 1000}s`);
          this.release(ex, w);
        } else if (this.opts.harakiriMs && now - ex.sentAt > this.opts.harakiriMs) {
          if (!ex.responded) this.reply(ex, 504, `harakiri: the request ran longer than ${this.opts.harakiriMs / 1000}s`);
          else ex.res.destroy();
          this.release(ex, w);
          this.hooks.harakiri(w, ex);
        }
      }
    }
    this.pump(); // a retry waiting out its avoidance may go now
  }

  // ---- WebSocket -------------------------------------------------------------------------------------

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const w = this.pick(null) ?? this.serving[0];
    if (!w || this.closing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    stripHopByHop(req.headers, true);
    setForwarded(req, this.opts.forwardedAllow);
    w.websockets++;
    // Node's http server keeps sockets half-open; a WebSocket has its own close handshake and no use for
    // half-closed TCP, and a client that left must not pin its worker until worker-reload-mercy.
    socket.once('end', () => socket.destroy());
    socket.once('close', () => {
      w.websockets--;
      if (!this.serving.includes(w)) this.checkDrained(w);
    });
    // A fresh connection per WebSocket: an upgraded socket leaves the agent's pool for good.
    w.proxy.ws(req, socket, head, { agent: false }, () => socket.destroy());
  }

  // ---- lifecycle -------------------------------------------------------------------------------------

  /** Stop accepting connections; resolves when no request is queued or in flight. */
  close(): Promise<void> {
    this.closing = true;
    this.server.close();
    this.server.closeIdleConnections();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  private checkIdle(): void {
    if (this.queue.length) return;
    for (const w of this.known) if (w.exchanges.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of waiters) f();
  }

  stop(): void {
    clearInterval(this.sweepTimer);
    this.server.closeAllConnections();
  }
}
