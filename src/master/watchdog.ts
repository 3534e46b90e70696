// The watchdog: limits → recycle decisions, each with its reason and figures.
//   soft (drain and replace): reload-on-rss, reload-on-as, max-requests, max-worker-lifetime
//   hard (kill now):          evil-reload-on-rss, evil-reload-on-as
// Checked when a request ends (the router tells the master; memory at most once a millisecond while a worker
// stays busy, see afterRequest) and polled every master-interval, so an idle, bloated worker is recycled too —
// uWSGI checks only after a request.
import { readFileSync } from 'node:fs';
import type { Config } from '../config/options.js';
import * as log from '../log.js';
import { mib, type MemorySample } from '../sys/memory.js';
import { ProcessTrees } from '../sys/tree.js';
import { cpuSeconds, procStat, type StatFields } from '../sys/procstat.js';
import { MemoryBudget, memoryLimited } from './budget.js';
import { grownMost } from './route-table.js';
import type { RecycleReason, Supervised, Worker } from './worker-handle.js';

export type { Supervised };



/** A worker whose event loop has not answered a ping for this long is unresponsive. */
const HANG_MS = 2000;

/**
 * A gap between two polls this much longer than master-interval means the master itself did not run (SIGSTOP,
 * a debugger, the host suspended, a clock step): the workers' silence in that time says nothing about them.
 */
const STALL_MS = 1000;

/** While a worker stays busy, its per-request memory checks are at least this far apart (ms). */
const CHECK_EVERY_MS = 1;

interface Verdict {
  readonly limit: RecycleReason;
  readonly hard: boolean;
  readonly reason: string;
}

export class Watchdog {
  private cfg!: Config;
  private memoryLimits = false;
  private readonly budget: MemoryBudget;
  /** Which processes belong to which worker's tree, read incrementally from /proc at each poll. */
  private readonly trees = new ProcessTrees();

  constructor(
    cfg: Config,
    private readonly pool: Supervised,
    /** The router's hold(): the memory budget holds new requests while a recycled worker frees its memory. */
    hold: (on: boolean) => void = () => {},
  ) {
    this.budget = new MemoryBudget(pool, hold);
    this.configure(cfg);
  }

  /** The limits to enforce from now on (a reload may change them); workers keep the max-requests they drew. */
  configure(cfg: Config): void {
    this.cfg = cfg;
    this.memoryLimits = memoryLimited(cfg);
    this.budget.configure(cfg);
  }

  /** This incarnation's max-requests: max + (id-1) × delta + random(0..jitter), so workers do not all recycle together. */
  requestLimit(id: number): number {
    const max = this.cfg['max-requests'];
    if (max === 0) return 0;
    const jitter = this.cfg['max-requests-jitter'];
    return max + (id - 1) * this.cfg['max-requests-delta'] + Math.floor(Math.random() * (jitter + 1));
  }

  private lifetimeLimit(id: number): number {
    const max = this.cfg['max-worker-lifetime'];
    return max === 0 ? 0 : max + (id - 1) * this.cfg['max-worker-lifetime-delta'];
  }

  /**
   * A request on `w` just ended. With a memory limit set, its memory is checked — one pread of its held
   * statm fd plus its tree's RSS as of the last poll — when it has nothing else in flight, or when its last
   * check is CHECK_EVERY_MS old: a worker measured over a limit gets no new request, and one that goes idle
   * is always measured before its next request is dispatched. Only a worker that stays busy skips checks, for
   * at most a millisecond. Each check is a syscall: ~3 µs of CPU from Node on this 2-core VM (bench/statm.ts),
   * against the router's ~36 µs per request, so one after every request at hello-world rates would cost ~9%
   * of throughput by itself; at most one per worker per millisecond is bounded by 0.3% of a core per worker.
   */
  afterRequest(w: Worker): void {
    if (w.state !== 'serving' && !(this.memoryLimits && w.state === 'draining')) return;
    let mem: MemorySample | null = null;
    if (this.memoryLimits) {
      const now = performance.now();
      if (now - w.checkedAt >= CHECK_EVERY_MS || (w.upstream?.exchanges.length ?? 0) === 0) {
        w.checkedAt = now;
        const before = w.memory?.rss ?? 0;
        mem = w.measure();
        if (mem && before) this.budget.grew(mem.rss - before);
      }
    }
    this.act(w, mem);
    if (mem) this.budget.check(this.freshMemory);
  }

