// The pidfile: refused when it names a live master, replaced when stale, written atomically (a temp file
// renamed over it: a reader never sees half a pid, and a symlink planted at the path is replaced, never
// followed), removed on exit only if it still holds our pid.
import { openSync, readFileSync, renameSync, rmSync, writeSync, closeSync, constants } from 'node:fs';

export function readPid(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}

/** The pid of a live process named by the pidfile, if any. */
export function runningPid(path: string): number | null {
  const pid = readPid(path);
  return pid !== null && pid !== process.pid && isAlive(pid) ? pid : null;
}

export function writePidfile(path: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function removePidfile(path: string): void {
  try {
    if (readPid(path) === process.pid) rmSync(path, { force: true });
  } catch {
    // written as root in a directory root owns, and privileges are gone since: it is left, as uWSGI leaves it
  }
}
