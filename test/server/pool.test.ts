// The pool and the watchdog under the conditions issue 10 found them failing in (findings 3, 5, 7 and 10): a
// full fd table at the moment of a spawn, app-spawned children outliving their worker, a HUP during a
// reload, count recycles that kept taking requests, and a master that was itself stopped. Each test names
// its finding; figures go to docs/reliability.md.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { alive, APPS, probeMarks, request, startTsws, tempDir, track, waitFor } from '../helpers/tsws.js';

const probe = `module = ${APPS}/probe.js`;

function count(text: string, re: RegExp): number {
  return (text.match(new RegExp(re.source, 'g')) ?? []).length;
}

/** The soft and hard RLIMIT_NOFILE of a process, from /proc. */
function nofile(pid: number): [number, number] {
  const m = /Max open files\s+(\d+)\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))!;
  return [Number(m[1]), Number(m[2])];
}

test('finding 10: a worker that reached max-requests takes no new request, even while another one drains', async (ctx) => {
  // The old rule recycled count limits one worker at a time: while worker 1 drained a slow request, worker
  // 2's replacements served every fast request for those 3 s (23 and 15 requests on a limit of 1 in our run; 23-39 in the issue's).
  const marks = probeMarks();
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\nthreads = 2\nmax-requests = 1\nmax-requests-jitter = 0\n${marks.ini}` });
  const slow = request(`${t.url}/sleep/3000`);
  await marks.started();
  const perPid = new Map<string, number>();
  const statuses: number[] = [];
  for (let i = 0; i < 40; i++) {
    const r = await request(`${t.url}/pid`);
    statuses.push(r.status);
    perPid.set(r.body, (perPid.get(r.body) ?? 0) + 1);
  }
  const s = await slow;
  assert.equal(s.status, 200);
  const slowPid = s.body.split(' ')[0];
  perPid.set(slowPid, (perPid.get(slowPid) ?? 0) + 1);
  assert.deepEqual([...new Set(statuses)], [200], 'queued requests wait for a replacement; none is refused');
  // Bound: max-requests + threads - 1. The check runs as each request ends, before the next one is routed,
  // so only requests already in flight when a worker reached its limit can take it past (the slow one here).
  const most = Math.max(...perPid.values());
  assert.ok(most <= 2, `a worker answered ${most} requests on max-requests = 1: ${JSON.stringify([...perPid])}`);
  ctx.diagnostic(`figure: 41 requests on ${perPid.size} worker pids, at most ${most} per pid (max-requests = 1, threads = 2)`);
  assert.equal(await t.stop(), 0);
});

test('finding 10: after the master itself was stopped (SIGSTOP, SIGCONT) no healthy worker is reported as not answering', async (ctx) => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\nmaster-interval = 0.2` });
  const before = t.workers();
  t.signal('SIGSTOP');
  await new Promise((r) => setTimeout(r, 3500)); // longer than the 2 s ping deadline
  t.signal('SIGCONT');
  // Nothing to poll for: the old code warned on the first beat after the resume, so a window of several
  // beats (master-interval 0.2 s) past the ping deadline has to pass quietly.
  await new Promise((r) => setTimeout(r, 2500));
  assert.doesNotMatch(t.output(), /has not answered|killed: stopped/, 'no worker reported as silent');
  assert.match(t.output(), /the master was stalled for \d+\.\ds/);
  for (let i = 0; i < 6; i++) assert.equal((await request(`${t.url}/pid`)).status, 200);
  assert.deepEqual(t.workers(), before, 'the same workers serve');
  ctx.diagnostic(`figure: master stopped 3.5 s; ${/the master was stalled[^\n]*/.exec(t.output())![0]}`);
  assert.equal(await t.stop(), 0);
});

