// Worker slots and their state machine:
//   spawning ──ready──▶ serving ──recycle/reload/stop──▶ draining ──in-flight = 0──▶ stopping ──exit──▶ gone
// A slot (worker id 1..processes) always has one current worker; a recycled worker keeps draining beside its
// replacement until its last request ends. Crashes respawn with exponential backoff.
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import * as log from '../log.js';
import type { Router } from '../router/router.js';
import { createUpstream, type Upstream } from '../router/upstream.js';
import { softFdLimit } from '../sys/fdlimit.js';
import type { MemorySample } from '../sys/memory.js';
import type { Limit } from './watchdog.js';
import { afterOutput, Worker } from './worker-handle.js';
import { workerCommand } from './worker-command.js';
import { EXIT_LOAD_ERROR, type ToMaster, type ToWorker, type WorkerBoot } from '../worker/protocol.js';

export { Worker };

const WORKER_ENTRY = new URL('../worker/worker.js', import.meta.url).pathname;

/**
 * SIGKILL what is left of a worker's process group once the worker has exited: children the app spawned,
 * double-forked helpers (issue 10, finding 5). Only a process that left the group (setsid, setpgid) escapes;
 * systemd's KillMode=control-group, or a container's PID namespace, contains those. The pgid is the
 * worker's pid, and the kernel does not reuse a pid while a group of that id has members.
 */
function killGroup(w: Worker): void {
  if (w.pid <= 0) return; // kill(-0) would be the master's own group
  try {
    process.kill(-w.pid, 'SIGKILL');
  } catch {
    // ESRCH: nothing was left in the group
  }
}

/** Consecutive failures before backoff starts, and its first and longest delays. */
const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 30_000;
/** A worker that served this long resets its slot's failure count. */
const STABLE_AFTER_MS = 10_000;

export interface PoolOptions {
  readonly processes: number;
  readonly module: string;
  readonly env: NodeJS.ProcessEnv;
  readonly runtimeDir: string;
  readonly maxHeaderSize: number;
  readonly mercyMs: number;
  readonly needApp: boolean;
  /** RLIMIT_AS for worker processes in bytes (limit-as); 0 = none. */
  readonly limitAs: number;
  /** worker-node-args: Node flags for the workers (worker-command.ts). */
  readonly nodeArgs?: readonly string[];
  /** This incarnation's max-requests (with delta and jitter); 0 = none. */
  readonly requestLimit: (id: number) => number;
}

/** Raised by start() when the app cannot load and need-app is on. */
export class AppLoadError extends Error {}

export class Pool {
  /** Current worker of each slot. */
  private readonly slots = new Map<number, Worker>();
  /** Every live worker: current ones and draining ones. */
  readonly all = new Set<Worker>();
  private readonly failures = new Map<number, number>();
  private readonly respawnTimers = new Map<number, NodeJS.Timeout>();
  private generation = 0;
  private stopping = false;
  private starting: { resolve(): void; reject(e: Error): void } | null = null;
  private exitWaiters: (() => void)[] = [];
  /** Recycles and kills by reason, for the log and stats. */
  readonly recycles = new Map<Limit, number>();
  /** Workers that died without being asked to. */
  crashes = 0;
  /** Spawns after the first `processes` (replacements and respawns). */
  respawns = 0;
  /** Per worker id, across incarnations: spawns, requests of exited incarnations, last recycle reason. */
  readonly history = new Map<number, { spawns: number; requests: number; lastReason: string }>();
  private readonly byUpstream = new Map<Upstream, Worker>();

  /** Generations up to this one are the first workers; every later spawn is a respawn or a replacement. */
  private firstGenerations = 0;

  constructor(
    private opts: PoolOptions,
    private readonly router: Router,
  ) {}

  /** Spawn every worker; resolves when all are ready, rejects with the app's error (need-app). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.starting = { resolve, reject };
      this.firstGenerations = this.opts.processes;
      for (let id = 1; id <= this.opts.processes; id++) this.slots.set(id, this.spawn(id));
    });
  }

  /**
   * A reload's new options (module, env, limit-as) for every worker spawned from now on, worker-reload-mercy
   * for every retirement from now on; a changed `processes` adds or retires slots at once.
   */
  configure(opts: PoolOptions): void {
    const resize = opts.processes !== this.opts.processes;
    this.opts = opts;
    if (!resize) return; // a count changed by TTIN/TTOU stays as it is while the file says the same
    for (let n = this.slots.size; n < opts.processes; n++) this.addWorker();
    for (let n = this.slots.size; n > opts.processes; n--) this.removeWorker();
  }

