// Hono 4 as its Node.js getting-started page writes it: serve({ fetch: app.fetch, port }) from
// @hono/node-server, the client's address from getConnInfo, and a SIGTERM handler that closes the server.
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import common from './common.cjs';

const app = new Hono();
app.get('/who', (c) => c.json(common.who(getConnInfo(c).remote.address, Object.fromEntries(c.req.raw.headers))));
app.get('/sleep/:ms', async (c) => {
  await new Promise((r) => setTimeout(r, Number(c.req.param('ms'))));
  return c.text(String(process.pid));
});

const server = serve({ fetch: app.fetch, port: common.port }, (info) => console.log(`Listening on http://localhost:${info.port}`));
process.on('SIGTERM', () => server.close(() => {
  common.markSigterm('hono: server closed');
  process.exit(0);
}));
