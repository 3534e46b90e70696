// Observability: the uWSGI-shaped stats server, Prometheus text over stats-http, and `tsws top` in tmux.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { APPS, BIN, load, request, runTsws, startTsws, tempDir, waitFor } from '../helpers/tsws.js';

const probe = `module = ${APPS}/probe.js`;

function rawStats(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, host);
    let d = '';
    s.on('data', (b) => (d += b));
    s.on('end', () => resolve(d));
    s.on('error', reject);
  });
}

const WORKER_FIELDS = ['id', 'pid', 'accepting', 'requests', 'delta_requests', 'exceptions', 'harakiri_count', 'signals', 'status', 'rss', 'vsz', 'running_time', 'avg_rt', 'last_spawn', 'respawn_count', 'tx', 'cores'];
const TOP_FIELDS = ['version', 'pid', 'uid', 'gid', 'cwd', 'listen_queue', 'listen_queue_errors', 'load', 'sockets', 'workers'];

test('the raw TCP stats server sends one uWSGI-shaped JSON document with every field, for 3 workers', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 3\nthreads = 2\nstats = 127.0.0.1:0\nmaster-interval = 0.2` });
  const m = await t.waitForLog(/stats on 127\.0\.0\.1:(\d+)/);
  await load(t.url, { clients: 3, count: 30, path: '/pid' });
  // The master samples memory at each poll (every 0.2 s here): wait until it has for every worker.
  const doc = await waitFor('memory sampled for every worker', async () => {
    const d = JSON.parse(await rawStats('127.0.0.1', Number(m[1])));
    return d.workers.length === 3 && d.workers.every((w: { rss: number }) => w.rss > 0) && d;
  });
  for (const f of TOP_FIELDS) assert.ok(f in doc, `top-level ${f}`);
  assert.equal(doc.pid, t.pid);
  assert.equal(doc.workers.length, 3);
  assert.deepEqual(doc.sockets[0].proto, 'http');
  assert.equal(doc.sockets[0].max_queue, 100);
  let served = 0;
  for (const w of doc.workers) {
    for (const f of WORKER_FIELDS) assert.ok(f in w, `worker field ${f}`);
    assert.ok(w.rss > 1024 * 1024, `worker ${w.id} rss ${w.rss}`);
    assert.ok(w.vsz > w.rss);
    assert.equal(w.cores.length, 2);
    // Every request of this incarnation started on some core: core 0 when the worker was idle, core 1 beside
    // another one (retried attempts would count on both workers; nothing is retried here).
    assert.equal(w.cores.reduce((n: number, c: { requests: number }) => n + c.requests, 0), w.delta_requests, JSON.stringify(w.cores));
    assert.ok(w.cores[0].requests > 0);
    assert.ok(['idle', 'busy'].includes(w.status));
    for (const f of ['in_flight', 'state', 'last_recycle_reason']) assert.ok(f in w, `tsws field ${f}`);
    served += w.requests;
  }
  assert.equal(served, 30);
  assert.ok(doc.workers.every((w: { requests: number }) => w.requests > 0), 'every worker served some');
  assert.equal(doc.tsws.requests, 30);
  for (const f of ['in_flight', 'queue', 'recycles', 'respawns']) assert.ok(f in doc.tsws, `tsws.${f}`);
  assert.equal(await t.stop(), 0);
});

test('recycles are counted by reason in the stats, and the last reason is shown per worker', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nmax-requests = 3\nstats = 127.0.0.1:0` });
  const m = await t.waitForLog(/stats on 127\.0\.0\.1:(\d+)/);
  await load(t.url, { clients: 1, count: 7, path: '/pid' });
  await t.waitForLog(/recycling: max-requests/);
  const doc = await waitFor('two recycles', async () => {
    const d = JSON.parse(await rawStats('127.0.0.1', Number(m[1])));
    return d.tsws.recycles['max-requests'] >= 2 && d;
  });
  const w = doc.workers.find((x: { state: string }) => x.state === 'serving');
  assert.match(w.last_recycle_reason, /max-requests reached/);
  assert.ok(w.respawn_count >= 3);
  assert.ok(w.requests >= 6 && w.delta_requests < w.requests, 'requests kept across respawns, delta_requests per incarnation');
  await t.stop();
});