test('finding 7: a HUP during a reload queues another reload, and every worker ends on the newest code', async (ctx) => {
  const app = join(tempDir(), 'versioned.mjs');
  const version = (v: string) =>
    writeFileSync(app, `await new Promise((r) => setTimeout(r, 700));\nexport default (req, res) => res.end('${v} ' + process.pid);\n`);
  version('v1');
  const t = await startTsws({ ini: `module = ${app}\nprocesses = 3` });
  version('v2');
  t.signal('SIGHUP');
  await t.waitForLog(/chain reload of 3 worker\(s\): SIGHUP/);
  await t.waitForLog(/replaced by pid/); // mid-way: one of three slots is on v2
  version('v3');
  t.signal('SIGHUP');
  t.signal('SIGHUP');
  t.signal('SIGHUP');
  await waitFor('two reloads to finish', () => count(t.output(), /reload done: 3 of 3 worker\(s\) replaced/) >= 2, 20_000);
  // A third reload would be started as the second one ends, so before the master logs a request sent now.
  await request(`${t.url}/after-the-reloads`);
  await t.waitForLog(/GET \/after-the-reloads =>/);
  assert.equal(count(t.output(), /reload done/), 2, 'three HUPs during one reload make exactly one more');
  const seen = new Map<string, string>();
  for (let i = 0; i < 15; i++) {
    const [v, pid] = (await request(t.url)).body.split(' ');
    seen.set(pid, v);
  }
  assert.equal(seen.size, 3, `every worker answered: ${JSON.stringify([...seen])}`);
  assert.deepEqual([...new Set(seen.values())], ['v3'], JSON.stringify([...seen]));
  ctx.diagnostic(`figure: 4 HUPs (1 + 3 during the first chain) → 2 reloads; workers answer ${JSON.stringify([...seen.values()])}`);
  assert.equal(await t.stop(), 0);
});

async function childrenOf(url: string): Promise<{ worker: number; child: number; grandchild: number }> {
  const r = JSON.parse((await request(`${url}/children`)).body) as { worker: number; child: number; grandchild: number };
  track(r.child); // on the old code they outlive everything: the test removes them
  track(r.grandchild);
  return r;
}

test('finding 5: a recycled worker takes its child and its double-forked grandchild with it', async (ctx) => {
  const t = await startTsws({ ini: `module = ${APPS}/spawns-children.js\nprocesses = 1\nmax-requests = 1\nmax-requests-jitter = 0` });
  const first = await childrenOf(t.url);
  assert.ok(alive(first.child) && alive(first.grandchild));
  await t.waitForLog(new RegExp(`pid ${first.worker}\\) stopped`));
  const started = Date.now();
  await waitFor(`pids ${first.child} and ${first.grandchild} to be gone`, () => !alive(first.child) && !alive(first.grandchild), 5000);
  const gone = Date.now() - started;
  const next = await childrenOf(t.url); // the replacement started its own
  assert.notEqual(next.worker, first.worker);
  assert.equal(await t.stop(), 0);
  await waitFor('the last worker\'s children to be gone after a graceful stop', () => !alive(next.child) && !alive(next.grandchild), 5000);
  ctx.diagnostic(`figure: child and grandchild gone ${gone} ms after their worker's exit was logged`);
});

