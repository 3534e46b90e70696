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
import { readdirSync } from 'node:fs';
import { readStat, type StatFields } from './procstat.js';

/** What the other processes of a worker's tree hold, as of the last scan. */
export interface TreeFigures {
  /** Processes counted besides the worker itself. */
  processes: number;
  /** Their summed RSS, bytes. */
  rss: number;
}

/** A scan's figures for one worker: its tree's, and its own stat line read in the same pass (null: it is gone). */
export interface TreeScan extends TreeFigures {
  own: StatFields | null;
}

/** Within this many scans, every process is read again (pid reuse, setpgid into a worker's group). */
const FULL_EVERY = 10;

interface Proc extends StatFields {
  /** Scan number at which it was last read. */
  read: number;
}

/** Exited, not yet reaped: no memory, and no longer a process of anyone's tree. */
const ZOMBIE = 90; // 'Z'

export class ProcessTrees {
  private readonly procs = new Map<number, Proc>();
  private scans = 0;

  /** For each of `leaders` (worker pids), the other processes of its tree. */
  scan(leaders: readonly number[]): Map<number, TreeScan> {
    const out = new Map<number, TreeScan>();
    for (const l of leaders) out.set(l, { processes: 0, rss: 0, own: null });
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
      // A worker's own line is read at every scan: the watchdog takes its CPU time from it.
      if (known && pid % FULL_EVERY !== slice && !out.has(pid)) {
        known.read = -scan; // still there; read below if it belongs to a worker
        continue;
      }
      const p = readStat(pid, known ?? { state: 0, ppid: 0, pgrp: 0, cpuTicks: 0, rss: 0, read: 0 });
      if (!p) continue; // exited since readdir
      p.read = scan;
      this.procs.set(pid, p);
    }
    for (const [pid, p] of this.procs) {
      if (p.read !== scan && p.read !== -scan) {
        this.procs.delete(pid); // gone
        continue;
      }
      const leader = out.get(pid);
      if (leader) leader.own = p.read === scan ? p : null;
      const owner = this.ownerOf(pid, out, owners);
      if (owner === 0) continue;
      if (p.read !== scan && !readStat(pid, p)) {
        this.procs.delete(pid); // exited since readdir
        continue;
      }
      if (p.state === ZOMBIE) continue;
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
