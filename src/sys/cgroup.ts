// The container's limits, read from its cgroup (v2, or v1's memory and cpu hierarchies): the memory limit and
// the CPU quota, and the kernel's count of OOM kills. No peer reads them: PM2's `instances: max` starts one
// worker per host core in a 2-CPU pod, and nothing checks that N workers at their memory cap fit the pod.
// Paths come from /proc/self/cgroup and /proc/self/mountinfo (never a guessed /sys/fs/cgroup/...), so a
// container with or without its own cgroup namespace, and a hybrid host (v1 controllers with an empty v2
// tree, like this CI machine), all resolve. Every ancestor up to the mount point is read too: a parent's
// limit binds the child (a pod's limit sits on the pod cgroup, the container's on the one below).
// `root` lets the tests point all of it at a fake tree.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as log from '../log.js';

export interface CgroupLimits {
  /** 1 or 2: the hierarchy the memory limit (else the CPU quota) was read from; null outside any. */
  readonly version: 1 | 2 | null;
  /** Bytes, or null when unlimited. */
  readonly memory: number | null;
  /** CPUs the quota allows (1.5 = 150 ms per 100 ms period), or null when unlimited. */
  readonly cpus: number | null;
  /** The directory holding the memory controller's files for this process, if any (for the OOM count). */
  readonly memoryDir: string | null;
  readonly memoryVersion: 1 | 2 | null;
}

/** v1 writes "no limit" as the largest page-aligned long, 9223372036854771712; anything this large is none. */
const UNLIMITED = 2 ** 60;

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

export interface Mount {
  readonly root: string;
  readonly point: string;
  readonly type: 'cgroup' | 'cgroup2';
  readonly controllers: readonly string[];
}

/** cgroup mounts from mountinfo: `id parent dev ROOT POINT opts ... - TYPE source SUPEROPTS`. */
export function mounts(root = '/'): Mount[] {
  const out: Mount[] = [];
  for (const line of (read(join(root, 'proc/self/mountinfo')) ?? '').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const f = left.split(' ');
    const [type, , superopts = ''] = right.split(' ');
    if (type !== 'cgroup' && type !== 'cgroup2') continue;
    out.push({ root: f[3], point: join(root, f[4]), type, controllers: superopts.split(',') });
  }
  return out;
}

/** The directories from this process's cgroup up to the mount point of its hierarchy, innermost first. */
export function chain(m: Mount, path: string): string[] {
  // Without a cgroup namespace the path is absolute on the host and the mount's root is a prefix of it.
  const rel = m.root !== '/' && path.startsWith(m.root) ? path.slice(m.root.length) : m.root === '/' ? path : '/';
  const parts = rel.split('/').filter(Boolean);
  const dirs: string[] = [];
  for (let i = parts.length; i >= 0; i--) dirs.push(join(m.point, ...parts.slice(0, i)));
  return dirs;
}

/** The smallest of `value(dir)` over the chain, ignoring dirs without the file. */
function smallest(dirs: string[], value: (dir: string) => number | null): number | null {
  let min: number | null = null;
  for (const d of dirs) {
    const v = value(d);
    if (v !== null && (min === null || v < min)) min = v;
  }
  return min;
}

function bytes(text: string | null): number | null {
  if (text === null || text === 'max') return null;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 && n < UNLIMITED ? n : null;
}

function quota(q: number, period: number): number | null {
  return q > 0 && period > 0 ? q / period : null;
}

