// Before listening on a unix socket path (the router's http address, the stats socket): a socket file left
// by a process that died is removed, but one that a live server answers on is refused, so that a second
// tsws started with the same path fails at startup instead of silently taking the first one's socket
// (unlinking a bound path does not stop its server; it only makes it unreachable).
import { rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { StartupError } from './startup-error.js';

/** Is something accepting connections on this unix socket path? */
function unixSocketAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Make `path` free to listen on: a stale socket is removed; a live one is a StartupError naming `option`
 * and the path. Anything else at the path (a regular file) is left for listen() to report.
 */
export async function freeUnixSocketPath(path: string, option: string): Promise<void> {
  let isSocket = false;
  try {
    isSocket = statSync(path).isSocket();
  } catch {
    return; // does not exist: free
  }
  if (!isSocket) return;
  if (await unixSocketAlive(path)) throw new StartupError(`${option}: ${path} is in use by another process`);
  rmSync(path, { force: true }); // stale socket of a process that died
}
