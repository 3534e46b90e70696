// THE option registry. Every tsws option is declared here exactly once; the INI reader, the command line,
// TSWS_* environment variables, --help, --print-config and docs/options.md are all derived from it
// (model: gunicorn's config.py Setting classes and uWSGI's option table in core/uwsgi.c).
// Long file: one entry per option (about 50), each with its type, default, doc line and rules.
// An option's behaviour beyond its type is declared in its entry too (required, derived, separator, fixed,
// check) and applied by the loader for every option alike (rules.ts), never by the part that reads the value.
// The vocabulary the checks need (config/log-format.ts) is imported, never the router or the master; the
// one reading of the host a value needs (`processes = auto`: the cgroup's CPU quota) comes from sys/cgroup.ts.
import { autoMemoryBudget, autoProcesses } from '../sys/cgroup.js';
import { encoderAdvice, formatVarProblem, unknownFormatVars } from './log-format.js';
import { isPythonImportPath, pythonModuleAdvice } from './python-module.js';
import { reqLoggerProblems } from './req-logger.js';


export type OptionType =
  | 'bool' // true/false/yes/no/on/off/1/0; a bare key means true
  | 'count' // a whole number >= min
  | 'size' // bytes; a bare number is in `unit` (MiB, as uWSGI), or 512k / 400M / 1.5G
  | 'duration' // seconds; a bare number is seconds, or 500ms / 30s / 2m / 1h
  | 'string'
  | 'path'
  | 'address' // host:port, :port, [::1]:port or a unix socket path
  | 'octal'; // file mode, e.g. 022

export type Group = 'app' | 'processes' | 'router' | 'recycling' | 'logging' | 'control' | 'containers' | 'stats' | 'config';

export const GROUP_TITLES: Record<Group, string> = {
  app: 'Application',
  processes: 'Processes',
  router: 'HTTP router',
  recycling: 'Recycling and limits',
  logging: 'Logging',
  control: 'Process control',
  containers: 'Containers and load balancers',
  stats: 'Stats',
  config: 'Configuration',
};

export interface OptionSpec {
  readonly type: OptionType;
  readonly group: Group;
  /** One line: --help and the options table. */
  readonly help: string;
  /** Longer text for docs/options.md. */
  readonly details?: string;
  /** Other names accepted in INI files, TSWS_* variables and on the command line. */
  readonly aliases?: readonly string[];
  /** A count that also takes the word `auto`: `text` says what it means (for the docs), `from` computes it. */
  readonly auto?: { readonly text: string; readonly from: () => number };
  /** One-letter command line flag (uWSGI's where it has one). */
  readonly short?: string;
  /** Repeated keys accumulate, in order, instead of the last one winning. */
  readonly list?: boolean;
  readonly default: boolean | number | string | null | readonly string[];
  /** Unit of a bare number for sizes (uWSGI: MiB for memory limits, bytes for buffer-size). */
  readonly unit?: 'MiB' | 'bytes';
  readonly min?: number;
  /** Each value must be `KEY=VALUE` (env, set-ph). */
  readonly keyValue?: boolean;
  /** `%(...)` inside the value belongs to the option itself (log-format), not to the config expander. */
  readonly rawPlaceholders?: boolean;
  /** uWSGI also takes this option as a switch: a bare key, true/yes/on or 1 mean "on", with this value. */
  readonly onMeans?: number;
  /**
   * A reload (HUP, --reload, touch-reload, the fifo) re-reads the configuration and applies a changed value
   * of this option to the new workers. Without it, a change needs a restart, and a reload says so.
   */
  readonly reload?: true;
  /**
   * Serving cannot start without it (--print-config can). `example` is the value the message suggests;
   * `unlessListening`: not needed when a listening socket is given instead (systemd socket activation).
   */
  readonly required?: { readonly example: string; readonly unlessListening?: true };
  /**
   * Left unset (default null), the value is derived from the other options; `text` says how, for the docs.
   * (`never` here, and in `check`, lets each entry declare the parameter types it reads: see Unproven below.)
   */
  readonly derived?: { readonly text: string; readonly from: (config: never) => number };
  /** A list option whose each value may hold several, separated by this (blanks around them dropped). */
  readonly separator?: string;
  /** tsws always runs with this value: another one is a warning naming `why`, and is put back. */
  readonly fixed?: { readonly value: boolean; readonly why: string; readonly hint?: string };
  /**
   * A list each source gives whole: the INI files' items accumulate (uWSGI binds every `http` line), and a
   * later source (TSWS_* variables, then the command line) replaces them instead of adding to them, so that
   * `--http 127.0.0.1:0` runs a file's app elsewhere.
   */
  readonly perSource?: true;
  /**
   * uWSGI repeats this option to mean several (uWSGI copies request lines to every `req-logger`) and tsws takes
   * one: a second setting in the INI files is an error naming both lines, with this text, rather than the last
   * one silently winning.
   */
  readonly once?: string;
  /** Advice about the loaded value, or null: a warning at the line that set it (the value is kept). */
  readonly advise?: (value: never) => string | null;
  /** Problems of the loaded value, given every other option's: each is an error at the line that set it. */
  readonly check?: (value: never, config: never) => readonly CheckProblem[];
}