  workers(): Worker[] {
    return [...this.all].sort((a, b) => a.id - b.id || a.generation - b.generation);
  }

  private spawn(id: number): Worker {
    const generation = ++this.generation;
    const socketPath = join(this.opts.runtimeDir, `w${id}.${generation}.sock`);
    const boot: WorkerBoot = {
      id,
      generation,
      socketPath,
      module: this.opts.module,
      // Room for the X-Forwarded-* headers the router adds to a request it accepted at buffer-size.
      maxHeaderSize: this.opts.maxHeaderSize + 4096,
      title: `tsws worker ${id}`,
    };
    log.flushNow();
    const cmd = workerCommand(this.opts, id, generation, [WORKER_ENTRY, JSON.stringify(boot)]);
    const options = {
      env: cmd.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'] as ('ignore' | 'pipe' | 'ipc')[],
      serialization: 'json' as const,
      // The worker leads its own process group (setsid), so that what the app starts — and what that starts
      // — can be ended with the worker: a killpg once it has exited (reap); the watchdog charges the group's
      // memory to the worker. Terminal signals (Ctrl-C) now reach only the master, which stops the workers
      // in order anyway.
      detached: true,
    };
    let child: ChildProcess;
    let failure: NodeJS.ErrnoException | null = null;
    try {
      child = spawn(cmd.file, cmd.args, options);
    } catch (e) {
      child = new ChildProcess();
      failure = e as NodeJS.ErrnoException;
    }
    const w = new Worker(id, generation, child, socketPath);
    w.requestLimit = this.opts.requestLimit(id);
    const h = this.history.get(id) ?? { spawns: 0, requests: 0, lastReason: '' };
    h.spawns++;
    this.history.set(id, h);
    if (generation > this.firstGenerations) this.respawns++;
    this.all.add(w);
    if (failure || child.pid === undefined) {
      // Out of fds (EMFILE: every idle client connection holds one in the master), processes (EAGAIN) or
      // memory, spawn() either throws or returns a child with no pid and no pipes, and says why in an
      // 'error' event. It is a start that failed: logged, and retried with the crash backoff. Asynchronous,
      // because every caller puts the returned worker in its slot first.
      if (failure) setImmediate(() => this.spawnFailed(w, failure));
      else child.once('error', (e) => this.spawnFailed(w, e));
      return w;
    }
    // The app's own output goes to the same log as the master's, and follows it across log reopens.
    child.stdout!.on('data', (b: Buffer) => log.raw(b));
    child.stderr!.on('data', (b: Buffer) => log.raw(b));
    child.on('message', (m: ToMaster) => this.onMessage(w, m));
    child.on('exit', (code, signal) => {
      killGroup(w);
      w.statm.close(); // reaped: every way a worker ends passes here (crash, recycle, stop, reload, kill)
      // A worker that failed to load has just printed its error: let that output reach the log first.
      if (code === EXIT_LOAD_ERROR) afterOutput(child, () => this.onExit(w, code, signal));
      else this.onExit(w, code, signal);
    });
    child.on('error', (e) => log.warn(`${w.label}: ${e.message}`));
    log.info(`${w.label} spawned`);
    return w;
  }

  private spawnFailed(w: Worker, e: NodeJS.ErrnoException): void {
    if (w.state === 'gone') return;
    const code = e.code ?? 'error';
    const why =
      code === 'EMFILE' || code === 'ENFILE'
        ? ` (the master is out of file descriptors${softFdLimit() ? `, max open files ${softFdLimit()}` : ''}: each client connection holds one; see max-fd)`
        : '';
    log.warn(`${w.label}: spawn failed: ${code}${why}: ${e.message}`);
    this.onExit(w, null, null, `spawn failed: ${code}`);
  }

