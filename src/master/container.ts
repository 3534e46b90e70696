// What running in a container behind a load balancer asks of the master: the cgroup limits (read once at
// startup) and whether the pool fits them, the probe listener (health-check), and SIGTERM's shutdown-delay,
// during which the probes say "not ready" while everything else serves as usual.
import type { Server } from 'node:http';
import type { Config } from '../config/options.js';
import * as log from '../log.js';
import { cgroupLimits, watchOomKills, type CgroupLimits } from '../sys/cgroup.js';
import { mib } from '../sys/memory.js';
import { notify } from '../sys/systemd.js';
import { memoryFitProblem, workerCap } from '../sys/memory-fit.js';
import { startProbes, type ReadinessFacts } from './probes.js';


export class Container {
  readonly limits: CgroupLimits = cgroupLimits();
  private probes: Server | null = null;
  /** The running shutdown-delay: its timer, and how to end the wait early (false: a quick stop came). */
  private delay: { timer: NodeJS.Timeout; end: (go: boolean) => void } | null = null;

  constructor() {
    watchOomKills(); // the baseline of the OOM-kill count, before any worker exists
  }

  /** `cgroup v2: memory limit 512 MiB, CPU quota 1.5 CPU` (or that there is none), for the startup log. */
  describe(): string {
    const l = this.limits;
    if (!l.version) return 'no cgroup limits found (not in a container, or no cgroup mounted)';
    return `cgroup v${l.version}: memory limit ${l.memory ? mib(l.memory) : 'none'}, CPU quota ${l.cpus ? `${+l.cpus.toFixed(2)} CPU` : 'none'}`;
  }

  /** At startup: log the limits found; false (after saying why) when the pool cannot fit and the check is on. */
  fitsAtStartup(cfg: Config, setBy: ReadonlyMap<string, string>): boolean {
    log.info(this.describe());
    const fit = this.memoryFit(cfg, setBy);
    if (fit && cfg['memory-fit-check']) log.warn(fit);
    else if (fit) log.warn(`memory-fit-check is off, starting anyway: ${fit}`);
    return !fit || !cfg['memory-fit-check'];
  }

  /** The memory-fit problem of `cfg` in this container, at the line that set `processes`; null if it fits. */
  memoryFit(cfg: Config, setBy: ReadonlyMap<string, string>): string | null {
    const budget = cfg['memory-budget'] || cfg['evil-memory-budget'];
    if (budget && this.limits.memory !== null) {
      // The budget bounds the whole tree itself (issue 14): what must fit is the budget.
      if (budget <= this.limits.memory) return null;
      return `${setBy.get(cfg['memory-budget'] ? 'memory-budget' : 'evil-memory-budget') ?? 'configuration'}: the memory budget ${mib(budget)} is above the cgroup memory limit of ${mib(this.limits.memory)}: lower it (memory-budget = auto takes the limit less a margin), or set memory-fit-check = false to start anyway`;
    }
    const cap = workerCap(cfg['reload-on-rss'], cfg['evil-reload-on-rss']);
    const p = memoryFitProblem({
      // Spares are loaded workers too; recycle-concurrency lets that many replacements start at once.
      processes: cfg.processes + cfg['spare-workers'],
      perWorker: cap.bytes,
      perWorkerOption: cap.option,
      replacements: Math.max(1, cfg['recycle-concurrency']),
      master: process.memoryUsage().rss,
      limit: this.limits.memory,
    });
    return p && `${setBy.get('processes') ?? setBy.get(cap.option) ?? 'configuration'}: ${p}`;
  }

  /** health-check = ADDRESS, if set: the probes listen from now until close(). */
  async startProbes(address: string | null, facts: (inDelay: boolean) => ReadinessFacts): Promise<void> {
    if (!address) return;
    const p = await startProbes(address, () => facts(this.delay !== null));
    this.probes = p.server;
    log.info(`health checks on http://${p.where}/livez and /readyz`);
  }

  /**
   * A graceful stop's first step: `seconds` of serving as usual while /readyz fails, so that load balancers
   * and Kubernetes endpoints stop sending before the listener closes. False if a quick stop cut it short.
   */
  shutdownDelay(seconds: number, why: string): Promise<boolean> {
    if (seconds <= 0) return Promise.resolve(true);
    log.info(`graceful stop (${why}): /readyz fails from now on; accepting and serving for shutdown-delay ${seconds}s first`);
    notify({ STOPPING: '1', STATUS: `shutdown-delay ${seconds}s (${why}): still serving` });
    return new Promise((resolve) => {
      const end = (go: boolean) => ((this.delay = null), resolve(go));
      this.delay = { timer: setTimeout(() => end(true), seconds * 1000), end };
    });
  }

  /** A quick stop during the delay: the graceful stop waiting on it gives up. */
  cancelDelay(): void {
    if (!this.delay) return;
    clearTimeout(this.delay.timer);
    this.delay.end(false);
  }

  close(): void {
    this.probes?.close();
  }
}
