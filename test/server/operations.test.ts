// Operations end to end: daemon mode, pidfile control, zero-loss reloads, signals, touch files, the master
// fifo, systemd notifications and privileges.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { connect, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { alive, APPS, BIN, freePort, load, probeMarks, request, ROOT, runTsws, SAMPLES, startTsws, tcpListening, tempDir, track, waitFor } from '../helpers/tsws.js';

const probe = `module = ${APPS}/probe.js`;

function session(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[3]);
}

test('daemonize + pidfile: returns once ready, master in its own session, log fills, app answers; a second start is refused', async () => {
  const dir = tempDir();
  const ini = join(dir, 'app.ini');
  writeFileSync(ini, `[uwsgi]\n${probe}\nhttp = 127.0.0.1:0\nprocesses = 2\ndaemonize = ${dir}/tsws.log\npidfile = ${dir}/app.pid\n`);
  const first = await runTsws(['--ini', ini], { cwd: dir });
  assert.equal(first.code, 0, first.out);
  assert.ok(first.ms < 10_000, `returned after ${first.ms} ms`);
  const pid = Number(readFileSync(join(dir, 'app.pid'), 'utf8'));
  track(pid);
  assert.match(first.out, new RegExp(`daemonized: master pid ${pid}`));
  assert.equal(session(pid), pid, 'the master leads its own session');
  const log = readFileSync(join(dir, 'tsws.log'), 'utf8');
  assert.match(log, /ready on/);
  const url = /listening on (\S+)/.exec(log)![1];
  assert.equal((await request(`${url}/pid`)).status, 200);
  await waitFor('the request line in the log', () => readFileSync(join(dir, 'tsws.log'), 'utf8').includes('GET /pid'));

  const second = await runTsws(['--ini', ini], { cwd: dir });
  assert.notEqual(second.code, 0);
  assert.match(second.out, new RegExp(`already running \\(pid ${pid}\\)`));
  assert.ok(alive(pid), 'the first one is left alone');
  assert.equal((await request(`${url}/pid`)).status, 200);

  const stop = await runTsws(['--stop', join(dir, 'app.pid')], { cwd: dir });
  assert.equal(stop.code, 0, stop.out);
  assert.match(stop.out, new RegExp(`stopped pid ${pid}`));
  assert.ok(!alive(pid));
  assert.ok(!existsSync(join(dir, 'app.pid')), 'pidfile removed');
});

test('a daemon that fails reports why on the launcher\'s stderr, with its exit code', async () => {
  const dir = tempDir();
  const ini = join(dir, 'app.ini');
  writeFileSync(ini, `[uwsgi]\nmodule = ${APPS}/throws-at-load.js\nhttp = 127.0.0.1:0\ndaemonize = ${dir}/tsws.log\n`);
  const r = await runTsws(['--ini', ini], { cwd: dir });
  assert.equal(r.code, 22);
  assert.match(r.out, /the daemon failed \(exit 22\)/);
  assert.match(r.out, /cannot connect to the model store/);
});

test('a stale pidfile is replaced', async () => {
  const t0 = await startTsws({ ini: `${probe}\nprocesses = 1` });
  t0.signal('SIGKILL'); // leaves nothing behind but proves a dead pid
  const deadPid = t0.pid;
  await t0.exited;
  const dir = tempDir();
  writeFileSync(join(dir, 'app.pid'), `${deadPid}\n`);
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\npidfile = ${dir}/app.pid` });
  assert.equal(Number(readFileSync(join(dir, 'app.pid'), 'utf8')), t.pid);
  assert.equal(await t.stop(), 0);
});

test('tsws --reload PIDFILE during 10 s of load from 6 clients: zero failed requests, every worker replaced', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 3\nthreads = 2\npidfile = app.pid\ndisable-logging = true` });
  const before = t.workers();
  const loadDone = load(t.url, { clients: 6, durationMs: 10_000, path: '/sleep/15' });
  await loadDone.progressed(12); // the reload happens under load, not before it started
  const r = await runTsws(['--reload', join(t.dir, 'app.pid')], { cwd: t.dir });
  assert.equal(r.code, 0, r.out);
  await t.waitForLog(/reload done: 3 of 3 worker\(s\) replaced/, 15_000);
  const result = await loadDone;
  assert.deepEqual(result.errors, {});
  assert.deepEqual(Object.keys(result.statuses), ['200']);
  assert.ok(result.ok > 500, `${result.ok} requests`);
  const after = t.workers();
  assert.equal(after.length, 3);
  for (const p of before) assert.ok(!after.includes(p), `worker ${p} was replaced`);
  const stop = await runTsws(['--stop', join(t.dir, 'app.pid')], { cwd: t.dir });
  assert.equal(stop.code, 0);
  assert.equal(await t.exited, 0);
  assert.ok(!existsSync(join(t.dir, 'app.pid')));
});

