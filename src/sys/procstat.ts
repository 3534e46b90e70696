// /proc/PID/stat, read in one place: a process's state, parentage, CPU time and RSS. The tree scan reads it for
// every process on the machine (tree.ts), so the line is parsed from a shared buffer without building a
// string. This replaces pidusage: pidusage keeps an open fd on /proc/PID/stat for every pid it has measured
// until 60-90 s after the last call, so each recycled worker left an fd in the master for a minute
// (measured: +31 fds after 3,000 requests with max-requests = 3). Opening, reading and closing the file at
// each read costs the same and holds nothing.
import { closeSync, openSync, readSync } from 'node:fs';
import { getconf, PAGE } from './memory.js';

/** Kernel clock ticks per second (USER_HZ), the unit of utime and stime. 100 on every mainstream Linux. */
const HZ = getconf('CLK_TCK', 100);

/** The fields of /proc/PID/stat tsws uses, filled in place. */
export interface StatFields {
  /** The state's letter as a char code: R, S, D, T (stopped), t (traced), Z (zombie)… */
  state: number;
  ppid: number;
  pgrp: number;
  /** utime + stime, clock ticks. */
  cpuTicks: number;
  /** Resident set, bytes. */
  rss: number;
}

/** /proc/N/stat is one line of ~300 bytes (a command name of at most 64). */
const LINE = Buffer.alloc(1024);

/** Read `pid`'s stat line into `into`; null if it is gone. No string is built. */
export function readStat<T extends StatFields>(pid: number, into: T): T | null {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/stat`, 'r');
  } catch {
    return null;
  }
  let n: number;
  try {
    n = readSync(fd, LINE, 0, LINE.length, 0);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
  let i = n - 1;
  while (i > 0 && LINE[i] !== 41) i--;
  if (i <= 0) return null;
  // From here: " S ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
  // priority nice threads itrealvalue starttime vsize rss": field 3 (state) follows the space after ')'.
  let field = 2;
  let v = 0;
  let utime = 0;
  for (i++; i < n; i++) {
    const c = LINE[i];
    if (field === 3 && c !== 32) into.state = c;
    if (c === 32) {
      if (field === 4) into.ppid = v;
      else if (field === 5) into.pgrp = v;
      else if (field === 14) utime = v;
      else if (field === 15) into.cpuTicks = utime + v;
      else if (field === 24) {
        into.rss = v * PAGE;
        return into;
      }
      field++;
      v = 0;
    } else if (c >= 48 && c <= 57) v = v * 10 + c - 48;
  }
  return null;
}

export interface ProcStat {
  /** R, S, D, T (stopped), t (traced), Z… */
  readonly state: string;
  /** User + system CPU time used so far, seconds. */
  readonly cpuSeconds: number;
}

export function procStat(pid: number): ProcStat | null {
  const f = readStat(pid, { state: 0, ppid: 0, pgrp: 0, cpuTicks: 0, rss: 0 });
  return f && { state: String.fromCharCode(f.state), cpuSeconds: cpuSeconds(f) };
}

/** User + system CPU time of a stat line, seconds. */
export function cpuSeconds(f: StatFields): number {
  return f.cpuTicks / HZ;
}
