// Issue 13: apps written the way their framework's getting-started page shows — they call listen(), read the
// client's address from req.ip or its equivalent, and close on SIGTERM — run unmodified by tsws with 2
// workers: both answer, the app sees the client's real address (a client bound to 127.0.0.3, even one that
// forges X-Forwarded-For), the port the app asked for is never bound, and a reload under load loses no
// request while the old workers' own SIGTERM handlers run.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { io as ioClient } from 'socket.io-client';
import { join } from 'node:path';
import { test } from 'node:test';
import { APPS, freePort, load, request, startTsws, tempDir, waitFor } from '../helpers/tsws.js';

interface Who {
  pid: number;
  ip: string;
  headers: Record<string, string>;
}

/** Whether something accepts connections on host:port. */
function bound(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const FRAMEWORKS = [
  ['Express 5', 'express.cjs'],
  ['Koa 3', 'koa.mjs'],
  ['Fastify 5', 'fastify.mjs'],
  ['Hapi 21', 'hapi.mjs'],
  ['Hono 4 (@hono/node-server serve())', 'hono.mjs'],
  ['NestJS 11 (platform-express, enableShutdownHooks())', 'nest.cjs'],
] as const;

for (const [name, file] of FRAMEWORKS) {
  test(`${name}, written to listen() on its own port, runs unmodified with 2 workers`, async () => {
    const port = await freePort();
    const marks = tempDir('tsws-sigterm-');
    const t = await startTsws({
      ini: `module = ${join(APPS, 'frameworks', file)}\nprocesses = 2\nenv = APP_PORT=${port}\nenv = MARKS=${marks}\ndisable-logging = true`,
    });
    assert.match(t.output(), new RegExp(`asked to listen on \\S*:${port}: not bound, tsws serves it`));

    // Both workers answer, and the app sees the client's address: 127.0.0.3, whatever it forges.
    const pids = new Set<number>();
    await waitFor('both workers to answer', async () => {
      const r = await request(`${t.url}/who`, {
        localAddress: '127.0.0.3',
        headers: { 'x-forwarded-for': '6.6.6.6', 'x-tsws-client': '6.6.6.6 1' },
      });
      assert.equal(r.status, 200, r.body);
      const who = JSON.parse(r.body) as Who;
      assert.equal(who.ip, '127.0.0.3');
      assert.equal(who.headers['x-tsws-client'], undefined);
      assert.equal(who.headers['x-forwarded-for'], '127.0.0.3');
      pids.add(who.pid);
      return pids.size === 2;
    });

    // The port the app asked for is not bound, by either worker.
    assert.equal(await bound('127.0.0.1', port), false);
    assert.equal(await bound('::1', port).catch(() => false), false);

    // A reload under load: no request lost, and the old workers' SIGTERM handlers ran. The load runs from
    // before the reload until after it: a fixed 4 s load ended only 0.3 s after NestJS's reload (two workers
    // started one after the other, ~1.5 s each), so a slower run would have drained the last old worker idle.
    const old = [...pids];
    const stopLoad = new AbortController();
    const loading = load(t.url, { clients: 4, durationMs: 60_000, path: '/sleep/20', signal: stopLoad.signal });
    await loading.progressed(8); // the reload happens under load, not before it started
    t.signal('SIGHUP');
    await t.waitForLog(/reload done: 2 of 2/, 20_000);
    await loading.progressed(8); // and the load goes on past it, through the last old worker's drain
    stopLoad.abort();
    const r = await loading;
    assert.deepEqual(r.errors, {});
    assert.deepEqual(Object.keys(r.statuses), ['200']);
    assert.ok(r.ok > 20, `only ${r.ok} requests`);
    await waitFor('the old workers to run their SIGTERM handlers', () => old.every((p) => readdirSync(marks).includes(`sigterm-${p}`)));
    t.signal('SIGTERM');
    assert.equal(await t.exited, 0);
  });
}

test('socket.io 4 on a server that listen()s: 2 workers, the handshake address is the client\'s, the app\'s close on reload', async () => {
  const port = await freePort();
  const marks = tempDir('tsws-sigterm-');
  const t = await startTsws({ ini: `module = ${join(APPS, 'frameworks', 'socketio.mjs')}\nprocesses = 2\nenv = APP_PORT=${port}\nenv = MARKS=${marks}\ndisable-logging = true` });
  // Several processes and no sticky sessions: the client goes straight to WebSocket (socket.io's own advice).
  const connectOnce = () =>
    new Promise<{ address: string; pid: number; client: ReturnType<typeof ioClient> }>((resolve, reject) => {
      const client = ioClient(t.url, { transports: ['websocket'], localAddress: '127.0.0.3', reconnection: false, forceNew: true } as never);
      client.once('who', (w: { address: string; pid: number }) => resolve({ ...w, client }));
      client.once('connect_error', reject);
    });
  const pids = new Set<number>();
  const open: ReturnType<typeof ioClient>[] = [];
  await waitFor('both workers', async () => {
    const c = await connectOnce();
    assert.equal(c.address, '127.0.0.3');
    pids.add(c.pid);
    open.push(c.client);
    return pids.size === 2;
  });
  assert.equal(await bound('127.0.0.1', port), false);
  // A reload: the old workers' io.close() disconnects the open clients (the app's own close, not a kill).
  const disconnected = open.map((c) => new Promise<string>((r) => c.once('disconnect', (why: string) => r(why))));
  t.signal('SIGHUP');
  await t.waitForLog(/reload done: 2 of 2/, 20_000);
  const reasons = await Promise.all(disconnected);
  for (const why of reasons) assert.equal(why, 'io server disconnect');
  await waitFor('the old workers to run their SIGTERM handlers', () => [...pids].every((p) => readdirSync(marks).includes(`sigterm-${p}`)));
  for (const c of open) c.close();
  t.signal('SIGTERM');
  assert.equal(await t.exited, 0);
});