test('SIGHUP reloads new app code; a reload whose new code does not load keeps the old workers serving', async () => {
  const dir = tempDir();
  const app = join(dir, 'app.mjs');
  writeFileSync(app, `export default (req, res) => res.end('v1');\n`);
  const t = await startTsws({ ini: `module = ${app}\nprocesses = 2` });
  assert.equal((await request(`${t.url}/`)).body, 'v1');
  writeFileSync(app, `export default (req, res) => res.end('v2');\n`);
  t.signal('SIGHUP');
  await t.waitForLog(/reload done: 2 of 2/);
  assert.equal((await request(`${t.url}/`)).body, 'v2');

  writeFileSync(app, `export default (req, res) => res.end('v3' ;\n`);
  t.signal('SIGHUP');
  await t.waitForLog(/reload of worker \d failed: the new worker did not start/);
  await t.waitForLog(/reload done: 0 of 2/);
  assert.equal((await request(`${t.url}/`)).body, 'v2', 'the old workers still serve');

  // The INI now names a module that does not load: no new worker starts, so the reload is rolled back,
  // and a worker that dies later is respawned with the module that works.
  writeFileSync(app, `export default (req, res) => res.end('v2');\n`);
  writeFileSync(join(dir, 'broken.mjs'), `export default (req, res) => res.end('b' ;\n`);
  const ini = join(t.dir, 'app.ini');
  writeFileSync(ini, readFileSync(ini, 'utf8').replace(app, join(dir, 'broken.mjs')));
  t.signal('SIGHUP');
  await t.waitForLog(/reload applies module = /);
  await t.waitForLog(/no new worker started, so the previous configuration stays in force/);
  const victim = t.workers()[0];
  process.kill(victim, 'SIGKILL');
  await waitFor('the killed worker respawned', () => t.workers().length === 2 && !t.workers().includes(victim));
  await t.waitForLog(new RegExp(`pid ${victim}\\) died(.|\\n)*respawned(.|\\n)*ready in`));
  for (let i = 0; i < 4; i++) assert.equal((await request(`${t.url}/`)).body, 'v2');
  assert.equal(await t.stop(), 0);
});

