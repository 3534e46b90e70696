// The two ways tests and benchmarks run the real bin/tsws: to completion (runTsws: a launcher, --check,
// --stop, top) or as a long-running master (startTsws). Both start from a clean environment, so no TSWS_*
// of the caller leaks in. No node:test here either (see procs.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { children } from '../../src/sys/memory.js';
import { BIN, removeLater, ROOT, tempDir, trackChild, waitFor } from './procs.js';

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  readonly out: string;
  readonly ms: number;
}

export interface RunOptions {
  /** Default: the repository root. */
  readonly cwd?: string;
  /** On top of PATH and HOME=/home/tester (fixed, for the INI fixtures that expand $(HOME)). */
  readonly env?: Readonly<Record<string, string>>;
  /** Written to stdin, then closed; without it stdin is /dev/null. */
  readonly input?: string;
  /** SIGKILL after this long (default 15 s). */
  readonly timeoutMs?: number;
}

/** `bin/tsws ARGS` to completion. */
export function runTsws(args: readonly string[], o: RunOptions = {}): Promise<Run> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: o.cwd ?? ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/home/tester', ...o.env },
      stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    trackChild(child);
    if (o.input !== undefined) child.stdin!.end(o.input);
    let stdout = '';
    let stderr = '';
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => ((stdout += d), (out += d)));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => ((stderr += d), (out += d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 15_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, out, ms: Date.now() - start });
    });
  });
}

/** stderr split into warning lines and every other line (errors and the summary), each without the newline. */
export function stderrLines(stderr: string): { warnings: string[]; errors: string[] } {
  const lines = stderr.split('\n').filter((l) => l !== '');
  return {
    warnings: lines.filter((l) => l.startsWith('tsws: warning: ')),
    errors: lines.filter((l) => !l.startsWith('tsws: warning: ')),
  };
}

export interface Tsws {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly dir: string;
  /** http://127.0.0.1:PORT (or unix:/path). */
  url: string;
  /** Everything the master logged so far (its stdout and stderr, or the `logFile`). */
  output(): string;
  waitForLog(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  workers(): number[];
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM (a graceful stop), then the exit code (or signal name) once the master exited. */
  stop(): Promise<number | string>;
}

export interface StartOptions {
  /** Extra `key = value` lines for the [uwsgi] section of an INI file written to a temp dir... */
  readonly ini?: string;
  /** ...or an INI file of the caller's (then it is the working directory's). */
  readonly iniFile?: string;
  /** On top of PATH and HOME (a benchmark passes its whole process.env). */
  readonly env?: NodeJS.ProcessEnv;
  readonly args?: string[];
  /** Options for node itself, before bin/tsws (--inspect, --expose-gc). */
  readonly nodeArgs?: string[];
  /** Where the master logs when the INI sets `logto`: output() and the waits read this file. */
  readonly logFile?: string;
  /** Keep at most this much of stdout and stderr (a benchmark's master logs for hours). */
  readonly keepOutput?: number;
  /** Wait for the "ready" line (default) or only for the process to start. */
  readonly waitReady?: boolean;
  /** A command that runs tsws (it must exec it, keeping the pid), e.g. ['prlimit', '--nofile=128:128']. */
  readonly prefix?: string[];
}

function readOr(path: string, otherwise: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return otherwise;
  }
}

/**
 * Start bin/tsws; with `ini`, `http = 127.0.0.1:0` unless it sets http or --http is given (a second http
 * address in the INI files is an error since issue 17: an included sample's own http would be one).
 */
export async function startTsws(o: StartOptions): Promise<Tsws> {
  let ini = o.iniFile;
  const dir = ini ? dirname(ini) : tempDir();
  if (!ini) {
    ini = join(dir, 'app.ini');
    const http = /^\s*http\s*=/m.test(o.ini ?? '') || o.args?.includes('--http') ? '' : 'http = 127.0.0.1:0\n';
    writeFileSync(ini, `[uwsgi]\n${http}${o.ini ?? ''}\n`);
  }
  const argv = [process.execPath, ...(o.nodeArgs ?? []), BIN, '--ini', ini, ...(o.args ?? [])];
  if (o.prefix) argv.unshift(...o.prefix);
  const proc = spawn(argv[0], argv.slice(1), {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(proc);
  let out = '';
  const keep = o.keepOutput ?? Infinity;
  const collect = (b: Buffer) => {
    if (out.length < keep) out += b;
    // A master killed with -9 together with its workers leaves its runtime directory behind.
    const m = /worker sockets in (\S+)/.exec(out.slice(0, 1 << 16));
    if (m) removeLater(m[1]);
  };
  proc.stdout!.on('data', collect);
  proc.stderr!.on('data', collect);
  const output = o.logFile ? () => readOr(o.logFile!, '') : () => out;
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  const t: Tsws = {
    proc,
    pid: proc.pid!,
    dir,
    url: '',
    output,
    waitForLog: (re, timeoutMs = 10_000) =>
      waitFor(`log line ${re} in:\n${output()}`, () => output().match(re) ?? (proc.exitCode !== null ? Promise.reject(new Error(`tsws exited (${proc.exitCode}) before ${re}:\n${output()}\n${out}`)) : null), timeoutMs),
    exited,
    workers: () => children(proc.pid!),
    signal: (sig) => proc.kill(sig),
    stop: () => (proc.kill('SIGTERM'), exited),
  };
  if (o.waitReady !== false) {
    // `tsws: ` so that Node's own "Debugger listening on ws://…" (--inspect) is not taken for it.
    t.url = (await t.waitForLog(/tsws: listening on (\S+)/))[1];
    await t.waitForLog(/ready on /);
  }
  return t;
}
