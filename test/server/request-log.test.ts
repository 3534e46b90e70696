// Issue 17: uWSGI's request-log options through the real router: with disable-logging, log-4xx still logs the
// 4xx requests (and only those), in a log-format with the variables uWSGI files use (%(rsize), %(user), …).
// Issue 16's left-out per-stream target: req-logger sends request lines to their own file (rotation, errors
// and a full disk there are in logs.test.ts).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { APPS, request, startTsws, tempDir, waitFor } from '../helpers/tsws.js';

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

// req-logger (uWSGI's request logger): request lines to their own file, everything else where it was.

/** An app whose every request prints a line on stdout and one on stderr: the app's output, in the log. */
function talkingApp(dir: string): string {
  const app = join(dir, 'talking.cjs');
  writeFileSync(
    app,
    `module.exports = (req, res) => {
  console.log('APP-OUT ' + req.url);
  console.error('APP-ERR ' + req.url);
  const status = req.url === '/missing' ? 404 : req.url === '/fail' ? 500 : 200;
  setTimeout(() => { res.statusCode = status; res.end('ok'); }, req.url === '/slow' ? 1500 : 0);
};
`,
  );
  return app;
}

const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
const textLine = (method: string, uri: string, status: number) =>
  new RegExp(`^\\[pid: \\d+\\|wid: 1\\|req: \\d+/\\d+\\] 127\\.0\\.0\\.1 ${method} ${uri.replace(/[/?]/g, '\\$&')} => generated \\d+ bytes in \\d+ msecs \\(HTTP/1\\.1 ${status}\\)$`);

test('req-logger = file:PATH: request lines go to that file (relative to chdir); lifecycle lines and the app\'s output stay in logto, and stderr gets neither', async () => {
  const dir = tempDir();
  const app = talkingApp(dir);
  mkdirSync(join(dir, 'site', 'logs'), { recursive: true });
  const main = join(dir, 'tsws.log');
  const requests = join(dir, 'site', 'logs', 'requests.log'); // req-logger's relative path, under chdir
  const t = await startTsws({ ini: `module = ${app}\nprocesses = 1\nchdir = ${join(dir, 'site')}\nlogto = ${main}\nreq-logger = file:logs/requests.log`, waitReady: false });
  t.url = (await waitFor('ready', () => /listening on (\S+)[\s\S]*ready on/.exec(read(main))))[1];
  assert.equal((await request(`${t.url}/a?x=1`)).status, 200);
  assert.equal((await request(`${t.url}/missing`)).status, 404);
  await waitFor('2 request lines', () => read(requests).split('\n').length === 3);
  await waitFor("the app's output in logto", () => read(main).includes('[wid: 1] APP-ERR /missing'));
  const lines = read(requests).trimEnd().split('\n');
  assert.match(lines[0], textLine('GET', '/a?x=1', 200));
  assert.match(lines[1], textLine('GET', '/missing', 404));
  assert.equal((statSync(requests).mode & 0o777).toString(8), '640');
  const log = read(main);
  assert.match(log, /tsws: worker 1 \(pid \d+\) ready/);
  assert.match(log, /^\[wid: 1\] APP-OUT \/a\?x=1$/m);
  assert.doesNotMatch(log, / => generated /, 'no request line in logto');
  assert.equal(t.output(), '', 'nothing on stdout or stderr');
  assert.equal(await t.stop(), 0);
  assert.doesNotMatch(read(requests), /tsws:|APP-/, 'only request lines in the request file');
  assert.match(read(main), /tsws: master \(pid \d+\) exiting with 0/);
});

test('req-logger with log-encoder = json and disable-logging: the 4xx, 5xx and slow lines log-* keep go to the file as JSON; stderr keeps the lifecycle lines', async () => {
  const dir = tempDir();
  const app = talkingApp(dir);
  const requests = join(dir, 'requests.log');
  const t = await startTsws({
    ini: `module = ${app}\nprocesses = 1\nlog-encoder = json\ndisable-logging = true\nlog-4xx = true\nlog-5xx = true\nlog-slow = 1000\nreq-logger = file:${requests}`,
    waitReady: false, // the ready lines are JSON: the helper's text waits do not apply
  });
  t.url = (await t.waitForLog(/"msg":"listening on (http:\/\/[^"\s]+)"/))[1];
  await t.waitForLog(/"msg":"tsws 1 worker\(s\) x \d+ thread\(s\) ready on /);
  for (const [path, status] of [['/ok', 200], ['/missing', 404], ['/fail', 500], ['/slow', 200]] as const) {
    assert.equal((await request(`${t.url}${path}`)).status, status);
  }
  await waitFor('3 request lines', () => read(requests).split('\n').length === 4);
  const logged = read(requests).trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; uri: string; status: number });
  assert.deepEqual(logged.map((r) => [r.type, r.uri, r.status]), [['request', '/missing', 404], ['request', '/fail', 500], ['request', '/slow', 200]]);
  await t.waitForLog(/"stream":"stderr","msg":"APP-ERR \/slow"/);
  assert.match(t.output(), /"type":"tsws","level":"info","msg":"worker 1 \(pid \d+\) ready/);
  assert.doesNotMatch(t.output(), /"type":"request"/, 'no request line on stderr');
  assert.equal(await t.stop(), 0);
  assert.doesNotMatch(read(requests), /"type":"(tsws|app)"/);
});

test('req-logger = stdio is the log itself (uWSGI\'s stdio logger writes to the log): request lines stay on stderr', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/probe.js\nprocesses = 1\nreq-logger = stdio` });
  assert.equal((await request(`${t.url}/pid`)).status, 200);
  await t.waitForLog(/GET \/pid => generated/);
  assert.equal(await t.stop(), 0);
});
