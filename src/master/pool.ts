// The pool: worker slots 1..processes, and every worker's life in them. Read it as gunicorn's arbiter:
//   events   ready, exit, an app's fatal exception, the router's "drained", the watchdog's verdicts,
//            TTIN/TTOU, a reload's request for a successor, stop
//   → transition(worker, to, why)   the one writer of a worker's state (edges in lifecycle.ts)
//   → manage()                      restores the invariant: each slot has one worker spawning or serving
//                                   (unless it waits out a crash backoff); the only place that spawns
// A recycled worker leaves its slot at once and drains beside its replacement until its last request ends.
// Long file: the slots, the state machine and the reconcile step keep one invariant between them; split up,
// they would share every field again, which is what made the lifecycle hard to read before (issue 12).
import type { ChildProcess } from 'node:child_process';
import type { Config } from '../config/options.js';
import * as log from '../log.js';
import type { Upstream } from '../router/exchange.js';
import { createUpstream } from '../router/upstream.js';
import { softFdLimit } from '../sys/fdlimit.js';
import { killedByOom } from '../sys/cgroup.js';
import { mib, type MemorySample } from '../sys/memory.js';
import { EXIT_LOAD_ERROR, type ToMaster } from '../worker/protocol.js';
import { appMetrics } from './app-metrics.js';
import { backoffMs, canMove, failuresAfter } from './lifecycle.js';
import { RouteTable } from './route-table.js';
import type { Spawner } from './spawner.js';
import { Worker, type Life, type RecycleReason, type WorkerState } from './worker-handle.js';

export { Worker };

export interface PoolOptions {
  readonly processes: number;
  readonly mercyMs: number;
  readonly needApp: boolean;
  /** This incarnation's max-requests (with delta and jitter); 0 = none. */
  readonly requestLimit: (id: number) => number;
  /** spare-workers: ready workers kept outside the router, swapped into a slot that needs one. */
  readonly spares: number;
  /** recycle-concurrency: graceful memory recycles draining at once (0 = no limit). */
  readonly recycleConcurrency: number;
  /** Does the memory budget leave room for one more worker (a spare)? */
  readonly roomForWorker: () => boolean;
  /** Where a worker recycled for `cause` writes its heap snapshot before it stops, or null (memory-snapshot-dir). */
  readonly snapshotFor: (w: Worker, cause: RecycleReason) => string | null;
}

/** The recycles that recycle-concurrency paces: a worker over its own memory limit can wait its turn. */
const PACED: ReadonlySet<RecycleReason> = new Set(['reload-on-rss', 'reload-on-as']);

/** The pool's slice of the configuration; `requestLimit` is the watchdog's (max-requests with delta and jitter). */
export function poolOptionsFrom(cfg: Config, requestLimit: (id: number) => number, roomForWorker: () => boolean, snapshotFor: PoolOptions['snapshotFor']): PoolOptions {
  return {
    processes: cfg.processes,
    mercyMs: cfg['worker-reload-mercy'] * 1000,
    needApp: cfg['need-app'],
    requestLimit,
    spares: cfg['spare-workers'],
    recycleConcurrency: cfg['recycle-concurrency'],
    roomForWorker,
    snapshotFor,
  };
}

/** What the pool asks of the router. */
export interface Routing {
  add(up: Upstream): void;
  drain(up: Upstream): void;
  pause(up: Upstream): void;
  resume(up: Upstream): void;
  remove(up: Upstream): void;
}

/** Time, for backoff and mercy: the real one, or a fake in unit tests. */
export interface Clock {
  now(): number;
  setTimeout(f: () => void, ms: number): NodeJS.Timeout;
  clearTimeout(t: NodeJS.Timeout): void;
}

const realClock: Clock = { now: Date.now, setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (t) => clearTimeout(t) };

/** How a reload's new worker for a slot ended up: it took the slot, it never started, or the slot moved on. */
export type Outcome = 'replaced' | 'failed' | 'superseded';
export interface Replaced {
  readonly outcome: Outcome;
  readonly memory: MemorySample | null;
}

