// daemonize = LOGFILE: the launching command starts the master in a new session (setsid) with its output in
// LOGFILE and returns only once the master is ready (exit 0) or has failed (its exit code, with what it
// logged on stderr) — uWSGI returns blindly. The master is the same program with the same arguments; an
// environment marker tells it that it is the daemon.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';

const MARKER = '__TSWS_DAEMON';

/** Is this process the daemon that a launching command started? */
export function isDaemon(): boolean {
  return process.env[MARKER] === '1';
}

/** Remove the daemon marker from the environment, once read: the workers inherit it and must not see it. */
export function forgetDaemonMarker(): void {
  delete process.env[MARKER];
}

/** In the daemon, once ready: tell the launcher and cut the channel so that it can exit. */
export function daemonReady(): void {
  if (!process.connected) return;
  process.send!({ type: 'daemon-ready' }, undefined, undefined, () => process.disconnect());
}

function tail(file: string, from: number): string {
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(size - from, 64 * 1024));
    readSync(fd, buf, 0, buf.length, Math.max(from, size - buf.length));
    return buf.toString();
  } finally {
    closeSync(fd);
  }
}

/** In the launching command: start the daemon and wait for its verdict. */
export async function launchDaemon(logFile: string, cwd: string): Promise<number> {
  const fd = openSync(logFile, 'a', 0o640);
  const from = statSync(logFile).size;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    cwd, // the command line's relative paths mean what they meant to the launching command
    detached: true, // setsid(): its own session and process group, no controlling terminal
    stdio: ['ignore', fd, fd, 'ipc'],
    env: { ...process.env, [MARKER]: '1' },
  });
  closeSync(fd);
  const verdict = await new Promise<number>((resolve) => {
    child.once('message', (m: { type?: string }) => {
      if (m.type === 'daemon-ready') resolve(0);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  if (verdict === 0) {
    process.stdout.write(`tsws: daemonized: master pid ${child.pid}, log in ${logFile}\n`);
    child.unref();
    child.disconnect?.();
    return 0;
  }
  process.stderr.write(`tsws: the daemon failed (exit ${verdict}); its log says:\n${tail(logFile, from)}`);
  return verdict;
}
