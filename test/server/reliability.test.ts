// Reliability: faults (killed, stopped and crash-looping workers), hostile HTTP, leaks, and the security
// properties of the runtime directory and pidfile. Figures are summarized in docs/reliability.md.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, lstatSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { raw } from '../helpers/raw.js';
import { APPS, fdChange, load, openFds, request, startTsws, tempDir, waitFor } from '../helpers/tsws.js';

const probe = `module = ${APPS}/probe.js`;

/** The master's open fds once their count holds still (the same on three reads 100 ms apart). */
async function settledFds(pid: number): Promise<string[]> {
  const seen: string[][] = [];
  return waitFor('the fd count to settle', () => {
    seen.push(openFds(pid));
    return seen.length >= 3 && seen.slice(-3).every((l) => l.length === seen.at(-1)!.length) && seen.at(-1)!;
  }, 10_000, 100);
}

test('kill -9 of one worker every 1.2 s for 6 s under 8 clients of GET: zero failed requests', async (ctx) => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 4\nthreads = 2\ndisable-logging = true` });
  const loadDone = load(t.url, { clients: 8, durationMs: 7000, path: '/sleep/30' });
  const killed: number[] = [];
  for (let i = 0; i < 5; i++) {
    // The fault schedule itself (the figure in docs/reliability.md), not a wait for something to happen.
    await new Promise((r) => setTimeout(r, 1200));
    const ws = t.workers();
    const victim = ws[i % ws.length];
    process.kill(victim, 'SIGKILL');
    killed.push(victim);
  }
  const r = await loadDone;
  assert.deepEqual(r.errors, {});
  assert.deepEqual(Object.keys(r.statuses), ['200'], JSON.stringify(r.statuses));
  assert.ok(r.ok > 300, `${r.ok} requests`);
  for (const k of killed) assert.match(t.output(), new RegExp(`pid ${k}\\) died \\(killed by signal SIGKILL\\)`));
  ctx.diagnostic(`figure: ${killed.length} workers killed, ${r.ok} GETs answered 200, failed ${JSON.stringify(r.errors)} ${JSON.stringify(r.statuses)}`);
  assert.equal(await t.stop(), 0);
});

test('kill -9 under POST load: only the POSTs in flight on the killed worker get 502, nothing else is lost', async (ctx) => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 3\nthreads = 2\ndisable-logging = true` });
  const loadDone = load(t.url, { clients: 6, durationMs: 4000, path: '/sleep/40', method: 'POST', body: 'payload' });
  await loadDone.progressed(12); // the load is going: POSTs are in flight on every worker
  process.kill(t.workers()[0], 'SIGKILL');
  const r = await loadDone;
  assert.deepEqual(r.errors, {}, 'no connection was dropped: every failure is an answer');
  const bad = Object.entries(r.statuses).filter(([s]) => s !== '200');
  assert.ok(bad.every(([s]) => s === '502'), JSON.stringify(r.statuses));
  // The POSTs in flight on it (threads = 2), and at most one more per slot: a POST sent on a pooled socket in
  // the instant between its death and the router noticing (the first failure pauses it). Such a POST may or
  // may not have reached the app, so it is not resent either. Routing more to a dead worker would fail this.
  assert.ok((r.statuses['502'] ?? 0) <= 4, `at most the POSTs sent to that worker as it died: ${JSON.stringify(r.statuses)}`);
  ctx.diagnostic(`figure: POST statuses ${JSON.stringify(r.statuses)}, connection errors ${JSON.stringify(r.errors)}`);
  await t.stop();
});

