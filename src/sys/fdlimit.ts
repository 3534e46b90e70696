// File descriptors: every client connection holds one in the master, and each worker three more (stdout,
// stderr, IPC) plus its pooled sockets, so the master's RLIMIT_NOFILE bounds how many clients it can hold.
// Node already raises the soft limit to the hard one as it starts (as nginx does with
// worker_rlimit_nofile); `max-fd` (uWSGI's) sets it to a chosen value. Node has no setrlimit(): the limit is
// set through util-linux's prlimit(1) on the master's own pid, once, before any worker exists (they inherit it).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface FdLimit {
  readonly soft: number;
  readonly hard: number;
}

/** The limit as of startup, kept: reading /proc needs a descriptor, and it is read when there are none left. */
let current: FdLimit | null = null;

/** The master's RLIMIT_NOFILE from /proc/self/limits ("unlimited" does not occur for this limit on Linux). */
export function readFdLimit(): FdLimit | null {
  try {
    const m = /^Max open files\s+(\d+)\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'latin1'));
    return m ? { soft: Number(m[1]), hard: Number(m[2]) } : null;
  } catch {
    return null;
  }
}

/** The soft limit as last set or read (0: unknown). */
export function softFdLimit(): number {
  return current?.soft ?? 0;
}

function prlimit(soft: number, hard: number): string | null {
  const r = spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${soft}:${hard}`], { encoding: 'utf8' });
  if (r.error) return `prlimit (util-linux) could not run: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`;
  return r.status === 0 ? null : r.stderr.trim() || `prlimit exited with ${r.status}`;
}

/**
 * Set the soft limit to `maxFd` (max-fd), or else raise it to the hard limit if Node did not. A max-fd above
 * the hard limit raises both, as uWSGI does, which needs CAP_SYS_RESOURCE (root) and stays below the
 * kernel's fs.nr_open. Returns the limit in force, or the problem with max-fd.
 */
export function applyFdLimit(maxFd: number): { limit: FdLimit | null; problem?: string; warning?: string } {
  const was = readFdLimit();
  if (!was) return { limit: null, warning: 'cannot read /proc/self/limits: the open-file limit is unknown' };
  let problem: string | undefined;
  let warning: string | undefined;
  if (maxFd > 0 && maxFd !== was.soft) {
    const err = prlimit(maxFd, Math.max(maxFd, was.hard));
    if (err && maxFd > was.hard) {
      problem = `${maxFd} is above the hard limit ${was.hard}, which only root (CAP_SYS_RESOURCE) may raise, up to the kernel's fs.nr_open (${err}); raise LimitNOFILE= in the systemd unit or the hard ulimit -n, or lower max-fd`;
    } else if (err) {
      problem = `cannot set the open-file limit to ${maxFd}: ${err}`;
    }
  } else if (maxFd === 0 && was.soft < was.hard) {
    const err = prlimit(was.hard, was.hard);
    if (err) warning = `cannot raise the open-file limit from ${was.soft} to the hard limit ${was.hard}: ${err}`;
  }
  current = readFdLimit() ?? was;
  return { limit: current, problem, warning };
}

/**
 * http-max-connections when left at 0: what the descriptor limit leaves after the master's own needs
 * (listening sockets, log, fifos, stats, /proc reads: 64) and each worker's (IPC channel, output pipes and its
 * pooled connections: `threads` + 8), halved because a client connection may hold a connection to a worker
 * while its request runs. Beyond it the router answers 503 instead of accept() failing with a reset.
 */
export function autoMaxConnections(processes: number, threads: number): number {
  const soft = softFdLimit() || readFdLimit()?.soft || 1024;
  const room = Math.min(soft, 1 << 20) - 64 - processes * (threads + 8);
  return Math.max(16, Math.floor(room / 2));
}
