// A test cgroup, made by the test under the test process's own cgroup (so the machine's own accounting of
// this run is left as it is) and removed when the file ends: cgroup v2 when its memory and cpu controllers
// can be used there, else v1's memory and cpu hierarchies (a hybrid host). tsws runs in it through
// `prefix` (a shell that joins the cgroup, then execs the command, keeping the pid).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { chain, mounts } from '../../src/sys/cgroup.js';
import { waitFor } from './procs.js';

export interface TestCgroup {
  readonly version: 1 | 2;
  /** Limit memory to `bytes` (no swap beyond it). */
  memory(bytes: number): void;
  /** Allow `cpus` CPUs (a CFS quota over a 100 ms period). */
  cpus(cpus: number): void;
  /** A command prefix for startTsws: join the cgroup, then exec the rest. */
  readonly prefix: string[];
}

const made: string[] = [];
after(async () => {
  for (const dir of made.reverse()) {
    // Whatever the test left in it was started by the test (tsws and its workers): end it, then remove the cgroup.
    for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone
      }
    }
    await waitFor(`${dir} to be empty`, () => readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim() === '').catch(() => {});
    try {
      rmdirSync(dir);
    } catch {
      // still busy: left for the machine's owner; the name says whose it is
    }
  }
});

/** A new test cgroup with memory and cpu control, or a sentence saying why there cannot be one here. */
export function makeTestCgroup(): TestCgroup | string {
  if (process.getuid?.() !== 0) return 'not root: cannot create a cgroup';
  const lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean);
  const all = mounts();
  const name = `tsws-test-${process.pid}-${made.length}`;
  const v2 = all.find((m) => m.type === 'cgroup2');
  const v2line = lines.find((l) => l.startsWith('0::'));
  if (v2 && v2line) {
    const parent = chain(v2, v2line.slice(3))[0];
    const available = (readFileSync(join(parent, 'cgroup.controllers'), 'utf8').trim() || '').split(' ');
    if (available.includes('memory') && available.includes('cpu')) {
      try {
        writeFileSync(join(parent, 'cgroup.subtree_control'), '+memory +cpu');
        const dir = join(parent, name);
        mkdirSync(dir);
        made.push(dir);
        return {
          version: 2,
          memory: (b) => (writeFileSync(join(dir, 'memory.max'), String(b)), existsSync(join(dir, 'memory.swap.max')) && writeFileSync(join(dir, 'memory.swap.max'), '0')),
          cpus: (c) => writeFileSync(join(dir, 'cpu.max'), `${Math.round(c * 100000)} 100000`),
          prefix: joinPrefix([dir]),
        };
      } catch {
        // the controllers cannot be enabled below this cgroup (it has processes of its own): try v1
      }
    }
  }
  const v1 = (ctl: string) => {
    const m = all.find((x) => x.type === 'cgroup' && x.controllers.includes(ctl));
    const line = lines.find((l) => l.split(':')[1]?.split(',').includes(ctl));
    if (!m || !line) return null;
    const dir = join(chain(m, line.split(':')[2])[0], name);
    mkdirSync(dir);
    made.push(dir);
    return dir;
  };
  const mem = v1('memory');
  const cpu = v1('cpu');
  if (!mem || !cpu) return 'neither cgroup v2 with usable memory and cpu controllers nor v1 memory and cpu hierarchies are mounted';
  return {
    version: 1,
    memory: (b) => {
      writeFileSync(join(mem, 'memory.limit_in_bytes'), String(b));
      if (existsSync(join(mem, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(mem, 'memory.memsw.limit_in_bytes'), String(b));
    },
    cpus: (c) => {
      writeFileSync(join(cpu, 'cpu.cfs_period_us'), '100000');
      writeFileSync(join(cpu, 'cpu.cfs_quota_us'), String(Math.round(c * 100000)));
    },
    prefix: joinPrefix([mem, cpu]),
  };
}

function joinPrefix(dirs: string[]): string[] {
  return ['sh', '-c', `for d in ${dirs.join(' ')}; do echo $$ > "$d/cgroup.procs" || exit 1; done; exec "$@"`, 'sh'];
}
