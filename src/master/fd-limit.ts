// The master's file-descriptor limit (RLIMIT_NOFILE), read from /proc/self/limits: Node has no getrlimit.
import { readFileSync } from 'node:fs';

export interface FdLimits {
  readonly soft: number;
  readonly hard: number;
}

export function fdLimits(): FdLimits | null {
  try {
    const line = readFileSync('/proc/self/limits', 'latin1')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const [soft, hard] = (line ?? '').slice('Max open files'.length).trim().split(/\s+/);
    const n = (s: string | undefined): number => (s === 'unlimited' ? Infinity : Number(s));
    return Number.isFinite(n(soft)) || soft === 'unlimited' ? { soft: n(soft), hard: n(hard) } : null;
  } catch {
    return null;
  }
}

/**
 * http-max-connections when left at 0: what the descriptor limit leaves after the master's own needs
 * (listening sockets, log, fifos, stats, /proc reads: 64) and each worker's (IPC channel, output pipes and its
 * pooled connections: `threads` + 8). The router answers 503 beyond it instead of failing accept() with a reset.
 */
export function autoMaxConnections(processes: number, threads: number): number {
  const soft = fdLimits()?.soft ?? 1024;
  // Each client connection may also hold a connection to a worker while its request runs.
  const room = Math.min(soft, 1 << 20) - 64 - processes * (threads + 8);
  return Math.max(16, Math.floor(room / 2));
}
