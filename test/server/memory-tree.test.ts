// A worker's memory is its tree's (issue 10 finding 5, issue 11 part 3): the processes of its process group
// — a child the app spawned and a double-forked helper — count in its stats rss and against reload-on-rss;
// and the per-request check reads a statm fd held per worker, closed on every way a worker ends.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';
import { APPS, load, request, startTsws, track, waitFor, type Tsws } from '../helpers/tsws.js';

const MiB = 1024 * 1024;
/** Each of the two processes the app starts keeps this much resident. */
const HOLD_MB = 120;

const rssOf = (pid: number) => Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]) * 4096;
const statField = (pid: number, n: number) => Number(readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ')[n - 3]);

function statsDoc(port: number): Promise<{ workers: { pid: number; rss: number; tree_processes: number; tree_rss: number }[] }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let d = '';
    s.on('data', (b) => (d += b));
    s.on('end', () => resolve(JSON.parse(d)));
    s.on('error', reject);
  });
}

/** GET /spawn/MB: the worker starts its child and double-forked helper; both are killed when the test file ends. */
async function spawnTree(t: Tsws): Promise<{ worker: number; child: number; helper: number }> {
  const r = await request(`${t.url}/spawn/${HOLD_MB}`);
  assert.equal(r.status, 200, r.body);
  const pids = JSON.parse(r.body) as { worker: number; child: number; helper: number };
  track(pids.child);
  track(pids.helper);
  return pids;
}

