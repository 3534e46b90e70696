// post-buffering, uWSGI's name and meaning: the router reads a request's whole body before a worker slot is
// taken, in memory up to `post-buffering` bytes and spooled to a file in the runtime directory beyond that
// (nginx's proxy_request_buffering does the same). A client uploading at 1 byte/s then holds a connection,
// never a worker: with the body streamed into a slot, as many slow uploaders as slots stopped every other
// request (0 GETs answered in 12 s; issue 10). A body read in full can also be sent again when its worker
// dies before answering. `post-buffering = 0` streams bodies instead, as uWSGI does by default.
import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Exchange } from './exchange.js';

export interface BodyLimits {
  /** Bodies up to this size are kept in memory; larger ones are spooled to a file. */
  readonly postBuffering: number;
  /** Largest body accepted (413 beyond); 0 = no limit. */
  readonly limitPost: number;
  readonly spoolDir: string;
}

/** An answer the router gives instead of routing the request. */
export interface Refusal {
  readonly status: number;
  readonly why: string;
}

let spoolSeq = 0;

/** Does the request carry a body (a non-zero Content-Length, or any Transfer-Encoding)? */
export function hasBody(ex: Exchange): boolean {
  const h = ex.req.headers;
  const len = h['content-length'];
  return (len !== undefined && len !== '0') || h['transfer-encoding'] !== undefined;
}

/** Too large before a byte is read: a Content-Length above limit-post. */
export function declaredTooLarge(ex: Exchange, limits: BodyLimits): Refusal | null {
  const len = ex.req.headers['content-length'];
  if (limits.limitPost && len !== undefined && Number(len) > limits.limitPost) return { status: 413, why: `the body is larger than limit-post (${limits.limitPost} bytes)` };
  return null;
}

/**
 * Read the whole body into ex.body, then call done(null); or done(refusal). A client that leaves mid-way
 * ends the exchange through its response's close (the router removes a spool file then).
 */
export function readBody(ex: Exchange, limits: BodyLimits, done: (r: Refusal | null) => void): void {
  const req = ex.req;
  const chunks: Buffer[] = [];
  let size = 0;
  let spool: WriteStream | null = null;
  let over = false;
  ex.bodyAt = performance.now();
  const onData = (c: Buffer): void => {
    if (over) return;
    ex.bodyAt = performance.now();
    size += c.length;
    if (limits.limitPost && size > limits.limitPost) {
      over = true;
      return done({ status: 413, why: `the body is larger than limit-post (${limits.limitPost} bytes)` });
    }
    if (spool) {
      if (!spool.write(c)) {
        req.pause();
        spool.once('drain', () => req.resume());
      }
      return;
    }
    chunks.push(c);
    if (size > limits.postBuffering) {
      const file = join(limits.spoolDir, `body-${process.pid}-${++spoolSeq}`);
      ex.spoolFile = file;
      spool = createWriteStream(file, { flags: 'wx', mode: 0o600 });
      ex.spooling = spool; // a client that leaves mid-upload must not leave its fd open
      spool.on('error', (err: NodeJS.ErrnoException) => {
        if (over) return;
        over = true;
        done({ status: 500, why: `cannot spool the request body to ${file}: ${err.code ?? err.message}` });
      });
      for (const x of chunks) spool.write(x);
      chunks.length = 0;
    }
  };
  req.on('data', onData);
  req.once('end', () => {
    if (over) return;
    const t = req.trailers;
    if (t['content-length'] !== undefined || t['transfer-encoding'] !== undefined || t.host !== undefined) {
      // Framing or routing named after the body cannot change it (RFC 9112 §7.1.2, RFC 9110 §6.5.1: such
      // fields are not allowed in a trailer section): refused before the app runs. Host joined Content-Length
      // and Transfer-Encoding after gunicorn's corpus (invalid/rfc9110_trailer_forbidden_host_01 reached the app).
      over = true;
      return done({ status: 400, why: 'a trailer names Content-Length, Transfer-Encoding or Host' });
    }
    if (!spool) {
      ex.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      return done(null);
    }
    const file = ex.spoolFile!;
    spool.end(() => {
      ex.spooling = null;
      if (over) return;
      ex.body = { file, size };
      done(null);
    });
  });
}

/** Remove an exchange's spool file, if it has one. */
export function removeSpool(ex: Exchange): void {
  if (ex.spoolFile === null) return;
  ex.spooling?.destroy();
  ex.spooling = null;
  rmSync(ex.spoolFile, { force: true });
  ex.spoolFile = null;
}