/** What a custom check reports: `WHERE: option: problem (accepted)`. */
export interface CheckProblem {
  readonly problem: string;
  readonly accepted: string;
}

const MiB = 1024 * 1024;

export const OPTIONS = {
  // ---- Application -------------------------------------------------------------------------------
  module: {
    type: 'string', group: 'app', default: null, reload: true, required: { example: 'path/to/app.js' },
    // A uWSGI file's `module = mysite.wsgi:application` names a Python module: say so when the file is read,
    // not only when a worker fails to import it (a warning: --print-config still shows the file as it is).
    advise: (module: string | null): string | null => (module && isPythonImportPath(module) ? pythonModuleAdvice(module) : null),
    help: 'App module to load: path/to/app.js or path/to/app.js:export',
    details:
      'A path to an ES module or CommonJS file, relative to chdir (or the current directory), optionally ' +
      'followed by `:name` to pick a named export instead of the default one. The export is either a Node ' +
      'request listener `(req, res) => void` (plain handlers, Express, Koa `app.callback()`) or an object ' +
      'with `fetch(request) => Response` (Hono and other web-standard handlers).',
  },
  chdir: {
    type: 'path', group: 'app', default: null,
    help: 'Change to this directory before loading the app',
  },
  env: {
    type: 'string', group: 'app', list: true, keyValue: true, default: [], reload: true,
    help: 'Set an environment variable for the workers: KEY=VALUE (repeatable)',
    details: 'Applied in order; a later `env` for the same key overrides an earlier one, as in uWSGI.',
  },
  'worker-node-args': {
    type: 'string', group: 'app', list: true, default: [], reload: true,
    help: 'Node flags for the workers (their execArgv), split on whitespace (repeatable)',
    details:
      'Given to `node` itself when a worker starts, before the worker script (not through NODE_OPTIONS): ' +
      '`--max-old-space-size=512`, `--enable-source-maps`, `--import tsx` (a TypeScript module on Node 20), ' +
      '`--inspect`. `--inspect` (and `-brk`, `-wait`) gets a port per worker: the port asked for (default 9229) ' +
      'plus the worker id, so worker 1 listens on 9230. No quoting: an argument cannot contain a space. ' +
      '`--check` loads the module with these flags, as a worker does. A reload applies a change to the new workers.',
  },
  'need-app': {
    type: 'bool', group: 'app', default: true,
    help: 'Exit at startup if the app cannot be loaded (on by default, unlike uWSGI 2.0)',
    details:
      'With need-app on, a worker that fails to load the app at startup makes tsws print the app\'s own ' +
      'error and exit non-zero. Off: the master stays up, respawns with backoff and answers 503 meanwhile.',
  },

  // ---- Processes ---------------------------------------------------------------------------------
  processes: {
    type: 'count', group: 'processes', aliases: ['workers'], short: 'p', min: 1, default: 1, reload: true,
    auto: { text: 'one per CPU of the cgroup\'s CPU quota (rounded, at least 1), else one per CPU this process may use', from: () => autoProcesses() },
    help: 'Number of worker processes, or auto (one per CPU of the container\'s CPU quota)',
    details:
      '`auto` reads the CPU quota of the cgroup tsws runs in (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us`, the ' +
      'smallest up the tree): `cpu: 1500m` in a Kubernetes limit gives 2 workers, whatever the host\'s core ' +
      'count (PM2\'s `instances: max` starts one per host core). Without a quota it is the CPUs this process ' +
      'may run on (its affinity, which a cpuset narrows). A reload computes it again. The number chosen is logged.',
  },
  threads: {
    type: 'count', group: 'processes', min: 1, default: 1, reload: true,
    help: 'Requests one worker serves at once (Node has one JS thread; this is concurrency, not threads)',
    details:
      'uWSGI runs `threads` OS threads per worker. A Node worker has one JavaScript thread and serves ' +
      'requests concurrently on its event loop, so in tsws `threads` is the number of requests the router ' +
      'sends to one worker at the same time. `threads = 1` means a worker never serves two requests at once.',
  },
  master: {
    type: 'bool', group: 'processes', default: true, fixed: { value: true, why: 'tsws always runs a master' },
    help: 'Accepted for uWSGI compatibility: tsws always runs a master',
  },
  'worker-reload-mercy': {
    type: 'duration', group: 'processes', default: 60, reload: true,
    help: 'Longest time a stopping worker may take to finish its requests before SIGKILL',
  },
  'master-interval': {
    type: 'duration', group: 'processes', default: 1, min: 0.05, reload: true,
    help: 'How often the master checks limits, deadlines and touch files (seconds)',
  },
  'max-fd': {
    type: 'count', group: 'processes', default: 0,
    help: 'Soft limit of open files (RLIMIT_NOFILE) for the master and workers (0 = the hard limit)',
    details:
      'Every client connection holds one file descriptor in the master, so this bounds how many clients it ' +
      'can hold at once. By default tsws runs with the soft limit raised to the hard one (as nginx does) and ' +
      'logs it at startup. A value above the hard limit raises both, as in uWSGI, which needs root ' +
      '(CAP_SYS_RESOURCE); otherwise it is an error. Under systemd, `LimitNOFILE=` sets the hard limit.',
  },

  // ---- HTTP router -------------------------------------------------------------------------------
  http: {
    type: 'address', group: 'router', aliases: ['http-socket', 'http11-socket'], list: true, perSource: true, default: [],
    required: { example: '127.0.0.1:8000, :8000 or a unix socket path', unlessListening: true },
    help: 'Address the router listens on: host:port, :port, 127.0.0.1:0 or a unix socket path (repeatable)',
    details:
      'Bound by the master at startup, so "address in use" is an immediate error, and kept across every ' +
      'worker recycle and reload. `:8000` listens on all interfaces; port 0 picks a free port (the bound ' +
      'address is logged). uWSGI\'s `http-socket` and `http11-socket` are accepted as aliases: in tsws the ' +
      'router always speaks HTTP/1.1 with keep-alive to the client. As in uWSGI, every `http` line of the INI ' +
      'files is bound (`http = :8000` and `http = /run/app.sock`: one router, one pool, one queue behind both); ' +
      'an `http` from TSWS_HTTP or the command line replaces the files\' addresses rather than adding one, ' +
      'and is itself repeatable (`--http :8000 --http /run/app.sock`).',
  },
  'chmod-socket': {
    type: 'octal', group: 'router', aliases: ['chmod'], default: null,
    help: 'Mode of a unix-socket http address, e.g. 660',
  },
  'chown-socket': {
    type: 'string', group: 'router', default: null,
    help: 'Owner of a unix-socket http address: USER or USER:GROUP (names or ids), as uWSGI',
    details:
      'Set right after binding, while the master is still root: with `uid`/`gid`, a socket bound as root ' +
      'stays root-owned otherwise, and nginx gets EACCES. `chown-socket = www-data` takes the user\'s ' +
      'primary group.',
  },
  listen: {
    type: 'count', group: 'router', short: 'l', min: 1, default: 100,
    help: 'Requests that may wait for a free worker; more get 503 at once',
    details:
      'In uWSGI, `listen` is the kernel backlog of the shared socket, and a full backlog silently delays or ' +
      'drops connections. In tsws the router accepts every connection itself and `listen` bounds its queue ' +
      'of requests waiting for a worker slot; a request beyond it gets `503` with `Retry-After`. The kernel ' +
      'backlog is kept large (at least 1024) so that bursts reach the router instead of waiting for SYN retries.',
  },
  'http-timeout': {
    type: 'duration', group: 'router', default: 60, reload: true,
    help: 'Longest wait for a free worker, and for a worker\'s answer, before 504',
  },
  'http-headers-timeout': {
    type: 'duration', group: 'router', default: 15, min: 0.1,
    help: 'Longest a client may take to send its request headers (slowloris); then 408',
    details: 'Checked every second. Node\'s own default is 60 s, checked every 30 s; uWSGI defaults it to http-timeout.',
  },
  'http-keepalive': {
    type: 'duration', group: 'router', default: 75, min: 1, onMeans: 75, reload: true,
    help: 'How long an idle client connection stays open; keep it above the idle timeout of any proxy in front',
    details:
      'A proxy or load balancer in front keeps idle connections to tsws open for its own idle timeout (nginx ' +
      'upstream keepalive: 60 s, AWS ALB: 60 s). If tsws closed them first, a request the proxy sends at that ' +
      'moment would be lost (the proxy answers 502), so the default, 75 s, sits above both (Node\'s own is 5 s). ' +
      'uWSGI takes `http-keepalive` as a switch too: a bare key, `true` or `1` mean on, with this default.',
  },
  'buffer-size': {
    type: 'size', unit: 'bytes', group: 'router', short: 'b', min: 1024, default: 16384,
    help: 'Largest request header block in bytes; larger requests get 431',
    details:
      'A bare number is bytes, as in uWSGI; suffixes k and M are accepted. uWSGI defaults to 4096 and drops ' +
      'larger requests without an answer; tsws defaults to 16k (Node\'s own limit) and answers 431.',
  },

  'post-buffering': {
    type: 'size', unit: 'bytes', group: 'router', default: 65536, reload: true,
    help: 'Read each request body whole before a worker is used: in memory up to this size, spooled to a file beyond; 0 = stream bodies',
    details:
      'uWSGI\'s name and meaning (a bare number is bytes). With it, a slow upload holds a client connection, ' +
      'never a worker slot, and a body can be sent again if its worker dies before answering. Bodies above ' +
      'the size go to a file in the runtime directory (as nginx\'s proxy_request_buffering), removed when the ' +
      'request ends: systemd\'s RuntimeDirectory= (/run, which is RAM) when set, else $TMPDIR or /tmp, so a ' +
      'large-upload service may want TMPDIR on disk. Memory held is at most this size per connection reading ' +
      'a body (bounded by http-max-connections). `0` streams bodies into the worker as they arrive (uWSGI\'s ' +
      'default): such requests are never retried, and their trailers are dropped.',
  },
  'limit-post': {
    type: 'size', unit: 'bytes', group: 'router', default: 0, reload: true,
    help: 'Largest request body accepted, in bytes; larger ones get 413 (0 = no limit)',
  },
  'http-body-timeout': {
    type: 'duration', group: 'router', default: 60, min: 0.1, reload: true,
    help: 'Longest pause between two reads of a request body; a stalled upload gets 408',
    details: 'Between two successive reads, not for the whole body (nginx\'s client_body_timeout, also 60 s).',
  },
  'http-max-connections': {
    type: 'count', group: 'router', default: 0, reload: true,
    help: 'Most client connections open at once; beyond, new ones get 503 (0 = from the file-descriptor limit)',
    details:
      'Near the bound (90%) idle keep-alive connections are closed first. Left at 0 it is half of what ' +
      'RLIMIT_NOFILE leaves after the master\'s and the workers\' own descriptors, so that the master answers ' +
      '503 instead of running out of descriptors (then accept() fails and the kernel resets the connection).',
  },

  'forwarded-allow-ips': {
    type: 'string', group: 'router', list: true, separator: ',', default: [], reload: true,
    help: 'Peers whose X-Forwarded-* headers are kept (e.g. 127.0.0.1 for nginx on this host; * for all)',
    details:
      'From any other peer, X-Forwarded-For, -Proto and -Host are replaced by the router\'s own values, so ' +
      'the app can trust them. Comma-separated or repeated; `unix` names clients on a unix-socket http address. ' +
      'Same rule as gunicorn\'s forwarded_allow_ips.',
  },

  'request-id': {
    type: 'bool', group: 'router', default: false, reload: true,
    help: 'Give every request an id (request-id-header): kept from a forwarded-allow-ips peer, else generated',
    details:
      'The app gets the id in the header, the client gets it back in the response, and the request line ' +
      'shows it (`rid=` in text, `"request_id"` in JSON, `%(request_id)` in log-format). A client that is ' +
      'not in forwarded-allow-ips cannot choose it: its value is replaced, as X-Forwarded-* are. Off by ' +
      'default: it adds a header the app and every client see.',
  },
  'request-id-header': {
    type: 'string', group: 'router', default: 'X-Request-Id', reload: true,
    check: (v: string | null): CheckProblem[] =>
      v === null || /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v) ? [] : [{ problem: `${JSON.stringify(v)} is not a header name`, accepted: 'a header name, e.g. X-Request-Id or X-Correlation-Id' }],
    help: 'The request id\'s header (with request-id)',
  },
  'server-timing': {
    type: 'bool', group: 'router', default: false, reload: true,
    help: 'Add Server-Timing to responses: queue (waiting for a worker) and worker (until its response headers), in ms',
  },

  // ---- Recycling and limits ----------------------------------------------------------------------
  'reload-on-rss': {
    type: 'size', unit: 'MiB', group: 'recycling', default: 0, reload: true,
    help: 'Recycle a worker (gracefully) whose process tree RSS exceeds this; bare number = MiB',
  },
  'reload-on-as': {
    type: 'size', unit: 'MiB', group: 'recycling', default: 0, reload: true,
    help: 'Recycle a worker (gracefully) whose address space exceeds this; bare number = MiB',
    details:
      'Node reserves ~700 MB of address space at start and one WebAssembly memory reserves ~10 GB, so this ' +
      'measure is almost meaningless for Node. Values a fresh worker already exceeds are refused.',
  },
  'evil-reload-on-rss': {
    type: 'size', unit: 'MiB', group: 'recycling', default: 0, reload: true,
    help: 'Kill a worker at once when its process tree RSS exceeds this; bare number = MiB',
  },
  'evil-reload-on-as': {
    type: 'size', unit: 'MiB', group: 'recycling', default: 0, reload: true,
    help: 'Kill a worker at once when its address space exceeds this; bare number = MiB',
  },
  'memory-budget': {
    type: 'size', unit: 'MiB', group: 'recycling', default: 0, reload: true,
    auto: { text: 'the cgroup\'s memory limit less a tenth (at least 32 MiB); none outside a memory limit', from: () => autoMemoryBudget() },
    help: 'Keep the whole tree (master, workers, their children, spares) under this, or auto (the container\'s limit less a margin): the biggest worker is recycled gracefully first',
    details:
      'Checked after each request and at each poll, with room kept for the replacement a recycle starts and for ' +
      'what the requests in flight may add. While a recycled worker still holds its memory and the tree is at ' +
      'the budget, new requests wait in the queue until it has exited. With per-worker caps this keeps a pool ' +
      'whose workers grow together inside its container.',
  },
  'evil-memory-budget': {
    type: 'size', unit: 'MiB', group: 'recycling', default: 0, reload: true,
    help: 'Kill the biggest worker at once when the whole tree exceeds this',
  },
  'memory-routes': {
    type: 'bool', group: 'recycling', default: false, reload: true,
    help: 'Attribute memory growth to routes even without a memory limit (always on with one)',
    details:
      'Each worker counts its requests by route (Express\'s route template, else the path with ids collapsed to ' +
      ':id) between two major GCs and reads V8\'s live memory at each; the master tells from many such intervals ' +
      'what each route keeps per request (docs/memory.md). Stats, /metrics, tsws top and the log line of every ' +
      'memory recycle show it. On by itself when reload-on-rss, reload-on-as, their evil- forms or memory-budget ' +
      'is set; it costs a worker a route name and a Map increment per request.',
  },
  'memory-snapshot-dir': {
    type: 'path', group: 'recycling', default: null, reload: true,
    help: 'Write a heap snapshot here from a worker recycled for memory, once its requests are done',
    details:
      'The evidence of a leak, from the worker that had it: taken after the worker has drained and before it ' +
      'stops (worker-reload-mercy still bounds it), at most one per memory-snapshot-interval, and only while the ' +
      'memory budget has room for a second copy of the worker (writing a snapshot can take as much again). ' +
      'The log names the file; open it in Chrome DevTools (Memory) to see what holds the memory.',
  },
  'memory-snapshot-interval': {
    type: 'duration', group: 'recycling', default: 600, reload: true,
    help: 'At most one heap snapshot per this long (memory-snapshot-dir)',
  },
  'recycle-concurrency': {
    type: 'count', group: 'recycling', default: 0, reload: true,
    help: 'Graceful memory recycles draining at once, at most (0 = no limit); kills and the memory budget are exempt',
    details:
      'Workers that leak in step reach their limit together; recycled together, their replacements all load at ' +
      'once and capacity dips. A recycle held back is retried at the worker\'s next check.',
  },
  'spare-workers': {
    type: 'count', group: 'recycling', default: 0, reload: true,
    help: 'Workers kept loaded and ready beside the pool: a recycle or crash swaps one in at once',
    details:
      'A spare starts like any worker and waits, ready, outside the router; when a slot needs a worker it takes ' +
      'the spare and a new spare starts. Capacity does not dip even when the app takes seconds to load. Spares ' +
      'count in the memory budget; a new one is not started while the budget has no room for it.',
  },
  'limit-as': {
    type: 'size', unit: 'MiB', group: 'recycling', default: 0, reload: true,
    help: 'RLIMIT_AS of every worker process; bare number = MiB (breaks WebAssembly, see docs)',
  },
  'max-requests': {
    type: 'count', group: 'recycling', short: 'R', default: 0, reload: true,
    help: 'Recycle a worker after this many requests (0 = never)',
  },
  'max-requests-delta': {
    type: 'count', group: 'recycling', default: 0, reload: true,
    help: 'Worker N recycles after max-requests + (N-1) * delta requests',
  },
  'max-requests-jitter': {
    type: 'count', group: 'recycling', default: null, reload: true,
    derived: { text: 'a tenth of max-requests', from: (c: { readonly 'max-requests': number }): number => Math.floor(c['max-requests'] / 10) },
    help: 'Add a random 0..jitter to each worker\'s max-requests',
  },
  'max-worker-lifetime': {
    type: 'duration', group: 'recycling', default: 0, reload: true,
    help: 'Recycle a worker this long after it started (0 = never)',
  },
  'max-worker-lifetime-delta': {
    type: 'duration', group: 'recycling', default: 0, reload: true,
    help: 'Worker N recycles after max-worker-lifetime + (N-1) * delta',
  },
  'min-worker-lifetime': {
    type: 'duration', group: 'recycling', default: 0, reload: true,
    check: (min: number, c: { readonly 'max-worker-lifetime': number }): CheckProblem[] => {
      const max = c['max-worker-lifetime'];
      return max > 0 && min >= max ? [{ problem: `${min}s is not below max-worker-lifetime ${max}s`, accepted: 'min-worker-lifetime < max-worker-lifetime' }] : [];
    },
    help: 'No soft recycle before a worker is this old (uWSGI: 10 s; tsws: 0, see docs)',
  },
  harakiri: {
    type: 'duration', group: 'recycling', short: 't', default: 0, reload: true,
    help: 'Answer 504 to a request running longer than this and recycle its worker (0 = off)',
    details:
      'Counted to the first byte of the response, then from the last byte: a response that keeps sending ' +
      '(server-sent events, a long download) runs as long as it sends; one silent for this long after it ' +
      'started is cut (the client sees a truncated response) and its worker recycled. A slow client that ' +
      'makes the router wait counts as progress when it catches up.',
  },
  'harakiri-verbose': {
    type: 'bool', group: 'recycling', default: false, reload: true,
    help: 'Log the stuck request\'s method, URL and the worker\'s kernel state on harakiri',
  },

  // ---- Logging -----------------------------------------------------------------------------------
  logto: {
    type: 'path', group: 'logging', default: null,
    help: 'Append the log to this file instead of stderr',
  },
  'req-logger': {
    type: 'string', group: 'logging', aliases: ['logger-req'], default: null,
    once: 'tsws writes request lines to one file (uWSGI copies each to every req-logger): keep one',
    // uWSGI's syntax, so that a uWSGI file's line means the same here; anything tsws cannot do is an error
    // at its FILE:LINE (and in --check) rather than request lines going somewhere else (req-logger.ts).
    check: (v: string | null): CheckProblem[] => reqLoggerProblems(v),
    help: 'Append request lines to their own file: file:PATH (uWSGI\'s form); everything else stays in logto/stderr',
    details:
      'uWSGI\'s `req-logger = file:PATH` (also `file:logfile=PATH`, and the name `logger-req`): every request ' +
      'line — text, JSON (log-encoder) or log-format, and the lines log-4xx, log-5xx, log-slow, log-big and ' +
      'log-zero keep under disable-logging — goes to PATH, while lifecycle lines and the app\'s output stay in ' +
      'logto, daemonize or stderr. A relative PATH is relative to chdir (uWSGI opens its file logger after ' +
      'chdir). The file is opened at start, before `uid` applies, appending and created 0640 if missing, as ' +
      'logto is; an unopenable path is an error naming it, and `--check` says so too. `l` on the master-fifo ' +
      'reopens it with the log (uWSGI reopens only logto). The file has its own 1 MiB backlog: a full disk there ' +
      'drops request lines (counted, and marked in that file once it takes lines again), never the master. ' +
      '`stdio` means the log itself (the default). Other uWSGI loggers (syslog, socket, …), named loggers, ' +
      'size rotation (maxsize) and a second req-logger are errors. A restart applies a change.',
  },
  'disable-logging': {
    type: 'bool', group: 'logging', default: false, reload: true,
    help: 'Do not log one line per request (lifecycle lines are still logged)',
  },
  'log-format': {
    type: 'string', group: 'logging', aliases: ['logformat'], default: null, rawPlaceholders: true, reload: true,
    // A typo is an error with its FILE:LINE here, rather than a failure when the router compiles the format.
    check: (format: string | null): CheckProblem[] =>
      (format ? unknownFormatVars(format) : []).map(formatVarProblem),
    help: 'Request line format with uWSGI variables: %(addr) %(method) %(uri) %(status) %(size) %(msecs) …',
  },

  'log-4xx': {
    type: 'bool', group: 'logging', default: false, reload: true,
    help: 'With disable-logging, still log requests answered 4xx (uWSGI\'s meaning)',
  },
  'log-5xx': {
    type: 'bool', group: 'logging', default: false, reload: true,
    help: 'With disable-logging, still log requests answered 5xx',
  },
  'log-slow': {
    type: 'count', group: 'logging', default: 0, reload: true,
    help: 'With disable-logging, still log requests that took at least this many milliseconds (0 = off)',
  },
  'log-big': {
    type: 'size', unit: 'bytes', group: 'logging', default: 0, reload: true,
    help: 'With disable-logging, still log responses of at least this many bytes (0 = off)',
  },
  'log-zero': {
    type: 'bool', group: 'logging', default: false, reload: true,
    help: 'With disable-logging, still log responses of zero bytes',
  },
  'log-encoder': {
    type: 'string', group: 'logging', default: 'text',
    // uWSGI's log-encoder is a chain of encoders with templates; real files carry them (`json:default {…}`,
    // `format ${msg}`): a warning says what tsws does with the value instead of refusing the file.
    advise: (v: string | null): string | null => encoderAdvice(v),
    help: 'json: every log line is one JSON object (requests, lifecycle, the app\'s output); text: uWSGI\'s lines',
    details:
      'With `json`, a request is `{"time","type":"request","wid","pid","method","uri","status","size","duration_ms",' +
      '"queue_ms","addr","request_id","retried",…}`, a lifecycle line `{"time","type":"tsws","level","msg"}` and a ' +
      'line of the app\'s output `{"time","type":"app","wid","pid","stream","msg"}` (or `"json"`: the line itself, ' +
      'when it is a JSON object). Values are escaped to ASCII, so a line parses whatever a client sent. ' +
      'log-format still applies to request lines when set. uWSGI\'s name for a log line\'s shape: its ' +
      '`json:LOGGER {template}` is taken as json (fixed fields; a warning says the template is ignored), its other ' +
      'encoders (format, prefix, nl, …) as text. A restart applies a change.',
  },

  // ---- Process control ---------------------------------------------------------------------------
  daemonize: {
    type: 'path', group: 'control', default: null,
    help: 'Run in the background, logging to this file; returns once the master is ready',
  },
  pidfile: {
    type: 'path', group: 'control', default: null,
    help: 'Write the master\'s pid here right after binding, before privileges are dropped (removed on exit)',
    details:
      'Written as soon as the http address is bound, before `uid`/`gid` apply and before any worker is ready, ' +
      'so `tsws --stop PIDFILE` finds a master that is still loading its app. As uWSGI\'s: written as root, ' +
      'in a directory root owns; `pidfile2` is written after privileges are dropped.',
  },
  pidfile2: {
    type: 'path', group: 'control', default: null,
    help: 'Write the master\'s pid here after privileges are dropped (as uWSGI\'s pidfile2; removed on exit)',
  },
  vacuum: {
    type: 'bool', group: 'control', default: false,
    help: 'Remove the unix sockets and fifos tsws created when it exits',
  },
  'die-on-term': {
    type: 'bool', group: 'control', default: true,
    fixed: { value: true, why: 'SIGTERM always stops tsws gracefully', hint: 'use SIGHUP to reload' },
    help: 'Accepted for uWSGI compatibility: SIGTERM always stops tsws gracefully',
  },
  'touch-reload': {
    // uWSGI's touch-workers-reload reloads the workers only; a tsws reload never restarts the master anyway.
    type: 'path', group: 'control', aliases: ['touch-workers-reload'], list: true, default: [],
    help: 'Gracefully reload all workers when this file\'s mtime changes (repeatable)',
  },
  'touch-chain-reload': {
    type: 'path', group: 'control', list: true, default: [],
    help: 'Chain-reload workers one by one when this file\'s mtime changes (repeatable)',
  },
  'master-fifo': {
    type: 'path', group: 'control', list: true, default: [],
    help: 'Create a fifo that takes uWSGI\'s one-byte master commands (r w c q Q s + - l 0-9)',
    details:
      'Repeatable, as in uWSGI: only the active fifo is read (the first one, until a digit N written to it ' +
      'makes the Nth one, counted from 0, active); commands written to an inactive one wait in its pipe.',
  },
  uid: {
    type: 'string', group: 'control', default: null,
    help: 'Switch to this user (name or number) after binding sockets',
  },
  gid: {
    type: 'string', group: 'control', default: null,
    help: 'Switch to this group (name or number) after binding sockets',
  },
  umask: {
    type: 'octal', group: 'control', default: null,
    help: 'Set the process umask, e.g. 022',
  },

  // ---- Containers and load balancers ----------------------------------------------------------------
  'health-check': {
    type: 'address', group: 'containers', default: null,
    help: 'Serve GET /livez and GET /readyz (200 or 503) on this address of their own, for a kubelet or a load balancer',
    details:
      'On its own listener, so that the probes never shadow an app route and stay reachable when `stats` is ' +
      'loopback-only. `/readyz` is 200 while at least health-check-min-workers workers serve, the master is ' +
      'not stopping (nor in its shutdown-delay) and the router\'s queue (`listen`) is not full; otherwise 503 ' +
      'with the reason in the body. `/livez` is 200 whenever the master\'s event loop answers: the probe is ' +
      'answered by that loop, so a master that hangs fails it by not answering. A bare `:port` listens on ' +
      'every interface (a kubelet and a load balancer probe from outside the host). Example: ' +
      '`health-check = :8081`. See docs/scale-out.md.',
  },
  'health-check-min-workers': {
    type: 'count', group: 'containers', min: 1, default: 1, reload: true,
    help: 'Workers that must be serving for /readyz to answer 200',
  },
  'shutdown-delay': {
    type: 'duration', group: 'containers', default: 0, reload: true,
    help: 'On SIGTERM, fail /readyz at once but keep accepting and serving this long, then drain and exit 0',
    details:
      'A Kubernetes pod is removed from its Service\'s endpoints asynchronously: connections keep arriving for ' +
      'a few seconds after SIGTERM. During the delay tsws serves them as usual, while `/readyz` says 503 so ' +
      'that load balancers stop sending; then it stops accepting, lets every queued and in-flight request ' +
      'finish (bounded by worker-reload-mercy) and exits 0. SIGINT or SIGQUIT during the delay stops at once. ' +
      'Set `terminationGracePeriodSeconds` >= shutdown-delay + the longest request + a margin. Example: ' +
      '`shutdown-delay = 10s`.',
  },
  'memory-fit-check': {
    type: 'bool', group: 'containers', default: true, reload: true,
    help: 'Refuse to start a pool whose worst case exceeds the cgroup memory limit (false: warn and start)',
    details:
      'The worst case is (processes + 1 replacement) x reload-on-rss (else evil-reload-on-rss) + the master\'s ' +
      'own memory: every worker at its cap, and one fresh worker starting beside a recycled one that still ' +
      'drains. Without a cap or without a cgroup memory limit there is nothing to check. The error names the ' +
      'numbers and how many processes would fit.',
  },

  // ---- Stats -------------------------------------------------------------------------------------
  stats: {
    type: 'address', group: 'stats', aliases: ['stats-server'], default: null,
    help: 'Serve uWSGI-shaped JSON stats on this address (host:port, :port = loopback, or a unix path)',
  },
  'stats-http': {
    type: 'bool', group: 'stats', default: false,
    help: 'Serve stats over HTTP: JSON at /, Prometheus text at /metrics',
  },
  'app-metrics': {
    type: 'bool', group: 'stats', default: true,
    help: 'Add the app\'s prom-client metrics (its default registry, every worker\'s) to /metrics',
    details:
      'Only for an app that loads prom-client: each scrape asks every worker for its default registry over ' +
      'IPC. Counters and histograms are summed over the workers, and a worker that exits keeps its last ' +
      'values in the sum, so totals never go back through recycles; gauges and summaries get a `worker` ' +
      'label. See docs/observability.md.',
  },

  // ---- Configuration -----------------------------------------------------------------------------
  ini: {
    type: 'string', group: 'config', aliases: ['include'], list: true, default: [], reload: true,
    help: 'Load an INI file (FILE or FILE:SECTION); inside a file, includes it in place',
    details: 'uWSGI\'s `include` is accepted as an alias (tsws reads INI files only, whatever the extension).',
  },
  'set-ph': {
    type: 'string', group: 'config', aliases: ['set-placeholder'], list: true, keyValue: true, default: [], reload: true,
    help: 'Define a %(name) placeholder: name=value',
  },
  strict: {
    type: 'bool', group: 'config', default: false, reload: true,
    help: 'Also reject custom keys used as placeholders and ignored uWSGI keys',
  },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