  private onMessage(w: Worker, m: ToMaster): void {
    switch (m.type) {
      case 'ready':
        if (w.state !== 'spawning') return;
        w.state = 'serving';
        w.readyAt = Date.now();
        w.lastPong = w.readyAt;
        w.upstream = createUpstream(w.id, w.pid, w.socketPath);
        this.byUpstream.set(w.upstream, w);
        log.info(`${w.label} ready in ${w.readyAt - w.spawnedAt} ms`);
        if (w.predecessor && !this.stopping && this.slots.get(w.id) === w.predecessor) {
          // A reload: the new worker takes the slot, then the old one drains (capacity never dips).
          this.slots.set(w.id, w);
          this.router.add(w.upstream);
          this.retire(w.predecessor, `replaced by pid ${w.pid} (${this.reloadReason})`);
          w.predecessor = null;
          w.onReady?.('replaced');
          return;
        }
        if (this.stopping || this.slots.get(w.id) !== w) {
          // A reload's new worker whose old one died or was recycled meanwhile: the slot was refilled
          // already. It started fine, so this is no failure of the reload.
          w.predecessor = null;
          this.retire(w, 'no longer needed');
          w.onReady?.('superseded');
          return;
        }
        this.router.add(w.upstream);
        this.readyOnce.add(w.id);
        this.checkStarted();
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
    }
  }

  /** Slots whose worker has been ready at least once: startup is over when every slot has been. */
  private readonly readyOnce = new Set<number>();

  private checkStarted(): void {
    if (!this.starting) return;
    for (const id of this.slots.keys()) if (!this.readyOnce.has(id)) return;
    this.starting.resolve();
    this.starting = null;
  }

  /**
   * Recycle `w`: it gets no new request from now on, a fresh worker takes its slot at once, and it exits
   * once its requests in flight have ended (or at worker-reload-mercy).
   */
  recycle(w: Worker, reason: string, limit: Limit): void {
    if (w.state !== 'serving' && w.state !== 'spawning') return;
    w.limit = limit;
    this.recycles.set(limit, (this.recycles.get(limit) ?? 0) + 1);
    log.info(`${w.label} recycling: ${reason}`);
    if (!this.stopping && this.slots.get(w.id) === w) {
      // An app that throws right after every start is a crash loop: its replacements back off like respawns.
      if (limit === 'exception') this.respawnLater(w);
      else this.slots.set(w.id, this.spawn(w.id));
    }
    this.retire(w, reason, true);
  }

  /** Is a worker still draining after a recycle for `limit`? */
  recycling(limit: Limit): boolean {
    for (const w of this.all) if (w.limit === limit && w.state === 'draining') return true;
    return false;
  }

  /** Take `w` out of service: no new requests; it stops once its last request ends, or is killed at mercy. */
  retire(w: Worker, reason: string, logged = false): void {
    if (w.state === 'draining' || w.state === 'stopping' || w.state === 'gone') return;
    w.reason = reason;
    w.mercy = setTimeout(() => this.kill(w, `did not stop within worker-reload-mercy ${this.opts.mercyMs / 1000}s`), this.opts.mercyMs);
    if (w.state === 'spawning' || !w.upstream) {
      // Nothing was ever routed to it.
      w.state = 'stopping';
      w.child.kill('SIGKILL');
      return;
    }
    w.state = 'draining';
    if (!logged) log.info(`${w.label} draining: ${reason}`);
    // Responses still in flight end with Connection: close, and the router closes its idle sockets: both
    // sides agree no further request goes over them.
    this.send(w, { type: 'drain' });
    this.router.drain(w.upstream);
  }

  /** An unresponsive worker gets no new request until its event loop answers again. */
  pause(w: Worker): void {
    if (w.upstream && w.state === 'serving') this.router.pause(w.upstream);
  }

  resume(w: Worker): void {
    if (w.upstream && w.state === 'serving') this.router.resume(w.upstream);
  }

  workerOf(up: Upstream): Worker | undefined {
    return this.byUpstream.get(up);
  }

  /** The router reports that a draining worker has nothing in flight. */
  drained(up: Upstream): void {
    const w = this.byUpstream.get(up);
    if (!w || w.state !== 'draining') return;
    w.state = 'stopping';
    this.send(w, { type: 'stop' });
  }

