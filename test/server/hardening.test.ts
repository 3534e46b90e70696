// Issue 10: nothing a client or a dying worker does may kill the master or leave a client waiting. One test
// per finding (named "finding N: …"); each failed on the router before its own forwarding path (http-proxy-3).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { raw } from '../helpers/raw.js';
import { APPS, openFds, request, startTsws, waitFor, type Tsws } from '../helpers/tsws.js';

const edges = `module = ${APPS}/edges.js`;
const probe = `module = ${APPS}/probe.js`;


async function stop(t: Tsws): Promise<void> {
  assert.equal(await t.stop(), 0, 'the master stopped cleanly');
}

async function count(t: Tsws): Promise<number> {
  return Number((await request(`${t.url}/count`)).body);
}

test('finding 1: request targets Node accepts but a URL cannot hold get 400; the master lives on', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1` });
  for (const target of ['http://a:99999/', 'http://[::1/', 'http://%zz/', 'http://', 'GET-not-a-path']) {
    for (const method of ['GET', 'POST']) {
      const body = method === 'POST' ? 'Content-Length: 2\r\n\r\nab' : '\r\n';
      const r = await raw(t.url, `${method} ${target} HTTP/1.1\r\nHost: x\r\n${body}`);
      assert.match(r.text, /^HTTP\/1\.1 400 /, `${method} ${target}`);
    }
  }
  // Absolute-form that is valid: its host wins over the Host header (RFC 9112 §3.2.2), the app gets a path.
  const ok = await raw(t.url, 'GET http://example.test:8080/headers?x=1 HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n');
  assert.match(ok.text, /^HTTP\/1\.1 200 /);
  assert.match(ok.text, /"host":"example.test:8080"/);
  assert.equal(t.proc.exitCode, null, 'the master is alive');
  assert.equal((await request(`${t.url}/pid`)).status, 200);
  await stop(t);
});

test('finding 4: a worker that dies mid-response cuts its client off at once (exit, kill -9, throw; length and chunked)', async (ctx) => {
  const t = await startTsws({ ini: `${edges}\nprocesses = 2\nworker-reload-mercy = 2\nstats = 127.0.0.1:0\nstats-http = true` });
  const stats = (await t.waitForLog(/stats on (http:\/\/127\.0\.0\.1:\d+)/))[1];
  for (const how of ['exit', 'kill', 'throw']) {
    for (const framing of ['length', 'chunked']) {
      // Each death is a crash: wait until the slot is serving again (the backoff would answer 503).
      await waitFor('a serving worker', async () => (await request(`${t.url}/count`)).status === 200, 15_000, 100);
      const started = performance.now();
      const outcome = await new Promise<string>((resolve) => {
        const u = new URL(t.url);
        const req = httpRequest({ host: u.hostname, port: u.port, path: `/die/${how}/${framing}`, agent: false }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(`complete: ${body}`));
          res.on('aborted', () => resolve(`aborted after ${JSON.stringify(body)}`));
          res.on('error', () => resolve(`error after ${JSON.stringify(body)}`));
        });
        req.on('error', (e) => resolve(`request error ${(e as NodeJS.ErrnoException).code}`));
        req.setTimeout(8000, () => {
          resolve('hung: still open after 8 s');
          req.destroy();
        });
        req.end();
      });
      const ms = Math.round(performance.now() - started);
      assert.match(outcome, /^(aborted|error) after "12345"$/, `${how}/${framing}: ${outcome}`);
      ctx.diagnostic(`figure: ${how}/${framing}: client saw the cut after ${ms} ms`);
    }
  }
  assert.equal(t.proc.exitCode, null, 'the master is alive');
  await waitFor('both workers back', async () => (await request(`${t.url}/count`)).status === 200 && t.workers().length === 2);
  // Counted, and nothing was contained as an internal error.
  const router = JSON.parse((await request(`${stats}/`)).body).tsws.router;
  assert.equal(router.truncated, 6, JSON.stringify(router));
  assert.equal(router.internal_errors, 0);
  assert.match((await request(`${stats}/metrics`)).body, /^tsws_responses_truncated_total 6$/m);
  await stop(t);
});

test('finding 6: slow uploads hold connections, not worker slots; a stalled body gets 408', async (ctx) => {
  // One worker slot. Before post-buffering, 2 uploaders at a byte a second held it and no GET was answered.
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nthreads = 1\nhttp-body-timeout = 2` });
  const u = new URL(t.url);
  const uploaders: Socket[] = [];
  for (const framing of ['Content-Length: 200000', 'Transfer-Encoding: chunked']) {
    const s = connect(Number(u.port), u.hostname);
    s.on('error', () => {});
    s.write(`POST /upload HTTP/1.1\r\nHost: x\r\n${framing}\r\n\r\n`);
    uploaders.push(s);
  }
  const drip = setInterval(() => {
    uploaders[0].write('a');
    uploaders[1].write('1\r\na\r\n');
  }, 500);
  try {
    let answered = 0;
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      const r = await request(`${t.url}/pid`);
      assert.equal(r.status, 200);
      answered++;
    }
    ctx.diagnostic(`figure: ${answered} GETs answered in 3 s beside 2 uploads dripping a byte every 500 ms (1 worker, threads = 1)`);
    assert.ok(answered >= 10, `${answered} GETs in 3 s`);
  } finally {
    clearInterval(drip);
  }
  // Now they stall: each gets 408 within http-body-timeout (plus a sweep).
  const replies = uploaders.map((s) => new Promise<string>((resolve) => {
    let got = '';
    s.on('data', (b) => (got += b));
    s.on('close', () => resolve(got));
  }));
  for (const r of await Promise.all(replies)) assert.match(r, /^HTTP\/1\.1 408 /);
  // A large upload still arrives whole (spooled to a file beyond post-buffering, then sent).
  const big = Buffer.alloc(3 * 1024 * 1024, 'x');
  const up = await request(`${t.url}/upload`, { method: 'POST', body: big, headers: { 'content-length': String(big.length) } });
  assert.equal(up.body, String(big.length));
  await stop(t);
});

