// Request counters and the duration histogram, fed by the router at the end of every request, plus the
// uWSGI-shaped stats document built from the master's live state on demand.
import { readdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Config } from '../config/options.js';
import { droppedLines } from '../log.js';
import type { Pool, Worker } from '../master/pool.js';
import type { Router } from '../router/router.js';
import { VERSION } from '../version.js';

/** Histogram buckets for request durations, in seconds (Prometheus' defaults, stretched to 60 s). */
export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Status class keys by hundreds digit: CLASS_KEYS[2] === '2xx'. */
const CLASS_KEYS: readonly string[] = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

export class Stats {
  /** Requests by status class: 2xx, 4xx, 5xx…; `499` (client closed first) is counted as 4xx, like nginx. */
  readonly byClass: Record<string, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  /** Answers the router gave itself: 502, 503, 504 (and 431, 400 from Node's parser are not requests). */
  readonly routerAnswers: Record<string, number> = {};
  /** Non-cumulative bucket counts; the last one is +Inf. */
  readonly buckets: number[] = new Array(BUCKETS.length + 1).fill(0);
  durationSum = 0;
  count = 0;

  requestEnded(status: number, micros: number): void {
    // Keys built once: a template string per request costs an allocation and a string-table lookup.
    const cls = CLASS_KEYS[Math.floor(status / 100)] ?? `${Math.floor(status / 100)}xx`;
    this.byClass[cls] = (this.byClass[cls] ?? 0) + 1;
    const s = micros / 1e6;
    let i = 0;
    while (i < BUCKETS.length && s > BUCKETS[i]) i++;
    this.buckets[i]++;
    this.durationSum += s;
    this.count++;
  }
}

/** What the stats server reads from the master. */
export interface StatsSource {
  readonly cfg: Config;
  readonly pool: Pool;
  readonly router: Router;
  readonly stats: Stats;
  readonly startedAt: number;
  readonly boundAddresses: readonly string[];
}

function workerStatus(w: Worker): string {
  if (w.state !== 'serving') return w.state; // spawning, draining, stopping: tsws states, shown as they are
  return (w.upstream?.exchanges.length ?? 0) > 0 ? 'busy' : 'idle';
}

/** The master itself: what an operator watches for leaks in the process that must never restart. */
export interface MasterFigures {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly fds: number;
  /** User + system CPU seconds. */
  readonly cpuSeconds: number;
}