test('a reload reads the INI again: env, processes and limits apply under load with no request lost; http needs a restart; a broken file is refused', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 3\nthreads = 2\nenv = GREETING=one\ndisable-logging = true` });
  const ini = join(t.dir, 'app.ini');
  assert.equal((await request(`${t.url}/env/GREETING`)).body, 'one');
  const before = t.workers();
  const loadDone = load(t.url, { clients: 4, durationMs: 4000, path: '/sleep/10' });
  await loadDone.progressed(8); // the reload happens under load, not before it started
  const port = new URL(t.url).port;
  writeFileSync(ini, readFileSync(ini, 'utf8')
    .replace('GREETING=one', 'GREETING=two')
    .replace('processes = 3', 'processes = 2')
    .replace(/http = .*/, 'http = 127.0.0.1:1') + 'max-requests = 1000\n');
  t.signal('SIGHUP');
  await t.waitForLog(/reload done: \d of \d worker\(s\) replaced/);
  const result = await loadDone;
  assert.deepEqual(result.errors, {});
  assert.deepEqual(Object.keys(result.statuses), ['200'], JSON.stringify(result.statuses));
  assert.match(t.output(), /reload applies env = \["GREETING=two"\], processes = 2, max-requests = 1000/);
  assert.match(t.output(), /app\.ini:2: http changed to \["127\.0\.0\.1:1"\]: a restart applies it; still \["127\.0\.0\.1:0"\]/);
  await waitFor('two workers, none of the old ones', () => {
    const now = t.workers();
    return now.length === 2 && now.every((p) => !before.includes(p));
  });
  for (let i = 0; i < 4; i++) assert.equal((await request(`${t.url}/env/GREETING`)).body, 'two');
  assert.equal(new URL(t.url).port, port, 'still serving on the socket it bound');

  // A broken file changes nothing: the errors are logged with file and line, the same workers serve.
  const serving = t.workers();
  const good = readFileSync(ini, 'utf8').replace('GREETING=two', 'GREETING=three') + 'harakiri = 1\n';
  writeFileSync(ini, good + 'processes = many\nlog-format = %(uri) %(bogus)\n');
  t.signal('SIGHUP');
  await t.waitForLog(/reload refused: app\.ini:\d+: processes: /);
  await t.waitForLog(/reload refused: app\.ini:\d+: log-format: unknown variable %\(bogus\)/);
  await t.waitForLog(/reload \(SIGHUP\) refused: 2 configuration errors; the running workers and configuration stay/);
  // So is a memory limit a fresh worker already exceeds (it would recycle every worker forever).
  writeFileSync(ini, good + 'reload-on-rss = 5\n');
  t.signal('SIGHUP');
  await t.waitForLog(/reload refused: app\.ini:\d+: reload-on-rss 5 MiB is below the memory of a fresh worker/);
  await t.waitForLog(/reload \(SIGHUP\) refused: 1 configuration error;/);
  assert.deepEqual(t.workers().sort(), serving.sort());
  assert.equal((await request(`${t.url}/env/GREETING`)).body, 'two');

  // Fixed: the new harakiri is enforced by the router, not just logged.
  writeFileSync(ini, good);
  t.signal('SIGHUP');
  await t.waitForLog(/reload applies env = \["GREETING=three"\], harakiri = 1\b/);
  await t.waitForLog(/reload done: 2 of 2 worker\(s\) replaced\n(.|\n)*reload done: 2 of 2/);
  assert.equal((await request(`${t.url}/env/GREETING`)).body, 'three');
  const slow = await request(`${t.url}/sleep/4000`);
  assert.equal(slow.status, 504, 'harakiri = 1 cut the 4 s request short');
  assert.equal(await t.stop(), 0);
});

test('a reload whose old worker dies while the new one loads is not mistaken for a failed reload', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/slow-start.mjs\nprocesses = 1\nenv = GREETING=one` });
  const ini = join(t.dir, 'app.ini');
  assert.equal((await request(`${t.url}/`)).body, 'one');
  const [old] = t.workers();
  writeFileSync(ini, readFileSync(ini, 'utf8').replace('GREETING=one', 'GREETING=two\nenv = SLOW_START_MS=1500'));
  t.signal('SIGHUP');
  await t.waitForLog(/reload applies env = /);
  // The new worker, already loading under the new configuration, takes the slot; no second one is spawned
  // beside it (it was before issue 12: a model service would have loaded its model twice at once).
  process.kill(old, 'SIGKILL');
  await t.waitForLog(/reload done: 1 of 1 worker\(s\) replaced/);
  assert.equal(t.output().match(/worker 1 \(pid \d+\) spawned/g)?.length, 2, 'the first worker and its successor, no third');
  await waitFor('a worker serving again', async () => (await request(`${t.url}/`).catch(() => null))?.status === 200);
  assert.equal((await request(`${t.url}/`)).body, 'two');
  assert.doesNotMatch(t.output(), /previous configuration stays in force|reload of worker 1 failed/);
  assert.equal(await t.stop(), 0);
});