test('SIGSTOP of a worker: detected, no new requests go to it, it is replaced; no GET is lost', async (ctx) => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\nthreads = 2\nmaster-interval = 0.25\ndisable-logging = true` });
  const [victim] = t.workers();
  const loadDone = load(t.url, { clients: 4, durationMs: 6000, path: '/sleep/20', keepBodies: true });
  await loadDone.progressed(8); // the load is going, on both workers
  process.kill(victim, 'SIGSTOP');
  const stoppedAt = Date.now();
  await t.waitForLog(new RegExp(`pid ${victim}\\) killed: stopped \\(process state T\\)`), 8000);
  const detectedMs = Date.now() - stoppedAt;
  const r = await loadDone;
  assert.deepEqual(r.errors, {});
  assert.deepEqual(Object.keys(r.statuses), ['200'], JSON.stringify(r.statuses));
  assert.ok(detectedMs < 5000, `detected after ${detectedMs} ms`);
  ctx.diagnostic(`figure: stopped worker killed and replaced ${detectedMs} ms after SIGSTOP; ${r.ok} GETs, ${JSON.stringify(r.statuses)}`);
  await waitFor('a replacement', () => t.workers().length === 2 && !t.workers().includes(victim));
  assert.equal(await t.stop(), 0);
});

test('a crash-looping app until every slot waits 2 s: the master stays up, backs off (at most ~40 spawns), logs why and answers 503', async (ctx) => {
  const dir = tempDir();
  const app = join(dir, 'crashy.mjs');
  writeFileSync(app, `export default (req, res) => res.end('ok');\nsetTimeout(() => { throw new Error('crash right after start'); }, 50);\n`);
  const t = await startTsws({ ini: `module = ${app}\nprocesses = 4\nneed-app = false`, waitReady: false });
  const url = (await t.waitForLog(/listening on (\S+)/))[1];
  // Until each of the 4 slots has doubled its wait up to 2 s (0, 0.25, 0.5, 1, 2 s), instead of a flat 10 s:
  // the spawns counted are those of a whole backoff climb, however fast this machine starts a worker.
  await waitFor('every slot to back off 2 s or more', () => {
    if (t.proc.exitCode !== null) throw new Error(`the master exited (${t.proc.exitCode}):\n${t.output()}`);
    const backoffs = [...t.output().matchAll(/worker (\d+) failed \d+ times in a row; respawning in (\d+\.\d+)s/g)];
    return new Set(backoffs.filter((m) => Number(m[2]) >= 2).map((m) => m[1])).size === 4;
  }, 30_000, 100);
  assert.equal(t.proc.exitCode, null, 'the master is alive');
  const spawns = (t.output().match(/\) spawned/g) ?? []).length;
  assert.ok(spawns <= 40, `${spawns} spawns until every slot waits 2 s`);
  assert.ok(spawns >= 8, `it kept trying: ${spawns}`);
  assert.match(t.output(), /failed \d+ times in a row; respawning in \d+\.\d+s/);
  assert.match(t.output(), /Error: crash right after start/);
  const r = await waitFor('a 503 while every slot backs off', async () => {
    const x = await request(`${url}/`);
    return x.status === 503 && x;
  }, 8000, 100);
  assert.equal(r.headers['retry-after'], '5');
  ctx.diagnostic(`figure: ${spawns} spawns until every slot waits 2 s, for 4 slots of a crash-looping app; 503 with Retry-After: 5 while every slot backs off`);
  assert.equal(await t.stop(), 0);
});

test('bad HTTP: garbage, CL+TE, a 100 KB header and broken chunking get 4xx; the server answers normally after', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1` });
  const workersBefore = t.workers();
  assert.match((await raw(t.url, 'THIS IS NOT HTTP\r\n\r\n')).text, /^HTTP\/1\.1 400 /);
  // A Buffer, so that these bytes go out UTF-8-encoded as they always did (raw() sends a string as latin1).
  assert.match((await raw(t.url, Buffer.from('\x00\x01\x02\xff garbage'))).text, /^HTTP\/1\.1 400 /);
  // Request smuggling: both framings at once must never reach a worker.
  const smuggle = (await raw(t.url, 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /pid HTTP/1.1\r\nHost: x\r\n\r\n')).text;
  assert.match(smuggle, /^HTTP\/1\.1 400 /);
  assert.doesNotMatch(smuggle, /200 OK/);
  const big = (await raw(t.url, `GET /pid HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`)).text;
  assert.match(big, /^HTTP\/1\.1 431 /);
  const chunked = (await raw(t.url, 'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nhello\r\n0\r\n\r\n')).text;
  assert.match(chunked, /^HTTP\/1\.1 400 /);
  assert.match((await raw(t.url, 'GET /pid HTTP/1.1\r\nHost: x\r\n\r\n', 500)).text, /^HTTP\/1\.1 200 /);
  assert.equal((await load(t.url, { clients: 4, count: 40, path: '/pid' })).ok, 40);
  assert.deepEqual(t.workers(), workersBefore, 'no worker was disturbed');
  assert.equal(await t.stop(), 0);
});

