// uWSGI keys that a real uWSGI file carries but that mean nothing for a Node app server. IGNORED keys get one
// warning each and the file still loads, so a file can be brought over line by line; UNSUPPORTED keys
// change what the server would do in a way tsws cannot honour, so they are errors with the way forward.

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
};
