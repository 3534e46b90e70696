// End-to-end helpers: start the real bin/tsws with a real INI file on an ephemeral port, wait by polling for
// conditions, and kill by pid everything that was started — even when a test fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request as httpRequest, type RequestOptions } from 'node:http';
import { readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after } from 'node:test';
import { children, treePss } from '../../src/sys/memory.js';
import { tempDir } from './files.js';

export { tempDir };

export const ROOT = new URL('../../../', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin/tsws');
export const SAMPLES = join(ROOT, 'samples');
export const APPS = join(ROOT, 'test/apps');

const started = new Set<number>();

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat); // a zombie is dead for our purposes
  } catch {
    return false;
  }
}

function killTree(pid: number): void {
  for (const c of children(pid)) killTree(c);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Kill this pid (and its children) when the test file ends: for processes a test did not spawn itself. */
export function track(pid: number): void {
  started.add(pid);
}

/** Runtime directories of the masters started here: a master killed with -9 together with its workers
 * leaves its directory behind (nobody is left to remove it), so the test removes it. */
const runtimeDirs = new Set<string>();

after(() => {
  for (const pid of started) killTree(pid);
  for (const d of runtimeDirs) rmSync(d, { recursive: true, force: true });
});

export async function waitFor<T>(what: string, check: () => T | undefined | false | null | Promise<T | undefined | false | null>, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface Tsws {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly dir: string;
  /** http://127.0.0.1:PORT (or unix:/path). */
  url: string;
  /** Everything the master wrote to stdout and stderr so far. */
  output(): string;
  waitForLog(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  workers(): number[];
  signal(sig: NodeJS.Signals): void;
}

export interface StartOptions {
  /** Extra `key = value` lines appended to the [uwsgi] section. */
  readonly ini: string;
  readonly env?: Record<string, string>;
  readonly args?: string[];
  /** Wait for the "ready" line (default) or only for the process to start. */
  readonly waitReady?: boolean;
  /** A command that runs tsws (it must exec it, keeping the pid), e.g. ['prlimit', '--nofile=128:128']. */
  readonly prefix?: string[];
}

/** Start bin/tsws with an INI file written to a temp dir; `http = 127.0.0.1:0` unless the INI sets http. */
export async function startTsws(o: StartOptions): Promise<Tsws> {
  const dir = tempDir();
  const ini = join(dir, 'app.ini');
  const http = /^\s*http\s*=/m.test(o.ini) ? '' : 'http = 127.0.0.1:0\n';
  writeFileSync(ini, `[uwsgi]\n${http}${o.ini}\n`);
  const argv = [process.execPath, BIN, '--ini', ini, ...(o.args ?? [])];
  if (o.prefix) argv.unshift(...o.prefix);
  const proc = spawn(argv[0], argv.slice(1), {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(proc.pid!);
  let out = '';
  const collect = (b: Buffer) => {
    out += b;
    const m = /worker sockets in (\S+)/.exec(out);
    if (m) runtimeDirs.add(m[1]);
  };
  proc.stdout!.on('data', collect);
  proc.stderr!.on('data', collect);
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  const t: Tsws = {
    proc,
    pid: proc.pid!,
    dir,
    url: '',
    output: () => out,
    waitForLog: (re, timeoutMs = 10_000) =>
      waitFor(`log line ${re} in:\n${out}`, () => out.match(re) ?? (proc.exitCode !== null ? Promise.reject(new Error(`tsws exited (${proc.exitCode}) before ${re}:\n${out}`)) : null), timeoutMs),
    exited,
    workers: () => children(proc.pid!),
    signal: (sig) => proc.kill(sig),
  };
  if (o.waitReady !== false) {
    const m = await t.waitForLog(/listening on (\S+)/);
    t.url = m[1];
    await t.waitForLog(/ready on /);
  }
  return t;
}

/**
 * For the probe app: a directory it marks when a /sleep request starts (`env = PROBE_MARKS=DIR`), and a wait
 * until `n` such requests are with workers — so that a test acts on a request in flight, not after a guess.
 */
export function probeMarks(): { ini: string; started(n?: number): Promise<string[]> } {
  const dir = tempDir('tsws-marks-');
  return {
    ini: `env = PROBE_MARKS=${dir}`,
    started: (n = 1) => waitFor(`${n} request(s) in flight in a worker`, () => {
      const m = readdirSync(dir);
      return m.length >= n && m;
    }),
  };
}

/** A port that was free a moment ago (for a program that cannot bind port 0 and say which it got). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP request; `url` may be http://host:port/path or unix:/socket + path in opts.path. */
export function request(url: string, opts: RequestOptions & { body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname + u.search, agent: false, ...opts }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface LoadResult {
  ok: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  bodies: string[];
}

/**
 * `clients` closed loops, each sending requests back to back until `count` requests were sent in total or
 * `durationMs` passed. Keep-alive by default (the harder case for recycling).
 */
export async function load(
  url: string,
  o: { clients: number; count?: number; durationMs?: number; keepAlive?: boolean; method?: string; body?: string; path?: string; keepBodies?: boolean },
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: o.keepAlive !== false, maxSockets: o.clients });
  const r: LoadResult = { ok: 0, statuses: {}, errors: {}, bodies: [] };
  let sent = 0;
  const until = o.durationMs ? Date.now() + o.durationMs : Infinity;
  const more = () => (o.count === undefined || sent < o.count) && Date.now() < until;
  const one = async () => {
    while (more()) {
      sent++;
      try {
        const res = await request(url + (o.path ?? ''), {
          agent,
          method: o.method ?? 'GET',
          body: o.body,
          headers: o.body ? { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(o.body) } : {},
        });
        r.statuses[res.status] = (r.statuses[res.status] ?? 0) + 1;
        if (res.status === 200) r.ok++;
        if (o.keepBodies) r.bodies.push(res.body);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? String(e);
        r.errors[code] = (r.errors[code] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: o.clients }, one));
  agent.destroy();
  return r;
}

/** Sample treePss every `everyMs` until stopped; returns the peak in MiB. */
export function samplePeak(pid: number, everyMs = 100): { stop(): number } {
  let peak = 0;
  const t = setInterval(() => (peak = Math.max(peak, treePss(pid))), everyMs);
  return {
    stop() {
      clearInterval(t);
      return Math.round(peak / 1024 / 1024);
    },
  };
}

/** What the master's fds point at (`socket:[…]`, `pipe:[…]`, a path): a failure message says which ones grew. */
export function openFds(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).map((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/\[\d+\]$/, '').replace(/^\/proc\/\d+\//, '/proc/PID/');
    } catch {
      return '(closed)';
    }
  });
}

/** `fds 26 -> 37`, and when they differ, which kinds grew or shrank: `(+11 /proc/PID/stat)`. */
export function fdChange(before: string[], after: string[]): string {
  const count = (l: string[]) => l.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());
  const b = count(before);
  const a = count(after);
  const diff = [...new Set([...a.keys(), ...b.keys()])]
    .map((k) => [k, (a.get(k) ?? 0) - (b.get(k) ?? 0)] as const)
    .filter(([, d]) => d !== 0)
    .map(([k, d]) => `${d > 0 ? '+' : ''}${d} ${k}`);
  return `fds ${before.length} -> ${after.length}${diff.length ? ` (${diff.join(', ')})` : ''}`;
}