interface Slot {
  readonly id: number;
  /** The worker holding the slot, spawning or serving; null while the slot waits out a backoff. */
  current: Worker | null;
  /** A reload asked for a successor of `of`; `by` starts beside it and takes the slot once ready. */
  replace: { readonly of: Worker; readonly why: string; by: Worker | null; readonly settle: (o: Outcome) => void } | null;
  failures: number;
  /** No start before this (clock time): the crash backoff. */
  notBefore: number;
  /** Its last worker failed: the next start is a respawn. */
  respawn: boolean;
}

/** Raised by start() when the app cannot load and need-app is on. */
export class AppLoadError extends Error {}

export class Pool {
  private readonly slots = new Map<number, Slot>();
  /** Every live worker: current ones, reload successors and draining ones. */
  readonly all = new Set<Worker>();
  /** How many slots there should be: `processes`, moved by TTIN/TTOU. */
  private target: number;
  private generation = 0;
  /** Generations up to this one are the first workers; every later spawn is a respawn or a replacement. */
  private firstGenerations = 0;
  private stopping = false;
  private starting: { resolve(): void; reject(e: Error): void } | null = null;
  /** Slots whose worker has been ready at least once: startup is over when every slot has been. */
  private readonly readyOnce = new Set<number>();
  private exitWaiters: (() => void)[] = [];
  /** One timer for the earliest end of a backoff. */
  private wake: { at: number; timer: NodeJS.Timeout } | null = null;
  private readonly byUpstream = new Map<Upstream, Worker>();
  /** Spares, starting or standing by; each belongs to no slot until it takes one. */
  private readonly spares = new Set<Worker>();
  private spareFailures = 0;
  private spareNotBefore = 0;
  /** Workers whose paced recycle is held back (logged once each). */
  private readonly held = new WeakSet<Worker>();
  /** Memory growth by route over every worker, across recycles. */
  readonly routes = new RouteTable();
  /** Spawn-to-ready times of the latest workers (ms), for the stats: what a recycle costs in capacity without spares. */
  readonly readyTimes: number[] = [];
  /** Recycles and kills by reason, for the log and stats. */
  readonly recycles = new Map<RecycleReason, number>();
  /** Workers that died without being asked to. */
  crashes = 0;
  /** Spawns after the first `processes` (replacements and respawns). */
  respawns = 0;
  /** Per worker id, across incarnations: spawns, requests and per-core requests of exited incarnations, last reason. */
  readonly history = new Map<number, { spawns: number; requests: number; cores: number[]; lastReason: string }>();

  constructor(
    private opts: PoolOptions,
    private readonly router: Routing,
    private readonly spawner: Spawner,
    private readonly clock: Clock = realClock,
  ) {
    this.target = opts.processes;
  }

  /** Spawn every worker; resolves when all are ready, rejects with the app's error (need-app). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.starting = { resolve, reject };
      this.firstGenerations = this.target;
      this.manage();
    });
  }

  /** A reload's options; a changed `processes` adds or retires slots (a TTIN/TTOU count stays while the file says the same). */
  configure(opts: PoolOptions): void {
    if (opts.processes !== this.opts.processes) this.target = opts.processes;
    this.opts = opts;
    this.manage();
  }

  get processes(): number {
    return this.target;
  }

  workers(): Worker[] {
    return [...this.all].sort((a, b) => a.id - b.id || a.generation - b.generation);
  }

  workerOf(up: Upstream): Worker | undefined {
    return this.byUpstream.get(up);
  }

  /**
   * Is a worker serving, or one on its way? False only while every slot waits out a crash backoff: then the
   * router answers 503 at once instead of queueing requests for a worker that may be minutes away.
   */
  available(): boolean {
    for (const w of this.all) if (w.state === 'serving' || w.state === 'spawning') return true;
    return false;
  }

  /** Is a worker still draining after a recycle for `cause`? */
  recycling(cause: RecycleReason): boolean {
    for (const w of this.all) if (w.life.state === 'draining' && w.life.cause === cause) return true;
    return false;
  }

