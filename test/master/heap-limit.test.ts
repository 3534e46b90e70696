// heap-limit.ts: when workers get a heap limit above the memory limit, and when the user is told instead.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { heapLimit } from '../../src/master/heap-limit.js';

const MiB = 1024 * 1024;
const cfg = (lines: Record<string, string>) =>
  loadConfig({ iniSpecs: [], argv: Object.entries(lines).map(([key, value]) => ({ where: 'test', key, value, expand: false })), env: {}, cwd: process.cwd() }).config;

test('no memory limit, or one well under V8\'s default: nothing changes', () => {
  assert.deepEqual(heapLimit(cfg({}), {}, 4144 * MiB), { args: [], note: null });
  assert.deepEqual(heapLimit(cfg({ 'reload-on-rss': '400' }), {}, 4144 * MiB), { args: [], note: null });
});

test('reload-on-rss above V8\'s default: the workers\' limit is raised 25% above it, and logged', () => {
  const h = heapLimit(cfg({ 'reload-on-rss': '700' }), {}, 524 * MiB);
  assert.deepEqual(h.args, ['--max-old-space-size=875']);
  assert.equal(h.note?.level, 'info');
  assert.match(h.note!.text, /raised to 875 MiB \(V8's default here is 524 MiB, below reload-on-rss 700 MiB/);
  assert.deepEqual(heapLimit(cfg({ 'evil-reload-on-rss': '1000' }), {}, 524 * MiB).args, ['--max-old-space-size=1250']);
});

test('a limit the user set is kept; one below the memory limit is a warning that says what will happen', () => {
  const low = heapLimit(cfg({ 'reload-on-rss': '700', 'worker-node-args': '--max-old-space-size=512' }), {}, 4144 * MiB);
  assert.deepEqual(low.args, []);
  assert.equal(low.note?.level, 'warn');
  assert.match(low.note!.text, /worker-node-args sets --max-old-space-size=512, below reload-on-rss 700 MiB: .*JavaScript heap out of memory/);
  const env = heapLimit(cfg({ 'reload-on-rss': '700' }), { NODE_OPTIONS: '--max_old_space_size=300 --enable-source-maps' }, 4144 * MiB);
  assert.match(env.note!.text, /^NODE_OPTIONS sets --max-old-space-size=300/);
  assert.deepEqual(heapLimit(cfg({ 'reload-on-rss': '700', 'worker-node-args': '--max-old-space-size=2048' }), {}, 524 * MiB), { args: [], note: null });
});

test('memory-budget = auto: the cgroup\'s memory limit less a tenth (at least 32 MiB), none outside a limit', async () => {
  const { autoMemoryBudget } = await import('../../src/sys/cgroup.js');
  const limits = (memory: number | null) => ({ version: 2 as const, memory, cpus: null, memoryDir: null, memoryVersion: 2 as const });
  assert.equal(autoMemoryBudget(limits(1024 * MiB)), 1024 * MiB - 102.4 * MiB);
  assert.equal(autoMemoryBudget(limits(200 * MiB)), 168 * MiB);
  assert.equal(autoMemoryBudget(limits(null)), 0);
});
