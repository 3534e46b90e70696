// A worker as the router sees it (the Upstream type is in exchange.ts): made here, and its idle pool closed.
import type { Upstream } from './exchange.js';

export type { Upstream } from './exchange.js';

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