test('SIGTTIN adds a worker, SIGTTOU removes one; SIGUSR2 and other stray signals leave the master running', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 2` });
  t.signal('SIGTTIN');
  await waitFor('3 workers', () => t.workers().length === 3 && t.output().includes('processes: 3'));
  t.signal('SIGTTOU');
  await waitFor('2 workers', () => t.workers().length === 2);
  for (const sig of ['SIGUSR2', 'SIGTSTP', 'SIGALRM', 'SIGWINCH', 'SIGPIPE'] as NodeJS.Signals[]) t.signal(sig);
  await t.waitForLog(/SIGUSR2 ignored/);
  const state = readFileSync(`/proc/${t.pid}/stat`, 'utf8').split(') ')[1][0];
  assert.notEqual(state, 'T', 'not stopped by SIGTSTP');
  assert.equal((await request(`${t.url}/pid`)).status, 200);
  t.signal('SIGUSR1');
  await t.waitForLog(/status \(SIGUSR1\):\n\s*wid\s+pid\s+state\s+requests/);
  assert.equal(tcpListening(9229), false, 'SIGUSR1 did not start the inspector');
  assert.equal(await t.stop(), 0);
});

test('SIGINT is a quick stop: the master exits at once; a request in flight gets 502, not a dropped connection', async () => {
  const marks = probeMarks();
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\n${marks.ini}` });
  const slow = request(`${t.url}/sleep/5000`, { method: 'POST', body: 'x', headers: { 'content-length': '1' } });
  await marks.started();
  const start = Date.now();
  t.signal('SIGINT');
  const r = await slow;
  assert.equal(r.status, 502);
  assert.equal(await t.exited, 0);
  assert.ok(Date.now() - start < 3000);
});

test('a unix datagram listener on NOTIFY_SOCKET receives READY=1, then STOPPING=1', async () => {
  const dir = tempDir();
  const sock = join(dir, 'notify.sock');
  // Node has no unix datagram sockets; python3 plays systemd's part.
  const listener = spawn('python3', ['-u', '-c', `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    data = s.recv(4096)
    print(data.decode().replace("\\n", " | "), flush=True)
`, sock]);
  track(listener.pid!);
  let heard = '';
  listener.stdout.on('data', (b) => (heard += b));
  await waitFor('the listener', () => heard.includes('listening'));
  const t = await startTsws({ ini: `${probe}\nprocesses = 1`, env: { NOTIFY_SOCKET: sock } });
  await waitFor('READY=1', () => /READY=1/.test(heard) && heard, 5000);
  assert.match(heard, new RegExp(`MAINPID=${t.pid}`));
  assert.match(heard, /STATUS=1 worker\(s\) x 1 thread\(s\) ready on/);
  t.signal('SIGHUP');
  await waitFor('RELOADING=1', () => /RELOADING=1/.test(heard), 5000);
  await t.stop();
  await waitFor('STOPPING=1', () => /STOPPING=1/.test(heard), 5000);
  listener.kill();
});

test('touch-reload: touching the file replaces every worker', async () => {
  const dir = tempDir();
  const touch = join(dir, 'reload.touch');
  writeFileSync(touch, '');
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\ntouch-reload = ${touch}\nmaster-interval = 0.2` });
  const before = t.workers();
  const later = new Date(Date.now() + 5000);
  utimesSync(touch, later, later);
  await t.waitForLog(/reload of 2 worker\(s\): touch-reload/);
  await t.waitForLog(/reload done: 2 of 2/);
  await waitFor('new workers', () => {
    const now = t.workers();
    return now.length === 2 && now.every((p) => !before.includes(p));
  });
  assert.equal(await t.stop(), 0);
});

test('master-fifo: c chain-reloads, + adds a worker, s logs the status, l reopens the log, q stops gracefully', async () => {
  const dir = tempDir();
  const fifo = join(dir, 'master.fifo');
  const logfile = join(dir, 'tsws.log');
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nmaster-fifo = ${fifo}\nlogto = ${logfile}\nvacuum = true`, waitReady: false });
  await waitFor('ready', () => existsSync(logfile) && readFileSync(logfile, 'utf8').includes('ready on'));
  const before = t.workers();
  writeFileSync(fifo, 'c');
  await waitFor('chain reload', () => readFileSync(logfile, 'utf8').includes('reload done: 1 of 1'));
  await waitFor('the old worker to exit', () => !t.workers().includes(before[0]));
  writeFileSync(fifo, '+s');
  await waitFor('2 workers', () => t.workers().length === 2);
  await waitFor('status', () => readFileSync(logfile, 'utf8').includes('status (fifo s)'));
  renameSync(logfile, `${logfile}.1`); // what logrotate does
  writeFileSync(fifo, 'l');
  await waitFor('a new log file', () => existsSync(logfile) && readFileSync(logfile, 'utf8').includes('log reopened'));
  writeFileSync(fifo, 'q');
  assert.equal(await t.exited, 0);
  assert.match(readFileSync(logfile, 'utf8'), /graceful stop \(fifo q\)/);
  assert.ok(!existsSync(fifo), 'vacuum removed the fifo');
});