type ValueOf<S extends OptionSpec> = S extends { list: true }
  ? readonly string[]
  : S['type'] extends 'bool'
    ? boolean
    : S['type'] extends 'count' | 'size' | 'duration'
      ? S['default'] extends null ? (S extends { derived: object } ? number : number | null) : number
      : string | null;

/** The resolved configuration: one typed value per option, keyed by its uWSGI name. */
export type Config = { readonly [K in OptionName]: ValueOf<(typeof OPTIONS)[K]> };

export const OPTION_NAMES = Object.keys(OPTIONS) as OptionName[];

// A check or derivation cannot name Config (Config is computed from this table), so it names, in its
// parameter types, its own value's type and the options it reads. This proves at compile time that Config
// gives each what it declares: a misspelt or mistyped option there makes the line below name the option.
type Declared<S> = (S extends { check: (value: infer V, config: infer C) => unknown } ? { value: V; config: C } : unknown) &
  (S extends { derived: { from: (config: infer C) => number } } ? { config: C } : unknown);
type Unproven = { [K in OptionName]: { value: Config[K]; config: Config } extends Declared<(typeof OPTIONS)[K]> ? never : K }[OptionName];
const unproven: [Unproven] extends [never] ? 'none' : Unproven = 'none';
void unproven;

export function spec(name: OptionName): OptionSpec {
  return OPTIONS[name];
}

/** Every accepted spelling (name and aliases) → canonical name. Underscores are folded to dashes first. */
const BY_NAME = new Map<string, OptionName>();
for (const name of OPTION_NAMES) {
  BY_NAME.set(name, name);
  for (const alias of spec(name).aliases ?? []) BY_NAME.set(alias, name);
}

export function normalizeKey(key: string): string {
  return key.replace(/_/g, '-');
}

export function lookupOption(key: string): OptionName | undefined {
  return BY_NAME.get(normalizeKey(key));
}

export function allSpellings(): string[] {
  return [...BY_NAME.keys()];
}

export { MiB };