/** Read the limits of the cgroup this process is in. */
export function cgroupLimits(root = '/'): CgroupLimits {
  const lines = (read(join(root, 'proc/self/cgroup')) ?? '').split('\n').filter(Boolean);
  const all = mounts(root);
  const v2path = lines.find((l) => l.startsWith('0::'))?.slice(3);
  const v2 = all.find((m) => m.type === 'cgroup2');
  const v1 = (ctl: string) => {
    for (const l of lines) {
      const [, ctls, path] = l.split(':');
      if (!ctls?.split(',').includes(ctl)) continue;
      const m = all.find((x) => x.type === 'cgroup' && x.controllers.includes(ctl));
      if (m) return chain(m, path ?? '/');
    }
    return null;
  };
  const v2dirs = v2 && v2path !== undefined ? chain(v2, v2path) : null;

  // A controller lives in one hierarchy: v2 when its files are in the v2 tree (enabled there), else v1.
  let memory: number | null = null;
  let memoryDir: string | null = null;
  let memoryVersion: 1 | 2 | null = null;
  if (v2dirs && read(join(v2dirs[0], 'memory.max')) !== null) {
    memory = smallest(v2dirs, (d) => bytes(read(join(d, 'memory.max'))));
    [memoryDir, memoryVersion] = [v2dirs[0], 2];
  } else {
    const dirs = v1('memory');
    if (dirs) {
      memory = smallest(dirs, (d) => bytes(read(join(d, 'memory.limit_in_bytes'))));
      [memoryDir, memoryVersion] = [dirs[0], 1];
    }
  }
  let cpus: number | null = null;
  let cpuVersion: 1 | 2 | null = null;
  if (v2dirs && read(join(v2dirs[0], 'cpu.max')) !== null) {
    cpuVersion = 2;
    cpus = smallest(v2dirs, (d) => {
      const [q, p] = (read(join(d, 'cpu.max')) ?? 'max').split(' ');
      return q === 'max' ? null : quota(Number(q), Number(p));
    });
  } else {
    const dirs = v1('cpu');
    if (dirs) {
      cpuVersion = 1;
      cpus = smallest(dirs, (d) => quota(Number(read(join(d, 'cpu.cfs_quota_us')) ?? -1), Number(read(join(d, 'cpu.cfs_period_us')) ?? 0)));
    }
  }
  return { version: memoryVersion ?? cpuVersion, memory, cpus, memoryDir, memoryVersion };
}

/**
 * `processes = auto`: one worker per CPU the quota allows (rounded, at least 1), never more than the CPUs
 * this process may run on (sched_getaffinity, which a cpuset narrows). A Node worker runs JavaScript on one
 * thread, so one per CPU keeps each busy without making them queue for the quota (CFS throttling).
 */
export function autoProcesses(limits: CgroupLimits = cgroupLimits()): number {
  const cores = availableParallelism();
  return limits.cpus === null ? cores : Math.max(1, Math.min(cores, Math.round(limits.cpus)));
}

/** The kernel's count of OOM kills in this cgroup (v2 memory.events, v1 memory.oom_control), else host-wide. */
/**
 * `memory-budget = auto`: the cgroup's memory limit less a margin (a tenth, at least 32 MiB) for what the tree
 * does not see (page cache the cgroup charges, kernel memory); 0 (no budget) outside a memory limit.
 */
export function autoMemoryBudget(limits: CgroupLimits = cgroupLimits()): number {
  if (limits.memory === null) return 0;
  return Math.max(0, limits.memory - Math.max(limits.memory / 10, 32 * 1024 * 1024));
}

export function oomKillCount(limits: Pick<CgroupLimits, 'memoryDir' | 'memoryVersion'>, root = '/'): number {
  const file = limits.memoryVersion === 2 ? 'memory.events' : limits.memoryVersion === 1 ? 'memory.oom_control' : null;
  const text = (file && limits.memoryDir && read(join(limits.memoryDir, file))) || read(join(root, 'proc/vmstat')) || '';
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * Was a worker that died of SIGKILL killed by the kernel's OOM killer? Yes when the cgroup's OOM-kill count
 * rose since the last look; each rise is given to one dead worker, so two workers killed by one squeeze are
 * both found. (A process of the app's own that the kernel chose is counted against the next SIGKILLed worker.)
 * The SIGKILLs tsws sends itself (hard limits, mercy, harakiri) leave the count alone.
 */
export class OomWatch {
  private seen: number;
  constructor(private readonly limits: Pick<CgroupLimits, 'memoryDir' | 'memoryVersion' | 'memory'> = cgroupLimits()) {
    this.seen = oomKillCount(limits);
  }
  /** Call for each worker that died of SIGKILL; logs and returns true when the OOM killer did it. */
  killedByOom(label: string, signal: string | null): boolean {
    if (signal !== 'SIGKILL') return false;
    const now = oomKillCount(this.limits);
    if (now <= this.seen) return false;
    this.seen++;
    const limit = this.limits.memory ? `the memory limit of ${Math.round(this.limits.memory / 1024 / 1024)} MiB` : 'the host running out of memory';
    log.warn(`${label} was killed by the kernel's OOM killer (${limit}); counted as recycle reason "oom" (see docs/scale-out.md on memory-fit-check)`);
    return true;
  }
}

let watch: OomWatch | null = null;

/** The pool's one question at a worker's death; the count's baseline is taken at the first call's module load. */
export function killedByOom(label: string, signal: string | null): boolean {
  return (watch ??= new OomWatch()).killedByOom(label, signal);
}

/** Take the baseline now (at startup), so that an OOM kill before the first worker death is not missed. */
export function watchOomKills(): void {
  watch ??= new OomWatch();
}