test('several master fifos: only the active one is read; a digit switches, and what waited in the other runs then', async () => {
  const dir = tempDir();
  const [a, b] = [join(dir, 'a.fifo'), join(dir, 'b.fifo')];
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nmaster-fifo = ${a}\nmaster-fifo = ${b}` });
  const at = (re: RegExp) => t.output().search(re);
  writeFileSync(b, 's'); // b is not active yet: the command waits in its pipe
  writeFileSync(a, '1');
  await t.waitForLog(/status \(fifo s\)/);
  assert.ok(at(/b\.fifo \(fifo 1\) is now the active one/) >= 0 && at(/b\.fifo \(fifo 1\) is now the active one/) < at(/status \(fifo s\)/), t.output());
  writeFileSync(a, '+'); // a is inactive now
  writeFileSync(b, '0');
  // The log line, not the process: a worker exists a moment before the master's buffered log says so.
  await t.waitForLog(/processes: 2 \(one more\)/);
  assert.ok(at(/a\.fifo \(fifo 0\) is now the active one/) < at(/processes: 2 \(one more\)/), t.output());
  writeFileSync(a, '7');
  await t.waitForLog(/master-fifo: command 7: there is no fifo 7 \(2 listed, counted from 0\)/);
  writeFileSync(a, 'q');
  assert.equal(await t.exited, 0);
});

test('uid/gid: workers run as the given user after the master bound its socket', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
  const t = await startTsws({ ini: `module = ${SAMPLES}/hello.js\nprocesses = 1\nuid = nobody\ngid = nogroup` });
  const [w] = t.workers();
  const status = readFileSync(`/proc/${w}/status`, 'utf8');
  const nobody = spawnSync('id', ['-u', 'nobody']).stdout.toString().trim();
  assert.match(status, new RegExp(`^Uid:\\s+${nobody}\\s`, 'm'));
  assert.match(t.output(), new RegExp(`running as uid ${nobody}`));
  assert.equal((await request(`${t.url}/`)).status, 200);
  assert.equal(await t.stop(), 0);
});

test('systemd-analyze verify accepts conf/tsws.service', { skip: spawnSync('sh', ['-c', 'command -v systemd-analyze']).status !== 0 && 'systemd-analyze not installed' }, () => {
  for (const unit of ['tsws.service']) {
    const r = spawnSync('systemd-analyze', ['verify', join(ROOT, 'conf', unit)], { encoding: 'utf8' });
    // verify also checks that ExecStart's binary exists; /usr/bin/env does.
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.doesNotMatch(r.stderr, /tsws\.service:\d+:/, r.stderr);
  }
});

test('conf/nginx.conf in front of tsws on a unix socket: requests, X-Forwarded-* kept, zero loss across a reload', { skip: spawnSync('sh', ['-c', 'command -v nginx']).status !== 0 && 'nginx not installed' }, async () => {
  const dir = tempDir();
  const sock = join(dir, 'http.sock');
  const port = await freePort();
  // The shipped example, with this test's socket and port, inside a minimal main configuration.
  const site = readFileSync(join(ROOT, 'conf/nginx.conf'), 'utf8').replaceAll('/run/myapp/http.sock', sock).replace('listen 80;', `listen 127.0.0.1:${port};`);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off; worker_processes 1; ${process.getuid?.() === 0 ? 'user root;' : ''} pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 256; }
http { access_log off; client_body_temp_path ${dir}/b; proxy_temp_path ${dir}/p; fastcgi_temp_path ${dir}/f; uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;
${site}
}
`,
  );
  const t = await startTsws({ ini: `${probe}\nhttp = ${sock}\nprocesses = 2\nforwarded-allow-ips = unix\ndisable-logging = true` });
  const nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  track(nginx.pid!);
  const url = `http://127.0.0.1:${port}`;
  await waitFor('nginx', async () => (await request(`${url}/pid`).catch(() => null))?.status === 200, 5000, 100);
  const h = JSON.parse((await request(`${url}/headers`, { headers: { host: 'shop.example' } })).body);
  assert.equal(h['x-forwarded-for'], '127.0.0.1', 'the client address nginx saw, kept by tsws');
  assert.equal(h['x-forwarded-host'], 'shop.example');
  assert.equal(h.host, 'shop.example');
  // A WebSocket upgrade passes through nginx and tsws to the app, both ways (issue 13).
  const ws = connect(port, '127.0.0.1');
  let got = '';
  ws.on('data', (b) => (got += b));
  ws.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
  await waitFor('101 through nginx', () => got.includes('\r\n\r\n'));
  assert.match(got, /^HTTP\/1\.1 101 Switching Protocols/);
  got = '';
  ws.write('ping-1');
  await waitFor('the echo through nginx', () => got === 'ping-1');
  ws.destroy();
  const loadDone = load(url, { clients: 4, durationMs: 4000, path: '/sleep/10' });
  await loadDone.progressed(8); // the reload happens under load, not before it started
  t.signal('SIGHUP');
  const r = await loadDone;
  assert.deepEqual(r.errors, {});
  assert.deepEqual(Object.keys(r.statuses), ['200'], JSON.stringify(r.statuses));
  nginx.kill('SIGQUIT');
  assert.equal(await t.stop(), 0);
});

