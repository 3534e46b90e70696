// Prometheus text exposition format 0.0.4, following its naming conventions: a `tsws_` prefix (the master
// process itself under the standard `process_`/`nodejs_` names), base units
// (seconds, bytes), `_total` on counters, one HELP and TYPE per metric family.
import { droppedLines } from '../log.js';
import { labelText } from '../master/app-metrics.js';
import { RECYCLE_REASONS, WORKER_STATES } from '../master/worker-handle.js';
import { BUCKETS, masterFigures, type StatsSource } from './collector.js';

export function prometheusText(src: StatsSource): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string, samples: [Record<string, string | number>, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      out.push(`${name}${labelText(labels)} ${Number.isFinite(value) ? value : 0}`);
    }
  };
  const { stats, pool, router } = src;
  family('tsws_requests_total', 'counter', 'Requests answered, by status class (499: the client closed first, counted as 4xx).',
    Object.entries(stats.byClass).map(([c, n]) => [{ status_class: c }, n]));
  // Histogram: cumulative buckets, then sum and count.
  out.push('# HELP tsws_request_duration_seconds Time from the request arriving at the router to its response ending.', '# TYPE tsws_request_duration_seconds histogram');
  let cum = 0;
  BUCKETS.forEach((b, i) => {
    cum += stats.buckets[i];
    out.push(`tsws_request_duration_seconds_bucket{le="${b}"} ${cum}`);
  });
  cum += stats.buckets[BUCKETS.length];
  out.push(`tsws_request_duration_seconds_bucket{le="+Inf"} ${cum}`, `tsws_request_duration_seconds_sum ${stats.durationSum}`, `tsws_request_duration_seconds_count ${stats.count}`);
  family('tsws_queue_requests', 'gauge', 'Requests waiting for a free worker slot.', [[{}, router.queued]]);
  family('tsws_queue_full_total', 'counter', 'Requests answered 503 because the queue (listen) was full.', [[{}, router.queueFull]]);
  const workers = pool.workers();
  family('tsws_in_flight_requests', 'gauge', 'Requests being served by workers.', [[{}, workers.reduce((s, w) => s + (w.upstream?.exchanges.length ?? 0), 0)]]);
  family('tsws_workers', 'gauge', 'Worker processes by state.',
    WORKER_STATES.filter((st) => st !== 'gone').map((st) => [{ state: st }, workers.filter((w) => w.state === st).length]));
  family('tsws_worker_rss_bytes', 'gauge', 'Resident memory of each worker and the processes it started.',
    workers.map((w) => [{ worker: w.id, pid: w.pid }, w.memory?.rss ?? 0]));
  family('tsws_worker_virtual_memory_bytes', 'gauge', 'Address space of each worker process.',
    workers.map((w) => [{ worker: w.id, pid: w.pid }, w.memory?.vsz ?? 0]));
  family('tsws_worker_cpu_seconds_total', 'counter', 'CPU time used by each worker process (user + system).',
    workers.map((w) => [{ worker: w.id, pid: w.pid }, Number(w.cpuSeconds.toFixed(3))]));
  family('tsws_worker_requests_total', 'counter', 'Requests served by each worker process since it started.',
    workers.map((w) => [{ worker: w.id, pid: w.pid }, w.upstream?.requests ?? 0]));
  family('tsws_recycles_total', 'counter', 'Workers recycled or killed by the watchdog, by reason.',
    RECYCLE_REASONS.map((r) => [{ reason: r }, pool.recycles.get(r) ?? 0]));
  const ready = pool.readyTimes;
  family('tsws_worker_spawn_to_ready_seconds', 'gauge', 'Spawn-to-ready time of the latest workers (the last one, the longest of up to 50).',
    ready.length ? [[{ of: 'last' }, ready[ready.length - 1] / 1000], [{ of: 'max' }, Math.max(...ready) / 1000]] : []);
  const routes = pool.routes.top();
  family('tsws_route_memory_growth_bytes_total', 'counter', 'Live memory growth attributed to each route (bytes; each interval between major GCs shared by the routes\' estimated bytes kept per request).',
    routes.map((r) => [{ route: r.route }, Math.round(r.grown)]));
  family('tsws_route_requests_total', 'counter', 'Requests of each route counted for memory attribution.', routes.map((r) => [{ route: r.route }, r.requests]));
  family('tsws_respawns_total', 'counter', 'Workers started after the first ones (replacements and respawns).', [[{}, pool.respawns]]);
  family('tsws_worker_crashes_total', 'counter', 'Workers that exited without being asked to.', [[{}, pool.crashes]]);
  const rc = router.counters;
  family('tsws_client_connections', 'gauge', 'Client connections open to the router.', [[{}, router.connections]]);
  family('tsws_connections_refused_total', 'counter', 'Client connections answered 503 at http-max-connections.', [[{}, rc.connectionsRefused]]);
  family('tsws_accept_errors_total', 'counter', 'Connections the router could not accept (EMFILE: out of file descriptors).', [[{}, rc.acceptErrors]]);
  family('tsws_requests_refused_total', 'counter', 'Requests answered 4xx by the router before any worker ran them (bad target, body too large or stalled).', [[{}, rc.refused]]);
  family('tsws_responses_truncated_total', 'counter', 'Responses cut short because their worker failed after the response began.', [[{}, rc.truncated]]);
  family('tsws_router_internal_errors_total', 'counter', 'Exceptions contained in the router (each logged with its stack; should stay 0).', [[{}, rc.internalErrors]]);
  family('tsws_log_lines_dropped_total', 'counter', 'Log lines dropped because the log could not take them (a stalled reader, a full disk).', [[{}, droppedLines()]]);
  family('tsws_start_time_seconds', 'gauge', 'Start time of the master, in seconds since the Unix epoch.', [[{}, Math.floor(src.startedAt / 1000)]]);
  // The master, under the names every Prometheus client library uses for its own process, so stock
  // dashboards and alerts (fd exhaustion, memory growth) work unchanged.
  const m = masterFigures();
  family('process_resident_memory_bytes', 'gauge', 'Resident memory of the tsws master.', [[{}, m.rss]]);
  family('process_open_fds', 'gauge', 'Open file descriptors of the tsws master.', [[{}, m.fds]]);
  family('process_cpu_seconds_total', 'counter', 'CPU time of the tsws master (user + system).', [[{}, Number(m.cpuSeconds.toFixed(3))]]);
  family('process_start_time_seconds', 'gauge', 'Start time of the tsws master, in seconds since the Unix epoch.', [[{}, Math.floor(src.startedAt / 1000)]]);
  family('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap in use in the tsws master.', [[{}, m.heapUsed]]);
  family('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap reserved by the tsws master.', [[{}, m.heapTotal]]);
  return out.join('\n') + '\n';
}
