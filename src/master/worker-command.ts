// A worker's command line and environment, computed from the pool's options, the worker's id and its
// generation (pure: no I/O, so it is tested alone, and `--check` loads the app with the same flags).
//
// - `worker-node-args`: Node flags for the workers (their execArgv), split on whitespace: memory limits,
//   `--enable-source-maps`, `--import tsx`, `--inspect`. They are given to `node` itself, not through
//   NODE_OPTIONS, so every flag works and `--import` resolves as on the command line.
// - `--inspect` (and -brk, -wait) gets a port per worker: the asked port (default 9229) + the worker id, so
//   worker 1 listens on 9230, worker 2 on 9231 (port 0 stays 0: a random port each).
// - The worker knows who it is: TSWS_WORKER_ID (1..processes) and TSWS_WORKER_GENERATION (a new number at
//   each spawn, across all workers) in its environment.
// - With limit-as the worker starts through sh, whose `ulimit -v` sets RLIMIT_AS before it execs node
//   (Node cannot call setrlimit(); the IPC channel survives the exec).

export interface WorkerCommandOptions {
  readonly env: NodeJS.ProcessEnv;
  /** worker-node-args, one entry per option line (each split on whitespace). */
  readonly nodeArgs?: readonly string[];
  /** RLIMIT_AS in bytes; 0 = none. */
  readonly limitAs: number;
}

export interface WorkerCommand {
  readonly file: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
}

const INSPECT = /^(--inspect(?:-brk|-wait)?)(?:=(.*))?$/;
const DEFAULT_INSPECT_PORT = 9229;

/** `--inspect[=[host:]port]` → the same flag with port + id (host kept). Other flags unchanged. */
export function inspectorFor(arg: string, id: number): string {
  const m = INSPECT.exec(arg);
  if (!m) return arg;
  const value = m[2] ?? '';
  const colon = value.lastIndexOf(':');
  const host = colon >= 0 ? value.slice(0, colon) : /^\d+$/.test(value) || value === '' ? '' : value;
  const portText = colon >= 0 ? value.slice(colon + 1) : /^\d+$/.test(value) ? value : '';
  const base = portText === '' ? DEFAULT_INSPECT_PORT : Number(portText);
  const port = base === 0 ? 0 : base + id;
  return `${m[1]}=${host ? `${host}:` : ''}${port}`;
}

/** The flags of worker-node-args: each line split on whitespace, inspector ports made per worker. */
export function nodeArgsFor(lines: readonly string[], id: number): string[] {
  return lines.flatMap((l) => l.split(/\s+/).filter(Boolean)).map((a) => inspectorFor(a, id));
}

/** `env = K=V` lines applied over a base environment, in order (a later one wins, as uWSGI). */
export function envWith(base: NodeJS.ProcessEnv, kvs: readonly string[]): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const kv of kvs) {
    const i = kv.indexOf('=');
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

/** The command that starts worker `id` of `generation`; `entry` is the worker script and its arguments. */
export function workerCommand(o: WorkerCommandOptions, id: number, generation: number, entry: readonly string[]): WorkerCommand {
  const node = [...nodeArgsFor(o.nodeArgs ?? [], id), ...entry];
  const env = { ...o.env, TSWS_WORKER_ID: String(id), TSWS_WORKER_GENERATION: String(generation) };
  if (o.limitAs) return { file: '/bin/sh', args: ['-c', 'ulimit -v "$0" && exec "$@"', String(Math.floor(o.limitAs / 1024)), process.execPath, ...node], env };
  return { file: process.execPath, args: node, env };
}