  private lastPoll = 0;

  /** The master's beat (re)starts now: the first poll measures its gap from here. */
  beatStarts(): void {
    this.lastPoll = Date.now();
  }

  /**
   * Every master-interval: account each worker's process tree (one incremental pass over /proc for all of
   * them, see tree.ts), measure, check every limit of every live worker.
   */
  poll(): void {
    this.checkStall();
    const live: Worker[] = [];
    for (const w of this.pool.all) if (w.state === 'serving' || w.state === 'draining' || w.state === 'standby') live.push(w);
    const trees = this.trees.scan(live.map((w) => w.pid));
    for (const w of live) {
      const t = trees.get(w.pid);
      w.tree.processes = t?.processes ?? 0;
      w.tree.rss = t?.rss ?? 0;
      w.statm.open(); // a no-op, unless opening it at spawn failed (out of fds)
      const mem = w.measure();
      if (w.state !== 'standby') this.act(w, mem);
      this.heartbeat(w);
      this.cpu(w, t?.own ?? null);
    }
    this.budget.check(this.freshMemory);
  }

  /**
   * After a stall of the master, heartbeat deadlines start over: a pong that arrived while the master was
   * stopped is still unread, and a worker would otherwise be reported silent (and paused) for as long as the
   * master itself was stopped — every worker, on the first beat after a SIGCONT.
   */
  private checkStall(): void {
    const now = Date.now();
    const gap = this.lastPoll ? now - this.lastPoll : 0;
    this.lastPoll = now;
    if (gap < this.cfg['master-interval'] * 1000 + STALL_MS) return;
    log.warn(`the master was stalled for ${(gap / 1000).toFixed(1)}s (stopped, or its event loop blocked): heartbeat deadlines start over`);
    for (const w of this.pool.all) w.lastPong = Math.max(w.lastPong, now);
  }

  /** CPU use for the stats, from the stat line the tree scan read: seconds so far, and percent of one core since the previous poll. */
  private cpu(w: Worker, own: StatFields | null): void {
    if (!own) return; // exited between two polls
    const seconds = cpuSeconds(own);
    const now = Date.now();
    if (w.cpuSampledAt) w.cpuPercent = ((seconds - w.cpuSeconds) * 100_000) / Math.max(1, now - w.cpuSampledAt);
    w.cpuSeconds = seconds;
    w.cpuSampledAt = now;
  }

  /**
   * A worker that stops answering pings gets no new request until it answers again. If the kernel says it
   * is stopped (SIGSTOP, a debugger), it will not come back by itself: it is killed and replaced, and its
   * requests in flight are retried elsewhere or answered 502. A worker that is merely busy (a long
   * synchronous computation) is left alone: cutting a long request short is harakiri's decision.
   */
  private heartbeat(w: Worker): void {
    if (w.state !== 'serving') return;
    if (!w.pinging) {
      w.pinging = true;
      void w.ping(HANG_MS).then((ok) => {
        w.pinging = false;
        if (!ok) return;
        w.lastPong = Date.now();
        if (w.unresponsive) {
          w.unresponsive = false;
          log.info(`${w.label} answers again; routing to it resumes`);
          this.pool.resume(w);
        }
      });
    }
    const silent = Date.now() - w.lastPong;
    if (silent < HANG_MS) return;
    const state = procStat(w.pid)?.state ?? '?';
    if (state === 'T' || state === 't') {
      this.pool.kill(w, `stopped (process state ${state}) and silent for ${(silent / 1000).toFixed(1)}s`, 'hung');
    } else if (!w.unresponsive) {
      w.unresponsive = true;
      log.warn(`${w.label} has not answered for ${(silent / 1000).toFixed(1)}s (event loop blocked?): no new requests go to it until it does`);
      this.pool.pause(w);
    }
  }

