// Request ids and Server-Timing: what the router adds so a request can be followed from the client through
// the router's line to the app's own logs. Only requests with request-id or server-timing on pay for any of
// it (the exchange's `trace` is null otherwise, and the hot path tests that one field).
//
// W3C traceparent/tracestate need nothing here: they are end-to-end headers, passed to the app and back
// untouched like any other (request-head.ts drops only hop-by-hop ones).
import { randomUUID } from 'node:crypto';
import type { Exchange, Trace } from './exchange.js';

/**
 * An id a trusted peer may hand on: visible ASCII, at most 200 characters (a UUID, a ULID, an nginx
 * $request_id, an AWS X-Amzn-Trace-Id all fit). Anything else is replaced, so an id can never carry a line
 * break or a megabyte into the app's logs.
 */
const ACCEPTABLE = /^[\x21-\x7e]{1,200}$/;

/** The id of a request: the trusted peer's own, if it sent a sane one, or a new UUID. */
export function requestId(incoming: string | null, trusted: boolean): string {
  return trusted && incoming !== null && ACCEPTABLE.test(incoming) ? incoming : randomUUID();
}

/** The response headers the router adds to a worker's response (`out`: name, value pairs as relayed). */
export function traceHeaders(ex: Exchange, t: Trace, out: string[]): void {
  if (t.id) {
    // The app's own value wins: it may have a reason (a framework that sets the id itself and logs it).
    let present = false;
    const lower = t.header.toLowerCase();
    for (let i = 0; i < out.length; i += 2) if (out[i].toLowerCase() === lower) present = true;
    if (!present) out.push(t.header, t.id);
  }
  if (t.timing) {
    const now = performance.now();
    const queue = ex.sentAt - ex.arrived;
    out.push('Server-Timing', `queue;dur=${queue.toFixed(1)}, worker;dur=${(now - ex.sentAt).toFixed(1)}`);
  }
}
