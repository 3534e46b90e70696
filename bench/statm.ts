// bench/statm: what one memory check costs the master, in isolation. Reads /proc/PID/statm of a live child
// process N times the way the per-request check did before (open, read, close, split: a string and an array
// per call) and the way it does now (pread of a held fd into a shared buffer, parsed byte by byte), and
// times the poll's process-tree accounting (tree.ts): the old walk of /proc/PID/task/PID/children, a full pass
// over /proc/*/stat, and the incremental pass the poll makes; and the whole per-request hook
// (Watchdog.afterRequest with reload-on-rss set) for a worker that stays busy (checks at most once a ms)
// and for one that goes idle after each request (checked every time). Prints JSON; figures are CPU time.
//
//   npx tsc -p . && node dist/bench/statm.js [--calls 100000]
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { loadConfig } from '../src/config/load.js';
import { descendants, PAGE, Statm } from '../src/sys/memory.js';
import { Watchdog, type Supervised } from '../src/master/watchdog.js';
import { Worker, type Life } from '../src/master/worker-handle.js';
import type { Upstream } from '../src/router/upstream.js';
import { ProcessTrees } from '../src/sys/tree.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '100000' } } });
const calls = Number(values.calls);

/** The check as it was up to this change (memory.ts statm()). */
function statmBefore(pid: number): [number, number] | null {
  try {
    const f = readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ');
    return [Number(f[0]) * PAGE, Number(f[1]) * PAGE];
  } catch {
    return null;
  }
}

/**
 * CPU time (user + system) per call, in ns: CPU time rather than wall time, so that a busy shared machine
 * (descheduling) inflates it less.
 */
function nsPerCall(n: number, f: () => unknown): number {
  for (let i = 0; i < Math.min(n, 5000); i++) f(); // warm up: JIT
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const t = process.cpuUsage(t0);
  return ((t.user + t.system) * 1000) / n;
}

const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
const pid = child.pid!;
try {
  await new Promise((r) => setTimeout(r, 200));
  const s = new Statm(pid);
  if (!s.read()) throw new Error('cannot read the child\'s statm');
  const check = statmBefore(pid)!;
  if (check[1] !== s.rss && Math.abs(check[1] - s.rss) > 1 << 20) throw new Error(`the two reads disagree: ${check[1]} vs ${s.rss}`);
  const before = nsPerCall(calls, () => statmBefore(pid));
  const after = nsPerCall(calls, () => s.read());
  s.close();
  // The per-request hook, on a Worker handle for the child (its statm held open as the pool does).
  const cfg = loadConfig({ iniSpecs: [], argv: [{ where: 'bench', key: 'reload-on-rss', value: '4000', expand: false }], env: {}, cwd: process.cwd() }).config;
  const watchdog = new Watchdog(cfg, { all: new Set() } as unknown as Supervised);
  const w = new Worker(1, 1, { pid } as ChildProcess, '');
  const exchanges: unknown[] = [{}];
  // A serving worker, as the pool's transition() would make it (this handle has no pool).
  (w as { life: Life }).life = { state: 'serving', upstream: { requests: 1, exchanges } as unknown as Upstream };
  const hookBusy = nsPerCall(calls, () => watchdog.afterRequest(w));
  exchanges.length = 0;
  const hookIdle = nsPerCall(calls, () => watchdog.afterRequest(w));
  w.statm.close();
  const processes = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
  const scans = 200;
  const walk = nsPerCall(scans, () => descendants(pid));
  const full = nsPerCall(scans, () => new ProcessTrees().scan([pid]));
  const trees = new ProcessTrees();
  const incremental = nsPerCall(scans, () => trees.scan([pid]));
  console.log(
    JSON.stringify(
      {
        node: process.version,
        calls,
        before_ns_per_check: Math.round(before),
        after_ns_per_check: Math.round(after),
        speedup: Number((before / after).toFixed(1)),
        after_request_hook_ns: { busy_worker_check_skipped: Math.round(hookBusy), idle_worker_checked: Math.round(hookIdle) },
        poll_tree_us: {
          processes_on_machine: processes,
          before_children_walk: Math.round(walk / 1000),
          full_pass: Math.round(full / 1000),
          incremental_pass: Math.round(incremental / 1000),
        },
      },
      null,
      2,
    ),
  );
} finally {
  child.kill('SIGKILL');
}
