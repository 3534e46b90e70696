// Issue 13: the pidfile is written right after binding, before privileges are dropped and before any worker
// is ready, so `--stop` finds a master still loading its app; pidfile2 is written after the drop;
// chown-socket sets the owner of a unix-socket http address.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { APPS, BIN, request, startTsws, waitFor } from '../helpers/tsws.js';

function stop(pidfile: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, '--stop', pidfile]);
    let out = '';
    p.stdout.on('data', (b) => (out += b));
    p.stderr.on('data', (b) => (out += b));
    p.on('exit', (code) => resolve({ code, out }));
  });
}

test('pidfile and pidfile2 exist while the app is still loading; --stop then stops the master', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/slow-start.mjs\nprocesses = 1\nenv = SLOW_START_MS=20000\npidfile = app.pid\npidfile2 = app2.pid`, waitReady: false });
  const pidfile = join(t.dir, 'app.pid');
  await waitFor('the pidfile', () => existsSync(pidfile) && existsSync(join(t.dir, 'app2.pid')));
  assert.equal(Number(readFileSync(pidfile, 'utf8')), t.pid);
  assert.equal(Number(readFileSync(join(t.dir, 'app2.pid'), 'utf8')), t.pid);
  assert.doesNotMatch(t.output(), /ready on/);
  const s = await stop(pidfile);
  assert.equal(s.code, 0, s.out);
  await t.exited;
  assert.ok(!existsSync(pidfile) && !existsSync(join(t.dir, 'app2.pid')), 'both removed');
});

test('chown-socket: the unix-socket http address belongs to the user and group asked for', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
  const t = await startTsws({ ini: `module = ${APPS}/probe.js\nprocesses = 1\nhttp = %dhttp.sock\nchown-socket = 65534:65534\nchmod-socket = 660` });
  const st = statSync(join(t.dir, 'http.sock'));
  assert.equal(st.uid, 65534);
  assert.equal(st.gid, 65534);
  assert.equal(st.mode & 0o777, 0o660);
  assert.equal((await request('http://x/pid', { socketPath: join(t.dir, 'http.sock') })).status, 200);
  t.signal('SIGTERM');
  assert.equal(await t.exited, 0);
});
