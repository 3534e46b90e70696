// What a test or a benchmark starts — processes and temporary directories — and how it is all removed: by
// pid, children first, even when the run fails. No node:test in here, so that bench/ can use it too (a
// node:test hook in a plain script prints a TAP report into the benchmark's JSON); the test-facing modules
// (tsws.ts, files.ts) also run cleanup() from node:test's after().
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { children } from '../../src/sys/memory.js';

/** The repository root, without a trailing slash (this file runs as dist/test/helpers/procs.js). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
export const BIN = join(ROOT, 'bin/tsws');
export const SAMPLES = join(ROOT, 'samples');
export const APPS = join(ROOT, 'test/apps');

const pids = new Set<number>();
const dirs = new Set<string>();

/** Kill this pid and everything below it at cleanup: for a process the run did not spawn itself (a daemon). */
export function track(pid: number): void {
  pids.add(pid);
}

/** A spawned process: killed at cleanup unless it exited first (then its pid may belong to someone else). */
export function trackChild(p: { pid?: number; once(e: 'exit', f: () => void): unknown }): void {
  if (!p.pid) return;
  const pid = p.pid;
  pids.add(pid);
  p.once('exit', () => pids.delete(pid));
}

/** Remove this directory (recursively) at cleanup. */
export function removeLater(dir: string): void {
  dirs.add(dir);
}

export function tempDir(prefix = 'tsws-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(d);
  return d;
}

/** Alive and not a zombie waiting for its parent. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** SIGKILL a process and everything below it, children first (a killed parent's children are reparented). */
export function killTree(pid: number): void {
  for (const c of children(pid)) killTree(c);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Kill what was started and remove what was made; safe to run twice. */
export function cleanup(): void {
  for (const pid of pids) killTree(pid);
  pids.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}
process.on('exit', cleanup);

/** Poll `check` every `everyMs` until it returns something truthy; throw after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | null | Promise<T | undefined | false | null>, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A port that was free a moment ago (for a program that cannot bind port 0 and say which it got). */
/**
 * A port `base` such that base+1 … base+n are free now, for a server that binds several ports from one (a
 * worker's --inspect port is base + its id). Drawn below the kernel's ephemeral range: there, a port found free
 * cannot be taken meanwhile by another test's outgoing connection, which made a worker's inspector fail to
 * bind (a CI run got ECONNREFUSED on a port found free with port 0, plus 1).
 */
export async function freePortRun(n: number): Promise<number> {
  const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]) || 32768;
  const bindable = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 10_000 + Math.floor(Math.random() * (low - 10_000 - n - 1));
    let all = true;
    for (let i = 1; i <= n && all; i++) all = await bindable(base + i);
    if (all) return base;
  }
  throw new Error(`no run of ${n} free ports below ${low}`);
}

/** A port free now, for a server a test starts later (below the ephemeral range, as freePortRun says why). */
export async function freePort(): Promise<number> {
  return (await freePortRun(1)) + 1;
}