test('socket activation: with LISTEN_FDS=2 and LISTEN_PID set, tsws serves on the inherited fds 3 and 4', async () => {
  // What systemd does for a .socket unit with two ListenStream= lines: bind, then start the service with the
  // sockets as fds 3 and 4.
  const listeners = [createNetServer().listen(0, '127.0.0.1'), createNetServer().listen(0, '127.0.0.1')];
  await Promise.all(listeners.map((l) => new Promise((r) => l.once('listening', r))));
  const ports = listeners.map((l) => (l.address() as { port: number }).port);
  const fds = listeners.map((l) => (l as unknown as { _handle: { fd: number } })._handle.fd);
  const dir = tempDir();
  writeFileSync(join(dir, 'app.ini'), `[uwsgi]\n${probe}\nprocesses = 1\n`);
  const p = spawn('sh', ['-c', 'LISTEN_PID=$$ LISTEN_FDS=2 exec "$@"', 'sh', process.execPath, BIN, '--ini', join(dir, 'app.ini')], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe', ...fds],
  });
  track(p.pid!);
  let out = '';
  p.stderr!.on('data', (b) => (out += b));
  await waitFor('ready', () => out.includes('ready on'));
  for (const l of listeners) l.close(); // the test's copies; tsws keeps its own
  for (const port of ports) {
    assert.match(out, new RegExp(`listening on http://127\\.0\\.0\\.1:${port} \\(systemd socket\\)`));
    assert.equal((await request(`http://127.0.0.1:${port}/pid`)).status, 200);
  }
  const r = await request(`http://127.0.0.1:${ports[1]}/env/LISTEN_FDS`);
  assert.equal(r.status, 200);
  assert.equal(r.body, 'undefined', 'workers do not inherit LISTEN_FDS');
  assert.equal((await request(`http://127.0.0.1:${ports[0]}/env/NOTIFY_SOCKET`)).body, 'undefined');
  p.kill('SIGTERM');
  await new Promise((r2) => p.once('exit', r2));
});