/** A strict reader of the Prometheus text format 0.0.4: returns families with their samples, or throws. */
function parseExposition(text: string): Map<string, { type: string; samples: { name: string; labels: string; value: number }[] }> {
  const families = new Map<string, { type: string; samples: { name: string; labels: string; value: number }[] }>();
  let current = '';
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  for (const line of text.trimEnd().split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line))) continue;
    if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line))) {
      assert.ok(!families.has(m[1]), `TYPE ${m[1]} twice`);
      families.set(m[1], { type: m[2], samples: [] });
      current = m[1];
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+-]+|\+Inf|NaN)$/.exec(line);
    assert.ok(m, `not a valid sample line: ${line}`);
    const base = m[1].replace(/_(bucket|sum|count)$/, '');
    const fam = families.get(m[1]) ?? families.get(base);
    assert.ok(fam && (families.get(m[1]) === fam || fam.type === 'histogram'), `sample ${m[1]} outside its family`);
    assert.ok(m[1] === current || base === current, `sample ${m[1]} not grouped under ${current}`);
    fam.samples.push({ name: m[1], labels: m[2] ?? '', value: Number(m[3]) });
  }
  for (const [name, f] of families) {
    if (f.type === 'counter') assert.ok(name.endsWith('_total'), `counter ${name} ends in _total`);
    // tsws_ for tsws's own; the master's process figures take the names client libraries use for theirs.
    assert.match(name, /^(tsws_|process_|nodejs_)/, `${name} has the tsws_ prefix (or a standard process_/nodejs_ name)`);
  }
  return families;
}

test('stats-http: JSON at /, Prometheus text at /metrics in a valid exposition format (promtool too, when installed)', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\nstats = 127.0.0.1:0\nstats-http = true\nmaster-interval = 0.2` });
  const m = await t.waitForLog(/stats on http:\/\/127\.0\.0\.1:(\d+)/);
  const base = `http://127.0.0.1:${m[1]}`;
  await load(t.url, { clients: 2, count: 20, path: '/sleep/5' });
  await request(`${t.url}/nope`); // a 404 from the app
  await waitFor('memory sampled for both workers', async () => {
    const d = JSON.parse((await request(`${base}/`)).body);
    return d.workers.every((w: { rss: number }) => w.rss > 0);
  });
  // CPU time comes from /proc/PID/stat at each poll; a worker that loaded Node and an app has used some.
  await waitFor('cpu sampled for both workers', async () => {
    const cpu = parseExposition((await request(`${base}/metrics`)).body).get('tsws_worker_cpu_seconds_total')!.samples;
    return cpu.length === 2 && cpu.every((s) => s.value > 0);
  });
  const json = await request(`${base}/`);
  assert.equal(json.headers['content-type'], 'application/json');
  assert.equal(JSON.parse(json.body).workers.length, 2);
  const metrics = await request(`${base}/metrics`);
  assert.match(String(metrics.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const fams = parseExposition(metrics.body);
  const req = fams.get('tsws_requests_total')!;
  assert.equal(req.samples.find((s) => s.labels === '{status_class="2xx"}')!.value, 20);
  assert.equal(req.samples.find((s) => s.labels === '{status_class="4xx"}')!.value, 1);
  const h = fams.get('tsws_request_duration_seconds')!;
  assert.equal(h.type, 'histogram');
  const buckets = h.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => s.value);
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i] >= buckets[i - 1], 'cumulative buckets');
  assert.equal(buckets.at(-1), h.samples.find((s) => s.name.endsWith('_count'))!.value);
  assert.equal(buckets.at(-1), 21);
  for (const s of fams.get('tsws_worker_rss_bytes')!.samples) assert.ok(s.value > 1024 * 1024);
  assert.ok(fams.has('tsws_recycles_total') && fams.has('tsws_respawns_total') && fams.has('tsws_queue_requests'));
  // The master's own process figures, under the standard names; the JSON has the same in tsws.master.
  const one = (name: string) => fams.get(name)!.samples[0].value;
  assert.ok(one('process_open_fds') >= 5, 'listening socket, stats socket, worker pipes…');
  assert.ok(one('process_resident_memory_bytes') > 10 * 1024 * 1024);
  assert.ok(one('nodejs_heap_size_used_bytes') > 1024 * 1024 && one('nodejs_heap_size_used_bytes') < one('nodejs_heap_size_total_bytes'));
  assert.equal(fams.get('process_cpu_seconds_total')!.type, 'counter');
  const master = JSON.parse(json.body).tsws.master;
  assert.deepEqual(Object.keys(master), ['rss', 'heap_used', 'heap_total', 'fds', 'cpu_seconds']);
  assert.ok(master.fds >= 5 && master.rss > 10 * 1024 * 1024);
  if (spawnSync('sh', ['-c', 'command -v promtool']).status === 0) {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: metrics.body, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  }
  assert.equal((await request(`${base}/other`)).status, 404);
  assert.equal(await t.stop(), 0);
});