export function masterFigures(): MasterFigures {
  const m = process.memoryUsage();
  const cpu = process.cpuUsage();
  let fds = 0;
  try {
    fds = readdirSync('/proc/self/fd').length - 1; // minus the directory handle readdir itself holds
  } catch {
    // not Linux
  }
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, fds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** The uWSGI stats document (uwsgi-semantics.md §4), with tsws's own fields added under `tsws`. */
export function uwsgiStats(src: StatsSource): Record<string, unknown> {
  const { cfg, pool, router } = src;
  const workers = pool.workers().map((w) => {
    const up = w.upstream;
    const inflight = up?.exchanges.length ?? 0;
    const h = pool.history.get(w.id);
    const requests = up?.requests ?? 0;
    return {
      id: w.id,
      pid: w.pid,
      accepting: w.state === 'serving' ? 1 : 0,
      requests: (h?.requests ?? 0) + requests, // across respawns, as uWSGI
      delta_requests: requests, // this incarnation
      exceptions: w.exceptions,
      harakiri_count: w.harakiris,
      signals: 0,
      signal_queue: 0,
      status: workerStatus(w),
      rss: w.memory?.rss ?? 0, // the worker's tree: its process group and descendants (tree.ts)
      vsz: w.memory?.vsz ?? 0,
      running_time: up?.runningMicros ?? 0,
      avg_rt: requests ? Math.round((up?.runningMicros ?? 0) / requests) : 0,
      last_spawn: Math.floor(w.spawnedAt / 1000),
      respawn_count: h?.spawns ?? 1,
      tx: up?.tx ?? 0,
      // One core per concurrent slot (`threads`): in tsws a worker serves `threads` requests at once. Core i
      // counts the requests that started while i others were in flight (more after a reload lowered threads).
      cores: Array.from({ length: Math.max(cfg.threads, up?.coreRequests.length ?? 0, h?.cores.length ?? 0) }, (_, i) => ({
        id: i,
        requests: (h?.cores[i] ?? 0) + (up?.coreRequests[i] ?? 0), // across respawns, like `requests`
        static_requests: 0,
        routed_requests: 0,
        offloaded_requests: 0,
        write_errors: 0,
        read_errors: 0,
        in_request: i < inflight ? 1 : 0,
        vars: [],
        req_info: {},
      })),
      // tsws's own fields
      state: w.state,
      cpu: Number(w.cpuPercent.toFixed(1)),
      // The other processes counted in rss (the app's children, double-forked helpers), as of the last poll.
      tree_processes: w.tree.processes,
      tree_rss: w.tree.rss,
      in_flight: inflight,
      request_limit: w.requestLimit,
      last_recycle_reason: h?.lastReason ?? '',
      recycle_reason: w.reason,
      // Spawn to ready (ms): how long this worker took to load; 0 while it loads.
      ready_ms: w.readyAt ? w.readyAt - w.spawnedAt : 0,
    };
  });
  const inflight = workers.reduce((s, w) => s + w.in_flight, 0);
  return {
    version: `tsws-${VERSION}`,
    listen_queue: router.queued,
    listen_queue_errors: router.queueFull,
    signal_queue: 0,
    load: inflight + router.queued,
    pid: process.pid,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    cwd: process.cwd(),
    locks: [],
    // One queue behind every address: each socket shows it, as uWSGI shows a shared queue.
    sockets: src.boundAddresses.map((name) => ({ name, proto: 'http', queue: router.queued, max_queue: cfg.listen, shared: 0, can_offload: 0 })),
    workers,
    tsws: {
      user: safeUser(),
      uptime: Math.round((Date.now() - src.startedAt) / 1000),
      processes: pool.processes,
      threads: cfg.threads,
      in_flight: inflight,
      queue: router.queued,
      requests: router.totalRequests,
      requests_by_class: src.stats.byClass,
      recycles: Object.fromEntries(pool.recycles),
      respawns: pool.respawns,
      crashes: pool.crashes,
      // Spawn-to-ready of the latest workers (up to 50): what a recycle costs in capacity without spare-workers.
      spawn_to_ready_ms: readyFigures(pool.readyTimes),
      // Memory kept per request by route, over every worker and recycle, largest first (route-table.ts).
      routes: pool.routes.top().map((r) => ({ route: r.route, requests: r.requests, bytes_per_request: Math.round(r.perRequest), bytes_per_request_error: Number.isFinite(r.error) ? Math.round(r.error) : null, grown_bytes: Math.round(r.grown) })),
      log_lines_dropped: droppedLines(),
      // What the router did on its own (docs/reliability.md): answers cut short by a dying worker, contained
      // exceptions, requests refused before routing (4xx), connections refused at http-max-connections.
      router: {
        connections: router.connections,
        truncated: router.counters.truncated,
        internal_errors: router.counters.internalErrors,
        refused: router.counters.refused,
        connections_refused: router.counters.connectionsRefused,
        accept_errors: router.counters.acceptErrors,
      },
      master: (({ rss, heapUsed, heapTotal, fds, cpuSeconds }) => ({ rss, heap_used: heapUsed, heap_total: heapTotal, fds, cpu_seconds: cpuSeconds }))(masterFigures()),
    },
  };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? '');
  }
}

function readyFigures(times: readonly number[]): { last: number; max: number; avg: number; count: number } {
  if (!times.length) return { last: 0, max: 0, avg: 0, count: 0 };
  return { last: times[times.length - 1], max: Math.max(...times), avg: Math.round(times.reduce((a, b) => a + b, 0) / times.length), count: times.length };
}