test('slowloris: a client that never finishes its headers is cut off with 408', async (ctx) => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nhttp-headers-timeout = 1` });
  const start = Date.now();
  const got = (await raw(t.url, 'GET /pid HTTP/1.1\r\nHost: x\r\nX-Slow: ', 6000)).text;
  const took = Date.now() - start;
  assert.match(got, /^HTTP\/1\.1 408 /);
  assert.ok(took < 4000, `cut off after ${took} ms`);
  ctx.diagnostic(`figure: slow client cut off with 408 after ${took} ms (http-headers-timeout = 1)`);
  await t.stop();
});

test('2,000 idle connections do not stop others from being served', async (ctx) => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\ndisable-logging = true` });
  const u = new URL(t.url);
  const idle: Socket[] = [];
  await Promise.all(
    Array.from({ length: 2000 }, () => new Promise<void>((resolve) => {
      const s = connect(Number(u.port), u.hostname, () => resolve());
      s.on('error', () => resolve());
      idle.push(s);
    })),
  );
  const start = Date.now();
  const r = await load(t.url, { clients: 4, count: 100, path: '/pid' });
  const took = Date.now() - start;
  assert.equal(r.ok, 100);
  assert.ok(took < 5000, `100 requests took ${took} ms beside 2,000 idle connections`);
  ctx.diagnostic(`figure: 100 requests in ${took} ms beside 2,000 idle connections`);
  for (const s of idle) s.destroy();
  assert.equal(await t.stop(), 0);
});

test('the master\'s open fds after 2,000 fresh-connection requests are within 10 of before', async (ctx) => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\nthreads = 4\ndisable-logging = true` });
  await load(t.url, { clients: 4, count: 100, path: '/pid', keepAlive: false }); // warm: pools, timers
  const before = await settledFds(t.pid);
  const r = await load(t.url, { clients: 8, count: 2000, path: '/pid', keepAlive: false });
  assert.equal(r.ok, 2000);
  const after = await settledFds(t.pid);
  assert.ok(Math.abs(after.length - before.length) <= 10, fdChange(before, after));
  ctx.diagnostic(`figure: master ${fdChange(before, after)} across 2,000 fresh-connection requests`);
  await t.stop();
});

test('fds stay flat across hundreds of recycles', async (ctx) => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\nthreads = 2\nmax-requests = 3\nmax-requests-jitter = 0\ndisable-logging = true` });
  await load(t.url, { clients: 4, count: 60, path: '/pid' });
  const before = await settledFds(t.pid);
  await load(t.url, { clients: 4, count: 600, path: '/pid' });
  await waitFor('recycles to settle', () => t.workers().length === 2, 5000);
  const recycles = (t.output().match(/recycling: max-requests/g) ?? []).length;
  assert.ok(recycles >= 100, `${recycles} recycles`);
  const after = await settledFds(t.pid);
  assert.ok(Math.abs(after.length - before.length) <= 10, `${fdChange(before, after)} across ${recycles} recycles`);
  // The master reads /proc at every poll; it must never keep one of those files open (pidusage did), except
  // the statm of each live worker (memory.ts Statm). A read may be caught in the middle, so only a /proc fd
  // that stays open fails this.
  const heldProc = () => openFds(t.pid).filter((f) => f.startsWith('/proc/'));
  await waitFor(`no /proc file held open but one statm per worker: ${heldProc()}; ${fdChange(before, after)}`, () => heldProc().join() === '/proc/PID/statm,/proc/PID/statm', 3000);
  ctx.diagnostic(`figure: master ${fdChange(before, after)} across ${recycles} recycles`);
  await t.stop();
});

test('security: the runtime directory is 0700', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1` });
  const dir = (await t.waitForLog(/worker sockets in (\S+)/))[1];
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  await t.stop();
});

// Connecting as another user needs the right to become one: root.
test('security: other users cannot reach a worker socket', { skip: process.getuid?.() !== 0 && 'needs root (to connect as nobody)' }, async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1` });
  const dir = (await t.waitForLog(/worker sockets in (\S+)/))[1];
  const sock = join(dir, readdirSync(dir).find((f) => f.endsWith('.sock'))!);
  // As `nobody`, connecting must fail: the directory is not searchable for it.
  const code = await new Promise<string>((resolve) => {
    const p = spawn(process.execPath, ['-e', `require('net').connect(${JSON.stringify(sock)}).on('connect',()=>{console.log('CONNECTED');process.exit(0)}).on('error',(e)=>{console.log(e.code);process.exit(0)})`], { uid: 65534, gid: 65534 });
    let out = '';
    p.stdout.on('data', (b) => (out += b));
    p.on('exit', () => resolve(out.trim()));
  });
  assert.equal(code, 'EACCES');
  await t.stop();
});

test('security: a pidfile path that is a symlink is replaced, never written through', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'elsewhere'));
  const target = join(dir, 'elsewhere', 'precious');
  writeFileSync(target, 'do not touch\n');
  symlinkSync(target, join(dir, 'app.pid'));
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\npidfile = ${dir}/app.pid` });
  assert.equal(readFileSync(target, 'utf8'), 'do not touch\n');
  assert.ok(!lstatSync(join(dir, 'app.pid')).isSymbolicLink());
  assert.equal(Number(readFileSync(join(dir, 'app.pid'), 'utf8')), t.pid);
  await t.stop();
});