  private act(w: Worker, mem: MemorySample | null): void {
    const v = this.verdict(w, mem);
    if (!v) return;
    if (v.hard) {
      this.pool.kill(w, v.reason, v.limit);
      return;
    }
    if (w.state !== 'serving') return;
    this.pool.recycle(w, v.reason, v.limit);
  }

  // Runs after every request: no string or object is built unless a limit is reached.
  private verdict(w: Worker, mem: MemorySample | null): Verdict | null {
    const c = this.cfg;
    const served = w.upstream?.requests ?? 0;
    if (mem) {
      // Hard limits: no mercy, no minimum lifetime (uWSGI's evil-reload-on-*).
      if (c['evil-reload-on-rss'] && mem.rss > c['evil-reload-on-rss']) {
        return { limit: 'evil-reload-on-rss', hard: true, reason: `${rssFigure(w, mem)} > evil-reload-on-rss ${mib(c['evil-reload-on-rss'])} ${after(served)}${grownMost(this.pool.routes, w.routes)}` };
      }
      if (c['evil-reload-on-as'] && mem.vsz > c['evil-reload-on-as']) {
        return { limit: 'evil-reload-on-as', hard: true, reason: `address space ${mib(mem.vsz)} > evil-reload-on-as ${mib(c['evil-reload-on-as'])} ${after(served)}${grownMost(this.pool.routes, w.routes)}` };
      }
    }
    if (w.state !== 'serving') return null;
    const ageS = (Date.now() - w.spawnedAt) / 1000;
    if (ageS < c['min-worker-lifetime']) return null;
    // A memory recycle needs at least one request served: a worker that is over a limit the moment it starts
    // would otherwise be replaced forever (startup refuses such limits; this guards an app that grows idle).
    if (mem && served > 0) {
      if (c['reload-on-rss'] && mem.rss > c['reload-on-rss']) {
        return { limit: 'reload-on-rss', hard: false, reason: `${rssFigure(w, mem)} > reload-on-rss ${mib(c['reload-on-rss'])} ${after(served)}${grownMost(this.pool.routes, w.routes)}` };
      }
      if (c['reload-on-as'] && mem.vsz > c['reload-on-as']) {
        return { limit: 'reload-on-as', hard: false, reason: `address space ${mib(mem.vsz)} > reload-on-as ${mib(c['reload-on-as'])} ${after(served)}${grownMost(this.pool.routes, w.routes)}` };
      }
    }
    // A worker at its max-requests leaves the rotation at once and its replacement starts at once. It used to
    // wait its turn (one count recycle at a time) while still taking requests: 23-39 requests each with
    // `max-requests = 1` while a slow request drained elsewhere (issue 10, finding 10). Requests that find no
    // free worker meanwhile wait in the router's queue; max-requests-jitter keeps workers apart.
    if (w.requestLimit && served >= w.requestLimit) {
      return { limit: 'max-requests', hard: false, reason: `max-requests reached: ${served} requests (limit ${w.requestLimit} for this worker)` };
    }
    const life = this.lifetimeLimit(w.id);
    // Lifetime recycles go one at a time (a worker past its age that waits its turn does no harm): while one
    // drains, the next check retries, and builds no reason string meanwhile.
    if (life && ageS >= life && !this.pool.recycling('max-worker-lifetime')) {
      return { limit: 'max-worker-lifetime', hard: false, reason: `max-worker-lifetime reached: ${Math.round(ageS)}s (limit ${life}s) ${after(served)}` };
    }
    return null;
  }

  /** memory-snapshot-dir: where a worker recycled for `cause` writes its heap snapshot, or null (budget.ts). */
  snapshotFor(w: Worker, cause: RecycleReason): string | null {
    return this.budget.snapshotFor(w, cause);
  }

  /** Is there room in the memory budget for one more worker (a spare)? Always, without a budget. */
  roomForWorker(): boolean {
    return this.budget.roomForWorker(this.freshMemory);
  }

