// The one logger: lifecycle lines and request lines, to stderr or the logto/daemonize file. Lines are
// batched and written once per event-loop turn, so a request line costs a string concat, not a syscall.
import { closeSync, openSync, writeSync } from 'node:fs';

let fd = 2;
let ownFd = false;
let path: string | null = null;
let pending: string[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const chunk = pending.join('');
  pending = [];
  try {
    writeSync(fd, chunk);
  } catch {
    // A full disk or a closed stderr must never take the master down; the line is lost.
  }
}

function emit(line: string): void {
  pending.push(line);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

function stamp(): string {
  return new Date().toISOString();
}

/** Lifecycle and control lines: timestamped, e.g. `2026-11-26T23:59:01.123Z tsws: worker 3 (pid 4121) ready`. */
export function info(msg: string): void {
  emit(`${stamp()} tsws: ${msg}\n`);
}

export function warn(msg: string): void {
  emit(`${stamp()} tsws: warning: ${msg}\n`);
}

/** Request lines are already formatted by the router (uWSGI-like, or log-format). */
export function requestLine(line: string): void {
  emit(line + '\n');
}

/** Output of a worker process (the app's console), passed through as it is. */
export function raw(chunk: Buffer): void {
  emit(chunk.toString());
}

/** Write everything now (before exit, or before forking a process that shares the fd). */
export function flushNow(): void {
  flush();
}

/** Send the log to `file` (appending) instead of stderr. */
export function logTo(file: string): void {
  flush();
  const next = openSync(file, 'a', 0o640);
  if (ownFd) closeSync(fd);
  fd = next;
  ownFd = true;
  path = file;
}

/** Reopen the log file (logrotate moved it away). */
export function reopen(): void {
  if (path) logTo(path);
}
