// harakiri and streams (issue 13): harakiri is the time to the first byte of the response, then the time
// without a byte; a response that keeps sending (server-sent events) runs as long as it sends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APPS, request, startTsws } from '../helpers/tsws.js';

test('harakiri = 1: a stream sending every 300 ms for 2.4 s is not cut; one silent for 3 s after its first byte is', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/probe.js\nprocesses = 2\nharakiri = 1` });
  const r = await request(`${t.url}/stream/8/300`);
  assert.equal(r.status, 200);
  assert.equal(r.body.split('\n').filter(Boolean).length, 8);
  // A first byte, then silence: cut after a second of it, not answered in full.
  const started = Date.now();
  const cut = await request(`${t.url}/drip/3000`).then((x) => x.body, (e: Error) => `error: ${e.message}`);
  assert.ok(!/\d+\n$/.test(cut), `the silent response was let through: ${cut}`);
  assert.ok(Date.now() - started < 2900, 'cut before it finished');
  t.signal('SIGTERM');
  assert.equal(await t.exited, 0);
});
