// uid / gid / umask: applied by the master after it has bound its sockets (so port 80 works) and before any
// worker is forked (workers inherit them). The runtime directory is handed to the new owner first, so the
// workers can create their sockets in it.
import { chownSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

import { StartupError } from './startup-error.js';

function resolveId(kind: 'uid' | 'gid', value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const r = spawnSync('getent', [kind === 'uid' ? 'passwd' : 'group', value], { encoding: 'utf8' });
  const id = Number(r.stdout?.split(':')[2]);
  if (r.status !== 0 || !Number.isSafeInteger(id)) throw new StartupError(`${kind}: no ${kind === 'uid' ? 'user' : 'group'} named "${value}"`);
  return id;
}

export interface Dropped {
  uid: number;
  gid: number;
}

/** Resolve names now (before chroot-like surprises) and return the ids to switch to. */
export function resolvePrivileges(uid: string | null, gid: string | null): Dropped | null {
  if (!uid && !gid) return null;
  const u = uid ? resolveId('uid', uid) : process.getuid!();
  let g = gid ? resolveId('gid', gid) : process.getgid!();
  if (uid && !gid && !/^\d+$/.test(uid)) {
    // `uid = www-data` alone: take the user's primary group, as su/sudo do.
    const r = spawnSync('getent', ['passwd', uid], { encoding: 'utf8' });
    g = Number(r.stdout.split(':')[3]) || g;
  }
  return { uid: u, gid: g };
}

/** chown-socket = USER[:GROUP] (names or numbers) → ids; a user named alone brings its primary group. */
export function socketOwner(spec: string): Dropped {
  const i = spec.indexOf(':');
  return resolvePrivileges(i < 0 ? spec : spec.slice(0, i) || null, i < 0 ? null : spec.slice(i + 1))!;
}

export function dropPrivileges(to: Dropped, ownPaths: string[]): void {
  if (process.getuid!() !== 0 && (to.uid !== process.getuid!() || to.gid !== process.getgid!())) {
    throw new StartupError(`uid/gid: only root can switch to uid ${to.uid} gid ${to.gid} (running as uid ${process.getuid!()})`);
  }
  for (const p of ownPaths) chownSync(p, to.uid, to.gid);
  if (process.getuid!() === 0) {
    process.setgroups!([to.gid]);
    process.setgid!(to.gid);
    process.setuid!(to.uid);
  }
}

export function applyUmask(mask: string | null): void {
  if (mask) process.umask(parseInt(mask, 8));
}
