// The one logger: lifecycle lines and request lines, to stderr or the logto/daemonize file. Lines are
// batched and written once per event-loop turn, so a request line costs a string push, not a syscall.
//
// Nothing the log's destination does may take the master down or silently lose order (reliability.md):
// - a write that is refused (EAGAIN: a pipe whose reader stalled; ENOSPC: a full disk) or only partly done
//   keeps what was not written, in order, in a bounded backlog, retried on a timer while new lines queue;
// - a line that does not fit in the backlog is dropped whole and counted, and once writing works again a
//   line `tsws: warning: N log lines dropped (reason)` marks the gap where it happened;
// - a reopen (`l`, after logrotate) that fails keeps the file already open and says why.
import { accessSync, closeSync, constants, openSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { jsonString } from './json-text.js';

/**
 * At most this much unwritten log is held (UTF-16 units of queued lines plus bytes of a partly written
 * batch; the length of a string is known without scanning it). 1 MiB is ~10,000 request lines of the
 * default format (~100 B) — a few seconds of this router's peak — while the master itself holds ~70 MiB:
 * enough to ride out a reader that pauses, small enough that one that never comes back cannot grow the
 * master. Beyond it lines are dropped, counted and marked, never the master's memory.
 */
export const BACKLOG_LIMIT = 1024 * 1024;
/**
 * While a backlog waits, it is retried even if no new line comes: soon after a write that made progress (a
 * pipe takes 64 KiB per read of its reader, so 250 ms between tries would drain 1 MiB in 4 s), slowly after
 * one that was refused outright (a full disk: one failed syscall per 250 ms).
 */
const RETRY_MS = { progress: 10, refused: 250 };

let fd = 2;
let ownFd = false;
let path: string | null = null;
/** Lines not yet written, oldest first; what was accepted is never dropped, so order holds. */
let queue: string[] = [];
let queueChars = 0;
/** The unwritten rest of a batch (after a partial write or a refused one): written before `queue`. */
let head: Buffer | null = null;
let scheduled = false;
let retry: NodeJS.Timeout | null = null;
/** log-encoder = json: every line is one JSON object (setEncoder, at startup). */
let json = false;
/** Lines dropped since the last marker, why (the last write error), and since start. */
let gap = 0;
let lastError = '';
let droppedTotal = 0;

/** Lines dropped because the log could not take them, since the master started (stats). */
export function droppedLines(): number {
  return droppedTotal;
}

function where(): string {
  return path ?? 'stderr';
}

/** `ENOENT (no such file or directory)` from a Node fs error. */
export function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const text = /^[A-Z0-9_]+: ([^,]+)/.exec(err?.message ?? '')?.[1];
  return err?.code ? `${err.code}${text ? ` (${text})` : ''}` : String(err?.message ?? e);
}

/** Whether the last writeOut() wrote anything. */
let progressed = false;

/** Write the backlog until it is empty (true) or the destination refuses (false). Never throws. */
function writeOut(): boolean {
  progressed = false;
  for (;;) {
    let n: number;
    if (head) {
      try {
        n = writeSync(fd, head);
      } catch (e) {
        return refused(e);
      }
      // A partial write (a pipe with less room than the batch, a disk filling up): the rest goes next, so a
      // line cut here is completed, never followed by another line.
      head = n >= head.length ? null : head.subarray(n);
    } else {
      if (queue.length === 0) {
        if (gap === 0) return true;
        closeGap();
      }
      // The usual case, everything written at once, stays as cheap as it was: the string is written as it
      // is, and becomes a Buffer (to be cut where the write stopped) only when it was not all written.
      const text = queue.join('');
      queue = [];
      queueChars = 0;
      try {
        n = writeSync(fd, text);
      } catch (e) {
        head = Buffer.from(text);
        return refused(e);
      }
      if (n < Buffer.byteLength(text)) head = Buffer.from(text).subarray(n);
    }
    if (n > 0) progressed = true;
  }
}

function refused(e: unknown): false {
  lastError = `${(e as NodeJS.ErrnoException).code ?? 'error'} writing to ${where()}`;
  return false;
}

/** Room again after lines were dropped: the marker goes where they were, before any line that follows. */
function closeGap(): void {
  const line = lifecycle('warning', `${gap} log line${gap === 1 ? '' : 's'} dropped (${lastError || 'the log was not writable'}; backlog of ${BACKLOG_LIMIT >> 10} KiB full)`);
  queue.push(line);
  queueChars += line.length;
  gap = 0;
}

function flush(): void {
  scheduled = false;
  // The destination refused the last write: its timer retries, not every turn that logs (a refused write
  // can itself make a line: a SIGXFSZ warning, which would otherwise spin).
  if (retry) return;
  retryNow();
}

