// The master's handle on one worker process, and the words of a worker's life: its states, the data each state
// carries, and the reasons a worker is recycled. It imports nothing of the pool or the watchdog (they import
// it), so the vocabulary has one home that stats and Prometheus read too.
import type { ChildProcess } from 'node:child_process';
import type { Upstream } from '../router/exchange.js';
import type { ToWorker } from '../worker/protocol.js';
import { Statm, type MemorySample } from '../sys/memory.js';
import type { TreeFigures } from '../sys/tree.js';
import { RouteCounts, type RouteTable } from './route-table.js';

//   spawning ──ready──▶ serving ──recycle/reload/stop──▶ draining ──nothing in flight──▶ stopping ──exit──▶ gone
//       └──ready, a spare──▶ standby ──takes a slot──▶ serving
// A kill (a hard limit, mercy, a quick stop) goes to stopping from any live state; a crash to gone from any.
export const WORKER_STATES = ['spawning', 'standby', 'serving', 'draining', 'stopping', 'gone'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

/** Why a worker was recycled or killed, as stats and Prometheus count them. */
export const RECYCLE_REASONS = [
  'reload-on-rss',
  'reload-on-as',
  'evil-reload-on-rss',
  'evil-reload-on-as',
  'max-requests',
  'max-worker-lifetime',
  'harakiri',
  'exception',
  'hung',
  'memory-budget',
  'evil-memory-budget',
  // Not tsws's decision: the kernel's OOM killer took a worker (the cgroup's limit, or the host's memory).
  'oom',
] as const;
export type RecycleReason = (typeof RECYCLE_REASONS)[number];

/**
 * A worker's state with the data that belongs to it: a serving worker has its upstream (the router's view of
 * it); a draining one also why it drains, the recycle reason if any, and the mercy deadline that kills it if
 * it does not stop in time; a stopping one whether it was killed. Only the pool's transition() replaces it.
 */
export type Life =
  | { readonly state: 'spawning' }
  | { readonly state: 'standby' }
  | { readonly state: 'serving'; readonly upstream: Upstream }
  | Leaving<'draining'> & { readonly upstream: Upstream }
  | Leaving<'stopping'> & { killed: boolean }
  | { readonly state: 'gone'; readonly upstream: Upstream | null; readonly why: string };

interface Leaving<S extends WorkerState> {
  readonly state: S;
  readonly upstream: Upstream | null;
  readonly why: string;
  readonly cause: RecycleReason | null;
  readonly mercy: NodeJS.Timeout | null;
}

/** What the watchdog and the budget need of the pool: its workers, and the verbs that act on a verdict. */
export interface Supervised {
  readonly all: ReadonlySet<Worker>;
  recycle(w: Worker, reason: string, cause: RecycleReason): void;
  kill(w: Worker, why: string, cause?: RecycleReason): void;
  pause(w: Worker): void;
  resume(w: Worker): void;
  /** Is a worker still draining after a recycle for `cause`? */
  recycling(cause: RecycleReason): boolean;
  /** Memory growth by route over the pool (the recycle log line names the top ones). */
  readonly routes: RouteTable;
}

export class Worker {
  /** Written by Pool.transition() alone (the cast there is the only write). */
  readonly life: Life = { state: 'spawning' };
  readonly spawnedAt = Date.now();
  readyAt = 0;
  /** Its own /proc/PID/statm, open from spawn until it is reaped. */
  readonly statm: Statm;
  /** The other processes of its tree (its process group, and descendants) as of the last poll. */
  readonly tree: TreeFigures = { processes: 0, rss: 0 };
  /** performance.now() of its last per-request memory check. */
  checkedAt = 0;
  /** Memory as last measured: rss = its own + its tree's as of the last poll; vsz its own. Updated in place. */
  memory: { rss: number; vsz: number } | null = null;
  /** From /proc at each poll: CPU % since the previous poll, CPU seconds used so far, and when they were read. */
  cpuPercent = 0;
  cpuSeconds = 0;
  cpuSampledAt = 0;
  requestLimit = 0;
  harakiris = 0;
  exceptions = 0;
  /** Its requests by route since it started, as it reports them (route-table.ts). */
  readonly routes = new RouteCounts();
  /** Heartbeat: when the event loop last answered a ping, whether one is out, whether routing is paused. */
  lastPong = 0;
  pinging = false;
  unresponsive = false;
  private pings = new Map<number, () => void>();
  private seq = 0;
  constructor(
    /** Its slot, 1..processes; 0 for a spare until it takes one. */
    public id: number,
    readonly generation: number,
    readonly child: ChildProcess,
    readonly socketPath: string,
  ) {
    this.statm = new Statm(child.pid ?? 0);
  }
  get pid(): number {
    return this.child.pid ?? 0;
  }
  get state(): WorkerState {
    return this.life.state;
  }
  /** The router's view of it, from the moment it serves until it is reaped. */
  get upstream(): Upstream | null {
    return 'upstream' in this.life ? this.life.upstream : null;
  }
  /** Why it is draining, stopping or gone ('' while it serves). */
  get reason(): string {
    return 'why' in this.life ? this.life.why : '';
  }
  /** Its own memory now (not its tree's), or null if it is gone: what a fresh worker weighs before any request. */
  ownMemory(): MemorySample | null {
    return this.statm.read() ? { rss: this.statm.rss, vsz: this.statm.vsz } : null;
  }
  /** Measure now (its own from its statm fd, its tree's from the last poll) into `memory`; null if gone. */
  measure(): MemorySample | null {
    if (!this.statm.read()) return null;
    const m = (this.memory ??= { rss: 0, vsz: 0 });
    m.rss = this.statm.rss + this.tree.rss;
    m.vsz = this.statm.vsz;
    return m;
  }
  get label(): string {
    const who = this.id ? `worker ${this.id}` : 'spare';
    return this.pid ? `${who} (pid ${this.pid})` : `${who} (not started)`;
  }
  /** Send a message; a worker that cannot receive it is killed (it would never act on it). */
  send(m: ToWorker): void {
    if (!this.child.connected) {
      this.child.kill('SIGKILL');
      return;
    }
    this.child.send(m, (err) => {
      if (err) this.child.kill('SIGKILL');
    });
  }
  /** Does the worker's event loop answer within `ms`? */
  ping(ms: number): Promise<boolean> {
    if (!this.child.connected) return Promise.resolve(false);
    const seq = ++this.seq;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.pings.delete(seq);
        resolve(false);
      }, ms);
      this.pings.set(seq, () => {
        clearTimeout(t);
        resolve(true);
      });
      this.child.send({ type: 'ping', seq } satisfies ToWorker, (err) => err && resolve(false));
    });
  }
  pong(seq: number): void {
    this.pings.get(seq)?.();
    this.pings.delete(seq);
  }
}
