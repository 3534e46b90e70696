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
  | { readonly type: 'snapshot'; readonly file: string; readonly bytes: number; readonly ms: number; readonly error?: string };

export type ToWorker =
  /** The router sends no new request: end responses in flight with Connection: close. */
  | { readonly type: 'drain' }
  /** Nothing is in flight any more (the router made sure): close and exit. */
  | { readonly type: 'stop' }
  | { readonly type: 'ping'; readonly seq: number }
  /** Drained, recycled for memory: write a heap snapshot to `file` before the stop that follows. */
  | { readonly type: 'snapshot'; readonly file: string };

/** Exit code of a worker whose app failed to load (uWSGI's UWSGI_FAILED_APP_CODE). */
export const EXIT_LOAD_ERROR = 22;
