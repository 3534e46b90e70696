// The one logger: lifecycle lines, the app's output and request lines, to stderr or the logto/daemonize
// file; request lines to a file of their own when req-logger names one (uWSGI's split of the request log
// from the rest). Lines are batched and written once per event-loop turn, so a request line costs a string
// push, not a syscall.
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
 * At most this much unwritten log is held, per destination (UTF-16 units of queued lines plus bytes of a
 * partly written batch; the length of a string is known without scanning it). 1 MiB is ~10,000 request lines of the
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

/**
 * One destination and everything it has not taken yet. There are two: the log (stderr, or the logto or
 * daemonize file) and, when req-logger names a file, the request log. Each has its own backlog, bound,
 * retry timer and gap marker, so that a request file on a full disk cannot hold back lifecycle lines, nor
 * the other way round. Without req-logger both names are the same object: the request line's path is the
 * one it always was.
 */
class Sink {
  fd = 2;
  private ownFd = false;
  /** The file, for a reopen and for error messages; null: stderr. */
  path: string | null = null;
  /** Lines not yet written, oldest first; what was accepted is never dropped, so order holds. */
  private queue: string[] = [];
  private queueChars = 0;
  /** The unwritten rest of a batch (after a partial write or a refused one): written before `queue`. */
  private head: Buffer | null = null;
  private scheduled = false;
  private retry: NodeJS.Timeout | null = null;
  /** Lines dropped since the last marker, and why (the last write error). */
  private gap = 0;
  private lastError = '';
  /** Whether the last writeOut() wrote anything. */
  private progressed = false;
  // Bound once, so that scheduling a flush allocates nothing per line.
  private readonly flushSoon = (): void => this.flush();
  private readonly retrySoon = (): void => this.retryNow();

  private where(): string {
    return this.path ?? 'stderr';
  }

  /** Write the backlog until it is empty (true) or the destination refuses (false). Never throws. */
  private writeOut(): boolean {
    this.progressed = false;
    for (;;) {
      let n: number;
      if (this.head) {
        try {
          n = writeSync(this.fd, this.head);
        } catch (e) {
          return this.refused(e);
        }
        // A partial write (a pipe with less room than the batch, a disk filling up): the rest goes next, so a
        // line cut here is completed, never followed by another line.
        this.head = n >= this.head.length ? null : this.head.subarray(n);
      } else {
        if (this.queue.length === 0) {
          if (this.gap === 0) return true;
          this.closeGap();
        }
        // The usual case, everything written at once, stays as cheap as it was: the string is written as it
        // is, and becomes a Buffer (to be cut where the write stopped) only when it was not all written.
        const text = this.queue.join('');
        this.queue = [];
        this.queueChars = 0;
        try {
          n = writeSync(this.fd, text);
        } catch (e) {
          this.head = Buffer.from(text);
          return this.refused(e);
        }
        if (n < Buffer.byteLength(text)) this.head = Buffer.from(text).subarray(n);
      }
      if (n > 0) this.progressed = true;
    }
  }

  private refused(e: unknown): false {
    this.lastError = `${(e as NodeJS.ErrnoException).code ?? 'error'} writing to ${this.where()}`;
    return false;
  }

  /**
   * Room again after lines were dropped: the marker goes where they were, before any line that follows —
   * in this destination, so a request file shows its own gap (the one line of the master's it may hold).
   */
  private closeGap(): void {
    const line = lifecycle('warning', `${this.gap} log line${this.gap === 1 ? '' : 's'} dropped (${this.lastError || 'the log was not writable'}; backlog of ${BACKLOG_LIMIT >> 10} KiB full)`);
    this.queue.push(line);
    this.queueChars += line.length;
    this.gap = 0;
  }

  private flush(): void {
    this.scheduled = false;
    // The destination refused the last write: its timer retries, not every turn that logs (a refused write
    // can itself make a line: a SIGXFSZ warning, which would otherwise spin).
    if (this.retry) return;
    this.retryNow();
  }

  private retryNow(): void {
    this.retry = null;
    if (!this.writeOut()) {
      // Unref'd: a waiting backlog keeps nobody alive.
      this.retry = setTimeout(this.retrySoon, this.progressed ? RETRY_MS.progress : RETRY_MS.refused);
      this.retry.unref();
    }
  }

