// The pool's state machine and reconcile step, without processes: a fake spawner, router and clock
// (fakes.ts). What the end-to-end tests show with real workers, these show edge by edge, in milliseconds.
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { backoffMs, canMove, failuresAfter } from '../../src/master/lifecycle.js';
import { AppLoadError, Pool, type PoolOptions } from '../../src/master/pool.js';
import { Reloader } from '../../src/master/reload.js';
import { Watchdog } from '../../src/master/watchdog.js';
import { WORKER_STATES } from '../../src/master/worker-handle.js';
import { loadConfig } from '../../src/config/load.js';
import { captureLog, FakeClock, FakeRouter, FakeSpawner } from './fakes.js';

const logged = captureLog();

function setup(processes = 2, extra: Partial<PoolOptions> = {}) {
  const spawner = new FakeSpawner();
  const router = new FakeRouter();
  const clock = new FakeClock();
  const pool = new Pool({ processes, mercyMs: 30_000, needApp: false, requestLimit: () => 0, spares: 0, recycleConcurrency: 0, roomForWorker: () => true, snapshotFor: () => null, ...extra }, router, spawner, clock);
  router.pool = pool;
  return { spawner, router, clock, pool };
}

/** Start the pool and make every first worker ready. */
async function started(processes = 2, extra: Partial<PoolOptions> = {}) {
  const s = setup(processes, extra);
  const done = s.pool.start();
  for (const c of s.spawner.live) c.ready();
  await done;
  return s;
}

/** The reload order alone: the master's configuration steps are not part of these tests. */
const reloader = (pool: Pool) => new Reloader(pool, { ready: () => true, reconfigure: () => () => {}, done: () => {} });

const states = (pool: Pool) => pool.workers().map((w) => `${w.id}:${w.state}`);

test('the state machine has exactly the edges of the diagram', () => {
  const edges = WORKER_STATES.flatMap((a) => WORKER_STATES.filter((b) => canMove(a, b)).map((b) => `${a}>${b}`));
  assert.deepEqual(edges, [
    'spawning>standby', 'spawning>serving', 'spawning>stopping', 'spawning>gone',
    'standby>serving', 'standby>stopping', 'standby>gone',
    'serving>draining', 'serving>stopping', 'serving>gone',
    'draining>stopping', 'draining>gone',
    'stopping>gone',
  ]);
});

test('backoff: immediate after the first failure, then 250 ms doubling to 30 s; a worker that served 10 s resets it', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(backoffMs), [0, 250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.equal(failuresAfter(5, 0), 6);
  assert.equal(failuresAfter(5, 10_001), 1);
});

test('startup: one worker per slot; start() resolves once every slot was ready; the router gets each', async () => {
  const { spawner, router, pool } = setup(3);
  let resolved = false;
  const done = pool.start().then(() => (resolved = true));
  assert.equal(spawner.children.length, 3);
  spawner.children[0].ready();
  spawner.children[1].ready();
  await Promise.resolve();
  assert.equal(resolved, false);
  spawner.children[2].ready();
  await done;
  assert.deepEqual(router.calls, ['add 1', 'add 2', 'add 3']);
  assert.deepEqual(states(pool), ['1:serving', '2:serving', '3:serving']);
});

test('a crash loop backs off: respawns at 0, 250, 500, 1000 ms, one timer at a time, and the slot is empty meanwhile', async () => {
  const { spawner, clock, pool } = await started(1);
  const waits: number[] = [];
  for (let i = 0; i < 5; i++) {
    const n = spawner.children.length;
    spawner.live[0].exit(1);
    if (spawner.children.length === n) {
      assert.equal(pool.available(), false, 'no worker while the slot backs off: the router answers 503 at once');
      waits.push(clock.nextIn);
      clock.advance(clock.nextIn);
    } else waits.push(0);
    assert.equal(spawner.children.length, n + 1);
  }
  assert.deepEqual(waits, [0, 250, 500, 1000, 2000]);
  assert.equal(pool.crashes, 5);
  assert.ok(logged.lines().some((l) => l.includes('worker 1 failed 5 times in a row; respawning in 2.00s')));
});

test('recycle: the slot is refilled at once, the old worker drains, then is told to stop; its exit is no crash', async () => {
  const { spawner, pool } = await started(1);
  const old = pool.workers()[0];
  const oldChild = spawner.children[0];
  pool.recycle(old, 'max-requests reached', 'max-requests');
  assert.equal(spawner.children.length, 2, 'a replacement at once');
  assert.deepEqual(oldChild.sent, ['drain', 'stop'], 'idle: drained at once, then told to stop');
  assert.equal(old.state, 'stopping');
  pool.recycle(old, 'again', 'max-requests');
  assert.equal(spawner.children.length, 2, 'a second recycle of a leaving worker does nothing');
  oldChild.exit(0);
  assert.equal(pool.crashes, 0);
  assert.equal(pool.recycles.get('max-requests'), 1);
  assert.deepEqual(states(pool), ['1:spawning']);
});

