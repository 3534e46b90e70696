// A worker as the router sees it: where to send requests, its pooled connections, and what it is doing now.
import type { Exchange } from './exchange.js';
import type { Connection } from './connection.js';

export interface Upstream {
  readonly id: number;
  readonly pid: number;
  readonly socketPath: string;
  /** Idle keep-alive connections to the worker, most recently used last (LIFO keeps few of them warm). */
  readonly idle: Connection[];
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

/** Idle pooled connections are closed after this; the worker's keepAliveTimeout is far longer, so the router
 * is always the side that closes an idle connection, and never races the worker's close. */
export const IDLE_SOCKET_MS = 4000;

export function createUpstream(id: number, pid: number, socketPath: string): Upstream {
  return { id, pid, socketPath, idle: [], closed: false, websockets: 0, requests: 0, runningMicros: 0, tx: 0, exchanges: [], coreRequests: [] };
}

/** Close every idle connection (the worker drains or is gone). */
export function closeIdle(w: Upstream): void {
  for (const c of w.idle.splice(0)) c.destroy();
}
