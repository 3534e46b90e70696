// How a worker process is started and what is left of it ended: the pool's only contact with child_process,
// behind an interface so that unit tests run the pool's state machine with fake processes and a fake clock.
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configProblem, type Loaded } from '../config/load.js';
import type { Config } from '../config/options.js';
import * as log from '../log.js';
import { tagOutput } from './app-output.js';
import { splitModuleSpec } from '../worker/app.js';
import { heapLimit, type HeapLimit } from './heap-limit.js';
import { memoryLimited } from './budget.js';
import { envWith, workerCommand } from './worker-command.js';
import type { WorkerBoot } from '../worker/protocol.js';

const WORKER_ENTRY = new URL('../worker/worker.js', import.meta.url).pathname;

export interface Spawner {
  /**
   * Start worker `id` of `generation`. A start that failed (out of fds, processes or memory) returns a child
   * with no pid that emits 'error' later, never synchronously: the caller registers the worker first.
   */
  spawn(id: number, generation: number): { child: ChildProcess; socketPath: string };
  /** The worker exited: end what is left of its process group. */
  reap(pid: number): void;
  /** Call `then` once the child's output has reached the log (a load error prints the app's stack). */
  afterOutput(child: ChildProcess, then: () => void): void;
}

export interface SpawnOptions {
  readonly module: string;
  readonly env: NodeJS.ProcessEnv;
  readonly runtimeDir: string;
  readonly maxHeaderSize: number;
  /** RLIMIT_AS for worker processes in bytes (limit-as); 0 = none. */
  readonly limitAs: number;
  /** worker-node-args: Node flags for the workers (worker-command.ts), after the heap limit (heap-limit.ts). */
  readonly nodeArgs: readonly string[];
  /** Workers measure their memory around each request and report it by route. */
  readonly routeMemory: boolean;
  /** What the master logs about the workers' heap limit, if anything. */
  readonly heapNote?: HeapLimit['note'];
}

/** The spawner's slice of the configuration; `modulePath` is resolved by resolveModule(). */
export function spawnOptionsFrom(cfg: Config, modulePath: string, runtimeDir: string): SpawnOptions {
  const env = workerEnv(cfg);
  const heap = heapLimit(cfg, env);
  // Route memory costs each worker a Map increment per request and a V8 statistics call per major GC: it is on
  // where memory matters.
  return {
    module: modulePath,
    env,
    runtimeDir,
    maxHeaderSize: cfg['buffer-size'],
    limitAs: cfg['limit-as'],
    nodeArgs: [...heap.args, ...cfg['worker-node-args']],
    heapNote: heap.note,
    routeMemory: cfg['memory-routes'] || memoryLimited(cfg),
  };
}

/** Variables that speak to the master alone: systemd's socket activation and notification socket. */
const MASTER_ONLY = ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES', 'NOTIFY_SOCKET'];

/** The workers' environment: the master's, then every `env = K=V` in order (a later one wins, as uWSGI). */
function workerEnv(cfg: Config): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of MASTER_ONLY) delete env[k];
  return envWith(env, cfg.env);
}

/** `module` as an absolute path (plus `:export`). Relative paths are relative to chdir, which serve() applied. */
export function resolveModule(module: string, loaded: Loaded): { path: string } | { problem: string } {
  const { path, exportName } = splitModuleSpec(module);
  const abs = resolve(path);
  if (!existsSync(abs)) return { problem: configProblem(loaded, 'module', `${abs} does not exist`) };
  return { path: exportName ? `${abs}:${exportName}` : abs };
}

/** Log what heap-limit.ts decided for the workers, once, and again only when a reload changes it. */
export function noteHeap(opts: SpawnOptions, before: SpawnOptions | null): void {
  const note = opts.heapNote;
  if (note && note.text !== before?.heapNote?.text) log[note.level](note.text);
}

export class ProcessSpawner implements Spawner {
  /** A reload's new options apply to every worker spawned from then on. */
  constructor(public opts: SpawnOptions) {}

  spawn(id: number, generation: number): { child: ChildProcess; socketPath: string } {
    const socketPath = join(this.opts.runtimeDir, `w${id}.${generation}.sock`);
    const boot: WorkerBoot = {
      id,
      generation,
      socketPath,
      module: this.opts.module,
      // Room for the X-Forwarded-* headers the router adds to a request it accepted at buffer-size.
      maxHeaderSize: this.opts.maxHeaderSize + 4096,
      title: `tsws worker ${id}`,
      routeMemory: this.opts.routeMemory,
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
    try {
      child = spawn(cmd.file, cmd.args, options);
    } catch (e) {
      // Out of fds (EMFILE: every idle client connection holds one in the master), processes (EAGAIN) or
      // memory, spawn() either throws or returns a child with no pid that says why in an 'error' event.
      // Both look like the second to the pool.
      const failed = new ChildProcess();
      setImmediate(() => failed.emit('error', e));
      return { child: failed, socketPath };
    }
    if (child.pid !== undefined) {
      // The app's own output goes to the same log as the master's, and follows it across log reopens, each
      // line tagged with its worker (app-output.ts).
      tagOutput(child.stdout!, 'stdout', id, child.pid);
      tagOutput(child.stderr!, 'stderr', id, child.pid);
    }
    return { child, socketPath };
  }

  /**
   * SIGKILL what is left of a worker's process group once the worker has exited: children the app spawned,
   * double-forked helpers (issue 10, finding 5). Only a process that left the group (setsid, setpgid) escapes;
   * systemd's KillMode=control-group, or a container's PID namespace, contains those. The pgid is the
   * worker's pid, and the kernel does not reuse a pid while a group of that id has members.
   */
  reap(pid: number): void {
    if (pid <= 0) return; // kill(-0) would be the master's own group
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // ESRCH: nothing was left in the group
    }
  }

  /** Once the child's stdout and stderr have ended (at most 1 s: a grandchild may hold them). */
  afterOutput(child: ChildProcess, then: () => void): void {
    let pending = 2;
    const finish = () => {
      clearTimeout(t);
      if (pending !== -1) then();
      pending = -1;
    };
    const t = setTimeout(finish, 1000);
    for (const s of [child.stdout, child.stderr]) {
      let ended = false;
      const one = () => {
        if (ended) return;
        ended = true;
        if (--pending === 0) finish();
      };
      if (!s || s.readableEnded || s.destroyed) one();
      else s.once('end', one).once('close', one);
    }
  }
}
