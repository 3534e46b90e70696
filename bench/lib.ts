// Shared pieces of the benchmarks: start and stop processes by pid, measure with wrk (or a Node client when
// wrk is absent), read memory from /proc. Benchmarks print JSON; they never assert timings.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { descendants } from '../src/sys/memory.js';
import { alive, cleanup, ROOT, tempDir as testTempDir, trackChild } from '../test/helpers/procs.js';
import { startTsws as startHarness } from '../test/helpers/run.js';

// The test harness starts, tracks and kills processes for the benchmarks too: one killTree, one freePort.
export { freePort, killTree, ROOT, waitFor } from '../test/helpers/procs.js';
export { children, descendants, pss, treePss } from '../src/sys/memory.js';
export { procStat } from '../src/sys/procstat.js';
export const DIST = join(ROOT, 'dist');
export const tempDir = (): string => testTempDir('tsws-bench-');

/** Kill every process still running and remove the temporary directories (also done at exit). */
export const stopAll = cleanup;
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

/** Start a Node script with an IPC channel; resolves when it sends 'ready'. */
export function startNode(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env });
    trackChild(p);
    p.once('message', () => resolve(p));
    p.once('exit', (c) => reject(new Error(`${script} exited ${c} before it was ready`)));
  });
}

/**
 * Start bin/tsws with the benchmark's environment; resolves once it logged "ready on" — to its stderr, or to
 * `logFile` when the INI sets logto.
 */
export async function startTsws(ini: string, logFile?: string, nodeArgs: string[] = []): Promise<{ proc: ChildProcess; url: string; log: () => string }> {
  // A benchmark's master may log for a long time: only the first MiB of its output is kept.
  const t = await startHarness({ iniFile: ini, logFile, nodeArgs, env: process.env, keepOutput: 1 << 20 });
  return { proc: t.proc, url: t.url, log: t.output };
}

/** Spawn a process that is not Node (nginx, Passenger…), recorded so that an interrupted run kills it too. */
export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  const p = spawn(cmd, args, { stdio: 'ignore', ...opts });
  trackChild(p);
  return p;
}

/**
 * SIGTERM first, so that a tsws master stops its workers and removes its runtime directory itself (SIGKILL
 * left a /tmp/tsws-* behind per run); whatever of the tree is still alive after 5 s gets SIGKILL. `others`
 * are processes of the contender outside its tree (Passenger's watchdog daemonizes): they, and their
 * descendants, must be gone too before this resolves.
 */
export async function stop(p: ChildProcess, others: number[] = []): Promise<void> {
  if (p.exitCode !== null || !p.pid) return;
  const tree = [p.pid, ...descendants(p.pid), ...others.flatMap((o) => [o, ...descendants(o)])];
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  p.kill('SIGTERM');
  const force = setTimeout(() => [...tree].reverse().forEach(killPid), 5000);
  await exited;
  clearTimeout(force);
  // Children of a contender that exited without them (a cluster primary, a proxy's backend, Passenger's
  // watchdog shutting its core down): a moment to exit by themselves, then SIGKILL.
  const until = Date.now() + 3000;
  while (tree.slice(1).some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  tree.slice(1).filter(alive).forEach(killPid);
}

/** GET `path` until something answers (connection refused → retry every 200 ms); its status and body. */
export function waitHttp(port: number, timeoutMs = 30_000, path = '/'): Promise<{ status: number; body: string }> {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tryOnce = () => {
      const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', () => (Date.now() > until ? reject(new Error(`nothing answered on port ${port}`)) : setTimeout(tryOnce, 200)));
      req.end();
    };
    tryOnce();
  });
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

export interface LoadFigures {
  tool: string;
  requests: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  non2xx: number;
}

function ms(v: string, unit: string): number {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

/** Closed-loop HTTP load for `seconds`: wrk when installed (lighter on a 2-core box), else a Node client. */
export async function measure(url: string, connections: number, seconds: number): Promise<LoadFigures> {
  if (hasCommand('wrk')) {
    const r = spawnSync('wrk', ['-t', '1', '-c', String(connections), '-d', `${seconds}s`, '--latency', url], { encoding: 'utf8' });
    const out = r.stdout;
    const num = (re: RegExp) => (re.exec(out) ?? [])[1];
    const lat = (pct: string) => {
      const m = new RegExp(`^\\s+${pct}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
      return m ? ms(m[1], m[2]) : NaN;
    };
    const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    return {
      tool: 'wrk',
      requests: Number(num(/(\d+) requests in/)),
      rps: Number(num(/Requests\/sec:\s+([\d.]+)/)),
      p50_ms: lat('50'),
      p99_ms: lat('99'),
      errors: sock ? sock.slice(1).reduce((s, x) => s + Number(x), 0) : 0,
      non2xx: Number(num(/Non-2xx or 3xx responses: (\d+)/) ?? 0),
    };
  }
  return nodeLoad(url, connections, seconds);
}

async function nodeLoad(url: string, connections: number, seconds: number): Promise<LoadFigures> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const u = new URL(url);
  const lat: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const until = Date.now() + seconds * 1000;
  const loop = async () => {
    while (Date.now() < until) {
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        const req = request({ host: u.hostname, port: u.port, path: u.pathname, agent }, (res) => {
          if ((res.statusCode ?? 0) >= 300) non2xx++;
          res.resume();
          res.on('end', () => resolve());
        });
        req.on('error', () => {
          errors++;
          resolve();
        });
        req.end();
      });
      lat.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  agent.destroy();
  lat.sort((a, b) => a - b);
  return {
    tool: 'node-client',
    requests: lat.length,
    rps: lat.length / seconds,
    p50_ms: lat[Math.floor(lat.length * 0.5)] ?? NaN,
    p99_ms: lat[Math.floor(lat.length * 0.99)] ?? NaN,
    errors,
    non2xx,
  };
}