  emit(line: string): void {
    const held = this.queueChars + (this.head?.length ?? 0);
    // Once lines are dropped, dropping goes on until half the backlog is written: one gap and one marker
    // while the log is stuck, not a marker beside every short line that happens to fit. A line longer than
    // the bound is still taken by an empty backlog.
    if (this.gap ? held > BACKLOG_LIMIT / 2 : held > 0 && held + line.length > BACKLOG_LIMIT) {
      this.gap++;
      droppedTotal++;
    } else {
      if (this.gap) this.closeGap();
      this.queue.push(line);
      this.queueChars += line.length;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushSoon);
    }
  }

  /** Write everything now (before exit, or before forking a process that shares the fd). */
  flushNow(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retryNow();
  }

  /**
   * Append to `file` from now on (what is queued goes to the file open until now first). Throws the open's
   * error, the file open until now staying in use.
   */
  open(file: string): void {
    this.writeOut();
    const next = openSync(file, 'a', 0o640);
    if (this.ownFd) closeSync(this.fd);
    this.fd = next;
    this.ownFd = true;
    this.path = file;
  }

  /**
   * Open the file again (logrotate moved it away). If the new file cannot be opened — its directory was
   * removed, or it was created for another user than `uid` — the file already open stays in use and the
   * log says why: the master keeps serving and no line is lost.
   */
  reopen(name: string): void {
    const file = this.path!;
    try {
      this.open(file);
    } catch (e) {
      warn(`${name}: cannot reopen ${file}: ${errnoText(e)}; still writing to the file opened before`);
      return;
    }
    info(name === 'log' ? 'log reopened' : `${name} reopened: ${file}`);
  }
}

/** Lifecycle lines, the app's output and, unless req-logger sends them elsewhere, request lines. */
const main = new Sink();
/** Where request lines go: `main`, or the req-logger file's own sink (requestLogTo, at startup). */
let requests = main;
/** log-encoder = json: every line is one JSON object (setEncoder, at startup). */
let json = false;
/** Lines dropped since the master started, in either destination (stats). */
let droppedTotal = 0;

/** Lines dropped because the log could not take them, since the master started (stats). */
export function droppedLines(): number {
  return droppedTotal;
}

/** `ENOENT (no such file or directory)` from a Node fs error. */
export function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const text = /^[A-Z0-9_]+: ([^,]+)/.exec(err?.message ?? '')?.[1];
  return err?.code ? `${err.code}${text ? ` (${text})` : ''}` : String(err?.message ?? e);
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
  main.emit(lifecycle('info', msg));
}

export function warn(msg: string): void {
  main.emit(lifecycle('warning', msg));
}

/**
 * One line of a worker's stdout or stderr (master/app-output.ts splits them): `[wid: 3] line` in text; in
 * JSON an object with the line as `msg`, or as `json` when the line is itself a JSON object (pino, bunyan,
 * winston's json format), so that a log pipeline reads the app's fields, not a string holding them.
 */
export function appLine(wid: number, pid: number, stream: 'stdout' | 'stderr', line: string): void {
  if (!json) return main.emit(`[wid: ${wid}] ${line}\n`);
  const head = `{"time":"${stamp()}","type":"app","wid":${wid},"pid":${pid},"stream":"${stream}"`;
  main.emit(`${head},${isJsonObject(line) ? `"json":${line.trim()}` : `"msg":${jsonString(line)}`}}\n`);
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
  requests.emit(line + '\n');
}

/** Write everything now (before exit, or before forking a process that shares the fd). */
export function flushNow(): void {
  main.flushNow();
  if (requests !== main) requests.flushNow();
}

/** Send the log to `file` (appending) instead of stderr. Throws the open's error (at startup: serve.ts). */
export function logTo(file: string): void {
  main.open(file);
}

/**
 * req-logger: request lines to `file` (appending), everything else staying where it is. Throws the open's
 * error (at startup: serve.ts), request lines then staying with the rest.
 */
export function requestLogTo(file: string): void {
  const sink = requests === main ? new Sink() : requests;
  sink.open(file);
  requests = sink;
}

/** `l` (after logrotate): reopen the log file and the request log file, each on its own. */
export function reopen(): void {
  if (main.path === null && requests === main) return info('log reopen: the log is stderr (no logto, daemonize or req-logger), nothing to reopen');
  if (main.path !== null) main.reopen('log');
  if (requests !== main) requests.reopen('request log');
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
