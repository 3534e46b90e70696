// Worker memory, read from /proc: RSS of the worker's whole process tree (children the app spawns count,
// which PM2 and uWSGI miss) and the worker's own address space (VSZ) for the -as options. The per-request
// check must cost one small read, so /proc is read directly (see procstat.ts on why pidusage is not used).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A system constant (`getconf NAME`), read once at start; `fallback` if getconf is missing or odd. */
export function getconf(name: string, fallback: number): number {
  const n = Number(spawnSync('getconf', [name], { encoding: 'utf8' }).stdout?.trim());
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

export const PAGE = getconf('PAGESIZE', 4096);

/** [vsz, rss] of one process in bytes, or null if it is gone. */
export function statm(pid: number): [number, number] | null {
  try {
    const f = readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ');
    return [Number(f[0]) * PAGE, Number(f[1]) * PAGE];
  } catch {
    return null;
  }
}

/**
 * Direct children of `pid`. Node forks children from its main thread, so the main task's `children` file
 * lists them.
 */
export function children(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim();
    return text ? text.split(' ').map(Number) : [];
  } catch {
    return [];
  }
}

/** Every descendant of `pid`, grandchildren included. */
export function descendants(pid: number): number[] {
  const kids = children(pid);
  return kids.concat(...kids.map(descendants));
}

export interface MemorySample {
  /** RSS of the worker and all its descendants, bytes. */
  readonly rss: number;
  /** Address space of the worker process itself, bytes. */
  readonly vsz: number;
}

/** Memory of a worker; `tree` is its descendants as last listed (refreshed by the master's poll). */
export function sample(pid: number, tree: readonly number[]): MemorySample | null {
  const own = statm(pid);
  if (!own) return null;
  let rss = own[1];
  for (const c of tree) rss += statm(c)?.[1] ?? 0;
  return { rss, vsz: own[0] };
}

/** PSS of a process in bytes (shared pages divided among their users): the fair share of a process tree. */
export function pss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Sum of PSS over a process and all its descendants: what a process tree really costs. */
export function treePss(pid: number): number {
  return [pid, ...descendants(pid)].reduce((sum, p) => sum + pss(p), 0);
}

export function mib(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}
