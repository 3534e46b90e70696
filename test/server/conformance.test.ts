// Issue 11 part 4: what gunicorn's HTTP corpus found (test/server/http-corpus.test.ts runs the whole corpus when
// it is beside the repo). One test per fix, each with the bytes that reached the app before it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { raw } from '../helpers/raw.js';
import { APPS, request, startTsws, type Tsws } from '../helpers/tsws.js';

const edges = `module = ${APPS}/edges.js\nprocesses = 1`;


/** Requests the (single) worker has run so far. */
async function count(t: Tsws): Promise<number> {
  return Number((await request(`${t.url}/count`)).body);
}

async function stop(t: Tsws): Promise<void> {
  assert.equal(await t.stop(), 0, 'the master stopped cleanly');
}

test('HTTP/2.0 in a request line gets 505 and never reaches the app (gunicorn invalid/version_02)', async () => {
  const t = await startTsws({ ini: edges });
  for (const bytes of ['GET /hello HTTP/2.0\r\n\r\n', 'GET /hello HTTP/2.0\r\nHost: x\r\n\r\n']) {
    const r = await raw(t.url, bytes);
    assert.match(r.text, /^HTTP\/1\.1 505 HTTP Version Not Supported\r\n/, JSON.stringify(bytes));
    assert.ok(r.closed, 'the connection closes');
  }
  assert.equal(await count(t), 0, 'the app ran nothing');
  await stop(t);
});

test('a trailer naming Host, Content-Length or Transfer-Encoding gets 400 before the app runs (gunicorn invalid/rfc9110_trailer_forbidden_*)', async () => {
  const t = await startTsws({ ini: edges });
  for (const trailer of ['Host: evil.example', 'Content-Length: 99', 'Transfer-Encoding: chunked']) {
    const r = await raw(t.url, `POST /upload HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n${trailer}\r\n\r\n`);
    assert.match(r.text, /^HTTP\/1\.1 400 Bad Request\r\n/, trailer);
  }
  assert.equal(await count(t), 0, 'the app ran nothing');
  // Any other trailer is fine.
  const ok = await raw(t.url, 'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n');
  assert.match(ok.text, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n5$/);
  await stop(t);
});

test('a request pipelined behind one whose answer closes the connection never runs (gunicorn corpus: http10-chunked-keepalive)', async () => {
  const t = await startTsws({ ini: edges });
  // HTTP/1.0 with a chunked body: faulty framing, the connection closes after that response (RFC 9112 §6.1).
  const h10 = await raw(t.url, 'POST /upload HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /hello HTTP/1.0\r\n\r\n');
  assert.match(h10.text, /^HTTP\/1\.1 200 OK\r\n[^]*[Cc]onnection: close\r\n[^]*\r\n5$/, 'the POST is answered, alone');
  assert.ok(h10.closed, 'then the connection closes');
  assert.equal(await count(t), 1, 'the GET behind it did not run');
  // A refused request (GET *, two Host headers): its 400 closes the connection, the GET behind does not run.
  for (const bad of ['GET * HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n']) {
    const r = await raw(t.url, `${bad}GET /hello HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.match(r.text, /^HTTP\/1\.1 400 Bad Request\r\n[^]*\r\n\r\n[^]*$/, JSON.stringify(bad));
    assert.equal(r.text.split('HTTP/1.1 ').length - 1, 1, 'one answer only');
    assert.ok(r.closed);
  }
  assert.equal(await count(t), 1, 'nothing behind a refused request ran');
  // A keep-alive HTTP/1.0 request without a body still carries the next one.
  const ka = await raw(t.url, 'GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /hello HTTP/1.0\r\n\r\n');
  assert.equal(ka.text.split('HTTP/1.1 200 OK').length - 1, 2, ka.text);
  assert.equal(await count(t), 3);
  await stop(t);
});
