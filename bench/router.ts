// bench/router: requests per second, p50/p99 latency and the routing process's CPU time per request of the
// hello app, side by side in one run and with the same number of workers: node:cluster (no proxy hop: the
// ceiling), nginx (when installed: the router people put in front of Node today), Phusion Passenger (when
// installed: its C++ router, builtin engine), tsws, tsws with `reload-on-rss = 400`, and tsws with a request
// log (to the logto file, and to a req-logger file of its own). Rounds are interleaved so
// that machine noise hits every contender alike. Prints JSON on stdout and the same figures as a markdown
// table on stderr (`--out FILE` also writes the JSON to FILE).
//
//   npm run bench:router -- [--seconds 5] [--rounds 2] [--connections 32] [--workers 2]
//                           [--only NAME,...] [--out bench/results-router.json]
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  children,
  DIST,
  freePort,
  hasCommand,
  measure,
  procStat,
  ROOT,
  spawnTracked,
  startNode,
  startTsws,
  stop,
  stopAll,
  tempDir,
  waitFor,
  waitHttp,
  type LoadFigures,
} from './lib.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    workers: { type: 'string', default: '2' },
    only: { type: 'string' },
    out: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const workers = Number(values.workers);
const app = join(ROOT, 'samples/hello.js');
const dir = tempDir();
const startedAt = Date.now();
// The machine is shared: its load average at start and end says how much the figures can be trusted.
const loadAtStart = loadavg().map((x) => Number(x.toFixed(2)));

interface Running {
  url: string;
  /** The process that routes every request (nginx's worker, tsws's master, Passenger's core); null if none. */
  routerPid: number | null;
  stop(): Promise<void>;
}

interface Contender {
  name: string;
  /** Which process `routerPid` is, for the JSON. */
  router: string;
  start(): Promise<Running>;
}

const NGINX = 'nginx (1 worker process) -> same workers';
const TSWS = 'tsws (disable-logging)';
const TSWS_RSS = 'tsws (reload-on-rss = 400)';

async function backends(): Promise<{ sockets: string[]; stop(): Promise<void> }> {
  const sockets = Array.from({ length: workers }, (_, i) => join(dir, `backend-${i}.sock`));
  const procs = await Promise.all(sockets.map((s) => startNode(join(DIST, 'bench/backend.js'), [s, app])));
  return { sockets, stop: async () => void (await Promise.all(procs.map((p) => stop(p)))) };
}

function tswsIni(name: string, extra: string): string {
  const ini = join(dir, `${name}.ini`);
  // threads high enough that tsws never queues under this load: the figure is routing cost, not a limit.
  writeFileSync(ini, `[uwsgi]\nmodule = ${app}\nhttp = 127.0.0.1:0\nprocesses = ${workers}\nthreads = ${connections}\n${extra}\n`);
  return ini;
}

