// `tsws --stop PIDFILE` and `tsws --reload PIDFILE`: uWSGI's helpers, made graceful and honest. --stop sends
// SIGTERM (uWSGI sends SIGINT: an immediate kill) and waits until the master has exited, then says so;
// --reload sends SIGHUP (a zero-loss chain reload of the workers).
import { existsSync } from 'node:fs';
import { isAlive, readPid } from '../sys/pidfile.js';

/** How long --stop waits for the master (its worker-reload-mercy is 60 s by default). */
const STOP_WAIT_MS = 120_000;

export async function controlCommand(what: 'stop' | 'reload', pidfile: string): Promise<number> {
  const pid = readPid(pidfile);
  if (pid === null) {
    process.stderr.write(`tsws: ${pidfile}: ${existsSync(pidfile) ? 'does not hold a pid' : 'no such pidfile'}\n`);
    return 1;
  }
  if (!isAlive(pid)) {
    process.stderr.write(`tsws: ${pidfile}: pid ${pid} is not running (stale pidfile)\n`);
    return 1;
  }
  try {
    process.kill(pid, what === 'stop' ? 'SIGTERM' : 'SIGHUP');
  } catch (e) {
    process.stderr.write(`tsws: cannot signal pid ${pid}: ${(e as NodeJS.ErrnoException).code}\n`);
    return 1;
  }
  if (what === 'reload') {
    process.stdout.write(`tsws: reload requested (SIGHUP to pid ${pid}): the configuration is read again and workers are replaced one by one; the log says what changed, or why the reload was refused\n`);
    return 0;
  }
  const start = Date.now();
  while (isAlive(pid)) {
    if (Date.now() - start > STOP_WAIT_MS) {
      process.stderr.write(`tsws: pid ${pid} is still running after ${STOP_WAIT_MS / 1000}s (requests in flight?); not killed\n`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const leftover = existsSync(pidfile) && readPid(pidfile) === pid;
  process.stdout.write(`tsws: stopped pid ${pid} in ${((Date.now() - start) / 1000).toFixed(1)}s${leftover ? ` (but ${pidfile} was left behind)` : ''}\n`);
  return leftover ? 1 : 0;
}
