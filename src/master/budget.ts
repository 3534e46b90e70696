// memory-budget: the whole tree — master, workers, what they started, spares — kept under one figure, the way a
// container's memory limit counts it. Per-worker caps (reload-on-rss) bound each worker; a pool whose workers
// grow together can still outgrow its container with every worker under its cap, and then the kernel's OOM
// killer ends an arbitrary process, requests and all. This recycles the biggest worker first, gracefully.
// The heap snapshots of memory recycles (memory-snapshot-dir) are taken only where the budget has room.
import { join, resolve } from 'node:path';
import type { Config } from '../config/options.js';
import * as log from '../log.js';
import { mib, type MemorySample } from '../sys/memory.js';
import { grownMost } from './route-table.js';
import type { RecycleReason, Supervised, Worker } from './worker-handle.js';

/** Recycles that leave a heap snapshot behind (memory-snapshot-dir): graceful ones, for memory. */
const SNAPSHOT_CAUSES: ReadonlySet<RecycleReason> = new Set(['reload-on-rss', 'reload-on-as', 'memory-budget']);

/** The estimate of one check's growth forgets a spike over ~50 checks (0.98^50 ≈ 0.36). */
const GROWTH_DECAY = 0.98;

/** While requests are held, the tree is measured again this often (ms) until the memory is free. */
const RECHECK_MS = 10;

/** Is any memory limit set: per worker (reload-on-*, evil-reload-on-*) or for the pool (memory-budget)? */
export function memoryLimited(cfg: Config): boolean {
  return cfg['reload-on-rss'] + cfg['reload-on-as'] + cfg['evil-reload-on-rss'] + cfg['evil-reload-on-as'] + cfg['memory-budget'] + cfg['evil-memory-budget'] > 0;
}

export class MemoryBudget {
  private soft = 0;
  private threads = 1;
  private hard = 0;
  /** The largest growth of a worker between two checks lately (bytes), decaying. */
  private growth = 0;

  /** New requests are held in the router's queue until memory a budget recycle frees is free. */
  private held = false;
  private recheck: NodeJS.Timeout | null = null;
  private fresh: MemorySample | null = null;

  constructor(
    private readonly pool: Supervised,
    private readonly hold: (on: boolean) => void,
  ) {}

  private snapshots: { dir: string | null; everyMs: number } = { dir: null, everyMs: 0 };

  configure(cfg: Config): void {
    this.snapshots = { dir: cfg['memory-snapshot-dir'], everyMs: cfg['memory-snapshot-interval'] * 1000 };
    this.threads = cfg.threads;
    this.soft = cfg['memory-budget'];
    this.hard = cfg['evil-memory-budget'];
  }

  /** A worker's memory grew (or shrank) by `bytes` between two checks: what the room kept per busy worker follows. */
  grew(bytes: number): void {
    this.growth = Math.max(bytes, this.growth * GROWTH_DECAY);
  }

  /**
   * The whole tree's memory: the master's own, and every worker's (its tree included) as last measured; what
   * of it budget recycles are about to free; how many workers are busy; the biggest serving worker.
   */
  private treeMemory(): { total: number; freeing: number; busy: number; serving: number; biggest: Worker | null } {
    let total = process.memoryUsage.rss();
    let freeing = 0;
    let busy = 0;
    let serving = 0;
    let biggest: Worker | null = null;
    for (const w of this.pool.all) {
      if (!w.memory) continue;
      // A worker still loading is measured once, at spawn: it is counted as what a fresh worker weighs ready.
      total += w.state === 'spawning' ? Math.max(w.memory.rss, this.fresh?.rss ?? 0) : w.memory.rss;
      const life = w.life;
      if ((life.state === 'draining' || life.state === 'stopping') && (life.cause === 'memory-budget' || life.cause === 'evil-memory-budget')) freeing += w.memory.rss;
      if (life.state !== 'serving') continue;
      serving++;
      busy += life.upstream.exchanges.length;
      if (!biggest || w.memory.rss > biggest.memory!.rss) biggest = w;
    }
    return { total, freeing, busy, serving, biggest };
  }

