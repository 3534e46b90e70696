// One client request as the router carries it, across its attempts on workers. Its own file so that the
// router, the worker connections and the body reader share the type without importing each other.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Connection } from './connection.js';
import type { Upstream } from './upstream.js';

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
  worker: Upstream | null;
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
  /** The file a body is being spooled to, removed when the exchange ends. */
  spoolFile: string | null;
  /** While the body is being read: when its last bytes arrived (a stalled upload gets 408). */
  bodyAt: number;
  /** The worker whose attempt failed: a retry goes elsewhere (for a second, the time it takes to reap it). */
  avoid: Upstream | null;
  avoidUntil: number;
  /** Index in its worker's in-flight list, -1 when not in flight. */
  slot: number;
  /** The client connection closes after this response (it asked, or its body was not all read). */
  clientClose: boolean;
  /** The worker connection carrying the current attempt. */
  conn: Connection | null;
  done: boolean;
}
