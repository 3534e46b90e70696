// Worker memory, read from /proc: each worker's own RSS and address space (VSZ, for the -as options) through
// a statm fd held per worker, for the per-request check; its tree's (the processes the app spawns count,
// which PM2 and uWSGI miss) is added from the poll's pass in tree.ts. /proc is read directly (see
// procstat.ts on why pidusage is not used). children/descendants/pss serve the tests and benchmarks.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

/** A system constant (`getconf NAME`), read once at start; `fallback` if getconf is missing or odd. */
export function getconf(name: string, fallback: number): number {
  const n = Number(spawnSync('getconf', [name], { encoding: 'utf8' }).stdout?.trim());
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

export const PAGE = getconf('PAGESIZE', 4096);

/**
 * A shared line buffer for statm reads. A statm line is seven decimal numbers (under 160 bytes even at 20
 * digits each); the master is one thread, so one buffer serves every worker.
 */
const LINE = Buffer.alloc(256);

/**
 * /proc/PID/statm of one worker, held open from spawn until the worker is reaped, and read positionally
 * (pread at offset 0 re-runs the kernel's show function) into LINE, parsed without a string: the per-request
 * memory check opens no file and allocates nothing. Measured with bench/statm.ts (100,000 reads, CPU time,
 * Node 20, this 2-core VM): open + read + close + split, as before, 22.9 µs a call (27–35 under load); pread
 * of the held fd 2.7 µs (3.1–3.3), most of it the syscall itself (a /dev/zero read costs as much). The fd
 * names the process, not the number: once the worker is reaped a read fails (ESRCH), it never measures
 * another process that reused the pid. libuv opens it O_CLOEXEC, so workers do not inherit it.
 */
export class Statm {
  private fd = -1;
  /** Address space and resident set of the process at the last successful read(), bytes. */
  vsz = 0;
  rss = 0;

  constructor(readonly pid: number) {
    this.open();
  }

  /** Open the file if it is not open yet (at spawn; a failed open, e.g. EMFILE, is retried by the poll). */
  open(): boolean {
    if (this.fd >= 0) return true;
    if (this.pid <= 0) return false;
    try {
      this.fd = openSync(`/proc/${this.pid}/statm`, 'r');
      return true;
    } catch {
      return false;
    }
  }

  /** Read vsz and rss now; false (figures unchanged) when not open, exited, or a zombie (all zeros). */
  read(): boolean {
    if (this.fd < 0) return false;
    let n: number;
    try {
      n = readSync(this.fd, LINE, 0, LINE.length, 0);
    } catch {
      return false; // reaped: ESRCH
    }
    // "size resident shared text lib data dt\n", in pages.
    let i = 0;
    let size = 0;
    let c: number;
    while (i < n && (c = LINE[i]) >= 48 && c <= 57) {
      size = size * 10 + c - 48;
      i++;
    }
    i++; // the space
    let resident = 0;
    while (i < n && (c = LINE[i]) >= 48 && c <= 57) {
      resident = resident * 10 + c - 48;
      i++;
    }
    if (size === 0) return false; // a zombie has no memory map left
    this.vsz = size * PAGE;
    this.rss = resident * PAGE;
    return true;
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed: nothing to release
    }
    this.fd = -1;
  }

  get isOpen(): boolean {
    return this.fd >= 0;
  }
}

/**
 * Direct children of `pid`. Node forks children from its main thread, so the main task's `children` file
 * lists them.
 */
export function children(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim();
    return text ? text.split(' ').map(Number) : [];
  } catch {
    return [];
  }
}

/** Every descendant of `pid`, grandchildren included. */
export function descendants(pid: number): number[] {
  const kids = children(pid);
  return kids.concat(...kids.map(descendants));
}

export interface MemorySample {
  /** RSS of the worker and all its descendants, bytes. */
  readonly rss: number;
  /** Address space of the worker process itself, bytes. */
  readonly vsz: number;
}

/** PSS of a process in bytes (shared pages divided among their users): the fair share of a process tree. */
export function pss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Sum of PSS over a process and all its descendants: what a process tree really costs. */
export function treePss(pid: number): number {
  return [pid, ...descendants(pid)].reduce((sum, p) => sum + pss(p), 0);
}

export function mib(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}
