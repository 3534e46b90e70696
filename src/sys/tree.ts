// A worker's tree, for memory accounting: the processes charged to a worker besides itself are every member
// of its process group (the worker leads one: children and double-forked helpers that did not call setsid or
// setpgid stay in it) and every descendant still attached to it by parentage (a child that made its own group,
// while its parent lives). What escapes: a process that both left the group and lost its parent (a classic
// daemon: fork, setsid, fork); systemd's cgroup accounting (MemoryMax=) contains those.
//
// Finding group members means reading /proc/N/stat of every process on the machine (pgrp is field 5): 15–25 µs
// each from Node on this VM (bench/statm.ts), so a full pass over 1,000 processes would block the master's
// event loop for 15 ms or more at each poll. The pass is incremental instead: readdir(/proc) each poll (cheap), stat read only for pids not seen
// before and for the processes charged to a worker (whose RSS is wanted anyway); a process found outside
// every worker's tree is not read again. Its facts can go stale only if it moves into a worker's group
// (setpgid, possible only within the worker's session) or its pid is reused between two polls: each poll
// reads a tenth of them again, so none is older than FULL_EVERY polls.
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { PAGE } from './memory.js';

/** What the other processes of a worker's tree hold, as of the last scan. */
export interface TreeFigures {
  /** Processes counted besides the worker itself. */
  processes: number;
  /** Their summed RSS, bytes. */
  rss: number;
}

/** Within this many scans, every process is read again (pid reuse, setpgid into a worker's group). */
const FULL_EVERY = 10;

interface Proc {
  /** Exited, not yet reaped: no memory, and no longer a process of anyone's tree. */
  zombie: boolean;
  ppid: number;
  pgrp: number;
  rss: number;
  /** Scan number at which it was last read. */
  read: number;
}

/** /proc/N/stat is one line of ~300 bytes (a command name of at most 64). */
const LINE = Buffer.alloc(1024);

export class ProcessTrees {
  private readonly procs = new Map<number, Proc>();
  private scans = 0;

  /** For each of `leaders` (worker pids), the other processes of its tree. */
  scan(leaders: readonly number[]): Map<number, TreeFigures> {
    const out = new Map<number, TreeFigures>();
    for (const l of leaders) out.set(l, { processes: 0, rss: 0 });
    if (leaders.length === 0) return out;
    let names: string[];
    try {
      names = readdirSync('/proc');
    } catch {
      return out; // not Linux
    }
    const scan = ++this.scans;
    // A tenth of the known processes (by pid) are read again at each scan: all within FULL_EVERY scans,
    // without a full pass's stall at any one of them.
    const slice = scan % FULL_EVERY;
    const owners = new Map<number, number>();
    for (const name of names) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(name);
      const known = this.procs.get(pid);
      if (known && pid % FULL_EVERY !== slice) {
        known.read = -scan; // still there; read below if it belongs to a worker
        continue;
      }
      const p = readStat(pid, known ?? { zombie: false, ppid: 0, pgrp: 0, rss: 0, read: 0 });
      if (!p) continue; // exited since readdir
      p.read = scan;
      this.procs.set(pid, p);
    }
    for (const [pid, p] of this.procs) {
      if (p.read !== scan && p.read !== -scan) {
        this.procs.delete(pid); // gone
        continue;
      }
      const owner = this.ownerOf(pid, out, owners);
      if (owner === 0) continue;
      if (p.read !== scan && !readStat(pid, p)) {
        this.procs.delete(pid); // exited since readdir
        continue;
      }
      if (p.zombie) continue;
      const t = out.get(owner)!;
      t.processes++;
      t.rss += p.rss;
    }
    return out;
  }

  /** The worker `pid` is charged to (its group's leader, or the nearest worker up its parentage), or 0. */
  private ownerOf(pid: number, workers: ReadonlyMap<number, TreeFigures>, memo: Map<number, number>): number {
    if (workers.has(pid)) return 0; // a worker is no part of another's tree, and its own statm counts it
    const p = this.procs.get(pid);
    if (!p) return 0;
    if (workers.has(p.pgrp)) return p.pgrp;
    const known = memo.get(pid);
    if (known !== undefined) return known;
    // Up the parentage: a worker's descendant that made its own group, while its parent lives. The 0 set
    // first ends the walk should stale facts (a reused pid) ever make the parentage loop.
    memo.set(pid, 0);
    const owner = p.ppid <= 1 ? 0 : workers.has(p.ppid) ? p.ppid : this.ownerOf(p.ppid, workers, memo);
    memo.set(pid, owner);
    return owner;
  }
}

/** Read ppid, pgrp and rss of `pid` into `into`; null if it is gone. No string is built. */
function readStat(pid: number, into: Proc): Proc | null {
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
  for (i++; i < n; i++) {
    const c = LINE[i];
    if (field === 3 && c !== 32) into.zombie = c === 90; // 'Z'
    if (c === 32) {
      if (field === 4) into.ppid = v;
      else if (field === 5) into.pgrp = v;
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
