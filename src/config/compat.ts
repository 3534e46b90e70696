// uWSGI keys that a real uWSGI file carries but that mean nothing for a Node app server. IGNORED keys get one
// warning each and the file still loads, so a file can be brought over line by line; UNSUPPORTED keys
// change what the server would do in a way tsws cannot honour, so they are errors with the way forward.
// Every other real uWSGI name gets its family's answer (uwsgi-names.ts lists them all), so no real uWSGI
// option is ever called an "unknown key". Lookups use Object.hasOwn: a key named `constructor` is no answer.
import { normalizeKey } from './options.js';
import { uwsgiFamily, type UwsgiFamily } from './uwsgi-names.js';

const PYTHON = 'Python-specific: tsws runs Node.js apps';

export const IGNORED: Readonly<Record<string, string>> = {
  plugins: 'tsws has no plugins: HTTP and the Node app loader are built in',
  plugin: 'tsws has no plugins: HTTP and the Node app loader are built in',
  'plugins-dir': 'tsws has no plugins',
  virtualenv: PYTHON,
  venv: PYTHON,
  home: PYTHON,
  pyhome: PYTHON,
  pythonpath: PYTHON,
  'python-path': PYTHON,
  pp: PYTHON,
  'wsgi-file': `${PYTHON}; use module = path/to/app.js`,
  wsgi: `${PYTHON}; use module = path/to/app.js`,
  file: `${PYTHON}; use module = path/to/app.js`,
  callable: `${PYTHON}; use module = path/to/app.js:exportName`,
  'py-autoreload': `${PYTHON}; use touch-reload`,
  'python-autoreload': `${PYTHON}; use touch-reload`,
  'py-tracebacker': PYTHON,
  'enable-threads': 'a Node worker needs no GIL switch; `threads` sets its concurrency',
  'single-interpreter': 'every Node worker runs exactly one app',
  'thunder-lock': 'the tsws router balances every request itself; workers never accept() on a shared socket',
  'lazy-apps': 'tsws always loads the app in each worker after fork (Node cannot fork a warm copy)',
  lazy: 'tsws always loads the app in each worker after fork (Node cannot fork a warm copy)',
  'memory-report': 'tsws always measures worker memory',
  'offload-threads': 'the router streams responses without blocking workers',
  'so-keepalive': 'not needed: the router manages its own keep-alive connections',
  'auto-procname': 'tsws always names its processes',
  'procname-prefix': 'tsws always names its processes',
  'procname-prefix-spaced': 'tsws always names its processes',
  'log-date': 'tsws always timestamps lifecycle lines',
  'log-master': 'the tsws master always writes the log',
  'hook-master-start': 'uWSGI hooks do not exist in tsws; SIGTERM is already a graceful stop',
};

export const UNSUPPORTED: Readonly<Record<string, string>> = {
  socket: 'the uwsgi binary protocol is not spoken by tsws: use http = ADDRESS and proxy_pass from nginx',
  'uwsgi-socket': 'the uwsgi binary protocol is not spoken by tsws: use http = ADDRESS and proxy_pass from nginx',
  protocol: 'tsws speaks HTTP only: use http = ADDRESS',
  'https': 'tsws does not terminate TLS: put nginx or another TLS proxy in front',
  cheaper: 'adaptive process spawning is not implemented: set processes, and use SIGTTIN/SIGTTOU or the fifo',
  'cheaper-algo': 'adaptive process spawning is not implemented',
  mule: 'mules are not implemented: run background work in its own service',
  mules: 'mules are not implemented: run background work in its own service',
  'attach-daemon': 'attached daemons are not implemented: run them as their own systemd units',
  'smart-attach-daemon': 'attached daemons are not implemented: run them as their own systemd units',
  emperor: 'the Emperor is not implemented: use one systemd instance per app (conf/tsws@.service)',
  route: 'internal routing rules are not implemented: route in nginx',
  'static-map': 'static files are not served by tsws: serve them from nginx or the app',
  'check-static': 'static files are not served by tsws: serve them from nginx or the app',
  // The commonest real line is `logger = file:PATH`, beside a `req-logger` that tsws does take.
  logger: 'pluggable loggers are not implemented: tsws logs to stderr, or to logto = PATH (for logger = file:PATH); request lines can have their own file with req-logger = file:PATH',
};

/** How tsws answers a real uWSGI option that is not a tsws option: a warning (ignored) or an error. */
export interface UwsgiAnswer {
  readonly kind: 'ignored' | 'unsupported';
  readonly text: string;
}

const HOOKS = 'uWSGI hooks are not implemented: use systemd ExecStartPre=/ExecStartPost= or the app\'s own startup code';
const ISOLATION = 'process isolation is left to the service manager: use systemd sandboxing (ProtectSystem=, PrivateTmp=, …) or a container';
const LOGGERS = 'pluggable loggers are not implemented: tsws logs to stderr or logto (request lines, with req-logger = file:PATH, to their own file); ship them with journald or your log collector';