test('finding 6: limit-post answers 413 before the body is read; post-buffering = 0 streams bodies', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nlimit-post = 1000` });
  const r = await raw(t.url, 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n');
  assert.match(r.text, /^HTTP\/1\.1 413 /);
  const chunked = await raw(t.url, `POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n${'a'.repeat(0x800)}\r\n0\r\n\r\n`);
  assert.match(chunked.text, /^HTTP\/1\.1 413 /);
  await stop(t);
  const s = await startTsws({ ini: `${probe}\nprocesses = 1\npost-buffering = 0` });
  const body = Buffer.alloc(300_000, 'y');
  assert.equal((await request(`${s.url}/upload`, { method: 'POST', body, headers: { 'content-length': String(body.length) } })).body, String(body.length));
  const c = await raw(s.url, 'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
  assert.match(c.text, /^HTTP\/1\.1 200 [^]*\r\n\r\n1\r\n5\r\n0\r\n\r\n$/);
  await stop(s);
});

for (const [name, setting] of [['spooled (post-buffering default)', ''], ['streamed (post-buffering = 0)', 'post-buffering = 0']]) {
  test(`finding 8: an app that answers 413 before reading a 1 MB upload, ${name}: every client gets the 413`, async (ctx) => {
    const t = await startTsws({ ini: `${edges}\nprocesses = 2\nthreads = 4\n${setting}` });
    const body = Buffer.alloc(1024 * 1024, 'z');
    const statuses: Record<string, number> = {};
    await Promise.all(Array.from({ length: 40 }, async () => {
      try {
        const r = await request(`${t.url}/early-413`, { method: 'POST', body, headers: { 'content-length': String(body.length) } });
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? String(e);
        statuses[code] = (statuses[code] ?? 0) + 1;
      }
    }));
    ctx.diagnostic(`figure: 40 x 1 MB POSTs to an early 413, ${name}: ${JSON.stringify(statuses)}`);
    assert.deepEqual(statuses, { 413: 40 });
    await stop(t);
  });
}

test('finding 9: 304 and HEAD answers with a stray body, trailers, 103 Early Hints, and a too-large response header', async () => {
  const t = await startTsws({ ini: `${edges}\nprocesses = 1` });
  // A 304 carrying a body: the client gets the 304 (no body), the connection is not poisoned.
  const r304 = await raw(t.url, 'GET /raw-304 HTTP/1.1\r\nHost: x\r\n\r\nGET /count HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.match(r304.text, /^HTTP\/1\.1 304 Not Modified\r\n/);
  assert.doesNotMatch(r304.text, /hello/);
  assert.match(r304.text, /\r\n\r\nHTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n\d+$/, 'the next pipelined request is answered after it');
  // HEAD: headers only, Content-Length kept.
  const head = await raw(t.url, 'HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nHEAD /raw-head HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const parts = head.text.split(/(?=HTTP\/1\.1 )/);
  assert.equal(parts.length, 3, head.text);
  assert.match(parts[0], /^HTTP\/1\.1 200 OK\r\n[^]*[Cc]ontent-[Ll]ength: 5\r\n[^]*\r\n\r\n$/, 'HEAD: headers only');
  assert.match(parts[1], /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n$/, 'HEAD answered with a body: the body is dropped');
  assert.match(parts[2], /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nhello$/);
  // Trailers reach the client after a chunked body (they were dropped while Trailer: was forwarded).
  const tr = await raw(t.url, 'GET /trailers HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nConnection: close\r\n\r\n');
  assert.match(tr.text, /[Tt]railer: X-Checksum\r\n/);
  assert.match(tr.text, /\r\n0\r\nX-Checksum: abc\r\n\r\n$/);
  // 103 Early Hints goes out before the final response.
  const eh = await raw(t.url, 'GET /early-hints HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(eh.text, /^HTTP\/1\.1 103 Early Hints\r\n[Ll]ink: <\/style\.css>; rel=preload; as=style\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  // A 70 KiB response header: 502, and the app ran the GET once — a response that arrived is never retried.
  const before = await count(t);
  const big = await request(`${t.url}/big-header`);
  assert.equal(big.status, 502);
  assert.equal(await count(t), before + 1, 'the GET ran exactly once');
  assert.equal(t.proc.exitCode, null);
  await stop(t);
});

test('finding 3: http-max-connections answers 503 beyond the bound, closes idle keep-alive connections first', async (ctx) => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nhttp-max-connections = 20` });
  const u = new URL(t.url);
  const open = (): Promise<Socket> => new Promise((resolve) => {
    const s = connect(Number(u.port), u.hostname, () => resolve(s));
    s.on('error', () => {});
  });
  // 20 connections that each served a request and now sit idle (keep-alive).
  const idle = await Promise.all(Array.from({ length: 20 }, async () => {
    const s = await open();
    const got = new Promise<void>((resolve) => s.once('data', () => resolve()));
    s.write('GET /pid HTTP/1.1\r\nHost: x\r\n\r\n');
    await got;
    return s;
  }));
  const closed = idle.map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())));
  // A new client is served: idle ones were closed to make room.
  assert.equal((await request(`${t.url}/pid`)).status, 200);
  await Promise.race([Promise.all(closed), waitFor('idle connections closed', () => idle.some((s) => s.destroyed || s.readableEnded))]);
  // 20 connections that never send a request (not idle in Node's sense: they are waiting for headers).
  for (const s of idle) s.destroy();
  const silent = await Promise.all(Array.from({ length: 20 }, open));
  await waitFor('the router to count them', async () => {
    const r = await raw(t.url, 'GET /pid HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 500);
    return /^HTTP\/1\.1 503 /.test(r.text) && r;
  });
  ctx.diagnostic('figure: with http-max-connections = 20, the 21st connection got 503 + Retry-After, not a reset');
  for (const s of silent) s.destroy();
  await waitFor('room again', async () => (await request(`${t.url}/pid`)).status === 200);
  await stop(t);
});

test('finding 6: a client that leaves mid-upload leaves no spool file and no open descriptor behind', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\npost-buffering = 1k` });
  const runtime = /worker sockets in (\S+)/.exec(t.output())![1];
  const spoolFds = () => openFds(t.pid).filter((f) => f.includes('/body-'));
  const spoolFiles = () => readdirSync(runtime).filter((f) => f.startsWith('body-'));
  const u = new URL(t.url);
  for (let i = 0; i < 3; i++) {
    const s = connect(Number(u.port), u.hostname);
    s.on('error', () => {});
    s.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${1024 * 1024}\r\n\r\n`);
    s.write(Buffer.alloc(200 * 1024, 'u'));
    await waitFor('the body to be spooled', () => spoolFiles().length > 0 && spoolFds().length > 0);
    s.destroy();
    await waitFor('the spool file and its descriptor to go', () => spoolFiles().length === 0 && spoolFds().length === 0);
  }
  assert.equal((await request(`${t.url}/pid`)).status, 200);
  await stop(t);
});
