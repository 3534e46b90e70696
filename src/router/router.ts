// The HTTP router in the master: every request goes to the serving worker with the fewest requests in flight,
// never to one that already has `threads`; beyond capacity requests wait in a FIFO of at most `listen`.
// The router holds the client connection for the whole exchange, so a worker that is drained, recycled or
// dies is invisible to the client: errors become answers (502/503/504) and an idempotent request that got
// no byte back is retried once on another worker. The hop to a worker is our own (connection.ts): a pool of
// keep-alive unix-socket connections per worker and Node's llhttp for the responses.
//
// Nothing a client, a worker or a timer does may throw out of here into the master: every entry point
// (request, upgrade, connection, response bytes, the sweep) is contained, answered and counted.
//
// Long file: routing, the queue, retries and deadlines all read and write the same few structures (the
// serving list, each upstream's in-flight list, the queue); answers outside an exchange (client-errors.ts),
// the WebSocket tunnel (tunnel.ts) and the hop (connection.ts) are apart.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import { procStat } from '../sys/procstat.js';
import { declaredTooLarge, hasBody, readBody, removeSpool, type Refusal } from './body.js';
import { Connection, type ConnectionOwner } from './connection.js';
import type { Exchange, Trace } from './exchange.js';
import type { RouterOptions } from './options.js';
import { requestHead } from './request-head.js';
import { BUSY_503, clientError } from './client-errors.js';
import { answer, rawAnswer } from './respond.js';
import { tunnel } from './tunnel.js';
import { closeIdle, IDLE_SOCKET_MS, type Upstream } from './upstream.js';

export type { Exchange } from './exchange.js';

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

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
/** The connection never reached the worker: safe to retry any request whose body was not consumed. */
const NEVER_REACHED = new Set(['ECONNREFUSED', 'ENOENT', 'EAGAIN']);
const CONNECTION_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ENOENT']);
/** Near max-connections (this share of it), idle keep-alive connections are closed to make room. */
const CONNECTIONS_HIGH_WATER = 0.9;
/** A client connection's exchanges not yet ended, oldest first (more than one when pipelined). */
const kPending = Symbol('tsws.pending');
type ClientSocket = Socket & { [kPending]?: Exchange[] };

/** Has this process exited (gone, or a zombie waiting to be reaped)? */
function processGone(pid: number): boolean {
  const st = procStat(pid);
  return st === null || st.state === 'Z';
}

function stackOf(err: unknown): string {
  return err instanceof Error ? (err.stack ?? String(err)) : String(err);
}

/** What the router did on its own, for the stats (uWSGI-style counters). */
export interface RouterCounters {
  /** Responses cut short because their worker died or failed mid-body (the client sees an error). */
  truncated: number;
  /** Exceptions contained in the router (each logged with its stack). */
  internalErrors: number;
  /** Connections refused with 503 at max-connections. */
  connectionsRefused: number;
  /** accept() failures (EMFILE: out of file descriptors). */
  acceptErrors: number;
  /** Requests refused before routing: bad target, two Host headers, body too large or stalled. */
  refused: number;
}