  /** SIGKILL now; with `limit`, a watchdog kill counted like a recycle (its slot is refilled at once). */
  kill(w: Worker, why: string, limit?: Limit): void {
    if (w.state === 'gone' || w.killed) return;
    w.killed = true;
    log.warn(`${w.label} killed: ${why}`);
    w.reason ||= why;
    if (limit) {
      w.limit = limit;
      this.recycles.set(limit, (this.recycles.get(limit) ?? 0) + 1);
      if (w.upstream && w.state === 'serving') this.router.drain(w.upstream);
      w.state = 'stopping';
      if (!this.stopping && this.slots.get(w.id) === w) this.slots.set(w.id, this.spawn(w.id));
    }
    w.child.kill('SIGKILL');
  }


  private send(w: Worker, m: ToWorker): void {
    if (!w.child.connected) {
      w.child.kill('SIGKILL');
      return;
    }
    w.child.send(m, (err) => {
      if (err) w.child.kill('SIGKILL');
    });
  }

  private onExit(w: Worker, code: number | null, signal: NodeJS.Signals | null, failedSpawn = ''): void {
    const was = w.state;
    w.state = 'gone';
    if (w.mercy) clearTimeout(w.mercy);
    this.all.delete(w);
    if (w.upstream) {
      this.router.remove(w.upstream);
      this.byUpstream.delete(w.upstream);
    }
    const how = failedSpawn || (signal ? `killed by signal ${signal}` : `exit code ${code}`);
    const asked = was === 'stopping' || was === 'draining';
    if (!asked) this.crashes++;
    const h = this.history.get(w.id);
    if (h) {
      h.requests += w.upstream?.requests ?? 0;
      h.lastReason = w.reason || (asked ? '' : `died (${how})`);
    }
    if (asked) log.info(`${w.label} stopped (${w.reason}; ${how})`);
    else if (code === EXIT_LOAD_ERROR) log.warn(`${w.label} could not load the app (${how}); its error is above`);
    else if (!failedSpawn) log.warn(`${w.label} died (${how})${was === 'spawning' ? ' before it was ready' : ''}`);
    if (w.predecessor) {
      // A reload's new worker failed to come up: the old one keeps serving; no respawn loop of broken code.
      log.warn(`reload of worker ${w.id} failed: the new worker did not start (${how}); pid ${w.predecessor.pid} keeps serving`);
      w.onReady?.('failed');
      return;
    }

    if (this.starting && !asked && (code === EXIT_LOAD_ERROR || was === 'spawning')) {
      const starting = this.starting;
      this.starting = null;
      if (this.opts.needApp) {
        starting.reject(new AppLoadError(`${w.label} ${code === EXIT_LOAD_ERROR ? 'could not load the app' : `died before it was ready (${how})`}`));
        return;
      }
      starting.resolve(); // need-app off: the master stays up, answers 503 and keeps trying
    }
    if (this.all.size === 0) {
      for (const f of this.exitWaiters.splice(0)) f();
    }
    if (this.stopping || asked || this.slots.get(w.id) !== w) return;
    this.respawnLater(w);
  }

