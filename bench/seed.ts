// bench/seed: the seed article (docs/benchmarks.md), measured.
//  1. The article's table: memory of the whole process tree (sum of PSS) after 10/20/50/100 sequential
//     requests to the leaky app (~78 MB kept per request), 4 workers x 2 threads, with no limit,
//     reload-on-rss = 400, reload-on-as = 2048 and max-requests = 20.
//  2. The concurrent run: 8 clients, keep-alive GETs, then fresh connections, then POSTs, with a cap of
//     400 MiB per worker: requests, failures (by kind), recycles, peak memory and its time series.
// The same scenarios run on uWSGI, gunicorn and PM2 when they are installed; absent ones are skipped.
//
//   npm run bench:seed -- [--servers tsws,uwsgi,gunicorn,pm2] [--keepalive 40] [--fresh 20] [--post 20]
//                         [--table 10,20,50,100] [--no-table] [--svg docs/seed-memory.svg]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { descendants, freePort, hasCommand, killTree, pss, ROOT, stopAll, tempDir, waitHttp } from './lib.js';

const { values } = parseArgs({
  options: {
    servers: { type: 'string', default: 'tsws,uwsgi,gunicorn,pm2' },
    keepalive: { type: 'string', default: '40' },
    fresh: { type: 'string', default: '20' },
    post: { type: 'string', default: '20' },
    clients: { type: 'string', default: '8' },
    table: { type: 'string', default: '10,20,50,100' },
    'no-table': { type: 'boolean', default: false },
    svg: { type: 'string' },
  },
});
const MiB = 1024 * 1024;
const dir = tempDir();
const APP_PY = join(ROOT, 'bench/peers');
const CAP_MIB = 400;

/**
 * A limit as each server spells it (start() returns null where the server has none). `cap` is the concurrent
 * run's 400 MiB per worker: reload-on-rss for tsws and uWSGI, max_memory_restart for PM2, and for gunicorn,
 * which has no memory limit, max-requests 5 (5 x 78 MB ≈ 400 MiB).
 */
type LimitName = 'none' | 'reload-on-rss' | 'reload-on-as' | 'max-requests' | 'cap';

interface Server {
  readonly name: string;
  available(): boolean;
  /** Start with the given limit; resolves with its URL and the pid whose process tree is the server. */
  start(limit: LimitName, port: number): Promise<{ root: () => number; stop(): Promise<void> } | null>;
}

async function stopProc(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || !p.pid) return;
  const exited = new Promise((r) => p.once('exit', r));
  killTree(p.pid);
  await exited;
}

function spawnLogged(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'ignore'], env });
  return p;
}