  /**
   * memory-budget: the whole tree over it (with room kept for the fresh worker a recycle starts), the biggest
   * serving worker is recycled, one at a time: its memory is freed once it has drained and exited, and the
   * next check sees that. evil-memory-budget kills the biggest at once. Checked after each measured request
   * and at each poll, so the tree overshoots by at most what one request adds before its check.
   */
  check(fresh: MemorySample | null): void {
    const { soft, hard } = this;
    if (!soft && !hard) return this.setHeld(false, 0);
    this.fresh = fresh;
    const { total, freeing, busy, serving, biggest } = this.treeMemory();
    // What requests may add before their checks: those in flight now, and as many more as the serving
    // workers can take at once (the router hands out a whole queue the moment requests are let go).
    const inFlight = busy * this.growth;
    const capacity = serving * this.threads * this.growth;
    let freed = freeing;
    if (biggest) {
      const figure = () => `the tree's rss ${mib(total)}, the biggest worker ${mib(biggest.memory!.rss)}`;
      const grown = () => grownMost(this.pool.routes, biggest.routes);
      if (hard && total > hard) {
        this.pool.kill(biggest, `${figure()}: over evil-memory-budget ${mib(hard)}${grown()}`, 'evil-memory-budget');
        freed += biggest.memory!.rss;
      } else {
        // Room is kept for the fresh worker a recycle starts, and for what requests may add before their
        // checks; memory that budget recycles already under way will free is not counted twice.
        const room = (fresh?.rss ?? 0) + capacity;
        if (soft && total - freeing + room > soft) {
          this.pool.recycle(biggest, `${figure()}, + ${mib(room)} kept free (a replacement, ${serving * this.threads} request(s) at once) > memory-budget ${mib(soft)}${grown()}`, 'memory-budget');
          if (biggest.state !== 'serving') freed += biggest.memory!.rss;
        }
      }
    }
    // While a recycled worker's memory is still held and the tree is at the budget, requests that would grow
    // it wait, from this very check on: the tree stays within one request's growth of the budget instead of
    // growing into memory that is not free yet (measured: 662 MiB under a 600 MiB budget with four workers
    // leaking 20 MiB a request).
    this.setHeld(soft > 0 && freed > 0 && total + Math.max(inFlight, capacity) > soft, total);
  }

  private setHeld(on: boolean, total: number): void {
    if (on && !this.recheck) {
      // No request ends while they are held: look again soon, for the recycled worker's exit.
      this.recheck = setTimeout(() => {
        this.recheck = null;
        this.check(this.fresh);
      }, RECHECK_MS);
    }
    if (on === this.held) return;
    this.held = on;
    this.hold(on);
    if (on) log.info(`memory-budget: the tree's rss is ${mib(total)} of ${mib(this.soft)}; new requests wait until a recycled worker has exited`);
  }

  private lastSnapshot = 0;

  /**
   * memory-snapshot-dir: the file a worker recycled for memory writes its heap snapshot to, once drained, or
   * null: not asked for, not a memory recycle, one already within memory-snapshot-interval, or no room in the
   * memory budget for the copy writing one can take.
   */
  snapshotFor(w: Worker, cause: RecycleReason): string | null {
    const dir = this.snapshots.dir;
    if (!dir || !SNAPSHOT_CAUSES.has(cause)) return null;
    const now = Date.now();
    if (this.lastSnapshot && now - this.lastSnapshot < this.snapshots.everyMs) return null;
    if (!this.roomFor(w.memory?.rss ?? 0)) {
      log.info(`${w.label}: no heap snapshot: the memory budget has no room for one`);
      return null;
    }
    this.lastSnapshot = now;
    return join(resolve(dir), `tsws-worker${w.id}-pid${w.pid}-${new Date(now).toISOString().replace(/[:.]/g, '-')}.heapsnapshot`);
  }

  /** Is there room for `bytes` more (a heap snapshot's copy)? Always, without a budget. */
  roomFor(bytes: number): boolean {
    const limit = this.soft || this.hard;
    return !limit || this.treeMemory().total + bytes <= limit;
  }

  /** Is there room for one more worker (a spare), and still for a recycle's replacement? Always, without a budget. */
  roomForWorker(fresh: MemorySample | null): boolean {
    this.fresh = fresh; // a spawning worker counts as this much (treeMemory)
    return this.roomFor(2 * (fresh?.rss ?? 0));
  }
}
