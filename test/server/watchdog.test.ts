// The watchdog end to end: every recycle trigger, the refusal of impossible limits, reasons in the log, and
// zero failed requests while workers are recycled under load.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APPS, load, probeMarks, request, startTsws, waitFor } from '../helpers/tsws.js';

const probe = `module = ${APPS}/probe.js`;

function count(text: string, re: RegExp): number {
  return (text.match(new RegExp(re.source, 'g')) ?? []).length;
}

test('reload-on-rss: a leaking worker is recycled with its reason, and no request fails under keep-alive load', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\nthreads = 2\nreload-on-rss = 150\ndisable-logging = true` });
  const r = await load(t.url, { clients: 4, count: 60, path: '/leak/30', keepBodies: true });
  assert.deepEqual(r.errors, {});
  assert.equal(r.ok, 60, JSON.stringify(r.statuses));
  await t.waitForLog(/recycling: rss \d+ MiB > reload-on-rss 150 MiB after \d+ requests/);
  assert.ok(count(t.output(), /recycling: rss/) >= 4, t.output());
  assert.ok(new Set(r.bodies).size >= 6, `served by ${new Set(r.bodies).size} pids`);
  assert.equal(await t.stop(), 0);
});

test('an idle worker that bloats after its last request is recycled by the master\'s poll', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nreload-on-rss = 120\nmaster-interval = 0.2` });
  const pid = (await request(`${t.url}/bloat-later/150`)).body;
  await t.waitForLog(new RegExp(`worker 1 \\(pid ${pid}\\) recycling: rss \\d+ MiB > reload-on-rss 120 MiB after 1 request`), 5000);
  await waitFor('a new worker', async () => (await request(`${t.url}/pid`)).body !== pid);
  assert.equal(await t.stop(), 0);
});

test('max-requests = 5, 2 workers, 4 clients x 150 requests: every request succeeds, served by at least 15 worker pids', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\nthreads = 2\nmax-requests = 5\ndisable-logging = true` });
  const r = await load(t.url, { clients: 4, count: 600, path: '/pid', keepBodies: true });
  assert.deepEqual(r.errors, {});
  assert.equal(r.ok, 600, JSON.stringify(r.statuses));
  const pids = new Set(r.bodies);
  assert.ok(pids.size >= 15, `only ${pids.size} distinct pids`);
  assert.match(t.output(), /recycling: max-requests reached: \d+ requests \(limit \d+ for this worker\)/);
  assert.equal(await t.stop(), 0);
});

test('max-requests-delta gives worker N the limit max + (N-1) x delta (jitter 0)', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 3\nmax-requests = 4\nmax-requests-delta = 10\nmax-requests-jitter = 0\ndisable-logging = true` });
  await load(t.url, { clients: 3, count: 120, path: '/pid' });
  const limits = new Map<string, Set<string>>();
  for (const m of t.output().matchAll(/worker (\d) \(pid \d+\) recycling: max-requests reached: \d+ requests \(limit (\d+) for this worker\)/g)) {
    if (!limits.has(m[1])) limits.set(m[1], new Set());
    limits.get(m[1])!.add(m[2]);
  }
  assert.deepEqual([...(limits.get('1') ?? [])], ['4']);
  assert.deepEqual([...(limits.get('2') ?? [])], ['14']);
  await t.stop();
});

test('max-worker-lifetime recycles workers by age, one at a time, with no failed request', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\nmax-worker-lifetime = 1\nmaster-interval = 0.1\ndisable-logging = true` });
  const r = await load(t.url, { clients: 4, durationMs: 3500, path: '/sleep/20' });
  assert.deepEqual(r.errors, {});
  assert.deepEqual(Object.keys(r.statuses), ['200']);
  assert.ok(count(t.output(), /recycling: max-worker-lifetime reached/) >= 3, t.output());
  assert.equal(await t.stop(), 0);
});

test('min-worker-lifetime holds soft recycles back', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nmax-requests = 2\nmin-worker-lifetime = 30\ndisable-logging = true` });
  const r = await load(t.url, { clients: 2, count: 20, path: '/pid', keepBodies: true });
  assert.equal(new Set(r.bodies).size, 1, 'no recycle before the worker is 30 s old');
  await t.stop();
});

