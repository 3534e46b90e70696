// Issue 17: uWSGI's request-log options through the real router: with disable-logging, log-4xx still logs the
// 4xx requests (and only those), in a log-format with the variables uWSGI files use (%(rsize), %(user), …).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APPS, request, startTsws } from '../helpers/tsws.js';

test('disable-logging + log-4xx: only the 4xx request is logged, with uWSGI\'s variables filled', async () => {
  const t = await startTsws({
    ini: `module = ${APPS}/probe.js\nprocesses = 1\ndisable-logging = true\nlog-4xx = true\nlog-format = REQ %(status) %(method) %(uri) %(rsize) (%(user)) %(headers) %(cl)`,
  });
  assert.equal((await request(`${t.url}/pid`)).status, 200);
  const auth = `Basic ${Buffer.from('ann:pw').toString('base64')}`;
  assert.equal((await request(`${t.url}/no-such-route`, { headers: { authorization: auth } })).status, 404);
  const [line] = await t.waitForLog(/REQ 404 [^\n]*\n/);
  // rsize: the bytes after the headers as sent, so a chunked body counts its framing: "not found\n" (10) is 20.
  assert.match(line, /^REQ 404 GET \/no-such-route 20 \(ann\) \d+ 0\n$/, 'rsize after the headers, user from Basic auth');
  assert.doesNotMatch(t.output(), /REQ 200/, 'the 200 is not logged');
  assert.equal(await t.stop(), 0);
});
