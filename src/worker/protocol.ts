// Master ↔ worker IPC messages (Node IPC over child_process.fork). Request bytes never travel here: they go
// over the worker's own unix socket.

/** What the master tells a worker at fork time (JSON in argv[2]). */
export interface WorkerBoot {
  readonly id: number;
  readonly generation: number;
  readonly socketPath: string;
  /** Absolute path of the app module, plus the export name after `:` if any. */
  readonly module: string;
  readonly maxHeaderSize: number;
  readonly title: string;
  /** Count requests by route between major GCs and report live memory growth (route-memory.ts). */
  readonly routeMemory: boolean;
}

/** Between two major GCs: the requests that ended, by route, and how much live memory grew (bytes). */
export type RouteInterval = [counts: [route: string, requests: number][], growth: number];

/** One metric family of prom-client's registry as its getMetricsAsJSON() gives it (the app's own copy). */
export interface AppMetric {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  /** prom-client's per-metric aggregation for its cluster mode: 'sum' (its default), 'omit', 'max', … */
  readonly aggregator?: string;
  readonly values: readonly { readonly value: number | null; readonly labels: Readonly<Record<string, string | number>>; readonly metricName?: string }[];
}

export type ToMaster =
  | { readonly type: 'ready' }
  /**
   * The app threw. `fatal`: it escaped to the process (uncaughtException): drain and replace this worker.
   * Otherwise the handler's own throw or rejection, answered 500 (counted, as uWSGI's exceptions).
   */
  | { readonly type: 'exception'; readonly error: string; readonly fatal: boolean }
  | { readonly type: 'pong'; readonly seq: number }
  /** Intervals between major GCs since the last report (route-memory.ts). */
  | { readonly type: 'routes'; readonly intervals: RouteInterval[] }
  /** The heap snapshot asked for is written (its size and how long it took), or failed. */
  | { readonly type: 'snapshot'; readonly file: string; readonly bytes: number; readonly ms: number; readonly error?: string }
  /**
   * The app's prom-client registry (null: the app does not use prom-client), answering a `metrics` request
   * (seq), or unasked (seq 0) as the worker stops, so that what it counted since the last scrape is kept.
   */
  | { readonly type: 'metrics'; readonly seq: number; readonly metrics: AppMetric[] | null };

export type ToWorker =
  /** The router sends no new request: end responses in flight with Connection: close. */
  | { readonly type: 'drain' }
  /** Nothing is in flight any more (the router made sure): close and exit. */
  | { readonly type: 'stop' }
  | { readonly type: 'ping'; readonly seq: number }
  /** Drained, recycled for memory: write a heap snapshot to `file` before the stop that follows. */
  | { readonly type: 'snapshot'; readonly file: string }
  /** Send the app's prom-client registry (a scrape of /metrics). */
  | { readonly type: 'metrics'; readonly seq: number };

/** Exit code of a worker whose app failed to load (uWSGI's UWSGI_FAILED_APP_CODE). */
export const EXIT_LOAD_ERROR = 22;
