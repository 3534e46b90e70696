// The core server end to end: master, workers and router, through the real bin/tsws.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { alive, APPS, load, probeMarks, request, SAMPLES, startTsws, waitFor } from '../helpers/tsws.js';

test('200 requests from 8 clients are all answered and spread over all 4 workers', async () => {
  const t = await startTsws({ ini: `module = ${SAMPLES}/hello.js\nprocesses = 4\nthreads = 2\ndisable-logging = true` });
  const r = await load(t.url, { clients: 8, count: 200, keepBodies: true });
  assert.deepEqual(r.errors, {});
  assert.equal(r.ok, 200, JSON.stringify(r.statuses));
  const pids = new Set(r.bodies.map((b) => b.trim().split(' ').pop()));
  assert.equal(pids.size, 4, `served by ${[...pids].join(', ')}`);
  const workers = t.workers().map(String);
  for (const p of pids) assert.ok(workers.includes(p!), `pid ${p} is one of the master's workers ${workers}`);
  assert.equal(await t.stop(), 0);
});

test('threads = 1: a worker never serves two requests at once', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/probe.js\nprocesses = 2\nthreads = 1\ndisable-logging = true` });
  const r = await load(t.url, { clients: 8, count: 40, path: '/sleep/20', keepBodies: true });
  assert.equal(r.ok, 40);
  // Each body is "PID INFLIGHT", INFLIGHT being what the worker was serving when the request began.
  const concurrency = r.bodies.map((b) => Number(b.split(' ')[1]));
  assert.deepEqual([...new Set(concurrency)], [1]);
  await t.stop();
});

test('threads = 2 lets a worker serve two at once (the limit is real, not just 1)', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/probe.js\nprocesses = 1\nthreads = 2\ndisable-logging = true` });
  const r = await load(t.url, { clients: 6, count: 18, path: '/sleep/40', keepBodies: true });
  assert.equal(r.ok, 18);
  const concurrency = new Set(r.bodies.map((b) => Number(b.split(' ')[1])));
  assert.ok(concurrency.has(2), `saw ${[...concurrency]}`);
  assert.ok(!concurrency.has(3), `saw ${[...concurrency]}`);
  await t.stop();
});

test('processes = 1, threads = 1, listen = 2: of 8 concurrent slow requests 3 succeed, 5 get 503', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/probe.js\nprocesses = 1\nthreads = 1\nlisten = 2` });
  const replies = await Promise.all(Array.from({ length: 8 }, () => request(`${t.url}/sleep/400`)));
  const statuses = replies.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 200, 200, 503, 503, 503, 503, 503]);
  const busy = replies.find((r) => r.status === 503)!;
  assert.equal(busy.headers['retry-after'], '1');
  assert.match(busy.body, /queue is full/);
  await t.stop();
});

test('kill -9 of a worker: it is replaced and the next requests all succeed', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/probe.js\nprocesses = 2\ndisable-logging = true` });
  const before = t.workers();
  assert.equal(before.length, 2);
  process.kill(before[0], 'SIGKILL');
  await t.waitForLog(new RegExp(`pid ${before[0]}\\) died \\(killed by signal SIGKILL\\)`));
  await waitFor('a replacement worker', () => {
    const now = t.workers();
    return now.length === 2 && !now.includes(before[0]) ? now : null;
  });
  const r = await load(t.url, { clients: 4, count: 40, path: '/pid' });
  assert.equal(r.ok, 40, JSON.stringify(r));
  await t.stop();
});

test('SIGTERM with a 2 s request in flight: new connections are refused, the request gets 200, then the master exits 0 and removes its pidfile', async () => {
  const marks = probeMarks();
  const t = await startTsws({ ini: `module = ${APPS}/probe.js\nprocesses = 2\npidfile = app.pid\n${marks.ini}` });
  const pidfile = join(t.dir, 'app.pid');
  assert.equal(Number(readFileSync(pidfile, 'utf8')), t.pid);
  let answered = false;
  const slow = request(`${t.url}/sleep/2000`).finally(() => (answered = true));
  await marks.started();
  const workers = t.workers();
  t.signal('SIGTERM');
  // New connections are refused while draining, not queued forever: the socket is closed before this line.
  await t.waitForLog(/graceful stop \(SIGTERM\)/);
  await assert.rejects(request(`${t.url}/pid`), { code: 'ECONNREFUSED' });
  assert.ok(!answered, 'refused while the 2 s request was still in flight');
  const reply = await slow;
  assert.equal(reply.status, 200);
  assert.equal(await t.exited, 0);
  assert.ok(!existsSync(pidfile), 'pidfile removed');
  for (const w of workers) assert.ok(!alive(w), `worker ${w} is gone`);
  assert.match(t.output(), /graceful stop \(SIGTERM\)/);
});