  /** Respawn a crashed slot: at once the first time, then with doubling delays while it keeps failing. */
  private respawnLater(w: Worker): void {
    const lived = w.readyAt ? Date.now() - w.readyAt : 0;
    const n = lived > STABLE_AFTER_MS ? 1 : (this.failures.get(w.id) ?? 0) + 1;
    this.failures.set(w.id, n);
    const delay = n <= 1 ? 0 : Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (n - 2));
    if (delay > 0) log.warn(`worker ${w.id} failed ${n} times in a row; respawning in ${(delay / 1000).toFixed(2)}s`);
    const t = setTimeout(() => {
      this.respawnTimers.delete(w.id);
      if (this.stopping) return;
      this.slots.set(w.id, this.spawn(w.id));
      log.info(`worker ${w.id} respawned`);
    }, delay);
    this.respawnTimers.set(w.id, t);
  }

  private reloadReason = '';
  /** A reload is replacing workers; another one is refused until it is done. */
  reloading = false;

  /**
   * Start a successor for the worker in slot `id`; resolves once it serves (and the old one drains), or not,
   * with its memory as it was ready, before its first request.
   */
  private succeed(old: Worker): Promise<{ outcome: 'replaced' | 'failed' | 'superseded'; memory: MemorySample | null }> {
    const s = this.spawn(old.id);
    s.predecessor = old;
    return new Promise((resolve) => (s.onReady = (outcome) => resolve({ outcome, memory: outcome === 'replaced' ? s.ownMemory() : null })));
  }

  /**
   * Graceful reload, new app code in fresh workers. `chain`: one slot at a time, the next only once the
   * previous new worker is ready (uWSGI's chain reload). Otherwise every slot at once, each old worker
   * draining as soon as its own successor is ready. A new worker that fails to start leaves the old one
   * serving and stops a chain. Resolves with the memory of each new worker that took its slot (as it was
   * ready), and how many new workers failed to start.
   */
  async reload(chain: boolean, reason: string): Promise<{ fresh: (MemorySample | null)[]; failed: number }> {
    if (this.reloading || this.stopping) {
      log.warn(`reload (${reason}) ignored: ${this.stopping ? 'stopping' : 'a reload is already running'}`);
      return { fresh: [], failed: 0 };
    }
    this.reloading = true;
    this.reloadReason = reason;
    const old = [...this.slots.values()].filter((w) => w.state === 'serving');
    log.info(`${chain ? 'chain ' : ''}reload of ${old.length} worker(s): ${reason}`);
    const results: Awaited<ReturnType<Pool['succeed']>>[] = [];
    try {
      if (chain) {
        for (const w of old) {
          if (this.stopping) break;
          if (this.slots.get(w.id) !== w || w.state !== 'serving') continue; // recycled meanwhile
          const r = await this.succeed(w);
          results.push(r);
          if (r.outcome === 'failed') break;
        }
      } else {
        results.push(...(await Promise.all(old.map((w) => this.succeed(w)))));
      }
    } finally {
      this.reloading = false;
    }
    const fresh = results.filter((r) => r.outcome === 'replaced').map((r) => r.memory);
    const failed = results.filter((r) => r.outcome === 'failed').length;
    log.info(`reload done: ${fresh.length} of ${old.length} worker(s) replaced`);
    return { fresh, failed };
  }

  /** SIGTTIN / fifo `+`: one worker more. */
  addWorker(): void {
    if (this.stopping) return;
    const id = Math.max(0, ...this.slots.keys()) + 1;
    this.slots.set(id, this.spawn(id));
    log.info(`processes: ${this.slots.size} (one more)`);
  }

  /** SIGTTOU / fifo `-`: one worker less (never below one); the highest slot drains and is not replaced. */
  removeWorker(): void {
    if (this.stopping || this.slots.size <= 1) return;
    const id = Math.max(...this.slots.keys());
    const w = this.slots.get(id)!;
    this.slots.delete(id);
    clearTimeout(this.respawnTimers.get(id));
    this.respawnTimers.delete(id);
    this.failures.delete(id); // a slot added back later starts with a clean record
    this.retire(w, 'one worker less');
    log.info(`processes: ${this.slots.size} (one less)`);
    this.checkStarted(); // during startup, the slot it waited for may be the one removed
  }

  get processes(): number {
    return this.slots.size;
  }

  /**
   * Is a worker serving, or one on its way? False only while every slot waits out a crash backoff: then the
   * router answers 503 at once instead of queueing requests for a worker that may be minutes away.
   */
  available(): boolean {
    for (const w of this.all) if (w.state === 'serving' || w.state === 'spawning') return true;
    return false;
  }

  /** Stop every worker (their requests already drained by the router); resolves when all have exited. */
  stopAll(reason: string): Promise<void> {
    this.stopping = true;
    for (const t of this.respawnTimers.values()) clearTimeout(t);
    this.respawnTimers.clear();
    if (this.starting) {
      this.starting.reject(new AppLoadError('stopped during startup'));
      this.starting = null;
    }
    for (const w of this.all) this.retire(w, reason);
    return this.all.size === 0 ? Promise.resolve() : new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  /** Immediate: SIGKILL every worker. */
  killAll(why: string): void {
    this.stopping = true;
    for (const t of this.respawnTimers.values()) clearTimeout(t);
    for (const w of this.all) this.kill(w, why);
  }
}