  /** The largest memory of a fresh worker: measured at startup, and again after each reload (null before). */
  freshMemory: MemorySample | null = null;

  /**
   * Memory of workers taken the moment they were ready, before any request (at startup, and for the new
   * workers of a reload, which may run another app): the largest is the floor for memory limits.
   */
  setFresh(samples: (MemorySample | null)[]): void {
    let fresh: MemorySample | null = null;
    for (const m of samples) if (m) fresh = fresh ? { rss: Math.max(fresh.rss, m.rss), vsz: Math.max(fresh.vsz, m.vsz) } : m;
    if (fresh) this.freshMemory = fresh;
  }

  /**
   * Limits that a fresh worker already exceeds would recycle (or kill) forever: refused at startup, and by a
   * reload that sets one. Node reserves ~700 MB of address space before running any code, and one
   * WebAssembly memory reserves ~10 GB, so the -as limits of uWSGI files (reload-on-as = 2048 in the seed
   * article) rarely fit.
   */
  static impossibleLimits(c: Config, m: MemorySample): { key: RecycleReason; problem: string }[] {
    const problems: { key: RecycleReason; problem: string }[] = [];
    for (const key of ['reload-on-as', 'evil-reload-on-as'] as const) {
      if (c[key] && m.vsz >= c[key]) {
        problems.push({
          key,
          problem:
            `${mib(c[key])} is below the address space of a fresh worker (${mib(m.vsz)}, before any request): every worker would be ` +
            `${key.startsWith('evil') ? 'killed' : 'recycled'} forever. Node reserves ~700 MB of address space at start and each ` +
            'WebAssembly memory reserves ~10 GB, so address space says little about memory use in Node: use reload-on-rss instead',
        });
      }
    }
    for (const key of ['reload-on-rss', 'evil-reload-on-rss'] as const) {
      if (c[key] && m.rss >= c[key]) {
        problems.push({ key, problem: `${mib(c[key])} is below the memory of a fresh worker (rss ${mib(m.rss)}, before any request): raise it above what the app needs once loaded` });
      }
    }
    return problems;
  }

  /** The router answered 504 to a request that ran past harakiri; recycle its worker. */
  async harakiri(w: Worker, method: string, url: string, ranMs: number): Promise<void> {
    const reason = `harakiri: ${method} ${url} ran ${(ranMs / 1000).toFixed(1)}s > harakiri ${this.cfg.harakiri}s`;
    w.harakiris++;
    if (this.cfg['harakiri-verbose']) log.warn(`${w.label} ${reason}; ${kernelState(w.pid)}`);
    if (w.state === 'serving') this.pool.recycle(w, reason, 'harakiri'); // no new request goes to it from now
    else if (w.state !== 'draining') return;
    // Drained if its event loop still answers (its other requests finish), killed if it is blocked (its
    // other requests are then retried elsewhere when idempotent, or get 502).
    if (!(await w.ping(1000))) this.pool.kill(w, `${reason}; its event loop did not answer within 1s`);
  }
}

function after(served: number): string {
  return `after ${served} request${served === 1 ? '' : 's'}`;
}

/** `rss 412 MiB`, and when other processes count, what they hold: `rss 412 MiB (worker 40 MiB + 3 processes 372 MiB)`. */
function rssFigure(w: Worker, mem: MemorySample): string {
  const tree = w.tree.processes ? ` (worker ${mib(mem.rss - w.tree.rss)} + ${w.tree.processes} process${w.tree.processes === 1 ? '' : 'es'} ${mib(w.tree.rss)})` : '';
  return `rss ${mib(mem.rss)}${tree}`;
}

/** What the worker's main thread is doing in the kernel (uWSGI's harakiri-verbose shows the same). */
function kernelState(pid: number): string {
  const read = (f: string) => {
    try {
      return readFileSync(`/proc/${pid}/${f}`, 'latin1').trim();
    } catch {
      return '?';
    }
  };
  return `wchan ${read('wchan') || '-'}, syscall ${read('syscall').split(' ')[0]}, state ${/State:\s+(.*)/.exec(read('status'))?.[1] ?? '?'}`;
}