/**
 * The answer of each family of uWSGI-only names in uwsgi-names.ts ('applies' and 'logic' are tsws options and
 * the INI reader's blocks: they never get here). IGNORED and UNSUPPORTED above override a family's text.
 */
export const FAMILY_ANSWERS: Readonly<Record<Exclude<UwsgiFamily, 'applies' | 'logic'>, UwsgiAnswer>> = {
  python: { kind: 'ignored', text: PYTHON },
  lang: { kind: 'ignored', text: 'an option of another language plugin (Perl, PHP, Ruby, Lua, JVM, Mono, Go, CGI…): tsws runs Node.js apps' },
  plugins: { kind: 'ignored', text: 'tsws has no plugins: HTTP and the Node app loader are built in' },
  action: { kind: 'ignored', text: 'a one-off action of the uwsgi binary, not a setting: see tsws --help (--print-config, --reload, --stop)' },
  procname: { kind: 'ignored', text: 'tsws always names its processes' },
  loop: { kind: 'ignored', text: 'a Node worker is asynchronous on one JavaScript thread; `threads` sets how many requests it serves at once' },
  noPipe: {
    kind: 'ignored',
    text: 'Node never raises SIGPIPE or a write exception for a client that went away: the app sees its response `close`, and the router logs status 499',
  },
  socketTimeout: {
    kind: 'ignored',
    text: 'uWSGI\'s internal socket tuning; the router\'s client timeouts are http-timeout, http-headers-timeout and http-body-timeout, and Node sets its own socket options',
  },
  offload: { kind: 'ignored', text: 'the router streams responses without blocking workers' },
  memoryReport: { kind: 'ignored', text: 'tsws always measures worker memory' },
  orphans: { kind: 'ignored', text: 'workers always exit when the master dies (its IPC channel closes), and the master reaps every child' },
  stdin: { kind: 'ignored', text: 'workers\' stdin is /dev/null' },
  oneApp: { kind: 'ignored', text: 'a tsws worker runs exactly one app, `module`, and the app answers its own errors' },
  logDate: { kind: 'ignored', text: 'the log\'s shape is tsws\'s own: lifecycle lines are timestamped, request lines follow log-format' },
  loggers: { kind: 'unsupported', text: LOGGERS },
  logRotate: { kind: 'unsupported', text: 'log rotation is not done by tsws: rotate with logrotate, then write `l` to the master-fifo (or use copytruncate)' },
  logChown: { kind: 'unsupported', text: 'create the log file with the owner you want beforehand: tsws appends to it' },
  logSendfile: { kind: 'ignored', text: 'tsws never answers with sendfile, so no request matches' },
  logIoerror: { kind: 'unsupported', text: 'use log-4xx: a request whose client went away is logged with status 499' },
  stats: { kind: 'ignored', text: 'the stats JSON is uWSGI-shaped and always the same' },
  statsPush: { kind: 'unsupported', text: 'pushing metrics (statsd, carbon, zabbix, …) is not implemented: scrape /metrics with stats-http' },
  harakiriGraceful: {
    kind: 'ignored',
    text: 'tsws\'s harakiri answers 504 at once and recycles the worker gracefully, within worker-reload-mercy',
  },
  reloadMercy: { kind: 'ignored', text: 'in uWSGI 2.0 it governs attached daemons and vassals only; workers use worker-reload-mercy' },
  reloadPss: { kind: 'unsupported', text: 'use reload-on-rss: tsws measures the RSS of each worker\'s whole process tree' },
  reloadFd: { kind: 'unsupported', text: 'use touch-reload or touch-chain-reload (or the master-fifo)' },
  idle: { kind: 'ignored', text: 'workers stay up: tsws has no idle or cheap mode' },
  dieOn: { kind: 'unsupported', text: 'tsws keeps its workers running: stop it with SIGTERM, or the master-fifo `q`' },
  noServer: { kind: 'unsupported', text: 'tsws always serves: --check validates a configuration without serving' },
  chunked: { kind: 'ignored', text: 'Node\'s HTTP parser handles chunked bodies and Expect: 100-continue; limit-post caps a body' },
  websocket: { kind: 'ignored', text: 'WebSocket upgrades pass through the router to the app, whose WebSocket library sets its own limits' },
  routerProcs: {
    kind: 'ignored',
    text: 'uWSGI\'s separate HTTP router process; tsws\'s router runs in the master and speaks HTTP to the client and to the workers',
  },
  httpGzip: { kind: 'unsupported', text: 'compress in the app (compression middleware) or in nginx' },
  httpToHttps: { kind: 'unsupported', text: 'tsws does not terminate TLS: redirect to https in nginx or the TLS proxy in front' },
  proxyProtocol: { kind: 'unsupported', text: 'tsws does not speak the PROXY protocol: have the proxy send X-Forwarded-For, and list it in forwarded-allow-ips' },
  addHeader: { kind: 'unsupported', text: 'set response headers in the app or in nginx (add_header)' },
  otherConfig: { kind: 'unsupported', text: 'tsws reads INI files only: convert it to INI and load it with ini = FILE' },
  env: { kind: 'unsupported', text: 'set the environment with env = KEY=VALUE, or in the systemd unit (Environment=, EnvironmentFile=)' },
  chdir2: { kind: 'unsupported', text: 'use chdir: tsws changes directory before loading the app' },
  after: { kind: 'unsupported', text: 'tsws does these once, in the master, before it drops privileges: use pidfile, daemonize, uid and gid' },
  addGid: { kind: 'unsupported', text: 'use SupplementaryGroups= in the systemd unit' },
  limits: { kind: 'unsupported', text: 'set it in the systemd unit (LimitNPROC=, MemorySwapMax=, CPUAffinity=, Nice=)' },
  upload: { kind: 'unsupported', text: 'upload progress is the app\'s own business' },
  skip: { kind: 'ignored', text: 'uWSGI internals with no counterpart in a Node process' },
  flock: { kind: 'unsupported', text: 'run one instance per configuration under systemd, which never starts it twice' },
  ping: { kind: 'unsupported', text: 'probe the http address (or the stats server) instead' },
  notify: { kind: 'unsupported', text: 'tsws talks to systemd through NOTIFY_SOCKET, set by systemd itself' },
  privileged: { kind: 'unsupported', text: 'tsws runs its own Node workers: set the environment or the app\'s startup code instead' },
  sendfile: { kind: 'unsupported', text: 'write the file from ExecStartPre= in the systemd unit' },
  unique: { kind: 'unsupported', text: 'cron tasks are not implemented: use systemd timers or cron' },
  reloadLogic: { kind: 'unsupported', text: 'tsws reads the same configuration at start and on a reload, so a block cannot tell them apart' },
  lazy: { kind: 'ignored', text: 'tsws always loads the app in each worker after fork (Node cannot fork a warm copy)' },
  exitOnReload: { kind: 'unsupported', text: 'a reload replaces the workers in place; to restart the whole server, restart the service' },
  emperor: { kind: 'unsupported', text: 'the Emperor is not implemented: use one systemd instance per app (conf/tsws@.service)' },
  legion: { kind: 'unsupported', text: 'Legions are not implemented: use keepalived or your orchestrator for failover' },
  subscription: { kind: 'unsupported', text: 'subscription servers belong to uWSGI\'s routers: put nginx or HAProxy in front' },
  protocols: { kind: 'unsupported', text: 'tsws speaks HTTP only, on http = ADDRESS: proxy_pass to it from nginx' },
  tls: { kind: 'unsupported', text: 'tsws does not terminate TLS: put nginx or another TLS proxy in front' },
  static: { kind: 'unsupported', text: 'static files are not served by tsws: serve them from nginx or the app' },
  cheaper: { kind: 'unsupported', text: 'adaptive process spawning is not implemented: set processes, and use SIGTTIN/SIGTTOU or the fifo' },
  mules: { kind: 'unsupported', text: 'mules are not implemented: run background work in its own service' },
  spooler: { kind: 'unsupported', text: 'the spooler is not implemented: use a job queue in its own service' },
  cache: { kind: 'unsupported', text: 'uWSGI\'s caches, queues and shared areas are not implemented: use Redis, memcached or an in-process cache' },
  alarm: { kind: 'unsupported', text: 'alarms are not implemented: alert from your log pipeline or monitoring' },
  daemons: { kind: 'unsupported', text: 'attached daemons are not implemented: run them as their own systemd units' },
  routing: { kind: 'unsupported', text: 'internal routing rules are not implemented: route in nginx' },
  hooks: { kind: 'unsupported', text: HOOKS },
  isolation: { kind: 'unsupported', text: ISOLATION },
  signals: { kind: 'unsupported', text: 'uWSGI signals and timers are not implemented: use timers in the app, or systemd timers' },
};

/** tsws's answer to a uWSGI-only key, or undefined when it is no uWSGI option at all. */
export function uwsgiAnswer(key: string): UwsgiAnswer | undefined {
  const norm = normalizeKey(key);
  if (Object.hasOwn(IGNORED, norm)) return { kind: 'ignored', text: IGNORED[norm] };
  if (Object.hasOwn(UNSUPPORTED, norm)) return { kind: 'unsupported', text: UNSUPPORTED[norm] };
  const family = uwsgiFamily(norm);
  return family && family !== 'applies' && family !== 'logic' ? FAMILY_ANSWERS[family] : undefined;
}
