// Koa 3 as its docs write it: app.listen(port), and a SIGTERM handler.
import Koa from 'koa';
import common from './common.cjs';

const app = new Koa();
app.use(async (ctx) => {
  const m = /^\/sleep\/(\d+)$/.exec(ctx.path);
  if (ctx.path === '/who') ctx.body = common.who(ctx.ip, ctx.headers);
  else if (m) {
    await new Promise((r) => setTimeout(r, Number(m[1])));
    ctx.body = String(process.pid);
  } else ctx.status = 404;
});
const server = app.listen(common.port);
process.on('SIGTERM', () => server.close(() => {
  common.markSigterm('koa: server closed');
  process.exit(0);
}));
