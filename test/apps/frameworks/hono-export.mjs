// Hono exported as a fetch handler (`export default app`), reading the client's address with getConnInfo:
// tsws passes { incoming, outgoing } as @hono/node-server does.
import { Hono } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';

const app = new Hono();
app.get('/who', (c) => c.json({ address: getConnInfo(c).remote.address, family: getConnInfo(c).remote.addressType }));
app.get('/text', (c) => c.text('hello from hono'));
export default app;
