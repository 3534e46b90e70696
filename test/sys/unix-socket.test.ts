// freeUnixSocketPath (src/sys/unix-socket.ts), shared by the router's http address and the stats server: a
// live socket is refused, a stale one (its process was killed) removed, anything else left to listen().
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { StartupError } from '../../src/sys/startup-error.js';
import { freeUnixSocketPath } from '../../src/sys/unix-socket.js';
import { tempDir } from '../helpers/files.js';

test('a socket a live server answers on is refused, naming the option and the path', async () => {
  const path = join(tempDir(), 'live.sock');
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(path, r));
  try {
    await assert.rejects(freeUnixSocketPath(path, 'stats'), (e: unknown) => e instanceof StartupError && e.message === `stats: ${path} is in use by another process`);
    assert.ok(existsSync(path), 'the live socket is left in place');
  } finally {
    server.close();
  }
});

test('a stale socket (its server was killed) is removed; a missing path or a regular file is left alone', async () => {
  const dir = tempDir();
  const stale = join(dir, 'stale.sock');
  // A process that binds the path and dies without closing: the socket file stays, and nobody answers.
  const r = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  assert.equal(r.signal, 'SIGKILL');
  assert.ok(existsSync(stale), 'the killed server left its socket file');
  await freeUnixSocketPath(stale, 'stats');
  assert.ok(!existsSync(stale));
  await freeUnixSocketPath(join(dir, 'none.sock'), 'stats');
  const file = join(dir, 'file.sock');
  writeFileSync(file, '');
  await freeUnixSocketPath(file, 'stats');
  assert.ok(existsSync(file), 'not a socket: listen() reports it');
});