function kill(...pids: number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

test('finding 5: worker tree: stats rss of a worker includes its child and a double-forked helper (its process group)', async (ctx) => {
  const t = await startTsws({ ini: `module = ${APPS}/tree.mjs\nprocesses = 1\nstats = 127.0.0.1:0\nmaster-interval = 0.2` });
  const port = Number((await t.waitForLog(/stats on 127\.0\.0\.1:(\d+)/))[1]);
  const { worker, child, helper } = await spawnTree(t);
  try {
    // The helper really is double-forked: not the worker's child, yet in the worker's process group.
    assert.notEqual(statField(helper, 4), worker, 'the helper is re-parented away from the worker');
    assert.equal(statField(helper, 5), worker, 'the helper is in the worker\'s process group');
    assert.equal(statField(worker, 5), worker, 'the worker leads its process group');
    const held = rssOf(child) + rssOf(helper);
    assert.ok(held >= 2 * HOLD_MB * MiB, `child + helper hold ${Math.round(held / MiB)} MiB`);
    const w = await waitFor('stats to count the tree', async () => {
      const ws = (await statsDoc(port)).workers;
      return ws.length === 1 && ws[0].tree_rss >= held * 0.95 && ws[0];
    }, 5000).catch(async (e) => assert.fail(`${e.message}: ${JSON.stringify((await statsDoc(port)).workers.map(({ pid, rss, tree_processes, tree_rss }) => ({ pid, rss, tree_processes, tree_rss })))}; child + helper hold ${held}`));
    assert.equal(w.pid, worker);
    assert.ok(w.tree_processes >= 2, `tree_processes ${w.tree_processes}`);
    assert.ok(w.rss >= w.tree_rss + rssOf(worker) * 0.8, `rss ${w.rss} = the worker's own + its tree's ${w.tree_rss}`);
    assert.ok(w.rss >= 2 * HOLD_MB * MiB, `worker rss in stats ${Math.round(w.rss / MiB)} MiB`);
    ctx.diagnostic(`figure: stats rss ${Math.round(w.rss / MiB)} MiB = worker ${Math.round((w.rss - w.tree_rss) / MiB)} MiB + ${w.tree_processes} processes ${Math.round(w.tree_rss / MiB)} MiB (child ${Math.round(rssOf(child) / MiB)} MiB, double-forked helper ${Math.round(rssOf(helper) / MiB)} MiB)`);
  } finally {
    kill(child, helper);
  }
  assert.equal(await t.stop(), 0);
});

test('finding 5: worker tree: reload-on-rss below worker + child + double-forked helper recycles the worker', async (ctx) => {
  // A fresh worker is ~50 MiB, the worker with its child ~50 + 170 MiB: only the helper's ~170 MiB more
  // takes it over the limit, so a recycle proves the double-forked helper counts.
  const limit = 330;
  const t = await startTsws({ ini: `module = ${APPS}/tree.mjs\nprocesses = 1\nreload-on-rss = ${limit}\nmaster-interval = 0.2` });
  const { worker, child, helper } = await spawnTree(t);
  try {
    const own = rssOf(worker) + rssOf(child);
    assert.ok(own < limit * MiB, `worker + child alone hold ${Math.round(own / MiB)} MiB, below reload-on-rss ${limit}`);
    assert.ok(own + rssOf(helper) > limit * MiB, 'with the helper, over it');
    const line = await t.waitForLog(new RegExp(`worker 1 \\(pid ${worker}\\) recycling: rss (\\d+) MiB( \\(worker \\d+ MiB \\+ \\d+ process(es)? \\d+ MiB\\))? > reload-on-rss ${limit} MiB after 1 request`), 5000);
    assert.ok(Number(line[1]) > limit);
    ctx.diagnostic(`figure: ${line[0].replace(/^.*recycling: /, 'recycled: ')} (worker + child alone ${Math.round(own / MiB)} MiB)`);
    // The replacement serves.
    await waitFor('a new worker', async () => Number((await request(`${t.url}/pid`)).body) !== worker);
  } finally {
    kill(child, helper);
  }
  assert.equal(await t.stop(), 0);
});

/** The pids whose /proc/PID/statm the master holds open. */
function heldStatm(master: number): number[] {
  const pids: number[] = [];
  for (const fd of readdirSync(`/proc/${master}/fd`)) {
    try {
      const m = /^\/proc\/(\d+)\/statm$/.exec(readlinkSync(`/proc/${master}/fd/${fd}`));
      if (m) pids.push(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  return pids.sort((a, b) => a - b);
}

test('statm fds: one per live worker, closed when a worker crashes, is recycled, reloaded or retired, never inherited', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/probe.js\nprocesses = 3\nreload-on-rss = 1024\nmax-requests = 40\ndisable-logging = true` });
  const count = (re: RegExp) => (t.output().match(re) ?? []).length;
  /** Once `n` workers are left (draining ones gone, new ones ready): the master holds the statm fds of exactly those. */
  const settled = (what: string, n = 3) =>
    waitFor(`${what}: ${n} workers, and statm fds of exactly them`, () => {
      const ws = t.workers().sort((a, b) => a - b);
      return ws.length === n && count(/\) spawned/g) === count(/\) ready in/g) && JSON.stringify(heldStatm(t.pid)) === JSON.stringify(ws) && ws;
    }, 10_000, 50).catch((e) => assert.fail(`${e.message}: held ${heldStatm(t.pid)}, workers ${t.workers()}`));
  const first = await settled('at start');
  assert.equal(first.length, 3);
  // A worker must not inherit the master's statm fds of its siblings.
  for (const w of first) {
    const inherited = readdirSync(`/proc/${w}/fd`).filter((fd) => {
      try {
        return /\/statm$/.test(readlinkSync(`/proc/${w}/fd/${fd}`));
      } catch {
        return false;
      }
    });
    assert.deepEqual(inherited, [], `worker ${w} holds no statm fd`);
  }
  process.kill(first[0], 'SIGKILL'); // crash
  await t.waitForLog(new RegExp(`pid ${first[0]}\\) died`));
  await settled('after a crash');
  const r = await load(t.url, { clients: 4, count: 300, path: '/pid' }); // max-requests recycles
  assert.equal(r.ok, 300);
  await waitFor('recycles', () => count(/recycling: max-requests/g) >= 3);
  await settled('after recycles');
  const beforeReload = await settled('before a reload');
  t.signal('SIGHUP'); // graceful reload: every worker replaced
  await t.waitForLog(/reload done: \d+ of \d+/);
  const reloaded = await settled('after a reload');
  assert.ok(reloaded.every((p) => !beforeReload.includes(p)), `every worker replaced: ${beforeReload} -> ${reloaded}`);
  t.signal('SIGTTOU'); // one worker less: retired, not replaced
  await t.waitForLog(/processes: 2 \(one less\)/);
  await settled('after a worker was retired', 2);
  assert.equal(await t.stop(), 0);
});
