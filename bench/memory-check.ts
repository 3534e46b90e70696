// bench/memory-check: what a memory limit costs the router. The hello app, 2 workers, `wrk -t1 -c32`:
// tsws without a memory limit and tsws with `reload-on-rss = 400`, in alternating rounds so that machine
// noise hits both alike; reports req/s and the master's CPU µs per request of each, and their ratio.
// The bound: reload-on-rss on costs ≤ 5% of router throughput.
//
//   npx tsc -p . && node dist/bench/memory-check.js [--seconds 5] [--rounds 4] [--connections 32]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measure, ROOT, startTsws, stop, stopAll, tempDir } from './lib.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '4' }, connections: { type: 'string', default: '32' } },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const dir = tempDir();

const variants = { 'no memory limit': '', 'reload-on-rss = 400': 'reload-on-rss = 400' };

/** utime + stime of a process, in clock ticks (10 ms). */
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runs: Record<string, { rps: number; cpu_us_per_req: number }[]> = {};
for (let round = 1; round <= rounds; round++) {
  for (const [name, extra] of Object.entries(variants)) {
    const ini = join(dir, 'app.ini');
    writeFileSync(ini, `[uwsgi]\nmodule = ${join(ROOT, 'samples/hello.js')}\nhttp = 127.0.0.1:0\nprocesses = 2\nthreads = 64\ndisable-logging = true\n${extra}\n`);
    const t = await startTsws(ini);
    await measure(`${t.url}/`, connections, 1); // warm-up: JIT, keep-alive pools
    const c0 = cpuTicks(t.proc.pid!);
    const fig = await measure(`${t.url}/`, connections, seconds);
    const c1 = cpuTicks(t.proc.pid!);
    await stop(t.proc);
    if (fig.errors || fig.non2xx) throw new Error(`${name}: ${fig.errors} errors, ${fig.non2xx} non-2xx`);
    const run = { rps: Math.round(fig.rps), cpu_us_per_req: Number((((c1 - c0) * 10_000) / fig.requests).toFixed(1)) };
    (runs[name] ??= []).push(run);
    process.stderr.write(`round ${round} ${name}: ${run.rps} req/s, master ${run.cpu_us_per_req} µs CPU per request\n`);
  }
}
stopAll();
const [off, on] = Object.keys(variants).map((n) => ({ rps: median(runs[n].map((r) => r.rps)), cpu: median(runs[n].map((r) => r.cpu_us_per_req)) }));
console.log(
  JSON.stringify(
    {
      benchmark: 'memory-check',
      node: process.version,
      connections,
      seconds,
      rounds,
      runs,
      rps_median: { off: off.rps, on: on.rps },
      master_cpu_us_per_request_median: { off: off.cpu, on: on.cpu },
      // Below 0: reload-on-rss costs throughput; the bound is -5%.
      rps_change_percent: Number(((on.rps / off.rps - 1) * 100).toFixed(1)),
      cpu_change_percent: Number(((on.cpu / off.cpu - 1) * 100).toFixed(1)),
    },
    null,
    2,
  ),
);
