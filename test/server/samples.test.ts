// Every sample under samples/ starts from its own INI file and answers (http overridden on the command line
// with an ephemeral port: command-line flags beat INI values).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request, SAMPLES, startTsws } from '../helpers/tsws.js';

async function sample(ini: string) {
  return startTsws({ ini: `ini = ${SAMPLES}/${ini}`, args: ['--http', '127.0.0.1:0', '--disable-logging'] });
}

test('samples/hello.ini: 4 workers x 2 threads', async () => {
  const t = await sample('hello.ini');
  assert.equal(t.workers().length, 4);
  assert.match((await request(`${t.url}/`)).body, /^hello from pid \d+/);
  assert.equal(await t.stop(), 0);
});

test('samples/fetch.ini: a web-standard fetch handler, GET and JSON POST', async () => {
  const t = await sample('fetch.ini');
  assert.match((await request(`${t.url}/x`)).body, /^hello from \/x/);
  const body = JSON.stringify({ a: 1 });
  const r = await request(`${t.url}/`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'content-length': String(body.length) } });
  assert.deepEqual(JSON.parse(r.body), { received: { a: 1 } });
  assert.equal(await t.stop(), 0);
});

test('samples/express.ini: an Express app (CommonJS)', async () => {
  const t = await sample('express.ini');
  assert.match((await request(`${t.url}/`)).body, /^hello from express/);
  const body = JSON.stringify({ b: 2 });
  const r = await request(`${t.url}/echo`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'content-length': String(body.length) } });
  assert.deepEqual(JSON.parse(r.body), { echo: { b: 2 } });
  assert.equal(await t.stop(), 0);
});

test('samples/express-listen.ini: an Express app that calls app.listen(3000) itself, unmodified', async () => {
  const t = await sample('express-listen.ini');
  assert.match((await request(`${t.url}/`, { localAddress: '127.0.0.3' })).body, /^hello from express \(pid \d+\), you are 127\.0\.0\.3/);
  const body = JSON.stringify({ b: 2 });
  const r = await request(`${t.url}/echo`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'content-length': String(body.length) } });
  assert.deepEqual(JSON.parse(r.body), { echo: { b: 2 } });
  t.signal('SIGTERM');
  assert.equal(await t.exited, 0);
});

test('samples/fastify.ini: a Fastify app that awaits fastify.listen({ port: 3000 }), unmodified', async () => {
  const t = await sample('fastify.ini');
  const r = JSON.parse((await request(`${t.url}/`, { localAddress: '127.0.0.3' })).body) as { hello: string; you: string };
  assert.equal(r.hello, 'from fastify');
  assert.equal(r.you, '127.0.0.3');
  const body = JSON.stringify({ c: 3 });
  const e = await request(`${t.url}/echo`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'content-length': String(body.length) } });
  assert.deepEqual(JSON.parse(e.body), { echo: { c: 3 } });
  t.signal('SIGTERM');
  assert.equal(await t.exited, 0);
});