test('evil-reload-on-rss kills the worker at once; its in-flight GET is retried on the replacement and answered', async () => {
  const marks = probeMarks();
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nthreads = 2\nevil-reload-on-rss = 150\nmaster-interval = 0.1\n${marks.ini}` });
  const [first] = t.workers();
  const slow = request(`${t.url}/sleep/1500`);
  await marks.started();
  // Answered at once; 100 ms later the worker holds 200 MB more, with /sleep/1500 still in flight.
  assert.equal((await request(`${t.url}/bloat-later/200`)).status, 200);
  await t.waitForLog(new RegExp(`worker 1 \\(pid ${first}\\) killed: rss \\d+ MiB > evil-reload-on-rss 150 MiB after \\d+ requests?`));
  const s = await slow;
  assert.equal(s.status, 200);
  assert.notEqual(s.body.split(' ')[0], String(first), 'answered by the replacement');
  assert.equal(await t.stop(), 0);
});

test('reload-on-as below what a fresh Node worker reserves is refused at startup, with the reason', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nreload-on-as = 200`, waitReady: false });
  assert.equal(await t.exited, 78);
  assert.match(t.output(), /reload-on-as 200 MiB is below the address space of a fresh worker \(\d+ MiB, before any request\)/);
  assert.match(t.output(), /Node reserves ~700 MB of address space at start and each WebAssembly memory reserves ~10 GB/);
  assert.doesNotMatch(t.output(), /recycling/);
});

test('reload-on-rss below a fresh worker\'s memory is refused too', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nreload-on-rss = 5`, waitReady: false });
  assert.equal(await t.exited, 78);
  assert.match(t.output(), /reload-on-rss 5 MiB is below the memory of a fresh worker/);
});

test('limit-as sets RLIMIT_AS on workers; a value Node cannot start under is refused with an explanation', async () => {
  const ok = await startTsws({ ini: `${probe}\nprocesses = 1\nlimit-as = 8G` });
  const limits = (await request(`${ok.url}/limits`)).body;
  assert.match(limits, new RegExp(`Max address space\\s+${8 * 1024 ** 3}\\s+${8 * 1024 ** 3}\\s+bytes`));
  await ok.stop();

  const low = await startTsws({ ini: `${probe}\nprocesses = 1\nlimit-as = 300`, waitReady: false });
  assert.notEqual(await low.exited, 0);
  assert.match(low.output(), /limit-as is 300 MiB: Node needs ~700 MB of address space just to start/);
  assert.ok(count(low.output(), /spawned/) <= 1, 'no respawn loop');
});

test('harakiri = 2: a request that blocks its worker for 8 s gets 504 in under 4 s, and the server keeps answering', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\nharakiri = 2\nharakiri-verbose = true` });
  const start = Date.now();
  const stuck = await request(`${t.url}/block/8000`);
  const took = Date.now() - start;
  assert.equal(stuck.status, 504);
  assert.match(stuck.body, /harakiri/);
  assert.ok(took < 4000, `504 after ${took} ms`);
  const after = await load(t.url, { clients: 2, count: 10, path: '/pid' });
  assert.equal(after.ok, 10);
  await t.waitForLog(/harakiri: GET \/block\/8000 ran \d+\.\ds > harakiri 2s; wchan/);
  await t.waitForLog(/killed: harakiri: GET \/block\/8000 .* its event loop did not answer within 1s/);
  assert.equal(await t.stop(), 0);
});

test('harakiri on a worker whose loop still answers drains it: its other requests finish', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nthreads = 2\nharakiri = 1` });
  const stuck = request(`${t.url}/sleep/3000`);
  await new Promise((r) => setTimeout(r, 800));
  // In flight when /sleep/3000 passes harakiri (at 1 to 1.25 s); it runs 0.9 s, within its own harakiri.
  const other = request(`${t.url}/sleep/900`);
  assert.equal((await stuck).status, 504);
  assert.equal((await other).status, 200);
  await t.waitForLog(/recycling: harakiri: GET \/sleep\/3000/);
  assert.doesNotMatch(t.output(), /event loop did not answer/);
  assert.equal(await t.stop(), 0);
});

test('an uncaught exception: that request gets 500, the worker is drained and replaced', async () => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 1` });
  const before = t.workers()[0];
  const r = await request(`${t.url}/throw-async`);
  assert.equal(r.status, 500);
  await t.waitForLog(/recycling: uncaught exception in the app/);
  await waitFor('the replacement', async () => (await request(`${t.url}/pid`)).body !== String(before));
  const sync = await request(`${t.url}/throw`);
  assert.equal(sync.status, 500, 'a synchronous throw is answered 500 too');
  assert.equal(await t.stop(), 0);
});
