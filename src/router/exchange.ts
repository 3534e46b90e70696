// What the router's parts share, and nothing else: one client request as the router carries it across its
// attempts (Exchange), a worker as the router sees it (Upstream), and a connection to a worker as both see it
// (Hop). Types only, importing none of the router's files, so that router, connection, upstream and body
// reader depend on this file and never on each other in a circle.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A keep-alive connection to a worker (connection.ts). */
export interface Hop {
  /** When it went back to its worker's idle pool (performance.now()). */
  readonly idleSince: number;
  /** Send the exchange to the worker on this connection. */
  start(ex: Exchange): void;
  /** The router gave up on the exchange (504, the client left): drop it and the connection with it. */
  abort(): void;
  destroy(): void;
}

export interface Upstream {
  readonly id: number;
  readonly pid: number;
  readonly socketPath: string;
  /** Idle keep-alive connections to the worker, most recently used last (LIFO keeps few of them warm). */
  readonly idle: Hop[];
  /** Draining or removed: connections are closed when their exchange ends instead of pooled. */
  closed: boolean;
  websockets: number;
  /** Requests that ended on this worker. */
  requests: number;
  /** Sum of their durations (µs) and bytes sent to clients: uWSGI's running_time and tx. */
  runningMicros: number;
  tx: number;
  /** Requests sent and not yet answered, in no particular order: its length is the worker's busy slots. */
  readonly exchanges: Exchange[];
  /**
   * uWSGI's per-core request counters, for the stats: core i counts the requests sent while i others were
   * in flight on this worker (a Node worker's `threads` are concurrent slots, not threads).
   */
  readonly coreRequests: number[];
}

/** What trace.ts adds to a request: its id ('' with request-id off) and header name as configured, and Server-Timing. */
export interface Trace {
  readonly id: string;
  readonly header: string;
  readonly timing: boolean;
}

/** A request body read before routing: in memory, or spooled to a file beyond post-buffering. */
export type Body = Buffer | { readonly file: string; readonly size: number };

export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly arrived: number;
  /** Socket bytes written before this response, for the response size. */
  readonly bytesBefore: number;
  /** Request line and headers for the worker, without framing (see request-head.ts). */
  readonly head: string;
  /** Request id and Server-Timing (trace.ts); null when both are off. */
  readonly trace: Trace | null;
  /** The worker of the current attempt (null while reading the body or queued). */
  upstream: Upstream | null;
  /** When the current attempt was sent to its worker. */
  sentAt: number;
  tries: number;
  /** The worker sent response headers: no retry past this point. */
  responded: boolean;
  /** The router answered on its own (504, 502); late worker output is discarded. */
  answered: boolean;
  /** The whole request body, read before routing so that a retry can send it again; null: none or streamed. */
  body: Body | null;
  /** The body goes to the worker as the client sends it (post-buffering = 0): never retried. */
  streamed: boolean;
  /** The file a body is being spooled to, removed when the exchange ends, and its open stream. */
  spoolFile: string | null;
  spooling: { destroy(): void } | null;
  /** While the body is being read: when its last bytes arrived (a stalled upload gets 408). */
  bodyAt: number;
  /**
   * When the response last made progress: the attempt was sent, its headers or a body chunk came, or a slow
   * client drained. harakiri counts from here, so a stream that keeps sending (SSE) is never "stuck".
   */
  progressAt: number;
  /** The worker whose attempt failed: a retry goes elsewhere (for a second, the time it takes to reap it). */
  avoid: Upstream | null;
  avoidUntil: number;
  /** Its index in its upstream's `exchanges` (swap-removed, so it moves), -1 when not in flight. */
  inFlightIndex: number;
  /** The client connection closes after this response (it asked, or its body was not all read). */
  clientClose: boolean;
  /** The worker connection carrying the current attempt. */
  hop: Hop | null;
  done: boolean;
}