export class Router implements ConnectionOwner {
  readonly server: Server;
  /** Further listening sockets that hand their connections to `server` (listen.ts bindAlso). */
  readonly listeners: NetServer[] = [];
  /** Workers that take new requests. */
  private serving: Upstream[] = [];
  /** Every worker until it is removed: serving and draining. */
  private readonly known = new Set<Upstream>();
  private readonly queue: Exchange[] = [];
  /** Exchanges whose body is being read (post-buffering), for the body timeout. */
  private readonly reading = new Set<Exchange>();
  /** Client connections that close after the response being answered: nothing pipelined behind it may run. */
  private readonly closingSockets = new WeakSet<Socket>();
  private rr = 0;
  /** New requests wait in the queue (hold()). */
  private held = false;
  closing = false;
  private idleWaiters: (() => void)[] = [];
  private sweepTimer: NodeJS.Timeout;
  /** Requests received and not yet ended (reading, queued, in flight, or still being written to the client). */
  private active = 0;
  /** Client connections open now (a Set: per connection, not per request). */
  private readonly clients = new Set<Socket>();
  totalRequests = 0;
  /** Requests turned away because the queue was full (uWSGI's listen_queue_errors). */
  queueFull = 0;
  readonly counters: RouterCounters = { truncated: 0, internalErrors: 0, connectionsRefused: 0, acceptErrors: 0, refused: 0 };
  private lastAcceptWarning = 0;

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
      (req, res) => this.contain(() => this.handle(req, res), res),
    );
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.contain(() => this.upgrade(req, socket, head), socket));
    // CONNECT (a tunnel through a proxy) is not something an app server offers; without a listener Node would
    // close the connection without a word.
    this.server.on('connect', (_req: IncomingMessage, s: Socket) => this.contain(() => {
      this.counters.refused++;
      s.end(rawAnswer(405));
    }, s));
    this.server.on('connection', (s: Socket) => this.contain(() => this.connection(s), s));
    this.server.on('clientError', (err: NodeJS.ErrnoException, s: Socket) => this.contain(() => clientError(err, s), s));
    // accept() failing (EMFILE: every file descriptor in use) is emitted here; unhandled, it would end the
    // process. The kernel's pending connection is reset by libuv; say so once a second, and count.
    this.server.on('error', (e: NodeJS.ErrnoException) => this.acceptFailed(e));
    this.server.keepAliveTimeout = opts.keepAliveMs;
    // Deadlines (queue wait, time to first byte, harakiri, body reads, idle worker connections) are swept, not
    // timed one by one: no timer per request on the hot path, at the cost of up to one sweep period of slop.
    this.sweepTimer = this.startSweep();
  }

  private startSweep(): NodeJS.Timeout {
    const o = this.opts;
    const t = setInterval(() => this.contain(() => this.sweep(), null), Math.min(250, o.httpTimeoutMs / 4, o.harakiriMs ? o.harakiriMs / 4 : 250));
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

  /**
   * Run one entry point; an exception is logged with its stack, counted, and answered on `to` (500 on a
   * response, a closed socket otherwise). The master outlives any one request.
   */
  private contain(f: () => void, to: ServerResponse | Socket | null): void {
    try {
      f();
    } catch (err) {
      this.internalError(err, to);
    }
  }

  private internalError(err: unknown, to: ServerResponse | Socket | null): void {
    this.counters.internalErrors++;
    this.opts.warn(`router: internal error (the request is answered 500 and the master goes on): ${stackOf(err)}`);
    try {
      if (to && 'writeHead' in to) answer(to, 500, 'internal error in the tsws router (see its log)', { connection: 'close' });
      else to?.destroy();
    } catch {
      // the connection is already unusable
    }
  }

  private acceptFailed(e: NodeJS.ErrnoException): void {
    if (e.syscall !== 'accept') return; // binding errors are listen.ts's, reported at startup
    this.counters.acceptErrors++;
    const now = performance.now();
    if (now - this.lastAcceptWarning < 1000) return;
    this.lastAcceptWarning = now;
    const hint = e.code === 'EMFILE' || e.code === 'ENFILE' ? ' (out of file descriptors: raise LimitNOFILE / ulimit -n, or lower http-max-connections)' : '';
    this.opts.warn(`router: a connection could not be accepted: ${e.code ?? e.message}${hint}; ${this.counters.acceptErrors} so far`);
  }

  /** A new client connection: bounded by max-connections, so that the master never runs out of descriptors. */
  private connection(s: Socket): void {
    const max = this.opts.maxConnections;
    if (max > 0 && this.clients.size >= max * CONNECTIONS_HIGH_WATER) {
      // Idle keep-alive connections make room first; they close asynchronously, so count them out now.
      this.server.closeIdleConnections();
      for (const c of this.clients) if (c.destroyed) this.clients.delete(c);
    }
    if (max > 0 && this.clients.size >= max) {
      this.counters.connectionsRefused++;
      this.closingSockets.add(s); // a request it sends before the close is not run
      s.end(BUSY_503);
      s.destroySoon();
      return;
    }
    this.clients.add(s);
    s.once('close', () => {
      this.clients.delete(s);
      // Responses queued behind the one being written (pipelining) never hear of their socket closing: Node
      // emits 'close' only on the response attached to it. Their exchanges end here, or they would count as
      // in flight for good (a graceful stop then waited forever; the fuzz found it).
      const pending = (s as ClientSocket)[kPending];
      if (pending) for (const ex of pending.slice()) this.contain(() => this.finish(ex), null);
    });
  }

  /** Client connections open now. */
  get connections(): number {
    return this.clients.size;
  }

  // ---- workers ---------------------------------------------------------------------------------------

  /** A worker is ready: route to it. */
  add(w: Upstream): void {
    this.known.add(w);
    this.serving.push(w);
    this.pump();
  }

  /**
   * Stop routing to `w` (recycle, reload, shutdown). Its pooled idle connections are closed here, by the side
   * that would otherwise send the next request on them, so no request can race a closing socket; once its
   * last request ends, hooks.drained() says it may stop.
   */
  drain(w: Upstream): void {
    this.serving = this.serving.filter((x) => x !== w);
    w.closed = true; // connections freed from now on are closed instead of pooled
    closeIdle(w);
    this.checkDrained(w);
  }

  /**
   * Hold every new request in the queue (the memory budget is full until a recycled worker has exited), or let
   * them go again. Queue limits and http-timeout still apply to them.
   */
  hold(on: boolean): void {
    this.held = on;
    if (!on) this.pump();
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

  /** The worker is gone (crashed, killed): in-flight attempts fail over as their connections close. */
  remove(w: Upstream): void {
    this.known.delete(w);
    this.serving = this.serving.filter((x) => x !== w);
    w.closed = true;
    closeIdle(w);
    this.pump();
  }

  /**
   * A draining worker with no request in flight is told to stop. Open upgraded connections (WebSockets) do
   * not hold that back: the worker leaves them to the app's own shutdown (its SIGTERM listeners), or keeps
   * them until they close; worker-reload-mercy bounds both.
   */
  private checkDrained(w: Upstream): void {
    if (!this.serving.includes(w) && w.exchanges.length === 0) this.hooks.drained(w);
  }

  // ---- requests --------------------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    // A request pipelined behind one whose answer closes the connection (an HTTP/1.0 chunked body: "close the
    // connection after processing the message", RFC 9112 §6.1; a refused request): Node's parser still hands
    // it over, but its answer could never be sent (Node closes the socket after the earlier response, and the
    // queued one never even emits 'close'), so it must not run. gunicorn's corpus: it reached the app.
    if (this.closingSockets.has(req.socket)) {
      this.counters.refused++;
      req.resume();
      return;
    }
    const now = performance.now();
    const o = this.opts;
    const head = requestHead(req, o.forwardedAllow, false, o.requestIdLower, o.requestIdHeader);
    const c = req.headers.connection;
    const ex: Exchange = {
      req,
      res,
      arrived: now,
      bytesBefore: req.socket.bytesWritten,
      head: head.ok ? head.text : '',
      trace: o.requestIdLower || o.serverTiming ? ({ id: head.ok ? head.id : '', header: o.requestIdHeader ?? '', timing: o.serverTiming ?? false } satisfies Trace) : null,
      upstream: null,
      body: null,
      streamed: false,
      spoolFile: null,
      spooling: null,
      bodyAt: 0,
      progressAt: 0,
      avoid: null,
      avoidUntil: 0,
      inFlightIndex: -1,
      sentAt: 0,
      tries: 0,
      responded: false,
      answered: false,
      // HTTP/1.0 keeps its connection only when it asks to; a 1.0 body that is chunked ends it (the client
      // cannot know where our response's reuse would begin).
      clientClose:
        req.httpVersionMajor === 1 && req.httpVersionMinor === 0
          ? !c || !/keep-alive/i.test(c) || req.headers['transfer-encoding'] !== undefined
          : c !== undefined && /close/i.test(c),
      hop: null,
      done: false,
    };
    if (ex.clientClose) this.closingSockets.add(req.socket);
    this.active++;
    ((req.socket as ClientSocket)[kPending] ??= []).push(ex);
    res.on('close', () => this.contain(() => this.finish(ex), null));
    if (!head.ok) return this.refuse(ex, { status: head.status, why: head.why });
    if (!hasBody(ex)) return this.route(ex);
    const tooLarge = declaredTooLarge(ex, this.opts);
    if (tooLarge) return this.refuse(ex, tooLarge);
    if (this.opts.postBuffering === 0) {
      ex.streamed = true;
      return this.route(ex);
    }
    this.reading.add(ex);
    readBody(ex, this.opts, (r) =>
      this.contain(() => {
        this.reading.delete(ex);
        if (r) this.refuse(ex, r);
        else this.route(ex);
      }, res),
    );
  }

  /** Answer a request the router will not route (4xx), and close its connection: its body may be unread. */
  private refuse(ex: Exchange, r: Refusal): void {
    this.counters.refused++;
    ex.clientClose = true;
    this.closingSockets.add(ex.req.socket);
    this.reply(ex, r.status, r.why);
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
    if (this.held) return null;
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
    ex.upstream = w;
    ex.tries++;
    ex.sentAt = ex.progressAt = performance.now();
    ex.inFlightIndex = w.exchanges.length;
    w.coreRequests[ex.inFlightIndex] = (w.coreRequests[ex.inFlightIndex] ?? 0) + 1;
    w.exchanges.push(ex);
    const conn = w.idle.pop() ?? new Connection(w, this, Math.max(this.opts.maxHeaderSize, 65536));
    conn.start(ex);
  }

  /** The attempt on `w` is over (response complete, failed, or given up): free its slot. */
  private release(ex: Exchange, w: Upstream): void {
    const i = ex.inFlightIndex;
    if (i < 0 || w.exchanges[i] !== ex) return;
    // Swap-remove from a plain array: a Set churned at request rate made every scavenge 4x slower
    // (its hash table is reallocated as it grows and shrinks), which cost ~20% of throughput in bench/router.
    const last = w.exchanges.pop()!;
    if (last !== ex) {
      w.exchanges[i] = last;
      last.inFlightIndex = i;
    }
    ex.inFlightIndex = -1;
    if (!this.serving.includes(w)) this.checkDrained(w);
  }

  /** ConnectionOwner: the worker's response is complete; the slot is free even if the client reads slowly. */
  upstreamDone(ex: Exchange, w: Upstream): void {
    this.contain(() => {
      this.release(ex, w);
      this.pump();
    }, null);
  }

  /** ConnectionOwner: the attempt failed before its response was complete. */
  upstreamFailed(ex: Exchange, w: Upstream, code: string): void {
    this.contain(() => this.failed(ex, w, code), ex.res);
  }

  private failed(ex: Exchange, w: Upstream, code: string): void {
    if (ex.upstream !== w || ex.done) return; // a late error from an attempt already given up
    this.release(ex, w);
    if (ex.answered) return;
    if (ex.responded || ex.res.headersSent) {
      // Part of the response is already with the client: the only honest signal left is to cut the
      // connection at once (no terminating chunk, or fewer bytes than Content-Length), which every client
      // reports as an error, rather than leave it open with an unterminated body.
      this.counters.truncated++;
      this.opts.warn(`router: worker ${w.id} (pid ${w.pid}) failed mid-response (${code}): ${ex.req.method} ${ex.req.url} cut short`);
      ex.res.destroy();
      return;
    }
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
    // Only a response that never began can be retried (a parser error means one did: a worker's answer, even a
    // broken one, is never a reason to run the request again). A streamed body went into the failed attempt.
    if (code.startsWith('HPE_') || code === 'EBADHEADER' || ex.streamed) return false;
    return IDEMPOTENT.has(ex.req.method ?? '') || NEVER_REACHED.has(code);
  }

  /** Answer on the router's own behalf (4xx, 502, 503, 504). */
  private reply(ex: Exchange, status: number, why: string, headers: Record<string, string> = {}): void {
    ex.answered = true;
    ex.hop?.abort(); // the worker's late answer has nowhere to go; free its connection now
    if (this.closing || ex.clientClose) headers.connection = 'close';
    if (ex.trace?.id) headers[ex.trace.header] = ex.trace.id;
    answer(ex.res, status, why, headers);
  }

  private finish(ex: Exchange): void {
    if (ex.done) return;
    ex.done = true;
    this.active--;
    const pending = (ex.req.socket as ClientSocket)[kPending];
    if (pending) {
      const i = pending.indexOf(ex);
      if (i >= 0) pending.splice(i, 1);
    }
    ex.hop?.abort(); // the client left before the worker finished: the worker sees its request closed
    if (ex.spoolFile !== null) removeSpool(ex);
    if (this.reading.size) this.reading.delete(ex);
    const w = ex.upstream;
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
    // The status line and headers as Node wrote them (`_header`, kept by Node for exactly this kind of use):
    // uWSGI's %(hsize), %(headers) and %(rsize) split a response's bytes the same way.
    const head = (ex.res as unknown as { _header?: string | null })._header ?? '';
    if (this.opts.logOnly && !this.opts.logOnly(status, micros, Math.max(0, bytes - Buffer.byteLength(head)))) return;
    this.opts.log(
      this.opts.logLine!({
        addr: req.socket.remoteAddress ?? '-',
        authorization: req.headers.authorization ?? '',
        head,
        cl: Number(req.headers['content-length']) || 0,
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
        queueMicros: ex.sentAt ? Math.round((ex.sentAt - ex.arrived) * 1000) : 0,
        requestId: ex.trace?.id ?? '',
        retried: ex.tries > 1,
      }),
    );
  }

  /**
   * Hand queued requests to free slots, oldest first. A retry that must avoid the worker it failed on (for a
   * second) waits without holding up the requests behind it.
   */
  private pump(): void {
    const q = this.queue;
    for (let i = 0; i < q.length; ) {
      const ex = q[i];
      if (ex.done) {
        q.splice(i, 1);
        continue;
      }
      const avoid = ex.avoid && performance.now() < ex.avoidUntil ? ex.avoid : null;
      const w = this.pick(avoid);
      if (w) {
        q.splice(i, 1);
        this.dispatch(ex, w);
      } else if (avoid === null || this.pick(null) === null) return; // no free slot at all
      else i++;
    }
  }

  private sweep(): void {
    const now = performance.now();
    const timeout = this.opts.httpTimeoutMs;
    while (this.queue.length && now - this.queue[0].arrived > timeout) {
      const ex = this.queue.shift()!;
      this.reply(ex, 504, `no worker was free within ${timeout / 1000}s`);
    }
    for (const ex of this.reading) {
      if (now - ex.bodyAt > this.opts.bodyTimeoutMs) {
        this.reading.delete(ex);
        this.refuse(ex, { status: 408, why: `the request body stalled for ${this.opts.bodyTimeoutMs / 1000}s` });
      }
    }
    for (const w of this.known) {
      // Idle connections to the worker, oldest first (the pool is LIFO).
      while (w.idle.length && now - w.idle[0].idleSince > IDLE_SOCKET_MS) w.idle[0].destroy();
      for (const ex of [...w.exchanges]) {
        if (ex.answered) continue;
        if (!ex.responded && now - ex.sentAt > timeout) {
          this.reply(ex, 504, `worker ${w.id} (pid ${w.pid}) did not answer within ${timeout / 1000}s`);
          this.release(ex, w);
        } else if (this.opts.harakiriMs && now - ex.progressAt > this.opts.harakiriMs) {
          // Time to first byte, then inactivity: a response still sending is not stuck.
          if (!ex.responded) this.reply(ex, 504, `harakiri: the request ran longer than ${this.opts.harakiriMs / 1000}s`);
          else {
            ex.hop?.abort();
            ex.res.destroy();
          }
          this.release(ex, w);
          this.hooks.harakiri(w, ex);
        }
      }
    }
    this.pump(); // a retry waiting out its avoidance may go now
  }

  // ---- WebSocket -------------------------------------------------------------------------------------

  /** An upgrade (WebSocket) gets a tunnel of its own (tunnel.ts) to the least busy worker. */
  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const w = this.pick(null) ?? this.serving[0];
    const h = requestHead(req, this.opts.forwardedAllow, true);
    if (!h.ok) {
      this.counters.refused++;
      socket.end(rawAnswer(h.status));
      return;
    }
    if (!w || this.closing) {
      socket.end(rawAnswer(503, 'Retry-After: 1\r\n'));
      return;
    }
    w.websockets++;
    tunnel(socket, head, w.socketPath, h.text, () => {
      w.websockets--;
      if (!this.serving.includes(w)) this.checkDrained(w);
    });
  }

  // ---- lifecycle -------------------------------------------------------------------------------------

  /** Stop accepting connections; resolves when no request is queued or in flight. */
  close(): Promise<void> {
    this.closing = true;
    this.closeListeners();
    this.server.closeIdleConnections();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  /** Stop accepting on every address; connections already open stay. */
  closeListeners(): void {
    this.server.close();
    for (const l of this.listeners) l.close();
  }

  private checkIdle(): void {
    if (this.active > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of waiters) f();
  }

  /**
   * Stop now (a quick stop, once the workers are gone): answer what is left, then close every connection. A
   * worker's exit and its socket's end reach the master in either order, so its requests may not have had
   * their 502 yet (a CI run saw the client's connection cut instead). Queued ones never reached a worker: 503.
   */
  stop(): void {
    clearInterval(this.sweepTimer);
    for (const ex of [...this.clients].flatMap((c) => (c as ClientSocket)[kPending] ?? [])) {
      this.contain(() => {
        if (ex.done || ex.answered) return;
        if (ex.res.headersSent) ex.res.destroy();
        else this.reply(ex, ex.upstream ? 502 : 503, 'the server stopped');
      }, ex.res);
    }
    this.server.closeAllConnections();
  }
}