test('finding 5: when the master is killed with -9, its workers\' children go too', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/spawns-children.js\nprocesses = 2` });
  const a = await childrenOf(t.url);
  t.signal('SIGKILL');
  await waitFor('the worker and its children to be gone', () => ![a.worker, a.child, a.grandchild].some(alive), 5000);
});

test('finding 5: a master killed while its workers start leaves no worker behind', async () => {
  // Killed as the workers load: a worker whose IPC channel closed before its 'disconnect' handler existed
  // used to sit idle forever (found while testing this finding: 2 of 6 such kills left workers behind).
  const t = await startTsws({ ini: `${probe}\nprocesses = 4`, waitReady: false });
  await t.waitForLog(/worker 4 \(pid \d+\) spawned/);
  t.signal('SIGKILL');
  const pids = [...t.output().matchAll(/worker \d \(pid (\d+)\) spawned/g)].map((m) => Number(m[1]));
  for (const p of pids) track(p);
  assert.equal(pids.length, 4);
  await waitFor(`workers ${pids.join(', ')} to exit`, () => !pids.some(alive), 5000);
});

/** Open idle connections until the master's fd table is full (a new one is closed at once by the kernel trick libuv uses). */
async function exhaustFds(url: string, pid: number, limit: number): Promise<Socket[]> {
  const u = new URL(url);
  const held: Socket[] = [];
  for (;;) {
    const before = readdirSync(`/proc/${pid}/fd`).length;
    if (before >= limit) return held;
    const s = connect(Number(u.port), u.hostname);
    s.on('error', () => {});
    held.push(s);
    const accepted = await waitFor('the connection to be accepted or refused', () => (s.destroyed || s.readableEnded ? 'closed' : readdirSync(`/proc/${pid}/fd`).length > before && 'open'), 3000, 5);
    if (accepted === 'closed') return held;
  }
}

test('finding 3: out of file descriptors, a failed spawn is a failed start (logged, backed off), never a crash', async (ctx) => {
  const limit = 64;
  // http-max-connections set far above the limit: its default bound exists to keep client connections from
  // filling the fd table, which is exactly what this test must do to reach a failed spawn.
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\nhttp-max-connections = 100000`, prefix: ['prlimit', `--nofile=${limit}:${limit}`] });
  assert.deepEqual(nofile(t.pid), [limit, limit]);
  const held = await exhaustFds(t.url, t.pid, limit);
  const victim = t.workers()[0];
  process.kill(victim, 'SIGKILL');
  await t.waitForLog(/worker \d \(not started\): spawn failed: EMFILE/);
  assert.equal(t.proc.exitCode, null, 'the master is alive');
  for (const s of held) s.destroy();
  await t.waitForLog(/worker \d \(pid \d+\) ready in/, 10_000);
  await waitFor('two workers again', () => t.workers().length === 2, 15_000);
  for (let i = 0; i < 4; i++) assert.equal((await request(`${t.url}/pid`)).status, 200);
  const failed = count(t.output(), /spawn failed: EMFILE/);
  ctx.diagnostic(`figure: fd limit ${limit}, ${held.length} idle connections held, ${failed} failed spawn(s) logged and backed off, master alive, both workers back`);
  assert.equal(await t.stop(), 0);
});

test('finding 3: the soft fd limit is raised to the hard one and logged; max-fd sets it; above what can be set it is a configuration error naming file:line', async () => {
  const raised = await startTsws({ ini: `${probe}\nprocesses = 1`, prefix: ['prlimit', '--nofile=256:4096'] });
  assert.deepEqual(nofile(raised.pid), [4096, 4096]);
  assert.deepEqual(nofile(raised.workers()[0]), [4096, 4096], 'workers inherit it');
  assert.match(raised.output(), /max open files: 4096 \(the hard limit\)/);
  assert.equal(await raised.stop(), 0);

  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nmax-fd = 300`, prefix: ['prlimit', '--nofile=1024:1024'] });
  assert.deepEqual(nofile(t.pid), [300, 1024]);
  assert.match(t.output(), /max open files: 300 \(max-fd; hard limit 1024\)/);
  assert.equal(await t.stop(), 0);

  // Above the kernel's own ceiling (fs.nr_open), not even root can set it.
  const bad = await startTsws({ ini: `${probe}\nprocesses = 1\nmax-fd = 2000000000`, waitReady: false });
  assert.equal(await bad.exited, 78);
  assert.match(bad.output(), /app\.ini:\d+: max-fd: 2000000000 is above the hard limit \d+/);
  const check = await startTsws({ ini: `${probe}\nmax-fd = 2000000000`, args: ['--check'], waitReady: false });
  assert.equal(await check.exited, 78);
  assert.match(check.output(), /app\.ini:\d+: max-fd: 2000000000 is above the hard limit/);
});