test('a reload: each new worker takes its slot once ready, then the old one drains; capacity never dips', async () => {
  const { spawner, pool } = await started(2);
  const r0 = reloader(pool);
  const done = r0.reload(false, 'test');
  await Promise.resolve();
  assert.equal(spawner.children.length, 4);
  assert.deepEqual(states(pool), ['1:serving', '1:spawning', '2:serving', '2:spawning']);
  spawner.children[2].ready();
  assert.deepEqual(states(pool), ['1:stopping', '1:serving', '2:serving', '2:spawning']);
  spawner.children[3].ready();
  const r = await done;
  assert.equal(r.fresh.length, 2);
  assert.equal(r.failed, 0);
  assert.equal(r0.running, false);
});

test('a failed chain reload stops at the first new worker that does not start, and the old one keeps serving', async () => {
  const { spawner, pool } = await started(3);
  const done = reloader(pool).reload(true, 'deploy');
  await Promise.resolve();
  assert.equal(spawner.children.length, 4, 'a chain replaces one slot at a time');
  spawner.children[3].exit(22); // the new code cannot load
  const r = await done;
  assert.deepEqual(r, { fresh: [], failed: 1 });
  assert.equal(spawner.children.length, 4, 'no respawn loop of broken code, no further slot tried');
  assert.deepEqual(states(pool), ['1:serving', '2:serving', '3:serving']);
  assert.equal(pool.crashes, 1);
  assert.ok(logged.lines().some((l) => /reload of worker 1 failed: the new worker did not start \(exit code 22\); pid \d+ keeps serving/.test(l)));
});

test('a reload whose old worker crashes meanwhile: its successor takes the slot, no extra spawn', async () => {
  const { spawner, pool } = await started(1);
  const done = reloader(pool).reload(false, 'deploy');
  await Promise.resolve();
  spawner.children[0].exit(null, 'SIGSEGV');
  assert.equal(spawner.children.length, 2, 'the starting successor holds the slot');
  spawner.children[1].ready();
  assert.deepEqual((await done).fresh.length, 1);
  assert.deepEqual(states(pool), ['1:serving']);
});

test('TTOU during startup: the highest slot is retired, and startup ends without waiting for it', async () => {
  const { spawner, pool } = setup(3);
  const done = pool.start();
  pool.removeWorker();
  assert.equal(pool.processes, 2);
  assert.deepEqual(spawner.children[2].signals, ['SIGKILL'], 'never routed to: killed');
  spawner.children[0].ready();
  spawner.children[1].ready();
  await done;
  spawner.children[2].exit(null, 'SIGKILL');
  assert.equal(pool.crashes, 0);
  pool.addWorker();
  assert.equal(spawner.children.length, 4);
  assert.equal(pool.workers().at(-1)!.id, 3, 'TTIN adds slot 3 back');
});

test('harakiri on a draining worker whose loop is blocked: killed, not recycled twice, its slot untouched', async () => {
  const { spawner, router, pool } = await started(1);
  const cfg = loadConfig({ iniSpecs: [], argv: [{ where: 'test', key: 'harakiri', value: '2', expand: false }], env: {}, cwd: process.cwd() }).config;
  const watchdog = new Watchdog(cfg, pool);
  const w = pool.workers()[0];
  (w.upstream!.exchanges as unknown[]).push({}); // one request still in flight: draining, not drained
  pool.recycle(w, 'max-requests reached', 'max-requests');
  router.calls.length = 0;
  assert.equal(w.state, 'draining');
  spawner.children[0].connected = false; // its event loop will not answer the ping
  await watchdog.harakiri(w, 'GET', '/slow', 2500);
  assert.equal(w.state, 'stopping');
  assert.deepEqual(spawner.children[0].signals, ['SIGKILL']);
  assert.equal(pool.recycles.get('harakiri'), undefined, 'a draining worker is not recycled again');
  assert.equal(spawner.children.length, 2, 'its slot was refilled once, by the recycle');
});

test('mercy: a draining worker that does not stop in time is killed', async () => {
  const { spawner, clock, pool } = await started(1);
  const w = pool.workers()[0];
  (w.upstream!.exchanges as unknown[]).push({});
  pool.recycle(w, 'reload-on-rss', 'reload-on-rss');
  clock.advance(29_999);
  assert.deepEqual(spawner.children[0].signals, []);
  clock.advance(1);
  assert.deepEqual(spawner.children[0].signals, ['SIGKILL']);
});

test('need-app: a first worker that cannot load rejects start(); a failed spawn is a failed start, backed off', async () => {
  const a = setup(1, { needApp: true });
  const start = a.pool.start();
  a.spawner.children[0].exit(22);
  await assert.rejects(start, AppLoadError);

  const b = setup(1);
  b.spawner.failing = true;
  const startB = b.pool.start();
  await new Promise((r) => setImmediate(r));
  b.spawner.failing = false;
  assert.equal(b.spawner.children.length, 2, 'the first failure respawns at once');
  await new Promise((r) => setImmediate(r));
  b.spawner.children[1].ready();
  await startB;
  assert.ok(logged.lines().some((l) => l.includes('spawn failed: EMFILE')));
});