test('stats on a unix socket; a non-loopback address gets a warning', async () => {
  const sock = join(tempDir(), 'stats.sock');
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nstats = ${sock}` });
  const doc = await new Promise<string>((resolve) => {
    const s = connect(sock);
    let d = '';
    s.on('data', (b) => (d += b));
    s.on('end', () => resolve(d));
  });
  assert.equal(JSON.parse(doc).workers.length, 1);
  await t.stop();
  const open = await startTsws({ ini: `${probe}\nprocesses = 1\nstats = 0.0.0.0:0` });
  assert.match(open.output(), /stats on 0\.0\.0\.0:\d+ is reachable beyond this host/);
  await open.stop();
});

/** The JSON document the raw stats server sends on a unix socket. */
function unixStats(path: string): Promise<{ pid: number; workers: unknown[] }> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let d = '';
    s.on('data', (b) => (d += b));
    s.on('end', () => resolve(JSON.parse(d)));
    s.on('error', reject);
  });
}

test('a second tsws with the same stats socket refuses to start and the first keeps serving its stats; a stale socket is taken over', async () => {
  const sock = join(tempDir(), 'stats.sock');
  const ini = `${probe}\nprocesses = 1\nstats = ${sock}`;
  const first = await startTsws({ ini });
  const second = await startTsws({ ini, waitReady: false });
  // Exits, or (the bug) comes up serving on the first one's socket.
  const outcome = await Promise.race([second.exited, second.waitForLog(/ready on /).then(() => 'started', () => second.exited)]);
  assert.equal(outcome, 1, second.output());
  assert.ok(second.output().includes(`stats: ${sock} is in use by another process`), second.output());
  assert.equal((await unixStats(sock)).pid, first.pid, 'the first master still answers on its stats socket');
  assert.equal((await request(`${first.url}/pid`)).status, 200);
  // Killed, the first master leaves its socket file behind with nobody answering: the next one replaces it.
  first.signal('SIGKILL');
  await first.exited;
  const third = await startTsws({ ini });
  assert.equal((await unixStats(sock)).pid, third.pid);
  third.signal('SIGTERM');
  assert.equal(await third.exited, 0);
});

test('tsws top, run in tmux, shows every worker pid within 3 s and quits on q', { skip: spawnSync('sh', ['-c', 'command -v tmux']).status !== 0 && 'tmux not installed' }, async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 3\nstats = 127.0.0.1:0` });
  const port = (await t.waitForLog(/stats on 127\.0\.0\.1:(\d+)/))[1];
  const session = `tsws-top-${process.pid}-${Date.now()}`;
  const tmux = (...a: string[]) => spawnSync('tmux', a, { encoding: 'utf8' });
  const r = tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', `${process.execPath} ${BIN} top 127.0.0.1:${port}`);
  assert.equal(r.status, 0, r.stderr);
  try {
    const pids = t.workers().map(String);
    const started = Date.now();
    const screen = await waitFor('every worker pid on the screen', () => {
      const s = tmux('capture-pane', '-p', '-t', session).stdout;
      return pids.every((p) => s.includes(p)) && s;
    }, 3000);
    assert.ok(Date.now() - started <= 3000);
    assert.match(screen, /WID\s+PID STATUS/);
    assert.match(screen, /req: \d+ - RPS: \d+ - queue: 0/);
    for (const line of screen.split('\n')) assert.ok(line.length <= 80, `fits 80 columns: ${line}`);
    tmux('send-keys', '-t', session, 'q');
    await waitFor('top to quit', () => tmux('has-session', '-t', session).status !== 0, 3000);
  } finally {
    tmux('kill-session', '-t', session);
  }
  await t.stop();
});

