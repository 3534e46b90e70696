// systemd: readiness and state notifications (sd_notify) and socket activation (LISTEN_FDS).
// Node cannot send a unix datagram, so notifications go through systemd-notify, which since systemd 246
// waits until the manager has read the message (no race with a short-lived sender). The unit file sets
// NotifyAccess=all, and every message names the master as MAINPID.
import { spawn } from 'node:child_process';
import * as log from '../log.js';

let warned = false;

/** Send `KEY=VALUE` lines to $NOTIFY_SOCKET, if set. Never throws, never blocks the event loop. */
export function notify(fields: Record<string, string>): void {
  if (!process.env.NOTIFY_SOCKET) return;
  const args = [`--pid=${process.pid}`, ...Object.entries(fields).map(([k, v]) => `${k}=${v}`)];
  const p = spawn('systemd-notify', args, { stdio: 'ignore' });
  p.on('error', (e) => {
    if (!warned) log.warn(`NOTIFY_SOCKET is set but systemd-notify cannot run (${e.message}): systemd will not hear about readiness`);
    warned = true;
  });
}

/** The fds systemd passed for socket activation (LISTEN_FDS sockets from fd 3 on), or null. */
export function activatedSockets(): number[] | null {
  const pid = Number(process.env.LISTEN_PID);
  const fds = Number(process.env.LISTEN_FDS);
  if (pid !== process.pid || !(fds >= 1)) return null;
  // As sd_listen_fds(unset_environment=1): the workers must not believe the sockets are theirs.
  delete process.env.LISTEN_PID;
  delete process.env.LISTEN_FDS;
  delete process.env.LISTEN_FDNAMES;
  // SD_LISTEN_FDS_START: the sockets are fds 3, 4, … in the order of the unit's Listen*= lines.
  return Array.from({ length: fds }, (_, i) => 3 + i);
}
