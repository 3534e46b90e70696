// Shutdown as apps expect it (issue 13): the app's SIGTERM listeners and its server's 'close' run when the
// master stops a worker, never on a signal that reaches the worker itself; a worker whose SIGTERM listener
// closes everything ends by itself, long before worker-reload-mercy.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';
import { APPS, request, startTsws, tempDir, waitFor } from '../helpers/tsws.js';

for (const mode of ['natural', 'none'] as const) {
  test(`shutdown, ${mode === 'natural' ? 'a SIGTERM listener that closes and lets the process end' : 'no SIGTERM listener: tsws closes the app\'s server'}`, async () => {
    const marks = tempDir('tsws-marks-');
    const t = await startTsws({ ini: `module = ${APPS}/shutdown.cjs\nprocesses = 1\nworker-reload-mercy = 30\nenv = MARKS=${marks}\nenv = MODE=${mode}` });
    const pid = Number((await request(`${t.url}/`)).body);
    // A signal sent to the worker itself is the master's business: the app's listeners do not run.
    process.kill(pid, 'SIGTERM');
    assert.equal((await request(`${t.url}/`)).body, String(pid));
    assert.deepEqual(readdirSync(marks), []);
    const t0 = Date.now();
    t.signal('SIGHUP');
    await t.waitForLog(new RegExp(`pid ${pid}\\) stopped \\(.*exit code 0\\)`), 10_000);
    assert.ok(Date.now() - t0 < 10_000);
    const want = mode === 'natural' ? [`close-${pid}`, `flushed-${pid}`, `sigterm-${pid}`] : [`close-${pid}`];
    await waitFor('the marks', () => readdirSync(marks).filter((m) => m.endsWith(`-${pid}`)).length === want.length);
    assert.deepEqual(readdirSync(marks).filter((m) => m.endsWith(`-${pid}`)).sort(), want);
    t.signal('SIGTERM');
    assert.equal(await t.exited, 0);
  });
}

test('an upgraded connection open during a reload gets the app\'s own goodbye, not a kill', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/ws-goodbye.cjs\nprocesses = 1\nworker-reload-mercy = 30` });
  const u = new URL(t.url);
  const sock = connect(Number(u.port), u.hostname);
  let got = '';
  let ended = false;
  sock.on('data', (b) => (got += b));
  sock.on('end', () => (ended = true));
  sock.on('error', (e) => (got += `error ${e.message}`));
  sock.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  const m = await waitFor('hello', () => /hello from (\d+)\n/.exec(got));
  t.signal('SIGHUP');
  await waitFor('goodbye and a clean end', () => ended && got.includes(`goodbye from ${m[1]}\n`), 10_000);
  assert.doesNotMatch(got, /error/);
  sock.destroy();
  t.signal('SIGTERM');
  assert.equal(await t.exited, 0);
});