function retryNow(): void {
  retry = null;
  if (!writeOut()) {
    // Unref'd: a waiting backlog keeps nobody alive.
    retry = setTimeout(retryNow, progressed ? RETRY_MS.progress : RETRY_MS.refused);
    retry.unref();
  }
}

function emit(line: string): void {
  const held = queueChars + (head?.length ?? 0);
  // Once lines are dropped, dropping goes on until half the backlog is written: one gap and one marker
  // while the log is stuck, not a marker beside every short line that happens to fit. A line longer than
  // the bound is still taken by an empty backlog.
  if (gap ? held > BACKLOG_LIMIT / 2 : held > 0 && held + line.length > BACKLOG_LIMIT) {
    gap++;
    droppedTotal++;
  } else {
    if (gap) closeGap();
    queue.push(line);
    queueChars += line.length;
  }
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

function stamp(): string {
  return new Date().toISOString();
}

/** `text` (uWSGI's lines) or `json` (log-encoder): set once at startup, before the first worker. */
export function setEncoder(encoder: 'json' | 'text'): void {
  json = encoder === 'json';
}

function lifecycle(level: 'info' | 'warning', msg: string): string {
  if (json) return `{"time":"${stamp()}","type":"tsws","level":"${level}","msg":${jsonString(msg)}}\n`;
  return `${stamp()} tsws: ${level === 'warning' ? 'warning: ' : ''}${msg}\n`;
}

/** Lifecycle and control lines: timestamped, e.g. `2026-11-26T23:59:01.123Z tsws: worker 3 (pid 4121) ready`. */
export function info(msg: string): void {
  emit(lifecycle('info', msg));
}

export function warn(msg: string): void {
  emit(lifecycle('warning', msg));
}

/**
 * One line of a worker's stdout or stderr (master/app-output.ts splits them): `[wid: 3] line` in text; in
 * JSON an object with the line as `msg`, or as `json` when the line is itself a JSON object (pino, bunyan,
 * winston's json format), so that a log pipeline reads the app's fields, not a string holding them.
 */
export function appLine(wid: number, pid: number, stream: 'stdout' | 'stderr', line: string): void {
  if (!json) return emit(`[wid: ${wid}] ${line}\n`);
  const head = `{"time":"${stamp()}","type":"app","wid":${wid},"pid":${pid},"stream":"${stream}"`;
  emit(`${head},${isJsonObject(line) ? `"json":${line.trim()}` : `"msg":${jsonString(line)}`}}\n`);
}

function isJsonObject(line: string): boolean {
  const t = line.trim();
  if (t.charCodeAt(0) !== 123 /* { */ || t.charCodeAt(t.length - 1) !== 125 /* } */) return false;
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
}

/** Request lines are already formatted by the router (uWSGI-like, or log-format). */
export function requestLine(line: string): void {
  emit(line + '\n');
}

/** Write everything now (before exit, or before forking a process that shares the fd). */
export function flushNow(): void {
  if (retry) clearTimeout(retry);
  retryNow();
}

/** Send the log to `file` (appending) instead of stderr. Throws the open's error (at startup: serve.ts). */
export function logTo(file: string): void {
  writeOut();
  const next = openSync(file, 'a', 0o640);
  if (ownFd) closeSync(fd);
  fd = next;
  ownFd = true;
  path = file;
}

/**
 * Reopen the log file (logrotate moved it away). If the new file cannot be opened — its directory was
 * removed, or it was created for another user than `uid` — the file already open stays in use and the
 * log says why: the master keeps serving and no line is lost.
 */
export function reopen(): void {
  if (!path) return info('log reopen: the log is stderr (no logto or daemonize), nothing to reopen');
  try {
    logTo(path);
  } catch (e) {
    warn(`log: cannot reopen ${path}: ${errnoText(e)}; still writing to the file opened before`);
    return;
  }
  info('log reopened');
}

/**
 * Why `file` could not be opened for appending by this user (null if it could), without creating it: for
 * `--check`, which must not leave files behind.
 */
export function appendProblem(file: string): string | null {
  try {
    if (statSync(file).isDirectory()) return 'EISDIR (it is a directory)';
    accessSync(file, constants.W_OK);
    return null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return errnoText(e);
  }
  const dir = dirname(file);
  try {
    if (!statSync(dir).isDirectory()) return `ENOTDIR (${dir} is not a directory)`;
    accessSync(dir, constants.W_OK | constants.X_OK);
    return null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? `ENOENT (no directory ${dir})` : errnoText(e);
  }
}