test('stop: every worker drains and stops; nothing is respawned; resolves once all exited', async () => {
  const { spawner, pool } = await started(2);
  const stopped = pool.stop('graceful stop');
  for (const c of spawner.children) assert.deepEqual(c.sent, ['drain', 'stop']);
  for (const c of spawner.live) c.exit(0);
  await stopped;
  assert.equal(spawner.children.length, 2);
  assert.equal(pool.crashes, 0);
});

test('spare-workers: a spare starts beside the pool, stands by outside the router, and takes a recycled slot at once', async () => {
  const { spawner, router, pool } = await started(2, { spares: 1 });
  assert.equal(spawner.children.length, 3, 'two workers and a spare');
  spawner.children[2].ready();
  assert.deepEqual(states(pool), ['0:standby', '1:serving', '2:serving']);
  assert.deepEqual(router.calls, ['add 1', 'add 2'], 'a spare is not routed to');
  pool.recycle(pool.workers()[1], 'reload-on-rss', 'reload-on-rss');
  assert.deepEqual(router.calls.slice(2), ['drain 1', 'add 1'], 'the spare serves slot 1 at once');
  assert.equal(spawner.children.length, 4, 'and a new spare starts');
  assert.deepEqual(states(pool), ['0:spawning', '1:stopping', '1:serving', '2:serving']);
  // A reload replaces the spares too: spares of the old code must not take a slot later.
  spawner.children[3].ready();
  void reloader(pool).reload(false, 'deploy');
  assert.equal(pool.workers().filter((w) => w.id === 0 && w.state === 'stopping').length, 1);
});

test('spare-workers: a crash takes the spare too, and a spare that does not load backs off', async () => {
  const { spawner, clock, pool } = await started(1, { spares: 1 });
  spawner.children[1].ready();
  spawner.children[0].exit(null, 'SIGSEGV');
  assert.deepEqual(states(pool), ['0:spawning', '1:serving']);
  spawner.children[2].exit(22);
  spawner.children[3].exit(22);
  assert.equal(spawner.children.length, 4, 'the second failure of a spare in a row waits');
  clock.advance(clock.nextIn);
  assert.equal(spawner.children.length, 5);
});

test('recycle-concurrency: memory recycles beyond it wait their turn; the budget and kills do not', async () => {
  const { spawner, pool } = await started(3, { recycleConcurrency: 1 });
  const [a, b, c] = pool.workers();
  (a.upstream!.exchanges as unknown[]).push({}); // still busy: it drains for a while
  pool.recycle(a, 'rss 500 MiB > reload-on-rss 400 MiB', 'reload-on-rss');
  pool.recycle(b, 'rss 450 MiB > reload-on-rss 400 MiB', 'reload-on-rss');
  assert.equal(b.state, 'serving', 'held back while one drains');
  pool.recycle(c, 'the tree over memory-budget', 'memory-budget');
  assert.equal(c.state, 'stopping', 'the budget is not paced');
  spawner.children[0].exit(0);
  pool.recycle(b, 'rss 460 MiB > reload-on-rss 400 MiB', 'reload-on-rss');
  assert.notEqual(b.state, 'serving', 'its turn came once the first one exited');
  assert.equal(logged.lines().filter((l) => l.includes('recycle waits its turn')).length, 1);
});

test('the worker state is written in one function, and only manage() spawns for a slot', () => {
  const dir = new URL('../../../src/', import.meta.url).pathname;
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  const writes = files.flatMap((f) => (readFileSync(join(dir, f), 'utf8').match(/\)\.life = /g) ?? []).map(() => f));
  assert.deepEqual(writes, ['master/pool.ts']);
  const pool = readFileSync(join(dir, 'master/pool.ts'), 'utf8');
  const lifeWrites = pool.split('\n').filter((l) => l.includes(').life = '));
  assert.equal(lifeWrites.length, 1);
  const fnOf = (needle: string) => {
    const i = pool.indexOf(needle);
    const before = pool.slice(0, i).split('\n').reverse();
    return before.find((l) => /^ {2}(private |async )?[a-zA-Z]+\(.*\).*\{$/.test(l))?.trim().split('(')[0];
  };
  assert.equal(fnOf(').life = '), 'private transition');
  const spawns = [...pool.matchAll(/this\.spawn\(([^)]*)\)/g)].map((m) => `${fnOf(pool.slice(m.index!, m.index! + 40))}: ${m[1]}`);
  // For a slot in manage(); for a spare (no slot yet) in manageSpares(), which manage() calls.
  assert.deepEqual([...new Set(spawns)].sort(), ['private manage: s.id', 'private manageSpares: 0']);
});
