// Runs the real `bin/tsws` from the repo root with a clean environment (no TSWS_* from the caller leaks in).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root, without a trailing slash (this file runs as dist/test/config/run-tsws.js). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `bin/tsws ARGS` with cwd = repo root, env = PATH, HOME=/home/tester and `env`; killed after 15 s. */
export function runTsws(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/tsws', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/home/tester', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
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
