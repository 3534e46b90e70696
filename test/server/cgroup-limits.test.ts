// cgroup limits end to end, in test cgroups this file makes (helpers/cgroup.ts): `processes = auto` follows a
// CPU quota, the memory-fit check refuses a pool that cannot fit a memory limit (and starts with the override),
// and a worker the kernel's OOM killer takes is counted as recycle reason "oom".
import { strict as assert } from 'node:assert';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { makeTestCgroup, type TestCgroup } from '../helpers/cgroup.js';
import { APPS, freePort, request, startTsws, waitFor } from '../helpers/tsws.js';

const MiB = 1024 * 1024;

function cgroupOrSkip(t: { skip(m: string): void }): TestCgroup | null {
  const cg = makeTestCgroup();
  if (typeof cg === 'string') {
    t.skip(`no test cgroup: ${cg}`);
    return null;
  }
  return cg;
}

test('processes = auto follows the CPU quota of the cgroup, not the host\'s cores', async (t) => {
  const cg = cgroupOrSkip(t);
  if (!cg) return;
  cg.cpus(0.5);
  const s = await startTsws({ ini: `module = ${APPS}/probe.js\nprocesses = auto`, prefix: cg.prefix });
  assert.match(s.output(), new RegExp(`cgroup v${cg.version}: memory limit none, CPU quota 0.5 CPU`));
  assert.match(s.output(), /tsws 1 worker\(s\) x 1 thread\(s\) ready/);
  assert.equal(await s.stop(), 0);
  console.log(`figure: processes = auto: 1 worker under a 0.5-CPU quota (cgroup v${cg.version}); the host has ${availableParallelism()} CPUs`);
});

test('the memory-fit check refuses a pool that cannot fit the memory limit, and memory-fit-check = false starts it', async (t) => {
  const cg = cgroupOrSkip(t);
  if (!cg) return;
  cg.memory(256 * MiB);
  const ini = `module = ${APPS}/probe.js\nprocesses = 2\nreload-on-rss = 200`;
  const refused = await startTsws({ ini, prefix: cg.prefix, waitReady: false });
  assert.equal(await refused.exited, 78, refused.output());
  const line = /app\.ini:\d+: the pool's worst case does not fit the cgroup memory limit of 256 MiB: \(2 processes \+ 1 replacement\) x reload-on-rss 200 MiB \+ master \d+ MiB = \d+ MiB;.*memory-fit-check = false/;
  assert.match(refused.output(), line);
  assert.doesNotMatch(refused.output(), /worker 1 .*spawned/, 'refused before any worker started');
  const forced = await startTsws({ ini: `${ini}\nmemory-fit-check = false`, prefix: cg.prefix });
  assert.match(forced.output(), /memory-fit-check is off, starting anyway/);
  assert.equal(await forced.stop(), 0);
  console.log(`figure: memory-fit: ${refused.output().match(line)?.[0]}`);
});

test('a worker killed by the OOM killer is reported and counted as recycle reason "oom"', async (t) => {
  const cg = cgroupOrSkip(t);
  if (!cg) return;
  cg.memory(200 * MiB);
  const stats = await freePort();
  const s = await startTsws({ ini: `module = ${APPS}/probe.js\nprocesses = 1\nstats = 127.0.0.1:${stats}\nstats-http = true`, prefix: cg.prefix });
  const first = s.workers()[0];
  // Leak 20 MiB a request until the kernel steps in (the worker is the largest process in the cgroup).
  await waitFor('the OOM killer', async () => {
    await request(`${s.url}/leak/20`).catch(() => null);
    return /killed by the kernel's OOM killer/.test(s.output());
  }, 30_000, 0);
  assert.match(s.output(), new RegExp(`worker 1 \\(pid ${first}\\) was killed by the kernel's OOM killer \\(the memory limit of 200 MiB\\)`));
  const doc = await waitFor('recycles.oom in the stats', async () => {
    const d = JSON.parse((await request(`http://127.0.0.1:${stats}/`)).body);
    return d.tsws.recycles.oom === 1 && d;
  });
  assert.equal((await request(`${s.url}/pid`)).status, 200, 'a new worker serves');
  assert.notEqual(s.workers()[0], first);
  const prom = await request(`http://127.0.0.1:${stats}/metrics`);
  assert.match(prom.body, /tsws_recycles_total\{reason="oom"\} 1/);
  assert.equal(await s.stop(), 0);
  console.log(`figure: OOM kill under a 200 MiB limit (cgroup v${cg.version}): recycles ${JSON.stringify(doc.tsws.recycles)}`);
});