  // ---- the reconcile step ------------------------------------------------------------------------------

  /**
   * After every event: slots above the target are retired, missing ones added; each slot without a worker
   * gets one (a reload's successor if one is starting, else a new spawn once its backoff is over); a slot a
   * reload asked to replace gets its successor. The only place that spawns for a slot.
   */
  private manage(): void {
    if (this.stopping) return;
    for (let id = this.slots.size; id > this.target; id--) this.dropSlot(id, 'one worker less');
    for (let id = this.slots.size + 1; id <= this.target; id++) {
      this.slots.set(id, { id, current: null, replace: null, failures: 0, notBefore: 0, respawn: false });
    }
    const now = this.clock.now();
    let wakeAt = Infinity;
    for (const s of this.slots.values()) {
      const r = s.replace;
      if (!s.current && r?.by) s.current = r.by; // its predecessor went meanwhile: the successor has the slot
      if (!s.current) {
        const spare = this.takeSpare();
        if (spare) this.assign(spare, s);
        else if (now < s.notBefore) {
          wakeAt = Math.min(wakeAt, s.notBefore);
          continue;
        } else {
          s.current = this.spawn(s.id);
          if (s.respawn) log.info(`worker ${s.id} respawned`);
        }
        s.respawn = false;
      }
      if (r && !r.by) {
        if (s.current === r.of && r.of.state === 'serving') r.by = this.spawn(s.id);
        else this.settle(s, 'superseded'); // the slot moved on before the reload reached it: its worker is new
      }
    }
    this.wakeAt(Math.min(wakeAt, this.manageSpares(now)));
    this.checkStarted();
  }

  /** Keep `spare-workers` spares starting or standing by; returns when to look again (a backoff, no room). */
  private manageSpares(now: number): number {
    for (const w of [...this.spares].slice(this.opts.spares)) {
      this.spares.delete(w);
      this.retire(w, 'one spare less');
    }
    while (this.spares.size < this.opts.spares) {
      if (now < this.spareNotBefore) return this.spareNotBefore;
      if (!this.opts.roomForWorker()) return now + 1000; // the memory budget is full: look again in a second
      this.spares.add(this.spawn(0));
    }
    return Infinity;
  }

  /** A spare for a slot that needs a worker: one standing by, else one still starting. */
  private takeSpare(): Worker | null {
    let starting: Worker | null = null;
    for (const w of this.spares) {
      if (w.state === 'standby') return w;
      starting ??= w;
    }
    return starting;
  }

  private assign(w: Worker, s: Slot): void {
    this.spares.delete(w);
    w.id = s.id;
    s.current = w;
    const h = this.historyOf(s.id);
    h.spawns++;
    if (w.state === 'standby') this.transition(w, 'serving');
    else log.info(`${w.label}, a spare still starting, takes slot ${s.id}`);
  }

  /** Old code's spares go at a reload; manage() starts new ones from the new configuration. */
  renewSpares(why: string): void {
    for (const w of this.spares) this.retire(w, why);
    this.spares.clear();
    this.manage();
  }

  private wakeAt(at: number): void {
    if (this.wake && this.wake.at <= at) return;
    if (this.wake) this.clock.clearTimeout(this.wake.timer);
    this.wake = at === Infinity ? null : { at, timer: this.clock.setTimeout(() => ((this.wake = null), this.manage()), at - this.clock.now()) };
  }

  private dropSlot(id: number, why: string): void {
    const s = this.slots.get(id)!;
    this.slots.delete(id);
    const successor = s.replace?.by;
    this.settle(s, 'superseded');
    if (successor) this.retire(successor, why);
    if (s.current) this.retire(s.current, why);
  }

  private settle(s: Slot, outcome: Outcome): void {
    const r = s.replace;
    s.replace = null;
    r?.settle(outcome);
  }

  private checkStarted(): void {
    if (!this.starting) return;
    for (const id of this.slots.keys()) if (!this.readyOnce.has(id)) return;
    this.starting.resolve();
    this.starting = null;
  }

