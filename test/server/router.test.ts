// The router's rules end to end: retries, error answers, headers, upgrades, streaming bodies, logging.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { APPS, probeMarks, request, startTsws, tempDir, waitFor } from '../helpers/tsws.js';

const probe = `module = ${APPS}/probe.js`;

test('a GET whose worker dies before answering is retried and answered 200', async () => {
  const marks = probeMarks();
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nthreads = 1\n${marks.ini}` });
  const [worker] = t.workers();
  const slow = request(`${t.url}/sleep/600`);
  await marks.started();
  process.kill(worker, 'SIGKILL');
  const reply = await slow;
  assert.equal(reply.status, 200);
  assert.notEqual(reply.body.split(' ')[0], String(worker), 'answered by the replacement');
  await t.stop();
});

test('a POST with a body whose worker dies gets 502 with a short text body, never a closed connection', async () => {
  const marks = probeMarks();
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nthreads = 1\n${marks.ini}` });
  const [worker] = t.workers();
  const slow = request(`${t.url}/sleep/800`, { method: 'POST', body: 'payload', headers: { 'content-length': '7' } });
  await marks.started();
  process.kill(worker, 'SIGKILL');
  const reply = await slow;
  assert.equal(reply.status, 502);
  assert.match(reply.body, new RegExp(`^502 Bad Gateway: worker 1 \\(pid ${worker}\\) failed: `));
  await t.stop();
});

test('a worker that does not answer within http-timeout gets 504', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nhttp-timeout = 1` });
  const start = Date.now();
  const reply = await request(`${t.url}/sleep/5000`);
  const took = Date.now() - start;
  assert.equal(reply.status, 504);
  assert.match(reply.body, /did not answer within 1s/);
  assert.ok(took < 3000, `answered after ${took} ms`);
  // The slot is free again: the worker serves the next request.
  assert.equal((await request(`${t.url}/pid`)).status, 200);
  await t.stop();
});

test('a request waiting in the queue longer than http-timeout gets 504', async () => {
  const marks = probeMarks();
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nthreads = 1\nhttp-timeout = 1\n${marks.ini}` });
  // /drip answers its headers at once (so it is not itself a 504) and holds the only slot for 3 s.
  const holder = request(`${t.url}/drip/3000`);
  await marks.started();
  const start = Date.now();
  const waited = await request(`${t.url}/pid`);
  assert.equal(waited.status, 504);
  assert.match(waited.body, /no worker was free within 1s/);
  assert.ok(Date.now() - start < 2500, `answered after ${Date.now() - start} ms`);
  assert.equal((await holder).status, 200);
  await t.stop();
});

test('headers over buffer-size get 431 and the server keeps answering', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nbuffer-size = 4k` });
  const big = await request(`${t.url}/pid`, { headers: { 'x-big': 'a'.repeat(8000) } });
  assert.equal(big.status, 431);
  const ok = await request(`${t.url}/pid`, { headers: { 'x-fits': 'a'.repeat(3000) } });
  assert.equal(ok.status, 200);
  await t.stop();
});

test('http-keepalive: an idle client connection outlives http-headers-timeout and closes after http-keepalive', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/probe.js\nprocesses = 1\nhttp-keepalive = 4\nhttp-headers-timeout = 1` });
  const u = new URL(t.url);
  const sock = connect(Number(u.port), u.hostname);
  let got = '';
  let lastData = 0;
  let closedAt = 0;
  sock.on('data', (b) => {
    got += b;
    lastData = Date.now();
  });
  sock.on('close', () => (closedAt = Date.now()));
  const get = async (n: number) => {
    sock.write('GET /pid HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(`response ${n}`, () => (got.match(/HTTP\/1\.1 200 /g) ?? []).length === n);
  };
  await get(1);
  // Idle for 2.5 times http-headers-timeout (checked every second): the slowloris cut must not apply to a
  // connection between requests.
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(closedAt, 0, 'still open after 2.5 s idle');
  await get(2);
  await waitFor('the idle connection to close', () => closedAt, 10_000);
  const idle = closedAt - lastData;
  assert.ok(idle >= 3500 && idle < 7000, `closed after ${idle} ms idle (http-keepalive = 4)`);
  assert.equal(await t.stop(), 0);
});

