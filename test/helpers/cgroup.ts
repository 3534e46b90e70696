// A memory-limited cgroup made by a test (root only), to run tsws as it would run in a container: v2 where the
// memory controller is on the unified hierarchy, else v1's memory hierarchy. Null (the test skips) when
// neither can be used here.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCgroup {
  readonly path: string;
  /** A startTsws `prefix`: the command joins the cgroup, then execs tsws (same pid). */
  readonly prefix: string[];
  remove(): void;
}

function base(): { dir: string; limitFile: string } | null {
  const v2 = '/sys/fs/cgroup';
  if (existsSync(join(v2, 'cgroup.controllers')) && readFileSync(join(v2, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('memory')) {
    return { dir: v2, limitFile: 'memory.max' };
  }
  const v1 = '/sys/fs/cgroup/memory';
  if (existsSync(join(v1, 'memory.limit_in_bytes'))) return { dir: v1, limitFile: 'memory.limit_in_bytes' };
  return null;
}

export function memoryCgroup(limitBytes: number): TestCgroup | null {
  const b = base();
  if (!b || process.getuid?.() !== 0) return null;
  const path = join(b.dir, `tsws-test-${process.pid}-${Date.now()}`);
  try {
    mkdirSync(path);
    writeFileSync(join(path, b.limitFile), String(limitBytes));
  } catch {
    return null;
  }
  return {
    path,
    prefix: ['/bin/sh', '-c', `echo $$ > ${path}/cgroup.procs && exec "$@"`, 'sh'],
    remove() {
      try {
        rmdirSync(path);
      } catch {
        // still has a process: the harness kills it by pid, the empty group goes with the next reboot
      }
    },
  };
}