const servers: Server[] = [
  {
    name: 'tsws',
    available: () => true,
    async start(limit, port) {
      const line = { none: '', 'reload-on-rss': `reload-on-rss = ${CAP_MIB}`, cap: `reload-on-rss = ${CAP_MIB}`, 'reload-on-as': 'reload-on-as = 2048', 'max-requests': 'max-requests = 20' }[limit];
      const ini = join(dir, `tsws-${limit}.ini`);
      writeFileSync(ini, `[uwsgi]\nmodule = ${ROOT}/samples/leak.js\nhttp = 127.0.0.1:${port}\nprocesses = 4\nthreads = 2\ndisable-logging = true\nlogto = ${dir}/tsws-${limit}.log\n${line}\n`);
      const p = spawnLogged(process.execPath, [join(ROOT, 'bin/tsws'), '--ini', ini]);
      await waitHttp(port);
      return { root: () => p.pid!, stop: () => stopProc(p) };
    },
  },
  {
    name: 'uwsgi',
    available: () => hasCommand('uwsgi') && spawnSync('uwsgi', ['--plugins', 'python3', '--python-version'], { encoding: 'utf8' }).status === 0,
    async start(limit, port) {
      const line = { none: '', 'reload-on-rss': `reload-on-rss = ${CAP_MIB}`, cap: `reload-on-rss = ${CAP_MIB}`, 'reload-on-as': 'reload-on-as = 2048', 'max-requests': 'max-requests = 20' }[limit];
      const ini = join(dir, `uwsgi-${limit}.ini`);
      writeFileSync(
        ini,
        `[uwsgi]\nplugins = http,python3\nhttp = 127.0.0.1:${port}\nchdir = ${APP_PY}\nmodule = leak_app:app\nmaster = true\nprocesses = 4\nthreads = 2\ndie-on-term = true\ndisable-logging = true\nlogto = ${dir}/uwsgi-${limit}.log\n${line}\n`,
      );
      const p = spawnLogged('uwsgi', ['--ini', ini]);
      await waitHttp(port);
      return { root: () => p.pid!, stop: () => stopProc(p) };
    },
  },
  {
    name: 'gunicorn',
    available: () => hasCommand('gunicorn'),
    async start(limit, port) {
      if (limit === 'reload-on-rss' || limit === 'reload-on-as') return null; // gunicorn has no memory limit
      // gthread, as in peers.md; max-requests 5 ≈ the 400 MiB cap (78 MB a request) for the concurrent run.
      const max = limit === 'max-requests' ? ['--max-requests', '20'] : limit === 'cap' ? ['--max-requests', '5'] : [];
      const p = spawnLogged('gunicorn', ['-w', '4', '-k', 'gthread', '--threads', '2', ...max, '--bind', `127.0.0.1:${port}`, '--chdir', APP_PY, 'leak_app:app']);
      await waitHttp(port);
      return { root: () => p.pid!, stop: () => stopProc(p) };
    },
  },
  {
    name: 'pm2',
    available: () => hasCommand('pm2'),
    async start(limit, port) {
      if (limit === 'reload-on-as' || limit === 'max-requests') return null; // PM2 has neither
      const home = join(dir, `pm2-${limit}-${port}`);
      const env = { ...process.env, PM2_HOME: home, PORT: String(port) };
      const args = ['start', join(ROOT, 'bench/peers/pm2-server.mjs'), '-i', '4', '--name', 'leak'];
      if (limit === 'reload-on-rss' || limit === 'cap') args.push('--max-memory-restart', `${CAP_MIB}M`);
      const r = spawnSync('pm2', args, { env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`pm2 start failed: ${r.stderr}`);
      await waitHttp(port);
      const daemon = () => Number(readFileSync(join(home, 'pm2.pid'), 'utf8'));
      return {
        root: daemon,
        stop: async () => {
          spawnSync('pm2', ['kill'], { env });
        },
      };
    },
  },
];

function treePssMiB(root: number): { mib: number; pids: number[] } {
  const pids = [root, ...descendants(root)];
  return { mib: pids.reduce((s, p) => s + pss(p), 0) / MiB, pids };
}

function send(port: number, agent: Agent | false, post: boolean): Promise<string> {
  return new Promise((resolve) => {
    const body = post ? JSON.stringify({ input: 'x'.repeat(256) }) : undefined;
    const req = request(
      { host: '127.0.0.1', port, path: '/test', method: post ? 'POST' : 'GET', agent, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}, timeout: 60_000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : `http ${res.statusCode}`));
        res.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    req.end(body);
  });
}

async function table(s: Server): Promise<Record<string, (number | null)[] | null>> {
  const marks = values.table.split(',').map(Number);
  const out: Record<string, (number | null)[] | null> = {};
  for (const limit of ['none', 'reload-on-rss', 'reload-on-as', 'max-requests'] as LimitName[]) {
    const port = await freePort();
    const srv = await s.start(limit, port);
    if (!srv) {
      out[limit] = null;
      continue;
    }
    const row: number[] = [];
    for (let i = 1; i <= marks[marks.length - 1]; i++) {
      await send(port, false, false);
      if (marks.includes(i)) {
        await new Promise((r) => setTimeout(r, 500)); // let a recycle that the last request caused settle
        row.push(Math.round(treePssMiB(srv.root()).mib));
      }
    }
    await srv.stop();
    out[limit] = row;
    process.stderr.write(`${s.name} table ${limit}: ${row.join(' / ')} MiB after ${marks.join('/')} requests\n`);
  }
  return out;
}

interface Concurrent {
  requests: number;
  ok: number;
  failures: Record<string, number>;
  by_phase: Record<string, { ok: number; failed: number }>;
  recycles: number;
  peak_mib: number;
  series: [number, number][];
}

async function concurrent(s: Server): Promise<Concurrent | null> {
  const port = await freePort();
  const srv = await s.start('cap', port);
  if (!srv) return null;
  const t0 = Date.now();
  const series: [number, number][] = [];
  const seen = new Set<number>();
  const initial = new Set(treePssMiB(srv.root()).pids);
  let peak = 0;
  const sampler = setInterval(() => {
    const m = treePssMiB(srv.root());
    for (const p of m.pids) seen.add(p);
    peak = Math.max(peak, m.mib);
    series.push([Number(((Date.now() - t0) / 1000).toFixed(2)), Math.round(m.mib)]);
  }, 250);
  const failures: Record<string, number> = {};
  const byPhase: Record<string, { ok: number; failed: number }> = {};
  let ok = 0;
  let requests = 0;
  const phases: [string, number, boolean, boolean][] = [
    ['keep-alive GET', Number(values.keepalive), true, false],
    ['fresh-connection GET', Number(values.fresh), false, false],
    ['keep-alive POST', Number(values.post), true, true],
  ];
  for (const [name, seconds, keepAlive, post] of phases) {
    const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: Number(values.clients) }) : false;
    const until = Date.now() + seconds * 1000;
    const phase = (byPhase[name] = { ok: 0, failed: 0 });
    await Promise.all(
      Array.from({ length: Number(values.clients) }, async () => {
        while (Date.now() < until) {
          const r = await send(port, agent, post);
          requests++;
          if (r === 'ok') {
            ok++;
            phase.ok++;
          } else {
            failures[r] = (failures[r] ?? 0) + 1;
            phase.failed++;
          }
        }
      }),
    );
    if (agent) agent.destroy();
    process.stderr.write(`${s.name} ${name}: ${phase.ok} ok, ${phase.failed} failed\n`);
  }
  clearInterval(sampler);
  await srv.stop();
  // Recycles: worker processes that appeared after the start (the master and the first workers excluded).
  const recycles = [...seen].filter((p) => !initial.has(p)).length;
  return { requests, ok, failures, by_phase: byPhase, recycles, peak_mib: Math.round(peak), series };
}

