// End-to-end helpers for tests: start the real bin/tsws (run.ts) with a real INI file on an ephemeral port,
// wait by polling for conditions, talk HTTP to it, and kill by pid everything that was started (procs.ts) when
// the test file ends — even when a test fails.
import { Agent, request as httpRequest, type RequestOptions } from 'node:http';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { after } from 'node:test';
import { treePss } from '../../src/sys/memory.js';
import { cleanup, tempDir, waitFor } from './procs.js';

export { alive, APPS, BIN, freePort, freePortRun, killTree, ROOT, SAMPLES, tempDir, track, waitFor } from './procs.js';
export { runTsws, startTsws, type Run, type StartOptions, type Tsws } from './run.js';

after(cleanup);

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

/** A load in progress: its result once it ends, and how far it got meanwhile. */
export interface Load extends Promise<LoadResult> {
  /** Requests answered so far (any status) or failed. */
  done(): number;
  /** Resolves once `n` more requests than now were answered or failed: the load is really going. */
  progressed(n: number): Promise<void>;
}

/** What a load sends, and to where: `socketPath` for a unix-socket address (then `url` gives only the Host). */
export interface LoadOptions {
  clients: number;
  count?: number;
  durationMs?: number;
  keepAlive?: boolean;
  method?: string;
  body?: string;
  path?: string;
  keepBodies?: boolean;
  signal?: AbortSignal;
  socketPath?: string;
}

/**
 * `clients` closed loops, each sending requests back to back until `count` requests were sent in total,
 * `durationMs` passed or `signal` aborted (a load that must outlast an event of unknown length, such as a
 * reload, runs until the test has seen it end). Keep-alive by default (the harder case for recycling).
 */
export function load(
  url: string,
  o: LoadOptions,
): Load {
  let finished = 0;
  let ended = false;
  const result = run(url, o, () => finished++).finally(() => (ended = true));
  const progressed = async (n: number) => {
    const target = finished + n;
    // A load that ended short of the target fails the wait at once, instead of a test acting on no load.
    await waitFor(`${n} more requests of the load`, () => finished >= target || (ended && Promise.reject(new Error(`the load ended after ${finished} requests, short of ${target}`))), 30_000);
  };
  return Object.assign(result, { done: () => finished, progressed });
}

async function run(
  url: string,
  o: LoadOptions,
  onDone: () => void,
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: o.keepAlive !== false, maxSockets: o.clients });
  const r: LoadResult = { ok: 0, statuses: {}, errors: {}, bodies: [] };
  let sent = 0;
  const until = o.durationMs ? Date.now() + o.durationMs : Infinity;
  const more = () => (o.count === undefined || sent < o.count) && Date.now() < until && !o.signal?.aborted;
  const one = async () => {
    while (more()) {
      sent++;
      try {
        const res = await request(url + (o.path ?? ''), {
          agent,
          socketPath: o.socketPath,
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
      onDone();
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

/** Is any TCP socket (v4 or v6) of this network namespace listening on `port`? Read from /proc, which is
 * always there, unlike `ss` (whose absence made an `ss | grep -c` check pass). */
export function tcpListening(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].some((f) => {
    let table = '';
    try {
      table = readFileSync(f, 'utf8');
    } catch {
      return false; // no IPv6 in this kernel
    }
    // Columns: sl local_address rem_address st …; st 0A is LISTEN.
    return table.split('\n').slice(1).some((l) => {
      const [, local, , st] = l.trim().split(/\s+/);
      return st === '0A' && local?.endsWith(`:${hex}`);
    });
  });
}