  // ---- the state machine -------------------------------------------------------------------------------

  /**
   * The one writer of a worker's state: refuses an edge the state machine lacks (false), moves, and does what
   * entering the state means. A worker that leaves spawning or serving leaves its slot.
   */
  private transition(w: Worker, to: WorkerState, why = '', opts: { cause?: RecycleReason | null; kill?: boolean } = {}): boolean {
    const from = w.life;
    if (!canMove(from.state, to)) return false;
    const up = w.upstream;
    const mercy = 'mercy' in from ? from.mercy : null;
    let next: Life;
    switch (to) {
      case 'standby':
        next = { state: 'standby' };
        break;
      case 'serving':
        next = { state: 'serving', upstream: createUpstream(w.id, w.pid, w.socketPath) };
        break;
      case 'draining':
        next = { state: 'draining', upstream: up!, why, cause: opts.cause ?? null, mercy: this.mercy(w) };
        break;
      case 'stopping':
        next = { state: 'stopping', upstream: up, why: 'why' in from ? from.why || why : why, cause: opts.cause ?? null, mercy, killed: !!opts.kill };
        break;
      default:
        next = { state: 'gone', upstream: up, why: 'why' in from ? from.why : '' };
    }
    (w as { life: Life }).life = next;
    const s = this.slots.get(w.id);
    if (s?.current === w && to !== 'serving') s.current = null;

    if (from.state === 'spawning' && (next.state === 'serving' || next.state === 'standby')) {
      w.readyAt = this.clock.now();
      w.lastPong = w.readyAt;
      w.measure(); // stats show its memory from the start, not 0 until the first poll
      this.readyTimes.push(w.readyAt - w.spawnedAt);
      if (this.readyTimes.length > 50) this.readyTimes.shift();
      log.info(`${w.label} ready in ${w.readyAt - w.spawnedAt} ms${next.state === 'standby' ? ', standing by' : ''}`);
    }
    if (next.state === 'serving') {
      if (from.state === 'standby') log.info(`${w.label} serving: a spare, ready for ${((this.clock.now() - w.readyAt) / 1000).toFixed(1)}s, took the slot`);
      this.byUpstream.set(next.upstream, w);
      this.router.add(next.upstream);
    } else if (next.state === 'draining') {
      // Responses still in flight end with Connection: close, and the router closes its idle sockets: both
      // sides agree no further request goes over them. The router may report it drained at once.
      w.send({ type: 'drain' });
      this.router.drain(next.upstream);
    } else if (next.state === 'stopping') {
      if (opts.kill) {
        if (from.state === 'serving') this.router.drain(up!);
        w.child.kill('SIGKILL');
      } else w.send({ type: 'stop' });
    } else if (next.state === 'gone') {
      if (mercy) this.clock.clearTimeout(mercy);
      this.all.delete(w);
      if (up) {
        this.router.remove(up);
        this.byUpstream.delete(up);
      }
    }
    return true;
  }

  private mercy(w: Worker): NodeJS.Timeout {
    return this.clock.setTimeout(() => this.kill(w, `did not stop within worker-reload-mercy ${this.opts.mercyMs / 1000}s`), this.opts.mercyMs);
  }

  // ---- events from the worker ------------------------------------------------------------------------

  private spawn(id: number): Worker {
    const generation = ++this.generation;
    const { child, socketPath } = this.spawner.spawn(id, generation);
    const w = new Worker(id, generation, child, socketPath);
    w.requestLimit = this.opts.requestLimit(id);
    if (id) this.historyOf(id).spawns++;
    if (generation > this.firstGenerations) this.respawns++;
    this.all.add(w);
    if (child.pid === undefined) {
      child.once('error', (e) => this.spawnFailed(w, e));
      return w;
    }
    w.measure(); // a live worker never shows rss 0 in the stats
    child.on('message', (m: ToMaster) => this.onMessage(w, m));
    child.on('exit', (code, signal) => this.onExit(w, child, code, signal));
    child.on('error', (e) => log.warn(`${w.label}: ${e.message}`));
    log.info(`${w.label} spawned`);
    return w;
  }

