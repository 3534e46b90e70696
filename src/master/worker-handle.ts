// The master's handle on one worker process: its state, its figures, and a ping over IPC.
import type { ChildProcess } from 'node:child_process';
import type { Upstream } from '../router/upstream.js';
import type { ToWorker } from '../worker/protocol.js';
import { Statm, type MemorySample } from '../sys/memory.js';
import type { TreeFigures } from '../sys/tree.js';
import type { Limit } from './watchdog.js';

export type WorkerState = 'spawning' | 'serving' | 'draining' | 'stopping' | 'gone';

export class Worker {
  state: WorkerState = 'spawning';
  upstream: Upstream | null = null;
  readonly spawnedAt = Date.now();
  readyAt = 0;
  /** Why it is draining or stopping, for the log and stats. */
  reason = '';
  mercy: NodeJS.Timeout | null = null;
  killed = false;
  /** Why it was recycled or killed, as a limit name (stats count these). */
  limit: Limit | null = null;
  /** Its own /proc/PID/statm, open from spawn until it is reaped (closed in Pool's exit handler). */
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
  /** Heartbeat: when the event loop last answered a ping, whether one is out, whether routing is paused. */
  lastPong = 0;
  pinging = false;
  unresponsive = false;
  /** A reload's new worker for a slot: it takes the slot (and `predecessor` drains) only once it is ready. */
  predecessor: Worker | null = null;
  /** How a reload's new worker ended up: it took the slot, it never started, or the slot moved on without it. */
  onReady: ((outcome: 'replaced' | 'failed' | 'superseded') => void) | null = null;
  private pings = new Map<number, () => void>();
  private seq = 0;
  constructor(
    readonly id: number,
    readonly generation: number,
    readonly child: ChildProcess,
    readonly socketPath: string,
  ) {
    this.statm = new Statm(child.pid ?? 0);
  }
  get pid(): number {
    return this.child.pid ?? 0;
  }
  /** Its own memory now (not its tree's), or null if it is gone: what a fresh worker weighs before any request. */
  ownMemory(): MemorySample | null {
    return this.statm.read() ? { rss: this.statm.rss, vsz: this.statm.vsz } : null;
  }
  get label(): string {
    return this.pid ? `worker ${this.id} (pid ${this.pid})` : `worker ${this.id} (not started)`;
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

/** Call `then` once the child's stdout and stderr have ended (at most 1 s: a grandchild may hold them). */
export function afterOutput(child: ChildProcess, then: () => void): void {
  let pending = 2;
  const finish = () => {
    clearTimeout(t);
    if (pending !== -1) then();
    pending = -1;
  };
  const t = setTimeout(finish, 1000);
  for (const s of [child.stdout!, child.stderr!]) {
    let ended = false;
    const one = () => {
      if (ended) return;
      ended = true;
      if (--pending === 0) finish();
    };
    if (s.readableEnded || s.destroyed) one();
    else s.once('end', one).once('close', one);
  }
}
