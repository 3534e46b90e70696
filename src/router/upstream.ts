// A worker as the router sees it: where to send requests, and what it is doing now.
import { Agent } from 'node:http';
import { ProxyServer } from 'http-proxy-3';
import type { Exchange } from './router.js';

export interface Upstream {
  readonly id: number;
  readonly pid: number;
  readonly proxy: ProxyServer;
  readonly agent: Agent;
  websockets: number;
  /** Requests that ended on this worker. */
  requests: number;
  /** Sum of their durations (µs) and bytes sent to clients: uWSGI's running_time and tx. */
  runningMicros: number;
  tx: number;
  /** Requests sent and not yet ended, in no particular order: its length is the worker's busy slots. */
  readonly exchanges: Exchange[];
  /**
   * uWSGI's per-core request counters, for the stats: core i counts the requests sent while i others were
   * in flight on this worker (a Node worker's `threads` are concurrent slots, not threads).
   */
  readonly coreRequests: number[];
}

/** Idle pooled sockets are closed after this; the worker's keepAliveTimeout is far longer, so the router
 * is always the side that closes an idle connection, and never races the worker's close. */
export const IDLE_SOCKET_MS = 4000;

export function createUpstream(id: number, pid: number, socketPath: string): Upstream {
  const agent = new Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' });
  const proxy = new ProxyServer({ target: { socketPath, host: 'localhost' } as never, agent });
  return { id, pid, proxy, agent, websockets: 0, requests: 0, runningMicros: 0, tx: 0, exchanges: [], coreRequests: [] };
}