function svg(runs: Record<string, Concurrent>): string {
  const W = 760;
  const H = 360;
  const L = 60;
  const B = 40;
  const maxT = Math.max(...Object.values(runs).flatMap((r) => r.series.map((p) => p[0])), 1);
  const maxM = Math.max(3200, ...Object.values(runs).map((r) => r.peak_mib)) * 1.05;
  const x = (t: number) => L + (t / maxT) * (W - L - 20);
  const y = (m: number) => H - B - (m / maxM) * (H - B - 20);
  const colors: Record<string, string> = { tsws: '#1b7f3b', uwsgi: '#c0392b', gunicorn: '#2c6fbb', pm2: '#8e44ad' };
  const lines = Object.entries(runs)
    .map(([name, r]) => `<polyline fill="none" stroke="${colors[name] ?? '#555'}" stroke-width="1.6" points="${r.series.map(([t, m]) => `${x(t).toFixed(1)},${y(m).toFixed(1)}`).join(' ')}"/>`)
    .join('\n  ');
  const legend = Object.entries(runs)
    .map(([name, r], i) => `<text x="${L + 10}" y="${32 + i * 16}" fill="${colors[name] ?? '#555'}" font-size="12">${name}: peak ${r.peak_mib} MiB, ${r.ok}/${r.requests} ok</text>`)
    .join('\n  ');
  const yTicks = [0, 1000, 2000, 3000, 4000, 6000, 8000, 12000, 16000].filter((m) => m <= maxM).map((m) => `<text x="${L - 6}" y="${y(m) + 4}" text-anchor="end" font-size="10">${m}</text><line x1="${L}" x2="${W - 20}" y1="${y(m)}" y2="${y(m)}" stroke="#eee"/>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
  <rect width="100%" height="100%" fill="white"/>
  ${yTicks}
  <line x1="${L}" x2="${W - 20}" y1="${y(4 * CAP_MIB)}" y2="${y(4 * CAP_MIB)}" stroke="#999" stroke-dasharray="6 4"/>
  <text x="${W - 22}" y="${y(4 * CAP_MIB) - 4}" text-anchor="end" font-size="10" fill="#666">cap: 4 workers x ${CAP_MIB} MiB</text>
  <line x1="${L}" x2="${W - 20}" y1="${y(3000)}" y2="${y(3000)}" stroke="#d35400" stroke-dasharray="2 3"/>
  <text x="${W - 22}" y="${y(3000) - 4}" text-anchor="end" font-size="10" fill="#d35400">3,000 MiB bound</text>
  ${lines}
  ${legend}
  <text x="${(L + W) / 2}" y="${H - 8}" text-anchor="middle" font-size="11">seconds (keep-alive GET ${values.keepalive} s, fresh GET ${values.fresh} s, POST ${values.post} s; ${values.clients} clients)</text>
  <text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle" font-size="11">process tree PSS, MiB</text>
</svg>
`;
}

const chosen = servers.filter((s) => values.servers.split(',').includes(s.name));
const result: Record<string, unknown> = { benchmark: 'seed', node: process.version, clients: Number(values.clients), cap_mib_per_worker: CAP_MIB };
const tables: Record<string, unknown> = {};
const runs: Record<string, Concurrent> = {};
const skipped: string[] = [];
for (const s of chosen) {
  if (!s.available()) {
    skipped.push(s.name);
    process.stderr.write(`${s.name}: not installed, skipped\n`);
    continue;
  }
  if (!values['no-table']) tables[s.name] = await table(s);
  const c = await concurrent(s);
  if (c) runs[s.name] = c;
}
stopAll();
result.table_mib_after_requests = { requests: values.table.split(',').map(Number), ...tables };
result.concurrent = Object.fromEntries(Object.entries(runs).map(([k, r]) => [k, { ...r, series: r.series.filter((_, i) => i % 4 === 0) }]));
result.skipped = skipped;
if (values.svg && Object.keys(runs).length) {
  writeFileSync(values.svg, svg(runs));
  process.stderr.write(`wrote ${values.svg}\n`);
}
console.log(JSON.stringify(result, null, 2));
