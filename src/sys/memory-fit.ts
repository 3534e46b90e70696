// Does the pool's worst case fit the container's memory limit? Checked at startup (and by a reload that
// changes the numbers), because the alternative is finding out in production: N workers at their cap, plus a
// replacement starting beside a recycled one, plus the master exceed the pod, and the kernel's OOM killer
// picks a process, perhaps the master with every queued request in it.
import { mib } from './memory.js';

export interface FitInput {
  readonly processes: number;
  /** What one worker may grow to before it is recycled (reload-on-rss, else evil-reload-on-rss); 0 = no cap. */
  readonly perWorker: number;
  readonly perWorkerOption: string;
  /**
   * Workers that may run beside the ones they replace: one, as a chain reload (SIGHUP) and one memory recycle
   * at a time each add one. A replacement is counted at the cap too: it may grow while the old one drains.
   */
  readonly replacements: number;
  /** The master's own RSS now. */
  readonly master: number;
  /** The cgroup's memory limit, bytes; null = none. */
  readonly limit: number | null;
}

/** The problem, naming every number, or null when it fits (or there is no limit or no cap to check). */
export function memoryFitProblem(f: FitInput): string | null {
  if (f.limit === null || f.perWorker === 0) return null;
  const workers = f.processes + f.replacements;
  const worst = workers * f.perWorker + f.master;
  if (worst <= f.limit) return null;
  const fits = Math.floor((f.limit - f.master) / f.perWorker) - f.replacements;
  return (
    `the pool's worst case does not fit the cgroup memory limit of ${mib(f.limit)}: ` +
    `(${f.processes} processes + ${f.replacements} replacement) x ${f.perWorkerOption} ${mib(f.perWorker)} + master ${mib(f.master)} = ${mib(worst)}; ` +
    (fits >= 1 ? `at most ${fits} processes fit, ` : '') +
    `lower processes or ${f.perWorkerOption}, raise the container's memory limit, or set memory-fit-check = false to start anyway`
  );
}

/** The per-worker cap the check uses: the soft limit, else the hard one. */
export function workerCap(reloadOnRss: number, evilReloadOnRss: number): { bytes: number; option: string } {
  return reloadOnRss ? { bytes: reloadOnRss, option: 'reload-on-rss' } : { bytes: evilReloadOnRss, option: 'evil-reload-on-rss' };
}
