// bench/memory-check: what a memory limit costs the router. The hello app, 2 workers, threads = 64: tsws
// without a memory limit and tsws with `reload-on-rss = 400`, run PAIRED — both at once, each under its own
// `wrk -t1 -c16` — so that the noise of a shared machine hits both alike; each round reports requests served
// by each and the CPU µs each master spent per request. The bound: reload-on-rss costs ≤ 5%.
//
//   npx tsc -p . && node dist/bench/memory-check.js [--seconds 5] [--rounds 6] [--connections 16]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measure, ROOT, startTsws, stop, stopAll, tempDir } from './lib.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '6' }, connections: { type: 'string', default: '16' } },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const dir = tempDir();

/** utime + stime of a process, in clock ticks (10 ms). */
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
}

async function start(name: string, extra: string) {
  const ini = join(dir, `${name}.ini`);
  writeFileSync(ini, `[uwsgi]\nmodule = ${join(ROOT, 'samples/hello.js')}\nhttp = 127.0.0.1:0\nprocesses = 2\nthreads = 64\ndisable-logging = true\n${extra}\n`);
  return startTsws(ini);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const off = await start('off', '');
const on = await start('on', 'reload-on-rss = 400');
await Promise.all([measure(`${off.url}/`, connections, 1), measure(`${on.url}/`, connections, 1)]); // warm-up
const runs: { off: number; on: number; off_cpu_us_per_req: number; on_cpu_us_per_req: number }[] = [];
for (let round = 1; round <= rounds; round++) {
  const c0 = [cpuTicks(off.proc.pid!), cpuTicks(on.proc.pid!)];
  const [a, b] = await Promise.all([measure(`${off.url}/`, connections, seconds), measure(`${on.url}/`, connections, seconds)]);
  const c1 = [cpuTicks(off.proc.pid!), cpuTicks(on.proc.pid!)];
  if (a.errors + a.non2xx + b.errors + b.non2xx) throw new Error(`errors: ${JSON.stringify({ a, b })}`);
  const run = {
    off: a.requests,
    on: b.requests,
    off_cpu_us_per_req: Number((((c1[0] - c0[0]) * 10_000) / a.requests).toFixed(1)),
    on_cpu_us_per_req: Number((((c1[1] - c0[1]) * 10_000) / b.requests).toFixed(1)),
  };
  runs.push(run);
  process.stderr.write(`round ${round}: requests off ${run.off}, on ${run.on} (on/off ${(run.on / run.off).toFixed(3)}); master CPU per request off ${run.off_cpu_us_per_req} µs, on ${run.on_cpu_us_per_req} µs\n`);
}
await stop(off.proc);
await stop(on.proc);
stopAll();
console.log(
  JSON.stringify(
    {
      benchmark: 'memory-check',
      node: process.version,
      connections,
      seconds,
      rounds,
      runs,
      // Below 1: reload-on-rss costs throughput; the bound is 0.95.
      requests_on_over_off_median: Number(median(runs.map((r) => r.on / r.off)).toFixed(3)),
      master_cpu_per_request_on_over_off_median: Number(median(runs.map((r) => r.on_cpu_us_per_req / r.off_cpu_us_per_req)).toFixed(3)),
    },
    null,
    2,
  ),
);
