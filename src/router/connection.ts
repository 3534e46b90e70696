// One keep-alive connection from the router to a worker's unix socket: it writes a request head and body and
// parses the worker's response with Node's own llhttp parser (the HTTPParser that http.ClientRequest uses,
// from the built-in `_http_common` module: the same bytes are accepted and refused as by Node's client), then
// copies it to the client's ServerResponse. This replaces a general proxy library on the hot path: per
// request there is one string for the head, one write, and no closures, pipes or events of its own
// (bench/router; docs/architecture.md says why, and on which Node versions this parser is used).
// Long file: one class, whose parser callbacks share the state of the exchange in flight.
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import type { Exchange, Hop, Upstream } from './exchange.js';
import { connectionListed } from './request-head.js';
import { traceHeaders } from './trace.js';

interface Parser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(b: Buffer): number | (Error & { code?: string });
  finish(): undefined | (Error & { code?: string });
  close(): void;
  [k: number]: unknown;
}
interface ParserClass {
  new (): Parser;
  readonly RESPONSE: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kLenientNone: number;
}
// Present and unchanged in Node 20, 22 and 24 (the suite runs on all three).
const { HTTPParser } = createRequire(import.meta.url)('_http_common') as { HTTPParser: ParserClass };

export interface ConnectionOwner {
  /** The router is shutting down: every response closes its client connection. */
  readonly closing: boolean;
  /** The response is complete and with the client (or the exchange was cut short): free the slot. */
  upstreamDone(ex: Exchange, w: Upstream): void;
  /** The attempt failed before its response was complete (`code`: errno or parser error). */
  upstreamFailed(ex: Exchange, w: Upstream, code: string): void;
}

/** Response headers that describe the router↔worker connection, not the client's (RFC 9110 §7.6.1). */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding']);

export class Connection implements Hop {
  private readonly socket: Socket;
  private readonly parser: Parser;
  ex: Exchange | null = null;
  /** When it went back to the pool (performance.now()). */
  idleSince = 0;
  /** Header pairs delivered in pieces (a large head) or after the body (trailers). */
  private headers: string[] = [];
  private keepAlive = false;
  /** The request, body included, is all written: the connection can carry the next one. */
  private requestSent = false;
  /** Can carry another request once this response ends (false after HEAD/304, errors, an early answer). */
  private reusable = true;
  /** The last body chunk, held back so that a response that fits one read ends in one write to the client. */
  private pending: Buffer | null = null;
  /** The final response of the current exchange is complete; acted on once execute() has returned. */
  private complete = false;
  private dead = false;
  private readonly resume = (): void => {
    if (this.ex) this.ex.progressAt = performance.now(); // a slow client caught up: the response moves
    this.socket.resume();
  };
  /** A spooled body being sent. */
  private fileStream: { destroy(): void } | null = null;

  constructor(
    readonly upstream: Upstream,
    private readonly owner: ConnectionOwner,
    maxHeaderSize: number,
  ) {
    const p = new HTTPParser();
    p.initialize(HTTPParser.RESPONSE, {}, maxHeaderSize, HTTPParser.kLenientNone);
    p[HTTPParser.kOnHeaders] = (h: string[]) => void this.headers.push(...h);
    p[HTTPParser.kOnHeadersComplete] = (_ma: number, _mi: number, h: string[] | undefined, _m: unknown, _u: unknown, status: number, message: string, _up: boolean, keepAlive: boolean) =>
      this.onHead(h ?? this.takeHeaders(), status, message, keepAlive);
    p[HTTPParser.kOnBody] = (b: Buffer) => this.onBody(b);
    p[HTTPParser.kOnMessageComplete] = () => this.onComplete();
    this.parser = p;
    const s = connect(upstream.socketPath);
    s.on('data', (b: Buffer) => this.onData(b));
    s.on('end', () => this.onEnd());
    s.on('error', (e: NodeJS.ErrnoException) => this.onClose(e.code ?? 'EPROTO'));
    s.on('close', () => this.onClose('ECONNRESET'));
    this.socket = s;
  }

  private takeHeaders(): string[] {
    const h = this.headers;
    this.headers = [];
    return h;
  }