async function tsws(name: string, extra: string, logFile?: string): Promise<Running> {
  const t = await startTsws(tswsIni(name, extra), logFile);
  return { url: `${t.url}/`, routerPid: t.proc.pid!, stop: () => stop(t.proc) };
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

function readPid(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

const contenders: Contender[] = [
  {
    name: 'node:cluster (no proxy hop)',
    // The primary only hands accepted connections to the workers (round-robin scheduling): with keep-alive
    // clients it does next to nothing, but it is the nearest thing to a router here.
    router: 'cluster primary (accepts connections only)',
    async start() {
      const port = await freePort();
      const p = await startNode(join(DIST, 'bench/cluster.js'), [String(port), String(workers), app]);
      return { url: `http://127.0.0.1:${port}/`, routerPid: p.pid!, stop: () => stop(p) };
    },
  },
  { name: TSWS, router: 'tsws master', start: () => tsws('quiet', 'disable-logging = true') },
  { name: TSWS_RSS, router: 'tsws master', start: () => tsws('rss', 'disable-logging = true\nreload-on-rss = 400') },
  {
    name: 'tsws (request log to a file)',
    router: 'tsws master',
    async start() {
      const log = join(dir, `requests-${Date.now()}.log`);
      return tsws('logged', `logto = ${log}`, log);
    },
  },
  {
    // Request lines to their own file, the rest on stderr: a second destination must cost what one does.
    name: 'tsws (req-logger = file:…)',
    router: 'tsws master',
    start: () => tsws('req-logger', `req-logger = file:${join(dir, `req-logger-${Date.now()}.log`)}`),
  },
];

if (hasCommand('nginx')) {
  contenders.push({
    name: NGINX,
    router: 'nginx worker process',
    async start() {
      const b = await backends();
      const port = await freePort();
      const conf = join(dir, 'nginx.conf');
      writeFileSync(
        conf,
        `daemon off; worker_processes 1; ${process.getuid?.() === 0 ? 'user root;' : ''} pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/nb; proxy_temp_path ${dir}/np; fastcgi_temp_path ${dir}/nf; uwsgi_temp_path ${dir}/nu; scgi_temp_path ${dir}/ns;
  upstream app { ${b.sockets.map((s) => `server unix:${s};`).join(' ')} keepalive 64; }
  server { listen 127.0.0.1:${port}; location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
`,
      );
      const p = spawnTracked('nginx', ['-c', conf, '-p', dir]);
      const halt = async () => (await stop(p), await b.stop());
      try {
        await waitHttp(port, 10_000);
        const worker = await waitFor('the nginx worker', () => children(p.pid!)[0], 5000, 50);
        return { url: `http://127.0.0.1:${port}/`, routerPid: worker, stop: halt };
      } catch (err) {
        await halt();
        throw err;
      }
    },
  });
} else {
  process.stderr.write('note: nginx is not installed (apt-get install nginx-light): no nginx contender, no ratio to nginx\n');
}

if (hasCommand('passenger')) {
  contenders.push({
    name: 'Passenger (builtin engine)',
    router: 'Passenger core process',
    async start() {
      // Its own app root and TMPDIR under the run's temp dir: Passenger Standalone creates a
      // passenger-standalone.* directory in TMPDIR, and the run's cleanup removes it with the rest.
      const root = join(dir, `passenger-${Date.now()}`);
      mkdirSync(join(root, 'tmp'), { recursive: true });
      const port = await freePort();
      const pidFile = join(root, 'passenger.pid');
      // --disable-turbocaching: every request reaches the app, as with the other contenders (the hello app
      // sends no caching headers, so it would not cache; this rules it out). The update check and telemetry
      // are off: nothing leaves the machine.
      const p = spawnTracked(
        'passenger',
        [
          'start', root, '--engine=builtin', '--app-type', 'node', '--startup-file', join(DIST, 'bench/passenger-app.cjs'),
          '--max-pool-size', String(workers), '--min-instances', String(workers), '--address', '127.0.0.1', '--port', String(port),
          '--environment', 'production', '--envvar', `TSWS_BENCH_APP=${app}`, '--nodejs', process.execPath,
          '--disable-turbocaching', '--no-friendly-error-pages', '--disable-security-update-check', '--disable-anonymous-telemetry',
          '--log-file', join(root, 'passenger.log'), '--pid-file', pidFile, '--instance-registry-dir', root,
        ],
        { env: { ...process.env, TMPDIR: join(root, 'tmp') }, cwd: root },
      );
      // The watchdog daemonizes out of `passenger start`'s tree (so does the temp-dir toucher): their pids
      // come from their pid files, so that stop() sees them gone too.
      const outside = (): number[] => {
        const watchdog = readPid(pidFile);
        const tmp = join(root, 'tmp');
        let toucher: number | null = null;
        try {
          for (const d of readdirSync(tmp)) toucher ??= readPid(join(tmp, d, 'temp_dir_toucher.pid'));
        } catch {
          // not created yet
        }
        return [watchdog, toucher].filter((x): x is number => x !== null);
      };
      const halt = () => stop(p, outside());
      try {
        await waitHttp(port, 60_000);
        const watchdog = await waitFor('the Passenger watchdog pid file', () => readPid(pidFile), 10_000, 50);
        const core = await waitFor('the Passenger core', () => children(watchdog).find((c) => cmdline(c).startsWith('Passenger core')), 10_000, 50);
        // min-instances: wait until all the app processes are up, so that every round measures `workers` of them.
        await waitFor(`${workers} Passenger app processes`, () => (children(core).length >= workers ? true : null), 30_000, 50);
        return { url: `http://127.0.0.1:${port}/`, routerPid: core, stop: halt };
      } catch (err) {
        process.stderr.write(`Passenger did not start (log: ${join(root, 'passenger.log')}):\n${safeTail(join(root, 'passenger.log'))}\n`);
        await halt();
        throw err;
      }
    },
  });
} else {
  process.stderr.write('note: Passenger is not installed (apt-get install passenger): no Passenger contender\n');
}

function safeTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

interface Figures extends LoadFigures {
  /** CPU time (user + system) the router process spent during the measured load, per request, µs. */
  router_cpu_us_per_req: number | null;
}

/** The load, with the router process's CPU time read from /proc/PID/stat before and after. */
async function measureWithCpu(s: Running): Promise<Figures> {
  const cpu0 = s.routerPid ? procStat(s.routerPid)?.cpuSeconds : undefined;
  const fig = await measure(s.url, connections, seconds);
  const cpu1 = s.routerPid ? procStat(s.routerPid)?.cpuSeconds : undefined;
  const cpu = cpu0 !== undefined && cpu1 !== undefined && fig.requests > 0 ? ((cpu1 - cpu0) * 1e6) / fig.requests : null;
  return { ...fig, router_cpu_us_per_req: cpu === null ? null : Number(cpu.toFixed(1)) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const chosen = values.only ? contenders.filter((c) => values.only!.split(',').some((o) => c.name.includes(o))) : contenders;
const results: Record<string, Figures[]> = {};
const failures: Record<string, string> = {};
for (let round = 1; round <= rounds; round++) {
  for (const c of chosen) {
    if (failures[c.name]) continue;
    let s: Running;
    try {
      s = await c.start();
      // Every contender must serve the app itself: a 200 with the hello body, before any load.
      const probe = await waitHttp(Number(new URL(s.url).port), 10_000);
      if (probe.status !== 200 || !probe.body.startsWith('hello from pid')) {
        await s.stop();
        throw new Error(`answered ${probe.status} ${JSON.stringify(probe.body.slice(0, 200))}, not the hello app`);
      }
    } catch (err) {
      failures[c.name] = String((err as Error).message ?? err).split('\n')[0];
      process.stderr.write(`round ${round} ${c.name}: did not start: ${failures[c.name]}\n`);
      continue;
    }
    await measure(s.url, connections, 1); // warm-up: JIT, keep-alive pools
    const fig = await measureWithCpu(s);
    await s.stop();
    (results[c.name] ??= []).push(fig);
    process.stderr.write(
      `round ${round} ${c.name}: ${Math.round(fig.rps)} req/s, router CPU ${fig.router_cpu_us_per_req} us/req, p50 ${fig.p50_ms} ms, p99 ${fig.p99_ms} ms, socket errors ${fig.errors}, non-2xx ${fig.non2xx}\n`,
    );
  }
}
stopAll();

/** Median over rounds; the ratio to nginx is taken within each round (same machine noise), then the median. */
const nginxRuns = results[NGINX]?.map((f) => f.rps);
const summary = Object.fromEntries(
  Object.entries(results).map(([name, figs]) => {
    const cpus = figs.map((f) => f.router_cpu_us_per_req).filter((x): x is number => x !== null);
    return [
      name,
      {
        rps: Math.round(median(figs.map((f) => f.rps))),
        vs_nginx: nginxRuns && nginxRuns.length === figs.length ? Number(median(figs.map((f, i) => f.rps / nginxRuns[i])).toFixed(2)) : null,
        router: contenders.find((c) => c.name === name)!.router,
        router_cpu_us_per_req: cpus.length ? Number(median(cpus).toFixed(1)) : null,
        p50_ms: median(figs.map((f) => f.p50_ms)),
        p99_ms: median(figs.map((f) => f.p99_ms)),
        requests: figs.reduce((s, f) => s + f.requests, 0),
        // Every response must be a 2xx: wrk counts statuses ≥ 400 ("Non-2xx or 3xx responses") and socket
        // errors (connect, read, write, timeout); the hello app never redirects.
        socket_errors: figs.reduce((s, f) => s + f.errors, 0),
        non2xx: figs.reduce((s, f) => s + f.non2xx, 0),
        runs: figs.map((f) => ({ rps: Math.round(f.rps), router_cpu_us_per_req: f.router_cpu_us_per_req, p99_ms: f.p99_ms })),
      },
    ];
  }),
);
const report = {
  benchmark: 'router',
  date: new Date(startedAt).toISOString(),
  node: process.version,
  tool: Object.values(results)[0]?.[0].tool ?? null,
  connections,
  seconds,
  rounds,
  workers,
  duration_s: Math.round((Date.now() - startedAt) / 1000),
  cpus: cpus().length,
  loadavg_1_5_15: { start: loadAtStart, end: loadavg().map((x) => Number(x.toFixed(2))) },
  results: summary,
  failed_to_start: failures,
  // tsws with its memory check against tsws without, same run: the issue's bound is ≤ 5%.
  reload_on_rss_cost: summary[TSWS_RSS] && summary[TSWS] ? Number((1 - summary[TSWS_RSS].rps / summary[TSWS].rps).toFixed(3)) : null,
};
const json = JSON.stringify(report, null, 2);
console.log(json);
if (values.out) writeFileSync(values.out, json + '\n');
process.stderr.write(`\n${markdown()}\n`);

/** The table for docs/benchmarks.md. */
function markdown(): string {
  const n = (x: number | null, digits = 0) => (x === null || Number.isNaN(x) ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
  const rows = Object.entries(summary)
    .sort(([, a], [, b]) => b.rps - a.rps)
    .map(
      ([name, s]) =>
        `| ${name} | ${n(s.rps)} | ${n(s.vs_nginx, 2)} | ${n(s.router_cpu_us_per_req, 0)} | ${n(s.p99_ms, 2)} | ${s.runs.map((r) => n(r.rps)).join(' / ')} | ${s.non2xx + s.socket_errors} |`,
    );
  return [
    `| contender | req/s | vs nginx | router CPU µs/req | p99 ms | req/s by round | errors |`,
    `|---|---:|---:|---:|---:|---:|---:|`,
    ...rows,
  ].join('\n');
}
