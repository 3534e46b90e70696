// Reverse port binding (issue 13): what happens around the app's listen() — readiness, further servers, an
// export next to a listen(), and a module that does neither.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APPS, freePort, request, startTsws } from '../helpers/tsws.js';

test('an app that listens late makes its worker ready only then; a further server is bound as asked', async () => {
  const port = await freePort();
  const t = await startTsws({ ini: `module = ${APPS}/listen-late.cjs\nprocesses = 2\nenv = APP_PORT=${port}\nenv = LATE_MS=700` });
  assert.match(t.output(), /ready in (7\d\d|[89]\d\d|\d{4,}) ms/);
  assert.match(t.output(), new RegExp(`asked to listen on 0\\.0\\.0\\.0:${port}: not bound`));
  // server.address() answers the address the app asked for.
  assert.match(t.output(), new RegExp(`app listening on 0\\.0\\.0\\.0:${port}`));
  const r = await request(`${t.url}/who`, { localAddress: '127.0.0.3' });
  const who = JSON.parse(r.body) as { ip: string; port: number; family: string; via: string; worker: string; generation: string };
  assert.equal(who.via, 'listen');
  assert.equal(who.ip, '127.0.0.3');
  assert.equal(who.family, 'IPv4');
  assert.ok(who.port > 0);
  const m = t.output().match(/metrics on port (\d+)/)!;
  assert.match(t.output(), /a further server listens on 127\.0\.0\.1:0 itself, not through tsws/);
  assert.equal((await request(`http://127.0.0.1:${m[1]}/`)).body, 'metrics');
  t.signal('SIGTERM');
  assert.equal(await t.exited, 0);
});

test('a module that neither exports an app nor listens fails after TSWS_LISTEN_TIMEOUT, naming both ways', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/no-app.cjs\nprocesses = 1\nenv = TSWS_LISTEN_TIMEOUT=1`, waitReady: false });
  assert.equal(await t.exited, 22);
  assert.match(t.output(), /not an app: export a request listener .*; nor did it start a server with listen\(\) within 1s/);
  assert.match(t.output(), /or calls listen\(\) on its http\.Server as usual/);
});

test('a module that exports its handler and also listens: served through tsws by both workers, the port never bound', async () => {
  const port = await freePort();
  const t = await startTsws({ ini: `module = ${APPS}/export-and-listen.cjs\nprocesses = 2\nenv = APP_PORT=${port}` });
  assert.match((await request(`${t.url}/`)).body, /^served by \d+ via listen$/);
  assert.equal((t.output().match(/not bound, tsws serves it/g) ?? []).length, 2);
  await assert.rejects(request(`http://127.0.0.1:${port}/`), /ECONNREFUSED/);
  t.signal('SIGTERM');
  assert.equal(await t.exited, 0);
});

test('the client address: the router\'s peer, or what a peer in forwarded-allow-ips forwarded', async () => {
  const port = await freePort();
  const t = await startTsws({ ini: `module = ${APPS}/listen-late.cjs\nprocesses = 1\nenv = APP_PORT=${port}\nforwarded-allow-ips = 127.0.0.3` });
  const who = async (from: string, xff: string) =>
    JSON.parse((await request(`${t.url}/who`, { localAddress: from, headers: { 'x-forwarded-for': xff } })).body) as { ip: string; port?: number };
  // A trusted proxy: the last address it forwarded (the one it saw), with no port.
  const proxied = await who('127.0.0.3', '9.9.9.9, 5.6.7.8');
  assert.equal(proxied.ip, '5.6.7.8');
  assert.equal(proxied.port, undefined);
  assert.equal((await who('127.0.0.3', '2001:db8::1')).ip, '2001:db8::1');
  // Anyone else: its own address, whatever it forwarded.
  const direct = await who('127.0.0.2', '5.6.7.8');
  assert.equal(direct.ip, '127.0.0.2');
  assert.ok(direct.port! > 0);
  t.signal('SIGTERM');
  assert.equal(await t.exited, 0);
});