  private historyOf(id: number): { spawns: number; requests: number; cores: number[]; lastReason: string } {
    let h = this.history.get(id);
    if (!h) this.history.set(id, (h = { spawns: 0, requests: 0, cores: [], lastReason: '' }));
    return h;
  }

  private spawnFailed(w: Worker, e: NodeJS.ErrnoException): void {
    const code = e.code ?? 'error';
    const why =
      code === 'EMFILE' || code === 'ENFILE'
        ? ` (the master is out of file descriptors${softFdLimit() ? `, max open files ${softFdLimit()}` : ''}: each client connection holds one; see max-fd)`
        : '';
    log.warn(`${w.label}: spawn failed: ${code}${why}: ${e.message}`);
    this.ended(w, null, null, `spawn failed: ${code}`);
  }

  private onMessage(w: Worker, m: ToMaster): void {
    switch (m.type) {
      case 'ready':
        this.ready(w);
        break;
      case 'exception':
        w.exceptions++;
        if (!m.fatal) break; // answered 500, already in the log through the worker's stderr
        log.warn(`${w.label}: uncaught exception in the app:\n${m.error}`);
        this.recycle(w, 'uncaught exception in the app', 'exception');
        break;
      case 'pong':
        w.pong(m.seq);
        break;
      case 'routes':
        this.routes.add(w.routes.add(m.intervals));
        break;
      case 'snapshot':
        if (m.error) log.warn(`${w.label}: heap snapshot ${m.file} failed: ${m.error}`);
        else log.info(`${w.label}: heap snapshot written to ${m.file} (${mib(m.bytes)} in ${(m.ms / 1000).toFixed(1)}s): open it in Chrome DevTools → Memory`);
        this.transition(w, 'stopping');
        break;
      case 'metrics':
        appMetrics.received(w.id, w.pid, m.seq, m.metrics);
        break;
    }
  }

  private ready(w: Worker): void {
    if (this.spares.has(w)) {
      this.transition(w, 'standby');
      this.spareFailures = 0;
      this.manage(); // a slot waiting out a backoff takes it now
      return;
    }
    if (!this.transition(w, 'serving')) return;
    const s = this.slots.get(w.id);
    const r = s?.replace;
    if (s && r?.by === w) {
      // A reload: the new worker takes the slot, then the old one drains (capacity never dips).
      if (s.current === r.of) {
        s.current = w;
        this.retire(r.of, `replaced by pid ${w.pid} (${r.why})`);
      }
      this.settle(s, 'replaced');
    }
    if (this.stopping || s?.current !== w) {
      this.retire(w, 'no longer needed'); // its slot was dropped while it started
      return;
    }
    this.readyOnce.add(w.id);
    this.checkStarted();
  }

  private onExit(w: Worker, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    this.spawner.reap(w.pid);
    w.statm.close(); // reaped: every way a worker ends passes here (crash, recycle, stop, reload, kill)
    // A worker that failed to load has just printed its error: let that output reach the log first.
    if (code === EXIT_LOAD_ERROR) this.spawner.afterOutput(child, () => this.ended(w, code, signal));
    else this.ended(w, code, signal);
  }