test('kill -9 of the master: no worker is left 3 s later', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/probe.js\nprocesses = 3` });
  const workers = t.workers();
  assert.equal(workers.length, 3);
  t.signal('SIGKILL');
  await waitFor('every worker to exit', () => workers.every((w) => !alive(w)), 3000);
});

test('a module with a syntax error: tsws exits non-zero within seconds and prints the SyntaxError', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/syntax-error.js\nprocesses = 2`, waitReady: false });
  const code = await Promise.race([t.exited, new Promise((r) => setTimeout(() => r('timeout'), 8000))]);
  assert.notEqual(code, 'timeout');
  assert.notEqual(code, 0);
  assert.match(t.output(), /SyntaxError/);
  assert.match(t.output(), /syntax-error\.js/);
  // It did not respawn the broken app in a loop.
  assert.ok((t.output().match(/spawned/g) ?? []).length <= 2, t.output());
});

test('an app that throws at load: its own error and stack, exit 22, no respawn loop', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/throws-at-load.js\nprocesses = 1`, waitReady: false });
  assert.equal(await t.exited, 22);
  assert.match(t.output(), /Error: cannot connect to the model store/);
  assert.match(t.output(), /throws-at-load\.js:1/);
});

test('a fetch-handler ES module app serves GET and POST, with repeated Set-Cookie', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/fetch.mjs\nprocesses = 1` });
  const r = await request(`${t.url}/x`);
  assert.equal(r.status, 200);
  assert.match(r.body, /^fetch \/x from \d+$/);
  assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
  const p = await request(`${t.url}/up`, { method: 'POST', body: 'hello world', headers: { 'content-length': '11' } });
  assert.equal(p.status, 201);
  assert.equal(p.body, 'got 11 bytes');
  await t.stop();
});

test('a CommonJS named export (module = file.cjs:name)', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/named.cjs:api\nprocesses = 1` });
  const r = await request(`${t.url}/a/b`);
  assert.equal(r.body, 'cjs /a/b');
  await t.stop();
});

test('http on a unix socket serves', async () => {
  const { tempDir } = await import('../helpers/tsws.js');
  const sock = join(tempDir(), 'app.sock');
  const t = await startTsws({ ini: `module = ${SAMPLES}/hello.js\nhttp = ${sock}\nprocesses = 1\nvacuum = true` });
  assert.equal(t.url, `unix:${sock}`);
  const r = await request('http://localhost/', { socketPath: sock });
  assert.equal(r.status, 200);
  assert.match(r.body, /^hello from pid \d+/);
  assert.equal(await t.stop(), 0);
  assert.ok(!existsSync(sock), 'vacuum removed the socket');
});

test('several http lines, as uWSGI binds them: a TCP port and a unix socket share one pool and one queue', async () => {
  const { tempDir } = await import('../helpers/tsws.js');
  const sock = join(tempDir(), 'app.sock');
  const t = await startTsws({ ini: `module = ${SAMPLES}/hello.js\nhttp = 127.0.0.1:0\nhttp-socket = ${sock}\nprocesses = 2\nvacuum = true\nstats = 127.0.0.1:0\nstats-http = true\nhttp-headers-timeout = 1` });
  assert.match(t.output(), new RegExp(`listening on unix:${sock}`));
  assert.match(t.output(), new RegExp(`ready on ${t.url.replace(/[.]/g, '\\.')}, unix:${sock}`));
  const [tcp, unix] = await Promise.all([
    load(t.url, { clients: 3, count: 60 }),
    load('http://localhost', { clients: 3, count: 60, socketPath: sock }),
  ]);
  for (const r of [tcp, unix]) {
    assert.deepEqual(r.errors, {});
    assert.deepEqual(Object.keys(r.statuses), ['200']);
  }
  const stats = (await t.waitForLog(/stats on (http:\/\/127\.0\.0\.1:\d+)/))[1];
  const doc = JSON.parse((await request(stats + '/')).body) as { sockets: { name: string }[]; workers: { requests: number }[] };
  assert.deepEqual(doc.sockets.map((s) => s.name), [t.url, `unix:${sock}`]);
  assert.equal(doc.workers.reduce((n, w) => n + w.requests, 0), 120, 'every request of both addresses went through the one pool');
  // The router's own deadlines hold on the second address too: a head that never ends gets 408.
  const slow = connect(sock);
  let got = '';
  slow.on('data', (b) => (got += b));
  slow.write('GET / HTTP/1.1\r\nHost: x\r\n');
  await waitFor('408 on the unix socket', () => got.startsWith('HTTP/1.1 408') || null);
  slow.destroy();
  assert.equal(await t.stop(), 0);
  assert.ok(!existsSync(sock), 'vacuum removed the socket');
  await assert.rejects(request(`${t.url}/`), 'the TCP address is closed too');
});

test('an address in use is an immediate, clear error', async () => {
  const a = await startTsws({ ini: `module = ${SAMPLES}/hello.js\nprocesses = 1` });
  const port = new URL(a.url).port;
  const b = await startTsws({ ini: `module = ${SAMPLES}/hello.js\nhttp = 127.0.0.1:${port}`, waitReady: false });
  assert.equal(await b.exited, 1);
  assert.match(b.output(), /cannot listen on 127\.0\.0\.1:\d+: address already in use/);
  assert.doesNotMatch(b.output(), /spawned/);
  await a.stop();
});
