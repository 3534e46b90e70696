// health-check and shutdown-delay end to end (issue 15): the probes on their own listener, /readyz failing at
// SIGTERM while the app's listener still accepts and serves, every request sent during the delay answered,
// the drain afterwards, exit 0; a quick stop cuts the delay short.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { APPS, probeMarks, request, startTsws, tcpListening, waitFor, type Tsws } from '../helpers/tsws.js';

async function probe(port: number, path: string): Promise<{ status: number; body: string } | null> {
  try {
    return await request(`http://127.0.0.1:${port}${path}`);
  } catch {
    return null; // not listening (yet, or any more)
  }
}

/** The probes' port, as the master logged it (port 0: no race with another process for a port picked first). */
async function probePort(t: Tsws): Promise<number> {
  return Number((await t.waitForLog(/health checks on http:\/\/127\.0\.0\.1:(\d+)\/livez/))[1]);
}

test('SIGTERM with shutdown-delay: readiness fails first, requests during the delay are served, then drain and exit 0', async () => {
  const marks = probeMarks();
  const t = await startTsws({ ini: `module = ${APPS}/probe.js\nprocesses = 2\nhealth-check = 127.0.0.1:0\nshutdown-delay = 2s\n${marks.ini}` });
  const hc = await probePort(t);
  const appPort = Number(new URL(t.url).port);
  assert.deepEqual(await probe(hc, '/livez').then((r) => r?.status), 200);
  const ready = await probe(hc, '/readyz');
  assert.equal(ready?.status, 200, ready?.body);
  assert.match(ready!.body, /ready: 2 worker\(s\) serving/);
  assert.equal((await probe(hc, '/pid'))?.status, 404, 'the probe listener serves only the probes');
  assert.equal((await request(`${t.url}/readyz`)).status, 404, 'and the app port has no probe routes of tsws (the app\'s own 404)');

  // A long request in flight across the whole delay and the drain.
  const long = request(`${t.url}/sleep/2500`);
  await marks.started(1);
  const termAt = Date.now();
  t.signal('SIGTERM');
  const notReady = await waitFor('/readyz to fail', async () => {
    const r = await probe(hc, '/readyz');
    return r?.status === 503 && r;
  });
  const flippedMs = Date.now() - termAt;
  assert.match(notReady.body, /shutdown-delay/);
  assert.ok(tcpListening(appPort), 'readiness fails while the app listener is still open');

  // During the delay: new connections are accepted and served as usual.
  let served = 0;
  while (Date.now() - termAt < 1500) {
    const r = await request(`${t.url}/pid`);
    assert.equal(r.status, 200);
    served++;
  }
  assert.ok(tcpListening(appPort), 'still listening inside the delay');
  assert.equal((await probe(hc, '/livez'))?.status, 200, 'live throughout: the master is fine, only leaving');

  const code = await t.exited;
  const total = Date.now() - termAt;
  assert.equal(code, 0);
  const answer = await long;
  assert.equal(answer.status, 200, 'the request in flight at SIGTERM was answered');
  assert.ok(total >= 2000, `the delay was kept: exited ${total} ms after SIGTERM`);
  const log = t.output();
  assert.ok(log.indexOf('/readyz fails from now on') < log.indexOf('no new connections'), log);
  console.log(`figure: shutdown-delay 2s: /readyz 503 ${flippedMs} ms after SIGTERM; ${served} requests sent during the delay, all 200; the one in flight answered; exit 0 after ${total} ms`);
});

test('SIGINT during the shutdown delay stops at once', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/probe.js\nhealth-check = 127.0.0.1:0\nshutdown-delay = 60s` });
  t.signal('SIGTERM');
  await t.waitForLog(/accepting and serving for shutdown-delay 60s first/);
  const at = Date.now();
  t.signal('SIGINT');
  assert.equal(await t.exited, 0);
  assert.ok(Date.now() - at < 5000, 'did not wait out the delay');
});

test('readiness needs health-check-min-workers serving', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/probe.js\nprocesses = 1\nhealth-check = 127.0.0.1:0\nhealth-check-min-workers = 2` });
  const hc = await probePort(t);
  const r = await probe(hc, '/readyz');
  assert.equal(r?.status, 503);
  assert.match(r!.body, /1 worker\(s\) serving, fewer than health-check-min-workers 2/);
  t.signal('SIGTTIN'); // one worker more: now ready
  await waitFor('/readyz 200 with 2 workers', async () => (await probe(hc, '/readyz'))?.status === 200);
  assert.equal(await t.stop(), 0);
});
