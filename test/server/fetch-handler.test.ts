// Fetch handlers (issue 13): Content-Length when the body's length is known, chunked streaming otherwise,
// and the Node request and response as the handler's second argument, the way @hono/node-server passes them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APPS, request, startTsws } from '../helpers/tsws.js';

test('a fetch handler: Content-Length for a known body, a stream stays chunked, env.incoming carries the client address', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/fetch-env.mjs\nprocesses = 1` });
  const known = await request(`${t.url}/`);
  assert.equal(known.body, 'hello, known length');
  assert.equal(known.headers['content-length'], String('hello, known length'.length));
  assert.equal(known.headers['transfer-encoding'], undefined);
  const empty = await request(`${t.url}/empty`);
  assert.equal(empty.headers['content-length'], '0');
  const stream = await request(`${t.url}/stream`);
  assert.equal(stream.body, 'chunk 1\nchunk 2\nchunk 3\n');
  assert.equal(stream.headers['transfer-encoding'], 'chunked');
  const conn = JSON.parse((await request(`${t.url}/conn`, { localAddress: '127.0.0.3' })).body) as { address: string; hasOutgoing: boolean };
  assert.deepEqual(conn, { address: '127.0.0.3', hasOutgoing: true });
  t.signal('SIGTERM');
  assert.equal(await t.exited, 0);
});

test('Hono exported as a fetch handler: getConnInfo gives the client\'s address; a text body has Content-Length', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/frameworks/hono-export.mjs\nprocesses = 1` });
  const who = JSON.parse((await request(`${t.url}/who`, { localAddress: '127.0.0.3', headers: { 'x-forwarded-for': '6.6.6.6' } })).body) as { address: string; family: string };
  assert.deepEqual(who, { address: '127.0.0.3', family: 'IPv4' });
  const text = await request(`${t.url}/text`);
  assert.equal(text.body, 'hello from hono');
  assert.equal(text.headers['content-length'], String('hello from hono'.length));
  t.signal('SIGTERM');
  assert.equal(await t.exited, 0);
});
