// V8's own ceiling against tsws's. A worker's JavaScript heap is capped by V8 (`--max-old-space-size`; by
// default a share of the machine's or the container's memory: 4,144 MiB on this 24 GiB host, 524 MiB in a
// 1 GiB cgroup). A `reload-on-rss` above it is never reached by a heap that grows: the worker dies of
// "JavaScript heap out of memory" first, and its requests with it. So unless the user set the flag, workers
// get a heap limit above the memory limit; if the user did set one below it, they are told.
import { getHeapStatistics } from 'node:v8';
import type { Config } from '../config/options.js';
import { mib } from '../sys/memory.js';
import { nodeArgsFor } from './worker-command.js';

const MiB = 1024 * 1024;

/** The heap limit is set this far above the memory limit: one request may grow the heap past the limit before its check. */
const HEADROOM = 1.25;

const FLAG = /^--max[-_]old[-_]space[-_]size=(\d+)$/;

export interface HeapLimit {
  /** Flags for the workers' node (none, or the raised limit). */
  readonly args: string[];
  /** What the log says about it, once: the limit raised, or a user's limit below the memory limit. */
  readonly note: { readonly level: 'info' | 'warn'; readonly text: string } | null;
}

/** The user's own --max-old-space-size (MiB), from worker-node-args or NODE_OPTIONS, if any. */
function userLimit(cfg: Config, env: NodeJS.ProcessEnv): { mib: number; where: string } | null {
  for (const a of nodeArgsFor(cfg['worker-node-args'], 1)) {
    const m = FLAG.exec(a);
    if (m) return { mib: Number(m[1]), where: 'worker-node-args' };
  }
  for (const a of (env.NODE_OPTIONS ?? '').split(/\s+/)) {
    const m = FLAG.exec(a);
    if (m) return { mib: Number(m[1]), where: 'NODE_OPTIONS' };
  }
  return null;
}

/** `defaultLimit`: V8's heap limit for a worker started without the flag (the master's own, same host and cgroup). */
export function heapLimit(cfg: Config, env: NodeJS.ProcessEnv, defaultLimit = getHeapStatistics().heap_size_limit): HeapLimit {
  const memory = Math.max(cfg['reload-on-rss'], cfg['evil-reload-on-rss']);
  if (!memory) return { args: [], note: null };
  const key = cfg['reload-on-rss'] >= cfg['evil-reload-on-rss'] ? 'reload-on-rss' : 'evil-reload-on-rss';
  const user = userLimit(cfg, env);
  if (user) {
    if (user.mib * MiB >= memory) return { args: [], note: null };
    return {
      args: [],
      note: {
        level: 'warn',
        text:
          `${user.where} sets --max-old-space-size=${user.mib}, below ${key} ${mib(memory)}: a worker whose JavaScript heap grows ` +
          `dies of "JavaScript heap out of memory" at ${user.mib} MiB, with its requests, before ${key} recycles it gracefully. ` +
          `Raise it above ${Math.ceil((memory * HEADROOM) / MiB)}, or remove it and tsws sets it`,
      },
    };
  }
  if (memory * HEADROOM <= defaultLimit) return { args: [], note: null };
  const raised = Math.ceil((memory * HEADROOM) / MiB);
  return {
    args: [`--max-old-space-size=${raised}`],
    note: {
      level: 'info',
      text: `workers' JavaScript heap limit raised to ${raised} MiB (V8's default here is ${mib(defaultLimit)}, below ${key} ${mib(memory)}: a growing heap would end the worker before its graceful recycle)`,
    },
  };
}