test('X-Forwarded-* are set by the router; hop-by-hop headers are not forwarded', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1` });
  const r = await request(`${t.url}/headers`, {
    headers: { host: 'example.test', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', connection: 'keep-alive, x-secret', 'x-secret': '1', 'keep-alive': 'timeout=5' },
  });
  const h = JSON.parse(r.body);
  assert.equal(h['x-forwarded-for'], '127.0.0.1');
  assert.equal(h['x-forwarded-proto'], 'http');
  assert.equal(h['x-forwarded-host'], 'example.test');
  assert.equal(h.host, 'example.test');
  assert.equal(h['x-secret'], undefined);
  assert.equal(h['keep-alive'], undefined);
  await t.stop();
});

test('forwarded-allow-ips keeps a trusted proxy\'s X-Forwarded-* and appends the peer', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nforwarded-allow-ips = 127.0.0.1` });
  const r = await request(`${t.url}/headers`, { headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' } });
  const h = JSON.parse(r.body);
  assert.equal(h['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
  assert.equal(h['x-forwarded-proto'], 'https');
  await t.stop();
});

test('WebSocket upgrades are proxied to the app\'s upgrade handler, both ways', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1` });
  const u = new URL(t.url);
  const sock = connect(Number(u.port), u.hostname);
  let got = '';
  sock.on('data', (b) => (got += b));
  sock.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
  await waitFor('101', () => got.includes('\r\n\r\n'));
  assert.match(got, /^HTTP\/1\.1 101 Switching Protocols/);
  got = '';
  sock.write('ping-1');
  await waitFor('echo', () => got === 'ping-1');
  sock.destroy();
  assert.equal(await t.stop(), 0);
});

function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

/** POST `total` bytes to /upload in 64 KB chunks; resolves with the byte count the app saw. */
function upload(url: string, total: number): Promise<string> {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  return new Promise<string>((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest({ host: u.hostname, port: u.port, path: '/upload', method: 'POST', headers: { 'content-length': String(total) } }, (res) => {
      let s = '';
      res.on('data', (c) => (s += c));
      res.on('end', () => resolve(s));
    });
    req.on('error', reject);
    let sent = 0;
    Readable.from(
      (function* () {
        while (sent < total) {
          sent += chunk.length;
          yield chunk;
        }
      })(),
    ).pipe(req);
  });
}

// Streaming has a constant cost (socket buffers, V8 heap and JIT warming up: 30-70 MB from a cold start,
// depending on the Node version); buffering would grow with the body. So a 32 MB upload warms the master up
// first, and then a 200 MB body that grows it by less than 50 MB proves it streamed, for any size.
// The bound proves the body is never held whole (it is spooled through a file, post-buffering): 200 MB in, a
// few tens of MB at most. Node 20 grows ~2 MB here; Node 24's larger young generation lets 40-47 MB of
// garbage chunks pile up before a scavenge, hence 64 and not less.
test('a 200 MB upload streams through: the master grows by less than 64 MB', async (ctx) => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\ndisable-logging = true` });
  assert.equal(await upload(t.url, 32 * 1024 * 1024), String(32 * 1024 * 1024));
  const before = rssKb(t.pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssKb(t.pid))), 20);
  const total = 200 * 1024 * 1024;
  const body = await upload(t.url, total);
  clearInterval(sampler);
  assert.equal(body, String(total));
  const grewMb = (peak - before) / 1024;
  assert.ok(grewMb < 64, `master RSS grew by ${grewMb.toFixed(1)} MB during a 200 MB upload`);
  ctx.diagnostic(`figure: master RSS grew by ${grewMb.toFixed(1)} MB during a 200 MB upload (after a 32 MB warm-up)`);
  await t.stop();
});

test('one log line per request, uWSGI-like, with worker id, pid, method, path, status, bytes and ms', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1` });
  await request(`${t.url}/pid?x=1`);
  const [worker] = t.workers();
  const m = await t.waitForLog(/\[pid: (\d+)\|wid: 1\|req: 1\/1\] 127\.0\.0\.1 GET \/pid\?x=1 => generated (\d+) bytes in (\d+) msecs \(HTTP\/1\.1 200\)/);
  assert.equal(Number(m[1]), worker);
  assert.ok(Number(m[2]) > 0);
  await t.stop();
});

test('logto writes the log to a file; log-format and disable-logging shape request lines', async () => {
  const dir = tempDir();
  const logfile = join(dir, 'tsws.log');
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nlogto = ${logfile}\nlog-format = %(method) %(uri) %(status) wid=%(wid)`, waitReady: false });
  await waitFor('ready in the log file', () => /listening on (\S+)[\s\S]*ready on/.exec(safeRead(logfile)));
  const url = /listening on (\S+)/.exec(safeRead(logfile))![1];
  await request(`${url}/pid`);
  await waitFor('the request line', () => safeRead(logfile).includes('GET /pid 200 wid=1'));
  assert.equal(t.output(), '', 'nothing on stderr when logto is set');
  await t.stop();

  const q = await startTsws({ ini: `${probe}\nprocesses = 1\ndisable-logging = true` });
  await request(`${q.url}/pid`);
  await q.stop();
  assert.doesNotMatch(q.output(), /GET \/pid/);
  assert.match(q.output(), /worker 1 \(pid \d+\) ready/, 'lifecycle lines are still logged');
});

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

test('env and chdir reach the app', async () => {
  const dir = tempDir();
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nchdir = ${dir}\nenv = GREETING=one\nenv = OTHER=two\nenv = GREETING=three` });
  assert.equal((await request(`${t.url}/env/GREETING`)).body, 'three');
  assert.equal((await request(`${t.url}/env/OTHER`)).body, 'two');
  assert.equal((await request(`${t.url}/cwd`)).body, dir);
  await t.stop();
});

test('need-app = false: a broken app leaves the master up, answering 503 while no worker is available', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/throws-at-load.js\nprocesses = 1\nneed-app = false`, waitReady: false });
  const m = await t.waitForLog(/listening on (\S+)/);
  await t.waitForLog(/respawning in/, 8000);
  const r = await request(`${m[1]}/`);
  assert.equal(r.status, 503);
  assert.match(r.body, /no worker is available/);
  assert.equal(await t.stop(), 0);
});