  private ended(w: Worker, code: number | null, signal: NodeJS.Signals | null, failedSpawn = ''): void {
    const was = w.state;
    const s = w.id ? this.slots.get(w.id) : undefined;
    const held = s?.current === w; // a crash of the slot's worker (it leaves the slot in transition)
    if (!this.transition(w, 'gone')) return;
    const up = w.upstream;
    const how = failedSpawn || (signal ? `killed by signal ${signal}` : `exit code ${code}`);
    if (killedByOom(w.label, signal)) this.recycles.set('oom', (this.recycles.get('oom') ?? 0) + 1); // the kernel's OOM killer (sys/cgroup.ts)
    const asked = was === 'stopping' || was === 'draining';
    if (!asked) this.crashes++;
    const h = this.history.get(w.id);
    if (h && up) {
      h.requests += up.requests;
      up.coreRequests.forEach((n, i) => (h.cores[i] = (h.cores[i] ?? 0) + n));
    }
    if (h) h.lastReason = w.reason || (asked ? '' : `died (${how})`);
    if (asked) log.info(`${w.label} stopped (${w.reason}; ${how})`);
    else if (code === EXIT_LOAD_ERROR) log.warn(`${w.label} could not load the app (${how}); its error is above`);
    else if (!failedSpawn) log.warn(`${w.label} died (${how})${was === 'spawning' ? ' before it was ready' : ''}`);

    if (this.spares.delete(w)) {
      if (!asked) {
        // A spare that dies is a failed start like any other: the next one backs off.
        this.spareFailures = failuresAfter(this.spareFailures, 0);
        this.spareNotBefore = this.clock.now() + backoffMs(this.spareFailures);
      }
      this.manage();
      return;
    }
    const r = s?.replace;
    if (s && r?.by === w && !held) {
      // A reload's new worker failed to come up: the old one keeps serving; no respawn loop of broken code.
      log.warn(`reload of worker ${w.id} failed: the new worker did not start (${how}); pid ${r.of.pid} keeps serving`);
      this.settle(s, 'failed');
    } else if (s && held && !asked) {
      if (r?.by === w) this.settle(s, 'failed');
      this.failed(s, w);
      if (this.starting && (code === EXIT_LOAD_ERROR || was === 'spawning')) {
        const starting = this.starting;
        this.starting = null;
        if (this.opts.needApp) {
          starting.reject(new AppLoadError(`${w.label} ${code === EXIT_LOAD_ERROR ? 'could not load the app' : `died before it was ready (${how})`}`));
          return;
        }
        starting.resolve(); // need-app off: the master stays up, answers 503 and keeps trying
      }
    }
    if (this.all.size === 0) for (const f of this.exitWaiters.splice(0)) f();
    this.manage();
  }

  /** The slot's worker failed (crash, or an exception right after start): its next start backs off. */
  private failed(s: Slot, w: Worker): void {
    s.failures = failuresAfter(s.failures, w.readyAt ? this.clock.now() - w.readyAt : 0);
    const delay = backoffMs(s.failures);
    s.notBefore = this.clock.now() + delay;
    s.respawn = true;
    if (delay > 0) log.warn(`worker ${s.id} failed ${s.failures} times in a row; respawning in ${(delay / 1000).toFixed(2)}s`);
  }

  // ---- what the master, the router and the watchdog ask ----------------------------------------------

  /**
   * Recycle `w`: it gets no new request from now on, a fresh worker takes its slot at once, and it exits
   * once its requests in flight have ended (or at worker-reload-mercy).
   */
  recycle(w: Worker, reason: string, cause: RecycleReason): void {
    if (w.state !== 'serving' && w.state !== 'spawning') return;
    const k = this.opts.recycleConcurrency;
    if (k > 0 && PACED.has(cause)) {
      let draining = 0;
      for (const x of this.all) if (x.life.state === 'draining' && x.life.cause && PACED.has(x.life.cause)) draining++;
      if (draining >= k) {
        // Held back, not forgotten: the worker's next check (after its next request, or the poll) tries again.
        if (!this.held.has(w)) log.info(`${w.label} recycle waits its turn (${draining} draining, recycle-concurrency ${k}): ${reason}`);
        this.held.add(w);
        return;
      }
    }
    this.recycles.set(cause, (this.recycles.get(cause) ?? 0) + 1);
    log.info(`${w.label} recycling: ${reason}`);
    const s = this.slots.get(w.id);
    // An app that throws right after every start is a crash loop: its replacements back off like respawns.
    if (cause === 'exception' && s?.current === w) this.failed(s, w);
    this.retire(w, reason, cause);
    this.manage();
  }

