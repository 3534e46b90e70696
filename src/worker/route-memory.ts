// Which route grows this worker's memory. A request's own RSS growth cannot say: a route that allocates 20 MB
// and drops it grows RSS exactly like one that keeps them, and the garbage is freed later, during another
// request or none (measured: GET /clean at +8.6 MiB a request beside POST /leak at +12.7, when /leak keeps 20
// and /clean none). What a leak leaves is live memory after a full GC. So the worker counts the requests of
// each route between two major GCs, and at each one reads the live memory V8 knows (heap in use + external:
// Buffers, ArrayBuffers), with no syscall; the master regresses those growths on the route counts of many
// such intervals (route-table.ts), which tells retained bytes per request of each route apart. Per request
// this costs a route name and a Map increment.
//
// The route is the framework's template where the request carries one (Express sets req.route), else the
// path with numeric, uuid and long hex segments collapsed to :id.
import type { IncomingMessage } from 'node:http';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { statSync } from 'node:fs';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import type { RouteInterval, ToMaster } from './protocol.js';

/** Distinct routes a worker keeps apart; the rest count as "other" (a path with ids nobody collapsed). */
const MAX_ROUTES = 100;
const REPORT_MS = 100;

const ID = /^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,})$/i;

/** `GET /users/42/orders/9f86d081884c7d65` → `GET /users/:id/orders/:id`. */
export function collapsePath(path: string): string {
  const q = path.indexOf('?');
  const p = q < 0 ? path : path.slice(0, q);
  return p
    .split('/')
    .map((seg) => (ID.test(seg) ? ':id' : seg))
    .join('/');
}

/** The route of a request as its framework named it, or its collapsed path. */
export function routeOf(req: IncomingMessage): string {
  const r = req as IncomingMessage & { route?: { path?: unknown }; baseUrl?: string; originalUrl?: string };
  const template = typeof r.route?.path === 'string' ? `${r.baseUrl ?? ''}${r.route.path}` : null;
  return `${req.method} ${template ?? collapsePath(r.originalUrl ?? req.url ?? '/')}`;
}

function live(): number {
  const h = getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}

export class RouteMemory {
  /** Requests ended per route since the last major GC. */
  private counts = new Map<string, number>();
  private known = new Set<string>();
  private lastLive = live();
  /** Intervals between major GCs not reported yet. */
  private intervals: RouteInterval[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) this.afterGc();
    }
  });

  constructor(private readonly report: (intervals: RouteInterval[]) => void) {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  end(req: IncomingMessage): void {
    let route = routeOf(req);
    if (!this.known.has(route)) {
      if (this.known.size >= MAX_ROUTES) route = 'other';
      this.known.add(route);
    }
    this.counts.set(route, (this.counts.get(route) ?? 0) + 1);
  }

  private afterGc(): void {
    const now = live();
    const growth = now - this.lastLive;
    this.lastLive = now;
    if (this.counts.size === 0) return; // no request ran: nothing to learn from it
    this.intervals.push([[...this.counts], growth]);
    this.counts = new Map();
    this.timer ??= setTimeout(() => this.flush(), REPORT_MS).unref();
  }

  /** Send the intervals gathered since the last report (at a drain, the rest). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.intervals.length === 0) return;
    const intervals = this.intervals;
    this.intervals = [];
    this.report(intervals);
  }
}

/** Write a heap snapshot (synchronous: the worker is drained, nothing waits on it) and say how it went. */
export function heapSnapshot(file: string): ToMaster {
  const t0 = performance.now();
  try {
    writeHeapSnapshot(file);
    return { type: 'snapshot', file, bytes: statSync(file).size, ms: performance.now() - t0 };
  } catch (e) {
    return { type: 'snapshot', file, bytes: 0, ms: 0, error: (e as Error).message };
  }
}