test('tsws top in a dumb terminal prints plain frames without escape codes', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\nstats = 127.0.0.1:0` });
  const port = (await t.waitForLog(/stats on 127\.0\.0\.1:(\d+)/))[1];
  const r = await runTsws(['top', `127.0.0.1:${port}`], { input: '', timeoutMs: 5000, env: { TERM: 'dumb' } });
  assert.match(r.stdout, /WID\s+PID STATUS/);
  assert.doesNotMatch(r.stdout, /\x1b\[/);
  for (const p of t.workers()) assert.ok(r.stdout.includes(String(p)));
  assert.match(r.stdout, /^tsws-\S+ - master \d+ - up \d+s - rss \d+M heap \d+M fds \d+ - /m, 'the master\'s own figures in the header');
  // `tsws top | head`: when the reader goes away, top quits quietly with 0, not with an EPIPE stack.
  const piped = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [BIN, 'top', `127.0.0.1:${port}`], { env: { ...process.env, TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (b) => (stderr += b));
    p.stdout.once('data', () => p.stdout.destroy());
    const guard = setTimeout(() => p.kill('SIGKILL'), 10_000);
    p.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stderr });
    });
  });
  assert.deepEqual(piped, { code: 0, stderr: '' });
  await t.stop();
});

test('a live worker never shows rss 0 in the stats (measured at spawn and ready, before any poll), and per-core counts never go back through recycles', async () => {
  // master-interval = 60: no poll happens during the test, so any rss seen was measured at spawn or ready.
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\nthreads = 2\nmax-requests = 3\nmax-requests-jitter = 0\nstats = 127.0.0.1:0\nmaster-interval = 60\ndisable-logging = true` });
  const m = await t.waitForLog(/stats on 127\.0\.0\.1:(\d+)/);
  const read = async () => JSON.parse(await rawStats('127.0.0.1', Number(m[1]))) as { workers: { id: number; pid: number; rss: number; requests: number; in_flight: number; cores: { requests: number }[] }[] };
  const first = await read();
  assert.ok(first.workers.every((w) => w.rss > 1024 * 1024), JSON.stringify(first.workers.map((w) => w.rss)));
  const seen = new Map<number, number>(); // pid → per-core total last seen
  const pids = new Set<number>();
  const running = load(t.url, { clients: 2, count: 120, path: '/pid' });
  let snapshots = 0;
  let done = false;
  void running.then(() => (done = true));
  while (!done || snapshots === 0) {
    for (const w of (await read()).workers) {
      pids.add(w.pid);
      const cores = w.cores.reduce((n, c) => n + c.requests, 0);
      assert.ok(w.rss > 0, `worker ${w.id} (pid ${w.pid}) shows rss 0`);
      assert.ok(cores >= (seen.get(w.pid) ?? 0), `worker ${w.id} (pid ${w.pid}): cores went back from ${seen.get(w.pid)} to ${cores}`);
      seen.set(w.pid, cores);
      // A request counts on a core when it is sent and in `requests` when it ends: the two differ by what is in flight.
      assert.ok(cores >= w.requests && cores <= w.requests + w.in_flight, `worker ${w.id}: per-core counts ${cores} vs requests ${w.requests} + ${w.in_flight} in flight, across respawns`);
    }
    snapshots++;
  }
  const r = await running;
  assert.equal(r.ok, 120);
  assert.ok(pids.size > 4, `recycled: ${pids.size} pids seen`);
  assert.equal(await t.stop(), 0);
});