  /** Take `w` out of service: no new requests; it stops once its last request ends, or is killed at mercy. */
  private retire(w: Worker, why: string, cause: RecycleReason | null = null): void {
    if (w.state === 'spawning') this.transition(w, 'stopping', why, { cause, kill: true }); // nothing was ever routed to it
    else if (w.state === 'standby') this.transition(w, 'stopping', why, { cause }); // ready, never routed to: told to stop
    else if (this.transition(w, 'draining', why, { cause }) && !cause) log.info(`${w.label} draining: ${why}`);
  }

  /** The router reports that a draining worker has nothing in flight. */
  drained(up: Upstream): void {
    const w = this.byUpstream.get(up);
    if (w?.life.state !== 'draining') return;
    // A worker recycled for memory may first write a heap snapshot (memory-snapshot-dir): the evidence of
    // what grew, taken once its requests are done. It stops once the snapshot is written (or at mercy).
    const file = w.life.cause ? this.opts.snapshotFor(w, w.life.cause) : null;
    if (file) w.send({ type: 'snapshot', file });
    else this.transition(w, 'stopping');
  }

  /** SIGKILL now; with a `cause`, a watchdog kill counted like a recycle (its slot is refilled at once). */
  kill(w: Worker, why: string, cause?: RecycleReason): void {
    const life = w.life;
    if (life.state === 'gone' || (life.state === 'stopping' && life.killed)) return;
    log.warn(`${w.label} killed: ${why}`);
    if (cause) this.recycles.set(cause, (this.recycles.get(cause) ?? 0) + 1);
    if (life.state === 'stopping') {
      life.killed = true;
      w.child.kill('SIGKILL');
    } else this.transition(w, 'stopping', why, { cause, kill: true });
    this.manage();
  }

  /** An unresponsive worker gets no new request until its event loop answers again. */
  pause(w: Worker): void {
    if (w.life.state === 'serving') this.router.pause(w.life.upstream);
  }

  resume(w: Worker): void {
    if (w.life.state === 'serving') this.router.resume(w.life.upstream);
  }

  /**
   * A reload's successor for `old`, which keeps serving until the successor is ready; resolves with how that
   * ended. See reload.ts for the order in which slots are replaced.
   */
  replace(old: Worker, why: string): Promise<Replaced> {
    const s = this.slots.get(old.id);
    if (this.stopping || !s || s.current !== old || s.replace) return Promise.resolve({ outcome: 'superseded', memory: null });
    return new Promise((resolve) => {
      const r: NonNullable<Slot['replace']> = {
        of: old,
        why,
        by: null,
        // The new worker's memory as it was ready, before its first request: the floor for memory limits.
        settle: (outcome) => resolve({ outcome, memory: outcome === 'replaced' ? (r.by?.ownMemory() ?? null) : null }),
      };
      s.replace = r;
      this.manage();
    });
  }

  /** The workers a reload would replace: each slot's, if it serves. */
  serving(): Worker[] {
    return [...this.slots.values()].flatMap((s) => (s.current?.state === 'serving' ? [s.current] : []));
  }

  /** SIGTTIN / fifo `+`: one worker more. */
  addWorker(): void {
    if (this.stopping) return;
    this.target++;
    this.manage();
    log.info(`processes: ${this.target} (one more)`);
  }

  /** SIGTTOU / fifo `-`: one worker less (never below one); the highest slot drains and is not replaced. */
  removeWorker(): void {
    if (this.stopping || this.target <= 1) return;
    this.target--;
    this.manage();
    log.info(`processes: ${this.target} (one less)`);
  }

  /** Stop every worker, gracefully or (`kill`) at once; resolves when all have exited. */
  stop(reason: string, kill = false): Promise<void> {
    this.stopping = true;
    if (this.wake) this.clock.clearTimeout(this.wake.timer);
    this.wake = null;
    if (this.starting) {
      this.starting.reject(new AppLoadError('stopped during startup'));
      this.starting = null;
    }
    for (const s of this.slots.values()) this.settle(s, 'superseded');
    for (const w of this.all) {
      if (kill) this.kill(w, reason);
      else this.retire(w, reason);
    }
    return this.all.size === 0 ? Promise.resolve() : new Promise((resolve) => this.exitWaiters.push(resolve));
  }
}