  /** Send `ex` to the worker on this connection. */
  start(ex: Exchange): void {
    this.ex = ex;
    ex.hop = this;
    this.complete = false;
    this.pending = null;
    this.requestSent = false;
    const s = this.socket;
    const body = ex.body;
    if (body === null && !ex.streamed) {
      s.write(ex.head + (ex.req.headers['content-length'] === '0' ? 'Content-Length: 0\r\n\r\n' : '\r\n'), 'latin1');
      this.requestSent = true;
    } else if (Buffer.isBuffer(body)) {
      s.cork();
      s.write(`${ex.head}Content-Length: ${body.length}\r\n\r\n`, 'latin1');
      s.write(body);
      s.uncork();
      this.requestSent = true;
    } else if (body) {
      s.write(`${ex.head}Content-Length: ${body.size}\r\n\r\n`, 'latin1');
      this.sendFile(ex, body.file);
    } else this.sendStream(ex);
  }

  /** A body spooled to a file (beyond post-buffering), with backpressure. */
  private sendFile(ex: Exchange, file: string): void {
    const rs = createReadStream(file);
    // Closed with the connection too: a stream paused for a 'drain' that never comes would keep its fd.
    this.fileStream = rs;
    rs.on('data', (c) => {
      if (this.ex !== ex) return void rs.destroy();
      if (!this.socket.write(c)) {
        rs.pause();
        this.socket.once('drain', () => rs.resume());
      }
    });
    rs.on('end', () => {
      if (this.ex === ex) this.requestSent = true;
      this.fileStream = null;
    });
    rs.on('error', () => {
      if (this.ex === ex) this.fail('EIO');
    });
  }

  /** post-buffering = 0: the body goes on as the client sends it, chunked when its length is unknown. */
  private sendStream(ex: Exchange): void {
    const req = ex.req;
    const len = req.headers['content-length'];
    const chunked = len === undefined;
    this.socket.write(ex.head + (chunked ? 'Transfer-Encoding: chunked\r\n\r\n' : `Content-Length: ${len}\r\n\r\n`), 'latin1');
    const onData = (c: Buffer): void => {
      if (this.ex !== ex) return;
      let ok: boolean;
      if (chunked) {
        this.socket.write(`${c.length.toString(16)}\r\n`);
        this.socket.write(c);
        ok = this.socket.write('\r\n');
      } else ok = this.socket.write(c);
      if (!ok) {
        req.pause();
        this.socket.once('drain', () => req.resume());
      }
    };
    req.on('data', onData);
    req.once('end', () => {
      if (this.ex !== ex) return;
      if (chunked) this.socket.write('0\r\n\r\n');
      this.requestSent = true;
    });
  }

  private onData(b: Buffer): void {
    if (this.dead) return;
    const r = this.parser.execute(b);
    if (this.complete) {
      // Bytes after a complete response (garbage, or a body after HEAD/304) make the connection unusable.
      if (typeof r !== 'number') this.reusable = false;
      this.finish();
    } else if (typeof r !== 'number') this.fail(r.code ?? 'HPE_INVALID');
    else this.flush();
  }

  /** The response goes on past this read: what has arrived goes to the client now (headers included). */
  private flush(): void {
    const ex = this.ex;
    if (!ex || !ex.responded || ex.answered) return;
    const prev = this.pending;
    this.pending = null;
    if (prev === null) {
      if (!ex.res.headersSent || !(ex.res as { _headerSent?: boolean })._headerSent) ex.res.flushHeaders();
    } else if (!ex.res.write(prev)) {
      this.socket.pause();
      ex.res.once('drain', this.resume);
    }
  }

  /** The worker closed its side: a response delimited by the close ends here (parser.finish). */
  private onEnd(): void {
    if (this.ex && !this.complete) {
      const r = this.parser.finish();
      if (this.complete) return void this.finish();
      if (r) return void this.fail(r.code ?? 'HPE_INVALID');
    }
  }

