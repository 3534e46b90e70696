// sys/cgroup.ts against fake /proc and /sys trees (v2, v1, a hybrid host, a container without a cgroup
// namespace, limits on an ancestor), sys/memory-fit.ts's arithmetic, and `processes = auto` parsing. The
// real kernel's files are exercised end to end in test/server/cgroup-limits.test.ts.
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { autoProcesses, cgroupLimits, OomWatch, oomKillCount } from '../../src/sys/cgroup.js';
import { memoryFitProblem } from '../../src/sys/memory-fit.js';
import { readiness } from '../../src/master/probes.js';
import { tempDir } from '../helpers/procs.js';

function tree(files: Record<string, string>): string {
  const root = tempDir('tsws-cgroup-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const MiB = 1024 * 1024;

test('cgroup v2: memory.max and cpu.max of the process\'s cgroup, the smallest up the tree', () => {
  const root = tree({
    'proc/self/cgroup': '0::/kubepods/pod1/ctr\n',
    'proc/self/mountinfo': '30 22 0:27 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n',
    'sys/fs/cgroup/kubepods/pod1/memory.max': `${256 * MiB}\n`, // the pod's limit binds the container
    'sys/fs/cgroup/kubepods/pod1/ctr/memory.max': 'max\n',
    'sys/fs/cgroup/kubepods/pod1/ctr/cpu.max': '150000 100000\n',
    'sys/fs/cgroup/kubepods/pod1/ctr/memory.events': 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n',
  });
  const l = cgroupLimits(root);
  assert.equal(l.version, 2);
  assert.equal(l.memory, 256 * MiB);
  assert.equal(l.cpus, 1.5);
  assert.equal(oomKillCount(l, root), 2);
});

test('cgroup v2 inside a cgroup namespace: the path is /, the mount is the container\'s own cgroup', () => {
  const root = tree({
    'proc/self/cgroup': '0::/\n',
    'proc/self/mountinfo': '30 22 0:27 / /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n',
    'sys/fs/cgroup/memory.max': `${512 * MiB}\n`,
    'sys/fs/cgroup/cpu.max': 'max 100000\n',
  });
  const l = cgroupLimits(root);
  assert.deepEqual([l.version, l.memory, l.cpus], [2, 512 * MiB, null]);
});

test('cgroup v1 without a cgroup namespace: the mount root is a prefix of the host path', () => {
  const root = tree({
    'proc/self/cgroup': '4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n',
    'proc/self/mountinfo':
      '34 30 0:31 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n' +
      '31 30 0:28 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup rw,cpu,cpuacct\n',
    'sys/fs/cgroup/memory/memory.limit_in_bytes': `${300 * MiB}\n`,
    'sys/fs/cgroup/memory/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 5\n',
    'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '50000\n',
    'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
  });
  const l = cgroupLimits(root);
  assert.deepEqual([l.version, l.memory, l.cpus], [1, 300 * MiB, 0.5]);
  assert.equal(oomKillCount(l, root), 5);
  assert.equal(autoProcesses(l), 1);
});

test('a hybrid host (v1 controllers, an empty v2 tree) reads v1; v1\'s "unlimited" and quota -1 are none', () => {
  const root = tree({
    'proc/self/cgroup': '4:memory:/a/b\n1:cpu:/\n0::/\n',
    'proc/self/mountinfo':
      '31 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n' +
      '34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n' +
      '40 30 0:37 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n',
    'sys/fs/cgroup/unified/cgroup.controllers': 'hugetlb\n',
    'sys/fs/cgroup/memory/a/b/memory.limit_in_bytes': '9223372036854771712\n',
    'sys/fs/cgroup/memory/a/memory.limit_in_bytes': '9223372036854771712\n',
    'sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n',
    'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n',
    'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
  });
  const l = cgroupLimits(root);
  assert.deepEqual([l.version, l.memory, l.cpus], [1, null, null]);
  assert.equal(autoProcesses(l), availableParallelism());
});

test('outside any cgroup: no limits; the OOM count falls back to /proc/vmstat', () => {
  const root = tree({ 'proc/self/cgroup': '', 'proc/self/mountinfo': '', 'proc/vmstat': 'pgfault 1\noom_kill 7\n' });
  const l = cgroupLimits(root);
  assert.deepEqual([l.version, l.memory, l.cpus], [null, null, null]);
  assert.equal(oomKillCount(l, root), 7);
});

test('OomWatch gives each rise of the count to one SIGKILLed worker, and nothing to other deaths', () => {
  const root = tree({ 'memcg/memory.events': 'oom_kill 1\n' });
  const w = new OomWatch({ memoryDir: join(root, 'memcg'), memoryVersion: 2, memory: 100 * MiB });
  assert.equal(w.killedByOom('worker 1', 'SIGKILL'), false, 'a kill before the baseline is not this one');
  writeFileSync(join(root, 'memcg/memory.events'), 'oom_kill 3\n');
  assert.equal(w.killedByOom('worker 1', 'SIGTERM'), false);
  assert.equal(w.killedByOom('worker 1', null), false);
  assert.equal(w.killedByOom('worker 1', 'SIGKILL'), true);
  assert.equal(w.killedByOom('worker 2', 'SIGKILL'), true);
  assert.equal(w.killedByOom('worker 3', 'SIGKILL'), false, 'two kills, two workers');
});

test('memory fit: the worst case names its numbers and how many processes would fit', () => {
  const base = { perWorker: 100 * MiB, perWorkerOption: 'reload-on-rss', replacements: 1, master: 50 * MiB, limit: 512 * MiB };
  assert.equal(memoryFitProblem({ ...base, processes: 3 }), null); // 4 x 100 + 50 = 450
  const p = memoryFitProblem({ ...base, processes: 8 });
  assert.match(p ?? '', /512 MiB: \(8 processes \+ 1 replacement\) x reload-on-rss 100 MiB \+ master 50 MiB = 950 MiB; at most 3 processes fit/);
  assert.match(p ?? '', /memory-fit-check = false/);
  assert.equal(memoryFitProblem({ ...base, processes: 8, limit: null }), null, 'no limit, nothing to check');
  assert.equal(memoryFitProblem({ ...base, processes: 8, perWorker: 0 }), null, 'no cap, nothing to check');
});

test('readiness: each reason to refuse, in the order a prober should hear it', () => {
  const f = { started: true, stopping: null, serving: 2, minServing: 1, queued: 0, queueLimit: 100 } as const;
  assert.equal(readiness(f).ready, true);
  assert.match(readiness({ ...f, stopping: 'delay' }).why, /shutdown-delay/);
  assert.match(readiness({ ...f, stopping: 'stopping' }).why, /stopping/);
  assert.match(readiness({ ...f, started: false }).why, /starting/);
  assert.match(readiness({ ...f, minServing: 3 }).why, /2 worker\(s\) serving, fewer than health-check-min-workers 3/);
  assert.match(readiness({ ...f, queued: 100 }).why, /queue full/);
  assert.equal(readiness({ ...f, serving: 0 }).ready, false);
});

test('processes = auto is the CPU quota\'s count; another word is still refused', async () => {
  const { parseValue, ValueError } = await import('../../src/config/values.js');
  const { spec } = await import('../../src/config/options.js');
  assert.equal(parseValue(spec('processes'), 'auto'), autoProcesses());
  assert.equal(parseValue(spec('processes'), '3'), 3);
  assert.throws(() => parseValue(spec('processes'), 'many'), ValueError);
});