  private onHead(h: string[], status: number, message: string, keepAlive: boolean): number {
    const ex = this.ex;
    if (!ex || this.complete) {
      this.reusable = false; // a response nobody asked for
      return 1;
    }
    const res = ex.res;
    if (status < 200) {
      if (status === 103) {
        const hints: Record<string, string[]> = {};
        for (let i = 0; i < h.length; i += 2) (hints[h[i].toLowerCase()] ??= []).push(h[i + 1]);
        try {
          if (!ex.answered && !res.headersSent) res.writeEarlyHints(hints);
        } catch {
          // hints Node refuses (no Link) are dropped: they are only hints
        }
      } else if (status === 102 && !ex.answered && !res.headersSent) res.writeProcessing();
      return 0;
    }
    ex.responded = true;
    ex.progressAt = performance.now();
    this.keepAlive = keepAlive;
    const method = ex.req.method;
    if (method === 'HEAD' || status === 304) this.reusable = false;
    if (ex.answered) return method === 'HEAD' ? 1 : 0;
    // Headers the worker listed in its Connection header are hop-by-hop too.
    let listed: Set<string> | null = null;
    const out: string[] = [];
    let trailer = -1;
    let length = false;
    for (let i = 0; i < h.length; i += 2) {
      const lower = h[i].toLowerCase();
      if (HOP.has(lower)) {
        if (lower === 'connection') listed = connectionListed(h[i + 1]);
        continue;
      }
      if (lower === 'trailer') trailer = out.length;
      else if (lower === 'content-length') length = true;
      out.push(h[i], h[i + 1]);
    }
    // Trailers need a chunked body to the client: none with a length, for HTTP/1.0, or without a body.
    if (trailer >= 0 && (length || ex.req.httpVersionMinor === 0 || method === 'HEAD' || status === 204 || status === 304)) out.splice(trailer, 2);
    if (listed) for (let i = out.length - 2; i >= 0; i -= 2) if (listed.has(out[i].toLowerCase())) out.splice(i, 2);
    if (ex.trace) traceHeaders(ex, ex.trace, out);
    if (this.owner.closing || ex.clientClose || !this.requestSent) {
      // An answer before the whole body was sent (413 before an upload): the rest of the body is not read,
      // so the client connection cannot carry another request.
      ex.clientClose = true;
      out.push('Connection', 'close');
    }
    try {
      res.writeHead(status, message, out);
    } catch {
      // A header Node will not send (bad characters from the app): the response cannot be relayed as is.
      this.reusable = false;
      this.fail('EBADHEADER');
      return 1;
    }
    return method === 'HEAD' ? 1 : 0;
  }

  private onBody(b: Buffer): void {
    const ex = this.ex;
    if (!ex || ex.answered || this.complete) return;
    ex.progressAt = performance.now();
    const prev = this.pending;
    this.pending = b;
    if (prev !== null && !ex.res.write(prev)) {
      // A slow client: stop reading from the worker until the client catches up (the master's memory stays flat).
      this.socket.pause();
      ex.res.once('drain', this.resume);
    }
  }

  private onComplete(): void {
    const ex = this.ex;
    if (!ex || !ex.responded || this.complete) return; // a 1xx ended (the final response follows), or a stray one
    this.complete = true;
    if (ex.answered) return;
    const trailers = this.takeHeaders();
    if (trailers.length) {
      const t: Record<string, string> = {};
      for (let i = 0; i < trailers.length; i += 2) t[trailers[i]] = trailers[i + 1];
      try {
        ex.res.addTrailers(t);
      } catch {
        // a trailer Node refuses is dropped; the body is complete
      }
    }
    const last = this.pending;
    this.pending = null;
    if (last) ex.res.end(last);
    else ex.res.end();
  }

  /** The response is complete: pool the connection (or close it), then tell the router. */
  private finish(): void {
    const ex = this.ex!;
    this.ex = null;
    ex.hop = null;
    this.complete = false;
    const w = this.upstream;
    if (this.reusable && this.keepAlive && this.requestSent && !w.closed && !this.dead) {
      this.idleSince = performance.now();
      w.idle.push(this);
    } else this.destroy();
    this.owner.upstreamDone(ex, w);
  }

  private fail(code: string): void {
    const ex = this.ex;
    this.ex = null;
    this.destroy();
    if (ex) {
      ex.hop = null;
      this.owner.upstreamFailed(ex, this.upstream, code);
    }
  }

  private onClose(code: string): void {
    if (this.ex && !this.complete) {
      this.parser.finish(); // a response delimited by the close of the connection ends here
      if (this.complete) return void this.finish();
    }
    if (this.ex && this.complete) return void this.finish();
    if (this.ex) return void this.fail(code);
    this.destroy();
  }

  /** The router gave up on the exchange (504, the client left): drop it and the connection with it. */
  abort(): void {
    if (this.ex) this.ex.hop = null;
    this.ex = null;
    this.destroy();
  }

  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    const idle = this.upstream.idle;
    const i = idle.indexOf(this);
    if (i >= 0) idle.splice(i, 1);
    this.socket.destroy();
    this.fileStream?.destroy();
    // Not now: destroy() may run inside a parser callback (a response header Node refuses), and closing
    // frees the native parser under the execute() that is calling back. Nothing reads it after this.
    setImmediate(() => this.parser.close());
  }
}
